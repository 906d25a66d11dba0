// RMSNormalization (opset 23): Y = X / sqrt(mean(X^2 over dims [axis, rank)) + epsilon) * scale. Scale
// broadcasts unidirectionally to X (normally it has shape X.dims[axis:]); Y has scale's type (the spec's V).
// The mean square is computed in double (at least the precision stash_type asks for).
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

void infer_rms_norm(InferContext& ctx) {
  const Node& node = ctx.node();
  reduce_detail::infer_float_same_as_input(ctx);
  reduce_detail::stash_dtype(node);
  const DType st = ctx.input_dtype(1);
  if (st != DType::kUndefined && !dtype_is_float(st))
    ctx.fail("scale must be a float tensor, got ", dtype_name(st));
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known()) normalize_axis(node.attr_int("axis", -1), static_cast<int64_t>(x.rank()), node);
  if (st != DType::kUndefined) ctx.set_output(0, st, x);
}

void run_rms_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale_t = ctx.input(1);
  reduce_detail::stash_dtype(node);
  const size_t axis =
      static_cast<size_t>(normalize_axis(node.attr_int("axis", -1), static_cast<int64_t>(x.rank()), node));
  const double eps = node.attr_float("epsilon", 1e-5f);
  dispatch_float(scale_t.dtype(), node.describe(), []<typename T>() {});
  const auto scale = reduce_detail::broadcast_param(scale_t, x.dims(), axis, node, "scale");
  int64_t outer = 1;
  for (size_t i = 0; i < axis; ++i) outer *= x.dim(i);
  const int64_t inner = reduce_detail::product_from(x.dims(), axis);
  Tensor y(scale_t.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    dispatch_float(y.dtype(), node.describe(), [&]<typename Y>() {
      Y* py = y.data<Y>();
      parallel_for(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t r = begin; r < end; ++r) {
                       const T* p = px + r * inner;
                       double sq = 0;
                       for (int64_t j = 0; j < inner; ++j) {
                         const double v = to_double(p[j]);
                         sq += v * v;
                       }
                       const double inv = 1.0 / std::sqrt(sq / static_cast<double>(inner) + eps);
                       for (int64_t j = 0; j < inner; ++j) {
                         const int64_t flat = r * inner + j;
                         py[flat] = from_double<Y>(to_double(p[j]) * inv * scale.at(flat, j));
                       }
                     }
                   });
    });
  });
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "RMSNormalization",
                  .since_version = 23,
                  .inputs = {2, 2},
                  .infer = infer_rms_norm,
                  .run = run_rms_norm});

}  // namespace onyx
