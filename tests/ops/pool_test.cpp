#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

// 1x1x3x3 with values 1..9
Tensor grid3() { return Tensor::from_vector<float>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}); }

TEST(AveragePool, CountIncludePadAndCeilMode) {
  test::SingleOp op{.op_type = "AveragePool",
                    .inputs = {grid3()},
                    .attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("pads", {1, 1, 0, 0})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 1.5f, 2.5f, 2.5f, 3, 4, 5.5f, 6, 7}));
  op.attributes.push_back(test::attr_int("count_include_pad", 1));
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0.25f, 0.75f, 1.25f, 1.25f, 3, 4, 2.75f, 6, 7}));
  // ceil_mode: 3 wide, kernel 2, stride 2 → 2 outputs; the last window is clipped (divisor 1 or 2).
  test::SingleOp c{.op_type = "AveragePool",
                   .inputs = {grid3()},
                   .attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("strides", {2, 2}),
                                  test::attr_int("ceil_mode", 1)}};
  EXPECT_EQ(c.infer()[0].to_string(), "float32[1,1,2,2]");
  EXPECT_EQ(test::values<float>(c.run()[0]), (std::vector<float>{3, 4.5f, 7.5f, 9}));
}

TEST(AveragePool, DilationsOnlyFromOpset19) {
  test::SingleOp op{.op_type = "AveragePool",
                    .opset = 19,
                    .inputs = {grid3()},
                    .attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("dilations", {2, 2})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5}));
  op.opset = 18;  // dilations did not exist: a plain 2x2 window
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{3, 4, 6, 7}));
}

TEST(MaxPool, IndicesRowAndColumnMajor) {
  const Tensor x = Tensor::from_vector<float>({1, 2, 2, 3}, {1, 9, 2, 3, 4, 5, 0, 0, 0, 0, 7, 0});
  test::SingleOp op{.op_type = "MaxPool",
                    .inputs = {x},
                    .attributes = {test::attr_ints("kernel_shape", {2, 2})},
                    .num_outputs = 2};
  auto out = op.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{9, 9, 7, 7}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{1, 1, 10, 10}));
  op.attributes.push_back(test::attr_int("storage_order", 1));
  out = op.run();
  // column-major within the 2x3 plane: (h, w) → w * 2 + h
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{2, 2, 9, 9}));
  EXPECT_EQ(op.infer()[1].to_string(), "int64[1,2,1,2]");
}

TEST(MaxPool, PaddingDilationAndInt8) {
  const Tensor x = Tensor::from_vector<int8_t>({1, 1, 5}, {-5, -3, -100, 4, -1});
  test::SingleOp op{.op_type = "MaxPool",
                    .opset = 12,
                    .inputs = {x},
                    .attributes = {test::attr_ints("kernel_shape", {2}), test::attr_ints("dilations", {2}),
                                   test::attr_ints("pads", {1, 1})}};
  EXPECT_EQ(test::values<int8_t>(op.run()[0]), (std::vector<int8_t>{-3, -5, 4, -1, 4}));
}

TEST(LpPool, PTwoAndPOne) {
  const Tensor x = Tensor::from_vector<float>({1, 1, 4}, {3, -4, 1, 1});
  test::SingleOp op{.op_type = "LpPool", .inputs = {x}, .attributes = {test::attr_ints("kernel_shape", {2}), test::attr_ints("strides", {2})}};
  const auto y = test::values<float>(op.run()[0]);
  EXPECT_FLOAT_EQ(y[0], 5);
  EXPECT_FLOAT_EQ(y[1], std::sqrt(2.f));
  op.attributes.push_back(test::attr_int("p", 1));
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{7, 2}));
}

TEST(GlobalPools, AverageMaxLp) {
  const Tensor x = Tensor::from_vector<double>({1, 2, 2}, {1, 3, -2, -6});
  test::SingleOp op{.op_type = "GlobalAveragePool", .inputs = {x}};
  EXPECT_EQ(op.infer()[0].to_string(), "float64[1,2,1]");
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{2, -4}));
  op.op_type = "GlobalMaxPool";
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{3, -2}));
  op.op_type = "GlobalLpPool";
  op.attributes = {test::attr_int("p", 1)};
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{4, 8}));
  op.op_type = "GlobalAveragePool";
  op.attributes = {};
  op.inputs = {Tensor(DType::kFloat32, {0, 3, 4, 4})};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 3, 1, 1}));
}

TEST(Pool, BadInputs) {
  test::SingleOp op{.op_type = "MaxPool", .inputs = {grid3()}};
  EXPECT_THROW(op.run(), Error);  // kernel_shape required
  op.attributes = {test::attr_ints("kernel_shape", {4, 4})};
  EXPECT_THROW(op.run(), Error);  // does not fit
  op.attributes = {test::attr_ints("kernel_shape", {2})};
  EXPECT_THROW(op.run(), Error);  // wrong length
  op.attributes = {test::attr_ints("kernel_shape", {2, 2}), test::attr_ints("strides", {0, 1})};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {test::attr_ints("kernel_shape", {2, 2})};
  op.inputs = {Tensor(DType::kInt32, {1, 1, 3, 3})};
  EXPECT_THROW(op.run(), Error);  // dtype
  op.op_type = "AveragePool";
  op.inputs = {Tensor(DType::kFloat32, {3, 3})};
  EXPECT_THROW(op.run(), Error);  // rank
}

}  // namespace
}  // namespace onyx
