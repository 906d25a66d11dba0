// Direct N-D (1 to 3 spatial dims) convolution, pooling and batch normalization with device parameters of
// ops_kernels.h: the fallbacks for what the cuDNN / 2-D layers do not take (3-D Conv and pooling, integer MaxPool,
// MaxPool indices, BatchNormalization whose parameters are not constants).
#include <cmath>
#include <limits>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

template <typename T>
using Acc = std::conditional_t<std::is_same<T, double>::value, double, float>;

// Output coordinate o of a flat spatial index (3 dims, unused ones of size 1).
__device__ __forceinline__ void unravel3(int64_t i, const int64_t* dims, int64_t* o) {
  o[2] = i % dims[2];
  i /= dims[2];
  o[1] = i % dims[1];
  o[0] = i / dims[1];
}

template <typename T>
__global__ void conv_kernel(const T* x, const T* w, const T* bias, T* y, int64_t total, int64_t ci, int64_t co,
                            int64_t group, WindowGeom g) {
  using V = Acc<T>;
  const int64_t ci_g = ci / group, co_g = co / group;
  const int64_t in_sp = g.in[0] * g.in[1] * g.in[2], out_sp = g.out[0] * g.out[1] * g.out[2];
  const int64_t k_sp = g.k[0] * g.k[1] * g.k[2];
  for (int64_t e = gtid(); e < total; e += gstride()) {
    int64_t o[3];
    unravel3(e % out_sp, g.out, o);
    const int64_t oc = (e / out_sp) % co, b = e / (out_sp * co);
    const int64_t grp = oc / co_g;
    V acc = bias ? static_cast<V>(ld(bias[oc])) : V(0);
    for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
      const int64_t i0 = o[0] * g.stride[0] - g.pb[0] + k0 * g.dil[0];
      if (i0 < 0 || i0 >= g.in[0]) continue;
      for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
        const int64_t i1 = o[1] * g.stride[1] - g.pb[1] + k1 * g.dil[1];
        if (i1 < 0 || i1 >= g.in[1]) continue;
        for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
          const int64_t i2 = o[2] * g.stride[2] - g.pb[2] + k2 * g.dil[2];
          if (i2 < 0 || i2 >= g.in[2]) continue;
          const int64_t in_off = (i0 * g.in[1] + i1) * g.in[2] + i2;
          const int64_t k_off = (k0 * g.k[1] + k1) * g.k[2] + k2;
          for (int64_t icl = 0; icl < ci_g; ++icl) {
            const int64_t ic = grp * ci_g + icl;
            acc += static_cast<V>(ld(x[(b * ci + ic) * in_sp + in_off])) *
                   static_cast<V>(ld(w[(oc * ci_g + icl) * k_sp + k_off]));
          }
        }
      }
    }
    y[e] = st<T>(acc);
  }
}

template <typename T>
__global__ void pool_kernel(bool max, const T* x, T* y, int64_t* indices, int64_t total, WindowGeom g,
                            bool count_include_pad, bool column_major) {
  using V = std::conditional_t<kIsFloat<T>, Acc<T>, double>;
  const int64_t in_sp = g.in[0] * g.in[1] * g.in[2], out_sp = g.out[0] * g.out[1] * g.out[2];
  for (int64_t e = gtid(); e < total; e += gstride()) {
    int64_t o[3];
    unravel3(e % out_sp, g.out, o);
    const int64_t plane = e / out_sp;
    const T* xp = x + plane * in_sp;
    V acc = V(0);
    V best = V(0);
    int64_t best_off = -1, n = 0, np = 1;
    for (int d = 0; d < 3; ++d) {
      int64_t cnt = 0;
      for (int64_t k = 0; k < g.k[d]; ++k) {
        const int64_t i = o[d] * g.stride[d] - g.pb[d] + k * g.dil[d];
        if (i >= -g.pb[d] && i < g.in[d] + g.pe[d]) ++cnt;
      }
      np *= cnt;
    }
    for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
      const int64_t i0 = o[0] * g.stride[0] - g.pb[0] + k0 * g.dil[0];
      if (i0 < 0 || i0 >= g.in[0]) continue;
      for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
        const int64_t i1 = o[1] * g.stride[1] - g.pb[1] + k1 * g.dil[1];
        if (i1 < 0 || i1 >= g.in[1]) continue;
        for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
          const int64_t i2 = o[2] * g.stride[2] - g.pb[2] + k2 * g.dil[2];
          if (i2 < 0 || i2 >= g.in[2]) continue;
          const int64_t off = (i0 * g.in[1] + i1) * g.in[2] + i2;
          const V v = static_cast<V>(ld(xp[off]));
          if (max) {
            if (best_off < 0 || v > best) {
              best = v;
              best_off = off;
            }
          } else {
            acc += v;
          }
          ++n;
        }
      }
    }
    if (max) {
      if (best_off >= 0) {
        y[e] = xp[best_off];
      } else if constexpr (kIsFloat<T>) {
        y[e] = st<T>(-INFINITY);
      } else {
        y[e] = T{};
      }
      if (indices) {
        int64_t idx = best_off;
        if (column_major && best_off >= 0) {
          int64_t c[3];
          unravel3(best_off, g.in, c);
          // spatial dims in use are the last g.nd of the 3; column-major over them
          idx = 0;
          int64_t stride = 1;
          for (int d = 3 - g.nd; d < 3; ++d) {
            idx += c[d] * stride;
            stride *= g.in[d];
          }
        }
        indices[e] = best_off < 0 ? -1 : plane * in_sp + idx;
      }
    } else {
      const int64_t div = count_include_pad ? np : n;
      y[e] = st<T>(div > 0 ? acc / static_cast<V>(div) : V(NAN));
    }
  }
}

template <typename T>
__global__ void batch_norm_kernel(const T* x, const T* scale, const T* bias, const T* mean, const T* var, T* y,
                                  int64_t total, int64_t c, int64_t spatial, float eps) {
  using V = Acc<T>;
  for (int64_t e = gtid(); e < total; e += gstride()) {
    const int64_t ch = (e / spatial) % c;
    const V inv = V(1) / sqrt(static_cast<V>(ld(var[ch])) + static_cast<V>(eps));
    y[e] = st<T>((static_cast<V>(ld(x[e])) - static_cast<V>(ld(mean[ch]))) * inv * static_cast<V>(ld(scale[ch])) +
                 static_cast<V>(ld(bias[ch])));
  }
}

template <typename X, typename W, typename Y>
__global__ void conv_int_kernel(const X* x, const X* xzp, const W* w, const W* wzp, int64_t wzp_count,
                                const int32_t* bias, const float* xs, const float* ws, int64_t ws_count,
                                const float* ys, const Y* yzp, Y* y, int64_t total, int64_t ci, int64_t co,
                                int64_t group, WindowGeom g, double lo, double hi) {
  const int64_t ci_g = ci / group, co_g = co / group;
  const int64_t in_sp = g.in[0] * g.in[1] * g.in[2], out_sp = g.out[0] * g.out[1] * g.out[2];
  const int64_t k_sp = g.k[0] * g.k[1] * g.k[2];
  for (int64_t e = gtid(); e < total; e += gstride()) {
    int64_t o[3];
    unravel3(e % out_sp, g.out, o);
    const int64_t oc = (e / out_sp) % co, b = e / (out_sp * co);
    const int64_t grp = oc / co_g;
    const int32_t zx = xzp ? static_cast<int32_t>(xzp[0]) : 0;
    const int32_t zw = wzp ? static_cast<int32_t>(wzp[wzp_count == 1 ? 0 : oc]) : 0;
    int32_t acc = bias ? bias[oc] : 0;
    for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
      const int64_t i0 = o[0] * g.stride[0] - g.pb[0] + k0 * g.dil[0];
      if (i0 < 0 || i0 >= g.in[0]) continue;
      for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
        const int64_t i1 = o[1] * g.stride[1] - g.pb[1] + k1 * g.dil[1];
        if (i1 < 0 || i1 >= g.in[1]) continue;
        for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
          const int64_t i2 = o[2] * g.stride[2] - g.pb[2] + k2 * g.dil[2];
          if (i2 < 0 || i2 >= g.in[2]) continue;
          const int64_t in_off = (i0 * g.in[1] + i1) * g.in[2] + i2;
          const int64_t k_off = (k0 * g.k[1] + k1) * g.k[2] + k2;
          for (int64_t icl = 0; icl < ci_g; ++icl) {
            const int64_t ic = grp * ci_g + icl;
            acc += (static_cast<int32_t>(x[(b * ci + ic) * in_sp + in_off]) - zx) *
                   (static_cast<int32_t>(w[(oc * ci_g + icl) * k_sp + k_off]) - zw);
          }
        }
      }
    }
    if constexpr (std::is_same<Y, int32_t>::value) {
      y[e] = acc;
    } else {
      const double mult = static_cast<double>(xs[0]) * static_cast<double>(ws[ws_count == 1 ? 0 : oc]) /
                          static_cast<double>(ys[0]);
      const double v = rint(static_cast<double>(acc) * mult) + (yzp ? static_cast<double>(yzp[0]) : 0.0);
      y[e] = static_cast<Y>(v < lo ? lo : (v > hi ? hi : v));
    }
  }
}

void check_geom(const WindowGeom& g, const char* what) {
  ONYX_CHECK(g.nd >= 1 && g.nd <= 3, what, ": 1 to 3 spatial dims, got ", g.nd);
  for (int d = 0; d < 3; ++d) {
    ONYX_CHECK(g.in[d] >= 0 && g.out[d] >= 0 && g.k[d] >= 1 && g.stride[d] >= 1 && g.dil[d] >= 1, what,
               ": bad window geometry");
  }
}

}  // namespace

WindowGeom window_geom(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                       const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                       const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads_begin,
                       const std::vector<int64_t>& pads_end) {
  const size_t nd = in.size();
  ONYX_CHECK(nd >= 1 && nd <= 3, "window_geom: 1 to 3 spatial dims, got ", nd);
  ONYX_CHECK(out.size() == nd && kernel.size() == nd && strides.size() == nd && dilations.size() == nd &&
                 pads_begin.size() == nd && pads_end.size() == nd,
             "window_geom: every list needs ", nd, " values");
  WindowGeom g;
  g.nd = static_cast<int>(nd);
  // Right-aligned into 3 dims: unused leading dims have size 1.
  for (size_t i = 0; i < nd; ++i) {
    const size_t d = 3 - nd + i;
    g.in[d] = in[i];
    g.out[d] = out[i];
    g.k[d] = kernel[i];
    g.stride[d] = strides[i];
    g.dil[d] = dilations[i];
    g.pb[d] = pads_begin[i];
    g.pe[d] = pads_end[i];
  }
  return g;
}

void conv_nd(DType dtype, const void* x, const void* w, const void* bias, int64_t n, int64_t ci, int64_t co,
             int64_t group, const WindowGeom& g, void* y, cudaStream_t stream) {
  check_geom(g, "conv_nd");
  ONYX_CHECK(group >= 1 && ci % group == 0 && co % group == 0, "conv_nd: channels ", ci, " -> ", co,
             " do not split into ", group, " groups");
  const int64_t total = n * co * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return;
  dispatch_float(dtype, "conv_nd", [&](auto t) {
    using T = decltype(t);
    conv_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<const T*>(w),
                                                              static_cast<const T*>(bias), static_cast<T*>(y), total,
                                                              ci, co, group, g);
  });
  check_launch("conv_nd");
}

void pool_nd(bool max, DType dtype, const void* x, int64_t planes, const WindowGeom& g, bool count_include_pad,
             void* y, int64_t* indices, bool column_major_indices, cudaStream_t stream) {
  check_geom(g, "pool_nd");
  const int64_t total = planes * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return;
  auto launch = [&](auto t) {
    using T = decltype(t);
    pool_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(max, static_cast<const T*>(x), static_cast<T*>(y),
                                                              indices, total, g, count_include_pad,
                                                              column_major_indices);
  };
  if (max && (dtype == DType::kUInt8 || dtype == DType::kInt8)) {
    if (dtype == DType::kUInt8) launch(uint8_t{});
    else launch(int8_t{});
  } else {
    dispatch_float(dtype, "pool_nd", launch);
  }
  check_launch("pool_nd");
}

void conv_integer(DType x_dtype, const void* x, const void* x_zero_point, DType w_dtype, const void* w,
                  const void* w_zero_point, int64_t w_zp_count, const int32_t* bias, int64_t n, int64_t ci,
                  int64_t co, int64_t group, const WindowGeom& g, const ConvQuant* quant, DType y_dtype, void* y,
                  cudaStream_t stream) {
  check_geom(g, "conv_integer");
  ONYX_CHECK(group >= 1 && ci % group == 0 && co % group == 0, "conv_integer: channels do not split into groups");
  ONYX_CHECK(w_zp_count == 1 || w_zp_count == co, "conv_integer: w zero point needs 1 or ", co, " values");
  if (quant) {
    ONYX_CHECK(quant->x_scale && quant->w_scale && quant->y_scale, "conv_integer: requantization needs scales");
    ONYX_CHECK(quant->w_scale_count == 1 || quant->w_scale_count == co, "conv_integer: w scale needs 1 or ", co,
               " values");
  } else {
    ONYX_CHECK(y_dtype == DType::kInt32, "conv_integer: without requantization the output is int32");
  }
  const int64_t total = n * co * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return;
  auto int8s = [&](DType t, const char* what, auto&& f) {
    if (t == DType::kUInt8) f(uint8_t{});
    else if (t == DType::kInt8) f(int8_t{});
    else unsupported(what, t);
  };
  int8s(x_dtype, "conv_integer (x)", [&](auto tx) {
    using X = decltype(tx);
    int8s(w_dtype, "conv_integer (w)", [&](auto tw) {
      using W = decltype(tw);
      auto launch = [&](auto ty) {
        using Y = decltype(ty);
        double lo = 0, hi = 0;
        if constexpr (!std::is_same<Y, int32_t>::value) {
          lo = static_cast<double>(std::numeric_limits<Y>::lowest());
          hi = static_cast<double>(std::numeric_limits<Y>::max());
        }
        conv_int_kernel<X, W, Y><<<grid_for(total), kThreads, 0, stream>>>(
            static_cast<const X*>(x), static_cast<const X*>(x_zero_point), static_cast<const W*>(w),
            static_cast<const W*>(w_zero_point), w_zp_count, bias, quant ? quant->x_scale : nullptr,
            quant ? quant->w_scale : nullptr, quant ? quant->w_scale_count : 1, quant ? quant->y_scale : nullptr,
            quant ? static_cast<const Y*>(quant->y_zero_point) : nullptr, static_cast<Y*>(y), total, ci, co, group, g,
            lo, hi);
      };
      if (!quant) launch(int32_t{});
      else int8s(y_dtype, "conv_integer (y)", launch);
    });
  });
  check_launch("conv_integer");
}

void batch_norm_device(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* var, int64_t n, int64_t c, int64_t spatial, float epsilon, void* y,
                       cudaStream_t stream) {
  ONYX_CHECK(n >= 0 && c >= 0 && spatial >= 0, "batch_norm: negative dims");
  const int64_t total = n * c * spatial;
  if (total == 0) return;
  dispatch_float(dtype, "batch_norm", [&](auto t) {
    using T = decltype(t);
    batch_norm_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(scale), static_cast<const T*>(bias),
        static_cast<const T*>(mean), static_cast<const T*>(var), static_cast<T*>(y), total, c, spatial, epsilon);
  });
  check_launch("batch_norm");
}

}  // namespace onyx::cuda
