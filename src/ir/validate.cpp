// validate_graph: the structural invariants of the IR (see onyx/validate.h).
#include "onyx/validate.h"

#include <unordered_map>
#include <unordered_set>

#include "onyx/error.h"
#include "onyx/limits.h"

namespace onyx {

namespace {

std::string graph_label(const Graph& g) {
  return "graph '" + g.name + "'";
}

class Validator {
 public:
  explicit Validator(std::string label) : label_(std::move(label)) {}

  void run(const Graph& root) {
    collect(root, 0);
    // Values defined in enclosing scopes are outside this check: treat those the root can see as available.
    scopes_.emplace_back();
    for (const Graph* p = root.parent(); p; p = p->parent())
      for (const Value* v : p->values()) scopes_.back().insert(v);
    check_graph(root);
  }

 private:
  [[noreturn]] void fail_in(const Graph& g, const std::string& what) const {
    fail_bad_input(label_, ": ", graph_label(g), ": ", what);
  }

  // Pass 1: every graph and node of the tree (use lists may point at nodes of any depth), with depth and
  // parent links checked so the recursion below is bounded.
  void collect(const Graph& g, int depth) {
    if (depth > limits().max_subgraph_depth)
      fail_in(g, "subgraphs nested deeper than " + std::to_string(limits().max_subgraph_depth) + " levels");
    for (const auto& n : g.nodes()) {
      if (!n) fail_in(g, "null node");
      if (!nodes_.insert(n.get()).second) fail_in(g, n->describe() + " appears twice in the node list");
      if (n->owner() != &g) fail_in(g, n->describe() + " belongs to another graph");
      for (const Attribute& a : n->attributes) {
        for_each_subgraph(a, [&](const Graph& sub) {
          if (sub.parent() != &g)
            fail_in(g, n->describe() + " attribute '" + a.name + "': subgraph '" + sub.name +
                           "' does not point at its enclosing graph");
          collect(sub, depth + 1);
        });
      }
    }
  }

  template <typename F>
  static void for_each_subgraph(const Attribute& a, F&& fn) {
    if (a.type == AttrType::kGraph && !a.g) return;  // checked in check_node
    if (a.g) fn(*a.g);
    for (const auto& sg : a.graphs)
      if (sg) fn(*sg);
  }

  bool available(const Value* v) const {
    for (const auto& s : scopes_)
      if (s.count(v)) return true;
    return false;
  }

  bool owned_by_scope(const Value* v, const Graph& g) const {
    for (const Graph* s = &g; s; s = s->parent())
      if (v->owner() == s) return true;
    return false;
  }

  void check_values(const Graph& g) {
    std::unordered_set<std::string> names;
    for (const Value* v : g.values()) {
      if (!v) fail_in(g, "null value");
      if (v->owner() != &g)
        fail_in(g, "value '" + v->name() + "' is registered here but owned by another graph");
      if (!names.insert(v->name()).second) fail_in(g, "two values named '" + v->name() + "'");
      if (g.find_value(v->name()) != v)
        fail_in(g, "value '" + v->name() + "' is not found under its own name");
      if (const Node* p = v->producer()) {
        if (!nodes_.count(p) || p->owner() != &g)
          fail_in(g, "value '" + v->name() + "' names a producer that is not a node of this graph");
        if (p->output(static_cast<size_t>(v->producer_output())) != v)
          fail_in(g, "value '" + v->name() + "' is not output " + std::to_string(v->producer_output()) +
                         " of its producer " + p->describe());
      }
      for (const auto& [user, index] : v->uses()) {
        if (!user || !nodes_.count(user))
          fail_in(g,
                  "value '" + v->name() + "' has a use by a node that is not in the model (stale use list)");
        if (index < 0 || user->input(static_cast<size_t>(index)) != v)
          fail_in(g, "value '" + v->name() + "' has a use by " + user->describe() + " input " +
                         std::to_string(index) + " that reads something else (stale use list)");
      }
    }
  }

  void check_graph(const Graph& g) {
    check_values(g);
    scopes_.emplace_back();
    auto& here = scopes_.back();
    std::unordered_set<const Value*> initializers;
    for (const Value* v : g.initializers) {
      if (!v) fail_in(g, "null initializer");
      if (v->owner() != &g) fail_in(g, "initializer '" + v->name() + "' belongs to another graph");
      if (!v->is_initializer()) fail_in(g, "initializer '" + v->name() + "' holds no data");
      if (v->producer())
        fail_in(g, "initializer '" + v->name() + "' is also produced by " + v->producer()->describe());
      if (!initializers.insert(v).second) fail_in(g, "initializer '" + v->name() + "' is listed twice");
      here.insert(v);
    }
    for (const auto& [v, sparse] : g.sparse_initializers) {
      if (!v || v->owner() != &g) fail_in(g, "sparse initializer that belongs to another graph");
      if (v->producer())
        fail_in(g, "initializer '" + v->name() + "' is also produced by " + v->producer()->describe());
      here.insert(v);
    }
    std::unordered_set<const Value*> inputs;
    for (const Value* v : g.inputs) {
      if (!v) fail_in(g, "null graph input");
      if (v->owner() != &g) fail_in(g, "graph input '" + v->name() + "' belongs to another graph");
      if (v->producer())
        fail_in(g, "graph input '" + v->name() + "' is also produced by " + v->producer()->describe());
      if (!inputs.insert(v).second) fail_in(g, "graph input '" + v->name() + "' is listed twice");
      here.insert(v);
    }
    for (const auto& n : g.nodes()) check_node(g, *n);
    for (const Value* v : g.outputs) {
      if (!v) fail_in(g, "null graph output");
      if (!owned_by_scope(v, g))
        fail_in(g, "graph output '" + v->name() + "' is a value of a graph that does not enclose this one");
      if (!available(v))
        fail_in(g, "graph output '" + v->name() + "' is not produced by any node, input or initializer");
    }
    scopes_.pop_back();
  }

  void check_node(const Graph& g, const Node& n) {
    if (n.op_type.empty()) fail_in(g, n.describe() + " has no op_type");
    for (size_t i = 0; i < n.num_inputs(); ++i) {
      const Value* v = n.input(i);
      if (!v) continue;  // an absent optional input
      const std::string what = n.describe() + " input " + std::to_string(i) + " '" + v->name() + "'";
      if (!owned_by_scope(v, g)) fail_in(g, what + " is a value of a graph that does not enclose this one");
      if (g.lookup_value(v->name()) != v)
        fail_in(g, what + " is hidden by another value of the same name in an inner scope");
      if (!available(v)) {
        if (v->producer())
          fail_in(g, what + " is read before " + v->producer()->describe() +
                         " produces it (nodes out of order, or a cycle)");
        fail_in(g, what + " is not produced by any node, input or initializer");
      }
      size_t uses = 0;
      for (const auto& [user, index] : v->uses())
        if (user == &n && index == static_cast<int>(i)) ++uses;
      if (uses != 1)
        fail_in(g,
                what + ": the value's use list holds this use " + std::to_string(uses) + " times, not once");
    }
    std::unordered_set<std::string> attr_names;
    for (const Attribute& a : n.attributes) {
      if (!attr_names.insert(a.name).second)
        fail_in(g, n.describe() + " has attribute '" + a.name + "' twice");
      if (a.type == AttrType::kGraph && !a.g)
        fail_in(g, n.describe() + " attribute '" + a.name + "' has no graph");
      for (const auto& sg : a.graphs)
        if (!sg) fail_in(g, n.describe() + " attribute '" + a.name + "' holds a null graph");
      // Subgraphs see the values produced before this node (not this node's own outputs).
      for_each_subgraph(a, [&](const Graph& sub) { check_graph(sub); });
    }
    for (size_t i = 0; i < n.num_outputs(); ++i) {
      const Value* v = n.output(i);
      if (!v) continue;  // an absent optional output
      const std::string what = n.describe() + " output " + std::to_string(i) + " '" + v->name() + "'";
      if (v->owner() != &g) fail_in(g, what + " belongs to another graph");
      if (v->producer() != &n || v->producer_output() != static_cast<int>(i))
        fail_in(g, what + " names a different producer");
      if (v->is_initializer()) fail_in(g, what + " is also an initializer");
      if (available(v)) fail_in(g, what + " is produced more than once (or is also a graph input)");
      scopes_.back().insert(v);
    }
  }

  std::string label_;
  std::unordered_set<const Node*> nodes_;
  std::vector<std::unordered_set<const Value*>> scopes_;
};

}  // namespace

void validate_graph(const Graph& graph, const std::string& label) {
  Validator(label).run(graph);
}

void validate_model(const Model& model, const std::string& label_in) {
  const std::string label = !label_in.empty() ? label_in : !model.path.empty() ? model.path : "model";
  if (!model.graph) fail_bad_input(label, ": model has no graph");
  validate_graph(*model.graph, label);
  for (const Function& f : model.functions) {
    if (!f.body) fail_bad_input(label, ": function '", f.domain, ".", f.name, "' has no body");
    validate_graph(*f.body, label + ": function '" + f.name + "'");
  }
}

}  // namespace onyx
