#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Split, SplitInputAndNegativeAxis) {
  test::SingleOp op{.op_type = "Split",
                    .inputs = {iota_f({2, 5}), i64({2, 3})},
                    .attributes = {test::attr_int("axis", -1)},
                    .num_outputs = 2,
                    .constant_inputs = {1}};
  auto out = op.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{0, 1, 5, 6}));
  EXPECT_EQ(test::values<float>(out[1]), (std::vector<float>{2, 3, 4, 7, 8, 9}));
  auto types = op.infer();
  EXPECT_EQ(types[0].to_string(), "float32[2,2]");
  EXPECT_EQ(types[1].to_string(), "float32[2,3]");
}

TEST(Split, EqualPartsRequireDivisibilityBeforeOpset18) {
  test::SingleOp op{.op_type = "Split", .opset = 13, .inputs = {iota_f({7})}, .num_outputs = 2};
  test::expect_bad_input(op, "equal parts");
  op.inputs[0] = iota_f({6});
  EXPECT_EQ(op.run()[1].dims(), (std::vector<int64_t>{3}));
}

TEST(Split, NumOutputsGivesSmallerLastPiece) {
  test::SingleOp op{.op_type = "Split",
                    .opset = 18,
                    .inputs = {iota_f({7})},
                    .attributes = {test::attr_int("num_outputs", 3)},
                    .num_outputs = 3};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(out[2].dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(test::values<float>(out[2]), (std::vector<float>{6}));
  op.attributes = {test::attr_int("num_outputs", 2)};
  test::expect_bad_input(op, "num_outputs");
}

TEST(Split, Opset2AttributeAndBadSplit) {
  test::SingleOp op{.op_type = "Split",
                    .opset = 11,
                    .inputs = {iota_f({5})},
                    .attributes = {test::attr_ints("split", {1, 4})},
                    .num_outputs = 2};
  EXPECT_EQ(op.run()[1].dims(), (std::vector<int64_t>{4}));
  op.attributes = {test::attr_ints("split", {1, 3})};
  test::expect_bad_input(op, "sums to");
}

}  // namespace
}  // namespace onyx
