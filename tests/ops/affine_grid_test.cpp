#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }
Tensor i64(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

TEST(AffineGrid, IdentityGivesPixelCentres) {
  test::SingleOp op{.op_type = "AffineGrid",
                    .opset = 20,
                    .inputs = {f32({1, 2, 3}, {1, 0, 0, 0, 1, 0}), i64({1, 1, 2, 3})},
                    .constant_inputs = {1}};
  // x: (2i+1)/3 - 1 = -2/3, 0, 2/3; y: -1/2, 1/2
  const double a = 2.0 / 3;
  expect_near(op.run()[0], {-a, -0.5, 0, -0.5, a, -0.5, -a, 0.5, 0, 0.5, a, 0.5});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,2,3,2]");
}

TEST(AffineGrid, AlignCornersAndTranslation) {
  test::SingleOp op{.op_type = "AffineGrid",
                    .opset = 20,
                    .inputs = {f32({1, 2, 3}, {1, 0, 0.5f, 0, 2, 0}), i64({1, 4, 2, 2})},
                    .attributes = {test::attr_int("align_corners", 1)}};
  // base x, y in {-1, 1}; output (x + 0.5, 2y)
  expect_near(op.run()[0], {-0.5, -2, 1.5, -2, -0.5, 2, 1.5, 2});
}

TEST(AffineGrid, Volumes) {
  test::SingleOp op{.op_type = "AffineGrid",
                    .opset = 20,
                    .inputs = {f32({1, 3, 4}, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.25f}), i64({1, 1, 1, 1, 2})},
                    .attributes = {test::attr_int("align_corners", 1)}};
  // D = H = 1 put y = z = -1; x in {-1, 1}; z is shifted by 0.25.
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 1, 1, 2, 3}));
  expect_near(out[0], {-1, -1, -0.75, 1, -1, -0.75});
}

TEST(AffineGrid, RejectsMismatchedThetaAndSize) {
  test::SingleOp op{.op_type = "AffineGrid", .opset = 20, .inputs = {f32({1, 2, 3}, {1, 0, 0, 0, 1, 0}), i64({1, 1, 2, 2, 2})}};
  EXPECT_THROW(op.run(), Error);  // 3-D size needs [N, 3, 4] theta
  op.inputs[1] = i64({2, 1, 2, 2});
  EXPECT_THROW(op.run(), Error);  // batch mismatch
  op.inputs[1] = i64({1, 1, -2, 2});
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
