// QLinearConv (opset 10) and QLinearMatMul (opsets 10, 21): quantized conv/matmul.
//
//   acc = sum((x - x_zp) * (w - w_zp)) [+ B]     (exact, through the double im2col/gemm path)
//   y   = saturate(round_half_even(acc * x_scale * w_scale / y_scale) + y_zp)
//
// QLinearConv: w_scale/w_zero_point per tensor or per output channel. QLinearMatMul: a's scale/zero point per
// tensor or per row, b's per tensor or per column. The output dtype is y_zero_point's.
#include "nn_util.h"

namespace onyx {
namespace {

// y_zero_point: a scalar of int8/uint8; returns (dtype, value).
std::pair<DType, double> output_zero_point(const KernelContext& ctx, size_t i) {
  const Tensor& z = ctx.input(i);
  nn::dispatch_int8(z.dtype(), ctx.node().describe(), []<typename T>() {});
  if (z.numel() != 1 || z.rank() > 1) ctx.fail("y_zero_point must be a scalar, got ", z.describe());
  return {z.dtype(), z.get_double(0)};
}

Tensor requantize(const std::vector<int64_t>& dims, DType out_t, const double* acc, int64_t inner, int64_t count,
                  const std::vector<double>& mult, double zp, const std::vector<double>* mult_b = nullptr,
                  int64_t n_cols = 1) {
  Tensor y(out_t, dims);
  nn::dispatch_int8(out_t, "requantize", [&]<typename Q>() {
    Q* yv = y.data<Q>();
    for (int64_t e = 0; e < y.numel(); ++e) {
      double m = mult.size() == 1 ? mult[0] : mult[static_cast<size_t>((e / inner) % count)];
      if (mult_b && mult_b->size() > 1) m *= (*mult_b)[static_cast<size_t>(e % n_cols)];
      else if (mult_b) m *= (*mult_b)[0];
      yv[e] = nn::saturate_int<Q>(nn::round_half_even(acc[e] * m) + zp);
    }
  });
  return y;
}

void run_qlinear_conv(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(3);
  nn::dispatch_int8(x.dtype(), node.describe(), []<typename T>() {});
  nn::dispatch_int8(w.dtype(), node.describe(), []<typename T>() {});
  const nn::ConvShape s = nn::conv_shape(ctx, false, 3, -1);
  const std::vector<double> xs = nn::scale_vector(node, ctx.input(1), 1, "x_scale");
  const std::vector<double> ws = nn::scale_vector(node, ctx.input(4), s.m, "w_scale");
  const std::vector<double> ys = nn::scale_vector(node, ctx.input(6), 1, "y_scale");
  const auto [out_t, yzp] = output_zero_point(ctx, 7);
  const Tensor& xzp = ctx.input(2);
  if (xzp.numel() != 1 || xzp.rank() > 1) ctx.fail("x_zero_point must be a scalar, got ", xzp.describe());
  const std::vector<double> xd = nn::shift_to_double(node, x, &xzp, 1, 1, "x");
  const int64_t per_m = s.m ? w.numel() / s.m : 1;
  const std::vector<double> wd = nn::shift_to_double(node, w, &ctx.input(5), std::max<int64_t>(1, per_m), s.m, "w");
  std::vector<double> bias;
  if (ctx.has_input(8)) {
    const Tensor& b = ctx.input(8);
    if (b.dtype() != DType::kInt32 || b.rank() != 1 || b.dim(0) != s.m)
      ctx.fail("B must be int32 of shape [", s.m, "], got ", b.describe());
    bias = b.cast(DType::kFloat64).to_double_vector();
  }
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  Tensor acc(DType::kFloat64, out_dims);
  nn::conv_gemm<double>(s, xd.data(), wd.data(), bias.empty() ? nullptr : bias.data(), acc.data<double>());
  std::vector<double> mult(ws.size());
  for (size_t i = 0; i < ws.size(); ++i) mult[i] = xs[0] * ws[i] / ys[0];
  ctx.set_output(0, requantize(out_dims, out_t, acc.data<double>(), std::max<int64_t>(1, s.geom.out_size()), s.m,
                               mult, yzp));
}

void infer_qlinear_conv(InferContext& ctx) {
  const DType t = ctx.has_input(7) ? ctx.input_dtype(7) : DType::kUInt8;
  ctx.set_output(0, t, nn::infer_conv_shape(ctx, 3));
}

void run_qlinear_matmul(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(3);
  nn::dispatch_int8(a.dtype(), node.describe(), []<typename T>() {});
  nn::dispatch_int8(b.dtype(), node.describe(), []<typename T>() {});
  const nn::MatMulPlan p = nn::plan_matmul(node, a.dims(), b.dims());
  const std::vector<double> as = nn::scale_vector(node, ctx.input(1), p.m, "a_scale");
  const std::vector<double> bs = nn::scale_vector(node, ctx.input(4), p.n, "b_scale");
  const std::vector<double> ys = nn::scale_vector(node, ctx.input(6), 1, "y_scale");
  const auto [out_t, yzp] = output_zero_point(ctx, 7);
  const std::vector<double> ad = nn::shift_to_double(node, a, &ctx.input(2), std::max<int64_t>(1, p.k), p.m, "a");
  const std::vector<double> bd = nn::shift_to_double(node, b, &ctx.input(5), 1, p.n, "b");
  Tensor acc(DType::kFloat64, p.out_dims);
  nn::matmul_gemm<double>(p, ad.data(), bd.data(), acc.data<double>());
  std::vector<double> mult(as.size());
  for (size_t i = 0; i < as.size(); ++i) mult[i] = as[i] / ys[0];
  ctx.set_output(0, requantize(p.out_dims, out_t, acc.data<double>(), std::max<int64_t>(1, p.n), p.m, mult, yzp, &bs,
                               std::max<int64_t>(1, p.n)));
}

void infer_qlinear_matmul(InferContext& ctx) {
  ctx.set_output(0, ctx.input_dtype(7), nn::infer_matmul_shape(ctx, 0, 3));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "QLinearConv", .since_version = 10, .inputs = {8, 9}, .infer = infer_qlinear_conv,
                  .run = run_qlinear_conv});
ONYX_REGISTER_OP({.op_type = "QLinearMatMul", .since_version = 10, .inputs = {8, 8}, .infer = infer_qlinear_matmul,
                  .run = run_qlinear_matmul});
ONYX_REGISTER_OP({.op_type = "QLinearMatMul", .since_version = 21, .inputs = {8, 8}, .infer = infer_qlinear_matmul,
                  .run = run_qlinear_matmul});

}  // namespace onyx
