// Gradient (ai.onnx.preview.training): reverse-mode differentiation of the graph that computes y.
#include "op_test_util.h"

namespace onyx {
namespace {

Attribute strings_attr(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}

// c = a + b (b broadcast over rows), d = second_op(c, a); Gradient of d with respect to a and b.
std::vector<Tensor> run_case(const std::string& second_op, const Tensor& a, const Tensor& b) {
  auto m = std::make_shared<Model>();
  m->ir_version = 8;
  m->opset_imports = {{"", 13}, {"ai.onnx.preview.training", 1}};
  m->graph = std::make_shared<Graph>();
  Graph& g = *m->graph;
  Value* va = g.add_value("a");
  va->type = TypeInfo::tensor(a.dtype(), a.shape());
  Value* vb = g.add_value("b");
  vb->type = TypeInfo::tensor(b.dtype(), b.shape());
  g.inputs = {va, vb};
  Value* c = g.add_value("c");
  Value* d = g.add_value("d");
  Value* da = g.add_value("dd_da");
  Value* db = g.add_value("dd_db");
  g.add_node("Add", "", {va, vb}, {c}, "add");
  g.add_node(second_op, "", {c, va}, {d}, "second");
  Node* grad = g.add_node("Gradient", "ai.onnx.preview.training", {va, vb}, {da, db}, "grad");
  grad->attributes = {strings_attr("xs", {"a", "b"})};
  Attribute y;
  y.name = "y";
  y.type = AttrType::kString;
  y.s = "d";
  grad->attributes.push_back(y);
  g.outputs = {d, da, db};
  prepare_model(*m);
  RefSession session(m);
  std::vector<Tensor> out;
  for (auto& [name, value] : session.run({{"a", RunValue(a)}, {"b", RunValue(b)}})) out.push_back(value.tensor);
  return out;
}

TEST(Gradient, AddThenMulWithBroadcasting) {
  const Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<float>({2}, {10, 20});
  auto out = run_case("Mul", a, b);
  // d = (a + b) * a  →  dd/da = 2a + b,  dd/db = sum over rows of a.
  EXPECT_EQ(test::values<float>(out[1]), (std::vector<float>{12, 24, 16, 28}));
  EXPECT_EQ(test::values<float>(out[2]), (std::vector<float>{4, 6}));
}

TEST(Gradient, DivQuotientRule) {
  const Tensor a = Tensor::from_vector<double>({2}, {1, 2});
  const Tensor b = Tensor::from_vector<double>({2}, {3, 4});
  auto out = run_case("Div", a, b);
  // d = (a + b) / a = 1 + b/a  →  dd/da = -b/a²,  dd/db = 1/a.
  EXPECT_DOUBLE_EQ(out[1].data<double>()[0], -3.0);
  EXPECT_DOUBLE_EQ(out[1].data<double>()[1], -1.0);
  EXPECT_DOUBLE_EQ(out[2].data<double>()[0], 1.0);
  EXPECT_DOUBLE_EQ(out[2].data<double>()[1], 0.5);
}

TEST(Gradient, OpWithoutADerivativeIsUnsupported) {
  const Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<float>({2, 2}, {1, 0, 0, 1});
  try {
    run_case("MatMul", a, b);
    FAIL() << "MatMul was differentiated";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("cannot differentiate"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace onyx
