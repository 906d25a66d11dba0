#include <random>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor random_tensor(std::vector<int64_t> dims, std::mt19937& rng) {
  Tensor t(DType::kFloat32, std::move(dims));
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& v : t.span<float>()) v = u(rng);
  return t;
}

struct Conv2dCase {
  int64_t n, c, h, w, m, kh, kw, group, sh, sw, dh, dw, pt, pl, pb, pr;
};

// Direct 2-D convolution with double accumulation.
std::vector<float> naive_conv2d(const Conv2dCase& p, const Tensor& x, const Tensor& w, const Tensor& b, int64_t& oh,
                                int64_t& ow) {
  oh = (p.h + p.pt + p.pb - ((p.kh - 1) * p.dh + 1)) / p.sh + 1;
  ow = (p.w + p.pl + p.pr - ((p.kw - 1) * p.dw + 1)) / p.sw + 1;
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  std::vector<float> y(static_cast<size_t>(p.n * p.m * oh * ow));
  const float* xd = x.data<float>();
  const float* wd = w.data<float>();
  const float* bd = b.data<float>();
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t m = 0; m < p.m; ++m) {
      const int64_t g = m / mg;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bd[m];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t ki = 0; ki < p.kh; ++ki)
              for (int64_t kj = 0; kj < p.kw; ++kj) {
                const int64_t hi = i * p.sh + ki * p.dh - p.pt, wi = j * p.sw + kj * p.dw - p.pl;
                if (hi < 0 || hi >= p.h || wi < 0 || wi >= p.w) continue;
                acc += static_cast<double>(xd[((n * p.c + g * cg + c) * p.h + hi) * p.w + wi]) *
                       wd[((m * cg + c) * p.kh + ki) * p.kw + kj];
              }
          y[static_cast<size_t>(((n * p.m + m) * oh + i) * ow + j)] = static_cast<float>(acc);
        }
    }
  return y;
}

void check_against_naive(const Conv2dCase& p, std::mt19937& rng) {
  const Tensor x = random_tensor({p.n, p.c, p.h, p.w}, rng);
  const Tensor w = random_tensor({p.m, p.c / p.group, p.kh, p.kw}, rng);
  const Tensor b = random_tensor({p.m}, rng);
  int64_t oh = 0, ow = 0;
  const std::vector<float> expect = naive_conv2d(p, x, w, b, oh, ow);
  test::SingleOp op{.op_type = "Conv",
                    .inputs = {x, w, b},
                    .attributes = {test::attr_int("group", p.group), test::attr_ints("strides", {p.sh, p.sw}),
                                   test::attr_ints("dilations", {p.dh, p.dw}),
                                   test::attr_ints("pads", {p.pt, p.pl, p.pb, p.pr})}};
  const Tensor y = op.run()[0];
  ASSERT_EQ(y.dims(), (std::vector<int64_t>{p.n, p.m, oh, ow}));
  const float* yd = y.data<float>();
  for (size_t i = 0; i < expect.size(); ++i)
    ASSERT_NEAR(yd[i], expect[i], 1e-4 * (1 + std::abs(expect[i]))) << "element " << i;
}

TEST(Conv, PointwiseMatchesNaive) {
  std::mt19937 rng(1);
  // 1x1: the direct gemm path, plus strided/padded 1x1 (im2col path).
  check_against_naive({2, 8, 5, 7, 6, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, rng);
  check_against_naive({1, 16, 9, 9, 4, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, rng);
  check_against_naive({1, 6, 4, 3, 6, 1, 1, 2, 1, 1, 1, 1, 1, 0, 0, 1}, rng);
  check_against_naive({3, 3, 1, 1, 5, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, rng);
}

TEST(Conv, GroupedThreeByThreeMatchesNaive) {
  std::mt19937 rng(2);
  check_against_naive({1, 4, 8, 8, 6, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1}, rng);
  check_against_naive({2, 6, 11, 9, 9, 3, 3, 3, 2, 1, 1, 2, 0, 2, 1, 0}, rng);
  check_against_naive({1, 8, 10, 10, 8, 3, 3, 8, 2, 2, 2, 2, 2, 2, 2, 2}, rng);  // depthwise, dilated
  check_against_naive({1, 4, 7, 12, 8, 3, 3, 4, 3, 2, 2, 1, 0, 1, 2, 3}, rng);   // multiplier 2
  check_against_naive({1, 2, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0}, rng);
}

TEST(Conv, AutoPadSameAndValidInferShapes) {
  std::mt19937 rng(3);
  const Tensor x = random_tensor({1, 1, 5, 6}, rng);
  const Tensor w = random_tensor({2, 1, 3, 3}, rng);
  test::SingleOp op{.op_type = "Conv",
                    .inputs = {x, w},
                    .attributes = {test::attr_string("auto_pad", "SAME_UPPER"), test::attr_ints("strides", {2, 2})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,2,3,3]");
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 2, 3, 3}));
  op.attributes = {test::attr_string("auto_pad", "VALID")};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,2,3,4]");
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(Conv, SameLowerPutsExtraPadAtTheStart) {
  // 1-D, kernel 2, input [1,2,3]: SAME_LOWER pads one zero at the start.
  const Tensor x = Tensor::from_vector<float>({1, 1, 3}, {1, 2, 3});
  const Tensor w = Tensor::from_vector<float>({1, 1, 2}, {1, 10});
  test::SingleOp op{.op_type = "Conv", .inputs = {x, w}, .attributes = {test::attr_string("auto_pad", "SAME_LOWER")}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{10, 21, 32}));
  op.attributes = {test::attr_string("auto_pad", "SAME_UPPER")};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{21, 32, 3}));
}

TEST(Conv, ThreeDAndFloat16AndDouble) {
  // 3-D all-ones: each output counts the window.
  Tensor x(DType::kFloat64, {1, 1, 3, 3, 3});
  for (double& v : x.span<double>()) v = 1;
  Tensor w(DType::kFloat64, {1, 1, 2, 2, 2});
  for (double& v : w.span<double>()) v = 1;
  test::SingleOp op{.op_type = "Conv", .inputs = {x, w}};
  EXPECT_EQ(test::values<double>(op.run()[0]), std::vector<double>(8, 8.0));
  Tensor xh = x.cast(DType::kFloat16), wh = w.cast(DType::kFloat16);
  test::SingleOp oph{.op_type = "Conv", .inputs = {xh, wh}};
  const Tensor yh = oph.run()[0];
  EXPECT_EQ(yh.dtype(), DType::kFloat16);
  EXPECT_EQ(yh.cast(DType::kFloat32).data<float>()[0], 8.0f);
}

TEST(Conv, EmptyBatch) {
  test::SingleOp op{.op_type = "Conv", .inputs = {Tensor(DType::kFloat32, {0, 2, 4, 4}), Tensor(DType::kFloat32, {3, 2, 3, 3})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 3, 2, 2}));
}

TEST(Conv, BadInputs) {
  const Tensor x(DType::kFloat32, {1, 4, 5, 5});
  // channel mismatch
  test::SingleOp op{.op_type = "Conv", .inputs = {x, Tensor(DType::kFloat32, {2, 3, 3, 3})}};
  EXPECT_THROW(op.run(), Error);
  // kernel larger than input
  op.inputs = {x, Tensor(DType::kFloat32, {2, 4, 7, 7})};
  EXPECT_THROW(op.run(), Error);
  // bad bias shape
  op.inputs = {x, Tensor(DType::kFloat32, {2, 4, 3, 3}), Tensor(DType::kFloat32, {3})};
  EXPECT_THROW(op.run(), Error);
  // rank 2 input
  op.inputs = {Tensor(DType::kFloat32, {4, 5}), Tensor(DType::kFloat32, {4, 5})};
  EXPECT_THROW(op.run(), Error);
  // wrong pads length, bad auto_pad, integer dtype
  op.inputs = {x, Tensor(DType::kFloat32, {2, 4, 3, 3})};
  op.attributes = {test::attr_ints("pads", {1, 1})};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {test::attr_string("auto_pad", "SAME")};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {};
  op.inputs = {Tensor(DType::kInt32, {1, 4, 5, 5}), Tensor(DType::kInt32, {2, 4, 3, 3})};
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
