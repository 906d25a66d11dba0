#include "op_test_util.h"

namespace onyx {
namespace {

// 1x1x4x4 ramp: value = 4 * row + col
Tensor ramp() {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return Tensor::from_vector<float>({1, 1, 4, 4}, v);
}

TEST(RoiAlign, AverageOfBilinearSamples) {
  // ROI (0,0)-(2,2), output 1x1, sampling_ratio 2, output_half_pixel: samples at 0.5 and 1.5 → mean of a linear
  // ramp at (1, 1) = 5.
  test::SingleOp op{.op_type = "RoiAlign",
                    .opset = 16,
                    .inputs = {ramp(), Tensor::from_vector<float>({1, 4}, {0, 0, 2, 2}), Tensor::from_vector<int64_t>({1}, {0})},
                    .attributes = {test::attr_int("sampling_ratio", 2),
                                   test::attr_string("coordinate_transformation_mode", "output_half_pixel")}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,1,1]");
  EXPECT_FLOAT_EQ(op.run()[0].data<float>()[0], 5.f);
  // half_pixel (opset 16 default) shifts by -0.5: samples at 0 and 1 → value at (0.5, 0.5) = 2.5
  op.attributes = {test::attr_int("sampling_ratio", 2)};
  EXPECT_FLOAT_EQ(op.run()[0].data<float>()[0], 2.5f);
  // opset 10 behaves like output_half_pixel
  op.opset = 10;
  EXPECT_FLOAT_EQ(op.run()[0].data<float>()[0], 5.f);
}

TEST(RoiAlign, OutputGridAndBadInputs) {
  test::SingleOp op{.op_type = "RoiAlign",
                    .opset = 16,
                    .inputs = {ramp(), Tensor::from_vector<float>({2, 4}, {0, 0, 3, 3, 1, 1, 2, 2}),
                               Tensor::from_vector<int64_t>({2}, {0, 0})},
                    .attributes = {test::attr_int("output_height", 2), test::attr_int("output_width", 3),
                                   test::attr_string("mode", "max")}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{2, 1, 2, 3}));
  op.inputs[2] = Tensor::from_vector<int64_t>({2}, {0, 1});
  EXPECT_THROW(op.run(), Error);  // batch index out of range
  op.inputs[2] = Tensor::from_vector<int64_t>({2}, {0, 0});
  op.attributes = {test::attr_string("mode", "median")};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {};
  op.inputs[1] = Tensor(DType::kFloat32, {2, 3});
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
