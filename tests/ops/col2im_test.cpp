#include "op_test_util.h"

namespace onyx {
namespace {

TEST(Col2Im, InvertsBlocksAndSumsOverlaps) {
  // image 1x3, block 1x2 → 2 blocks; overlapping middle element is summed.
  const Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 10, 20});
  test::SingleOp op{.op_type = "Col2Im",
                    .inputs = {x, Tensor::from_vector<int64_t>({2}, {1, 3}), Tensor::from_vector<int64_t>({2}, {1, 2})},
                    .constant_inputs = {1, 2}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,1,3]");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 12, 20}));
  // wrong number of blocks
  op.inputs[0] = Tensor(DType::kFloat32, {1, 2, 3});
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
