// Helpers for tests of ops with subgraphs, sequences and optionals: build a model by hand (graphs, subgraph
// attributes, typed inputs), prepare it and run it on the ref backend with RunValue feeds.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "onyx/graph.h"
#include "onyx/ref.h"
#include "onyx/tensor.h"
#include "op_test_util.h"

namespace onyx::test {

inline Attribute attr_graph(const std::string& name, std::shared_ptr<Graph> g) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kGraph;
  a.g = std::move(g);
  return a;
}

inline Attribute attr_strings(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}

inline Attribute attr_type(const std::string& name, TypeInfo t) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kTypeProto;
  a.tp = std::move(t);
  return a;
}

// Builds nodes into one graph (the main graph or a subgraph).
class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& g) : g_(g) {}
  Value* input(const std::string& name, TypeInfo type) {
    Value* v = g_.add_value(name);
    v->type = std::move(type);
    g_.inputs.push_back(v);
    return v;
  }
  Value* constant(const std::string& name, Tensor t) {
    Value* v = g_.add_value(name);
    v->type = TypeInfo::tensor(t.dtype(), t.shape());
    v->initializer = std::move(t);
    g_.initializers.push_back(v);
    return v;
  }
  // Adds a node; returns its outputs (named name/0, name/1, ...).
  std::vector<Value*> node(const std::string& op, std::vector<Value*> inputs, size_t n_outputs = 1,
                           std::vector<Attribute> attrs = {}, const std::string& domain = "") {
    const std::string name = op + std::to_string(counter_++);
    std::vector<Value*> outs;
    for (size_t i = 0; i < n_outputs; ++i) outs.push_back(g_.add_value(g_.name + "/" + name + "/" + std::to_string(i)));
    Node* n = g_.add_node(op, domain, std::move(inputs), outs, name);
    n->attributes = std::move(attrs);
    return outs;
  }
  Value* node1(const std::string& op, std::vector<Value*> inputs, std::vector<Attribute> attrs = {}) {
    return node(op, std::move(inputs), 1, std::move(attrs))[0];
  }
  void output(Value* v) { g_.outputs.push_back(v); }
  Graph& graph() { return g_; }

 private:
  Graph& g_;
  int counter_ = 0;
};

struct TestModel {
  std::shared_ptr<Model> model = std::make_shared<Model>();
  explicit TestModel(int64_t opset = 18, std::string extra_domain = "") {
    model->ir_version = 8;
    model->opset_imports = {{"", opset}};
    if (!extra_domain.empty()) model->opset_imports.push_back({extra_domain, 1});
    model->graph = std::make_shared<Graph>();
    model->graph->name = "main";
  }
  Graph& graph() { return *model->graph; }
  // A subgraph whose parent is `parent` (the main graph by default).
  std::shared_ptr<Graph> subgraph(const std::string& name, Graph* parent = nullptr) {
    auto g = std::make_shared<Graph>(parent ? parent : model->graph.get());
    g->name = name;
    return g;
  }
  void prepare() { prepare_model(*model); }
  NamedValues run(const NamedValues& feeds) {
    prepare();
    return RefSession(model).run(feeds);
  }
};

// The ErrorCode of what `f` throws (or -1 when it does not throw an onyx::Error); the message goes to `msg`.
template <typename F>
int error_code(F&& f, std::string* msg = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (msg) *msg = e.what();
    return static_cast<int>(e.code());
  }
  return -1;
}

inline TypeInfo scalar_type(DType t) { return TypeInfo::tensor(t, Shape()); }

}  // namespace onyx::test
