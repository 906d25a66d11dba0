#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;
using test::i64;

TEST(ScatterElements, ReductionsAndDuplicates) {
  test::SingleOp op{.op_type = "ScatterElements",
                    .inputs = {f32({1, 3}, {1, 2, 3}), i64({1, 3}, {0, 0, -1}), f32({1, 3}, {4, 5, 6})},
                    .attributes = {test::attr_int("axis", 1)}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5, 2, 6}));  // last duplicate wins
  op.attributes.push_back(test::attr_string("reduction", "add"));
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{10, 2, 9}));
  op.attributes.back() = test::attr_string("reduction", "mul");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{20, 2, 18}));
  op.attributes.back() = test::attr_string("reduction", "max");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5, 2, 6}));
  op.attributes.back() = test::attr_string("reduction", "min");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 2, 3}));
  op.opset = 16;  // max/min are opset 18
  test::expect_bad_input(op, "reduction 'min'");
}

TEST(ScatterElements, OutOfRangeAndShapeMismatchFail) {
  test::SingleOp op{.op_type = "ScatterElements",
                    .inputs = {f32({3}, {1, 2, 3}), i64({1}, {3}), f32({1}, {9})}};
  test::expect_bad_input(op, "index 3 is out of range");
  op.inputs[1] = i64({2}, {0, 1});
  test::expect_bad_input(op, "shape of indices");
}

TEST(Scatter, DeprecatedNameWorksLikeScatterElements) {
  test::SingleOp op{
      .op_type = "Scatter", .opset = 9, .inputs = {f32({3}, {1, 2, 3}), i64({1}, {1}), f32({1}, {9})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 9, 3}));
}

TEST(ScatterND, SlicesWithReductionOnInts) {
  Tensor data = Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4});
  test::SingleOp op{
      .op_type = "ScatterND",
      .inputs = {data, i64({2, 1}, {1, -1}), Tensor::from_vector<int32_t>({2, 2}, {10, 20, 30, 40})},
      .attributes = {test::attr_string("reduction", "add")}};
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{1, 2, 43, 64}));
  op.inputs[1] = i64({2, 1}, {1, 2});
  test::expect_bad_input(op, "out of range");
  op.inputs[2] = Tensor::from_vector<int32_t>({2}, {1, 2});
  test::expect_bad_input(op, "updates");
}

TEST(ScatterND, StringsWithoutReduction) {
  Tensor data = Tensor::from_vector<std::string>({3}, {"a", "b", "c"});
  test::SingleOp op{.op_type = "ScatterND",
                    .inputs = {data, i64({1, 1}, {2}), Tensor::from_vector<std::string>({1}, {"z"})}};
  EXPECT_EQ(test::values<std::string>(op.run()[0]), (std::vector<std::string>{"a", "b", "z"}));
}

}  // namespace
}  // namespace onyx
