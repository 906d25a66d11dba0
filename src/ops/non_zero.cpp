// NonZero: the indices of the non-zero elements, int64 [rank, count], in row-major order (a scalar counts as
// 1-D).
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void run_non_zero(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::vector<int64_t> dims = x.dims();
  if (dims.empty()) dims = {1};
  const size_t rank = dims.size();
  std::vector<int64_t> flat;  // flat positions of the non-zeros
  dispatch_numeric_bool(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    const T* p = x.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i)
      if (static_cast<compute_t<T>>(p[i]) != compute_t<T>(0)) flat.push_back(i);
  });
  const int64_t n = static_cast<int64_t>(flat.size());
  Tensor out(DType::kInt64, {static_cast<int64_t>(rank), n});
  int64_t* o = out.data<int64_t>();
  for (int64_t k = 0; k < n; ++k) {
    int64_t rem = flat[static_cast<size_t>(k)];
    for (size_t d = rank; d-- > 0;) {
      o[static_cast<int64_t>(d) * n + k] = rem % dims[d];
      rem /= dims[d];
    }
  }
  ctx.set_output(0, std::move(out));
}

void infer_non_zero(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  const Dim rank = in.rank_known() ? Dim(static_cast<int64_t>(std::max<size_t>(in.rank(), 1))) : Dim();
  ctx.set_output(0, DType::kInt64, Shape(std::vector<Dim>{rank, Dim()}));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "NonZero",
                  .since_version = 9,
                  .inputs = {1, 1},
                  .infer = infer_non_zero,
                  .run = run_non_zero});

}  // namespace onyx
