#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Squeeze, GivenAxesNegativeAndAll) {
  test::SingleOp op{.op_type = "Squeeze", .inputs = {iota_f({1, 3, 1, 2}), i64({-2})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 3, 2}));
  op.inputs.resize(1);
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 2}));
  op.inputs.push_back(i64({}));  // an empty list squeezes every size-1 axis
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 2}));
}

TEST(Squeeze, NonUnitAxisFails) {
  test::SingleOp op{.op_type = "Squeeze", .inputs = {iota_f({1, 3}), i64({1})}};
  test::expect_bad_input(op, "not 1");
  op.inputs[1] = i64({2});
  test::expect_bad_input(op, "out of range");
  op.inputs[1] = i64({0, -2});
  test::expect_bad_input(op, "repeated");
}

TEST(Squeeze, Opset11AxesAttribute) {
  test::SingleOp op{.op_type = "Squeeze",
                    .opset = 11,
                    .inputs = {iota_f({1, 3, 1})},
                    .attributes = {test::attr_ints("axes", {0})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[3,1]");
}

TEST(Squeeze, InferenceKeepsSymbolsAndKnowsWhenRankIsUnknown) {
  test::SingleOp op{.op_type = "Squeeze", .inputs = {iota_f({1, 3}), i64({0})}, .constant_inputs = {1}};
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim(1), Dim::symbol("n")}))[0], "float32[n]");
  op.inputs.resize(1);
  // Without axes a symbolic dim might be 1: the rank is unknown.
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim(1), Dim::symbol("n")}))[0], "float32[...]");
}

TEST(Unsqueeze, AxesAreOutputPositions) {
  test::SingleOp op{.op_type = "Unsqueeze", .inputs = {iota_f({3, 4}), i64({0, 3})}, .constant_inputs = {1}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 3, 4, 1}));
  op.inputs[1] = i64({-1, 1});
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 1, 4, 1}));
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("b"), Dim(4)}))[0], "float32[b,1,4,1]");
  op.inputs[1] = i64({0, 0});
  test::expect_bad_input(op, "repeated");
  op.inputs[1] = i64({4});
  test::expect_bad_input(op, "out of range");
}

TEST(Unsqueeze, ScalarAndOpset1Attribute) {
  test::SingleOp op{.op_type = "Unsqueeze",
                    .opset = 1,
                    .inputs = {Tensor::scalar<int64_t>(7)},
                    .attributes = {test::attr_ints("axes", {0})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(test::values<int64_t>(out[0]), (std::vector<int64_t>{7}));
  op.attributes.clear();
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
