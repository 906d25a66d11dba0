// Gradient (domain ai.onnx.preview.training, version 1): the gradient of the value named `y` with respect to each
// value named in `xs`, by reverse-mode differentiation of the nodes of the enclosing graph that compute y.
//
// The inputs are the values of xs, then zs (held constant). The kernel re-evaluates the forward nodes between
// those inputs and y with their own reference kernels, then propagates dy = 1 backwards in double precision.
// Differentiable here: Add, Sub, Mul, Div, Neg, Identity, Relu, Sigmoid, Tanh, Exp (with numpy broadcasting:
// gradients of broadcast operands are summed over the broadcast dims). Any other op on the path is reported as
// unsupported, naming it.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "broadcast.h"
#include "op.h"

namespace onyx {
namespace {

constexpr const char* kDomain = "ai.onnx.preview.training";

struct GradientAttrs {
  std::vector<std::string> xs, zs;
  std::string y;
  explicit GradientAttrs(const Node& n)
      : xs(n.required_attr("xs", AttrType::kStrings).strings),
        zs(n.attr_strings("zs")),
        y(n.required_attr("y", AttrType::kString).s) {}
};

using Grad = std::vector<double>;

// The nodes of `g` that y depends on, stopping at the given leaves and at initializers; in graph order.
std::vector<const Node*> forward_nodes(const Graph& g, const Value* y, const std::set<const Value*>& leaves,
                                       const Node& self) {
  std::set<const Node*> needed;
  std::vector<const Value*> stack = {y};
  std::set<const Value*> seen;
  while (!stack.empty()) {
    const Value* v = stack.back();
    stack.pop_back();
    if (!seen.insert(v).second || leaves.count(v) || v->is_initializer()) continue;
    const Node* p = v->producer();
    if (!p) fail_unsupported(self.describe(), ": '", v->name(), "' is neither in xs/zs nor computed from them");
    if (p == &self) fail_bad_input(self.describe(), ": y depends on the Gradient node itself");
    needed.insert(p);
    for (const Value* in : p->inputs())
      if (in) stack.push_back(in);
  }
  std::vector<const Node*> order;
  for (const auto& n : g.nodes())
    if (needed.count(n.get())) order.push_back(n.get());
  return order;
}

// Accumulates f(dy, a, b) over the broadcast of out (dy's dims) onto `target`'s dims (which is a or b).
template <typename F>
void accumulate(Grad& target, const std::vector<int64_t>& out_dims, const std::vector<int64_t>& a_dims,
                const std::vector<int64_t>& b_dims, bool into_a, F&& f) {
  for_each_broadcast<3>(out_dims, {out_dims, a_dims, b_dims}, [&](int64_t, int64_t o, int64_t ia, int64_t ib) {
    target[static_cast<size_t>(into_a ? ia : ib)] += f(o, ia, ib);
  });
}

void run_gradient(KernelContext& ctx) {
  const Node& self = ctx.node();
  const GradientAttrs attrs(self);
  const Graph* g = self.owner();
  if (!g) ctx.fail("not part of a graph");
  if (ctx.num_inputs() != attrs.xs.size() + attrs.zs.size())
    ctx.fail("has ", ctx.num_inputs(), " inputs, xs and zs name ", attrs.xs.size() + attrs.zs.size());
  auto find = [&](const std::string& name) {
    const Value* v = g->lookup_value(name);
    if (!v) ctx.fail("no value named '", name, "'");
    return v;
  };
  // Values known so far: the inputs bound to xs and zs, then everything evaluated forward.
  std::map<const Value*, Tensor> values;
  std::set<const Value*> leaves;
  std::vector<const Value*> x_values;
  for (size_t i = 0; i < attrs.xs.size() + attrs.zs.size(); ++i) {
    const Value* v = find(i < attrs.xs.size() ? attrs.xs[i] : attrs.zs[i - attrs.xs.size()]);
    values[v] = ctx.input(i);
    leaves.insert(v);
    if (i < attrs.xs.size()) x_values.push_back(v);
  }
  const Value* y = find(attrs.y);
  const std::vector<const Node*> order = forward_nodes(*g, y, leaves, self);
  auto value_of = [&](const Value* v) -> const Tensor& {
    auto it = values.find(v);
    if (it != values.end()) return it->second;
    if (v->is_initializer()) return values.emplace(v, *v->initializer).first->second;
    ctx.fail("internal: '", v->name(), "' has no value");
  };
  for (const Node* n : order) {
    const OpSchema* s = OpRegistry::instance().find(n->domain, n->op_type, n->opset);
    if (!s || !s->run) fail_unsupported(self.describe(), ": cannot evaluate ", n->describe());
    std::vector<RunValue> in(n->num_inputs());
    std::vector<const RunValue*> ptrs(n->num_inputs(), nullptr);
    for (size_t i = 0; i < n->num_inputs(); ++i) {
      if (!n->input(i)) continue;
      in[i] = RunValue(value_of(n->input(i)));
      ptrs[i] = &in[i];
    }
    std::vector<RunValue> out(n->num_outputs());
    KernelContext kc(*n, ptrs, out, [&](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
      fail_unsupported(self.describe(), ": control flow on the differentiated path");
    });
    s->run(kc);
    for (size_t i = 0; i < n->num_outputs(); ++i)
      if (n->output(i) && out[i].is_tensor()) values[n->output(i)] = out[i].tensor;
  }
  // Backward, in double.
  std::map<const Value*, Grad> grads;
  const Tensor& y_value = value_of(y);
  grads[y] = Grad(static_cast<size_t>(y_value.numel()), 1.0);
  auto grad_of = [&](const Value* v) -> Grad& {
    auto it = grads.find(v);
    if (it == grads.end()) it = grads.emplace(v, Grad(static_cast<size_t>(value_of(v).numel()), 0.0)).first;
    return it->second;
  };
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    const Node& n = **it;
    const Value* out = n.output(0);
    if (!out || !grads.count(out)) continue;
    const Grad dy = grads[out];
    const std::vector<int64_t>& out_dims = value_of(out).dims();
    const std::string& op = n.op_type;
    if (!n.domain.empty() && n.domain != "ai.onnx") fail_unsupported(self.describe(), ": cannot differentiate ", n.describe());
    if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
      const Tensor& a = value_of(n.input(0));
      const Tensor& b = value_of(n.input(1));
      const std::vector<double> av = a.to_double_vector(), bv = b.to_double_vector();
      for (int side = 0; side < 2; ++side) {
        const Value* target = n.input(static_cast<size_t>(side));
        Grad& gt = grad_of(target);
        const bool into_a = side == 0;
        accumulate(gt, out_dims, a.dims(), b.dims(), into_a, [&](int64_t o, int64_t ia, int64_t ib) {
          const double d = dy[static_cast<size_t>(o)], x = av[static_cast<size_t>(ia)], z = bv[static_cast<size_t>(ib)];
          if (op == "Add") return d;
          if (op == "Sub") return into_a ? d : -d;
          if (op == "Mul") return into_a ? d * z : d * x;
          return into_a ? d / z : -d * x / (z * z);  // Div
        });
      }
      continue;
    }
    if (op == "Neg" || op == "Identity" || op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "Exp") {
      const std::vector<double> xv = value_of(n.input(0)).to_double_vector();
      const std::vector<double> yv = value_of(out).to_double_vector();
      Grad& gx = grad_of(n.input(0));
      for (size_t i = 0; i < dy.size(); ++i) {
        double d = dy[i];
        if (op == "Neg") d = -d;
        else if (op == "Relu") d = xv[i] > 0 ? d : 0.0;
        else if (op == "Sigmoid") d = d * yv[i] * (1.0 - yv[i]);
        else if (op == "Tanh") d = d * (1.0 - yv[i] * yv[i]);
        else if (op == "Exp") d = d * yv[i];
        gx[i] += d;
      }
      continue;
    }
    fail_unsupported(self.describe(), ": cannot differentiate ", n.describe(),
                     " (supported: Add, Sub, Mul, Div, Neg, Identity, Relu, Sigmoid, Tanh, Exp)");
  }
  for (size_t i = 0; i < x_values.size(); ++i) {
    const Tensor& x = value_of(x_values[i]);
    const Grad& gx = grad_of(x_values[i]);
    Tensor out(DType::kFloat64, x.dims());
    std::copy(gx.begin(), gx.end(), out.data<double>());
    ctx.set_output(i, out.cast(x.dtype()));
  }
}

void infer_gradient(InferContext& ctx) {
  const GradientAttrs attrs(ctx.node());
  if (ctx.num_outputs() != attrs.xs.size())
    ctx.fail("has ", ctx.num_outputs(), " outputs, xs names ", attrs.xs.size());
  for (size_t i = 0; i < attrs.xs.size() && i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) ctx.set_output_type(i, ctx.input_type(i));
}

}  // namespace

ONYX_REGISTER_OP({.domain = kDomain, .op_type = "Gradient", .since_version = 1, .inputs = {1, INT_MAX},
                  .outputs = {1, INT_MAX}, .infer = infer_gradient, .run = run_gradient});

}  // namespace onyx
