// MeanVarianceNormalization: Y = (X - E[X]) / (sqrt(E[(X - E[X])^2]) + 1e-9), the expectations taken over
// `axes` (default [0, 2, 3]: per channel of an NCHW tensor). The epsilon is added to the standard deviation,
// as in the spec's function body. Statistics are computed in double, the variance in two passes (never
// negative).
//
// Versions: 9, 13 (bfloat16, negative axes): one kernel.
#include <algorithm>
#include <cmath>

#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

// X's dims with every reduced axis set to 1 (the shape of the statistics).
std::vector<int64_t> stat_dims(const Node& node, const std::vector<int64_t>& dims) {
  const int64_t rank = static_cast<int64_t>(dims.size());
  std::vector<int64_t> out = dims;
  std::vector<bool> seen(dims.size(), false);
  for (int64_t a : node.attr_ints("axes", {0, 2, 3})) {
    const size_t k = static_cast<size_t>(normalize_axis(a, rank, node));
    if (seen[k]) fail_bad_input(node.describe(), ": axis ", a, " is listed twice in axes");
    seen[k] = true;
    out[k] = 1;
  }
  return out;
}

void infer_mvn(InferContext& ctx) {
  reduce_detail::infer_float_same_as_input(ctx);
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known()) stat_dims(ctx.node(), std::vector<int64_t>(x.rank(), 1));
}

void run_mvn(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> sdims = stat_dims(node, x.dims());
  const int64_t stats = checked_numel(sdims);
  const double count = stats == 0 ? 0.0 : static_cast<double>(x.numel()) / static_cast<double>(stats);
  std::vector<double> mean(static_cast<size_t>(stats), 0.0), sq(static_cast<size_t>(stats), 0.0);
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const std::array<std::vector<int64_t>, 1> in{sdims};
    for_each_broadcast<1>(x.dims(), in,
                          [&](int64_t i, int64_t s) { mean[static_cast<size_t>(s)] += to_double(px[i]); });
    for (double& m : mean) m /= count;
    for_each_broadcast<1>(x.dims(), in, [&](int64_t i, int64_t s) {
      const double d = to_double(px[i]) - mean[static_cast<size_t>(s)];
      sq[static_cast<size_t>(s)] += d * d;
    });
    std::vector<double> denom(sq.size());
    for (size_t k = 0; k < sq.size(); ++k) denom[k] = std::sqrt(sq[k] / count) + 1e-9;
    for_each_broadcast<1>(x.dims(), in, [&](int64_t i, int64_t s) {
      const size_t k = static_cast<size_t>(s);
      py[i] = from_double<T>((to_double(px[i]) - mean[k]) / denom[k]);
    });
  });
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "MeanVarianceNormalization",
                  .since_version = 9,
                  .inputs = {1, 1},
                  .infer = infer_mvn,
                  .run = run_mvn});

}  // namespace onyx
