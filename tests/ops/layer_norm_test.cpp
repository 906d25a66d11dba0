#include <cmath>

#include "op_test_util.h"

namespace onyx {

namespace {
void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
}  // namespace

TEST(LayerNorm, MeanAndInvStdDevOutputs) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {1, 3, 2, 2});
  test::SingleOp o{
      .op_type = "LayerNormalization",
      .opset = 17,
      .inputs = {x, Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<float>({2}, {0, 1})},
      .attributes = {test::attr_float("epsilon", 0.0f)},
      .num_outputs = 3};
  auto out = o.run();
  const auto y = test::values<float>(out[0]);
  EXPECT_FLOAT_EQ(y[0], -1);
  EXPECT_FLOAT_EQ(y[1], 3);
  EXPECT_TRUE(std::isnan(y[2]));  // zero variance without epsilon
  expect_near(test::values<float>(out[1]), {2, 2});
  EXPECT_EQ(out[1].dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_FLOAT_EQ(test::values<float>(out[2])[0], 1);
  const auto types = o.infer();
  EXPECT_EQ(types[1].to_string(), "float32[2,1]");
  EXPECT_EQ(types[2].to_string(), "float32[2,1]");
}

TEST(LayerNorm, Float16InputKeepsFloat32Statistics) {
  const Tensor x = Tensor::from_vector<Float16>({1, 2}, {Float16(0), Float16(2)});
  test::SingleOp o{.op_type = "LayerNormalization",
                   .opset = 17,
                   .inputs = {x, Tensor::from_vector<Float16>({2}, {Float16(1), Float16(1)})},
                   .attributes = {test::attr_int("axis", 0)},
                   .num_outputs = 2};
  auto out = o.run();
  EXPECT_EQ(out[0].dtype(), DType::kFloat16);
  EXPECT_NEAR(static_cast<float>(out[0].data<Float16>()[0]), -1, 1e-3);
  EXPECT_EQ(out[1].dtype(), DType::kFloat32);
  EXPECT_EQ(out[1].dims(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(o.infer()[1].to_string(), "float32[1,1]");
}

TEST(LayerNorm, ScaleVaryingOutsideTheBlockBroadcasts) {
  // Scale [2,1] varies along axis 0 (outside the normalized block [axis=1]).
  const Tensor x = Tensor::from_vector<float>({2, 2}, {0, 2, 0, 2});
  test::SingleOp o{.op_type = "LayerNormalization",
                   .opset = 17,
                   .inputs = {x, Tensor::from_vector<float>({2, 1}, {1, 3})}};
  expect_near(test::values<float>(o.run()[0]), {-1, 1, -3, 3}, 1e-4);
}

TEST(LayerNorm, BadInputsFail) {
  const Tensor x(DType::kFloat32, {2, 3});
  test::SingleOp scale{
      .op_type = "LayerNormalization", .opset = 17, .inputs = {x, Tensor(DType::kFloat32, {2})}};
  EXPECT_THROW(scale.run(), Error);
  test::SingleOp axis{.op_type = "LayerNormalization",
                      .opset = 17,
                      .inputs = {x, Tensor(DType::kFloat32, {3})},
                      .attributes = {test::attr_int("axis", 2)}};
  EXPECT_THROW(axis.run(), Error);
  test::SingleOp stash{.op_type = "LayerNormalization",
                       .opset = 17,
                       .inputs = {x, Tensor(DType::kFloat32, {3})},
                       .attributes = {test::attr_int("stash_type", 7)}};
  EXPECT_THROW(stash.run(), Error);
}

}  // namespace onyx
