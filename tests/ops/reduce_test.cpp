#include <cmath>
#include <limits>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor axes(std::vector<int64_t> a) {
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(a.size())}, a);
}

const Tensor k2x3 = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});

}  // namespace

TEST(Reduce, AxesAttributeInOldOpsetsAndInputInNewOnes) {
  test::SingleOp old{.op_type = "ReduceMean",
                     .opset = 13,
                     .inputs = {k2x3},
                     .attributes = {test::attr_ints("axes", {1}), test::attr_int("keepdims", 0)}};
  EXPECT_EQ(test::values<float>(old.run()[0]), (std::vector<float>{2, 5}));
  EXPECT_EQ(old.infer()[0].to_string(), "float32[2]");
  test::SingleOp now{.op_type = "ReduceMean",
                     .opset = 18,
                     .inputs = {k2x3, axes({0})},
                     .attributes = {test::attr_int("keepdims", 1)},
                     .constant_inputs = {1}};
  EXPECT_EQ(test::values<float>(now.run()[0]), (std::vector<float>{2.5f, 3.5f, 4.5f}));
  EXPECT_EQ(now.infer()[0].to_string(), "float32[1,3]");
  // ReduceSum takes axes as input from 13, and as an attribute at 11.
  test::SingleOp sum11{
      .op_type = "ReduceSum", .opset = 11, .inputs = {k2x3}, .attributes = {test::attr_ints("axes", {-1})}};
  EXPECT_EQ(test::values<float>(sum11.run()[0]), (std::vector<float>{6, 15}));
  EXPECT_EQ(sum11.infer()[0].to_string(), "float32[2,1]");
}

TEST(Reduce, NoAxesReducesAllUnlessNoop) {
  test::SingleOp all{
      .op_type = "ReduceSum", .opset = 13, .inputs = {k2x3}, .attributes = {test::attr_int("keepdims", 0)}};
  EXPECT_EQ(test::values<float>(all.run()[0]), (std::vector<float>{21}));
  EXPECT_EQ(all.infer()[0].to_string(), "float32[]");
  test::SingleOp noop{.op_type = "ReduceMax",
                      .opset = 18,
                      .inputs = {k2x3, axes({})},
                      .attributes = {test::attr_int("noop_with_empty_axes", 1)},
                      .constant_inputs = {1}};
  EXPECT_EQ(test::values<float>(noop.run()[0]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(noop.infer()[0].to_string(), "float32[2,3]");
}

TEST(Reduce, EveryKindOnOneRow) {
  const Tensor x = Tensor::from_vector<float>({1, 4}, {1, -2, 3, 0.5f});
  auto run = [&](const char* op) {
    test::SingleOp o{.op_type = op, .opset = 18, .inputs = {x, axes({1})}, .constant_inputs = {1}};
    return test::values<float>(o.run()[0])[0];
  };
  EXPECT_FLOAT_EQ(run("ReduceSum"), 2.5f);
  EXPECT_FLOAT_EQ(run("ReduceMean"), 0.625f);
  EXPECT_FLOAT_EQ(run("ReduceMax"), 3);
  EXPECT_FLOAT_EQ(run("ReduceMin"), -2);
  EXPECT_FLOAT_EQ(run("ReduceProd"), -3);
  EXPECT_FLOAT_EQ(run("ReduceL1"), 6.5f);
  EXPECT_FLOAT_EQ(run("ReduceL2"), std::sqrt(14.25f));
  EXPECT_FLOAT_EQ(run("ReduceSumSquare"), 14.25f);
  EXPECT_FLOAT_EQ(run("ReduceLogSum"), std::log(2.5f));
  EXPECT_NEAR(run("ReduceLogSumExp"),
              std::log(std::exp(1.0) + std::exp(-2.0) + std::exp(3.0) + std::exp(0.5)), 1e-6);
}

TEST(Reduce, LogSumExpIsStableForLargeValues) {
  const Tensor x = Tensor::from_vector<float>({2}, {1000, 1000});
  test::SingleOp o{.op_type = "ReduceLogSumExp", .opset = 13, .inputs = {x}};
  EXPECT_FLOAT_EQ(test::values<float>(o.run()[0])[0], 1000 + std::log(2.0f));
}

TEST(Reduce, EmptySetValues) {
  const Tensor x(DType::kFloat32, {2, 0});
  auto run = [&](const char* op) {
    test::SingleOp o{.op_type = op,
                     .opset = 18,
                     .inputs = {x, axes({1})},
                     .attributes = {test::attr_int("keepdims", 0)},
                     .constant_inputs = {1}};
    auto out = o.run()[0];
    EXPECT_EQ(out.dims(), (std::vector<int64_t>{2})) << op;
    return test::values<float>(out)[0];
  };
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(run("ReduceSum"), 0);
  EXPECT_EQ(run("ReduceProd"), 1);
  EXPECT_EQ(run("ReduceMax"), -inf);
  EXPECT_EQ(run("ReduceMin"), inf);
  EXPECT_EQ(run("ReduceL2"), 0);
  EXPECT_EQ(run("ReduceLogSum"), -inf);
  EXPECT_EQ(run("ReduceLogSumExp"), -inf);
  EXPECT_TRUE(std::isnan(run("ReduceMean")));
  const Tensor xi(DType::kInt32, {0, 3});
  test::SingleOp maxi{.op_type = "ReduceMax", .opset = 18, .inputs = {xi, axes({0})}, .constant_inputs = {1}};
  EXPECT_EQ(test::values<int32_t>(maxi.run()[0]),
            (std::vector<int32_t>(3, std::numeric_limits<int32_t>::lowest())));
}

TEST(Reduce, IntegerDtypes) {
  const Tensor x = Tensor::from_vector<int64_t>({2, 2}, {7, -2, 5, 4});
  test::SingleOp sum{.op_type = "ReduceSum", .opset = 13, .inputs = {x, axes({0})}, .constant_inputs = {1}};
  EXPECT_EQ(test::values<int64_t>(sum.run()[0]), (std::vector<int64_t>{12, 2}));
  test::SingleOp mean{
      .op_type = "ReduceMean", .opset = 13, .inputs = {x}, .attributes = {test::attr_ints("axes", {1})}};
  EXPECT_EQ(test::values<int64_t>(mean.run()[0]), (std::vector<int64_t>{2, 4}));  // 2.5 → 2, 4.5 → 4
  const Tensor u = Tensor::from_vector<uint8_t>({3}, {200, 7, 9});
  test::SingleOp mn{.op_type = "ReduceMin", .opset = 13, .inputs = {u}};
  EXPECT_EQ(test::values<uint8_t>(mn.run()[0]), (std::vector<uint8_t>{7}));
  const Tensor b = Tensor::from_vector<bool>({2, 2}, {false, true, false, false});
  test::SingleOp bmax{.op_type = "ReduceMax", .opset = 20, .inputs = {b, axes({1})}, .constant_inputs = {1}};
  EXPECT_EQ(test::values<bool>(bmax.run()[0]), (std::vector<bool>{true, false}));
}

TEST(Reduce, Float16AccumulatesWithoutDrift) {
  // 4096 copies of 1 + one 0.5: a float16 running sum would stall at 2048.
  std::vector<Float16> v(4097, Float16(1.0f));
  v.back() = Float16(0.5f);
  test::SingleOp o{.op_type = "ReduceMean", .opset = 13, .inputs = {Tensor::from_vector<Float16>({4097}, v)}};
  const Tensor out = o.run()[0];
  EXPECT_NEAR(static_cast<float>(out.data<Float16>()[0]), 4096.5f / 4097, 1e-3);
}

TEST(Reduce, NonContiguousAxes) {
  std::vector<float> v(24);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  const Tensor x = Tensor::from_vector<float>({2, 3, 4}, v);
  test::SingleOp o{.op_type = "ReduceSum",
                   .opset = 13,
                   .inputs = {x, axes({0, 2})},
                   .attributes = {test::attr_int("keepdims", 0)},
                   .constant_inputs = {1}};
  // sum over i, k of (12 i + 4 j + k) = 2*4*4j + (0+12)*4 + 2*(0+1+2+3)
  EXPECT_EQ(test::values<float>(o.run()[0]), (std::vector<float>{60, 92, 124}));
}

TEST(Reduce, ShapeInferenceWithRuntimeAxes) {
  test::SingleOp keep{.op_type = "ReduceSum", .opset = 13, .inputs = {k2x3, axes({1})}};
  EXPECT_EQ(keep.infer()[0].to_string(), "float32[?,?]");
  test::SingleOp drop{.op_type = "ReduceSum",
                      .opset = 13,
                      .inputs = {k2x3, axes({1})},
                      .attributes = {test::attr_int("keepdims", 0)}};
  EXPECT_EQ(drop.infer()[0].to_string(), "float32[?]");
  EXPECT_EQ(test::values<float>(drop.run()[0]), (std::vector<float>{6, 15}));
}

TEST(Reduce, BadAxesFail) {
  test::SingleOp dup{
      .op_type = "ReduceSum", .opset = 13, .inputs = {k2x3, axes({1, -1})}, .constant_inputs = {1}};
  EXPECT_THROW(dup.run(), Error);
  test::SingleOp range{
      .op_type = "ReduceMax", .opset = 11, .inputs = {k2x3}, .attributes = {test::attr_ints("axes", {2})}};
  EXPECT_THROW(range.run(), Error);
  test::SingleOp attr18{
      .op_type = "ReduceMean", .opset = 18, .inputs = {k2x3}, .attributes = {test::attr_ints("axes", {0})}};
  EXPECT_THROW(attr18.run(), Error);
  test::SingleOp str{
      .op_type = "ReduceSum", .opset = 13, .inputs = {Tensor::from_vector<std::string>({1}, {"a"})}};
  EXPECT_THROW(str.run(), Error);
}

}  // namespace onyx
