#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor cast(Tensor x, DType to, std::vector<Attribute> extra = {}, int64_t opset = 19) {
  extra.push_back(test::attr_int("to", static_cast<int64_t>(to)));
  return SingleOp{.op_type = "Cast", .opset = opset, .inputs = {std::move(x)}, .attributes = extra}.run()[0];
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto y = cast(test::f32({5}, {2.7f, -2.7f, 1e10f, -1e10f, nan}), DType::kInt32);
  EXPECT_EQ(test::values<int32_t>(y), (std::vector<int32_t>{2, -2, std::numeric_limits<int32_t>::max(),
                                                            std::numeric_limits<int32_t>::min(), 0}));
}

TEST(Cast, StringsBothWays) {
  auto s = Tensor::from_vector<std::string>({5}, {"3.5", "-INF", "nan", "1e-5", "+INF"});
  auto f = cast(s, DType::kFloat32);
  test::expect_near_all(test::doubles(f), {3.5, -INFINITY, NAN, 1e-5, INFINITY});
  auto back = cast(test::f32({3}, {0.1f, -2.5f, INFINITY}), DType::kString);
  EXPECT_EQ(test::values<std::string>(back), (std::vector<std::string>{"0.1", "-2.5", "INF"}));
  auto i = cast(Tensor::from_vector<std::string>({2}, {"42", "-7"}), DType::kInt64);
  EXPECT_EQ(test::values<int64_t>(i), (std::vector<int64_t>{42, -7}));
}

TEST(Cast, Float8SaturateAttribute) {
  auto x = test::f32({2}, {1000.0f, -1000.0f});
  auto sat = cast(x, DType::kFloat8E4M3FN);
  test::expect_near_all(test::doubles(sat.cast(DType::kFloat32)), {448, -448});
  auto nosat = cast(x, DType::kFloat8E4M3FN, {test::attr_int("saturate", 0)});
  EXPECT_TRUE(std::isnan(nosat.cast(DType::kFloat32).data<float>()[0]));
  auto e5 = cast(x, DType::kFloat8E5M2, {test::attr_int("saturate", 0)});
  EXPECT_EQ(e5.cast(DType::kFloat32).data<float>()[0], 1024.0f);  // 1000 rounds to 1024, in range
  auto big = cast(test::f32({1}, {1e6f}), DType::kFloat8E5M2, {test::attr_int("saturate", 0)});
  EXPECT_TRUE(std::isinf(big.cast(DType::kFloat32).data<float>()[0]));
}

TEST(Cast, Opset1TakesTheTypeName) {
  auto y = SingleOp{.op_type = "Cast", .opset = 1, .inputs = {test::f32({2}, {1.5f, 0})},
                    .attributes = {test::attr_string("to", "INT64")}}
               .run()[0];
  EXPECT_EQ(test::values<int64_t>(y), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(test::error_code_of([] {
              SingleOp{.op_type = "Cast", .opset = 1, .inputs = {test::f32({1}, {1})},
                       .attributes = {test::attr_string("to", "QUATERNION")}}
                  .run();
            }),
            test::kBadInput);
}

TEST(Cast, BadOrMissingTo) {
  EXPECT_EQ(test::error_code_of([] { SingleOp{.op_type = "Cast", .inputs = {test::f32({1}, {1})}}.run(); }),
            test::kBadInput);
  EXPECT_EQ(test::error_code_of([] { cast(test::f32({1}, {1}), static_cast<DType>(99)); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([] { cast(test::f32({1}, {1}), DType::kComplex64); }), test::kUnsupported);
}

TEST(Cast, InferAndBoolConversion) {
  SingleOp op{.op_type = "Cast", .inputs = {Tensor(DType::kInt64, {2, 3})},
              .attributes = {test::attr_int("to", static_cast<int64_t>(DType::kBool))}};
  EXPECT_EQ(op.infer()[0].to_string(), "bool[2,3]");
  EXPECT_EQ(test::bools(cast(test::i64({3}, {0, 36, -1}), DType::kBool)), (std::vector<bool>{false, true, true}));
}

TEST(CastLike, TakesTheTargetDtype) {
  auto like = Tensor(DType::kFloat16, {0});
  auto y = SingleOp{.op_type = "CastLike", .inputs = {test::f32({2}, {1.0f, 65504.0f}), like}}.run()[0];
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(static_cast<float>(y.data<Float16>()[1]), 65504.0f);
  SingleOp op{.op_type = "CastLike", .inputs = {test::i32({4}, {1, 2, 3, 4}), Tensor(DType::kFloat64, {})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float64[4]");
}

}  // namespace
}  // namespace onyx

namespace onyx {
namespace {

TEST(Cast, PassesPartialValuesThroughIntegerCasts) {
  const TypeInfo vec2 = TypeInfo::tensor(DType::kInt64, Shape({2}));
  std::vector<Dim> shape = {Dim::symbol("batch"), Dim(6)};
  auto to = [](DType t) { return std::vector<Attribute>{test::attr_int("to", static_cast<int64_t>(t))}; };
  EXPECT_EQ(test::dims_string(test::infer_partial("Cast", 13, {{vec2, shape}}, to(DType::kInt32))), "batch,6");
  EXPECT_EQ(test::dims_string(test::infer_partial("Cast", 13, {{vec2, shape}}, to(DType::kInt64))), "batch,6");
  EXPECT_EQ(test::dims_string(test::infer_partial("Cast", 13, {{vec2, shape}}, to(DType::kFloat32))), "none");
}

}  // namespace
}  // namespace onyx

namespace onyx {
namespace {

TEST(Cast, UnsupportedFloat8VariantsNameTheNode) {
  try {
    cast(test::f32({1}, {1}), DType::kFloat8E4M3FNUZ);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("node 'node'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace onyx
