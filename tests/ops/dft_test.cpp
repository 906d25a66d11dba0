#include <cmath>
#include <complex>
#include <numbers>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

TEST(Dft, RealSignalFullAndOnesided) {
  test::SingleOp op{.op_type = "DFT", .opset = 17, .inputs = {f32({1, 4, 1}, {1, 2, 3, 4})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 4, 2}));
  expect_near(out[0], {10, 0, -2, 2, -2, 0, -2, -2});
  op.attributes = {test::attr_int("onesided", 1)};
  expect_near(op.run()[0], {10, 0, -2, 2, -2, 0});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,3,2]");
}

TEST(Dft, InverseRoundTripsAndDividesByLength) {
  test::SingleOp op{.op_type = "DFT",
                    .opset = 17,
                    .inputs = {f32({1, 4, 2}, {10, 0, -2, 2, -2, 0, -2, -2})},
                    .attributes = {test::attr_int("inverse", 1)}};
  expect_near(op.run()[0], {1, 0, 2, 0, 3, 0, 4, 0});
}

TEST(Dft, LengthPadsOrTrimsAndOddLengthsWork) {
  test::SingleOp op{.op_type = "DFT",
                    .opset = 17,
                    .inputs = {f32({1, 2, 1}, {1, 2}), Tensor::scalar<int64_t>(4)},
                    .constant_inputs = {1}};
  expect_near(op.run()[0], {3, 0, 1, -2, -1, 0, 1, 2});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,4,2]");
  // Length 3 (not a power of two) trims a 5-sample signal: X[k] = sum_n x[n] e^{-2 pi i k n / 3}.
  op.inputs = {f32({1, 5, 1}, {1, -1, 2, 7, 7}), Tensor::scalar<int32_t>(3)};
  std::vector<double> want;
  const double x[3] = {1, -1, 2};
  for (int k = 0; k < 3; ++k) {
    std::complex<double> acc = 0;
    for (int n = 0; n < 3; ++n) acc += x[n] * std::polar(1.0, -2 * std::numbers::pi * k * n / 3);
    want.push_back(acc.real());
    want.push_back(acc.imag());
  }
  expect_near(op.run()[0], want);
}

TEST(Dft, Opset20TakesTheAxisAsAnInputDefaultingToTheLastSignalAxis) {
  // [1, 2, 3, 1]: default axis -2 transforms along the length-3 axis, per row.
  const Tensor x = f32({1, 2, 3, 1}, {1, 1, 1, 0, 3, 0});
  test::SingleOp op{.op_type = "DFT", .opset = 20, .inputs = {x}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 2, 3, 2}));
  const double c = std::cos(2 * std::numbers::pi / 3), s = std::sin(2 * std::numbers::pi / 3);
  expect_near(out[0], {3, 0, 0, 0, 0, 0, 3, 0, 3 * c, -3 * s, 3 * c, 3 * s});
  // axis 1 given explicitly: along the length-2 axis.
  op.inputs = {x, Tensor(), Tensor::scalar<int64_t>(1)};
  expect_near(op.run()[0], {1, 0, 4, 0, 1, 0, 1, 0, -2, 0, 1, 0});
}

TEST(Dft, MixedRadixLengthsMatchTheDirectSum) {
  for (int64_t n : {1, 2, 6, 7, 12, 16, 30, 49}) {
    std::vector<float> x(static_cast<size_t>(2 * n));
    for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i * i) + 0.1f);
    for (int inverse : {0, 1}) {
      test::SingleOp op{.op_type = "DFT",
                        .opset = 17,
                        .inputs = {Tensor::from_vector<float>({1, n, 2}, x)},
                        .attributes = {test::attr_int("inverse", inverse)}};
      std::vector<double> want;
      const double sign = inverse ? 1 : -1;
      for (int64_t k = 0; k < n; ++k) {
        std::complex<double> acc = 0;
        for (int64_t j = 0; j < n; ++j)
          acc += std::complex<double>(x[static_cast<size_t>(2 * j)], x[static_cast<size_t>(2 * j + 1)]) *
                 std::polar(1.0, sign * 2 * std::numbers::pi * static_cast<double>(k * j % n) / static_cast<double>(n));
        if (inverse) acc /= static_cast<double>(n);
        want.push_back(acc.real());
        want.push_back(acc.imag());
      }
      expect_near(op.run()[0], want, 1e-4);
    }
  }
}

TEST(Dft, RejectsBadInput) {
  test::SingleOp op{.op_type = "DFT", .opset = 17, .inputs = {f32({1, 2, 3}, {1, 2, 3, 4, 5, 6})}};
  EXPECT_THROW(op.run(), Error);  // last dim 3
  op.inputs = {f32({1, 2, 1}, {1, 2})};
  op.attributes = {test::attr_int("axis", 2)};
  EXPECT_THROW(op.run(), Error);  // axis is the component axis
  op.attributes = {};
  op.inputs = {f32({1, 2, 1}, {1, 2}), Tensor::scalar<int64_t>(0)};
  EXPECT_THROW(op.run(), Error);  // dft_length 0
  op.inputs = {Tensor::from_vector<int32_t>({1, 2, 1}, {1, 2})};
  EXPECT_THROW(op.run(), Error);  // integer signal
}

}  // namespace
}  // namespace onyx
