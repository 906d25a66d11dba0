// InstanceNormalization: y = scale[c] * (x - mean) / sqrt(var + epsilon) + B[c], with mean and (population)
// variance taken per instance and channel over the spatial dims of X [N, C, D1, ...].
//
// Versions: 1 (legacy consumed_inputs attribute, ignored), 6, 22 (bfloat16): one kernel, statistics in
// double.
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

void infer_instance_norm(InferContext& ctx) {
  reduce_detail::infer_float_same_as_input(ctx);
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known() && x.rank() < 2) ctx.fail("input must have rank >= 2 (N, C, ...), got rank ", x.rank());
  for (size_t i = 1; i < 3; ++i) {
    const Shape& p = ctx.input_shape(i);
    if (p.rank_known() && p.rank() != 1) ctx.fail("input ", i, " must be 1-D [C], got rank ", p.rank());
  }
}

void run_instance_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2 (N, C, ...), got ", x.describe());
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t inner = reduce_detail::product_from(x.dims(), 2);
  for (const Tensor* p : {&scale, &bias})
    if (p->rank() != 1 || p->dim(0) != c)
      ctx.fail("scale and B must have shape [", c, "], got ", p->describe());
  dispatch_float(scale.dtype(), node.describe(), []<typename T>() {});
  dispatch_float(bias.dtype(), node.describe(), []<typename T>() {});
  const std::vector<double> s = scale.to_double_vector(), b = bias.to_double_vector();
  const double eps = node.attr_float("epsilon", 1e-5f);
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(n * c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const T* p = px + r * inner;
                     double sum = 0;
                     for (int64_t j = 0; j < inner; ++j) sum += to_double(p[j]);
                     const double mean = sum / static_cast<double>(inner);
                     double sq = 0;
                     for (int64_t j = 0; j < inner; ++j) {
                       const double d = to_double(p[j]) - mean;
                       sq += d * d;
                     }
                     const double var = sq / static_cast<double>(inner);
                     const size_t ch = static_cast<size_t>(r % c);
                     const double a = s[ch] / std::sqrt(var + eps);
                     for (int64_t j = 0; j < inner; ++j)
                       py[r * inner + j] = from_double<T>((to_double(p[j]) - mean) * a + b[ch]);
                   }
                 });
  });
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "InstanceNormalization",
                  .since_version = 1,
                  .inputs = {3, 3},
                  .infer = infer_instance_norm,
                  .run = run_instance_norm});

}  // namespace onyx
