// GroupNormalization: X [N, C, D1, ...] is split into num_groups groups of C / num_groups channels; each
// (instance, group) is normalized with its own mean and population variance, then y = scale * x_hat + bias.
//
// Versions: 18 takes scale and bias per group (shape [num_groups]); 21 takes them per channel (shape [C]) and
// adds stash_type (statistics here are always computed in double, at least the precision it asks for).
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

int64_t num_groups(const Node& node) {
  const int64_t g = node.attr_int("num_groups");
  if (g <= 0) fail_bad_input(node.describe(), ": num_groups must be positive, got ", g);
  return g;
}

void infer_group_norm(InferContext& ctx) {
  reduce_detail::infer_float_same_as_input(ctx);
  const Node& node = ctx.node();
  const int64_t g = num_groups(node);
  if (node.opset >= 21) reduce_detail::stash_dtype(node);
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) return;
  if (x.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, ...), got rank ", x.rank());
  if (x[1].is_known() && x[1].value() % g != 0)
    ctx.fail("the channel count ", x[1].value(), " is not divisible by num_groups ", g);
}

void run_group_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  const int64_t g = num_groups(node);
  if (node.opset >= 21) reduce_detail::stash_dtype(node);
  if (x.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, ...), got ", x.describe());
  const int64_t n = x.dim(0), c = x.dim(1);
  if (c % g != 0) ctx.fail("the channel count ", c, " is not divisible by num_groups ", g);
  const bool per_channel = node.opset >= 21;
  const int64_t params = per_channel ? c : g;
  for (const Tensor* p : {&scale, &bias}) {
    dispatch_float(p->dtype(), node.describe(), []<typename T>() {});
    if (p->rank() != 1 || p->dim(0) != params)
      ctx.fail("scale and bias must have shape [", params, "] (",
               per_channel ? "one per channel" : "one per group", " at opset ", node.opset, "), got ",
               p->describe());
  }
  const std::vector<double> s = scale.to_double_vector(), b = bias.to_double_vector();
  const double eps = node.attr_float("epsilon", 1e-5f);
  const int64_t channels_per_group = c / g;
  const int64_t spatial = reduce_detail::product_from(x.dims(), 2);
  const int64_t group_size = channels_per_group * spatial;
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(n * g, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, group_size)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t group = r % g;
                     const T* p = px + r * group_size;
                     double sum = 0;
                     for (int64_t j = 0; j < group_size; ++j) sum += to_double(p[j]);
                     const double mean = sum / static_cast<double>(group_size);
                     double sq = 0;
                     for (int64_t j = 0; j < group_size; ++j) {
                       const double d = to_double(p[j]) - mean;
                       sq += d * d;
                     }
                     const double inv = 1.0 / std::sqrt(sq / static_cast<double>(group_size) + eps);
                     for (int64_t k = 0; k < channels_per_group; ++k) {
                       const size_t pi =
                           static_cast<size_t>(per_channel ? group * channels_per_group + k : group);
                       const double a = inv * s[pi], add = b[pi];
                       for (int64_t j = 0; j < spatial; ++j) {
                         const int64_t at = k * spatial + j;
                         py[r * group_size + at] = from_double<T>((to_double(p[at]) - mean) * a + add);
                       }
                     }
                   }
                 });
  });
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "GroupNormalization",
                  .since_version = 18,
                  .inputs = {3, 3},
                  .infer = infer_group_norm,
                  .run = run_group_norm});
ONYX_REGISTER_OP({.op_type = "GroupNormalization",
                  .since_version = 21,
                  .inputs = {3, 3},
                  .infer = infer_group_norm,
                  .run = run_group_norm});

}  // namespace onyx
