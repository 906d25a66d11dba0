// ConvInteger (opset 10): Conv of (x - x_zero_point) and (w - w_zero_point) with int32 output. x_zero_point is
// per tensor; w_zero_point per tensor or per output channel. Padded positions hold x_zero_point (0 after the
// shift). Computed exactly with the double im2col + gemm path.
#include "nn_util.h"

namespace onyx {
namespace {

void run_conv_integer(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  nn::dispatch_int8(x.dtype(), node.describe(), []<typename T>() {});
  nn::dispatch_int8(w.dtype(), node.describe(), []<typename T>() {});
  const nn::ConvShape s = nn::conv_shape(ctx, false, 1, -1);
  const Tensor* xzp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const Tensor* wzp = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  if (xzp && (xzp->numel() != 1 || xzp->rank() > 1)) ctx.fail("x_zero_point must be a scalar, got ", xzp->describe());
  const std::vector<double> xd = nn::shift_to_double(node, x, xzp, 1, 1, "x");
  const int64_t per_m = s.m ? w.numel() / s.m : 1;
  const std::vector<double> wd = nn::shift_to_double(node, w, wzp, std::max<int64_t>(1, per_m), s.m, "w");
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  Tensor yd(DType::kFloat64, out_dims);
  nn::conv_gemm<double>(s, xd.data(), wd.data(), nullptr, yd.data<double>());
  Tensor y(DType::kInt32, out_dims);
  int32_t* yv = y.data<int32_t>();
  const double* src = yd.data<double>();
  for (int64_t i = 0; i < y.numel(); ++i) yv[i] = static_cast<int32_t>(src[i]);
  ctx.set_output(0, std::move(y));
}

void infer_conv_integer(InferContext& ctx) { ctx.set_output(0, DType::kInt32, nn::infer_conv_shape(ctx, 1)); }

}  // namespace

ONYX_REGISTER_OP({.op_type = "ConvInteger", .since_version = 10, .inputs = {2, 4}, .infer = infer_conv_integer,
                  .run = run_conv_integer});

}  // namespace onyx
