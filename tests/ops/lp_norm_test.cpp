#include <cmath>

#include "op_test_util.h"

namespace onyx {

TEST(LpNorm, L1AndL2AlongAnAxis) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {3, 1, 4, -1});
  test::SingleOp l2{
      .op_type = "LpNormalization", .opset = 1, .inputs = {x}, .attributes = {test::attr_int("axis", 0)}};
  const auto y = test::values<float>(l2.run()[0]);
  EXPECT_NEAR(y[0], 0.6, 1e-6);
  EXPECT_NEAR(y[2], 0.8, 1e-6);
  EXPECT_NEAR(y[3], -1 / std::sqrt(2.0), 1e-6);
  test::SingleOp l1{
      .op_type = "LpNormalization", .opset = 1, .inputs = {x}, .attributes = {test::attr_int("p", 1)}};
  const auto z = test::values<float>(l1.run()[0]);
  EXPECT_NEAR(z[0], 0.75, 1e-6);
  EXPECT_NEAR(z[3], -0.2, 1e-6);
}

TEST(LpNorm, BadOrderFails) {
  test::SingleOp o{.op_type = "LpNormalization",
                   .opset = 1,
                   .inputs = {Tensor(DType::kFloat32, {2})},
                   .attributes = {test::attr_int("p", 3)}};
  EXPECT_THROW(o.run(), Error);
}

}  // namespace onyx
