#include "op_test_util.h"

namespace onyx {

namespace {
Tensor axis(int64_t a) {
  return Tensor::scalar<int64_t>(a);
}
}  // namespace

TEST(CumSum, ExclusiveReverseOn2D) {
  const Tensor x = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  test::SingleOp o{.op_type = "CumSum",
                   .opset = 14,
                   .inputs = {x, axis(1)},
                   .attributes = {test::attr_int("exclusive", 1), test::attr_int("reverse", 1)}};
  EXPECT_EQ(test::values<float>(o.run()[0]), (std::vector<float>{5, 3, 0, 11, 6, 0}));
  EXPECT_EQ(o.infer()[0].to_string(), "float32[2,3]");
  test::SingleOp a0{.op_type = "CumSum", .opset = 14, .inputs = {x, Tensor::scalar<int32_t>(-2)}};
  EXPECT_EQ(test::values<float>(a0.run()[0]), (std::vector<float>{1, 2, 3, 5, 7, 9}));
}

TEST(CumSum, IntegersAndFloat16) {
  const Tensor x = Tensor::from_vector<int32_t>({4}, {1, -2, 3, 10});
  test::SingleOp o{.op_type = "CumSum", .opset = 11, .inputs = {x, axis(0)}};
  EXPECT_EQ(test::values<int32_t>(o.run()[0]), (std::vector<int32_t>{1, -1, 2, 12}));
  // 2048 + 1 + 1 in float16 steps would stay 2048; accumulated in double it reaches 2050.
  const Tensor h = Tensor::from_vector<Float16>({3}, {Float16(2048), Float16(1), Float16(1)});
  test::SingleOp oh{.op_type = "CumSum", .opset = 14, .inputs = {h, axis(0)}};
  EXPECT_EQ(static_cast<float>(oh.run()[0].data<Float16>()[2]), 2050.0f);
}

TEST(CumSum, EmptyAndBadAxis) {
  test::SingleOp empty{
      .op_type = "CumSum", .opset = 14, .inputs = {Tensor(DType::kFloat32, {0, 3}), axis(0)}};
  EXPECT_EQ(empty.run()[0].dims(), (std::vector<int64_t>{0, 3}));
  test::SingleOp bad{.op_type = "CumSum", .opset = 14, .inputs = {Tensor(DType::kFloat32, {2}), axis(1)}};
  EXPECT_THROW(bad.run(), Error);
  test::SingleOp vec{.op_type = "CumSum",
                     .opset = 14,
                     .inputs = {Tensor(DType::kFloat32, {2}), Tensor::from_vector<int64_t>({2}, {0, 0})}};
  EXPECT_THROW(vec.run(), Error);
}

}  // namespace onyx
