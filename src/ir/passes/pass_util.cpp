// Helpers shared by the graph passes.
#include "pass_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

namespace onyx::passes {

bool is_graph_output(const Graph& g, const Value* v) {
  return std::find(g.outputs.begin(), g.outputs.end(), v) != g.outputs.end();
}

Node* sole_consumer(const Graph& g, const Value* v) {
  if (!v || v->uses().size() != 1 || is_graph_output(g, v)) return nullptr;
  Node* n = v->uses()[0].first;
  return n->owner() == &g ? n : nullptr;
}

Node* sole_consumer_op(const Graph& g, const Value* v, std::string_view op_type) {
  Node* n = sole_consumer(g, v);
  return n && n->domain.empty() && n->op_type == op_type ? n : nullptr;
}

Node* producer_op(const Value* v, std::string_view op_type) {
  if (!v || !v->producer()) return nullptr;
  Node* n = v->producer();
  return n->domain.empty() && n->op_type == op_type ? n : nullptr;
}

void replace_all_uses(Value* from, Value* to) {
  const auto uses = from->uses();  // copy: set_input edits the list
  for (auto [node, index] : uses) node->set_input(static_cast<size_t>(index), to);
}

const Tensor* constant_of(const Graph& g, const Value* v) {
  if (!v || !v->is_initializer()) return nullptr;
  // An initializer that is also a graph input is only a default: the caller may override it.
  if (std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end()) return nullptr;
  return &*v->initializer;
}

std::optional<double> scalar_constant(const Graph& g, const Value* v) {
  const Tensor* t = constant_of(g, v);
  if (!t || t->numel() != 1 || !is_float(t->dtype())) return std::nullopt;
  return t->get_double(0);
}

Value* add_initializer(Graph& g, const std::string& base, Tensor t) {
  Value* v = g.add_value(g.unique_name(base));
  v->type = TypeInfo::tensor(t.dtype(), t.shape());
  v->initializer = std::move(t);
  g.initializers.push_back(v);
  return v;
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

namespace {
std::unordered_set<const Node*>& removed_set() {
  thread_local std::unordered_set<const Node*> set;
  return set;
}
}  // namespace

std::vector<Node*> snapshot(const Graph& g) {
  removed_set().clear();
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  return nodes;
}

bool removed(const Node* n) { return removed_set().count(n) > 0; }

Node* replace_nodes(Graph& g, const std::vector<Node*>& old, std::string op_type, std::string domain,
                    std::vector<Value*> inputs, Value* output, std::string name, int64_t opset) {
  for (Node* n : old) {
    removed_set().insert(n);
    g.remove_node(n);
  }
  Node* n = g.add_node(std::move(op_type), std::move(domain), std::move(inputs), {output}, std::move(name));
  n->opset = opset;
  return n;
}

std::optional<std::vector<int64_t>> static_shape(const Value* v) {
  if (!v || !v->type.is_tensor()) return std::nullopt;
  return v->type.shape.static_dims();
}

std::optional<std::vector<int64_t>> reduce_axes(const Graph& g, const Node& n) {
  if (const Attribute* a = n.find_attr("axes")) return a->ints;
  if (const Tensor* t = constant_of(g, n.input(1))) return t->to_int64_vector();
  return std::nullopt;
}

bool approx(double a, double b, double rel) { return std::fabs(a - b) <= rel * std::max(std::fabs(a), std::fabs(b)); }

}  // namespace onyx::passes

namespace onyx::passes {

std::optional<Activation> match_activation(const Graph& g, const Node& n) {
  const std::string& op = n.op_type;
  const bool std_domain = n.domain.empty();
  if (n.num_outputs() != 1) return std::nullopt;
  if (std_domain && (op == "Relu" || op == "Sigmoid" || op == "Tanh" || op == "HardSwish")) return Activation{op};
  if (std_domain && op == "LeakyRelu") return Activation{op, n.attr_float("alpha", 0.01f)};
  if (std_domain && op == "HardSigmoid")
    return Activation{op, n.attr_float("alpha", 0.2f), n.attr_float("beta", 0.5f)};
  if (std_domain && op == "Clip" && n.opset >= 11) {
    Activation a{op, -std::numeric_limits<float>::infinity(), std::numeric_limits<float>::infinity()};
    if (n.input(1)) {
      auto v = scalar_constant(g, n.input(1));
      if (!v) return std::nullopt;
      a.alpha = static_cast<float>(*v);
    }
    if (n.input(2)) {
      auto v = scalar_constant(g, n.input(2));
      if (!v) return std::nullopt;
      a.beta = static_cast<float>(*v);
    }
    return a;
  }
  if ((std_domain || n.domain == "onyx") && op == "Gelu") {
    const std::string approx = n.attr_string("approximate", "none");
    if (approx == "none") return Activation{"Gelu"};
    if (approx == "tanh") return Activation{"GeluTanh"};
  }
  return std::nullopt;
}

void set_activation(Node& n, const Activation& a) {
  Attribute s;
  s.name = "activation";
  s.type = AttrType::kString;
  s.s = a.name;
  n.set_attr(s);
  if (a.name == "LeakyRelu" || a.name == "HardSigmoid" || a.name == "Clip") {
    Attribute f;
    f.type = AttrType::kFloat;
    f.name = "activation_alpha";
    f.f = a.alpha;
    n.set_attr(f);
    f.name = "activation_beta";
    f.f = a.beta;
    n.set_attr(f);
  }
}

}  // namespace onyx::passes
