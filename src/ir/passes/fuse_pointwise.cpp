// fuse-pointwise: maximal chains of elementwise standard ops, each intermediate read only by the next step,
// become one onyx.FusedElementwise (src/ops/fused_pointwise.cpp describes the program encoding).
#include <algorithm>
#include <set>

#include "pass_util.h"

namespace onyx::passes {

namespace {

bool is_pointwise(const Node& n) {
  static const std::set<std::string, std::less<>> ops = {
      "Add", "Sub", "Mul", "Div", "Pow", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Neg", "Abs", "Reciprocal",
      "Erf", "HardSwish", "HardSigmoid", "LeakyRelu", "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Clip", "Sin",
      "Cos", "Floor", "Ceil"};
  if (!n.domain.empty() || n.num_outputs() != 1 || !ops.count(n.op_type)) return false;
  if ((n.op_type == "Max" || n.op_type == "Min") && n.num_inputs() != 2) return false;
  for (const Value* v : n.inputs())
    if (!v) return false;  // absent optional inputs (Clip) have no operand encoding
  const Value* out = n.output(0);
  return out && out->type.is_tensor() && is_float(out->type.dtype);
}

// All uses of `v` are by `n`, and v is no graph output.
bool only_used_by(const Graph& g, const Value* v, const Node* n) {
  if (!v || v->uses().empty() || is_graph_output(g, v)) return false;
  return std::all_of(v->uses().begin(), v->uses().end(), [&](const auto& u) { return u.first == n; });
}

Attribute strings_attr(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}
Attribute ints_attr(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}

}  // namespace

bool fuse_pointwise(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  std::set<const Node*> taken;
  for (Node* head : snapshot(g)) {
    if (removed(head) || taken.count(head) || !is_pointwise(*head)) continue;
    const DType dtype = head->output(0)->type.dtype;
    std::vector<Node*> chain = {head};
    for (;;) {
      const Value* out = chain.back()->output(0);
      if (out->uses().empty()) break;
      Node* next = out->uses()[0].first;
      if (next->owner() != &g || !only_used_by(g, out, next) || !is_pointwise(*next) ||
          next->output(0)->type.dtype != dtype || taken.count(next))
        break;
      chain.push_back(next);
    }
    if (chain.size() < 2) continue;
    if (!ctx.try_rewrite()) return changed;
    std::vector<Value*> inputs;
    std::vector<std::string> ops;
    std::vector<int64_t> opsets, arity, operands;
    std::vector<Attribute> step_attrs;
    for (size_t k = 0; k < chain.size(); ++k) {
      const Node& n = *chain[k];
      ops.push_back(n.op_type);
      opsets.push_back(n.opset);
      arity.push_back(static_cast<int64_t>(n.num_inputs()));
      for (Value* v : n.inputs()) {
        if (k > 0 && v == chain[k - 1]->output(0)) {
          operands.push_back(-static_cast<int64_t>(k));  // result of step k-1
          continue;
        }
        auto it = std::find(inputs.begin(), inputs.end(), v);
        if (it == inputs.end()) {
          inputs.push_back(v);
          it = inputs.end() - 1;
        }
        operands.push_back(it - inputs.begin());
      }
      for (Attribute a : n.attributes) {
        a.name = std::to_string(k) + ":" + a.name;
        step_attrs.push_back(std::move(a));
      }
    }
    for (Node* n : chain) taken.insert(n);
    Value* out = chain.back()->output(0);
    const std::string name = head->name;
    Node* fused = replace_nodes(g, chain, "FusedElementwise", "onyx", inputs, out, name, 1);
    fused->attributes = {strings_attr("ops", ops), ints_attr("opsets", opsets), ints_attr("arity", arity),
                         ints_attr("operands", operands)};
    for (Attribute& a : step_attrs) fused->attributes.push_back(std::move(a));
    changed = true;
  }
  return changed;
}

}  // namespace onyx::passes
