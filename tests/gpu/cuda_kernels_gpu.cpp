// GPU tests of onyx's own CUDA kernels (src/cuda/kernels.cu) and buffers (src/cuda/buffer.cpp): each against a
// plain CPU computation (pooling against the ref backend) on random data, in float32, float16 and bfloat16.
// Tolerances (gpu_test_util.h tol_for): float32 1e-5 abs + 1e-5 rel; float16 1e-3 + 2e-3 rel; bfloat16
// 1e-2 + 1.6e-2 rel — the output is rounded once from float32, and the reference sees the same rounded inputs.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/kernels.h"
#include "gpu/gpu_test_util.h"
#include "ops/op_test_util.h"
#include "onyx/error.h"

namespace onyx::cuda::test {
namespace {

using Shape = std::vector<int64_t>;

std::vector<int64_t> strides_of(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t d = s.size(); d-- > 1;) st[d - 1] = st[d] * s[d];
  return st;
}
// Unravels a flat index of `shape` into coordinates.
std::vector<int64_t> coords_of(int64_t i, const Shape& shape) {
  std::vector<int64_t> c(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    c[d] = i % shape[d];
    i /= shape[d];
  }
  return c;
}

template <typename F>
void expect_error(ErrorCode code, F&& f) {
  try {
    f();
    ADD_FAILURE() << "expected an onyx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

// ---- buffers ---------------------------------------------------------------------------------------------------
using CudaBuffer = CudaTest;

TEST_F(CudaBuffer, RoundTripsAndRejectsOversizedCopies) {
  std::vector<int32_t> v(1000);
  std::iota(v.begin(), v.end(), -7);
  PinnedBuffer pinned(v.size() * sizeof(int32_t));
  std::memcpy(pinned.data(), v.data(), pinned.size());
  DeviceBuffer a(pinned.size()), b(pinned.size());
  a.upload(pinned.data(), pinned.size(), stream());
  b.copy_from(a, a.size(), stream());
  std::vector<int32_t> back(v.size());
  b.download(back.data(), b.size(), stream());
  sync();
  EXPECT_EQ(back, v);
  b.fill_zero(stream());
  b.download(back.data(), b.size(), stream());
  sync();
  EXPECT_EQ(back, std::vector<int32_t>(v.size(), 0));
  expect_error(ErrorCode::kBadInput, [&] { a.upload(v.data(), a.size() + 1, stream()); });
  expect_error(ErrorCode::kBadInput, [&] { a.download(back.data(), a.size() + 4, stream()); });
  DeviceBuffer empty;
  EXPECT_EQ(empty.data(), nullptr);
  DeviceBuffer moved = std::move(a);
  EXPECT_EQ(moved.size(), pinned.size());
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from is documented empty
}

TEST_F(CudaBuffer, EventTimerMeasuresAndChecksOrder) {
  EventTimer t;
  expect_error(ErrorCode::kBadInput, [&] { t.elapsed_ms(); });
  DeviceBuffer big(64 << 20);
  t.start(stream());
  big.fill_zero(stream());
  t.stop(stream());
  EXPECT_GE(t.elapsed_ms(), 0.f);
  EXPECT_GT(current_device_limits().sm_count, 0);
}

TEST_F(CudaBuffer, ReportsCudaErrorsAsRuntimeErrors) {
  // An allocation no GPU can satisfy: cudaMalloc fails and the error names the call.
  try {
    DeviceBuffer huge(size_t{1} << 62);
    ADD_FAILURE() << "expected cudaMalloc to fail";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kRuntime);
    EXPECT_NE(std::string(e.what()).find("cudaMalloc"), std::string::npos) << e.what();
  }
}

// ---- unary -----------------------------------------------------------------------------------------------------
struct UnaryCase {
  UnaryOp op;
  const char* name;
  std::function<double(double)> ref;
  float lo = -3.f, hi = 3.f;
  float alpha = 0.f, beta = 0.f;
};

double gelu_tanh(double x) { return 0.5 * x * (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x))); }

std::vector<UnaryCase> unary_cases() {
  auto sig = [](double x) { return 1 / (1 + std::exp(-x)); };
  return {
      {UnaryOp::kIdentity, "identity", [](double x) { return x; }},
      {UnaryOp::kRelu, "relu", [](double x) { return x > 0 ? x : 0; }},
      {UnaryOp::kLeakyRelu, "leaky_relu", [](double x) { return x >= 0 ? x : 0.1 * x; }, -3, 3, 0.1f},
      {UnaryOp::kElu, "elu", [](double x) { return x >= 0 ? x : 0.5 * std::expm1(x); }, -3, 3, 0.5f},
      {UnaryOp::kSelu, "selu", [](double x) { return 1.05 * (x > 0 ? x : 1.67 * std::expm1(x)); }, -3, 3, 1.67f,
       1.05f},
      {UnaryOp::kSigmoid, "sigmoid", sig},
      {UnaryOp::kHardSigmoid, "hard_sigmoid", [](double x) { return std::max(0.0, std::min(1.0, 0.2 * x + 0.5)); },
       -4, 4, 0.2f, 0.5f},
      {UnaryOp::kHardSwish, "hard_swish", [](double x) { return x * std::max(0.0, std::min(1.0, x / 6 + 0.5)); },
       -5, 5},
      {UnaryOp::kTanh, "tanh", [](double x) { return std::tanh(x); }},
      {UnaryOp::kGeluErf, "gelu_erf", [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }},
      {UnaryOp::kGeluTanh, "gelu_tanh", gelu_tanh},
      {UnaryOp::kSilu, "silu", [sig](double x) { return x * sig(x); }},
      {UnaryOp::kSoftplus, "softplus", [](double x) { return std::log1p(std::exp(x)); }},
      {UnaryOp::kExp, "exp", [](double x) { return std::exp(x); }},
      {UnaryOp::kLog, "log", [](double x) { return std::log(x); }, 0.05f, 5.f},
      {UnaryOp::kSqrt, "sqrt", [](double x) { return std::sqrt(x); }, 0.f, 5.f},
      {UnaryOp::kRsqrt, "rsqrt", [](double x) { return 1 / std::sqrt(x); }, 0.05f, 5.f},
      {UnaryOp::kReciprocal, "reciprocal", [](double x) { return 1 / x; }, 0.1f, 5.f},
      {UnaryOp::kAbs, "abs", [](double x) { return std::fabs(x); }},
      {UnaryOp::kNeg, "neg", [](double x) { return -x; }},
      {UnaryOp::kErf, "erf", [](double x) { return std::erf(x); }},
      {UnaryOp::kSin, "sin", [](double x) { return std::sin(x); }},
      {UnaryOp::kCos, "cos", [](double x) { return std::cos(x); }},
      {UnaryOp::kFloor, "floor", [](double x) { return std::floor(x); }},
      {UnaryOp::kCeil, "ceil", [](double x) { return std::ceil(x); }},
      {UnaryOp::kRound, "round", [](double x) { return std::nearbyint(x); }},
      {UnaryOp::kSign, "sign", [](double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }},
      {UnaryOp::kClip, "clip", [](double x) { return std::min(std::max(x, -1.0), 0.5); }, -3, 3, -1.f, 0.5f},
  };
}

using CudaUnary = CudaTest;

TEST_F(CudaUnary, EveryOpEveryFloatTypeOddSizesAndMisalignedPointers) {
  for (const UnaryCase& c : unary_cases()) {
    for (DType t : kFloatTypes) {
      for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{4099}}) {
        for (int64_t offset : {int64_t{0}, int64_t{1}}) {  // offset 1: pointers not 16-byte aligned (tail path)
          SCOPED_TRACE(std::string(c.name) + " " + std::string(dtype_name(t)) + " n=" + std::to_string(n) +
                       " offset=" + std::to_string(offset));
          std::vector<float> x = round_all(t, random_floats(static_cast<size_t>(n + offset), 11, c.lo, c.hi));
          DeviceBuffer dx = upload_floats(t, x);
          DeviceBuffer dy(static_cast<size_t>(n + offset) * dtype_size(t));
          const size_t es = dtype_size(t);
          unary(c.op, t, static_cast<const char*>(dx.data()) + offset * es, static_cast<char*>(dy.data()) + offset * es,
                n, stream(), c.alpha, c.beta);
          std::vector<float> got = download_floats(t, dy, static_cast<size_t>(n + offset), stream());
          got.erase(got.begin(), got.begin() + offset);
          std::vector<float> want;
          for (int64_t i = 0; i < n; ++i)
            want.push_back(round_to(t, static_cast<float>(c.ref(x[static_cast<size_t>(i + offset)]))));
          Tol tol = tol_for(t);
          if (t == DType::kFloat32) tol = {2e-6, 4e-6};  // a few ulps of CUDA's float math
          ASSERT_TRUE(all_close(got, want, tol));
        }
      }
    }
  }
}

TEST_F(CudaUnary, InPlaceEmptyAndBadDtype) {
  std::vector<float> x = {-1.f, 2.f, -3.f, 4.f, 0.f};
  DeviceBuffer d = upload_floats(DType::kFloat32, x);
  unary(UnaryOp::kRelu, DType::kFloat32, d.data(), d.data(), 5, stream());
  EXPECT_EQ(download_floats(DType::kFloat32, d, 5, stream()), (std::vector<float>{0, 2, 0, 4, 0}));
  unary(UnaryOp::kRelu, DType::kFloat32, nullptr, nullptr, 0, stream());  // empty: nothing launched
  expect_error(ErrorCode::kUnsupported, [&] { unary(UnaryOp::kRelu, DType::kInt64, d.data(), d.data(), 1, stream()); });
  expect_error(ErrorCode::kBadInput, [&] { unary(UnaryOp::kRelu, DType::kFloat32, d.data(), d.data(), -1, stream()); });
}

// ---- binary ----------------------------------------------------------------------------------------------------
double ref_binary(BinaryOp op, double a, double b) {
  switch (op) {
    case BinaryOp::kAdd: return a + b;
    case BinaryOp::kSub: return a - b;
    case BinaryOp::kMul: return a * b;
    case BinaryOp::kDiv: return a / b;
    case BinaryOp::kPow: return std::pow(a, b);
    case BinaryOp::kMax: return std::max(a, b);
    case BinaryOp::kMin: return std::min(a, b);
  }
  return 0;
}

// Index of output coordinate `oc` in an input of `shape` broadcast to the output rank.
int64_t broadcast_index(const std::vector<int64_t>& oc, const Shape& shape) {
  const size_t off = oc.size() - shape.size();
  const std::vector<int64_t> st = strides_of(shape);
  int64_t idx = 0;
  for (size_t d = 0; d < shape.size(); ++d) idx += (shape[d] == 1 ? 0 : oc[off + d]) * st[d];
  return idx;
}

using CudaBinary = CudaTest;

TEST_F(CudaBinary, BroadcastingCornersEveryOpEveryFloatType) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{5}, {5}},
      {{2, 3, 4}, {4}},
      {{2, 1, 4}, {3, 1}},
      {{1}, {3, 5}},
      {{3, 5}, {1}},
      {{}, {2, 3}},
      {{4, 1}, {1, 6}},
      {{1, 1, 7}, {7}},
      {{2, 3, 1, 5, 1, 2, 1, 3}, {3, 1, 5, 4, 2, 1, 3}},  // rank 8
      {{0, 3}, {3}},                                      // empty
      {{33, 1, 65}, {1, 17, 65}},
  };
  const BinaryOp ops[] = {BinaryOp::kAdd, BinaryOp::kSub, BinaryOp::kMul, BinaryOp::kDiv,
                          BinaryOp::kPow, BinaryOp::kMax, BinaryOp::kMin};
  for (size_t ci = 0; ci < cases.size(); ++ci) {
    const auto& [sa, sb] = cases[ci];
    const Shape out = broadcast_shapes(sa, sb);
    const int64_t n = count(out);
    for (DType t : kFloatTypes) {
      for (BinaryOp op : ops) {
        SCOPED_TRACE("op " + std::to_string(static_cast<int>(op)) + " " + std::string(dtype_name(t)) + " case " +
                     std::to_string(ci));
        // Pow: positive bases; Div: divisors away from 0.
        const bool pw = op == BinaryOp::kPow, dv = op == BinaryOp::kDiv;
        std::vector<float> a = round_all(t, random_floats(static_cast<size_t>(count(sa)), 3, pw ? 0.1f : -2.f, 2.f));
        std::vector<float> b = round_all(t, random_floats(static_cast<size_t>(count(sb)), 4, dv ? 0.5f : -2.f, 2.f));
        DeviceBuffer da = upload_floats(t, a), db = upload_floats(t, b);
        DeviceBuffer dy(static_cast<size_t>(std::max<int64_t>(n, 1)) * dtype_size(t));
        binary(op, t, da.data(), sa, db.data(), sb, dy.data(), stream());
        const std::vector<float> got = download_floats(t, dy, static_cast<size_t>(n), stream());
        std::vector<float> want(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) {
          const auto oc = coords_of(i, out);
          want[static_cast<size_t>(i)] = round_to(
              t, static_cast<float>(ref_binary(op, a[static_cast<size_t>(broadcast_index(oc, sa))],
                                               b[static_cast<size_t>(broadcast_index(oc, sb))])));
        }
        Tol tol = tol_for(t);
        if (t == DType::kFloat32 && pw) tol = {1e-5, 1e-5};
        if (t == DType::kFloat32 && !pw) tol = {1e-6, 1e-6};
        ASSERT_TRUE(all_close(got, want, tol));
      }
    }
  }
}

TEST_F(CudaBinary, IntegersInPlaceNanAndErrors) {
  // int64 with broadcasting; division truncates and a zero divisor gives 0.
  const std::vector<int64_t> a = {7, -7, 9, 100, -5, 0};
  const std::vector<int64_t> b = {2, 0, -4};
  DeviceBuffer da = upload(a), db = upload(b), dy(a.size() * 8);
  binary(BinaryOp::kDiv, DType::kInt64, da.data(), {2, 3}, db.data(), {3}, dy.data(), stream());
  EXPECT_EQ(download<int64_t>(dy, 6, stream()), (std::vector<int64_t>{3, 0, -2, 50, 0, 0}));
  binary(BinaryOp::kMax, DType::kInt64, da.data(), {2, 3}, db.data(), {3}, dy.data(), stream());
  EXPECT_EQ(download<int64_t>(dy, 6, stream()), (std::vector<int64_t>{7, 0, 9, 100, 0, 0}));
  const std::vector<int32_t> a32 = {1, 2, 3, 4};
  DeviceBuffer d32 = upload(a32);
  binary(BinaryOp::kMul, DType::kInt32, d32.data(), {4}, d32.data(), {1}, d32.data(), stream());  // y == a
  EXPECT_EQ(download<int32_t>(d32, 4, stream()), (std::vector<int32_t>{1, 2, 3, 4}));  // a[0] == 1
  // In place, float: y == a.
  DeviceBuffer fa = upload_floats(DType::kFloat32, {1, 2, 3, 4, 5, 6});
  DeviceBuffer fb = upload_floats(DType::kFloat32, {10, 20, 30});
  binary(BinaryOp::kAdd, DType::kFloat32, fa.data(), {2, 3}, fb.data(), {3}, fa.data(), stream());
  EXPECT_EQ(download_floats(DType::kFloat32, fa, 6, stream()), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  // Max/Min propagate NaN from either side.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  DeviceBuffer na = upload_floats(DType::kFloat32, {nan, 1.f}), nb = upload_floats(DType::kFloat32, {1.f, nan});
  DeviceBuffer ny(8);
  binary(BinaryOp::kMax, DType::kFloat32, na.data(), {2}, nb.data(), {2}, ny.data(), stream());
  const auto m = download_floats(DType::kFloat32, ny, 2, stream());
  EXPECT_TRUE(std::isnan(m[0]) && std::isnan(m[1]));
  // Errors.
  expect_error(ErrorCode::kBadInput,
               [&] { binary(BinaryOp::kAdd, DType::kFloat32, fa.data(), {2, 3}, fb.data(), {4}, fa.data(), stream()); });
  expect_error(ErrorCode::kBadInput, [&] {
    binary(BinaryOp::kAdd, DType::kFloat32, fa.data(), Shape(9, 1), fb.data(), {1}, fa.data(), stream());
  });
  expect_error(ErrorCode::kUnsupported,
               [&] { binary(BinaryOp::kPow, DType::kInt64, da.data(), {6}, da.data(), {6}, dy.data(), stream()); });
  expect_error(ErrorCode::kUnsupported,
               [&] { binary(BinaryOp::kAdd, DType::kBool, da.data(), {6}, da.data(), {6}, dy.data(), stream()); });
  EXPECT_EQ(broadcast_shapes({2, 1, 3}, {4, 1}), (Shape{2, 4, 3}));
  EXPECT_EQ(broadcast_shapes({}, {}), (Shape{}));
}

// ---- softmax / layer norm --------------------------------------------------------------------------------------
using CudaRows = CudaTest;

TEST_F(CudaRows, SoftmaxAndLogSoftmaxWarpAndBlockPaths) {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {3, 7}, {17, 1024}, {5, 1025}, {2, 5000}, {1000, 33}};
  for (const auto& [rows, cols] : shapes) {
    for (DType t : kFloatTypes) {
      for (bool log : {false, true}) {
        SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " " + std::string(dtype_name(t)) +
                     (log ? " log" : ""));
        // Large offsets check the max subtraction (exp(90) overflows float).
        std::vector<float> x = random_floats(static_cast<size_t>(rows * cols), 5, -4.f, 4.f);
        for (size_t i = 0; i < x.size(); i += 3) x[i] += 90.f;
        x = round_all(t, x);
        DeviceBuffer dx = upload_floats(t, x), dy(x.size() * dtype_size(t));
        softmax_lastdim(t, dx.data(), dy.data(), rows, cols, log, stream());
        const auto got = download_floats(t, dy, x.size(), stream());
        std::vector<float> want(x.size());
        for (int64_t r = 0; r < rows; ++r) {
          const float* xr = &x[static_cast<size_t>(r * cols)];
          double m = -INFINITY, s = 0;
          for (int64_t c = 0; c < cols; ++c) m = std::max(m, static_cast<double>(xr[c]));
          for (int64_t c = 0; c < cols; ++c) s += std::exp(xr[c] - m);
          for (int64_t c = 0; c < cols; ++c)
            want[static_cast<size_t>(r * cols + c)] =
                round_to(t, static_cast<float>(log ? xr[c] - m - std::log(s) : std::exp(xr[c] - m) / s));
        }
        Tol tol = tol_for(t);
        if (t == DType::kFloat32) tol = {1e-6, 1e-5};
        ASSERT_TRUE(all_close(got, want, tol));
      }
    }
  }
  expect_error(ErrorCode::kUnsupported,
               [&] { softmax_lastdim(DType::kInt32, nullptr, nullptr, 1, 1, false, stream()); });
}

TEST_F(CudaRows, LayerNormWithAndWithoutAffineAndStatistics) {
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {4, 7}, {33, 768}, {3, 4097}};
  for (const auto& [rows, cols] : shapes) {
    for (DType t : kFloatTypes) {
      for (bool affine : {true, false}) {
        SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " " + std::string(dtype_name(t)) +
                     (affine ? " affine" : ""));
        std::vector<float> x = random_floats(static_cast<size_t>(rows * cols), 6, -3.f, 5.f);
        x = round_all(t, x);
        const auto scale = round_all(t, random_floats(static_cast<size_t>(cols), 7, 0.5f, 1.5f));
        const auto bias = round_all(t, random_floats(static_cast<size_t>(cols), 8));
        DeviceBuffer dx = upload_floats(t, x), ds = upload_floats(t, scale), db = upload_floats(t, bias);
        DeviceBuffer dy(x.size() * dtype_size(t)), dm(static_cast<size_t>(rows) * 4), di(static_cast<size_t>(rows) * 4);
        const float eps = 1e-5f;
        layer_norm_lastdim(t, dx.data(), affine ? ds.data() : nullptr, affine ? db.data() : nullptr, dy.data(), rows,
                           cols, eps, dm.as<float>(), di.as<float>(), stream());
        const auto got = download_floats(t, dy, x.size(), stream());
        const auto got_mean = download_floats(DType::kFloat32, dm, static_cast<size_t>(rows), stream());
        const auto got_inv = download_floats(DType::kFloat32, di, static_cast<size_t>(rows), stream());
        std::vector<float> want(x.size()), want_mean, want_inv;
        for (int64_t r = 0; r < rows; ++r) {
          const float* xr = &x[static_cast<size_t>(r * cols)];
          double mean = 0, var = 0;
          for (int64_t c = 0; c < cols; ++c) mean += xr[c];
          mean /= static_cast<double>(cols);
          for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mean) * (xr[c] - mean);
          var /= static_cast<double>(cols);
          const double inv = 1 / std::sqrt(var + eps);
          want_mean.push_back(static_cast<float>(mean));
          want_inv.push_back(static_cast<float>(inv));
          for (int64_t c = 0; c < cols; ++c) {
            double o = (xr[c] - mean) * inv;
            if (affine) o = o * scale[static_cast<size_t>(c)] + bias[static_cast<size_t>(c)];
            want[static_cast<size_t>(r * cols + c)] = round_to(t, static_cast<float>(o));
          }
        }
        Tol tol = tol_for(t);
        if (t == DType::kFloat32) tol = {2e-5, 2e-5};
        ASSERT_TRUE(all_close(got, want, tol));
        ASSERT_TRUE(all_close(got_mean, want_mean, {1e-5, 1e-5}));
        ASSERT_TRUE(all_close(got_inv, want_inv, {1e-4, 1e-4}));
      }
    }
  }
  expect_error(ErrorCode::kBadInput, [&] {
    layer_norm_lastdim(DType::kFloat32, nullptr, nullptr, nullptr, nullptr, 2, 0, 1e-5f, nullptr, nullptr, stream());
  });
}

// ---- reduce ----------------------------------------------------------------------------------------------------
using CudaReduce = CudaTest;

TEST_F(CudaReduce, EveryAxisRowAndStridedPathsEmptyAxisAndNan) {
  const std::vector<std::pair<Shape, int64_t>> cases = {{{3, 4, 5}, 0}, {{3, 4, 5}, 1}, {{3, 4, 5}, 2},
                                                        {{3, 4, 5}, -1}, {{7, 2000}, 1}, {{2000, 3}, 0},
                                                        {{6}, 0},        {{2, 0, 3}, 1}};
  const ReduceOp ops[] = {ReduceOp::kSum, ReduceOp::kMean, ReduceOp::kMax, ReduceOp::kMin};
  for (const auto& [shape, axis] : cases) {
    const size_t ax = static_cast<size_t>(axis < 0 ? axis + static_cast<int64_t>(shape.size()) : axis);
    Shape out_shape = shape;
    out_shape[ax] = 1;
    const int64_t n_out = count(out_shape);
    for (DType t : kFloatTypes) {
      for (ReduceOp op : ops) {
        SCOPED_TRACE("op " + std::to_string(static_cast<int>(op)) + " " + std::string(dtype_name(t)) + " axis " +
                     std::to_string(axis) + " rank " + std::to_string(shape.size()));
        const auto x = round_all(t, random_floats(static_cast<size_t>(count(shape)), 9));
        DeviceBuffer dx = upload_floats(t, x), dy(static_cast<size_t>(std::max<int64_t>(n_out, 1)) * dtype_size(t));
        reduce_axis(op, t, dx.data(), shape, axis, dy.data(), stream());
        const auto got = download_floats(t, dy, static_cast<size_t>(n_out), stream());
        std::vector<float> want(static_cast<size_t>(n_out));
        const auto st = strides_of(shape);
        for (int64_t o = 0; o < n_out; ++o) {
          auto c = coords_of(o, out_shape);
          double acc = op == ReduceOp::kMax ? -INFINITY : (op == ReduceOp::kMin ? INFINITY : 0.0);
          for (int64_t l = 0; l < shape[ax]; ++l) {
            c[ax] = l;
            int64_t idx = 0;
            for (size_t d = 0; d < shape.size(); ++d) idx += c[d] * st[d];
            const double v = x[static_cast<size_t>(idx)];
            if (op == ReduceOp::kMax) acc = std::max(acc, v);
            else if (op == ReduceOp::kMin) acc = std::min(acc, v);
            else acc += v;
          }
          if (op == ReduceOp::kMean) acc /= static_cast<double>(shape[ax]);
          want[static_cast<size_t>(o)] = round_to(t, static_cast<float>(acc));
        }
        Tol tol = tol_for(t);
        if (t == DType::kFloat32) tol = {1e-4, 1e-5};  // float32 sums of up to 2000 terms, another order
        ASSERT_TRUE(all_close(got, want, tol));
      }
    }
  }
  // NaN propagates through max in both paths.
  std::vector<float> x(2048, 1.f);
  x[1500] = std::numeric_limits<float>::quiet_NaN();
  DeviceBuffer dx = upload_floats(DType::kFloat32, x), dy(8);
  reduce_axis(ReduceOp::kMax, DType::kFloat32, dx.data(), {1, 2048}, 1, dy.data(), stream());
  EXPECT_TRUE(std::isnan(download_floats(DType::kFloat32, dy, 1, stream())[0]));
  reduce_axis(ReduceOp::kMax, DType::kFloat32, dx.data(), {2048, 1}, 0, dy.data(), stream());
  EXPECT_TRUE(std::isnan(download_floats(DType::kFloat32, dy, 1, stream())[0]));
  expect_error(ErrorCode::kBadInput,
               [&] { reduce_axis(ReduceOp::kSum, DType::kFloat32, dx.data(), {4, 4}, 2, dy.data(), stream()); });
  expect_error(ErrorCode::kBadInput,
               [&] { reduce_axis(ReduceOp::kSum, DType::kFloat32, dx.data(), {}, 0, dy.data(), stream()); });
}

// ---- data movement ---------------------------------------------------------------------------------------------
using CudaMove = CudaTest;

std::vector<int64_t> iota64(int64_t n) {
  std::vector<int64_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

std::vector<int64_t> ref_permute(const std::vector<int64_t>& x, const Shape& shape, const std::vector<int64_t>& perm) {
  Shape out(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) out[i] = shape[static_cast<size_t>(perm[i])];
  const auto st = strides_of(shape);
  std::vector<int64_t> y(x.size());
  for (int64_t i = 0; i < count(out); ++i) {
    const auto oc = coords_of(i, out);
    int64_t idx = 0;
    for (size_t d = 0; d < shape.size(); ++d) idx += oc[d] * st[static_cast<size_t>(perm[d])];
    y[static_cast<size_t>(i)] = x[static_cast<size_t>(idx)];
  }
  return y;
}

TEST_F(CudaMove, PermuteAllPathsAndElementSizes) {
  std::vector<std::pair<Shape, std::vector<int64_t>>> cases;
  std::vector<int64_t> p3 = {0, 1, 2};
  do cases.push_back({{2, 3, 4}, p3});
  while (std::next_permutation(p3.begin(), p3.end()));
  cases.push_back({{64, 33}, {1, 0}});            // tiled 2-D
  cases.push_back({{3, 40, 70}, {0, 2, 1}});      // tiled batched
  cases.push_back({{1, 5, 1, 7}, {3, 2, 1, 0}});  // size-1 dims dropped
  cases.push_back({{2, 3, 2, 2, 3, 2, 2, 3}, {7, 0, 5, 2, 1, 6, 3, 4}});
  cases.push_back({{0, 4}, {1, 0}});
  for (const auto& [shape, perm] : cases) {
    const auto x = iota64(count(shape));
    const auto want = ref_permute(x, shape, perm);
    // int64 (8-byte), then the same values as int32 / int16-ish float16 bits / bool bytes.
    DeviceBuffer dx = upload(x), dy(std::max<size_t>(x.size() * 8, 1));
    permute(DType::kInt64, dx.data(), shape, perm, dy.data(), stream());
    EXPECT_EQ(download<int64_t>(dy, x.size(), stream()), want);
    std::vector<uint16_t> x16(x.begin(), x.end()), w16(want.begin(), want.end());
    DeviceBuffer dx16 = upload(x16);
    permute(DType::kFloat16, dx16.data(), shape, perm, dy.data(), stream());
    EXPECT_EQ(download<uint16_t>(dy, x.size(), stream()), w16);
    std::vector<uint8_t> x8(x.begin(), x.end()), w8(want.begin(), want.end());
    DeviceBuffer dx8 = upload(x8);
    permute(DType::kUInt8, dx8.data(), shape, perm, dy.data(), stream());
    EXPECT_EQ(download<uint8_t>(dy, x.size(), stream()), w8);
    std::vector<int32_t> x32(x.begin(), x.end()), w32(want.begin(), want.end());
    DeviceBuffer dx32 = upload(x32);
    permute(DType::kFloat32, dx32.data(), shape, perm, dy.data(), stream());
    EXPECT_EQ(download<int32_t>(dy, x.size(), stream()), w32);
  }
  DeviceBuffer d(64);
  expect_error(ErrorCode::kBadInput, [&] { permute(DType::kFloat32, d.data(), {2, 2}, {0, 0}, d.data(), stream()); });
  expect_error(ErrorCode::kBadInput, [&] { permute(DType::kFloat32, d.data(), {2, 2}, {0}, d.data(), stream()); });
  expect_error(ErrorCode::kUnsupported, [&] { permute(DType::kString, d.data(), {2}, {0}, d.data(), stream()); });
}

TEST_F(CudaMove, ConcatSliceGather) {
  // Concat along the middle axis of three inputs, one empty along it.
  const Shape s0 = {2, 3, 2}, s1 = {2, 0, 2}, s2 = {2, 1, 2};
  const auto a = iota64(12);
  std::vector<int64_t> c(4);
  std::iota(c.begin(), c.end(), 100);
  DeviceBuffer da = upload(a), dc = upload(c), dempty(8), dy(32 * 8);
  concat(DType::kInt64, {da.data(), dempty.data(), dc.data()}, {s0, s1, s2}, -2, dy.data(), stream());
  EXPECT_EQ(download<int64_t>(dy, 16, stream()),
            (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 100, 101, 6, 7, 8, 9, 10, 11, 102, 103}));
  concat(DType::kInt64, {da.data(), da.data()}, {{12}, {12}}, 0, dy.data(), stream());
  const auto twice = download<int64_t>(dy, 24, stream());
  EXPECT_EQ(twice[12], 0);
  EXPECT_EQ(twice[23], 11);
  expect_error(ErrorCode::kBadInput,
               [&] { concat(DType::kInt64, {da.data(), dc.data()}, {{2, 6}, {3, 4}}, 1, dy.data(), stream()); });
  expect_error(ErrorCode::kBadInput,
               [&] { concat(DType::kInt64, {da.data()}, {{2, 6}}, 2, dy.data(), stream()); });

  // Strided slice with a negative step: x [5, 6], rows 1, 3; columns 5, 3, 1.
  const auto x = iota64(30);
  DeviceBuffer dx = upload(x);
  slice(DType::kInt64, dx.data(), {5, 6}, {1, 5}, {2, -2}, {2, 3}, dy.data(), stream());
  EXPECT_EQ(download<int64_t>(dy, 6, stream()), (std::vector<int64_t>{11, 9, 7, 23, 21, 19}));
  slice_axis(DType::kInt64, dx.data(), {5, 6}, -1, 2, 3, dy.data(), stream());
  EXPECT_EQ(download<int64_t>(dy, 15, stream()),
            (std::vector<int64_t>{2, 3, 4, 8, 9, 10, 14, 15, 16, 20, 21, 22, 26, 27, 28}));
  expect_error(ErrorCode::kBadInput,
               [&] { slice(DType::kInt64, dx.data(), {5, 6}, {1, 5}, {2, 2}, {2, 3}, dy.data(), stream()); });
  expect_error(ErrorCode::kBadInput,
               [&] { slice_axis(DType::kInt64, dx.data(), {5, 6}, 0, 4, 2, dy.data(), stream()); });

  // Gather: axis 0 with int64 indices incl. negative; axis 1 with int32 [2, 2] indices.
  const std::vector<int64_t> idx = {3, -1, 0};
  DeviceBuffer didx = upload(idx);
  gather(DType::kInt64, dx.data(), {5, 6}, 0, didx.data(), DType::kInt64, {3}, dy.data(), nullptr, stream());
  std::vector<int64_t> want;
  for (int64_t r : {3, 4, 0})
    for (int64_t k = 0; k < 6; ++k) want.push_back(r * 6 + k);
  EXPECT_EQ(download<int64_t>(dy, 18, stream()), want);
  const std::vector<int32_t> idx32 = {5, 0, -2, 1};
  DeviceBuffer didx32 = upload(idx32);
  gather(DType::kInt64, dx.data(), {5, 6}, 1, didx32.data(), DType::kInt32, {2, 2}, dy.data(), nullptr, stream());
  const auto g = download<int64_t>(dy, 20, stream());
  EXPECT_EQ(std::vector<int64_t>(g.begin(), g.begin() + 4), (std::vector<int64_t>{5, 0, 4, 1}));
  EXPECT_EQ(std::vector<int64_t>(g.begin() + 4, g.begin() + 8), (std::vector<int64_t>{11, 6, 10, 7}));
  // Out-of-range index: zeros and the error flag.
  const std::vector<int64_t> bad = {1, 5};
  DeviceBuffer dbad = upload(bad);
  DeviceBuffer flag(4);
  flag.fill_zero(stream());
  gather(DType::kInt64, dx.data(), {5, 6}, 0, dbad.data(), DType::kInt64, {2}, dy.data(), flag.as<int>(), stream());
  const auto gb = download<int64_t>(dy, 12, stream());
  EXPECT_EQ(gb[0], 6);
  EXPECT_EQ(gb[6], 0);
  EXPECT_EQ(download<int32_t>(flag, 1, stream())[0], 1);
  expect_error(ErrorCode::kBadInput, [&] {
    gather(DType::kInt64, dx.data(), {5, 6}, 0, dbad.data(), DType::kFloat32, {2}, dy.data(), nullptr, stream());
  });
}

// ---- pooling (against the ref backend's MaxPool / AveragePool) ----------------------------------------------
using CudaPool = CudaTest;

TEST_F(CudaPool, MaxAndAverageMatchRef) {
  std::vector<Pool2dParams> cases;
  auto mk = [](int64_t h, int64_t w, int64_t k, int64_t s, int64_t pad, bool ceil, bool include, int64_t dil) {
    Pool2dParams p;
    p.n = 2;
    p.c = 3;
    p.h = h;
    p.w = w;
    p.kernel_h = p.kernel_w = k;
    p.stride_h = p.stride_w = s;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
    p.ceil_mode = ceil;
    p.count_include_pad = include;
    p.dilation_h = p.dilation_w = dil;
    return p;
  };
  cases.push_back(mk(112, 112, 3, 2, 1, false, false, 1));  // ResNet stem
  cases.push_back(mk(7, 7, 7, 1, 0, false, false, 1));      // global-ish
  cases.push_back(mk(9, 8, 3, 2, 1, true, false, 1));       // ceil_mode
  cases.push_back(mk(9, 8, 3, 2, 1, true, true, 1));        // count_include_pad + ceil
  cases.push_back(mk(10, 11, 2, 3, 0, false, false, 2));    // dilation
  Pool2dParams asym = mk(6, 7, 3, 1, 0, false, true, 1);
  asym.pad_top = 2;
  asym.pad_right = 1;
  cases.push_back(asym);
  for (const Pool2dParams& p : cases) {
    for (bool is_max : {true, false}) {
      for (DType t : kFloatTypes) {
        SCOPED_TRACE(std::string(is_max ? "max" : "avg") + " " + std::string(dtype_name(t)) + " " +
                     std::to_string(p.h) + "x" + std::to_string(p.w) + " k" + std::to_string(p.kernel_h));
        const Shape xs = {p.n, p.c, p.h, p.w};
        const auto x = round_all(t, random_floats(static_cast<size_t>(count(xs)), 12));
        int64_t oh = 0, ow = 0;
        pool2d_output_size(p, &oh, &ow);
        onyx::test::SingleOp op{.op_type = is_max ? "MaxPool" : "AveragePool",
                                .opset = 19,
                                .inputs = {Tensor::from_vector<float>(xs, x)},
                                .attributes = {onyx::test::attr_ints("kernel_shape", {p.kernel_h, p.kernel_w}),
                                               onyx::test::attr_ints("strides", {p.stride_h, p.stride_w}),
                                               onyx::test::attr_ints("pads", {p.pad_top, p.pad_left, p.pad_bottom,
                                                                              p.pad_right}),
                                               onyx::test::attr_ints("dilations", {p.dilation_h, p.dilation_w}),
                                               onyx::test::attr_int("ceil_mode", p.ceil_mode ? 1 : 0)}};
        if (!is_max) op.attributes.push_back(onyx::test::attr_int("count_include_pad", p.count_include_pad ? 1 : 0));
        const Tensor ref = op.run()[0];
        ASSERT_EQ(ref.dims(), (Shape{p.n, p.c, oh, ow}));
        std::vector<float> want = onyx::test::values<float>(ref);
        want = round_all(t, want);
        DeviceBuffer dx = upload_floats(t, x), dy(static_cast<size_t>(p.n * p.c * oh * ow) * dtype_size(t));
        if (is_max) {
          max_pool2d(t, dx.data(), p, dy.data(), stream());
        } else {
          avg_pool2d(t, dx.data(), p, dy.data(), stream());
        }
        const auto got = download_floats(t, dy, want.size(), stream());
        ASSERT_TRUE(all_close(got, want, t == DType::kFloat32 ? Tol{1e-6, 1e-6} : tol_for(t)));
      }
    }
  }
  Pool2dParams bad;
  bad.h = bad.w = 2;
  bad.kernel_h = bad.kernel_w = 3;
  int64_t oh, ow;
  expect_error(ErrorCode::kBadInput, [&] { pool2d_output_size(bad, &oh, &ow); });
  bad.kernel_h = 0;
  expect_error(ErrorCode::kBadInput, [&] { max_pool2d(DType::kFloat32, nullptr, bad, nullptr, stream()); });
}

// ---- cast ------------------------------------------------------------------------------------------------------
using CudaCast = CudaTest;

TEST_F(CudaCast, FloatsIntsAndBool) {
  const std::vector<float> f = {0.f, -0.f, 1.5f, -2.75f, 3.99f, -1e3f, 65504.f, 0.1f};
  const size_t n = f.size();
  DeviceBuffer df = upload_floats(DType::kFloat32, f);
  DeviceBuffer dy(n * 8), dz(n * 8);
  // float32 -> float16 / bfloat16 round to nearest even, and back.
  for (DType t : {DType::kFloat16, DType::kBFloat16}) {
    cast(DType::kFloat32, t, df.data(), dy.data(), static_cast<int64_t>(n), stream());
    EXPECT_EQ(download_floats(t, dy, n, stream()), round_all(t, f));
    cast(t, DType::kFloat32, dy.data(), dz.data(), static_cast<int64_t>(n), stream());
    EXPECT_EQ(download_floats(DType::kFloat32, dz, n, stream()), round_all(t, f));
  }
  // float -> int64 / int32 truncates toward zero.
  cast(DType::kFloat32, DType::kInt64, df.data(), dy.data(), static_cast<int64_t>(n), stream());
  EXPECT_EQ(download<int64_t>(dy, n, stream()), (std::vector<int64_t>{0, 0, 1, -2, 3, -1000, 65504, 0}));
  cast(DType::kFloat32, DType::kInt32, df.data(), dy.data(), static_cast<int64_t>(n), stream());
  EXPECT_EQ(download<int32_t>(dy, n, stream()), (std::vector<int32_t>{0, 0, 1, -2, 3, -1000, 65504, 0}));
  // float -> bool is x != 0; bool -> float is 0/1.
  cast(DType::kFloat32, DType::kBool, df.data(), dy.data(), static_cast<int64_t>(n), stream());
  EXPECT_EQ(download<uint8_t>(dy, n, stream()), (std::vector<uint8_t>{0, 0, 1, 1, 1, 1, 1, 1}));
  cast(DType::kBool, DType::kFloat16, dy.data(), dz.data(), static_cast<int64_t>(n), stream());
  EXPECT_EQ(download_floats(DType::kFloat16, dz, n, stream()), (std::vector<float>{0, 0, 1, 1, 1, 1, 1, 1}));
  // int64 -> int32 wraps like numpy's astype; int64 -> float32.
  const std::vector<int64_t> big = {1, -1, (int64_t{1} << 32) + 5, 1 << 24};
  DeviceBuffer db = upload(big);
  cast(DType::kInt64, DType::kInt32, db.data(), dy.data(), 4, stream());
  EXPECT_EQ(download<int32_t>(dy, 4, stream()), (std::vector<int32_t>{1, -1, 5, 1 << 24}));
  cast(DType::kInt64, DType::kFloat32, db.data(), dy.data(), 4, stream());
  EXPECT_EQ(download_floats(DType::kFloat32, dy, 4, stream()),
            (std::vector<float>{1.f, -1.f, 4294967301.f, 16777216.f}));
  cast(DType::kInt64, DType::kBool, db.data(), dy.data(), 4, stream());
  EXPECT_EQ(download<uint8_t>(dy, 4, stream()), (std::vector<uint8_t>{1, 1, 1, 1}));
  // Large random float16 round trip through float32 is exact.
  const auto r = round_all(DType::kFloat16, random_floats(10007, 13, -100.f, 100.f));
  DeviceBuffer dr = upload_floats(DType::kFloat16, r), d32(r.size() * 4), d16(r.size() * 2);
  cast(DType::kFloat16, DType::kFloat32, dr.data(), d32.data(), static_cast<int64_t>(r.size()), stream());
  cast(DType::kFloat32, DType::kFloat16, d32.data(), d16.data(), static_cast<int64_t>(r.size()), stream());
  EXPECT_EQ(download_floats(DType::kFloat16, d16, r.size(), stream()), r);
  expect_error(ErrorCode::kUnsupported, [&] { cast(DType::kFloat64, DType::kFloat32, df.data(), dy.data(), 1, stream()); });
  expect_error(ErrorCode::kUnsupported, [&] { cast(DType::kFloat32, DType::kUInt8, df.data(), dy.data(), 1, stream()); });
}

}  // namespace
}  // namespace onyx::cuda::test
