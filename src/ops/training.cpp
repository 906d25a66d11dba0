// Training ops of domain "ai.onnx.preview.training" (version 1): Adagrad, Adam, Momentum — one optimizer step over
// n tensors at once (inputs R, T, then n X's, n G's and the per-optimizer state tensors; outputs the new X's, then
// the new states). Computed in double, stored in the tensors' dtype (float or double). Gradient is in gradient.cpp.
#include <array>
#include <cmath>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

constexpr std::string_view kDomain = "ai.onnx.preview.training";

// Groups: how many tensor groups follow R and T (Adagrad: X, G, H = 3; Momentum: X, G, V = 3; Adam: X, G, V, H = 4)
// and how many the outputs have (Adagrad 2, Momentum 2, Adam 3).
struct Layout {
  size_t in_groups;
  size_t out_groups;
};

size_t tensor_count(const Node& node, Layout l) {
  if (node.num_inputs() < 2 || (node.num_inputs() - 2) % l.in_groups != 0 || node.num_inputs() == 2)
    fail_bad_input(node.describe(), ": expects R, T and ", l.in_groups, " groups of n tensors, got ",
                   node.num_inputs(), " inputs");
  const size_t n = (node.num_inputs() - 2) / l.in_groups;
  if (node.num_outputs() != n * l.out_groups)
    fail_bad_input(node.describe(), ": has ", node.num_outputs(), " outputs, expected ", n * l.out_groups, " (",
                   l.out_groups, " groups of ", n, ")");
  return n;
}

template <Layout kLayout>
void infer_optimizer(InferContext& ctx) {
  const size_t n = tensor_count(ctx.node(), kLayout);
  const DType r = ctx.input_dtype(0);
  if (r != DType::kUndefined && r != DType::kFloat32 && r != DType::kFloat64)
    ctx.fail("R must be float or double, got ", dtype_name(r));
  const DType t = ctx.input_dtype(1);
  if (t != DType::kUndefined && t != DType::kInt64) ctx.fail("T must be int64, got ", dtype_name(t));
  for (size_t g = 0; g < kLayout.out_groups; ++g) {
    // Output group 0 is X; group g > 0 is input group g + 1 (the state after G).
    const size_t in_group = g == 0 ? 0 : g + 1;
    for (size_t i = 0; i < n; ++i) ctx.set_output_type(g * n + i, ctx.input_type(2 + in_group * n + i));
  }
}

double scalar(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = ctx.input(i);
  if (t.numel() != 1) ctx.fail(name, " must be a scalar, got ", t.describe());
  return t.get_double(0);
}

// Runs `step(x, g, states..., outs...)` element by element over tensor i of every group. `states` are the input
// groups after G; the outputs are X_new then the new states.
template <size_t kStates, typename Step>
void run_groups(KernelContext& ctx, size_t n, Step&& step) {
  for (size_t i = 0; i < n; ++i) {
    const Tensor& x = ctx.input(2 + i);
    if (x.dtype() != DType::kFloat32 && x.dtype() != DType::kFloat64)
      ctx.fail("X", i, " must be float or double, got ", x.describe());
    std::array<Tensor, 1 + kStates> ins;  // G, states...
    for (size_t k = 0; k < 1 + kStates; ++k) {
      ins[k] = ctx.input(2 + (k + 1) * n + i);
      if (ins[k].dtype() != x.dtype() || ins[k].dims() != x.dims())
        ctx.fail("input ", 2 + (k + 1) * n + i, " is ", ins[k].describe(), " but X", i, " is ", x.describe());
    }
    std::array<Tensor, 1 + kStates> outs;
    for (Tensor& o : outs) o = Tensor(x.dtype(), x.dims());
    dispatch_float(x.dtype(), ctx.node().op_type, [&]<typename T>() {
      const T* xp = x.data<T>();
      std::array<const T*, 1 + kStates> ip;
      std::array<T*, 1 + kStates> op;
      for (size_t k = 0; k < 1 + kStates; ++k) ip[k] = ins[k].template data<T>(), op[k] = outs[k].template data<T>();
      for (int64_t e = 0; e < x.numel(); ++e) {
        std::array<double, 1 + kStates> in_v, out_v{};
        for (size_t k = 0; k < 1 + kStates; ++k) in_v[k] = static_cast<double>(ip[k][e]);
        step(static_cast<double>(xp[e]), in_v, out_v);
        for (size_t k = 0; k < 1 + kStates; ++k) op[k][e] = static_cast<T>(out_v[k]);
      }
    });
    for (size_t k = 0; k < 1 + kStates; ++k) ctx.set_output(k * n + i, std::move(outs[k]));
  }
}

// ---- Adagrad ----------------------------------------------------------------------------------------------------

void run_adagrad(KernelContext& ctx) {
  const size_t n = tensor_count(ctx.node(), {3, 2});
  const double r = scalar(ctx, 0, "R");
  const double t = scalar(ctx, 1, "T");
  const double decay = ctx.node().attr_float("decay_factor", 0.0f);
  const double eps = ctx.node().attr_float("epsilon", 1e-6f);
  const double norm = ctx.node().attr_float("norm_coefficient", 0.0f);
  const double rate = r / (1 + t * decay);
  // in: G, H; out: X_new, H_new
  run_groups<1>(ctx, n, [&](double x, const std::array<double, 2>& in, std::array<double, 2>& out) {
    const double g = norm * x + in[0];
    const double h = in[1] + g * g;
    out[0] = x - rate * g / (std::sqrt(h) + eps);
    out[1] = h;
  });
}

// ---- Adam -------------------------------------------------------------------------------------------------------

void run_adam(KernelContext& ctx) {
  const size_t n = tensor_count(ctx.node(), {4, 3});
  const double r = scalar(ctx, 0, "R");
  const double t = scalar(ctx, 1, "T");
  const double alpha = ctx.node().attr_float("alpha", 0.9f);
  const double beta = ctx.node().attr_float("beta", 0.999f);
  const double eps = ctx.node().attr_float("epsilon", 1e-6f);
  const double norm = ctx.node().attr_float("norm_coefficient", 0.0f);
  const double norm_post = ctx.node().attr_float("norm_coefficient_post", 0.0f);
  const double rate = t > 0 ? r * std::sqrt(1 - std::pow(beta, t)) / (1 - std::pow(alpha, t)) : r;
  // in: G, V, H; out: X_new, V_new, H_new
  run_groups<2>(ctx, n, [&](double x, const std::array<double, 3>& in, std::array<double, 3>& out) {
    const double g = norm * x + in[0];
    const double v = alpha * in[1] + (1 - alpha) * g;
    const double h = beta * in[2] + (1 - beta) * g * g;
    const double x_new = x - rate * v / (std::sqrt(h) + eps);
    out[0] = (1 - norm_post) * x_new;
    out[1] = v;
    out[2] = h;
  });
}

// ---- Momentum ---------------------------------------------------------------------------------------------------

void run_momentum(KernelContext& ctx) {
  const Node& node = ctx.node();
  const size_t n = tensor_count(node, {3, 2});
  const double r = scalar(ctx, 0, "R");
  const double t = scalar(ctx, 1, "T");
  const double alpha = node.required_attr("alpha", AttrType::kFloat).f;
  const double beta = node.required_attr("beta", AttrType::kFloat).f;
  const double norm = node.required_attr("norm_coefficient", AttrType::kFloat).f;
  const std::string mode = node.required_attr("mode", AttrType::kString).s;
  if (mode != "standard" && mode != "nesterov")
    ctx.fail("mode must be 'standard' or 'nesterov', got '", mode, "'");
  const bool nesterov = mode == "nesterov";
  const double beta_adj = t > 0 ? beta : 1.0;
  // in: G, V; out: X_new, V_new
  run_groups<1>(ctx, n, [&](double x, const std::array<double, 2>& in, std::array<double, 2>& out) {
    const double g = norm * x + in[0];
    const double v = alpha * in[1] + beta_adj * g;
    out[0] = nesterov ? x - r * (g + alpha * v) : x - r * v;
    out[1] = v;
  });
}

void infer_momentum(InferContext& ctx) {
  const std::string mode = ctx.node().required_attr("mode", AttrType::kString).s;
  if (mode != "standard" && mode != "nesterov") ctx.fail("mode must be 'standard' or 'nesterov', got '", mode, "'");
  infer_optimizer<Layout{3, 2}>(ctx);
}

}  // namespace

ONYX_REGISTER_OP({.domain = kDomain, .op_type = "Adagrad", .since_version = 1, .inputs = {5, INT_MAX},
                  .outputs = {2, INT_MAX}, .infer = infer_optimizer<Layout{3, 2}>, .run = run_adagrad});
ONYX_REGISTER_OP({.domain = kDomain, .op_type = "Adam", .since_version = 1, .inputs = {6, INT_MAX},
                  .outputs = {3, INT_MAX}, .infer = infer_optimizer<Layout{4, 3}>, .run = run_adam});
ONYX_REGISTER_OP({.domain = kDomain, .op_type = "Momentum", .since_version = 1, .inputs = {5, INT_MAX},
                  .outputs = {2, INT_MAX}, .infer = infer_momentum, .run = run_momentum});

}  // namespace onyx
