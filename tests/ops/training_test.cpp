#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

constexpr const char* kDomain = "ai.onnx.preview.training";

Tensor vec(std::vector<float> v) { return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v); }

TEST(Adagrad, OneStep) {
  test::SingleOp op{.op_type = "Adagrad", .inputs = {Tensor::scalar<float>(0.1f), Tensor::scalar<int64_t>(1),
                                                     vec({1, 2}), vec({0.5f, -1}), vec({0, 3})},
                    .attributes = {test::attr_float("decay_factor", 1), test::attr_float("epsilon", 0)},
                    .num_outputs = 2, .domain = kDomain};
  auto out = op.run();
  // r = 0.1 / 2; H = [0.25, 4]; X = X - r * G / sqrt(H)
  EXPECT_NEAR(out[0].data<float>()[0], 1 - 0.05 * 0.5 / 0.5, 1e-6);
  EXPECT_NEAR(out[0].data<float>()[1], 2 + 0.05 * 1 / 2, 1e-6);
  EXPECT_EQ(test::values<float>(out[1]), (std::vector<float>{0.25f, 4}));
  EXPECT_EQ(op.infer()[1].to_string(), "float32[2]");
}

TEST(Momentum, StandardAndNesterov) {
  test::SingleOp op{.op_type = "Momentum",
                    .inputs = {Tensor::scalar<double>(0.5), Tensor::scalar<int64_t>(0),
                               Tensor::from_vector<double>({1}, {1}), Tensor::from_vector<double>({1}, {2}),
                               Tensor::from_vector<double>({1}, {4})},
                    .attributes = {test::attr_float("alpha", 0.5f), test::attr_float("beta", 0.25f),
                                   test::attr_float("norm_coefficient", 0), test::attr_string("mode", "standard")},
                    .num_outputs = 2, .domain = kDomain};
  auto out = op.run();
  // T = 0: beta counts as 1. V = 0.5 * 4 + 2 = 4; X = 1 - 0.5 * 4.
  EXPECT_DOUBLE_EQ(out[1].data<double>()[0], 4);
  EXPECT_DOUBLE_EQ(out[0].data<double>()[0], -1);
  op.attributes.back() = test::attr_string("mode", "nesterov");
  out = op.run();
  EXPECT_DOUBLE_EQ(out[0].data<double>()[0], 1 - 0.5 * (2 + 0.5 * 4));
  op.attributes.back() = test::attr_string("mode", "heavy-ball");
  EXPECT_THROW(op.run(), Error);
}

TEST(Adam, BiasCorrectedStep) {
  test::SingleOp op{.op_type = "Adam",
                    .inputs = {Tensor::scalar<float>(0.1f), Tensor::scalar<int64_t>(1), vec({1}), vec({2}), vec({0}),
                               vec({0})},
                    .attributes = {test::attr_float("alpha", 0.5f), test::attr_float("beta", 0.75f),
                                   test::attr_float("epsilon", 0), test::attr_float("norm_coefficient_post", 0.5f)},
                    .num_outputs = 3, .domain = kDomain};
  auto out = op.run();
  // V = 1, H = 1, r = 0.1 * sqrt(0.25) / 0.5 = 0.1, X = (1 - 0.1) * 0.5.
  EXPECT_NEAR(out[0].data<float>()[0], 0.45, 1e-6);
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 1);
  EXPECT_FLOAT_EQ(out[2].data<float>()[0], 1);
}

TEST(Optimizers, GroupsMustMatchInCountAndShape) {
  test::SingleOp op{.op_type = "Adagrad", .inputs = {Tensor::scalar<float>(0.1f), Tensor::scalar<int64_t>(1),
                                                     vec({1, 2}), vec({0.5f}), vec({0, 3})},
                    .num_outputs = 2, .domain = kDomain};
  EXPECT_THROW(op.run(), Error);
  op.inputs.pop_back();
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
