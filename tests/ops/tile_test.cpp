#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;
using test::i64;

TEST(Tile, RepeatsEachAxis) {
  test::SingleOp op{
      .op_type = "Tile", .inputs = {f32({2, 2}, {1, 2, 3, 4}), i64({2, 3})}, .constant_inputs = {1}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(test::values<float>(out)[6], 3.0f);
  EXPECT_EQ(test::values<float>(out)[12], 1.0f);
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(2)}))[0], "float32[?,6]");
}

TEST(Tile, ZeroRepeatsAndBadRepeats) {
  test::SingleOp op{.op_type = "Tile", .inputs = {f32({2}, {1, 2}), i64({0})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
  op.inputs[1] = i64({1, 1});
  test::expect_bad_input(op, "one entry per input axis");
  op.inputs[1] = i64({-1});
  test::expect_bad_input(op, "negative");
}

TEST(Tile, Opset1TilesOneAxis) {
  test::SingleOp op{.op_type = "Tile",
                    .opset = 1,
                    .inputs = {f32({1, 2}, {1, 2}), Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(0)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{3, 2}));
}

}  // namespace
}  // namespace onyx
