// BatchNormalization: Y = (X - mean) / sqrt(var + epsilon) * scale + B over X of shape [N, C, D1, ...].
//
// Versions:
//  1, 6  attributes is_test (default 0), spatial (default 1), consumed_inputs (legacy, ignored); outputs Y
//  and the
//        optional mean, var, saved_mean, saved_var. is_test = 0 with extra outputs is training.
//  7, 9  is_test removed: training when any output past Y is connected; spatial removed in 9.
//  14    training_mode attribute; outputs Y, running_mean, running_var (training only). 15: scale/B and
//  mean/var may
//        have their own float types.
// Inference uses the given mean/var. Training uses the batch mean and population variance over every axis but
// the channel, and reports running_mean = mean * momentum + batch_mean * (1 - momentum) (likewise var); the
// old versions' saved_mean / saved_var are the batch mean and variance. With spatial = 0 (versions < 9) the
// parameters have shape [C, D1, ...] (one per activation) and statistics are taken over N only.
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

// Training when the version's rule says so.
bool training(const Node& node, size_t wanted_outputs) {
  if (node.opset >= 14) return node.attr_int("training_mode", 0) != 0;
  if (node.opset < 7 && node.attr_int("is_test", 0) != 0) return false;
  return wanted_outputs > 1;
}

bool spatial(const Node& node) {
  return node.opset >= 9 || node.attr_int("spatial", 1) != 0;
}

void infer_batch_norm(InferContext& ctx) {
  const Node& node = ctx.node();
  for (size_t i = 0; i < 5; ++i) {
    const DType t = ctx.input_dtype(i);
    if (t != DType::kUndefined && !is_float(t))
      ctx.fail("input ", i, " must be a float tensor, got ", dtype_name(t));
  }
  const Shape& x = ctx.input_shape(0);
  if (x.rank_known() && x.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, ...), got rank ", x.rank());
  if (node.opset >= 14 && node.attr_int("training_mode", 0) == 0 && ctx.num_outputs() > 1) {
    for (size_t i = 1; i < node.num_outputs(); ++i)
      if (node.output(i)) ctx.fail("outputs past Y are only valid with training_mode = 1");
  }
  ctx.set_output_type(0, ctx.input_type(0));
  // Running/saved statistics have the parameters' shape and the mean/var type.
  const TypeInfo& mean_type = ctx.input_type(3);
  for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.set_output_type(i, mean_type);
}

void run_batch_norm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor& bias = ctx.input(2);
  const Tensor& mean = ctx.input(3);
  const Tensor& var = ctx.input(4);
  for (size_t i = 0; i < 5; ++i)
    if (!is_float(ctx.input(i).dtype()))
      fail_unsupported(node.describe(), ": input ", i, " dtype ", dtype_name(ctx.input(i).dtype()),
                       " is not supported");
  if (x.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, ...), got ", x.describe());
  const double eps = node.attr_float("epsilon", 1e-5f);
  const double momentum = node.attr_float("momentum", 0.9f);
  size_t wanted = 0;
  for (size_t i = 0; i < node.num_outputs(); ++i)
    if (ctx.output_wanted(i)) wanted = i + 1;
  const bool train = training(node, wanted);
  if (node.opset >= 14 && !train && wanted > 1)
    ctx.fail("outputs past Y are only valid with training_mode = 1");

  // Layout [N, units, inner]: one parameter per channel (inner = spatial size) or per activation (inner = 1).
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t spatial_size = reduce_detail::product_from(x.dims(), 2);
  int64_t units = c, inner = spatial_size;
  if (!spatial(node)) {
    units = c * spatial_size;
    inner = 1;
  }
  for (const Tensor* p : {&scale, &bias, &mean, &var}) {
    if (p->numel() != units)
      ctx.fail("parameter ", p->describe(), " must have ", units, " elements (",
               units == c ? "one per channel" : "one per activation", ")");
  }
  const std::vector<double> s = scale.to_double_vector(), b = bias.to_double_vector();
  std::vector<double> m = mean.to_double_vector(), v = var.to_double_vector();
  std::vector<double> batch_mean, batch_var;
  if (train) {
    batch_mean.assign(static_cast<size_t>(units), 0.0);
    batch_var.assign(static_cast<size_t>(units), 0.0);
    const int64_t count = n * inner;
    if (count == 0) ctx.fail("training needs a non-empty batch");
    dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
      const T* px = x.data<T>();
      parallel_for(units, 1, [&](int64_t begin, int64_t end) {
        for (int64_t u = begin; u < end; ++u) {
          double sum = 0;
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < inner; ++j) sum += to_double(px[(i * units + u) * inner + j]);
          const double mu = sum / static_cast<double>(count);
          double sq = 0;
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < inner; ++j) {
              const double d = to_double(px[(i * units + u) * inner + j]) - mu;
              sq += d * d;
            }
          batch_mean[static_cast<size_t>(u)] = mu;
          batch_var[static_cast<size_t>(u)] = sq / static_cast<double>(count);
        }
      });
    });
  }
  const std::vector<double>& use_mean = train ? batch_mean : m;
  const std::vector<double>& use_var = train ? batch_var : v;
  std::vector<double> mul(static_cast<size_t>(units)), add(static_cast<size_t>(units));
  for (size_t u = 0; u < mul.size(); ++u) {
    mul[u] = s[u] / std::sqrt(use_var[u] + eps);
    add[u] = b[u] - use_mean[u] * mul[u];
  }
  Tensor y(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    parallel_for(n * units, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const size_t u = static_cast<size_t>(r % units);
                     const double a = mul[u], d = add[u];
                     for (int64_t j = 0; j < inner; ++j)
                       py[r * inner + j] = from_double<T>(to_double(px[r * inner + j]) * a + d);
                   }
                 });
  });
  ctx.set_output(0, std::move(y));
  if (!train) return;

  auto stats_tensor = [&](const std::vector<double>& vals) {
    Tensor t(mean.dtype(), mean.dims());
    dispatch_float(t.dtype(), node.describe(), [&]<typename T>() {
      T* p = t.data<T>();
      for (size_t i = 0; i < vals.size(); ++i) p[i] = from_double<T>(vals[i]);
    });
    return t;
  };
  std::vector<double> running_mean(m.size()), running_var(v.size());
  for (size_t u = 0; u < m.size(); ++u) {
    running_mean[u] = m[u] * momentum + batch_mean[u] * (1 - momentum);
    running_var[u] = v[u] * momentum + batch_var[u] * (1 - momentum);
  }
  if (ctx.output_wanted(1)) ctx.set_output(1, stats_tensor(running_mean));
  if (ctx.output_wanted(2)) ctx.set_output(2, stats_tensor(running_var));
  if (ctx.output_wanted(3)) ctx.set_output(3, stats_tensor(batch_mean));
  if (ctx.output_wanted(4)) ctx.set_output(4, stats_tensor(batch_var));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "BatchNormalization",
                  .since_version = 1,
                  .inputs = {5, 5},
                  .outputs = {1, 5},
                  .infer = infer_batch_norm,
                  .run = run_batch_norm});
ONYX_REGISTER_OP({.op_type = "BatchNormalization",
                  .since_version = 14,
                  .inputs = {5, 5},
                  .outputs = {1, 3},
                  .infer = infer_batch_norm,
                  .run = run_batch_norm});

}  // namespace onyx
