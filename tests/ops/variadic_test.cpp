#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor runn(const std::string& op, std::vector<Tensor> ins, int64_t opset = 13) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = std::move(ins)}.run()[0];
}

TEST(Variadic, ThreeWayBroadcasting) {
  auto a = test::f32({2, 1}, {1, 2});
  auto b = test::f32({3}, {10, 20, 30});
  auto c = test::f32({}, {100});
  auto s = runn("Sum", {a, b, c});
  ASSERT_EQ(s.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(s), (std::vector<float>{111, 121, 131, 112, 122, 132}));
  auto m = runn("Mean", {a, b, c});
  test::expect_near_all(test::doubles(m), {37, 121.0 / 3, 131.0 / 3, 112.0 / 3, 122.0 / 3, 132.0 / 3}, 1e-6);
  EXPECT_EQ(test::values<float>(runn("Max", {a, b})), (std::vector<float>{10, 20, 30, 10, 20, 30}));
  EXPECT_EQ(test::values<float>(runn("Min", {a, b})), (std::vector<float>{1, 1, 1, 2, 2, 2}));
}

TEST(Variadic, SingleInputIsACopy) {
  auto a = test::i64({3}, {4, -1, 2});
  EXPECT_EQ(test::values<int64_t>(runn("Max", {a})), (std::vector<int64_t>{4, -1, 2}));
  auto m = runn("Mean", {test::f32({2}, {1, 3})});
  EXPECT_EQ(test::values<float>(m), (std::vector<float>{1, 3}));
}

TEST(Variadic, MaxMinPropagateNaNAndTakeIntegers) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto y = runn("Max", {test::f32({2}, {nan, 1}), test::f32({2}, {1, nan})});
  EXPECT_TRUE(std::isnan(y.data<float>()[0]));
  EXPECT_TRUE(std::isnan(y.data<float>()[1]));
  auto u = runn("Min", {Tensor::from_vector<uint32_t>({2}, {3, 9}), Tensor::from_vector<uint32_t>({2}, {5, 1})});
  EXPECT_EQ(test::values<uint32_t>(u), (std::vector<uint32_t>{3, 1}));
}

TEST(Variadic, NoBroadcastingBeforeOpset8) {
  EXPECT_EQ(test::error_code_of([] { runn("Sum", {test::f32({2}, {1, 2}), test::f32({1}, {1})}, 6); }),
            test::kBadInput);
  EXPECT_EQ(test::values<float>(runn("Sum", {test::f32({2}, {1, 2}), test::f32({2}, {3, 4})}, 6)),
            (std::vector<float>{4, 6}));
}

TEST(Variadic, DtypeChecks) {
  EXPECT_EQ(test::error_code_of([] { runn("Sum", {test::i32({1}, {1}), test::i32({1}, {1})}); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([] { runn("Max", {test::f32({1}, {1}), test::i32({1}, {1})}); }), test::kBadInput);
}

TEST(Variadic, Float16SumAccumulatesInFloat) {
  // 2048 + 1 + 1 in float16 step by step would stay 2048; accumulated in float it rounds once to 2050.
  std::vector<Tensor> ins;
  for (float v : {2048.0f, 1.0f, 1.0f}) {
    Tensor t(DType::kFloat16, {1});
    t.data<Float16>()[0] = Float16(v);
    ins.push_back(t);
  }
  auto y = runn("Sum", ins);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[0]), 2050.0f);
}

TEST(Variadic, InferBroadcastsAll) {
  SingleOp op{.op_type = "Max", .opset = 13,
              .inputs = {Tensor(DType::kFloat32, {4, 1}), Tensor(DType::kFloat32, {3}), Tensor(DType::kFloat32, {1})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[4,3]");
}

}  // namespace
}  // namespace onyx
