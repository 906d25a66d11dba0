#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;
using test::i64;

TEST(OneHot, NegativeAndOutOfRangeIndices) {
  test::SingleOp op{.op_type = "OneHot",
                    .inputs = {i64({3}, {0, -1, 5}), Tensor::scalar<int64_t>(3), f32({2}, {0, 1})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST(OneHot, AxisZeroFloatIndicesAndInference) {
  test::SingleOp op{.op_type = "OneHot",
                    .inputs = {f32({2}, {1.7f, 0}), Tensor::scalar<float>(2), i64({2}, {-1, 7})},
                    .attributes = {test::attr_int("axis", 0)},
                    .constant_inputs = {1}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(test::values<int64_t>(out), (std::vector<int64_t>{-1, 7, 7, -1}));
  EXPECT_EQ(op.infer()[0].to_string(), "int64[2,2]");
}

TEST(OneHot, BadInputs) {
  test::SingleOp op{.op_type = "OneHot",
                    .inputs = {i64({1}, {0}), Tensor::scalar<int64_t>(0), f32({2}, {0, 1})}};
  test::expect_bad_input(op, "depth");
  op.inputs[1] = Tensor::scalar<int64_t>(2);
  op.inputs[2] = f32({3}, {0, 1, 2});
  test::expect_bad_input(op, "values");
  op.inputs[2] = f32({2}, {0, 1});
  op.attributes = {test::attr_int("axis", 2)};
  test::expect_bad_input(op, "axis");
}

}  // namespace
}  // namespace onyx
