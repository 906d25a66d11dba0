// Small tensor builders for the shape/data-movement op tests.
#pragma once

#include <numeric>

#include "op_test_util.h"

namespace onyx::test {

inline Tensor i64(std::vector<int64_t> v) {
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
}
inline Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) {
  return Tensor::from_vector<int64_t>(dims, v);
}
inline Tensor f32(std::vector<int64_t> dims, std::vector<float> v) {
  return Tensor::from_vector<float>(dims, v);
}
// 0, 1, 2, ... as float32
inline Tensor iota_f(std::vector<int64_t> dims) {
  Tensor t(DType::kFloat32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}
// A model input's declared type with symbolic dims, then prepared: the inferred output types.
inline std::vector<std::string> infer_with(const SingleOp& op, size_t input, Shape declared) {
  auto m = op.build();
  for (Value* v : m->graph->inputs)
    if (v->name() == "in" + std::to_string(input))
      v->type = TypeInfo::tensor(v->type.dtype, std::move(declared));
  prepare_model(*m);
  std::vector<std::string> out;
  for (const Value* v : m->graph->outputs) out.push_back(v->type.to_string());
  return out;
}
// Runs and expects a kBadInput error whose message mentions `needle`.
inline void expect_bad_input(const SingleOp& op, const std::string& needle) {
  try {
    op.run();
    ADD_FAILURE() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// An inline namespace of its own: control_test_util.h has another onyx::test::GraphBuilder, and two inline
// classes of one name in one program are an ODR violation (the linker kept the other constant(); ASan saw the
// heap overflow).
inline namespace shape_ops {

// Builds small multi-node graphs by hand (opset 18): inputs with declared types, initializers, nodes.
struct ShapeGraphBuilder {
  std::shared_ptr<Model> model = std::make_shared<Model>();
  Graph* g;
  explicit ShapeGraphBuilder(int64_t opset = 18) {
    model->ir_version = 8;
    model->opset_imports = {{"", opset}};
    model->graph = std::make_shared<Graph>();
    g = model->graph.get();
    g->name = "test";
  }
  Value* input(const std::string& name, DType dt, Shape shape) {
    Value* v = g->add_value(name);
    v->type = TypeInfo::tensor(dt, std::move(shape));
    g->inputs.push_back(v);
    return v;
  }
  Value* constant(const std::string& name, Tensor t) {
    Value* v = g->add_value(name);
    v->type = TypeInfo::tensor(t.dtype(), t.shape());
    v->initializer = std::move(t);
    g->initializers.push_back(v);
    return v;
  }
  Value* node(const std::string& op, std::vector<Value*> ins, const std::string& out,
              std::vector<Attribute> attrs = {}) {
    Value* v = g->add_value(out);
    Node* n = g->add_node(op, "", std::move(ins), {v}, out);
    n->attributes = std::move(attrs);
    return v;
  }
  void output(Value* v) { g->outputs.push_back(v); }
  // Prepares (resolution + shape inference) and returns the model.
  std::shared_ptr<Model> prepare() {
    prepare_model(*model);
    return model;
  }
  std::string type_of(const std::string& name) const { return g->find_value(name)->type.to_string(); }
};

}  // namespace shape_ops

}  // namespace onyx::test
