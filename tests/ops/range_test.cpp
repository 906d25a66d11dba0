#include "shape_ops_test_util.h"

namespace onyx {
namespace {

TEST(Range, IntegersAndFloats) {
  test::SingleOp op{
      .op_type = "Range",
      .inputs = {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(1), Tensor::scalar<int32_t>(-3)}};
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{10, 7, 4}));
  op.inputs = {Tensor::scalar<float>(0), Tensor::scalar<float>(1), Tensor::scalar<float>(0.25f)};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 0.25f, 0.5f, 0.75f}));
  op.inputs = {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1), Tensor::scalar<int64_t>(1)};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
}

TEST(Range, BadInputs) {
  test::SingleOp op{
      .op_type = "Range",
      .inputs = {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(4), Tensor::scalar<int64_t>(0)}};
  test::expect_bad_input(op, "delta");
  op.inputs[2] = Tensor::scalar<int32_t>(1);
  test::expect_bad_input(op, "different dtypes");
  op.inputs = {Tensor::scalar<uint8_t>(0), Tensor::scalar<uint8_t>(4), Tensor::scalar<uint8_t>(1)};
  EXPECT_THROW(op.run(), Error);
}

TEST(Range, SymbolicLimitFromShape) {
  // Range(0, Size(x), 1) for x[n]: the output has n elements.
  auto m = std::make_shared<Model>();
  m->ir_version = 8;
  m->opset_imports = {{"", 18}};
  m->graph = std::make_shared<Graph>();
  Graph& g = *m->graph;
  auto constant = [&](const std::string& name, int64_t v) {
    Value* c = g.add_value(name);
    c->type = TypeInfo::tensor(DType::kInt64, Shape());
    c->initializer = Tensor::scalar<int64_t>(v);
    g.initializers.push_back(c);
    return c;
  };
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("n")}));
  g.inputs.push_back(x);
  Value* size = g.add_value("size");
  g.add_node("Size", "", {x}, {size}, "size");
  Value* y = g.add_value("y");
  g.add_node("Range", "", {constant("zero", 0), size, constant("one", 1)}, {y}, "range");
  g.outputs.push_back(y);
  prepare_model(*m);
  EXPECT_EQ(y->type.to_string(), "int64[n]");
}

}  // namespace
}  // namespace onyx
