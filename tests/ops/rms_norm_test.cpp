#include <cmath>

#include "op_test_util.h"

namespace onyx {

TEST(RMSNorm, DividesByRootMeanSquare) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {3, 4, 1, -1});
  test::SingleOp o{.op_type = "RMSNormalization",
                   .opset = 23,
                   .inputs = {x, Tensor::from_vector<float>({2}, {1, 2})},
                   .attributes = {test::attr_float("epsilon", 0)}};
  const auto y = test::values<float>(o.run()[0]);
  const double r = std::sqrt(12.5);
  EXPECT_NEAR(y[0], 3 / r, 1e-6);
  EXPECT_NEAR(y[1], 8 / r, 1e-6);
  EXPECT_NEAR(y[2], 1, 1e-6);
  EXPECT_NEAR(y[3], -2, 1e-6);
  EXPECT_EQ(o.infer()[0].to_string(), "float32[2,2]");
}

TEST(RMSNorm, AxisZeroAndErrors) {
  const Tensor x = Tensor::from_vector<float>({2, 1}, {3, 4});
  test::SingleOp o{.op_type = "RMSNormalization",
                   .opset = 23,
                   .inputs = {x, Tensor::from_vector<float>({1}, {1})},
                   .attributes = {test::attr_int("axis", 0), test::attr_float("epsilon", 0)}};
  const auto y = test::values<float>(o.run()[0]);
  EXPECT_NEAR(y[0], 3 / std::sqrt(12.5), 1e-6);
  test::SingleOp bad{.op_type = "RMSNormalization", .opset = 23, .inputs = {x, Tensor(DType::kFloat32, {3})}};
  EXPECT_THROW(bad.run(), Error);
  test::SingleOp old{.op_type = "RMSNormalization", .opset = 22, .inputs = {x, Tensor(DType::kFloat32, {1})}};
  EXPECT_THROW(old.run(), Error);
}

}  // namespace onyx
