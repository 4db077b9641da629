package io.convt.bench.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.dnnl_cpu;
import static org.bytedeco.dnnl.global.dnnl.dnnl_engine_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_f32;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_create_with_tag;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_desc_get_size;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_get_data_handle;
import static org.bytedeco.dnnl.global.dnnl.dnnl_memory_get_memory_desc;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_execute;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_impl_info_str;
import static org.bytedeco.dnnl.global.dnnl.dnnl_reorder_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_default_flags;
import static org.bytedeco.dnnl.global.dnnl.dnnl_stream_wait;
import static org.bytedeco.dnnl.global.dnnl.dnnl_version;

import org.bytedeco.dnnl.dnnl_engine;
import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;
import org.bytedeco.dnnl.dnnl_stream;
import org.bytedeco.dnnl.dnnl_version_t;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The few oneDNN C-API calls the anchor needs, over the JavaCPP presets: one CPU engine and stream per process,
 * memories, reorders, execution. Handles live until the process ends (a benchmark builds one set per shape).
 */
final class Dnnl {
  /** {@code DNNL_MEMORY_ALLOCATE}, {@code (void *) -1}: oneDNN allocates (64-byte aligned) memory itself. */
  private static final Pointer ALLOCATE = new Pointer() {
    {
      address = -1L;
    }
  };

  final dnnl_engine engine = new dnnl_engine();
  final dnnl_stream stream = new dnnl_stream();

  Dnnl() {
    check(dnnl_engine_create(engine, dnnl_cpu, 0), "dnnl_engine_create");
    check(dnnl_stream_create(stream, engine, dnnl_stream_default_flags), "dnnl_stream_create");
  }

  /** "3.11.0" */
  static String version() {
    dnnl_version_t v = dnnl_version();
    return v.major() + "." + v.minor() + "." + v.patch();
  }

  static void check(int status, String what) {
    if (status != 0) {
      throw new IllegalStateException("oneDNN " + what + " failed with status " + status);
    }
  }

  /** A float32 memory descriptor with the given dimensions and format tag ({@code dnnl_format_tag_any} included). */
  static dnnl_memory_desc desc(int tag, long... dims) {
    dnnl_memory_desc md = new dnnl_memory_desc();
    check(dnnl_memory_desc_create_with_tag(md, dims.length, dims, dnnl_f32, tag), "dnnl_memory_desc_create_with_tag");
    return md;
  }

  /** A memory of {@code md}'s layout, allocated by oneDNN. */
  dnnl_memory memory(dnnl_memory_desc md) {
    dnnl_memory m = new dnnl_memory();
    check(dnnl_memory_create(m, md, engine, ALLOCATE), "dnnl_memory_create");
    return m;
  }

  static long floats(dnnl_memory m) {
    return dnnl_memory_desc_get_size(desc(m)) / Float.BYTES;
  }

  static dnnl_memory_desc desc(dnnl_memory m) {
    dnnl_memory_desc md = new dnnl_memory_desc();
    check(dnnl_memory_get_memory_desc(m, md), "dnnl_memory_get_memory_desc");
    return md;
  }

  /** The memory's buffer as floats (its layout is the memory's own). */
  static FloatPointer data(dnnl_memory m) {
    PointerPointer<?> handle = new PointerPointer<>(1);
    check(dnnl_memory_get_data_handle(m, handle), "dnnl_memory_get_data_handle");
    FloatPointer f = new FloatPointer(handle.get(0));
    return f.capacity(floats(m));
  }

  /** Copies plain values into a memory whose layout is the plain one they are in. */
  static void write(dnnl_memory plain, float[] values) {
    data(plain).put(values, 0, values.length);
  }

  static float[] read(dnnl_memory plain) {
    FloatPointer f = data(plain);
    float[] out = new float[(int) f.capacity()];
    f.get(out, 0, out.length);
    return out;
  }

  /** Converts {@code from} into {@code to}'s layout (both memories of the same logical tensor). */
  void reorder(dnnl_memory from, dnnl_memory to) {
    dnnl_primitive_desc pd = new dnnl_primitive_desc();
    check(dnnl_reorder_primitive_desc_create(pd, desc(from), engine, desc(to), engine, (dnnl_primitive_attr) null),
        "dnnl_reorder_primitive_desc_create");
    dnnl_primitive p = primitive(pd);
    execute(p, new int[] {DNNL_ARG_FROM, DNNL_ARG_TO}, new dnnl_memory[] {from, to});
  }

  static dnnl_primitive primitive(dnnl_primitive_desc pd) {
    dnnl_primitive p = new dnnl_primitive();
    check(dnnl_primitive_create(p, pd), "dnnl_primitive_create");
    return p;
  }

  /** oneDNN's name for the implementation it chose, e.g. {@code brg_conv_bwd_d:avx512_core}. */
  static String implementation(dnnl_primitive_desc pd) {
    PointerPointer<?> s = new PointerPointer<>(1);
    check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, s), "dnnl_primitive_desc_query");
    return s.getString(0);
  }

  /** Argument list for {@link #execute(dnnl_primitive, dnnl_exec_arg_t)} (built once, reused by every call). */
  static dnnl_exec_arg_t args(int[] kinds, dnnl_memory[] memories) {
    dnnl_exec_arg_t a = new dnnl_exec_arg_t(kinds.length);
    for (int i = 0; i < kinds.length; i++) {
      a.position(i).arg(kinds[i]).memory(memories[i]);
    }
    return a.position(0);
  }

  void execute(dnnl_primitive p, int[] kinds, dnnl_memory[] memories) {
    execute(p, args(kinds, memories));
  }

  /** Runs a primitive and waits for it (the CPU stream is in order; the wait makes the timing end-to-end). */
  void execute(dnnl_primitive p, dnnl_exec_arg_t args) {
    check(dnnl_primitive_execute(p, stream, (int) args.capacity(), args), "dnnl_primitive_execute");
    check(dnnl_stream_wait(stream), "dnnl_stream_wait");
  }
}
