#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }
Tensor i64(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }
Tensor scales(std::vector<float> v) { return f32({static_cast<int64_t>(v.size())}, v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

double keys(double d, double a) {
  d = std::abs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

TEST(Resize, NearestWithSizesAndNearestModes) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 13,
                    .inputs = {f32({1, 1, 1, 2}, {1, 2}), Tensor(), Tensor(), i64({1, 1, 1, 4})},
                    .attributes = {test::attr_string("coordinate_transformation_mode", "asymmetric")}};
  // x / 2 = 0, 0.5, 1, 1.5: round_prefer_floor → 0, 0, 1, 1 (index 2 clamps to 1).
  expect_near(op.run()[0], {1, 1, 2, 2});
  op.attributes.push_back(test::attr_string("nearest_mode", "round_prefer_ceil"));
  expect_near(op.run()[0], {1, 2, 2, 2});
}

TEST(Resize, LinearHalfPixelOnRank1ClampsAtTheEdges) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 13,
                    .inputs = {f32({2}, {0, 10}), Tensor(), scales({2})},
                    .attributes = {test::attr_string("mode", "linear")}};
  // x_original = (x + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25
  expect_near(op.run()[0], {0, 2.5, 7.5, 10});
}

TEST(Resize, CubicTapsAndExcludeOutside) {
  const std::vector<float> x = {0, 1, 4, 9};
  for (int exclude : {0, 1}) {
    test::SingleOp op{.op_type = "Resize",
                      .opset = 13,
                      .inputs = {f32({4}, x), Tensor(), scales({2})},
                      .attributes = {test::attr_string("mode", "cubic"), test::attr_float("cubic_coeff_a", -0.5f),
                                     test::attr_int("exclude_outside", exclude),
                                     test::attr_string("coordinate_transformation_mode", "asymmetric")}};
    std::vector<double> want;
    for (int o = 0; o < 8; ++o) {
      const double xo = o / 2.0, f = std::floor(xo);
      double acc = 0, wsum = 0;
      for (int k = -1; k <= 2; ++k) {
        const int idx = static_cast<int>(f) + k;
        double w = keys(xo - idx, -0.5);
        if (exclude && (idx < 0 || idx > 3)) w = 0;
        acc += w * x[static_cast<size_t>(std::clamp(idx, 0, 3))];
        wsum += w;
      }
      want.push_back(exclude ? acc / wsum : acc);
    }
    expect_near(op.run()[0], want);
  }
}

TEST(Resize, AntialiasStretchesTheLinearFilterWhenDownscaling) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 18,
                    .inputs = {f32({8}, {0, 1, 2, 3, 4, 5, 6, 7}), Tensor(), scales({0.5f})},
                    .attributes = {test::attr_string("mode", "linear"), test::attr_int("antialias", 1)}};
  // x_original = 2x + 0.5; triangle of half-width 2 → weights 1/8, 3/8, 3/8, 1/8 on floor(x_original) - 1 ...
  expect_near(op.run()[0], {0.625, 2.5, 4.5, 6.375});
}

TEST(Resize, AxesAndKeepAspectRatio) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 18,
                    .inputs = {f32({1, 1, 4, 6}, std::vector<float>(24, 1.0f)), Tensor(), Tensor(), i64({3, 3})},
                    .attributes = {test::attr_ints("axes", {-2, -1}),
                                   test::attr_string("keep_aspect_ratio_policy", "not_larger")},
                    .constant_inputs = {3}};
  // scale = min(3/4, 3/6) = 0.5 for both axes.
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,2,3]");
  op.attributes[1] = test::attr_string("keep_aspect_ratio_policy", "not_smaller");
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 1, 3, 5}));  // scale 0.75: round(4.5) = 5
  op.attributes[0] = test::attr_ints("axes", {2, 2});
  EXPECT_THROW(op.run(), Error);
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 13,
                    .inputs = {f32({3}, {1, 2, 3}), f32({2}, {0.5f, 1.5f}), Tensor(), i64({3})},
                    .attributes = {test::attr_string("mode", "linear"),
                                   test::attr_string("coordinate_transformation_mode", "tf_crop_and_resize"),
                                   test::attr_float("extrapolation_value", -7)}};
  // x_original = 0.5 * 2 + x * 1 * 2 / 2 = 1, 2, 3 (outside).
  expect_near(op.run()[0], {2, 3, -7});
}

TEST(Resize, HalfPixelSymmetricCentersTheResizedImage) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 19,
                    .inputs = {f32({3}, {0, 3, 6}), Tensor(), scales({1.5f})},
                    .attributes = {test::attr_string("mode", "linear"),
                                   test::attr_string("coordinate_transformation_mode", "half_pixel_symmetric")}};
  // out = floor(4.5) = 4; adjustment = 4 / 4.5; offset = 1.5 * (1 - 4/4.5) = 1/6.
  std::vector<double> want;
  for (int x = 0; x < 4; ++x) {
    const double xo = std::clamp(1.0 / 6 + (x + 0.5) / 1.5 - 0.5, 0.0, 2.0);
    want.push_back(3 * xo);
  }
  expect_near(op.run()[0], want, 1e-4);
}

TEST(Resize, OldVersionsUseAsymmetricFloor) {
  const Tensor x = f32({1, 1, 1, 3}, {1, 2, 3});
  // Resize-10: x / 1.5 = 0, 0.67, 1.33, 2 → floor 0, 0, 1, 2.
  test::SingleOp r10{.op_type = "Resize", .opset = 10, .inputs = {x, scales({1, 1, 1, 1.5f})}};
  expect_near(r10.run()[0], {1, 1, 2, 3});
  test::SingleOp up7{.op_type = "Upsample",
                     .opset = 7,
                     .inputs = {x},
                     .attributes = {test::attr_floats("scales", {1, 1, 1, 2}), test::attr_string("mode", "linear")}};
  expect_near(up7.run()[0], {1, 1.5, 2, 2.5, 3, 3});
  test::SingleOp up1{.op_type = "Upsample",
                     .opset = 1,
                     .inputs = {x},
                     .attributes = {test::attr_float("height_scale", 2), test::attr_float("width_scale", 1)}};
  expect_near(up1.run()[0], {1, 2, 3, 1, 2, 3});
}

TEST(Resize, IntegerStringAndEmptyData) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 13,
                    .inputs = {Tensor::from_vector<int32_t>({2}, {0, 5}), Tensor(), scales({2})},
                    .attributes = {test::attr_string("mode", "linear")}};
  // 0, 1.25, 3.75, 5 truncated like a cast.
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{0, 1, 3, 5}));
  test::SingleOp s{.op_type = "Resize",
                   .opset = 13,
                   .inputs = {Tensor::from_vector<std::string>({2}, {"a", "b"}), Tensor(), scales({1.5f})}};
  // half_pixel: -0.17, 0.5 (a tie, rounded down), 1.17
  EXPECT_EQ(test::values<std::string>(s.run()[0]), (std::vector<std::string>{"a", "a", "b"}));
  s.attributes = {test::attr_string("mode", "linear")};
  EXPECT_THROW(s.run(), Error);
  test::SingleOp e{.op_type = "Resize", .opset = 13, .inputs = {f32({0, 2}, {}), Tensor(), scales({2, 2})}};
  EXPECT_EQ(e.run()[0].dims(), (std::vector<int64_t>{0, 4}));
}

TEST(Resize, RejectsBadScalesAndSizes) {
  test::SingleOp op{.op_type = "Resize", .opset = 13, .inputs = {f32({2}, {1, 2}), Tensor(), scales({2, 2})}};
  EXPECT_THROW(op.run(), Error);  // wrong count
  op.inputs = {f32({2}, {1, 2}), Tensor(), scales({-1})};
  EXPECT_THROW(op.run(), Error);  // negative scale
  op.inputs = {f32({2}, {1, 2}), Tensor(), scales({2}), i64({4})};
  EXPECT_THROW(op.run(), Error);  // both
  op.inputs = {f32({2}, {1, 2}), Tensor(), scales({2})};
  op.attributes = {test::attr_string("mode", "bicubic")};
  EXPECT_THROW(op.run(), Error);
}

TEST(Resize, InfersShapesFromConstantScales) {
  test::SingleOp op{.op_type = "Resize",
                    .opset = 13,
                    .inputs = {f32({1, 3, 5, 7}, std::vector<float>(105, 0.0f)), Tensor(), scales({1, 1, 0.6f, 2.5f})},
                    .constant_inputs = {2}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,3,3,17]");
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 3, 3, 17}));
}

}  // namespace
}  // namespace onyx
