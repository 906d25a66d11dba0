#include <cmath>

#include "op_test_util.h"

namespace onyx {

namespace {
void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
Tensor vec(std::vector<float> v) {
  return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
}
// X [2, 2, 2]: channel 0 holds 1,2 / 5,6; channel 1 holds 3,4 / 7,8.
const Tensor x = Tensor::from_vector<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
}  // namespace

TEST(BatchNorm, InferenceUsesGivenStatistics) {
  test::SingleOp o{.op_type = "BatchNormalization",
                   .opset = 15,
                   .inputs = {x, vec({1, 2}), vec({0, 1}), vec({0, 4}), vec({1, 4})},
                   .attributes = {test::attr_float("epsilon", 0)}};
  expect_near(test::values<float>(o.run()[0]), {1, 2, 0, 1, 5, 6, 4, 5});
  EXPECT_EQ(o.infer()[0].to_string(), "float32[2,2,2]");
  // Opset 6 with is_test = 1 and the legacy attributes is the same.
  o.opset = 6;
  o.attributes.push_back(test::attr_int("is_test", 1));
  o.attributes.push_back(test::attr_int("spatial", 1));
  expect_near(test::values<float>(o.run()[0]), {1, 2, 0, 1, 5, 6, 4, 5});
}

TEST(BatchNorm, TrainingModeOutputsRunningStatistics) {
  test::SingleOp o{.op_type = "BatchNormalization",
                   .opset = 15,
                   .inputs = {x, vec({1, 1}), vec({0, 0}), vec({0, 0}), vec({1, 1})},
                   .attributes = {test::attr_int("training_mode", 1), test::attr_float("epsilon", 0),
                                  test::attr_float("momentum", 0.5f)},
                   .num_outputs = 3};
  auto out = o.run();
  // Channel 0: {1,2,5,6}, mean 3.5, population var 4.25.
  const double s = std::sqrt(4.25);
  expect_near(test::values<float>(out[0]),
              {-2.5 / s, -1.5 / s, -2.5 / s, -1.5 / s, 1.5 / s, 2.5 / s, 1.5 / s, 2.5 / s});
  expect_near(test::values<float>(out[1]), {1.75, 2.75});
  expect_near(test::values<float>(out[2]), {2.625, 2.625});
  // Without training_mode the extra outputs are invalid.
  o.attributes = {};
  EXPECT_THROW(o.run(), Error);
}

TEST(BatchNorm, NonSpatialOldVersionHasOneParameterPerActivation) {
  test::SingleOp o{.op_type = "BatchNormalization",
                   .opset = 7,
                   .inputs = {x, vec({1, 1, 1, 1}), vec({0, 0, 0, 0}), vec({1, 2, 3, 4}), vec({1, 1, 1, 1})},
                   .attributes = {test::attr_int("spatial", 0), test::attr_float("epsilon", 0)}};
  expect_near(test::values<float>(o.run()[0]), {0, 0, 0, 0, 4, 4, 4, 4});
  // From opset 9 spatial is gone: per-channel parameters are required.
  o.opset = 9;
  EXPECT_THROW(o.run(), Error);
}

TEST(BatchNorm, MixedFloatTypesAndBadShapes) {
  const Tensor h = Tensor::from_vector<Float16>({1, 2}, {Float16(2), Float16(3)});
  test::SingleOp o{.op_type = "BatchNormalization",
                   .opset = 15,
                   .inputs = {h, vec({1, 1}), vec({0, 0}), vec({1, 1}), vec({1, 1})},
                   .attributes = {test::attr_float("epsilon", 0)}};
  const Tensor y = o.run()[0];
  EXPECT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[1]), 2.0f);
  test::SingleOp wrong{
      .op_type = "BatchNormalization", .opset = 15, .inputs = {x, vec({1}), vec({0}), vec({0}), vec({1})}};
  EXPECT_THROW(wrong.run(), Error);
  test::SingleOp rank1{.op_type = "BatchNormalization",
                       .opset = 15,
                       .inputs = {vec({1, 2}), vec({1}), vec({0}), vec({0}), vec({1})}};
  EXPECT_THROW(rank1.run(), Error);
}

}  // namespace onyx
