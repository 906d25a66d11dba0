#include "op_test_util.h"

namespace onyx {
namespace {

TEST(MaxUnpool, DefaultShapeAndExplicitOutputShape) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 1, 2}, {5, 6});
  const Tensor i = Tensor::from_vector<int64_t>({1, 1, 1, 2}, {1, 6});
  test::SingleOp op{.op_type = "MaxUnpool",
                    .opset = 11,
                    .inputs = {x, i},
                    .attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("strides", {2, 2})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,2,4]");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 5, 0, 0, 0, 0, 6, 0}));
  // A larger output keeps each value's coordinates.
  op.inputs.push_back(Tensor::from_vector<int64_t>({4}, {1, 1, 3, 5}));
  op.constant_inputs = {2};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,3,5]");
  EXPECT_EQ(test::values<float>(op.run()[0]),
            (std::vector<float>{0, 5, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0}));
}

TEST(MaxUnpool, BadInputs) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 1, 2}, {5, 6});
  test::SingleOp op{.op_type = "MaxUnpool",
                    .opset = 11,
                    .inputs = {x, Tensor::from_vector<int64_t>({1, 1, 1, 2}, {1, 8})},
                    .attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("strides", {2, 2})}};
  EXPECT_THROW(op.run(), Error);  // index 8 outside the 2x4 output
  op.inputs[1] = Tensor::from_vector<int64_t>({2}, {0, 1});
  EXPECT_THROW(op.run(), Error);  // I shape
  op.inputs[1] = Tensor::from_vector<int64_t>({1, 1, 1, 2}, {0, 1});
  op.inputs.push_back(Tensor::from_vector<int64_t>({4}, {1, 1, 1, 1}));
  EXPECT_THROW(op.run(), Error);  // output_shape smaller than the default
}

}  // namespace
}  // namespace onyx
