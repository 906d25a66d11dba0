// MatMulInteger (opset 10): numpy matmul of (A - a_zero_point) and (B - b_zero_point) with int32 output.
// a_zero_point is per tensor or per row of A ([M]); b_zero_point per tensor or per column of B ([N]). Exact via a
// double gemm.
#include "nn_util.h"

namespace onyx {
namespace {

void run_matmul_integer(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  nn::dispatch_int8(a.dtype(), node.describe(), []<typename T>() {});
  nn::dispatch_int8(b.dtype(), node.describe(), []<typename T>() {});
  const nn::MatMulPlan p = nn::plan_matmul(node, a.dims(), b.dims());
  const std::vector<double> ad =
      nn::shift_to_double(node, a, ctx.has_input(2) ? &ctx.input(2) : nullptr, std::max<int64_t>(1, p.k), p.m, "a");
  const std::vector<double> bd = nn::shift_to_double(node, b, ctx.has_input(3) ? &ctx.input(3) : nullptr, 1, p.n, "b");
  Tensor yd(DType::kFloat64, p.out_dims);
  nn::matmul_gemm<double>(p, ad.data(), bd.data(), yd.data<double>());
  Tensor y(DType::kInt32, p.out_dims);
  int32_t* yv = y.data<int32_t>();
  const double* src = yd.data<double>();
  for (int64_t i = 0; i < y.numel(); ++i) yv[i] = static_cast<int32_t>(src[i]);
  ctx.set_output(0, std::move(y));
}

void infer_matmul_integer(InferContext& ctx) { ctx.set_output(0, DType::kInt32, nn::infer_matmul_shape(ctx, 0, 1)); }

}  // namespace

ONYX_REGISTER_OP({.op_type = "MatMulInteger", .since_version = 10, .inputs = {2, 4}, .infer = infer_matmul_integer,
                  .run = run_matmul_integer});

}  // namespace onyx
