// Quantization (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear), GridSample and the training optimizers
// (Adagrad, Momentum, Adam) of ops_kernels.h.
#include <cmath>
#include <limits>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

template <typename T>
using Acc = std::conditional_t<std::is_same<T, double>::value, double, float>;


template <typename X, typename S, typename Y>
__global__ void quantize_kernel(const X* x, const S* scale, const Y* zp, Y* y, int64_t n, int64_t dim,
                                int64_t inner, double lo, double hi) {
  using V = Acc<X>;
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t k = (e / inner) % dim;
    const V q = rint(static_cast<V>(ld(x[e])) / static_cast<V>(ld(scale[k])));
    const double z = zp ? static_cast<double>(zp[k]) : 0.0;
    const double v = static_cast<double>(q) + z;
    y[e] = static_cast<Y>(v < lo ? lo : (v > hi ? hi : v));
  }
}

template <typename X, typename S>
__global__ void dequantize_kernel(const X* x, const S* scale, const X* zp, S* y, int64_t n, int64_t dim,
                                  int64_t inner) {
  using V = Acc<S>;
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t k = (e / inner) % dim;
    const int64_t z = zp ? static_cast<int64_t>(zp[k]) : 0;
    y[e] = st<S>(static_cast<V>(static_cast<int64_t>(x[e]) - z) * static_cast<V>(ld(scale[k])));
  }
}

// One block: the range of x (with 0), then scale and zero point.
__global__ void dyn_range_kernel(const float* x, int64_t n, float* scale, uint8_t* zp) {
  __shared__ float mins[32], maxs[32];
  float lo = 0.f, hi = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    lo = fminf(lo, x[i]);
    hi = fmaxf(hi, x[i]);
  }
  for (int d = 16; d > 0; d >>= 1) {
    lo = fminf(lo, __shfl_down_sync(0xffffffffu, lo, d));
    hi = fmaxf(hi, __shfl_down_sync(0xffffffffu, hi, d));
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) {
    mins[warp] = lo;
    maxs[warp] = hi;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int w = 1; w < static_cast<int>(blockDim.x >> 5); ++w) {
      lo = fminf(lo, mins[w]);
      hi = fmaxf(hi, maxs[w]);
    }
    const float s = (hi - lo) / 255.f;
    scale[0] = s;
    const float z = rintf(-lo / s);
    zp[0] = static_cast<uint8_t>(z < 0.f ? 0.f : (z > 255.f ? 255.f : z));
  }
}

__global__ void dyn_quant_kernel(const float* x, int64_t n, const float* scale, const uint8_t* zp, uint8_t* y) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const float q = rintf(x[e] / scale[0]) + static_cast<float>(zp[0]);
    y[e] = static_cast<uint8_t>(q < 0.f ? 0.f : (q > 255.f ? 255.f : q));
  }
}

// ---- GridSample ------------------------------------------------------------------------------------------------
struct GridGeom {
  int r = 2;  // spatial rank
  int64_t n = 0, c = 0;
  int64_t in[3] = {1, 1, 1};
  int64_t out[3] = {1, 1, 1};
  GridMode mode = GridMode::kLinear;
  GridPadding padding = GridPadding::kZeros;
  bool align = false;
};

__device__ __forceinline__ double reflect_d(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const double k = floor(dx / range);
    const double rem = dx - k * range;
    return fmod(k, 2.0) == 0 ? lo + rem : hi - rem;
  }
  if (x > hi) {
    const double dx = x - hi;
    const double k = floor(dx / range);
    const double rem = dx - k * range;
    return fmod(k, 2.0) == 0 ? hi - rem : lo + rem;
  }
  return x;
}

__device__ __forceinline__ double cubic_a75(double d) {
  const double a = -0.75;
  d = fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

template <typename T>
__global__ void grid_sample_kernel(const T* x, const T* grid, T* y, int64_t total, GridGeom g) {
  const int64_t out_plane = g.out[0] * g.out[1] * g.out[2];
  const int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
  for (int64_t e = gtid(); e < total; e += gstride()) {
    const int64_t p = e % out_plane, ch = (e / out_plane) % g.c, b = e / (out_plane * g.c);
    const T* gp = grid + (b * out_plane + p) * g.r;
    const int taps = g.mode == GridMode::kNearest ? 1 : (g.mode == GridMode::kLinear ? 2 : 4);
    int64_t idx[3][4];
    double w[3][4];
    for (int i = 0; i < g.r; ++i) {
      const double len = static_cast<double>(g.in[i]);
      const double gn = static_cast<double>(ld(gp[g.r - 1 - i]));
      double v = g.align ? (gn + 1) / 2 * (len - 1) : ((gn + 1) * len - 1) / 2;
      if (g.mode == GridMode::kNearest) v = g.r == 3 ? round(v) : rint(v);
      const double lo = g.align ? 0.0 : -0.5;
      const double hi = g.align ? len - 1 : len - 0.5;
      if ((v < lo || v > hi) && g.mode != GridMode::kCubic) {
        if (g.padding == GridPadding::kBorder) v = v < 0 ? 0 : (v > len - 1 ? len - 1 : v);
        else if (g.padding == GridPadding::kReflection) v = reflect_d(v, lo, hi);
      }
      auto pad_index = [&](int64_t k) -> int64_t {
        if (k >= 0 && k < g.in[i]) return k;
        if (g.padding == GridPadding::kZeros) return -1;
        if (g.padding == GridPadding::kBorder) return k < 0 ? 0 : g.in[i] - 1;
        int64_t q = static_cast<int64_t>(reflect_d(static_cast<double>(k), lo, hi));
        return q < 0 ? 0 : (q > g.in[i] - 1 ? g.in[i] - 1 : q);
      };
      if (!isfinite(v)) {
        for (int k = 0; k < taps; ++k) idx[i][k] = -1;
        continue;
      }
      if (g.mode == GridMode::kNearest) {
        idx[i][0] = pad_index(static_cast<int64_t>(v));
        w[i][0] = 1;
        continue;
      }
      const double f = floor(v);
      const double t = v - f;
      const int64_t first = static_cast<int64_t>(f) - (g.mode == GridMode::kCubic ? 1 : 0);
      for (int k = 0; k < taps; ++k) {
        idx[i][k] = pad_index(first + k);
        w[i][k] = g.mode == GridMode::kLinear ? (k == 0 ? 1 - t : t) : cubic_a75(static_cast<double>(first + k) - v);
      }
    }
    const T* plane = x + (b * g.c + ch) * in_plane;
    double acc = 0;
    int64_t combos = 1;
    for (int i = 0; i < g.r; ++i) combos *= taps;
    for (int64_t q = 0; q < combos; ++q) {
      int64_t rem = q, off = 0;
      double wt = 1;
      bool skip = false;
      for (int i = g.r - 1; i >= 0; --i) {
        const int k = static_cast<int>(rem % taps);
        rem /= taps;
        if (idx[i][k] < 0) {
          skip = true;
          break;
        }
        int64_t stride = 1;
        for (int j = i + 1; j < g.r; ++j) stride *= g.in[j];
        off += idx[i][k] * stride;
        wt *= w[i][k];
      }
      if (skip || wt == 0) continue;
      acc += wt * static_cast<double>(ld(plane[off]));
    }
    y[e] = st<T>(acc);
  }
}

// ---- optimizers --------------------------------------------------------------------------------------------------
template <typename T, typename R>
__global__ void optimizer_kernel(OptimizerKind kind, const R* rp, const int64_t* tp, int64_t n, const T* x,
                                 const T* g, const T* s1, const T* s2, T* x_new, T* s1_new, T* s2_new,
                                 OptimizerParams p) {
  const double r = static_cast<double>(rp[0]);
  const double t = static_cast<double>(tp[0]);
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const double xv = static_cast<double>(x[e]);
    const double gv = p.norm_coefficient * xv + static_cast<double>(g[e]);
    switch (kind) {
      case OptimizerKind::kAdagrad: {
        const double rate = r / (1 + t * p.decay_factor);
        const double h = static_cast<double>(s1[e]) + gv * gv;
        x_new[e] = static_cast<T>(xv - rate * gv / (sqrt(h) + p.epsilon));
        s1_new[e] = static_cast<T>(h);
        break;
      }
      case OptimizerKind::kMomentum:
      case OptimizerKind::kNesterov: {
        const double beta_adj = t > 0 ? p.beta : 1.0;
        const double v = p.alpha * static_cast<double>(s1[e]) + beta_adj * gv;
        x_new[e] = static_cast<T>(kind == OptimizerKind::kNesterov ? xv - r * (gv + p.alpha * v) : xv - r * v);
        s1_new[e] = static_cast<T>(v);
        break;
      }
      case OptimizerKind::kAdam: {
        const double rate = t > 0 ? r * sqrt(1 - pow(p.beta, t)) / (1 - pow(p.alpha, t)) : r;
        const double v = p.alpha * static_cast<double>(s1[e]) + (1 - p.alpha) * gv;
        const double h = p.beta * static_cast<double>(s2[e]) + (1 - p.beta) * gv * gv;
        const double xn = xv - rate * v / (sqrt(h) + p.epsilon);
        x_new[e] = static_cast<T>((1 - p.norm_coefficient_post) * xn);
        s1_new[e] = static_cast<T>(v);
        s2_new[e] = static_cast<T>(h);
        break;
      }
    }
  }
}

struct IntMm {
  int64_t m = 0, k = 0, n = 0;
  int64_t a_zp_count = 1, b_zp_count = 1, as_count = 1, bs_count = 1;
  Geom ab;  // output batch dims with a's batch strides (in matrices)
  Geom bb;  // same dims with b's batch strides
  int64_t batches = 1;
  double lo = 0, hi = 0;
};

template <typename A, typename B, typename Y>
__global__ void int_matmul_kernel(const A* a, const A* azp, const B* b, const B* bzp, const float* as, const float* bs,
                                  const float* ys, const Y* yzp, Y* y, IntMm p) {
  const int64_t total = p.batches * p.m * p.n;
  for (int64_t e = gtid(); e < total; e += gstride()) {
    const int64_t col = e % p.n, row = (e / p.n) % p.m, bt = e / (p.m * p.n);
    const A* ap = a + offset_of(p.ab, bt) * p.m * p.k + row * p.k;
    const B* bp = b + offset_of(p.bb, bt) * p.k * p.n + col;
    const int32_t za = azp ? static_cast<int32_t>(azp[p.a_zp_count == 1 ? 0 : row]) : 0;
    const int32_t zb = bzp ? static_cast<int32_t>(bzp[p.b_zp_count == 1 ? 0 : col]) : 0;
    int32_t acc = 0;
    for (int64_t i = 0; i < p.k; ++i)
      acc += (static_cast<int32_t>(ap[i]) - za) * (static_cast<int32_t>(bp[i * p.n]) - zb);
    if constexpr (std::is_same<Y, int32_t>::value) {
      y[e] = acc;
    } else {
      const double mult = static_cast<double>(as[p.as_count == 1 ? 0 : row]) *
                          static_cast<double>(bs[p.bs_count == 1 ? 0 : col]) / static_cast<double>(ys[0]);
      const double v = rint(static_cast<double>(acc) * mult) + (yzp ? static_cast<double>(yzp[0]) : 0.0);
      y[e] = static_cast<Y>(v < p.lo ? p.lo : (v > p.hi ? p.hi : v));
    }
  }
}

template <typename T>
__global__ void gemm_kernel(const T* a, bool ta, const T* b, bool tb, const T* c, Geom cg, T* y, int64_t m, int64_t n,
                            int64_t k, float alpha, float beta) {
  using V = Acc<T>;
  for (int64_t e = gtid(); e < m * n; e += gstride()) {
    const int64_t i = e / n, j = e % n;
    V acc = V(0);
    for (int64_t q = 0; q < k; ++q) {
      const V av = static_cast<V>(ld(a[ta ? q * m + i : i * k + q]));
      const V bv = static_cast<V>(ld(b[tb ? j * k + q : q * n + j]));
      acc += av * bv;
    }
    V r = static_cast<V>(alpha) * acc;
    if (c) r += static_cast<V>(beta) * static_cast<V>(ld(c[offset_of(cg, e)]));
    y[e] = st<T>(r);
  }
}

template <typename T>
__global__ void det_kernel(const T* x, T* y, int64_t batch, int64_t n, double* ws) {
  for (int64_t bt = gtid(); bt < batch; bt += gstride()) {
    double* a = ws + bt * n * n;
    for (int64_t i = 0; i < n * n; ++i) a[i] = static_cast<double>(ld(x[bt * n * n + i]));
    double det = 1;
    for (int64_t col = 0; col < n; ++col) {
      int64_t piv = col;
      for (int64_t r = col + 1; r < n; ++r)
        if (fabs(a[r * n + col]) > fabs(a[piv * n + col])) piv = r;
      if (a[piv * n + col] == 0) {
        det = 0;
        break;
      }
      if (piv != col) {
        for (int64_t q = 0; q < n; ++q) {
          const double t = a[col * n + q];
          a[col * n + q] = a[piv * n + q];
          a[piv * n + q] = t;
        }
        det = -det;
      }
      const double d = a[col * n + col];
      det *= d;
      for (int64_t r = col + 1; r < n; ++r) {
        const double f = a[r * n + col] / d;
        for (int64_t q = col; q < n; ++q) a[r * n + q] -= f * a[col * n + q];
      }
    }
    y[bt] = st<T>(det);
  }
}

int64_t axis_dim_inner(const Dims& shape, int64_t axis, int64_t scale_count, const char* what, int64_t* inner) {
  *inner = 1;
  if (scale_count == 1) return 1;
  ONYX_CHECK(!shape.empty(), what, ": a per-axis scale needs rank >= 1");
  axis = norm_axis(axis, shape.size(), what);
  ONYX_CHECK(scale_count == shape[axis], what, ": scale has ", scale_count, " values for axis ", axis, " of size ",
             shape[axis]);
  for (size_t d = axis + 1; d < shape.size(); ++d) *inner *= shape[d];
  return shape[axis];
}

template <typename F>
void dispatch_qtype(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kUInt8: f(uint8_t{}); return;
    case DType::kInt8: f(int8_t{}); return;
    case DType::kUInt16: f(uint16_t{}); return;
    case DType::kInt16: f(int16_t{}); return;
    case DType::kInt32: f(int32_t{}); return;
    default: unsupported(what, t);
  }
}

}  // namespace

void quantize_linear(DType x_dtype, const void* x, const Dims& shape, int64_t axis, DType scale_dtype,
                     const void* scale, int64_t scale_count, const void* zero_point, DType y_dtype, void* y,
                     cudaStream_t stream) {
  check_shape(shape, "quantize_linear");
  ONYX_CHECK(y_dtype != DType::kInt32, "quantize_linear: int32 output is not a QuantizeLinear type");
  int64_t inner = 1;
  const int64_t dim = axis_dim_inner(shape, axis, scale_count, "quantize_linear", &inner);
  const int64_t n = count(shape);
  if (n == 0) return;
  dispatch_float(x_dtype, "quantize_linear", [&](auto tx) {
    using X = decltype(tx);
    dispatch_float(scale_dtype, "quantize_linear", [&](auto ts) {
      using S = decltype(ts);
      dispatch_qtype(y_dtype, "quantize_linear", [&](auto ty) {
        using Y = decltype(ty);
        quantize_kernel<X, S, Y><<<grid_for(n), kThreads, 0, stream>>>(
            static_cast<const X*>(x), static_cast<const S*>(scale), static_cast<const Y*>(zero_point),
            static_cast<Y*>(y), n, dim, inner, static_cast<double>(std::numeric_limits<Y>::lowest()),
            static_cast<double>(std::numeric_limits<Y>::max()));
      });
    });
  });
  check_launch("quantize_linear");
}

void dequantize_linear(DType x_dtype, const void* x, const Dims& shape, int64_t axis, DType scale_dtype,
                       const void* scale, int64_t scale_count, const void* zero_point, void* y, cudaStream_t stream) {
  check_shape(shape, "dequantize_linear");
  int64_t inner = 1;
  const int64_t dim = axis_dim_inner(shape, axis, scale_count, "dequantize_linear", &inner);
  const int64_t n = count(shape);
  if (n == 0) return;
  dispatch_qtype(x_dtype, "dequantize_linear", [&](auto tx) {
    using X = decltype(tx);
    dispatch_float(scale_dtype, "dequantize_linear", [&](auto ts) {
      using S = decltype(ts);
      dequantize_kernel<X, S><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const X*>(x),
                                                                     static_cast<const S*>(scale),
                                                                     static_cast<const X*>(zero_point),
                                                                     static_cast<S*>(y), n, dim, inner);
    });
  });
  check_launch("dequantize_linear");
}

void dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* y_scale, uint8_t* y_zero_point,
                             cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "dynamic_quantize_linear: negative element count");
  dyn_range_kernel<<<1, 1024, 0, stream>>>(x, n, y_scale, y_zero_point);
  check_launch("dynamic_quantize_linear (range)");
  if (n == 0) return;
  dyn_quant_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n, y_scale, y_zero_point, y);
  check_launch("dynamic_quantize_linear");
}

void matmul_integer(DType a_dtype, const void* a, const Dims& a_shape, const void* a_zero_point, int64_t a_zp_count,
                    DType b_dtype, const void* b, const Dims& b_shape, const void* b_zero_point, int64_t b_zp_count,
                    const IntMatmulQuant* quant, DType y_dtype, void* y, cudaStream_t stream) {
  check_shape(a_shape, "matmul_integer");
  check_shape(b_shape, "matmul_integer");
  ONYX_CHECK(a_shape.size() >= 2 && b_shape.size() >= 2, "matmul_integer: operands need rank >= 2");
  IntMm p;
  p.m = a_shape[a_shape.size() - 2];
  p.k = a_shape.back();
  p.n = b_shape.back();
  ONYX_CHECK(b_shape[b_shape.size() - 2] == p.k, "matmul_integer: inner dims differ: ", shape_str(a_shape), " x ",
             shape_str(b_shape));
  ONYX_CHECK(a_zp_count == 1 || a_zp_count == p.m, "matmul_integer: a zero point needs 1 or ", p.m, " values");
  ONYX_CHECK(b_zp_count == 1 || b_zp_count == p.n, "matmul_integer: b zero point needs 1 or ", p.n, " values");
  p.a_zp_count = a_zp_count;
  p.b_zp_count = b_zp_count;
  const Dims ab(a_shape.begin(), a_shape.end() - 2), bb(b_shape.begin(), b_shape.end() - 2);
  const Dims batch = broadcast_shapes(ab, bb);
  p.ab = geom_of(batch, bcast_strides(ab, batch.size()));
  p.bb = geom_of(batch, bcast_strides(bb, batch.size()));
  p.batches = count(batch);
  if (quant) {
    ONYX_CHECK(quant->a_scale && quant->b_scale && quant->y_scale, "matmul_integer: requantization needs scales");
    ONYX_CHECK(quant->a_scale_count == 1 || quant->a_scale_count == p.m, "matmul_integer: a scale needs 1 or ", p.m,
               " values");
    ONYX_CHECK(quant->b_scale_count == 1 || quant->b_scale_count == p.n, "matmul_integer: b scale needs 1 or ", p.n,
               " values");
    p.as_count = quant->a_scale_count;
    p.bs_count = quant->b_scale_count;
  } else {
    ONYX_CHECK(y_dtype == DType::kInt32, "matmul_integer: without requantization the output is int32");
  }
  const int64_t total = p.batches * p.m * p.n;
  if (total == 0) return;
  auto int8s = [&](DType t, const char* what, auto&& f) {
    if (t == DType::kUInt8) f(uint8_t{});
    else if (t == DType::kInt8) f(int8_t{});
    else unsupported(what, t);
  };
  int8s(a_dtype, "matmul_integer (a)", [&](auto ta) {
    using A = decltype(ta);
    int8s(b_dtype, "matmul_integer (b)", [&](auto tb) {
      using B = decltype(tb);
      auto launch = [&](auto ty) {
        using Y = decltype(ty);
        if constexpr (!std::is_same<Y, int32_t>::value) {
          p.lo = static_cast<double>(std::numeric_limits<Y>::lowest());
          p.hi = static_cast<double>(std::numeric_limits<Y>::max());
        }
        int_matmul_kernel<A, B, Y><<<grid_for(total), kThreads, 0, stream>>>(
            static_cast<const A*>(a), static_cast<const A*>(a_zero_point), static_cast<const B*>(b),
            static_cast<const B*>(b_zero_point), quant ? quant->a_scale : nullptr, quant ? quant->b_scale : nullptr,
            quant ? quant->y_scale : nullptr, quant ? static_cast<const Y*>(quant->y_zero_point) : nullptr,
            static_cast<Y*>(y), p);
      };
      if (!quant) launch(int32_t{});
      else int8s(y_dtype, "matmul_integer (y)", launch);
    });
  });
  check_launch("matmul_integer");
}

void gemm_direct(DType dtype, const void* a, bool trans_a, const void* b, bool trans_b, const void* c,
                 const Dims& c_shape, int64_t m, int64_t n, int64_t k, float alpha, float beta, void* y,
                 cudaStream_t stream) {
  ONYX_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative dims");
  Geom cg;
  if (c) {
    check_shape(c_shape, "gemm");
    ONYX_CHECK(c_shape.size() <= 2 && broadcast_shapes(c_shape, {m, n}) == Dims({m, n}), "gemm: C ",
               shape_str(c_shape), " does not broadcast to [", m, ",", n, "]");
    cg = geom_of({m, n}, bcast_strides(c_shape, 2));
  }
  if (m * n == 0) return;
  dispatch_float(dtype, "gemm", [&](auto t) {
    using T = decltype(t);
    gemm_kernel<T><<<grid_for(m * n), kThreads, 0, stream>>>(static_cast<const T*>(a), trans_a,
                                                              static_cast<const T*>(b), trans_b,
                                                              static_cast<const T*>(c), cg, static_cast<T*>(y), m, n,
                                                              k, alpha, beta);
  });
  check_launch("gemm");
}

void determinant(DType dtype, const void* x, int64_t batch, int64_t n, void* y, double* workspace,
                 cudaStream_t stream) {
  ONYX_CHECK(batch >= 0 && n >= 0, "determinant: negative dims");
  if (batch == 0) return;
  dispatch_float(dtype, "determinant", [&](auto t) {
    using T = decltype(t);
    det_kernel<T><<<grid_for(batch, 64), 64, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), batch, n,
                                                          workspace);
  });
  check_launch("determinant");
}

void grid_sample(DType dtype, const void* x, const Dims& x_shape, const void* grid, const Dims& grid_shape,
                 GridMode mode, GridPadding padding, bool align_corners, void* y, cudaStream_t stream) {
  check_shape(x_shape, "grid_sample");
  check_shape(grid_shape, "grid_sample");
  const size_t rank = x_shape.size();
  ONYX_CHECK(rank == 4 || rank == 5, "grid_sample: input must have 2 or 3 spatial dims, got rank ", rank);
  const int r = static_cast<int>(rank) - 2;
  ONYX_CHECK(grid_shape.size() == rank && grid_shape[0] == x_shape[0] && grid_shape.back() == r,
             "grid_sample: grid ", shape_str(grid_shape), " does not match input ", shape_str(x_shape));
  GridGeom g;
  g.r = r;
  g.n = x_shape[0];
  g.c = x_shape[1];
  for (int i = 0; i < r; ++i) {
    g.in[i] = x_shape[2 + i];
    g.out[i] = grid_shape[1 + i];
  }
  g.mode = mode;
  g.padding = padding;
  g.align = align_corners;
  const int64_t total = g.n * g.c * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return;
  ONYX_CHECK(g.in[0] * g.in[1] * g.in[2] > 0, "grid_sample: cannot sample from an empty spatial input");
  dispatch_float(dtype, "grid_sample", [&](auto t) {
    using T = decltype(t);
    grid_sample_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                     static_cast<const T*>(grid), static_cast<T*>(y),
                                                                     total, g);
  });
  check_launch("grid_sample");
}

void optimizer_step(OptimizerKind kind, DType dtype, DType r_dtype, const void* r, const int64_t* t, int64_t n,
                    const void* x, const void* g, const void* s1, const void* s2, void* x_new, void* s1_new,
                    void* s2_new, const OptimizerParams& p, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "optimizer_step: negative element count");
  ONYX_CHECK(kind != OptimizerKind::kAdam || (s2 && s2_new), "optimizer_step: Adam needs the H state");
  if (n == 0) return;
  auto launch = [&](auto tx, auto tr) {
    using T = decltype(tx);
    using R = decltype(tr);
    optimizer_kernel<T, R><<<grid_for(n), kThreads, 0, stream>>>(
        kind, static_cast<const R*>(r), t, n, static_cast<const T*>(x), static_cast<const T*>(g),
        static_cast<const T*>(s1), static_cast<const T*>(s2), static_cast<T*>(x_new), static_cast<T*>(s1_new),
        static_cast<T*>(s2_new), p);
  };
  auto with_r = [&](auto tx) {
    if (r_dtype == DType::kFloat32) launch(tx, float{});
    else if (r_dtype == DType::kFloat64) launch(tx, double{});
    else unsupported("optimizer_step (R)", r_dtype);
  };
  if (dtype == DType::kFloat32) with_r(float{});
  else if (dtype == DType::kFloat64) with_r(double{});
  else unsupported("optimizer_step", dtype);
  check_launch("optimizer_step");
}

}  // namespace onyx::cuda
