#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;

TEST(ConstantOfShape, DefaultIsFloatZero) {
  test::SingleOp op{.op_type = "ConstantOfShape", .inputs = {i64({2, 3})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kFloat32);
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(out), std::vector<float>(6, 0.0f));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[?,?]");
}

TEST(ConstantOfShape, ValueAttributeEmptyShapeIsScalar) {
  test::SingleOp op{.op_type = "ConstantOfShape",
                    .inputs = {i64({})},
                    .attributes = {test::attr_tensor("value", Tensor::from_vector<int32_t>({1}, {7}))}};
  auto out = op.run()[0];
  EXPECT_EQ(out.rank(), 0u);
  EXPECT_EQ(out.data<int32_t>()[0], 7);
}

TEST(ConstantOfShape, BadInputs) {
  test::SingleOp op{.op_type = "ConstantOfShape", .inputs = {i64({2, -1})}};
  test::expect_bad_input(op, "negative");
  op.inputs[0] = Tensor::from_vector<int32_t>({1}, {2});
  test::expect_bad_input(op, "int64");
  op.inputs[0] = i64({2});
  op.attributes = {test::attr_tensor("value", Tensor::from_vector<float>({2}, {1, 2}))};
  test::expect_bad_input(op, "one element");
}

}  // namespace
}  // namespace onyx
