#include "op_test_util.h"

namespace onyx {
namespace {

TEST(MatMulInteger, PerRowAndPerColumnZeroPoints) {
  const Tensor a = Tensor::from_vector<uint8_t>({2, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<int8_t>({2, 2}, {-1, 1, 2, -2});
  test::SingleOp op{.op_type = "MatMulInteger", .opset = 10, .inputs = {a, b}};
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{3, -3, 5, -5}));
  op.inputs = {a, b, Tensor::from_vector<uint8_t>({2}, {1, 3}), Tensor::from_vector<int8_t>({2}, {0, 1})};
  // A - zp = [[0,1],[0,1]], B - zp = [[-1,0],[2,-3]]
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{2, -3, 2, -3}));
  EXPECT_EQ(op.infer()[0].to_string(), "int32[2,2]");
}

TEST(MatMulInteger, BatchedExtremesAndBadInputs) {
  // 255 * -128 * 4 stays exact.
  const Tensor a = Tensor::from_vector<uint8_t>({2, 1, 4}, {255, 255, 255, 255, 0, 0, 0, 1});
  const Tensor b = Tensor::from_vector<int8_t>({4, 1}, {-128, -128, -128, -128});
  test::SingleOp op{.op_type = "MatMulInteger", .opset = 10, .inputs = {a, b}};
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{-130560, -128}));
  op.inputs = {a, Tensor(DType::kInt32, {4, 1})};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {a, b, Tensor::scalar<int8_t>(0)};
  EXPECT_THROW(op.run(), Error);  // zero point dtype
}

}  // namespace
}  // namespace onyx
