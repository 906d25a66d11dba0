// MatMul (opsets 1, 9, 13): numpy matmul — 1-D operands are promoted (and the added dim removed), batch dims
// broadcast. Floats go through gemm (float16/bfloat16 in float32, rounded once); integers use a plain loop that
// wraps like the storage type.
#include "../core/gemm.h"
#include "nn_util.h"

namespace onyx {
namespace {

template <typename T>  // integers
void matmul_int(const nn::MatMulPlan& p, const T* a, const T* b, T* y) {
  using Acc = std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>;
  using UAcc = uint64_t;  // wrap-around accumulation without signed overflow
  std::vector<UAcc> row(static_cast<size_t>(p.n));
  nn::for_each_batch(p, [&](int64_t bi, int64_t ia, int64_t ib) {
    const T* am = a + ia * p.m * p.k;
    const T* bm = b + ib * p.k * p.n;
    T* ym = y + bi * p.m * p.n;
    for (int64_t i = 0; i < p.m; ++i) {
      std::fill(row.begin(), row.end(), UAcc(0));
      for (int64_t kk = 0; kk < p.k; ++kk) {
        const UAcc av = static_cast<UAcc>(static_cast<Acc>(am[i * p.k + kk]));
        const T* br = bm + kk * p.n;
        for (int64_t j = 0; j < p.n; ++j) row[static_cast<size_t>(j)] += av * static_cast<UAcc>(static_cast<Acc>(br[j]));
      }
      for (int64_t j = 0; j < p.n; ++j) ym[i * p.n + j] = static_cast<T>(row[static_cast<size_t>(j)]);
    }
  });
}

void run_matmul(KernelContext& ctx) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != b.dtype())
    ctx.fail("operand dtypes differ: ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const nn::MatMulPlan p = nn::plan_matmul(ctx.node(), a.dims(), b.dims());
  dispatch_numeric(a.dtype(), ctx.node().describe(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      Tensor y(a.dtype(), p.out_dims);
      nn::matmul_gemm<T>(p, a.data<T>(), b.data<T>(), y.data<T>());
      ctx.set_output(0, std::move(y));
    } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      const Tensor af = a.cast(DType::kFloat32), bf = b.cast(DType::kFloat32);
      Tensor y(DType::kFloat32, p.out_dims);
      nn::matmul_gemm<float>(p, af.data<float>(), bf.data<float>(), y.data<float>());
      ctx.set_output(0, y.cast(a.dtype()));
    } else {
      Tensor y(a.dtype(), p.out_dims);
      matmul_int<T>(p, a.data<T>(), b.data<T>(), y.data<T>());
      ctx.set_output(0, std::move(y));
    }
  });
}

void infer_matmul(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  if (ctx.input_dtype(1) != dt)
    ctx.fail("operand dtypes differ: ", dtype_name(dt), " and ", dtype_name(ctx.input_dtype(1)));
  ctx.set_output(0, dt, nn::infer_matmul_shape(ctx, 0, 1));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "MatMul", .since_version = 1, .inputs = {2, 2}, .infer = infer_matmul, .run = run_matmul});
ONYX_REGISTER_OP({.op_type = "MatMul", .since_version = 9, .inputs = {2, 2}, .infer = infer_matmul, .run = run_matmul});
ONYX_REGISTER_OP({.op_type = "MatMul", .since_version = 13, .inputs = {2, 2}, .infer = infer_matmul, .run = run_matmul});

}  // namespace onyx
