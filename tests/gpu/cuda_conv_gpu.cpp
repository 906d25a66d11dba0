// GPU tests of the cuDNN graph-API convolution (src/cuda/conv.cpp) against the ref backend's Conv (+ a CPU ReLU),
// NCHW and NHWC, float32 (strict and TF32) and float16, with groups, strides, pads, dilations, and bias/ReLU both
// fused and not. Tolerances: strict float32 1e-4 abs + 1e-4 rel (cuDNN may sum in another order, e.g. Winograd-free
// implicit GEMM); TF32 and float16 5e-3·sqrt(c/groups·r·s / 9) abs + 5e-3 rel.
#if ONYX_HAVE_CUDNN

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/conv.h"
#include "gpu/gpu_test_util.h"
#include "ops/op_test_util.h"
#include "onyx/error.h"

namespace onyx::cuda::test {
namespace {

// NCHW-ordered [a, b, c, d] -> [a, c, d, b] (channels last), and back.
std::vector<float> to_nhwc(const std::vector<float>& x, int64_t n, int64_t c, int64_t h, int64_t w) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t yy = 0; yy < h; ++yy)
        for (int64_t xx = 0; xx < w; ++xx)
          y[static_cast<size_t>(((i * h + yy) * w + xx) * c + ch)] =
              x[static_cast<size_t>(((i * c + ch) * h + yy) * w + xx)];
  return y;
}
std::vector<float> from_nhwc(const std::vector<float>& y, int64_t n, int64_t c, int64_t h, int64_t w) {
  std::vector<float> x(y.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t yy = 0; yy < h; ++yy)
        for (int64_t xx = 0; xx < w; ++xx)
          x[static_cast<size_t>(((i * c + ch) * h + yy) * w + xx)] =
              y[static_cast<size_t>(((i * h + yy) * w + xx) * c + ch)];
  return x;
}

struct ConvCase {
  const char* name;
  ConvDesc d;
};

ConvDesc make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t r, int64_t s, int64_t groups,
              int64_t stride, int64_t pad, int64_t dil) {
  ConvDesc d;
  d.n = n;
  d.c = c;
  d.h = h;
  d.w = w;
  d.k = k;
  d.r = r;
  d.s = s;
  d.groups = groups;
  d.stride_h = d.stride_w = stride;
  d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = pad;
  d.dilation_h = d.dilation_w = dil;
  return d;
}

std::vector<ConvCase> cases() {
  std::vector<ConvCase> v = {
      {"3x3 pad 1", make(2, 8, 9, 9, 16, 3, 3, 1, 1, 1, 1)},
      {"1x1 stride 2", make(2, 16, 14, 14, 32, 1, 1, 1, 2, 0, 1)},
      {"7x7 stride 2 pad 3 (stem)", make(1, 3, 32, 32, 8, 7, 7, 1, 2, 3, 1)},
      {"groups 2", make(2, 8, 10, 10, 8, 3, 3, 2, 1, 1, 1)},
      {"depthwise", make(1, 16, 12, 12, 16, 3, 3, 16, 1, 1, 1)},
      {"dilation 2", make(1, 4, 11, 11, 8, 3, 3, 1, 1, 2, 2)},
      {"odd sizes", make(3, 5, 7, 13, 6, 2, 3, 1, 1, 0, 1)},
  };
  ConvDesc asym = make(1, 4, 8, 9, 4, 3, 3, 1, 2, 0, 1);
  asym.pad_top = 2;
  asym.pad_right = 1;
  v.push_back({"asymmetric pads", asym});
  return v;
}

// Ref Conv (+bias) on float32 data, then ReLU on the CPU: NCHW output.
std::vector<float> reference(const ConvDesc& d, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& bias) {
  onyx::test::SingleOp op{
      .op_type = "Conv",
      .opset = 11,
      .inputs = {Tensor::from_vector<float>({d.n, d.c, d.h, d.w}, x),
                 Tensor::from_vector<float>({d.k, d.c / d.groups, d.r, d.s}, w)},
      .attributes = {onyx::test::attr_ints("kernel_shape", {d.r, d.s}),
                     onyx::test::attr_ints("strides", {d.stride_h, d.stride_w}),
                     onyx::test::attr_ints("pads", {d.pad_top, d.pad_left, d.pad_bottom, d.pad_right}),
                     onyx::test::attr_ints("dilations", {d.dilation_h, d.dilation_w}),
                     onyx::test::attr_int("group", d.groups)}};
  if (d.bias) op.inputs.push_back(Tensor::from_vector<float>({d.k}, bias));
  std::vector<float> y = onyx::test::values<float>(op.run()[0]);
  if (d.relu)
    for (float& v : y) v = v > 0 ? v : 0;
  return y;
}

void check_case(const DnnHandle& handle, ConvDesc d, cudaStream_t stream, const std::string& label) {
  SCOPED_TRACE(label);
  ConvPlan plan(handle, d);
  SCOPED_TRACE(plan.info());
  const int64_t oh = plan.out_h(), ow = plan.out_w();
  const auto x = round_all(d.dtype, random_floats(static_cast<size_t>(d.n * d.c * d.h * d.w), 31, -1.f, 1.f));
  const auto w =
      round_all(d.dtype, random_floats(static_cast<size_t>(d.k * (d.c / d.groups) * d.r * d.s), 32, -1.f, 1.f));
  const auto bias = round_all(d.dtype, random_floats(static_cast<size_t>(d.k), 33, -1.f, 1.f));
  std::vector<float> want = round_all(d.dtype, reference(d, x, w, bias));
  const bool nhwc = d.layout == ConvLayout::kNHWC;
  DeviceBuffer dx = upload_floats(d.dtype, nhwc ? to_nhwc(x, d.n, d.c, d.h, d.w) : x);
  DeviceBuffer dw = upload_floats(d.dtype, nhwc ? to_nhwc(w, d.k, d.c / d.groups, d.r, d.s) : w);
  DeviceBuffer db = upload_floats(d.dtype, bias);
  DeviceBuffer dy(want.size() * dtype_size(d.dtype));
  DeviceBuffer ws(std::max<size_t>(plan.workspace_bytes(), 1));
  plan.run(dx.data(), dw.data(), d.bias ? db.data() : nullptr, dy.data(), ws.data(), ws.size(), stream);
  std::vector<float> got = download_floats(d.dtype, dy, want.size(), stream);
  if (nhwc) got = from_nhwc(got, d.n, d.k, oh, ow);
  const double terms = static_cast<double>((d.c / d.groups) * d.r * d.s);
  Tol tol{1e-4, 1e-4};
  if (d.dtype == DType::kFloat16 || d.allow_tf32) tol = {5e-3 * std::sqrt(std::max(1.0, terms / 9)), 5e-3};
  ASSERT_TRUE(all_close(got, want, tol));
}

using CudaConv = CudaTest;

TEST_F(CudaConv, Fp32StrictNchwAndNhwcWithAndWithoutEpilogue) {
  DnnHandle handle;
  for (const ConvCase& c : cases()) {
    for (ConvLayout layout : {ConvLayout::kNCHW, ConvLayout::kNHWC}) {
      for (int epi = 0; epi < 4; ++epi) {
        ConvDesc d = c.d;
        d.layout = layout;
        d.bias = epi & 1;
        d.relu = epi & 2;
        check_case(handle, d, stream(),
                   std::string(c.name) + (layout == ConvLayout::kNHWC ? " NHWC" : " NCHW") + (d.bias ? " +bias" : "") +
                       (d.relu ? " +relu" : ""));
      }
    }
  }
}

TEST_F(CudaConv, Fp16AndTf32) {
  DnnHandle handle;
  for (const ConvCase& c : cases()) {
    for (ConvLayout layout : {ConvLayout::kNCHW, ConvLayout::kNHWC}) {
      for (bool fp16 : {true, false}) {
        ConvDesc d = c.d;
        d.layout = layout;
        d.bias = true;
        d.relu = true;
        if (fp16) {
          d.dtype = DType::kFloat16;
        } else {
          d.allow_tf32 = true;
        }
        check_case(handle, d, stream(),
                   std::string(c.name) + (layout == ConvLayout::kNHWC ? " NHWC" : " NCHW") +
                       (fp16 ? " fp16" : " tf32"));
      }
    }
  }
}

TEST_F(CudaConv, ResNetShapedFusedLayerReportsItsEngine) {
  // The shape every ResNet-50 stage repeats: 3x3, 64 -> 64, 56x56, bias + ReLU, float16 NHWC (tensor cores).
  DnnHandle handle;
  ConvDesc d = make(2, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1);
  d.dtype = DType::kFloat16;
  d.layout = ConvLayout::kNHWC;
  d.bias = true;
  d.relu = true;
  ConvPlan plan(handle, d);
  EXPECT_FALSE(plan.info().empty());
  std::printf("conv plan: %s, fused=%d, workspace %zu bytes\n", plan.info().c_str(), plan.fused() ? 1 : 0,
              plan.workspace_bytes());
  check_case(handle, d, stream(), "resnet 3x3 fp16 NHWC");
}

TEST_F(CudaConv, BadShapesThrowBadInput) {
  DnnHandle handle;
  auto code_of = [&](ConvDesc d) {
    try {
      ConvPlan p(handle, d);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kMismatch;
  };
  ConvDesc d = make(1, 6, 8, 8, 4, 3, 3, 4, 1, 1, 1);  // groups 4 does not divide c = 6
  EXPECT_EQ(code_of(d), ErrorCode::kBadInput);
  d = make(1, 4, 2, 2, 4, 5, 5, 1, 1, 0, 1);  // kernel larger than the input
  EXPECT_EQ(code_of(d), ErrorCode::kBadInput);
  d = make(1, 4, 8, 8, 4, 3, 3, 1, 0, 1, 1);  // stride 0
  EXPECT_EQ(code_of(d), ErrorCode::kBadInput);
  d = make(1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 1);
  d.dtype = DType::kBFloat16;
  EXPECT_EQ(code_of(d), ErrorCode::kBadInput);
  d.dtype = DType::kFloat32;
  d.bias = true;
  ConvPlan plan(handle, d);
  DeviceBuffer x(4 * 64 * 4), w(4 * 4 * 9 * 4), y(4 * 64 * 4);
  DeviceBuffer ws(std::max<size_t>(plan.workspace_bytes(), 1));
  try {
    plan.run(x.data(), w.data(), nullptr, y.data(), ws.data(), ws.size(), stream());
    ADD_FAILURE() << "missing bias accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
  }
}

}  // namespace
}  // namespace onyx::cuda::test

#endif  // ONYX_HAVE_CUDNN
