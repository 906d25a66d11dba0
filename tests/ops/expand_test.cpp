#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;
using test::i64;

TEST(Expand, BidirectionalBroadcast) {
  test::SingleOp op{.op_type = "Expand", .inputs = {f32({3, 1}, {1, 2, 3}), i64({2, 1, 2})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // A shape smaller than the input keeps the input's dims.
  op.inputs[1] = i64({1});
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 1}));
}

TEST(Expand, IncompatibleShapesFail) {
  test::SingleOp op{.op_type = "Expand", .inputs = {f32({3}, {1, 2, 3}), i64({2})}};
  test::expect_bad_input(op, "broadcast");
  op.inputs[1] = i64({-1});
  test::expect_bad_input(op, "negative");
}

TEST(Expand, InfersFromConstantAndSymbolicInput) {
  test::SingleOp op{
      .op_type = "Expand", .inputs = {f32({3, 1}, {1, 2, 3}), i64({3, 4})}, .constant_inputs = {1}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[3,4]");
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(1)}))[0], "float32[3,4]");
  op.inputs[1] = i64({1, 4});
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(1)}))[0], "float32[n,4]");
}

TEST(Expand, BoolAndEmpty) {
  test::SingleOp op{.op_type = "Expand", .inputs = {Tensor::from_vector<bool>({1}, {true}), i64({0, 2})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace onyx
