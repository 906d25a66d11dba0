#include <cmath>

#include "op_test_util.h"

namespace onyx {

TEST(MVN, DefaultAxesArePerChannel) {
  // [2, 2, 1, 1]: channel 0 holds {1, 3}, channel 1 holds {5, 5}.
  const Tensor x = Tensor::from_vector<float>({2, 2, 1, 1}, {1, 5, 3, 5});
  test::SingleOp o{.op_type = "MeanVarianceNormalization", .opset = 13, .inputs = {x}};
  const auto y = test::values<float>(o.run()[0]);
  EXPECT_NEAR(y[0], -1, 1e-6);
  EXPECT_NEAR(y[2], 1, 1e-6);
  EXPECT_EQ(y[1], 0);  // zero variance: 0 / (0 + 1e-9)
  EXPECT_EQ(o.infer()[0].to_string(), "float32[2,2,1,1]");
}

TEST(MVN, CustomAxesAndErrors) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {0, 2, 4, 4});
  test::SingleOp o{.op_type = "MeanVarianceNormalization",
                   .opset = 13,
                   .inputs = {x},
                   .attributes = {test::attr_ints("axes", {-1})}};
  const auto y = test::values<float>(o.run()[0]);
  EXPECT_NEAR(y[0], -1, 1e-6);
  EXPECT_NEAR(y[1], 1, 1e-6);
  test::SingleOp rank{.op_type = "MeanVarianceNormalization", .opset = 13, .inputs = {x}};
  EXPECT_THROW(rank.run(), Error);  // default axes [0, 2, 3] need rank 4
}

}  // namespace onyx
