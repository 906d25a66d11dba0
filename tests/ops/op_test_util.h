// Helpers for op unit tests: build a one-node model, prepare it (resolution + shape inference) and run it on the
// ref backend.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "onyx/graph.h"
#include "onyx/ref.h"
#include "onyx/tensor.h"

namespace onyx::test {

inline Attribute attr_int(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
inline Attribute attr_float(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}
inline Attribute attr_ints(const std::string& name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInts;
  a.ints = std::move(v);
  return a;
}
inline Attribute attr_floats(const std::string& name, std::vector<float> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloats;
  a.floats = std::move(v);
  return a;
}
inline Attribute attr_string(const std::string& name, std::string v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kString;
  a.s = std::move(v);
  return a;
}
inline Attribute attr_tensor(const std::string& name, Tensor t) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kTensor;
  a.t = std::move(t);
  return a;
}

// One node of `op_type` at `opset`, whose inputs are graph inputs (or absent where the tensor is invalid) and whose
// outputs are graph outputs. Inputs listed in `constant_inputs` become initializers instead (so shape inference
// sees their values).
struct SingleOp {
  std::string op_type;
  int64_t opset = 18;
  std::vector<Tensor> inputs;
  std::vector<Attribute> attributes;
  int num_outputs = 1;
  std::vector<size_t> constant_inputs;
  std::string domain;

  std::shared_ptr<Model> build() const {
    auto m = std::make_shared<Model>();
    m->ir_version = 8;
    m->opset_imports = {{"", opset}};
    if (!domain.empty()) m->opset_imports.push_back({domain, 1});
    m->graph = std::make_shared<Graph>();
    Graph& g = *m->graph;
    g.name = "test";
    std::vector<Value*> ins;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].is_valid()) {
        ins.push_back(nullptr);
        continue;
      }
      Value* v = g.add_value("in" + std::to_string(i));
      v->type = TypeInfo::tensor(inputs[i].dtype(), inputs[i].shape());
      bool constant = false;
      for (size_t c : constant_inputs) constant |= c == i;
      if (constant) {
        v->initializer = inputs[i];
        g.initializers.push_back(v);
      } else {
        g.inputs.push_back(v);
      }
      ins.push_back(v);
    }
    std::vector<Value*> outs;
    for (int i = 0; i < num_outputs; ++i) {
      Value* v = g.add_value("out" + std::to_string(i));
      outs.push_back(v);
      g.outputs.push_back(v);
    }
    Node* n = g.add_node(op_type, domain, ins, outs, "node");
    n->attributes = attributes;
    return m;
  }

  // Prepares and runs; returns the outputs in order. Throws onyx::Error like the CLI would see it.
  std::vector<Tensor> run() const {
    auto m = build();
    prepare_model(*m);
    NamedValues feeds;
    for (const Value* v : m->graph->inputs) {
      const size_t i = std::stoul(v->name().substr(2));
      feeds.emplace_back(v->name(), RunValue(inputs[i]));
    }
    RefSession session(m);
    std::vector<Tensor> out;
    for (auto& [name, value] : session.run(feeds)) out.push_back(value.tensor);
    return out;
  }

  // Prepares only; returns the inferred output types.
  std::vector<TypeInfo> infer() const {
    auto m = build();
    prepare_model(*m);
    std::vector<TypeInfo> out;
    for (const Value* v : m->graph->outputs) out.push_back(v->type);
    return out;
  }
};

template <typename T>
std::vector<T> values(const Tensor& t) {
  std::vector<T> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<T>()[i]);
  return out;
}

}  // namespace onyx::test
