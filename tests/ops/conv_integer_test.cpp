#include "op_test_util.h"

namespace onyx {
namespace {

TEST(ConvInteger, ZeroPointsPaddingAndPerChannelW) {
  // x 1x1x2x2 (uint8), x_zp 1, w 2x1x1x1 (int8) with per-channel zp [0, 1].
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w = Tensor::from_vector<int8_t>({2, 1, 1, 1}, {2, 4});
  test::SingleOp op{.op_type = "ConvInteger",
                    .opset = 10,
                    .inputs = {x, w, Tensor::scalar<uint8_t>(1), Tensor::from_vector<int8_t>({2}, {0, 1})}};
  EXPECT_EQ(op.infer()[0].to_string(), "int32[1,2,2,2]");
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{0, 2, 4, 6, 0, 3, 6, 9}));
  // pads hold the zero point: a padded 2x2 kernel of ones sums (x - zp) over the valid part only.
  const Tensor ones = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {1, 1, 1, 1});
  test::SingleOp p{.op_type = "ConvInteger",
                   .opset = 10,
                   .inputs = {x, ones, Tensor::scalar<uint8_t>(1)},
                   .attributes = {test::attr_ints("pads", {1, 1, 0, 0})}};
  EXPECT_EQ(test::values<int32_t>(p.run()[0]), (std::vector<int32_t>{0, 1, 2, 6}));
}

TEST(ConvInteger, BadInputs) {
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  test::SingleOp op{.op_type = "ConvInteger", .opset = 10, .inputs = {x, Tensor(DType::kFloat32, {1, 1, 1, 1})}};
  EXPECT_THROW(op.run(), Error);  // float weights
  op.inputs = {x, Tensor(DType::kUInt8, {2, 1, 1, 1}), Tensor::scalar<int8_t>(0)};
  EXPECT_THROW(op.run(), Error);  // x_zero_point dtype
  op.inputs = {x, Tensor(DType::kUInt8, {2, 1, 1, 1}), Tensor::scalar<uint8_t>(0), Tensor(DType::kUInt8, {3})};
  EXPECT_THROW(op.run(), Error);  // w_zero_point length
}

}  // namespace
}  // namespace onyx
