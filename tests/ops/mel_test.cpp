#include "op_test_util.h"

namespace onyx {
namespace {

test::SingleOp mel(int64_t bins, int64_t dft, int64_t rate, float lo, float hi) {
  return test::SingleOp{.op_type = "MelWeightMatrix", .opset = 17,
                        .inputs = {Tensor::scalar<int64_t>(bins), Tensor::scalar<int32_t>(static_cast<int32_t>(dft)),
                                   Tensor::scalar<int64_t>(rate), Tensor::scalar<float>(lo), Tensor::scalar<float>(hi)},
                        .constant_inputs = {0, 1}};
}

TEST(MelWeightMatrix, TrianglesPeakAtOne) {
  auto op = mel(8, 16, 8192, 0, 4096);
  const Tensor out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{9, 8}));
  // The filter bank of the ONNX backend test: each band a single 1 at bins 0, 0, 1, 1, 2, 3, 4, 5.
  const std::vector<int64_t> peak = {0, 0, 1, 1, 2, 3, 4, 5};
  for (int64_t c = 0; c < 8; ++c)
    for (int64_t r = 0; r < 9; ++r)
      EXPECT_EQ(out.data<float>()[r * 8 + c], r == peak[static_cast<size_t>(c)] ? 1.0f : 0.0f) << r << "," << c;
  EXPECT_EQ(op.infer()[0].to_string(), "float32[9,8]");
}

TEST(MelWeightMatrix, WideBandsRiseAndFallLinearly) {
  const Tensor out = mel(2, 64, 1000, 0, 500).run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{33, 2}));
  float peak0 = 0;
  int64_t nonzero = 0;
  for (int64_t r = 0; r < 33; ++r) {
    const float v = out.data<float>()[r * 2];
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 1);
    peak0 = std::max(peak0, v);
    nonzero += v > 0;
  }
  EXPECT_EQ(peak0, 1.0f);
  EXPECT_GT(nonzero, 2);
}

TEST(MelWeightMatrix, BadInputs) {
  EXPECT_THROW(mel(4, 0, 8000, 0, 100).run(), Error);
  EXPECT_THROW(mel(4, 16, 0, 0, 100).run(), Error);
  EXPECT_THROW(mel(4, 16, 8000, 200, 100).run(), Error);
  EXPECT_THROW(mel(-1, 16, 8000, 0, 100).run(), Error);
}

}  // namespace
}  // namespace onyx
