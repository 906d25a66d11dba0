// LpNormalization: y = x / ||x||_p along `axis` (default -1), p = 1 or 2 (default 2). The norm is accumulated
// in double; a zero norm gives 0/0 = NaN like the formula.
//
// Versions: 1, 22 (bfloat16): one kernel.
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

int64_t order(const Node& node) {
  const int64_t p = node.attr_int("p", 2);
  if (p != 1 && p != 2) fail_bad_input(node.describe(), ": p must be 1 or 2, got ", p);
  return p;
}

void infer_lp_norm(InferContext& ctx) {
  reduce_detail::infer_float_same_as_input(ctx);
  order(ctx.node());
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known())
    normalize_axis(ctx.node().attr_int("axis", -1), static_cast<int64_t>(x.rank()), ctx.node());
}

void run_lp_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const int64_t p = order(node);
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), static_cast<int64_t>(x.rank()), node);
  const auto s = reduce_detail::split_at_axis(x.dims(), axis);
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(s.outer * s.inner, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.n)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
                     double acc = 0;
                     for (int64_t j = 0; j < s.n; ++j) {
                       const double v = to_double(px[base + j * s.inner]);
                       acc += p == 1 ? std::fabs(v) : v * v;
                     }
                     const double norm = p == 1 ? acc : std::sqrt(acc);
                     for (int64_t j = 0; j < s.n; ++j)
                       py[base + j * s.inner] = from_double<T>(to_double(px[base + j * s.inner]) / norm);
                   }
                 });
  });
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "LpNormalization",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_lp_norm,
                  .run = run_lp_norm});

}  // namespace onyx
