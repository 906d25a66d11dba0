#include <cmath>

#include "op_test_util.h"

namespace onyx {

TEST(InstanceNorm, NormalizesEachInstanceAndChannel) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 3, 10, 10});
  test::SingleOp o{
      .op_type = "InstanceNormalization",
      .opset = 6,
      .inputs = {x, Tensor::from_vector<float>({2}, {2, 1}), Tensor::from_vector<float>({2}, {0, 5})},
      .attributes = {test::attr_float("epsilon", 0)}};
  // Channel 0: mean 2, std 1 → -1, 1 scaled by 2. Channel 1: constant → 0 / sqrt(0) is NaN without epsilon.
  const auto y = test::values<float>(o.run()[0]);
  EXPECT_FLOAT_EQ(y[0], -2);
  EXPECT_FLOAT_EQ(y[1], 2);
  EXPECT_TRUE(std::isnan(y[2]));
  o.attributes = {};  // default epsilon 1e-5: constant channel → bias
  EXPECT_FLOAT_EQ(test::values<float>(o.run()[0])[3], 5);
  EXPECT_EQ(o.infer()[0].to_string(), "float32[1,2,2]");
}

TEST(InstanceNorm, BadParameterShapeFails) {
  const Tensor x(DType::kFloat32, {1, 2, 2});
  test::SingleOp o{.op_type = "InstanceNormalization",
                   .opset = 6,
                   .inputs = {x, Tensor(DType::kFloat32, {3}), Tensor(DType::kFloat32, {2})}};
  EXPECT_THROW(o.run(), Error);
  test::SingleOp ints{.op_type = "InstanceNormalization",
                      .opset = 6,
                      .inputs = {Tensor(DType::kInt32, {1, 2, 2}), Tensor(DType::kFloat32, {2}),
                                 Tensor(DType::kFloat32, {2})}};
  EXPECT_THROW(ints.run(), Error);
}

}  // namespace onyx
