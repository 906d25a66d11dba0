// Trilu: keeps the upper (default; j - i >= k) or lower (j - i <= k) triangle of the last two axes, zeroing
// the rest. k is an optional int64 scalar input (default 0).
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void run_trilu(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2, got ", dims_to_string(x.dims()));
  int64_t k = 0;
  if (ctx.has_input(1)) {
    const Tensor& kt = ctx.input(1);
    if (kt.dtype() != DType::kInt64 || kt.numel() != 1)
      ctx.fail("k must be an int64 scalar, got ", kt.describe());
    k = kt.data<int64_t>()[0];
  }
  const bool upper = ctx.node().attr_int("upper", 1) != 0;
  const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  Tensor out(x.dtype(), x.dims());
  dispatch_storage(x.dtype(), "Trilu", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    for (int64_t m = 0; m < mats; ++m)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          const int64_t off = (m * rows + i) * cols + j;
          const bool keep = upper ? j - i >= k : j - i <= k;
          if (keep) dst[off] = src[off];
        }
  });
  ctx.set_output(0, std::move(out));
}

void infer_trilu(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() < 2) ctx.fail("input must have rank >= 2, got ", in.to_string());
  ctx.set_output_type(0, ctx.input_type(0));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Trilu", .since_version = 14, .inputs = {1, 2}, .infer = infer_trilu, .run = run_trilu});

}  // namespace onyx
