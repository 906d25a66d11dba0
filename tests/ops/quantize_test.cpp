#include "op_test_util.h"

namespace onyx {
namespace {

TEST(QuantizeLinear, RoundsHalfToEvenAndSaturates) {
  const Tensor x = Tensor::from_vector<float>({6}, {0.5f, 1.5f, 2.5f, -0.5f, 1000, -1000});
  test::SingleOp op{.op_type = "QuantizeLinear", .inputs = {x, Tensor::scalar<float>(1.f)}};
  EXPECT_EQ(op.infer()[0].to_string(), "uint8[6]");
  EXPECT_EQ(test::values<uint8_t>(op.run()[0]), (std::vector<uint8_t>{0, 2, 2, 0, 255, 0}));
  op.inputs.push_back(Tensor::scalar<int8_t>(1));
  EXPECT_EQ(test::values<int8_t>(op.run()[0]), (std::vector<int8_t>{1, 3, 3, 1, 127, -128}));
}

TEST(QuantizeLinear, PerAxisBlockedAndInt16) {
  const Tensor x = Tensor::from_vector<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  test::SingleOp op{.op_type = "QuantizeLinear",
                    .inputs = {x, Tensor::from_vector<float>({4}, {1, 2, 1, 2}), Tensor::from_vector<uint8_t>({4}, {0, 0, 10, 10})}};
  EXPECT_EQ(test::values<uint8_t>(op.run()[0]), (std::vector<uint8_t>{1, 1, 13, 12, 5, 3, 17, 14}));
  // blocked along axis 1, block 2: scale [2, 2]
  test::SingleOp b{.op_type = "QuantizeLinear",
                   .opset = 21,
                   .inputs = {x, Tensor::from_vector<float>({2, 2}, {1, 2, 0.5f, 4})},
                   .attributes = {test::attr_int("block_size", 2), test::attr_int("output_dtype", 5)}};
  EXPECT_EQ(b.infer()[0].to_string(), "int16[2,4]");
  EXPECT_EQ(test::values<int16_t>(b.run()[0]), (std::vector<int16_t>{1, 2, 2, 2, 10, 12, 2, 2}));
  // per-axis needs opset 13
  op.opset = 10;
  EXPECT_THROW(op.run(), Error);
}

TEST(QuantizeLinear, Float8) {
  test::SingleOp op{.op_type = "QuantizeLinear",
                    .opset = 19,
                    .inputs = {Tensor::from_vector<float>({2}, {1.f, 1e6f}), Tensor::scalar<float>(2.f),
                               Tensor(DType::kFloat8E4M3FN, {})}};
  const Tensor y = op.run()[0];
  EXPECT_EQ(y.dtype(), DType::kFloat8E4M3FN);
  EXPECT_EQ(test::values<float>(y.cast(DType::kFloat32)), (std::vector<float>{0.5f, 448.f}));
}

TEST(DequantizeLinear, PerTensorPerAxisAndFloat16Scale) {
  const Tensor x = Tensor::from_vector<uint8_t>({2, 2}, {0, 10, 20, 255});
  test::SingleOp op{.op_type = "DequantizeLinear", .inputs = {x, Tensor::scalar<float>(0.5f), Tensor::scalar<uint8_t>(10)}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{-5, 0, 5, 122.5f}));
  op.inputs = {x, Tensor::from_vector<float>({2}, {1, 2}), Tensor::from_vector<uint8_t>({2}, {0, 10})};
  op.attributes = {test::attr_int("axis", -2)};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 10, 20, 490}));
  op.opset = 19;
  op.attributes = {};
  op.inputs = {x, Tensor::scalar<float>(2).cast(DType::kFloat16)};
  EXPECT_EQ(op.infer()[0].to_string(), "float16[2,2]");
  EXPECT_EQ(test::values<float>(op.run()[0].cast(DType::kFloat32)), (std::vector<float>{0, 20, 40, 510}));
}

TEST(DequantizeLinear, BadInputs) {
  const Tensor x = Tensor::from_vector<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  test::SingleOp op{.op_type = "DequantizeLinear", .inputs = {x, Tensor::from_vector<float>({2}, {1, 1})}};
  EXPECT_THROW(op.run(), Error);  // axis 1 has 3 elements
  op.inputs = {x, Tensor::scalar<float>(1), Tensor::scalar<uint8_t>(0)};
  EXPECT_THROW(op.run(), Error);  // zero point dtype
  op.inputs = {Tensor::from_vector<int32_t>({1}, {5}), Tensor::scalar<float>(1), Tensor::scalar<int32_t>(3)};
  EXPECT_THROW(op.run(), Error);  // int32 needs zero point 0
  op.inputs = {x, Tensor::scalar<float>(1)};
  op.attributes = {test::attr_int("axis", 5)};
  EXPECT_EQ(op.run()[0].dtype(), DType::kFloat32);  // per-tensor: axis unused
  op.inputs = {x, Tensor::from_vector<float>({3}, {1, 1, 1})};
  EXPECT_THROW(op.run(), Error);  // axis out of range
}

TEST(DynamicQuantizeLinear, ScaleZeroPointAndAllZeros) {
  const Tensor x = Tensor::from_vector<float>({3}, {-1.f, 0.f, 3.f});
  test::SingleOp op{.op_type = "DynamicQuantizeLinear", .inputs = {x}, .num_outputs = 3};
  auto out = op.run();
  EXPECT_FLOAT_EQ(out[1].data<float>()[0], 4.f / 255.f);
  EXPECT_EQ(out[2].data<uint8_t>()[0], 64);
  EXPECT_EQ(test::values<uint8_t>(out[0]), (std::vector<uint8_t>{0, 64, 255}));
  op.inputs = {Tensor(DType::kFloat32, {2})};
  out = op.run();
  EXPECT_EQ(out[1].data<float>()[0], 0.f);
  EXPECT_EQ(test::values<uint8_t>(out[0]), (std::vector<uint8_t>{0, 0}));
}

}  // namespace
}  // namespace onyx
