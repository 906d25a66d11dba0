#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::iota_f;

TEST(Shape, StartEndClampLikeSlices) {
  test::SingleOp op{.op_type = "Shape", .inputs = {iota_f({2, 3, 4})}};
  EXPECT_EQ(test::values<int64_t>(op.run()[0]), (std::vector<int64_t>{2, 3, 4}));
  op.attributes = {test::attr_int("start", -2)};
  EXPECT_EQ(test::values<int64_t>(op.run()[0]), (std::vector<int64_t>{3, 4}));
  op.attributes = {test::attr_int("start", 5)};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
  op.attributes = {test::attr_int("start", 2), test::attr_int("end", 1)};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
  op.attributes = {test::attr_int("end", -10)};
  EXPECT_EQ(op.infer()[0].to_string(), "int64[0]");
}

TEST(Shape, ScalarInputAndSymbolicType) {
  test::SingleOp op{.op_type = "Shape", .inputs = {Tensor::scalar<float>(1)}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
  op.inputs[0] = iota_f({2, 3});
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("b"), Dim(3)}))[0], "int64[2]");
}

TEST(Size, CountsElements) {
  test::SingleOp op{.op_type = "Size", .inputs = {Tensor(DType::kInt8, {2, 0, 3})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.rank(), 0u);
  EXPECT_EQ(out.data<int64_t>()[0], 0);
  op.inputs[0] = iota_f({2, 3});
  EXPECT_EQ(op.run()[0].data<int64_t>()[0], 6);
  EXPECT_EQ(op.infer()[0].to_string(), "int64[]");
}

}  // namespace
}  // namespace onyx
