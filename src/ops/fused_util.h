// Helpers for the fused onyx-domain ops (fused_*.cpp): run or infer a registered standard op on tensors/types,
// so a fused op's reference kernel is exactly the composition of the ops it replaced.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "op.h"

namespace onyx::fused {

// A one-node graph for a standard op (domain "", given opset), with `num_inputs` input slots (absent where
// `present[i]` is false) and one output.
struct TempNode {
  Graph graph;
  Node* node = nullptr;
  TempNode(const std::string& op_type, int64_t opset, std::vector<Attribute> attrs, const std::vector<bool>& present) {
    std::vector<Value*> ins;
    for (size_t i = 0; i < present.size(); ++i)
      ins.push_back(present[i] ? graph.add_value("i" + std::to_string(i)) : nullptr);
    node = graph.add_node(op_type, "", ins, {graph.add_value("o")}, op_type);
    node->opset = opset;
    node->attributes = std::move(attrs);
  }
};

inline const OpSchema& schema_of(const Node& outer, const std::string& op_type, int64_t opset) {
  const OpSchema* s = OpRegistry::instance().find("", op_type, opset);
  if (!s || !s->run) fail_unsupported(outer.describe(), ": op ", op_type, " (opset ", opset, ") is not available");
  return *s;
}

// Runs standard op `op_type` at `opset` on `inputs` (nullptr = absent) and returns its output 0. Errors name the
// fused node `outer`.
inline Tensor run_op(const Node& outer, const std::string& op_type, int64_t opset, std::vector<Attribute> attrs,
                     const std::vector<const Tensor*>& inputs) {
  const OpSchema& s = schema_of(outer, op_type, opset);
  std::vector<bool> present;
  for (const Tensor* t : inputs) present.push_back(t != nullptr);
  TempNode tmp(op_type, opset, std::move(attrs), present);
  std::vector<RunValue> in_values(inputs.size());
  std::vector<const RunValue*> ins(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) continue;
    in_values[i] = RunValue(*inputs[i]);
    ins[i] = &in_values[i];
  }
  std::vector<RunValue> outs(1);
  try {
    KernelContext kc(*tmp.node, ins, outs, [](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
      fail_unsupported("subgraph in a fused op");
    });
    s.run(kc);
  } catch (const Error& e) {
    throw Error(e.code(), outer.describe() + ": " + e.what());
  }
  if (outs[0].kind != RunValue::Kind::kTensor) fail_bad_input(outer.describe(), ": ", op_type, " gave no tensor");
  return std::move(outs[0].tensor);
}

// Infers output 0 of standard op `op_type` at `opset` given input types (nullptr = absent).
inline TypeInfo infer_op(const Node& outer, const std::string& op_type, int64_t opset, std::vector<Attribute> attrs,
                         const std::vector<const TypeInfo*>& types, const std::vector<const Tensor*>& constants = {}) {
  const OpSchema& s = schema_of(outer, op_type, opset);
  if (!s.infer) return TypeInfo{};
  std::vector<bool> present;
  for (const TypeInfo* t : types) present.push_back(t != nullptr);
  TempNode tmp(op_type, opset, std::move(attrs), present);
  std::vector<InferContext::Input> ins(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    ins[i].type = types[i];
    if (i < constants.size()) ins[i].constant = constants[i];
  }
  InferContext ic(*tmp.node, ins);
  try {
    s.infer(ic);
  } catch (const Error& e) {
    throw Error(e.code(), outer.describe() + ": " + e.what());
  }
  return ic.output_types().empty() ? TypeInfo{} : ic.output_types()[0];
}

inline Attribute float_attr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}
inline Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
inline Attribute string_attr(const std::string& name, std::string v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kString;
  a.s = std::move(v);
  return a;
}

// The activations FusedConv / FusedMatMul accept (attribute `activation`; parameters activation_alpha/_beta):
// "" (none), Relu, Sigmoid, Tanh, LeakyRelu(alpha), HardSigmoid(alpha, beta), HardSwish, Clip(min=alpha,
// max=beta), Gelu, GeluTanh (Gelu with approximate="tanh").
inline bool is_known_activation(const std::string& a) {
  return a.empty() || a == "Relu" || a == "Sigmoid" || a == "Tanh" || a == "LeakyRelu" || a == "HardSigmoid" ||
         a == "HardSwish" || a == "Clip" || a == "Gelu" || a == "GeluTanh";
}

inline Tensor apply_activation(const Node& outer, Tensor x) {
  const std::string act = outer.attr_string("activation", "");
  if (act.empty()) return x;
  const float alpha = outer.attr_float("activation_alpha", 0.f);
  const float beta = outer.attr_float("activation_beta", 0.f);
  constexpr int64_t kLatest = 1000;
  if (act == "Relu" || act == "Sigmoid" || act == "Tanh" || act == "HardSwish")
    return run_op(outer, act, kLatest, {}, {&x});
  if (act == "LeakyRelu") return run_op(outer, act, kLatest, {float_attr("alpha", alpha)}, {&x});
  if (act == "HardSigmoid")
    return run_op(outer, act, kLatest, {float_attr("alpha", alpha), float_attr("beta", beta)}, {&x});
  if (act == "Clip") {
    const Tensor lo = Tensor::scalar<float>(alpha).cast(x.dtype());
    const Tensor hi = Tensor::scalar<float>(beta).cast(x.dtype());
    return run_op(outer, act, kLatest, {}, {&x, &lo, &hi});
  }
  if (act == "Gelu") return run_op(outer, act, kLatest, {}, {&x});
  if (act == "GeluTanh") return run_op(outer, "Gelu", kLatest, {string_attr("approximate", "tanh")}, {&x});
  fail_bad_input(outer.describe(), ": unknown activation '", act, "'");
}

inline void check_activation(InferContext& ctx) {
  const std::string act = ctx.node().attr_string("activation", "");
  if (!is_known_activation(act)) ctx.fail("unknown activation '", act, "'");
}

}  // namespace onyx::fused
