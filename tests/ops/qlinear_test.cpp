#include "op_test_util.h"

namespace onyx {
namespace {

TEST(QLinearMatMul, RequantizesWithRoundingAndSaturation) {
  const Tensor a = Tensor::from_vector<uint8_t>({1, 2}, {10, 20});
  const Tensor b = Tensor::from_vector<uint8_t>({2, 2}, {1, 2, 3, 4});
  // acc = [70, 100] (zero points 0); scale 0.5*1/10 = 0.05 → [3.5, 5] → [4, 5] + 100
  test::SingleOp op{.op_type = "QLinearMatMul",
                    .opset = 10,
                    .inputs = {a, Tensor::scalar<float>(0.5f), Tensor::scalar<uint8_t>(0), b, Tensor::scalar<float>(1),
                               Tensor::scalar<uint8_t>(0), Tensor::scalar<float>(10), Tensor::scalar<uint8_t>(100)}};
  EXPECT_EQ(test::values<uint8_t>(op.run()[0]), (std::vector<uint8_t>{104, 105}));
  op.inputs[7] = Tensor::scalar<int8_t>(125);
  EXPECT_EQ(test::values<int8_t>(op.run()[0]), (std::vector<int8_t>{127, 127}));
  EXPECT_EQ(op.infer()[0].to_string(), "int8[1,2]");
  // per-column b scale
  op.inputs[4] = Tensor::from_vector<float>({2}, {1, 2});
  op.inputs[7] = Tensor::scalar<int8_t>(0);
  EXPECT_EQ(test::values<int8_t>(op.run()[0]), (std::vector<int8_t>{4, 10}));
  op.inputs[4] = Tensor::from_vector<float>({3}, {1, 2, 3});
  EXPECT_THROW(op.run(), Error);
}

TEST(QLinearConv, BiasAndPerChannelScale) {
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 1, 2}, {2, 4});
  const Tensor w = Tensor::from_vector<int8_t>({2, 1, 1, 1}, {1, -1});
  test::SingleOp op{.op_type = "QLinearConv",
                    .opset = 10,
                    .inputs = {x, Tensor::scalar<float>(1), Tensor::scalar<uint8_t>(0), w,
                               Tensor::from_vector<float>({2}, {1, 2}), Tensor::scalar<int8_t>(0),
                               Tensor::scalar<float>(2), Tensor::scalar<int8_t>(0),
                               Tensor::from_vector<int32_t>({2}, {1, 0})}};
  // channel 0: (x + 1) * 0.5 = [1.5, 2.5] → [2, 2]; channel 1: -x * 1 = [-2, -4]
  EXPECT_EQ(test::values<int8_t>(op.run()[0]), (std::vector<int8_t>{2, 2, -2, -4}));
  EXPECT_EQ(op.infer()[0].to_string(), "int8[1,2,1,2]");
  op.inputs[8] = Tensor::from_vector<float>({2}, {1, 0});
  EXPECT_THROW(op.run(), Error);  // bias must be int32
}

}  // namespace
}  // namespace onyx
