// fold-shapes and fold-constants: compute at optimization time what does not depend on the inputs.
#include <algorithm>

#include "../../ops/op.h"
#include "pass_util.h"

namespace onyx::passes {

namespace {

bool has_subgraph(const Node& n) {
  for (const Attribute& a : n.attributes)
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

// Replaces node `n` (one output) by an initializer holding `t` under the output's own name.
void replace_with_constant(Graph& g, Node* n, std::vector<Tensor> outs) {
  std::vector<Value*> values = n->outputs();
  g.remove_node(n);
  for (size_t i = 0; i < values.size(); ++i) {
    Value* v = values[i];
    if (!v) continue;
    v->type = TypeInfo::tensor(outs[i].dtype(), outs[i].shape());
    v->initializer = std::move(outs[i]);
    g.initializers.push_back(v);
  }
}

// The dims a Shape node reports for its input, each known or -1 (start/end of opset 15 applied).
std::optional<std::vector<int64_t>> shape_dims(const Node& n) {
  const Value* x = n.input(0);
  if (!x || !x->type.is_tensor() || !x->type.shape.rank_known()) return std::nullopt;
  const auto rank = static_cast<int64_t>(x->type.shape.rank());
  int64_t start = n.attr_int("start", 0), end = n.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  std::vector<int64_t> dims;
  for (int64_t i = start; i < end; ++i) dims.push_back(x->type.shape[static_cast<size_t>(i)].value());
  return dims;
}

}  // namespace

bool fold_shapes(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (!n->domain.empty()) continue;
    if (n->op_type == "Shape") {
      const auto dims = shape_dims(*n);
      if (!dims || std::any_of(dims->begin(), dims->end(), [](int64_t d) { return d < 0; })) continue;
      if (!ctx.try_rewrite()) return changed;
      replace_with_constant(g, n, {Tensor::from_vector<int64_t>({static_cast<int64_t>(dims->size())}, *dims)});
      changed = true;
    } else if (n->op_type == "Size") {
      const auto dims = static_shape(n->input(0));
      if (!dims) continue;
      if (!ctx.try_rewrite()) return changed;
      replace_with_constant(g, n, {Tensor::scalar<int64_t>(checked_numel(*dims))});
      changed = true;
    } else if (n->op_type == "Gather") {
      // Gather(Shape(x), constant indices) where the gathered dims are known, though others are symbolic.
      Node* shape = producer_op(n->input(0), "Shape");
      const Tensor* idx = constant_of(g, n->input(1));
      if (!shape || !idx || n->attr_int("axis", 0) != 0) continue;
      const auto dims = shape_dims(*shape);
      if (!dims) continue;
      const auto size = static_cast<int64_t>(dims->size());
      std::vector<int64_t> picked;
      bool ok = true;
      for (int64_t i : idx->to_int64_vector()) {
        if (i < 0) i += size;
        if (i < 0 || i >= size || (*dims)[static_cast<size_t>(i)] < 0) {
          ok = false;
          break;
        }
        picked.push_back((*dims)[static_cast<size_t>(i)]);
      }
      if (!ok) continue;
      if (!ctx.try_rewrite()) return changed;
      replace_with_constant(g, n, {Tensor::from_vector<int64_t>(idx->dims(), picked)});
      changed = true;
    }
  }
  return changed;
}

bool fold_constants(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  const OpRegistry& registry = OpRegistry::instance();
  bool changed = false;
  std::vector<Node*> nodes;
  for (const auto& n : g.nodes()) nodes.push_back(n.get());
  for (Node* n : nodes) {
    if (n->num_outputs() == 0 || has_subgraph(*n)) continue;
    const OpSchema* s = registry.find(n->domain, n->op_type, n->opset);
    if (!s || !s->run || !s->deterministic) continue;
    std::vector<RunValue> in_values(n->num_inputs());
    std::vector<const RunValue*> ins(n->num_inputs(), nullptr);
    bool all_constant = true;
    size_t in_bytes = 0;
    for (size_t i = 0; i < n->num_inputs(); ++i) {
      if (!n->input(i)) continue;
      const Tensor* t = constant_of(g, n->input(i));
      if (!t) {
        all_constant = false;
        break;
      }
      in_bytes += t->nbytes();
      in_values[i] = RunValue(*t);
      ins[i] = &in_values[i];
    }
    if (!all_constant) continue;
    // Ops without inputs (Constant) always fold; others only when the result does not bloat the model.
    std::vector<RunValue> outs(n->num_outputs());
    try {
      KernelContext kc(*n, ins, outs, [](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
        fail_unsupported("subgraph in constant folding");
      });
      s->run(kc);
    } catch (const Error&) {
      continue;  // the node fails at run time too; leave it for the runtime to report
    }
    std::vector<Tensor> tensors;
    size_t out_bytes = 0;
    bool ok = true;
    for (size_t i = 0; i < outs.size(); ++i) {
      if (!n->output(i)) {
        tensors.emplace_back();
        continue;
      }
      if (outs[i].kind != RunValue::Kind::kTensor || outs[i].is_optional) ok = false;
      out_bytes += outs[i].tensor.nbytes();
      tensors.push_back(outs[i].tensor);
    }
    if (!ok || (n->num_inputs() > 0 && out_bytes > std::max<size_t>(in_bytes, size_t{1} << 20))) continue;
    if (!ctx.try_rewrite()) return changed;
    replace_with_constant(g, n, std::move(tensors));
    changed = true;
  }
  return changed;
}

}  // namespace onyx::passes
