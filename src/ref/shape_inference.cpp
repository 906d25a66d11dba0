// The shape-inference driver: walks a graph in order, asks each op's `infer` for its outputs' types, and
// evaluates nodes whose inputs are all known constants (small ones only), so data-dependent shapes
// (Shape → Gather → Concat → Reshape) resolve to numbers. Symbolic dims flow through `partial` values.
#include <unordered_map>

#include "../ops/op.h"
#include "onyx/ref.h"

namespace onyx {

namespace {

constexpr int64_t kMaxFoldElements = 1 << 16;

struct Known {
  TypeInfo type;
  std::optional<Tensor> constant;
  std::optional<std::vector<Dim>> partial;
};

class Scope {
 public:
  explicit Scope(const Scope* parent) : parent_(parent) {}
  Known* find(const Value* v) {
    auto it = map_.find(v);
    if (it != map_.end()) return &it->second;
    return parent_ ? const_cast<Scope*>(parent_)->find(v) : nullptr;
  }
  Known& at(const Value* v) { return map_[v]; }

 private:
  const Scope* parent_;
  std::unordered_map<const Value*, Known> map_;
};

TypeInfo merge_types(const TypeInfo& declared, const TypeInfo& inferred) {
  if (!inferred.is_known()) return declared;
  if (!declared.is_known() || declared.kind != inferred.kind) return inferred;
  TypeInfo out = inferred;
  if (out.dtype == DType::kUndefined) out.dtype = declared.dtype;
  if (inferred.kind == TypeInfo::Kind::kTensor) {
    if (!inferred.shape.rank_known() || !inferred.has_shape) {
      out.shape = declared.shape;
      out.has_shape = declared.has_shape;
    } else if (declared.has_shape && declared.shape.rank_known() && declared.shape.rank() == inferred.shape.rank()) {
      for (size_t i = 0; i < out.shape.rank(); ++i)
        if (!out.shape[i].is_known() && (declared.shape[i].is_known() || declared.shape[i].is_symbolic()))
          out.shape[i] = declared.shape[i];
    }
  }
  return out;
}

std::optional<std::vector<Dim>> partial_from_constant(const Tensor& t) {
  if (t.rank() > 1 || t.numel() > 64) return std::nullopt;
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32) return std::nullopt;
  std::vector<Dim> dims;
  for (int64_t i = 0; i < t.numel(); ++i) dims.emplace_back(t.get_int(i));
  return dims;
}

bool has_subgraph(const Node& n) {
  for (const Attribute& a : n.attributes)
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

class Driver {
 public:
  std::vector<TypeInfo> infer_graph(const Graph& g, Scope& scope, const std::vector<TypeInfo>* input_types) {
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      const Value* v = g.inputs[i];
      Known& k = scope.at(v);
      k.type = v->type;
      if (input_types && i < input_types->size()) k.type = merge_types(v->type, (*input_types)[i]);
    }
    std::unordered_map<const Value*, bool> is_input;
    for (const Value* v : g.inputs) is_input[v] = true;
    for (const Value* v : g.initializers) {
      Known& k = scope.at(v);
      k.type = TypeInfo::tensor(v->initializer->dtype(), v->initializer->shape());
      // An initializer that is also a graph input is only a default: callers may override it.
      if (!is_input.count(v)) {
        k.constant = *v->initializer;
        k.partial = partial_from_constant(*v->initializer);
      }
    }
    for (const auto& node : g.nodes()) infer_node(*node, scope);
    std::vector<TypeInfo> out;
    for (const Value* v : g.outputs) {
      Known* k = scope.find(v);
      out.push_back(k ? k->type : v->type);
    }
    return out;
  }

 private:
  void infer_node(const Node& node, Scope& scope) {
    const OpSchema* schema = OpRegistry::instance().find(node.domain, node.op_type, node.opset);
    std::vector<InferContext::Input> inputs(node.num_inputs());
    bool all_constant = true;
    for (size_t i = 0; i < node.num_inputs(); ++i) {
      const Value* v = node.input(i);
      if (!v) continue;
      Known* k = scope.find(v);
      if (!k) {
        // Values from enclosing graphs that were not inferred (or unknown graph inputs): type only.
        Known& fresh = scope.at(v);
        fresh.type = v->type;
        if (v->initializer) fresh.type = TypeInfo::tensor(v->initializer->dtype(), v->initializer->shape());
        k = &fresh;
      }
      inputs[i].type = &k->type;
      inputs[i].constant = k->constant ? &*k->constant : nullptr;
      inputs[i].partial = k->partial ? &*k->partial : nullptr;
      if (!k->constant) all_constant = false;
    }
    InferContext ctx(node, inputs);
    ctx.infer_subgraph = [&](const Graph& body, const std::vector<TypeInfo>& types) {
      Scope inner(&scope);
      return infer_graph(body, inner, &types);
    };
    if (schema && schema->infer) schema->infer(ctx);

    std::vector<RunValue> folded;
    // Fold only when the outputs are known to be small too: ConstantOfShape/Expand/Tile/Range of a few
    // constant numbers may describe a huge tensor, which inspecting a model must not allocate.
    bool small_outputs = true;
    for (const TypeInfo& t : ctx.output_types()) {
      if (t.kind != TypeInfo::Kind::kTensor || !t.shape.rank_known()) continue;
      int64_t known = 1;
      for (const Dim& d : t.shape.dims())
        if (d.is_known())
          known = d.value() > kMaxFoldElements ? kMaxFoldElements + 1
                                               : std::min<int64_t>(known * d.value(), kMaxFoldElements + 1);
      if (known > kMaxFoldElements) small_outputs = false;
    }
    if (schema && schema->run && schema->deterministic && all_constant && small_outputs && !has_subgraph(node)) {
      int64_t total = 0;
      for (const auto& in : inputs)
        if (in.constant) total += in.constant->numel();
      if (total <= kMaxFoldElements) folded = evaluate(node, *schema, inputs);
    }
    for (size_t i = 0; i < node.num_outputs(); ++i) {
      const Value* v = node.output(i);
      if (!v) continue;
      Known& k = scope.at(v);
      TypeInfo inferred = i < ctx.output_types().size() ? ctx.output_types()[i] : TypeInfo{};
      if (i < folded.size() && folded[i].is_tensor() && !folded[i].is_optional) {
        const Tensor& t = folded[i].tensor;
        if (t.numel() <= kMaxFoldElements) {
          inferred = TypeInfo::tensor(t.dtype(), t.shape());
          k.constant = t;
          k.partial = partial_from_constant(t);
        }
      }
      k.type = merge_types(v->type, inferred);
      if (!k.partial && i < ctx.output_partials().size() && ctx.output_partials()[i]) k.partial = ctx.output_partials()[i];
      const_cast<Value*>(v)->type = k.type;
    }
  }

  std::vector<RunValue> evaluate(const Node& node, const OpSchema& schema,
                                 const std::vector<InferContext::Input>& inputs) {
    std::vector<RunValue> values(inputs.size());
    std::vector<const RunValue*> ptrs(inputs.size(), nullptr);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].constant) continue;
      values[i] = RunValue(*inputs[i].constant);
      ptrs[i] = &values[i];
    }
    std::vector<RunValue> outputs(node.num_outputs());
    KernelContext ctx(node, ptrs, outputs, [&](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
      fail_unsupported("subgraphs are not evaluated during shape inference");
    });
    schema.run(ctx);
    return outputs;
  }
};

}  // namespace

void infer_shapes(Model& model) {
  Driver driver;
  Scope scope(nullptr);
  driver.infer_graph(*model.graph, scope, nullptr);
}

std::vector<const Value*> intermediate_values(const Graph& graph) {
  std::vector<const Value*> out;
  for (const auto& n : graph.nodes())
    for (const Value* v : n->outputs())
      if (v) out.push_back(v);
  return out;
}

}  // namespace onyx
