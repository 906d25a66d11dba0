#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor run1(const std::string& op, Tensor x, std::vector<Attribute> attrs = {}, int64_t opset = 18) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = {std::move(x)}, .attributes = std::move(attrs)}.run()[0];
}

TEST(Activation, ReluOnSignedIntegersRejectsUnsigned) {
  EXPECT_EQ(test::values<int32_t>(run1("Relu", test::i32({3}, {-5, 0, 7}))), (std::vector<int32_t>{0, 0, 7}));
  EXPECT_EQ(test::error_code_of([] { run1("Relu", Tensor::from_vector<uint8_t>({1}, {1})); }), test::kBadInput);
}

TEST(Activation, ReluPropagatesNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  test::expect_near_all(test::doubles(run1("Relu", test::f32({3}, {nan, -1, 2}))), {NAN, 0, 2});
}

TEST(Activation, SigmoidAndSoftplusDoNotOverflow) {
  auto x = test::f32({4}, {-1000, 1000, 0, 2});
  test::expect_near_all(test::doubles(run1("Sigmoid", x)), {0, 1, 0.5, 1 / (1 + std::exp(-2.0))});
  test::expect_near_all(test::doubles(run1("Softplus", x)), {0, 1000, std::log(2.0), std::log1p(std::exp(2.0))});
}

TEST(Activation, TanhSaturatesAndKeepsHalfPrecision) {
  test::expect_near_all(test::doubles(run1("Tanh", test::f32({4}, {-1000, 0, 0.5f, 1000}))),
                        {-1, 0, std::tanh(0.5), 1});
  Tensor h = run1("Tanh", Tensor::from_vector<float>({1}, {0.5f}).cast(DType::kFloat16));
  EXPECT_EQ(h.dtype(), DType::kFloat16);
  EXPECT_NEAR(static_cast<float>(h.data<Float16>()[0]), std::tanh(0.5f), 1e-3);
}

TEST(Activation, SeluDefaultsDifferBetweenVersion1And6) {
  auto x = test::f32({1}, {-1});
  const double v1 = run1("Selu", x, {}, 1).data<float>()[0];
  const double v6 = run1("Selu", x, {}, 6).data<float>()[0];
  EXPECT_NEAR(v1, 1.0506999492645264 * 1.673200011253357 * (std::exp(-1.0) - 1), 1e-6);
  EXPECT_NEAR(v6, 1.0507010221481323 * 1.6732631921768188 * (std::exp(-1.0) - 1), 1e-6);
  EXPECT_NE(v1, v6);
}

TEST(Activation, GeluExactAndTanh) {
  auto x = test::f32({3}, {-1, 0.5f, 2});
  std::vector<double> exact, tanh_approx;
  for (double v : {-1.0, 0.5, 2.0}) {
    exact.push_back(0.5 * v * (1 + std::erf(v / std::sqrt(2.0))));
    tanh_approx.push_back(0.5 * v * (1 + std::tanh(std::sqrt(2 / M_PI) * (v + 0.044715 * v * v * v))));
  }
  test::expect_near_all(test::doubles(run1("Gelu", x, {}, 20)), exact, 1e-6);
  test::expect_near_all(test::doubles(run1("Gelu", x, {test::attr_string("approximate", "tanh")}, 20)), tanh_approx,
                        1e-6);
  EXPECT_EQ(test::error_code_of([&] { run1("Gelu", x, {test::attr_string("approximate", "fast")}, 20); }),
            test::kBadInput);
  // Gelu does not exist before opset 20.
  EXPECT_EQ(test::error_code_of([&] { run1("Gelu", x, {}, 18); }), test::kUnsupported);
}

TEST(Activation, MishHardSwishHardSigmoid) {
  auto x = test::f32({4}, {-4, -1, 0.5f, 4});
  std::vector<double> mish, hswish, hsig;
  for (double v : {-4.0, -1.0, 0.5, 4.0}) {
    mish.push_back(v * std::tanh(std::log1p(std::exp(v))));
    hswish.push_back(v * std::max(0.0, std::min(1.0, v / 6 + 0.5)));
    hsig.push_back(std::max(0.0, std::min(1.0, 0.3 * v + 0.1)));
  }
  test::expect_near_all(test::doubles(run1("Mish", x)), mish, 1e-6);
  test::expect_near_all(test::doubles(run1("HardSwish", x)), hswish, 1e-6);
  test::expect_near_all(
      test::doubles(run1("HardSigmoid", x, {test::attr_float("alpha", 0.3f), test::attr_float("beta", 0.1f)})), hsig,
      1e-6);
}

TEST(Activation, EluCeluLeakyReluThresholdedRelu) {
  auto x = test::f32({3}, {-2, 0, 3});
  test::expect_near_all(test::doubles(run1("Elu", x, {test::attr_float("alpha", 2)})), {2 * std::expm1(-2.0), 0, 3});
  test::expect_near_all(test::doubles(run1("Celu", x, {test::attr_float("alpha", 2)})), {2 * std::expm1(-1.0), 0, 3});
  test::expect_near_all(test::doubles(run1("LeakyRelu", x)), {-0.02, 0, 3}, 1e-6);
  test::expect_near_all(test::doubles(run1("ThresholdedRelu", x, {test::attr_float("alpha", 0)})), {0, 0, 3});
  test::expect_near_all(test::doubles(run1("Softsign", x)), {-2.0 / 3, 0, 0.75});
}

TEST(Activation, ShrinkOnIntegersAndFloats) {
  auto attrs = std::vector<Attribute>{test::attr_float("lambd", 1.5f), test::attr_float("bias", 1.0f)};
  EXPECT_EQ(test::values<int32_t>(run1("Shrink", test::i32({5}, {-3, -1, 0, 1, 3}), attrs)),
            (std::vector<int32_t>{-2, 0, 0, 0, 2}));
  test::expect_near_all(test::doubles(run1("Shrink", test::f32({3}, {-2, 0.5f, 2}), attrs)), {-1, 0, 1});
}

TEST(Activation, Float64AndEmptyInputs) {
  auto y = run1("Sigmoid", Tensor::from_vector<double>({2}, {0.0, 1.0}));
  ASSERT_EQ(y.dtype(), DType::kFloat64);
  test::expect_near_all(test::doubles(y), {0.5, 1 / (1 + std::exp(-1.0))}, 1e-12);
  EXPECT_EQ(run1("Relu", Tensor(DType::kFloat32, {2, 0})).dims(), (std::vector<int64_t>{2, 0}));
}

}  // namespace
}  // namespace onyx
