// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
//
// NLL: input [N, C, d1, ...] holds log-probabilities, target [N, d1, ...] class indices (int32/int64), weight
// [C] optional. loss = -input[n, target, d...] * weight[target], or 0 where target == ignore_index. reduction
// "none" keeps the loss tensor; "sum" sums it; "mean" (default) divides the sum by the sum of the applied
// weights (the count of non-ignored samples without weights; 0/0 = NaN when every sample is ignored). SCE:
// the same loss over log_prob = LogSoftmax(scores, axis 1), which is the optional second output.
//
// Versions: NLL 12, 13, 22 and SCE 12, 13 differ only in dtypes: one kernel each. Computed in double.
#include <cmath>
#include <limits>

#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;

enum class Reduction { kNone, kSum, kMean };

Reduction parse_reduction(const Node& node) {
  const std::string r = node.attr_string("reduction", "mean");
  if (r == "none") return Reduction::kNone;
  if (r == "sum") return Reduction::kSum;
  if (r == "mean") return Reduction::kMean;
  fail_bad_input(node.describe(), ": reduction must be none, sum or mean, got '", r, "'");
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

void infer_loss(InferContext& ctx) {
  const Node& node = ctx.node();
  const Reduction red = parse_reduction(node);
  const DType t = ctx.input_dtype(0);
  if (t != DType::kUndefined && !is_float(t)) ctx.fail("input 0 must be a float tensor, got ", dtype_name(t));
  const DType lt = ctx.input_dtype(1);
  if (lt != DType::kUndefined && lt != DType::kInt32 && lt != DType::kInt64)
    ctx.fail("target must be int32 or int64, got ", dtype_name(lt));
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() < 2)
    ctx.fail("input must have rank >= 2 (N, C, ...), got rank ", in.rank());
  if (red != Reduction::kNone) {
    ctx.set_output(0, t, Shape());
  } else if (ctx.input_shape(1).rank_known()) {
    ctx.set_output(0, t, ctx.input_shape(1));
  } else if (in.rank_known()) {
    std::vector<Dim> d = in.dims();
    d.erase(d.begin() + 1);
    ctx.set_output(0, t, Shape(std::move(d)));
  } else {
    ctx.set_output_type(0, TypeInfo::tensor(t));
  }
  ctx.set_output_type(1, ctx.input_type(0));  // SCE's log_prob
}

// The loss over log-probabilities `logp` laid out like `dims` [N, C, d...]; returns the output values.
std::vector<double> nll(const KernelContext& ctx, const std::vector<double>& logp,
                        const std::vector<int64_t>& dims, size_t weight_input,
                        std::vector<int64_t>& out_dims) {
  const Node& node = ctx.node();
  const Reduction red = parse_reduction(node);
  const Tensor& target = ctx.input(1);
  if (target.dtype() != DType::kInt32 && target.dtype() != DType::kInt64)
    ctx.fail("target must be int32 or int64, got ", dtype_name(target.dtype()));
  if (dims.size() < 2) ctx.fail("input must have rank >= 2 (N, C, ...), got ", dims_to_string(dims));
  std::vector<int64_t> expect = dims;
  expect.erase(expect.begin() + 1);
  if (target.dims() != expect)
    ctx.fail("target ", target.describe(), " must have shape ", dims_to_string(expect), " for input ",
             dims_to_string(dims));
  const int64_t n = dims[0], c = dims[1];
  const int64_t inner = reduce_detail::product_from(dims, 2);
  std::vector<double> weight;
  if (ctx.has_input(weight_input)) {
    const Tensor& w = ctx.input(weight_input);
    if (!is_float(w.dtype())) ctx.fail("weight must be a float tensor, got ", dtype_name(w.dtype()));
    if (w.rank() != 1 || w.dim(0) != c) ctx.fail("weight must have shape [", c, "], got ", w.describe());
    weight = w.to_double_vector();
  }
  const bool has_ignore = node.has_attr("ignore_index");
  const int64_t ignore = node.attr_int("ignore_index", 0);
  const std::vector<int64_t> labels = target.to_int64_vector();
  std::vector<double> loss(labels.size(), 0.0);
  double weight_sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < inner; ++j) {
      const size_t at = static_cast<size_t>(i * inner + j);
      const int64_t label = labels[at];
      if (has_ignore && label == ignore) continue;
      if (label < 0 || label >= c) ctx.fail("target value ", label, " is out of range [0, ", c, ")");
      const double w = weight.empty() ? 1.0 : weight[static_cast<size_t>(label)];
      loss[at] = -logp[static_cast<size_t>((i * c + label) * inner + j)] * w;
      weight_sum += w;
    }
  }
  if (red == Reduction::kNone) {
    out_dims = expect;
    return loss;
  }
  double sum = 0;
  for (double v : loss) sum += v;
  out_dims = {};
  return {red == Reduction::kSum ? sum : sum / weight_sum};
}

Tensor make_output(DType dtype, const std::vector<int64_t>& dims, const std::vector<double>& vals,
                   const Node& node) {
  Tensor t(dtype, dims);
  dispatch_float(dtype, node.describe(), [&]<typename T>() {
    T* p = t.data<T>();
    for (size_t i = 0; i < vals.size(); ++i) p[i] = from_double<T>(vals[i]);
  });
  return t;
}

void run_nll(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!is_float(x.dtype()))
    fail_unsupported(ctx.node().describe(), ": dtype ", dtype_name(x.dtype()), " is not supported");
  std::vector<int64_t> out_dims;
  const std::vector<double> loss = nll(ctx, x.to_double_vector(), x.dims(), 2, out_dims);
  ctx.set_output(0, make_output(x.dtype(), out_dims, loss, ctx.node()));
}

void run_sce(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!is_float(x.dtype()))
    fail_unsupported(ctx.node().describe(), ": dtype ", dtype_name(x.dtype()), " is not supported");
  if (x.rank() < 2) ctx.fail("scores must have rank >= 2 (N, C, ...), got ", x.describe());
  // log_prob = LogSoftmax over the class axis 1.
  std::vector<double> logp = x.to_double_vector();
  const auto s = reduce_detail::split_at_axis(x.dims(), 1);
  for (int64_t r = 0; r < s.outer * s.inner; ++r) {
    const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
    if (s.n == 0) continue;
    double m = logp[static_cast<size_t>(base)];
    for (int64_t j = 1; j < s.n; ++j) m = std::max(m, logp[static_cast<size_t>(base + j * s.inner)]);
    double sum = 0;
    for (int64_t j = 0; j < s.n; ++j) sum += std::exp(logp[static_cast<size_t>(base + j * s.inner)] - m);
    const double shift = m + std::log(sum);
    for (int64_t j = 0; j < s.n; ++j) logp[static_cast<size_t>(base + j * s.inner)] -= shift;
  }
  std::vector<int64_t> out_dims;
  const std::vector<double> loss = nll(ctx, logp, x.dims(), 2, out_dims);
  ctx.set_output(0, make_output(x.dtype(), out_dims, loss, ctx.node()));
  if (ctx.output_wanted(1)) ctx.set_output(1, make_output(x.dtype(), x.dims(), logp, ctx.node()));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "NegativeLogLikelihoodLoss",
                  .since_version = 12,
                  .inputs = {2, 3},
                  .infer = infer_loss,
                  .run = run_nll});
ONYX_REGISTER_OP({.op_type = "SoftmaxCrossEntropyLoss",
                  .since_version = 12,
                  .inputs = {2, 3},
                  .outputs = {1, 2},
                  .infer = infer_loss,
                  .run = run_sce});

}  // namespace onyx
