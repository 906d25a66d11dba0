#include <cmath>

#include "control_test_util.h"

namespace onyx {
namespace {

test::SingleOp random_op(const std::string& op, std::vector<Attribute> attrs, std::vector<Tensor> inputs = {}) {
  return test::SingleOp{.op_type = op, .opset = 18, .inputs = std::move(inputs), .attributes = std::move(attrs)};
}

TEST(RandomUniform, SeededRunsRepeatAndStayInRange) {
  auto op = random_op("RandomUniform", {test::attr_ints("shape", {3, 40}), test::attr_float("low", -2),
                                        test::attr_float("high", 5), test::attr_float("seed", 3)});
  const Tensor a = op.run()[0];
  const Tensor b = op.run()[0];
  EXPECT_EQ(a.dtype(), DType::kFloat32);
  EXPECT_EQ(a.dims(), (std::vector<int64_t>{3, 40}));
  EXPECT_TRUE(a.bitwise_equal(b));
  double lo = 1e9, hi = -1e9;
  for (float v : a.span<float>()) lo = std::min<double>(lo, v), hi = std::max<double>(hi, v);
  EXPECT_GE(lo, -2);
  EXPECT_LE(hi, 5);
  EXPECT_LT(lo, 0);  // 120 draws cover the range
  EXPECT_GT(hi, 3);
  op.attributes.back() = test::attr_float("seed", 4);
  EXPECT_FALSE(op.run()[0].bitwise_equal(a));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[3,40]");
}

TEST(RandomNormal, HasTheRequestedDtypeAndMoments) {
  auto op = random_op("RandomNormal", {test::attr_ints("shape", {4000}), test::attr_float("mean", 10),
                                       test::attr_float("scale", 2), test::attr_float("seed", 1),
                                       test::attr_int("dtype", static_cast<int64_t>(DType::kFloat64))});
  const Tensor a = op.run()[0];
  ASSERT_EQ(a.dtype(), DType::kFloat64);
  double sum = 0, sq = 0;
  for (double v : a.span<double>()) sum += v, sq += v * v;
  const double mean = sum / 4000, var = sq / 4000 - mean * mean;
  EXPECT_NEAR(mean, 10, 0.2);
  EXPECT_NEAR(std::sqrt(var), 2, 0.2);
  op.attributes.back() = test::attr_int("dtype", static_cast<int64_t>(DType::kInt32));
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(RandomLike, CopiesShapeAndDtypeUnlessGiven) {
  auto op = random_op("RandomNormalLike", {test::attr_float("seed", 1)}, {Tensor(DType::kFloat16, {2, 0, 3})});
  Tensor out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kFloat16);
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 0, 3}));
  op = random_op("RandomUniformLike", {test::attr_int("dtype", static_cast<int64_t>(DType::kBFloat16))},
                 {Tensor(DType::kInt64, {5})});
  out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kBFloat16);
  for (int64_t i = 0; i < 5; ++i) EXPECT_LE(out.get_double(i), 1.0);
  // An integer input without dtype would give an integer output, which these ops cannot produce.
  op = random_op("RandomUniformLike", {}, {Tensor(DType::kInt64, {5})});
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(Bernoulli, ProbabilitiesZeroAndOneAreExact) {
  auto op = random_op("Bernoulli", {}, {Tensor::from_vector<double>({4}, {0, 1, 1, 0})});
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{0, 1, 1, 0}));
  op.attributes = {test::attr_int("dtype", static_cast<int64_t>(DType::kBool))};
  EXPECT_EQ(test::values<bool>(op.run()[0]), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(op.infer()[0].to_string(), "bool[4]");
  op.inputs = {Tensor::from_vector<float>({1}, {1.5f})};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(Multinomial, SamplesFollowTheLogits) {
  // Row 0 puts all mass on class 2; row 1 on class 0.
  auto op = random_op("Multinomial", {test::attr_int("sample_size", 6), test::attr_float("seed", 7)},
                      {Tensor::from_vector<float>({2, 3}, {-1e30f, -1e30f, 0, 5, -INFINITY, -INFINITY})});
  const Tensor out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kInt32);
  EXPECT_EQ(test::values<int32_t>(out), (std::vector<int32_t>{2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(op.infer()[0].to_string(), "int32[2,6]");
  op.inputs = {Tensor::from_vector<float>({3}, {1, 2, 3})};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(Random, UnseededRunsDiffer) {
  // Without a seed every run draws a fresh one.
  auto op = random_op("RandomUniform", {test::attr_ints("shape", {64})});
  EXPECT_FALSE(op.run()[0].bitwise_equal(op.run()[0]));
}

}  // namespace
}  // namespace onyx
