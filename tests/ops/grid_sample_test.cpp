#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

test::SingleOp gs(Tensor x, Tensor grid, std::string mode, std::string padding, int align, int64_t opset = 16) {
  return {.op_type = "GridSample",
          .opset = opset,
          .inputs = {std::move(x), std::move(grid)},
          .attributes = {test::attr_string("mode", std::move(mode)), test::attr_string("padding_mode", std::move(padding)),
                         test::attr_int("align_corners", align)}};
}

TEST(GridSample, PixelCentresReproduceTheInput) {
  const Tensor x = f32({1, 1, 2, 3}, {1, 2, 3, 4, 5, 6});
  // align_corners=1: -1, 0, 1 are the centres of columns 0, 1, 2 and -1, 1 of rows 0, 1.
  const Tensor grid = f32({1, 2, 3, 2}, {-1, -1, 0, -1, 1, -1, -1, 1, 0, 1, 1, 1});
  for (const char* mode : {"bilinear", "nearest", "bicubic"}) expect_near(gs(x, grid, mode, "zeros", 1).run()[0], {1, 2, 3, 4, 5, 6});
  EXPECT_EQ(gs(x, grid, "bilinear", "zeros", 1).infer()[0].to_string(), "float32[1,1,2,3]");
}

TEST(GridSample, PaddingModesAtTheEdge) {
  const Tensor x = f32({1, 1, 1, 2}, {4, 10});
  // align_corners=0, x = -1 → -0.5 (the outer edge of pixel 0); y = 0 → row 0.
  const Tensor grid = f32({1, 1, 1, 2}, {-1, 0});
  expect_near(gs(x, grid, "bilinear", "zeros", 0).run()[0], {2});  // half of pixel 0, half zero
  expect_near(gs(x, grid, "bilinear", "border", 0).run()[0], {4});
  expect_near(gs(x, grid, "bilinear", "reflection", 0).run()[0], {4});
  // Far outside: x = -3 → -2.5; reflection over [-0.5, 1.5] gives 1.5 → clamps to 1.
  const Tensor far = f32({1, 1, 1, 2}, {-3, 0});
  expect_near(gs(x, far, "bilinear", "zeros", 0).run()[0], {0});
  expect_near(gs(x, far, "bilinear", "border", 0).run()[0], {4});
  expect_near(gs(x, far, "bilinear", "reflection", 0).run()[0], {10});
}

TEST(GridSample, NearestRoundsHalfToEven) {
  const Tensor x = f32({1, 1, 1, 3}, {0, 10, 20});
  // align_corners=1: g = -0.5 → 0.5 → 0; g = 0.5 → 1.5 → 2.
  expect_near(gs(x, f32({1, 1, 2, 2}, {-0.5f, 0, 0.5f, 0}), "nearest", "zeros", 1).run()[0], {0, 20});
}

TEST(GridSample, Opset20SamplesVolumes) {
  std::vector<float> v = {1, 2, 3, 4, 5, 6, 7, 8};
  const Tensor x = f32({1, 1, 2, 2, 2}, v);
  // The centre of the volume averages all 8 voxels; (x, y, z) = (1, -1, -1) with align_corners=1 is voxel [0,0,1].
  auto op = gs(x, f32({1, 1, 1, 2, 3}, {0, 0, 0, 1, -1, -1}), "linear", "zeros", 1, 20);
  expect_near(op.run()[0], {4.5, 2});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,1,1,2]");
}

TEST(GridSample, IntegerDataAndBadGrids) {
  auto op = gs(Tensor::from_vector<int32_t>({1, 1, 1, 2}, {0, 5}), f32({1, 1, 1, 2}, {0, 0}), "bilinear", "zeros", 1);
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{2}));  // 2.5 truncated
  op.inputs[1] = f32({1, 1, 1, 3}, {0, 0, 0});
  EXPECT_THROW(op.run(), Error);  // grid's last axis must be 2
  op.inputs[1] = f32({1, 1, 2}, {0, 0});
  EXPECT_THROW(op.run(), Error);  // rank mismatch
  op.attributes[0] = test::attr_string("mode", "quadratic");
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
