package io.convt.bench.onednn;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DIFF_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_backward_data_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_backward_weights_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_direct;
import static org.bytedeco.dnnl.global.dnnl.dnnl_deconvolution_forward_primitive_desc_create;
import static org.bytedeco.dnnl.global.dnnl.dnnl_format_tag_any;
import static org.bytedeco.dnnl.global.dnnl.dnnl_forward_training;
import static org.bytedeco.dnnl.global.dnnl.dnnl_goihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_nchw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_oihw;
import static org.bytedeco.dnnl.global.dnnl.dnnl_primitive_desc_query_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_diff_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_dst_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_src_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_query_weights_md;
import static org.bytedeco.dnnl.global.dnnl.dnnl_x;

import org.bytedeco.dnnl.dnnl_exec_arg_t;
import org.bytedeco.dnnl.dnnl_memory;
import org.bytedeco.dnnl.dnnl_memory_desc;
import org.bytedeco.dnnl.dnnl_primitive;
import org.bytedeco.dnnl.dnnl_primitive_attr;
import org.bytedeco.dnnl.dnnl_primitive_desc;

/**
 * oneDNN's deconvolution primitive for one layer and batch size, the three passes, f32, created the way oneDNN's
 * own benchmark (benchdnn) creates them: every tensor {@code format_tag::any}, so oneDNN picks its preferred
 * (blocked) layouts, and the timed call is the primitive alone (user data is reordered into those layouts once, at
 * setup). Plain {@code nchw}/{@code (g)oihw}/{@code x} memories carry the data in and out for the check.
 */
final class OneDnnDeconv {
  private final Dnnl dnnl;
  private final Layer layer;
  private final int n;
  private final String[] impl = new String[3];
  // plain user memories: src, weights, bias, dst-shaped gradient
  private final dnnl_memory userSrc;
  private final dnnl_memory userWeights;
  private final dnnl_memory userBias;
  private final dnnl_memory userGradDst;
  // the primitives and their memories in oneDNN's chosen layouts
  private final dnnl_primitive fwd;
  private final dnnl_primitive bwdData;
  private final dnnl_primitive bwdWeights;
  private final dnnl_exec_arg_t fwdArgs;
  private final dnnl_exec_arg_t bwdDataArgs;
  private final dnnl_exec_arg_t bwdWeightsArgs;
  private final dnnl_memory fwdDst;
  private final dnnl_memory bwdDataDiffSrc;
  private final dnnl_memory bwdWeightsDiffWeights;
  private final dnnl_memory bwdWeightsDiffBias;

  /** Builds the three primitives (for the thread count OpenMP has now: oneDNN fixes it at creation). */
  OneDnnDeconv(Dnnl dnnl, Layer l, int n) {
    this.dnnl = dnnl;
    this.layer = l;
    this.n = n;
    long[] srcDims = {n, l.cin(), l.h(), l.w()};
    long[] dstDims = {n, l.cout(), l.ho(), l.wo()};
    boolean grouped = l.groups() > 1;
    long[] wDims = grouped ? new long[] {l.groups(), l.cog(), l.cig(), l.kh(), l.kw()}
        : new long[] {l.cout(), l.cin(), l.kh(), l.kw()};
    long[] strides = {l.sy(), l.sx()};
    long[] dilates = {l.dy() - 1, l.dx() - 1}; // oneDNN counts the zeros inserted between taps
    long[] padL = {l.py(), l.px()};
    long[] padR = {l.py() - l.opy(), l.px() - l.opx()}; // output padding extends the bottom/right edge
    dnnl_memory_desc srcAny = Dnnl.desc(dnnl_format_tag_any, srcDims);
    dnnl_memory_desc dstAny = Dnnl.desc(dnnl_format_tag_any, dstDims);
    dnnl_memory_desc wAny = Dnnl.desc(dnnl_format_tag_any, wDims);
    dnnl_memory_desc bias = Dnnl.desc(dnnl_x, l.cout());

    dnnl_primitive_desc fpd = new dnnl_primitive_desc();
    Dnnl.check(dnnl_deconvolution_forward_primitive_desc_create(fpd, dnnl.engine, dnnl_forward_training,
        dnnl_deconvolution_direct, srcAny, wAny, bias, dstAny, strides, dilates, padL, padR,
        (dnnl_primitive_attr) null), "deconvolution forward primitive_desc (" + l.name() + ")");
    dnnl_primitive_desc dpd = new dnnl_primitive_desc();
    Dnnl.check(dnnl_deconvolution_backward_data_primitive_desc_create(dpd, dnnl.engine, dnnl_deconvolution_direct,
        srcAny, wAny, dstAny, strides, dilates, padL, padR, fpd, (dnnl_primitive_attr) null),
        "deconvolution backward-data primitive_desc (" + l.name() + ")");
    dnnl_primitive_desc wpd = new dnnl_primitive_desc();
    Dnnl.check(dnnl_deconvolution_backward_weights_primitive_desc_create(wpd, dnnl.engine,
        dnnl_deconvolution_direct, srcAny, wAny, bias, dstAny, strides, dilates, padL, padR, fpd,
        (dnnl_primitive_attr) null), "deconvolution backward-weights primitive_desc (" + l.name() + ")");
    impl[0] = Dnnl.implementation(fpd);
    impl[1] = Dnnl.implementation(dpd);
    impl[2] = Dnnl.implementation(wpd);

    userSrc = dnnl.memory(Dnnl.desc(dnnl_nchw, srcDims));
    userWeights = dnnl.memory(Dnnl.desc(grouped ? dnnl_goihw : dnnl_oihw, wDims));
    userBias = dnnl.memory(bias);
    userGradDst = dnnl.memory(Dnnl.desc(dnnl_nchw, dstDims));

    dnnl_memory fSrc = dnnl.memory(dnnl_primitive_desc_query_md(fpd, dnnl_query_src_md, 0));
    dnnl_memory fW = dnnl.memory(dnnl_primitive_desc_query_md(fpd, dnnl_query_weights_md, 0));
    fwdDst = dnnl.memory(dnnl_primitive_desc_query_md(fpd, dnnl_query_dst_md, 0));
    fwd = Dnnl.primitive(fpd);
    fwdArgs = Dnnl.args(new int[] {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST},
        new dnnl_memory[] {fSrc, fW, userBias, fwdDst});

    dnnl_memory dDiffDst = dnnl.memory(dnnl_primitive_desc_query_md(dpd, dnnl_query_diff_dst_md, 0));
    dnnl_memory dW = dnnl.memory(dnnl_primitive_desc_query_md(dpd, dnnl_query_weights_md, 0));
    bwdDataDiffSrc = dnnl.memory(dnnl_primitive_desc_query_md(dpd, dnnl_query_diff_src_md, 0));
    bwdData = Dnnl.primitive(dpd);
    bwdDataArgs = Dnnl.args(new int[] {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC},
        new dnnl_memory[] {dDiffDst, dW, bwdDataDiffSrc});

    dnnl_memory wSrc = dnnl.memory(dnnl_primitive_desc_query_md(wpd, dnnl_query_src_md, 0));
    dnnl_memory wDiffDst = dnnl.memory(dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_dst_md, 0));
    bwdWeightsDiffWeights = dnnl.memory(dnnl_primitive_desc_query_md(wpd, dnnl_query_diff_weights_md, 0));
    bwdWeightsDiffBias = dnnl.memory(bias);
    bwdWeights = Dnnl.primitive(wpd);
    bwdWeightsArgs = Dnnl.args(
        new int[] {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_BIAS},
        new dnnl_memory[] {wSrc, wDiffDst, bwdWeightsDiffWeights, bwdWeightsDiffBias});
    inputs = new dnnl_memory[][] {{userSrc, fSrc}, {userWeights, fW}, {userGradDst, dDiffDst},
        {userWeights, dW}, {userSrc, wSrc}, {userGradDst, wDiffDst}};
  }

  /** (user memory, primitive memory) pairs every {@link #load} reorders. */
  private final dnnl_memory[][] inputs;

  /**
   * Sets the data every pass reads, in plain layouts: {@code src} nchw, {@code weights} (g)oihw (oneDNN's
   * deconvolution taps), {@code bias}, {@code gradDst} nchw; then reorders them into the primitives' layouts.
   */
  void load(float[] src, float[] weights, float[] bias, float[] gradDst) {
    Dnnl.write(userSrc, src);
    Dnnl.write(userWeights, weights);
    Dnnl.write(userBias, bias);
    Dnnl.write(userGradDst, gradDst);
    for (dnnl_memory[] pair : inputs) {
      dnnl.reorder(pair[0], pair[1]);
    }
  }

  /** One timed call of {@code pass} ("fwd", "bwd_d", "bwd_w"): the primitive alone, on its own layouts. */
  void run(String pass) {
    switch (pass) {
      case "fwd": dnnl.execute(fwd, fwdArgs); break;
      case "bwd_d": dnnl.execute(bwdData, bwdDataArgs); break;
      case "bwd_w": dnnl.execute(bwdWeights, bwdWeightsArgs); break;
      default: throw new IllegalArgumentException("Cannot run pass '" + pass + "': expected fwd, bwd_d or bwd_w");
    }
  }

  /** oneDNN's implementation name for a pass. */
  String implementation(String pass) {
    return impl["fwd".equals(pass) ? 0 : "bwd_d".equals(pass) ? 1 : 2];
  }

  /** The last forward result, nchw. */
  float[] dst() {
    return plain(fwdDst, Dnnl.desc(dnnl_nchw, n, layer.cout(), layer.ho(), layer.wo()));
  }

  /** The last data gradient, nchw. */
  float[] gradSrc() {
    return plain(bwdDataDiffSrc, Dnnl.desc(dnnl_nchw, n, layer.cin(), layer.h(), layer.w()));
  }

  /** The last weight gradient, (g)oihw. */
  float[] gradWeights() {
    boolean grouped = layer.groups() > 1;
    dnnl_memory_desc md = grouped
        ? Dnnl.desc(dnnl_goihw, layer.groups(), layer.cog(), layer.cig(), layer.kh(), layer.kw())
        : Dnnl.desc(dnnl_oihw, layer.cout(), layer.cin(), layer.kh(), layer.kw());
    return plain(bwdWeightsDiffWeights, md);
  }

  /** The last bias gradient. */
  float[] gradBias() {
    return Dnnl.read(bwdWeightsDiffBias);
  }

  private float[] plain(dnnl_memory m, dnnl_memory_desc plainDesc) {
    dnnl_memory out = dnnl.memory(plainDesc);
    dnnl.reorder(m, out);
    return Dnnl.read(out);
  }
}
