#include "op_test_util.h"

namespace onyx {

namespace {
const Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
}  // namespace

TEST(Dropout, InferenceIsIdentityWithAllTrueMask) {
  test::SingleOp o{
      .op_type = "Dropout", .opset = 13, .inputs = {x, Tensor::scalar<float>(0.5f)}, .num_outputs = 2};
  auto out = o.run();
  EXPECT_EQ(test::values<float>(out[0]), test::values<float>(x));
  EXPECT_EQ(test::values<bool>(out[1]), std::vector<bool>(6, true));
  EXPECT_EQ(o.infer()[1].to_string(), "bool[2,3]");
  // Opset 7 has a mask of the input's type; opset 6 with is_test = 1 is inference too.
  test::SingleOp v7{.op_type = "Dropout", .opset = 7, .inputs = {x}, .num_outputs = 2};
  EXPECT_EQ(test::values<float>(v7.run()[1]), std::vector<float>(6, 1.0f));
  EXPECT_EQ(v7.infer()[1].to_string(), "float32[2,3]");
  test::SingleOp v6{
      .op_type = "Dropout", .opset = 6, .inputs = {x}, .attributes = {test::attr_int("is_test", 1)}};
  EXPECT_EQ(test::values<float>(v6.run()[0]), test::values<float>(x));
}

TEST(Dropout, TrainingWithSeedIsReproducibleAndScaled) {
  std::vector<float> ones(1000, 1.0f);
  test::SingleOp o{.op_type = "Dropout",
                   .opset = 13,
                   .inputs = {Tensor::from_vector<float>({1000}, ones), Tensor::scalar<float>(0.75f),
                              Tensor::scalar<bool>(true)},
                   .attributes = {test::attr_int("seed", 42)},
                   .num_outputs = 2};
  auto a = o.run(), b = o.run();
  EXPECT_EQ(test::values<float>(a[0]), test::values<float>(b[0]));
  const auto y = test::values<float>(a[0]);
  const auto m = test::values<bool>(a[1]);
  int kept = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(y[i], m[i] ? 4.0f : 0.0f);
    kept += m[i];
  }
  EXPECT_GT(kept, 150);
  EXPECT_LT(kept, 350);
}

TEST(Dropout, TrainingWithZeroRatioIsIdentityAndBadRatioFails) {
  test::SingleOp zero{.op_type = "Dropout",
                      .opset = 13,
                      .inputs = {x, Tensor::scalar<float>(0), Tensor::scalar<bool>(true)},
                      .num_outputs = 2};
  auto out = zero.run();
  EXPECT_EQ(test::values<float>(out[0]), test::values<float>(x));
  EXPECT_EQ(test::values<bool>(out[1]), std::vector<bool>(6, true));
  test::SingleOp one{
      .op_type = "Dropout", .opset = 13, .inputs = {x, Tensor::scalar<float>(1), Tensor::scalar<bool>(true)}};
  EXPECT_THROW(one.run(), Error);
  test::SingleOp mode{.op_type = "Dropout",
                      .opset = 13,
                      .inputs = {x, Tensor::scalar<float>(0.5f), Tensor::scalar<float>(1)}};
  EXPECT_THROW(mode.run(), Error);
}

}  // namespace onyx
