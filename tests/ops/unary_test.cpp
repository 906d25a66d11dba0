#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor run1(const std::string& op, Tensor x, std::vector<Attribute> attrs = {}, int64_t opset = 18) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = {std::move(x)}, .attributes = std::move(attrs)}.run()[0];
}

TEST(Unary, AbsAndNegWrapAtTheMostNegativeInteger) {
  auto x = Tensor::from_vector<int8_t>({3}, {-128, -3, 5});
  EXPECT_EQ(test::values<int8_t>(run1("Abs", x)), (std::vector<int8_t>{-128, 3, 5}));
  EXPECT_EQ(test::values<int8_t>(run1("Neg", x)), (std::vector<int8_t>{-128, 3, -5}));
  auto u = Tensor::from_vector<uint16_t>({2}, {0, 65535});
  EXPECT_EQ(test::values<uint16_t>(run1("Abs", u)), (std::vector<uint16_t>{0, 65535}));
}

TEST(Unary, NegRejectsUnsignedAndNotRejectsNumbers) {
  EXPECT_EQ(test::error_code_of([] { run1("Neg", Tensor::from_vector<uint8_t>({1}, {1})); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([] { run1("Not", test::f32({1}, {1})); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([] { run1("Sqrt", test::i32({1}, {4})); }), test::kBadInput);
}

TEST(Unary, RoundHalvesToEven) {
  auto y = run1("Round", test::f32({7}, {0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 2.6f, -1.4f}));
  EXPECT_EQ(test::values<float>(y), (std::vector<float>{0, 2, 2, -2, -0.f, 3, -1}));
  EXPECT_TRUE(std::signbit(test::values<float>(y)[4]));
}

TEST(Unary, SignOfNaNUnsignedAndSignedInts) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  test::expect_near_all(test::doubles(run1("Sign", test::f32({4}, {-2.5f, 0, 3, nan}))), {-1, 0, 1, NAN});
  EXPECT_EQ(test::values<uint8_t>(run1("Sign", Tensor::from_vector<uint8_t>({2}, {0, 200}))),
            (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(test::values<int64_t>(run1("Sign", test::i64({3}, {-7, 0, 9}))), (std::vector<int64_t>{-1, 0, 1}));
}

TEST(Unary, Float16AndBFloat16ComputeInFloat) {
  Tensor h(DType::kFloat16, {3});
  h.data<Float16>()[0] = Float16(4.0f);
  h.data<Float16>()[1] = Float16(2.0f);
  h.data<Float16>()[2] = Float16(0.25f);
  auto y = run1("Sqrt", h);
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  test::expect_near_all(test::doubles(y), {2.0, std::sqrt(2.0), 0.5}, 1e-3);
  Tensor b(DType::kBFloat16, {2});
  b.data<BFloat16>()[0] = BFloat16(1.0f);
  b.data<BFloat16>()[1] = BFloat16(-1.0f);
  auto e = run1("Exp", b);
  ASSERT_EQ(e.dtype(), DType::kBFloat16);
  test::expect_near_all(test::doubles(e), {std::exp(1.0), std::exp(-1.0)}, 1e-2);
}

TEST(Unary, EmptyTensorKeepsItsShape) {
  auto y = run1("Exp", Tensor(DType::kFloat32, {0, 3}));
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(y.dtype(), DType::kFloat32);
}

TEST(Unary, ErfOnIntegersAndFloats) {
  EXPECT_EQ(test::values<int32_t>(run1("Erf", test::i32({3}, {-3, 0, 5}))), (std::vector<int32_t>{0, 0, 0}));
  test::expect_near_all(test::doubles(run1("Erf", test::f32({2}, {0.5f, -1.0f}))), {std::erf(0.5), std::erf(-1.0)});
}

TEST(Unary, IsInfHonoursDetectAttributesAndIsNaN) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = test::f32({4}, {-inf, inf, nan, 1});
  EXPECT_EQ(test::bools(run1("IsInf", x)), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(test::bools(run1("IsInf", x, {test::attr_int("detect_negative", 0)})),
            (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(test::bools(run1("IsInf", x, {test::attr_int("detect_positive", 0)})),
            (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(test::bools(run1("IsNaN", x)), (std::vector<bool>{false, false, true, false}));
  SingleOp op{.op_type = "IsNaN", .inputs = {test::f32({2, 2}, {1, 2, 3, 4})}};
  EXPECT_EQ(op.infer()[0].to_string(), "bool[2,2]");
}

TEST(Unary, TrigAndHyperbolicFunctions) {
  auto x = test::f32({2}, {0.25f, -0.5f});
  test::expect_near_all(test::doubles(run1("Asin", x)), {std::asin(0.25), std::asin(-0.5)}, 1e-6);
  test::expect_near_all(test::doubles(run1("Atanh", x)), {std::atanh(0.25), std::atanh(-0.5)}, 1e-6);
  test::expect_near_all(test::doubles(run1("Acosh", test::f32({1}, {2.0f}))), {std::acosh(2.0)}, 1e-6);
  test::expect_near_all(test::doubles(run1("Reciprocal", test::f32({2}, {4, 0}))), {0.25, INFINITY});
}

TEST(Unary, InferKeepsTypeAndShapeAndRejectsBadDtype) {
  SingleOp op{.op_type = "Ceil", .inputs = {Tensor(DType::kFloat64, {2, 5})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float64[2,5]");
  SingleOp bad{.op_type = "Ceil", .inputs = {Tensor(DType::kInt64, {2})}};
  EXPECT_EQ(test::error_code_of([&] { bad.infer(); }), test::kBadInput);
}

TEST(Unary, NotNegatesBooleans) {
  EXPECT_EQ(test::bools(run1("Not", test::b8({3}, {true, false, true}))), (std::vector<bool>{false, true, false}));
}

TEST(Unary, LargeTensorsUseTheParallelPathCorrectly) {
  const int64_t n = 200000;
  Tensor x(DType::kFloat32, {n});
  for (int64_t i = 0; i < n; ++i) x.data<float>()[i] = static_cast<float>(i % 100) - 50.0f;
  auto y = run1("Abs", x);
  for (int64_t i = 0; i < n; i += 997) ASSERT_EQ(y.data<float>()[i], std::abs(static_cast<float>(i % 100) - 50.0f));
}

}  // namespace
}  // namespace onyx
