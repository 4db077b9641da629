/* fma_peak512.c - one core's FP32 FMA peak with 512-bit (AVX-512F) FMAs, the width the JDK Vector API's
 * SPECIES_PREFERRED uses on AVX-512 machines. The PyTorch harness's fma_peak.c measures 256-bit FMAs only, which
 * understates the peak of such a core by 2x. 12 independent accumulator chains, so throughput, not latency,
 * bounds it; FLOPs = 2 per lane per FMA, 16 lanes.
 * Build and run: gcc -O3 -funroll-all-loops -mavx512f -mfma tools/bench/fma_peak512.c -o /tmp/fma_peak512 && /tmp/fma_peak512
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(void) {
  for (int rep = 0; rep < 5; rep++) {
    __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(0.001f);
    __m512 c[12];
    for (int i = 0; i < 12; i++) c[i] = _mm512_set1_ps((float)i);
    long it = 50000000;
    double t0 = now();
    for (long k = 0; k < it; k++) {
      for (int i = 0; i < 12; i++) c[i] = _mm512_fmadd_ps(c[i], a, b);
    }
    double t = now() - t0;
    float s = 0;
    for (int i = 0; i < 12; i++) s += _mm512_reduce_add_ps(c[i]);
    printf("fma_peak512 1 thread: %.1f GFLOP/s (checksum %g)\n", it * 12.0 * 32 / t * 1e-9, s);
  }
  return 0;
}
