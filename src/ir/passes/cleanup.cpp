// remove-identities and eliminate-dead-code.
#include <algorithm>
#include <set>

#include "pass_util.h"

namespace onyx::passes {

namespace {

bool is_graph_input(const Graph& g, const Value* v) {
  return std::find(g.inputs.begin(), g.inputs.end(), v) != g.inputs.end();
}

// Whether node `n` (default domain) passes input 0 through unchanged to output 0.
bool is_identity(const Graph& g, const Node& n) {
  const Value* in = n.input(0);
  const Value* out = n.output(0);
  if (!in || !out || !n.domain.empty() || !in->type.is_tensor() || !out->type.is_tensor()) return false;
  const std::string& op = n.op_type;
  if (op == "Identity") return true;
  if (op == "Dropout") {
    // Inference Dropout: identity unless training_mode is given and not a constant false.
    if (n.output(1) && !n.output(1)->uses().empty()) return false;
    if (n.output(1) && is_graph_output(g, n.output(1))) return false;
    if (n.input(2)) {
      const Tensor* t = constant_of(g, n.input(2));
      if (!t || t->numel() != 1 || t->get_int(0) != 0) return false;
    }
    return true;
  }
  if (op == "Cast") return in->type.dtype == out->type.dtype;
  if (op == "Reshape" || op == "Expand" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten") {
    const auto a = static_shape(in), b = static_shape(out);
    return a && b && *a == *b && in->type.dtype == out->type.dtype;
  }
  if (op == "Transpose") {
    if (!in->type.shape.rank_known()) return false;
    const auto perm = n.attr_ints("perm", {});
    if (perm.empty()) return in->type.shape.rank() <= 1;
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] != static_cast<int64_t>(i)) return false;
    return true;
  }
  return false;
}

}  // namespace

bool remove_identities(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (!is_identity(g, *n)) continue;
    Value* in = n->input(0);
    Value* out = n->output(0);
    if (is_graph_output(g, out)) continue;  // would rename a graph output
    if (!ctx.try_rewrite()) return changed;
    replace_all_uses(out, in);
    g.remove_node(n);
    changed = true;
  }
  return changed;
}

bool eliminate_dead_code(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  // Reverse order: a dead node's removal can make its producers dead in the same sweep.
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    Node* n = *it;
    bool live = false;
    for (const Value* v : n->outputs())
      if (v && (!v->uses().empty() || is_graph_output(g, v))) live = true;
    if (live) continue;
    if (!ctx.try_rewrite()) return changed;
    g.remove_node(n);
    changed = true;
  }
  // Unused initializers (not graph inputs or outputs) are dropped so they are not exported.
  std::set<const Value*> dropped;
  for (Value* v : g.initializers)
    if (v->uses().empty() && !is_graph_output(g, v) && !is_graph_input(g, v)) dropped.insert(v);
  if (!dropped.empty()) {
    if (!ctx.try_rewrite()) return changed;
    auto gone = [&](const Value* v) { return dropped.count(v) > 0; };
    g.initializers.erase(std::remove_if(g.initializers.begin(), g.initializers.end(), gone), g.initializers.end());
    g.sparse_initializers.erase(std::remove_if(g.sparse_initializers.begin(), g.sparse_initializers.end(),
                                               [&](const auto& p) { return gone(p.first); }),
                                g.sparse_initializers.end());
    for (const Value* v : dropped) const_cast<Value*>(v)->initializer.reset();
    changed = true;
  }
  // value_info entries of values that no longer exist in the graph.
  const size_t before = g.value_infos.size();
  g.value_infos.erase(std::remove_if(g.value_infos.begin(), g.value_infos.end(),
                                     [&](const Value* v) {
                                       return !v->producer() && !v->is_initializer() && !is_graph_input(g, v);
                                     }),
                      g.value_infos.end());
  changed |= g.value_infos.size() != before;
  return changed;
}

}  // namespace onyx::passes
