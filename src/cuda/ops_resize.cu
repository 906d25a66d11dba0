// Resize of ops_kernels.h: N-D nearest / linear / cubic with every ONNX coordinate transformation mode. Each output
// element computes up to 4 taps per dim (weights and clamped input indices) and sums the product over dims, skipping
// zero weights, so unresized dims cost one tap.
#include <cmath>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

struct ResizeGeom {
  int rank = 0;
  int64_t in[kMaxRank] = {};
  int64_t out[kMaxRank] = {};
  int64_t stride[kMaxRank] = {};
  double scale[kMaxRank] = {};
  double roi_start[kMaxRank] = {};
  double roi_end[kMaxRank] = {};
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  float a = -0.75f;
  bool exclude_outside = false;
  float extrapolation = 0.f;
  bool float_math = false;
};

// Input coordinate of output coordinate xo along one dim (ONNX coordinate_transformation_mode), in F arithmetic.
// lr: the real-valued resized length in * scale.
template <typename F>
__device__ __forceinline__ double in_coord_f(const ResizeGeom& g, int d, int64_t xo) {
  const F s = static_cast<F>(g.scale[d]);
  const F li = static_cast<F>(g.in[d]);
  const F lo = static_cast<F>(g.out[d]);
  const F lr = s * li;
  const F x = static_cast<F>(xo);
  const F half = F(0.5), one = F(1);
  switch (g.coord) {
    case ResizeCoord::kHalfPixel: return (x + half) / s - half;
    case ResizeCoord::kPytorchHalfPixel: return lr > one ? (x + half) / s - half : F(0);
    case ResizeCoord::kAlignCorners: return lr != one ? x * (li - one) / (lr - one) : F(0);
    case ResizeCoord::kAsymmetric: return x / s;
    case ResizeCoord::kTfHalfPixelForNN: return (x + half) / s;
    case ResizeCoord::kTfCropAndResize: {
      const F st = static_cast<F>(g.roi_start[d]), en = static_cast<F>(g.roi_end[d]);
      return lr != one ? st * (li - one) + x * (en - st) * (li - one) / (lr - one) : half * (st + en) * (li - one);
    }
    case ResizeCoord::kHalfPixelSymmetric: {
      const F adj = lo / lr;
      const F center = li / 2;
      return center * (one - adj) + (x + half) / s - half;
    }
  }
  return static_cast<double>(x);
}
__device__ __forceinline__ double in_coord(const ResizeGeom& g, int d, int64_t xo) {
  return g.float_math ? in_coord_f<float>(g, d, xo) : in_coord_f<double>(g, d, xo);
}

__device__ __forceinline__ double cubic_w(double d, double a) {
  d = fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

__device__ __forceinline__ int64_t clamp_i(int64_t v, int64_t hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

template <typename T, typename V>
__global__ void resize_kernel(const T* x, T* y, int64_t n, ResizeGeom g) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    int64_t idx[kMaxRank][4];
    V w[kMaxRank][4];
    int cnt[kMaxRank];
    bool extrapolate = false;
    int64_t rem = e;
    for (int d = g.rank - 1; d >= 0; --d) {
      const int64_t xo = rem % g.out[d];
      rem /= g.out[d];
      const int64_t li = g.in[d];
      const double xi = in_coord(g, d, xo);
      if (g.coord == ResizeCoord::kTfCropAndResize && (xi < 0 || xi > static_cast<double>(li - 1))) {
        extrapolate = true;
        break;
      }
      if (g.mode == ResizeMode::kNearest) {
        double r;
        const double fl = floor(xi);
        switch (g.nearest) {
          case ResizeNearest::kRoundPreferFloor: r = (xi - fl == 0.5) ? fl : round(xi); break;
          case ResizeNearest::kRoundPreferCeil: r = (xi - fl == 0.5) ? fl + 1 : round(xi); break;
          case ResizeNearest::kFloor: r = fl; break;
          default: r = ceil(xi); break;
        }
        idx[d][0] = clamp_i(static_cast<int64_t>(r), li - 1);
        w[d][0] = V(1);
        cnt[d] = 1;
      } else if (g.mode == ResizeMode::kLinear) {
        const double fl = floor(xi);
        const double t = xi - fl;
        const int64_t x0 = static_cast<int64_t>(fl);
        idx[d][0] = clamp_i(x0, li - 1);
        w[d][0] = static_cast<V>(1 - t);
        idx[d][1] = clamp_i(x0 + 1, li - 1);
        w[d][1] = static_cast<V>(t);
        cnt[d] = t == 0 ? 1 : 2;
      } else {
        const double fl = floor(xi);
        const double t = xi - fl;
        const int64_t x0 = static_cast<int64_t>(fl);
        double ws[4];
        double sum = 0;
        for (int k = 0; k < 4; ++k) {
          const int64_t xi_k = x0 - 1 + k;
          ws[k] = cubic_w(t - (k - 1), g.a);
          if (g.exclude_outside && (xi_k < 0 || xi_k >= li)) ws[k] = 0;
          sum += ws[k];
        }
        int c = 0;
        for (int k = 0; k < 4; ++k) {
          if (g.exclude_outside) ws[k] = sum != 0 ? ws[k] / sum : 0;
          if (ws[k] == 0) continue;
          idx[d][c] = clamp_i(x0 - 1 + k, li - 1);
          w[d][c] = static_cast<V>(ws[k]);
          ++c;
        }
        if (c == 0) {
          idx[d][0] = clamp_i(x0, li - 1);
          w[d][0] = V(0);
          c = 1;
        }
        cnt[d] = c;
      }
    }
    if (extrapolate) {
      y[e] = st<T>(g.extrapolation);
      continue;
    }
    if (g.mode == ResizeMode::kNearest) {
      int64_t off = 0;
      for (int d = 0; d < g.rank; ++d) off += idx[d][0] * g.stride[d];
      y[e] = x[off];
      continue;
    }
    int64_t total = 1;
    for (int d = 0; d < g.rank; ++d) total *= cnt[d];
    V acc = V(0);
    for (int64_t t = 0; t < total; ++t) {
      int64_t r = t, off = 0;
      V wt = V(1);
      for (int d = g.rank - 1; d >= 0; --d) {
        const int k = static_cast<int>(r % cnt[d]);
        r /= cnt[d];
        off += idx[d][k] * g.stride[d];
        wt *= w[d][k];
      }
      acc += wt * static_cast<V>(ld(x[off]));
    }
    y[e] = st<T>(acc);
  }
}

}  // namespace

void resize(DType dtype, const void* x, const Dims& shape, const Dims& out, const ResizeParams& p, void* y,
            cudaStream_t stream) {
  check_shape(shape, "resize");
  check_shape(out, "resize");
  const size_t r = shape.size();
  ONYX_CHECK(out.size() == r, "resize: output rank ", out.size(), " differs from input rank ", r);
  ONYX_CHECK(p.scales.size() == r, "resize: ", p.scales.size(), " scales for rank ", r);
  ONYX_CHECK(p.roi.empty() || p.roi.size() == 2 * r, "resize: roi needs ", 2 * r, " values, got ", p.roi.size());
  ONYX_CHECK(p.coord != ResizeCoord::kTfCropAndResize || !p.roi.empty(), "resize: tf_crop_and_resize needs a roi");
  const int64_t n = count(out);
  if (n == 0) return;
  ONYX_CHECK(count(shape) > 0, "resize: cannot resize an empty input to a non-empty output");
  ResizeGeom g;
  g.rank = static_cast<int>(r);
  const Dims st = strides_of(shape);
  for (size_t d = 0; d < r; ++d) {
    ONYX_CHECK(p.scales[d] > 0 && std::isfinite(p.scales[d]), "resize: scale ", p.scales[d], " of dim ", d,
               " must be positive");
    g.in[d] = shape[d];
    g.out[d] = out[d];
    g.stride[d] = st[d];
    g.scale[d] = p.scales[d];
    g.roi_start[d] = p.roi.empty() ? 0.0 : p.roi[d];
    g.roi_end[d] = p.roi.empty() ? 1.0 : p.roi[d + r];
  }
  g.mode = p.mode;
  g.coord = p.coord;
  g.nearest = p.nearest;
  g.a = p.cubic_coeff_a;
  g.exclude_outside = p.exclude_outside;
  g.extrapolation = p.extrapolation_value;
  g.float_math = p.float_math;
  const bool is_float = dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16 ||
                        dtype == DType::kFloat64;
  if (is_float) {
    dispatch_float(dtype, "resize", [&](auto t) {
      using T = decltype(t);
      using V = std::conditional_t<std::is_same<T, double>::value, double, float>;
      resize_kernel<T, V><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, g);
    });
  } else {
    if (p.mode != ResizeMode::kNearest || p.coord == ResizeCoord::kTfCropAndResize)
      unsupported("resize (linear/cubic/crop of a non-float type)", dtype);
    dispatch_int(dtype, "resize", [&](auto t) {
      using T = decltype(t);
      resize_kernel<T, double><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n,
                                                                     g);
    });
  }
  check_launch("resize");
}

}  // namespace onyx::cuda
