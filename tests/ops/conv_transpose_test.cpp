#include "op_test_util.h"

namespace onyx {
namespace {

TEST(ConvTranspose, StridedOutputPaddingAndGroups) {
  // 1-D: x = [1, 2], w = [1, 1, 1], stride 2 → [1, 1, 3, 2, 2] (+ output_padding 1 → one more zero).
  const Tensor x = Tensor::from_vector<float>({1, 1, 2}, {1, 2});
  const Tensor w = Tensor::from_vector<float>({1, 1, 3}, {1, 1, 1});
  test::SingleOp op{.op_type = "ConvTranspose", .inputs = {x, w}, .attributes = {test::attr_ints("strides", {2})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 1, 3, 2, 2}));
  op.attributes.push_back(test::attr_ints("output_padding", {1}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,6]");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 1, 3, 2, 2, 0}));
  // pads crop both ends
  op.attributes = {test::attr_ints("strides", {2}), test::attr_ints("pads", {1, 1})};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 3, 2}));
  // groups: two channels, each with its own kernel, plus a bias
  const Tensor x2 = Tensor::from_vector<float>({1, 2, 2}, {1, 2, 3, 4});
  const Tensor w2 = Tensor::from_vector<float>({2, 1, 2}, {1, 1, 10, 0});
  const Tensor b2 = Tensor::from_vector<float>({2}, {0.5f, -1});
  test::SingleOp og{.op_type = "ConvTranspose", .inputs = {x2, w2, b2}, .attributes = {test::attr_int("group", 2)}};
  EXPECT_EQ(test::values<float>(og.run()[0]), (std::vector<float>{1.5f, 3.5f, 2.5f, 29, 39, -1}));
}

TEST(ConvTranspose, BadInputs) {
  test::SingleOp op{.op_type = "ConvTranspose",
                    .inputs = {Tensor(DType::kFloat32, {1, 3, 4}), Tensor(DType::kFloat32, {2, 1, 3})}};
  EXPECT_THROW(op.run(), Error);  // W's first dim must equal C
  op.inputs = {Tensor(DType::kFloat32, {1, 2, 4}), Tensor(DType::kFloat32, {2, 1, 3})};
  op.attributes = {test::attr_ints("output_padding", {3})};
  EXPECT_THROW(op.run(), Error);  // output_padding >= stride
}

}  // namespace
}  // namespace onyx
