#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor run2(const std::string& op, Tensor a, Tensor b, std::vector<Attribute> attrs = {}, int64_t opset = 18) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = {std::move(a), std::move(b)},
                  .attributes = std::move(attrs)}
      .run()[0];
}

TEST(Binary, NumpyBroadcastingBothWays) {
  auto a = test::f32({2, 1, 3}, {1, 2, 3, 4, 5, 6});
  auto b = test::f32({4, 1}, {10, 20, 30, 40});
  auto y = run2("Add", a, b);
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{2, 4, 3}));
  EXPECT_EQ(y.data<float>()[0], 11);
  EXPECT_EQ(y.data<float>()[5], 23);   // a[0,0,2] + b[1]
  EXPECT_EQ(y.data<float>()[23], 46);  // a[1,0,2] + b[3]
  auto s = run2("Sub", test::f32({}, {10}), test::f32({3}, {1, 2, 3}));
  EXPECT_EQ(test::values<float>(s), (std::vector<float>{9, 8, 7}));
  auto d = run2("Div", test::f32({3}, {1, 2, 3}), test::f32({}, {2}));
  EXPECT_EQ(test::values<float>(d), (std::vector<float>{0.5f, 1, 1.5f}));
}

TEST(Binary, ShapesThatCannotBroadcastAreBadInput) {
  EXPECT_EQ(test::error_code_of([] { run2("Mul", test::f32({2, 3}, {1, 2, 3, 4, 5, 6}), test::f32({2}, {1, 2})); }),
            test::kBadInput);
  SingleOp op{.op_type = "Mul", .inputs = {Tensor(DType::kFloat32, {2, 3}), Tensor(DType::kFloat32, {4})}};
  EXPECT_EQ(test::error_code_of([&] { op.infer(); }), test::kBadInput);
}

TEST(Binary, MixedDtypesAreBadInput) {
  EXPECT_EQ(test::error_code_of([] { run2("Add", test::f32({1}, {1}), test::i64({1}, {1})); }), test::kBadInput);
}

TEST(Binary, EmptyBroadcast) {
  auto y = run2("Add", Tensor(DType::kFloat32, {0, 3}), test::f32({3}, {1, 2, 3}));
  EXPECT_EQ(y.dims(), (std::vector<int64_t>{0, 3}));
  auto z = run2("Add", Tensor(DType::kFloat32, {2, 0}), test::f32({1}, {1}));
  EXPECT_EQ(z.dims(), (std::vector<int64_t>{2, 0}));
}

TEST(Binary, IntegerDivisionByZeroAndOverflowAreDefined) {
  const int64_t mn = std::numeric_limits<int64_t>::min();
  auto y = run2("Div", test::i64({4}, {7, -7, mn, 5}), test::i64({4}, {0, 2, -1, -2}));
  EXPECT_EQ(test::values<int64_t>(y), (std::vector<int64_t>{0, -3, mn, -2}));
  auto m = run2("Mod", test::i64({2}, {7, mn}), test::i64({2}, {0, -1}));
  EXPECT_EQ(test::values<int64_t>(m), (std::vector<int64_t>{0, 0}));
  const int32_t mx = std::numeric_limits<int32_t>::max();
  EXPECT_EQ(test::values<int32_t>(run2("Add", test::i32({1}, {mx}), test::i32({1}, {1}))),
            (std::vector<int32_t>{std::numeric_limits<int32_t>::min()}));
  auto u = run2("Mul", Tensor::from_vector<uint16_t>({1}, {65535}), Tensor::from_vector<uint16_t>({1}, {65535}));
  EXPECT_EQ(test::values<uint16_t>(u), (std::vector<uint16_t>{1}));
}

TEST(Binary, ModFollowsFmodAttribute) {
  auto a = test::i32({4}, {7, -7, 7, -7});
  auto b = test::i32({4}, {3, 3, -3, -3});
  EXPECT_EQ(test::values<int32_t>(run2("Mod", a, b)), (std::vector<int32_t>{1, 2, -2, -1}));
  EXPECT_EQ(test::values<int32_t>(run2("Mod", a, b, {test::attr_int("fmod", 1)})),
            (std::vector<int32_t>{1, -1, 1, -1}));
  auto f = run2("Mod", test::f32({2}, {-7.5f, 7.5f}), test::f32({2}, {2, -2}), {test::attr_int("fmod", 1)});
  EXPECT_EQ(test::values<float>(f), (std::vector<float>{-1.5f, 1.5f}));
  EXPECT_EQ(test::error_code_of([] { run2("Mod", test::f32({1}, {1}), test::f32({1}, {1})); }), test::kBadInput);
}

TEST(Binary, PowMixedDtypes) {
  auto y = run2("Pow", test::i32({3}, {2, 3, -2}), test::f32({3}, {2, 0.5f, 3}));
  ASSERT_EQ(y.dtype(), DType::kInt32);
  EXPECT_EQ(test::values<int32_t>(y), (std::vector<int32_t>{4, 1, -8}));
  auto z = run2("Pow", test::i64({4}, {3, 2, -1, 1}), test::i64({4}, {4, -1, -3, -5}));
  EXPECT_EQ(test::values<int64_t>(z), (std::vector<int64_t>{81, 0, -1, 1}));
  auto f = run2("Pow", test::f32({2}, {2, 9}), test::i64({2}, {-1, 2}));
  EXPECT_EQ(test::values<float>(f), (std::vector<float>{0.5f, 81}));
  SingleOp op{.op_type = "Pow", .inputs = {Tensor(DType::kFloat16, {2, 1}), Tensor(DType::kInt64, {3})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float16[2,3]");
}

TEST(Binary, BitShiftPastTheWidthIsZero) {
  auto x = Tensor::from_vector<uint8_t>({3}, {0xff, 1, 16});
  auto s = Tensor::from_vector<uint8_t>({3}, {4, 8, 2});
  EXPECT_EQ(test::values<uint8_t>(run2("BitShift", x, s, {test::attr_string("direction", "LEFT")})),
            (std::vector<uint8_t>{0xf0, 0, 64}));
  EXPECT_EQ(test::values<uint8_t>(run2("BitShift", x, s, {test::attr_string("direction", "RIGHT")})),
            (std::vector<uint8_t>{0x0f, 0, 4}));
  EXPECT_EQ(test::error_code_of([&] { run2("BitShift", x, s); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([] {
              run2("BitShift", test::i32({1}, {1}), test::i32({1}, {1}), {test::attr_string("direction", "LEFT")});
            }),
            test::kBadInput);
}

TEST(Binary, LegacyBroadcastWithAxis) {
  auto a = test::f32({2, 3}, {1, 2, 3, 4, 5, 6});
  // opset 6, broadcast=1, axis=0: B [2] is aligned with A's first dim.
  auto y = run2("Add", a, test::f32({2}, {10, 20}), {test::attr_int("broadcast", 1), test::attr_int("axis", 0)}, 6);
  EXPECT_EQ(test::values<float>(y), (std::vector<float>{11, 12, 13, 24, 25, 26}));
  // Suffix matching without axis.
  auto z = run2("Mul", a, test::f32({3}, {1, 10, 100}), {test::attr_int("broadcast", 1)}, 6);
  EXPECT_EQ(test::values<float>(z), (std::vector<float>{1, 20, 300, 4, 50, 600}));
  // A one-element B is a scalar whatever its rank.
  auto w = run2("Sub", a, test::f32({1, 1}, {1}), {test::attr_int("broadcast", 1)}, 6);
  EXPECT_EQ(test::values<float>(w), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  // Without broadcast=1 the shapes must match.
  EXPECT_EQ(test::error_code_of([&] { run2("Add", a, test::f32({3}, {1, 2, 3}), {}, 6); }), test::kBadInput);
  // From opset 7 numpy rules apply and the attributes are gone.
  auto n = run2("Add", a, test::f32({3}, {1, 2, 3}), {}, 7);
  EXPECT_EQ(test::values<float>(n), (std::vector<float>{2, 4, 6, 5, 7, 9}));
}

TEST(Binary, Float16ComputesInFloatAndRoundsOnce) {
  Tensor a(DType::kFloat16, {2});
  Tensor b(DType::kFloat16, {2});
  a.data<Float16>()[0] = Float16(1.0f);
  a.data<Float16>()[1] = Float16(2048.0f);
  b.data<Float16>()[0] = Float16(3.0f);
  b.data<Float16>()[1] = Float16(1.0f);
  auto y = run2("Div", a, b);
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(y.data<Float16>()[0].bits, Float16(1.0f / 3.0f).bits);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[1]), 2048.0f);
}

TEST(Binary, InferBroadcastsShapes) {
  SingleOp op{.op_type = "Sub", .inputs = {Tensor(DType::kInt64, {5, 1, 3}), Tensor(DType::kInt64, {4, 1})}};
  EXPECT_EQ(op.infer()[0].to_string(), "int64[5,4,3]");
}

}  // namespace
}  // namespace onyx

namespace onyx {
namespace {

TEST(Binary, PropagatesShapeLikePartialValues) {
  const TypeInfo vec2 = TypeInfo::tensor(DType::kInt64, Shape({2}));
  const TypeInfo scalar = TypeInfo::tensor(DType::kInt64, Shape(std::vector<Dim>{}));
  std::vector<Dim> shape = {Dim::symbol("batch"), Dim(6)};
  // [batch, 6] * 1 keeps the symbol; [batch, 6] * 2 knows only the second element.
  EXPECT_EQ(test::dims_string(test::infer_partial("Mul", 14, {{vec2, shape}, {scalar, std::vector<Dim>{Dim(1)}}})),
            "batch,6");
  EXPECT_EQ(test::dims_string(test::infer_partial("Mul", 14, {{vec2, shape}, {scalar, std::vector<Dim>{Dim(2)}}})),
            "?,12");
  EXPECT_EQ(test::dims_string(test::infer_partial("Add", 14, {{vec2, shape}, {vec2, std::vector<Dim>{0, 1}}})),
            "batch,7");
  EXPECT_EQ(test::dims_string(test::infer_partial("Div", 14, {{vec2, shape}, {vec2, std::vector<Dim>{1, 0}}})),
            "batch,?");
  EXPECT_EQ(test::dims_string(test::infer_partial("Sub", 14, {{vec2, shape}, {vec2, std::vector<Dim>{0, 2}}})),
            "batch,4");
  // Without both partials nothing is published.
  EXPECT_EQ(test::dims_string(test::infer_partial("Add", 14, {{vec2, shape}, {vec2, std::nullopt}})), "none");
}

}  // namespace
}  // namespace onyx
