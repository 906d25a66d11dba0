#include <cmath>

#include "op_test_util.h"

namespace onyx {

namespace {
// [1, 4, 1]: groups of two channels {1, 3} and {10, 20}.
const Tensor x = Tensor::from_vector<float>({1, 4, 1}, {1, 3, 10, 20});
}  // namespace

TEST(GroupNorm, Opset18TakesScalePerGroup) {
  test::SingleOp o{
      .op_type = "GroupNormalization",
      .opset = 18,
      .inputs = {x, Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<float>({2}, {0, 1})},
      .attributes = {test::attr_int("num_groups", 2), test::attr_float("epsilon", 0)}};
  EXPECT_EQ(test::values<float>(o.run()[0]), (std::vector<float>{-1, 1, -1, 3}));
  EXPECT_EQ(o.infer()[0].to_string(), "float32[1,4,1]");
}

TEST(GroupNorm, Opset21TakesScalePerChannel) {
  test::SingleOp o{.op_type = "GroupNormalization",
                   .opset = 21,
                   .inputs = {x, Tensor::from_vector<float>({4}, {1, 2, 3, 4}),
                              Tensor::from_vector<float>({4}, {0, 0, 0, 1})},
                   .attributes = {test::attr_int("num_groups", 2), test::attr_float("epsilon", 0)}};
  EXPECT_EQ(test::values<float>(o.run()[0]), (std::vector<float>{-1, 2, -3, 5}));
  // Per-group parameters are wrong at 21.
  o.inputs[1] = Tensor::from_vector<float>({2}, {1, 1});
  o.inputs[2] = Tensor::from_vector<float>({2}, {0, 0});
  EXPECT_THROW(o.run(), Error);
}

TEST(GroupNorm, BadGroupsFail) {
  test::SingleOp o{.op_type = "GroupNormalization",
                   .opset = 21,
                   .inputs = {x, Tensor(DType::kFloat32, {4}), Tensor(DType::kFloat32, {4})},
                   .attributes = {test::attr_int("num_groups", 3)}};
  EXPECT_THROW(o.infer(), Error);
  o.attributes = {};
  EXPECT_THROW(o.run(), Error);  // num_groups is required
}

}  // namespace onyx
