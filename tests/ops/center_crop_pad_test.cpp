#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(CenterCropPad, CropRoundsDownPadPutsExtraOnTheRight) {
  // Axis 0: 5 -> 2 crops starting at 1; axis 1: 1 -> 4 pads 1 before, 2 after.
  test::SingleOp op{
      .op_type = "CenterCropPad", .inputs = {iota_f({5, 1}), i64({2, 4})}, .constant_inputs = {1}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{0, 1, 0, 0, 0, 2, 0, 0}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,4]");
}

TEST(CenterCropPad, AxesAttributeAndSymbolicOthers) {
  test::SingleOp op{.op_type = "CenterCropPad",
                    .inputs = {iota_f({2, 4}), i64({2})},
                    .attributes = {test::attr_ints("axes", {-1})},
                    .constant_inputs = {1}};
  auto out = op.run()[0];
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 2, 5, 6}));
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("b"), Dim(4)}))[0], "float32[b,2]");
  op.inputs[1] = i64({2, 2});
  test::expect_bad_input(op, "entries");
  op.inputs[1] = i64({-2});
  test::expect_bad_input(op, "negative");
}

}  // namespace
}  // namespace onyx
