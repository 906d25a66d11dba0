// LayerNormalization (opset 17): normalizes X over its dims [axis, rank), then Y = Normalized * Scale + B.
// Optional outputs Mean and InvStdDev = 1 / sqrt(var + epsilon) have X's shape with dims [axis, rank) set to
// 1 and the float type named by stash_type (default float32). Statistics are computed in double (at least the
// precision stash_type asks for). Scale and B broadcast unidirectionally to X (normally they have shape
// X.dims[axis:]).
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

void infer_layer_norm(InferContext& ctx) {
  const Node& node = ctx.node();
  reduce_detail::infer_float_same_as_input(ctx);
  const DType stash = reduce_detail::stash_dtype(node);
  const Shape& x = ctx.input_shape(0);
  if (!x.rank_known()) {
    for (size_t i = 1; i < 3; ++i) ctx.set_output_type(i, TypeInfo::tensor(stash));
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t axis = normalize_axis(node.attr_int("axis", -1), rank, node);
  std::vector<Dim> stat = x.dims();
  for (size_t i = static_cast<size_t>(axis); i < stat.size(); ++i) stat[i] = Dim(1);
  for (size_t i = 1; i < 3; ++i) ctx.set_output(i, stash, Shape(stat));
}

void run_layer_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const size_t axis = static_cast<size_t>(normalize_axis(node.attr_int("axis", -1), rank, node));
  const double eps = node.attr_float("epsilon", 1e-5f);
  const DType stash = reduce_detail::stash_dtype(node);
  int64_t outer = 1;
  for (size_t i = 0; i < axis; ++i) outer *= x.dim(i);
  const int64_t inner = reduce_detail::product_from(x.dims(), axis);
  dispatch_float(ctx.input(1).dtype(), node.describe(), []<typename T>() {});
  const auto scale = reduce_detail::broadcast_param(ctx.input(1), x.dims(), axis, node, "Scale");
  reduce_detail::NormParam bias;
  const bool has_bias = ctx.has_input(2);
  if (has_bias) {
    dispatch_float(ctx.input(2).dtype(), node.describe(), []<typename T>() {});
    bias = reduce_detail::broadcast_param(ctx.input(2), x.dims(), axis, node, "B");
  }
  std::vector<int64_t> stat_dims = x.dims();
  for (size_t i = axis; i < stat_dims.size(); ++i) stat_dims[i] = 1;
  std::vector<double> means(static_cast<size_t>(outer)), inv_std(static_cast<size_t>(outer));
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(outer, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)),
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
                     const double inv = 1.0 / std::sqrt(sq / static_cast<double>(inner) + eps);
                     means[static_cast<size_t>(r)] = mean;
                     inv_std[static_cast<size_t>(r)] = inv;
                     for (int64_t j = 0; j < inner; ++j) {
                       const int64_t flat = r * inner + j;
                       double v = (to_double(p[j]) - mean) * inv * scale.at(flat, j);
                       if (has_bias) v += bias.at(flat, j);
                       py[flat] = from_double<T>(v);
                     }
                   }
                 });
  });
  ctx.set_output(0, std::move(y));
  auto stats = [&](const std::vector<double>& vals) {
    Tensor t(stash, stat_dims);
    dispatch_float(stash, node.describe(), [&]<typename T>() {
      T* p = t.data<T>();
      for (size_t i = 0; i < vals.size(); ++i) p[i] = from_double<T>(vals[i]);
    });
    return t;
  };
  if (ctx.output_wanted(1)) ctx.set_output(1, stats(means));
  if (ctx.output_wanted(2)) ctx.set_output(2, stats(inv_std));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "LayerNormalization",
                  .since_version = 17,
                  .inputs = {2, 3},
                  .outputs = {1, 3},
                  .infer = infer_layer_norm,
                  .run = run_layer_norm});

}  // namespace onyx
