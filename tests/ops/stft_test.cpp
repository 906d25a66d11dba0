#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

TEST(Stft, FramesWithoutWindowAreRectangular) {
  // 10 samples, frames of 4 every 3: frames = (10 - 4) / 3 + 1 = 3; onesided: 3 bins.
  test::SingleOp op{.op_type = "STFT",
                    .opset = 17,
                    .inputs = {f32({1, 10, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}), Tensor::scalar<int64_t>(3), Tensor(),
                               Tensor::scalar<int64_t>(4)},
                    .constant_inputs = {1, 3}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 3, 3, 2}));
  expect_near(out[0], {4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,3,3,2]");
}

TEST(Stft, WindowWeightsEachFrameAndTwoSidedKeepsAllBins) {
  // Window [1, 0, 0]: every bin of a frame equals the frame's first sample.
  test::SingleOp op{.op_type = "STFT",
                    .opset = 17,
                    .inputs = {f32({1, 5, 1}, {5, 6, 7, 8, 9}), Tensor::scalar<int64_t>(2), f32({3}, {1, 0, 0})},
                    .attributes = {test::attr_int("onesided", 0)}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 2, 3, 2}));
  expect_near(out[0], {5, 0, 5, 0, 5, 0, 7, 0, 7, 0, 7, 0});
}

TEST(Stft, ShortSignalGivesNoFramesAndBadInputFails) {
  test::SingleOp op{.op_type = "STFT",
                    .opset = 17,
                    .inputs = {f32({2, 3, 1}, {1, 2, 3, 4, 5, 6}), Tensor::scalar<int64_t>(1), Tensor(),
                               Tensor::scalar<int64_t>(4)}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{2, 0, 3, 2}));
  op.inputs.pop_back();
  EXPECT_THROW(op.run(), Error);  // neither window nor frame_length
  op.inputs = {f32({2, 3, 1}, {1, 2, 3, 4, 5, 6}), Tensor::scalar<int64_t>(0), Tensor(), Tensor::scalar<int64_t>(2)};
  EXPECT_THROW(op.run(), Error);  // frame_step 0
  op.inputs = {f32({2, 3, 1}, {1, 2, 3, 4, 5, 6}), Tensor::scalar<int64_t>(1), f32({2}, {1, 1}),
               Tensor::scalar<int64_t>(3)};
  EXPECT_THROW(op.run(), Error);  // window length differs from frame_length
}

}  // namespace
}  // namespace onyx
