// Conv (opsets 1, 11, 22): N-D convolution with groups, strides, dilations, pads and auto_pad. Each (batch item,
// group) is one gemm: W_g [M/g, C/g * k] x im2col(X_g) [C/g * k, out]; a 1x1 stride-1 unpadded conv skips im2col.
// float16/bfloat16 compute in float32 and round once.
#include "nn_util.h"

namespace onyx {
namespace {

void run_conv(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const nn::ConvShape s = nn::conv_shape(ctx, true);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      Tensor y(x.dtype(), out_dims);
      nn::conv_gemm<T>(s, x.data<T>(), ctx.input(1).data<T>(), ctx.has_input(2) ? ctx.input(2).data<T>() : nullptr,
                     y.data<T>());
      ctx.set_output(0, std::move(y));
    } else {
      const Tensor xf = x.cast(DType::kFloat32), wf = ctx.input(1).cast(DType::kFloat32);
      Tensor bf;
      if (ctx.has_input(2)) bf = ctx.input(2).cast(DType::kFloat32);
      Tensor y(DType::kFloat32, out_dims);
      nn::conv_gemm<float>(s, xf.data<float>(), wf.data<float>(), bf.is_valid() ? bf.data<float>() : nullptr,
                         y.data<float>());
      ctx.set_output(0, y.cast(x.dtype()));
    }
  });
}

void infer_conv(InferContext& ctx) { ctx.set_output(0, ctx.input_dtype(0), nn::infer_conv_shape(ctx, 1)); }

}  // namespace

ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 1, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});
ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 11, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});
ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 22, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});

}  // namespace onyx
