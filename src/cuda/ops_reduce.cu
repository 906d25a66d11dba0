// Reductions of ops_kernels.h: Reduce* over any set of axes (one warp per output element), ArgMax/ArgMin, CumSum,
// Hardmax, Softmax along any axis, TopK (rank counting: one thread per element).
#include <cmath>
#include <limits>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

// Accumulator: float for float32/16/bf16, double for float64 (and for the log/sqrt kinds of integers), int64 /
// uint64 for integers (wraps like the narrow type once truncated).
template <typename T, bool kWide>
struct AccOf {
  using type = std::conditional_t<kIsFloat<T>, C<T>,
                                  std::conditional_t<kWide, double,
                                                     std::conditional_t<std::is_signed<T>::value, int64_t, uint64_t>>>;
};

template <typename A>
__device__ __forceinline__ A shfl_down(A v, int d) {
  if constexpr (sizeof(A) == 8) {
    long long bits;
    memcpy(&bits, &v, 8);
    bits = __shfl_down_sync(0xffffffffu, bits, d);
    A r;
    memcpy(&r, &bits, 8);
    return r;
  } else {
    return __shfl_down_sync(0xffffffffu, v, d);
  }
}

// Lane 0's value in every lane.
template <typename A>
__device__ __forceinline__ A shfl_first(A v) {
  if constexpr (sizeof(A) == 8) {
    long long bits;
    memcpy(&bits, &v, 8);
    bits = __shfl_sync(0xffffffffu, bits, 0);
    A r;
    memcpy(&r, &bits, 8);
    return r;
  } else {
    return __shfl_sync(0xffffffffu, v, 0);
  }
}

template <typename A>
__device__ __forceinline__ A combine(ReduceKind k, A a, A b) {
  switch (k) {
    case ReduceKind::kMax:
    case ReduceKind::kLogSumExp:  // first pass
      if constexpr (std::is_floating_point<A>::value) return (a != a || a > b) ? a : b;
      return a > b ? a : b;
    case ReduceKind::kMin:
      if constexpr (std::is_floating_point<A>::value) return (a != a || a < b) ? a : b;
      return a < b ? a : b;
    case ReduceKind::kProd: return a * b;
    default: return a + b;
  }
}

template <typename A>
__device__ __forceinline__ A warp_combine(ReduceKind k, A v) {
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = combine(k, v, shfl_down(v, d));
  return v;
}

template <typename T, typename A>
__global__ void reduce_kernel(ReduceKind kind, const T* x, T* y, int64_t n_out, Geom outer, Geom inner, int64_t r,
                              A init) {
  const int lane = threadIdx.x & 31;
  const int64_t warps = gstride() / 32;
  for (int64_t o = gtid() / 32; o < n_out; o += warps) {
    const int64_t base = offset_of(outer, o);
    A m = A(0);
    if (kind == ReduceKind::kLogSumExp) {
      A acc = init;
      for (int64_t i = lane; i < r; i += 32) acc = combine(kind, acc, static_cast<A>(ld(x[base + offset_of(inner, i)])));
      m = shfl_first(warp_combine(kind, acc));
    }
    const ReduceKind ck = kind == ReduceKind::kLogSumExp ? ReduceKind::kSum : kind;
    A acc = kind == ReduceKind::kLogSumExp ? A(0) : init;
    for (int64_t i = lane; i < r; i += 32) {
      A v = static_cast<A>(ld(x[base + offset_of(inner, i)]));
      switch (kind) {
        case ReduceKind::kL1:
          if constexpr (std::is_signed<A>::value || std::is_floating_point<A>::value) v = v < A(0) ? A(-v) : v;
          break;
        case ReduceKind::kL2:
        case ReduceKind::kSumSquare: v = v * v; break;
        case ReduceKind::kLogSumExp:
          if constexpr (std::is_floating_point<A>::value) v = exp(v - m);
          break;
        default: break;
      }
      acc = combine(ck, acc, v);
    }
    acc = warp_combine(ck, acc);
    if (lane == 0) {
      A res = acc;
      if constexpr (std::is_floating_point<A>::value) {
        switch (kind) {
          case ReduceKind::kMean: res = acc / static_cast<A>(r); break;
          case ReduceKind::kL2: res = sqrt(acc); break;
          case ReduceKind::kLogSum: res = log(acc); break;
          case ReduceKind::kLogSumExp: res = isinf(m) && m < 0 ? m : log(acc) + m; break;
          default: break;
        }
      } else {
        if (kind == ReduceKind::kMean) res = r == 0 ? A(0) : static_cast<A>(acc / static_cast<A>(r));
      }
      y[o] = st<T>(res);
    }
  }
}

// Splits x's dims into kept (outer) and reduced (inner) groups with x's strides, dropping size-1 dims and merging
// contiguous neighbours.
void split_dims(const Dims& shape, const std::vector<bool>& red, Dims* od, Dims* os, Dims* id, Dims* is) {
  const Dims st = strides_of(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    Dims& dims = red[d] ? *id : *od;
    Dims& strides = red[d] ? *is : *os;
    if (!dims.empty() && strides.back() == st[d] * shape[d]) {
      dims.back() *= shape[d];
      strides.back() = st[d];
    } else {
      dims.push_back(shape[d]);
      strides.push_back(st[d]);
    }
  }
}

// Lines along one axis: outer * dim * inner layout.
struct Lines {
  int64_t outer = 1, dim = 1, inner = 1;
};
Lines lines_of(const Dims& shape, int64_t axis) {
  Lines l;
  for (int64_t d = 0; d < axis; ++d) l.outer *= shape[d];
  l.dim = shape[axis];
  for (size_t d = axis + 1; d < shape.size(); ++d) l.inner *= shape[d];
  return l;
}

template <typename T>
__global__ void arg_kernel(bool max, const T* x, int64_t* y, Lines l, bool last) {
  const int64_t n = l.outer * l.inner;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const int64_t o = i / l.inner, in = i % l.inner;
    const T* p = x + o * l.dim * l.inner + in;
    auto best = ld(p[0]);
    int64_t bi = 0;
    for (int64_t j = 1; j < l.dim; ++j) {
      const auto v = ld(p[j * l.inner]);
      const bool better = max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
      if (better) {
        best = v;
        bi = j;
      }
    }
    y[i] = bi;
  }
}

template <typename T>
__global__ void cumsum_kernel(const T* x, T* y, Lines l, bool exclusive, bool reverse) {
  const int64_t n = l.outer * l.inner;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const int64_t o = i / l.inner, in = i % l.inner;
    const int64_t base = o * l.dim * l.inner + in;
    C<T> acc = C<T>(0);
    for (int64_t s = 0; s < l.dim; ++s) {
      const int64_t j = reverse ? l.dim - 1 - s : s;
      const C<T> v = ld(x[base + j * l.inner]);
      if (exclusive) {
        y[base + j * l.inner] = st<T>(acc);
        acc = static_cast<C<T>>(acc + v);
      } else {
        acc = static_cast<C<T>>(acc + v);
        y[base + j * l.inner] = st<T>(acc);
      }
    }
  }
}

template <typename T>
__global__ void hardmax_kernel(const T* x, T* y, Lines l) {
  const int64_t n = l.outer * l.inner;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const int64_t o = i / l.inner, in = i % l.inner;
    const int64_t base = o * l.dim * l.inner + in;
    auto best = ld(x[base]);
    int64_t bi = 0;
    for (int64_t j = 1; j < l.dim; ++j) {
      const auto v = ld(x[base + j * l.inner]);
      if (v > best) {
        best = v;
        bi = j;
      }
    }
    for (int64_t j = 0; j < l.dim; ++j) y[base + j * l.inner] = st<T>(j == bi ? 1.0f : 0.0f);
  }
}

template <typename T>
__global__ void softmax_kernel(const T* x, T* y, Lines l, bool log_out) {
  using V = std::conditional_t<std::is_same<T, double>::value, double, float>;
  const int64_t n = l.outer * l.inner;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const int64_t o = i / l.inner, in = i % l.inner;
    const int64_t base = o * l.dim * l.inner + in;
    V m = -INFINITY;
    for (int64_t j = 0; j < l.dim; ++j) m = fmax(m, static_cast<V>(ld(x[base + j * l.inner])));
    V s = 0;
    for (int64_t j = 0; j < l.dim; ++j) s += exp(static_cast<V>(ld(x[base + j * l.inner])) - m);
    const V ls = log(s);
    for (int64_t j = 0; j < l.dim; ++j) {
      const V v = static_cast<V>(ld(x[base + j * l.inner])) - m;
      y[base + j * l.inner] = st<T>(log_out ? v - ls : exp(v) / s);
    }
  }
}

template <typename T>
__global__ void topk_kernel(const T* x, T* values, int64_t* indices, Lines l, int64_t k, bool largest) {
  const int64_t n = l.outer * l.dim * l.inner;
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t in = e % l.inner;
    const int64_t j = (e / l.inner) % l.dim;
    const int64_t o = e / (l.inner * l.dim);
    const int64_t base = o * l.dim * l.inner + in;
    const auto v = ld(x[base + j * l.inner]);
    int64_t rank = 0;
    for (int64_t q = 0; q < l.dim && rank < k; ++q) {
      if (q == j) continue;
      const auto w = ld(x[base + q * l.inner]);
      const bool beats = largest ? (w > v || (w == v && q < j)) : (w < v || (w == v && q < j));
      if (beats) ++rank;
    }
    if (rank < k) {
      const int64_t out = o * k * l.inner + rank * l.inner + in;
      values[out] = x[base + j * l.inner];
      indices[out] = j;
    }
  }
}

}  // namespace

void reduce(ReduceKind kind, DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& axes, void* y,
            cudaStream_t stream) {
  check_shape(shape, "reduce");
  std::vector<bool> red(shape.size(), false);
  for (int64_t a : axes) {
    ONYX_CHECK(a >= 0 && a < static_cast<int64_t>(shape.size()), "reduce: axis ", a, " out of range for rank ",
               shape.size());
    ONYX_CHECK(!red[a], "reduce: axis ", a, " listed twice");
    red[a] = true;
  }
  Dims out = shape;
  for (size_t d = 0; d < shape.size(); ++d)
    if (red[d]) out[d] = 1;
  const int64_t n_out = count(out);
  if (n_out == 0) return;
  Dims od, os, id, is;
  split_dims(shape, red, &od, &os, &id, &is);
  const int64_t r = count(id);
  const Geom outer = geom_of(od, os), inner = geom_of(id, is);
  const bool wide = kind == ReduceKind::kL2 || kind == ReduceKind::kLogSum || kind == ReduceKind::kLogSumExp;
  dispatch_numeric(dtype, "reduce", [&](auto t) {
    using T = decltype(t);
    auto go = [&](auto a0) {
      using A = decltype(a0);
      A init = A(0);
      if (kind == ReduceKind::kProd) init = A(1);
      if (kind == ReduceKind::kMax || kind == ReduceKind::kLogSumExp) {
        if constexpr (std::is_floating_point<A>::value) {
          init = -std::numeric_limits<A>::infinity();
        } else {
          init = static_cast<A>(std::numeric_limits<T>::lowest());
        }
      }
      if (kind == ReduceKind::kMin) {
        if constexpr (std::is_floating_point<A>::value) {
          init = std::numeric_limits<A>::infinity();
        } else {
          init = static_cast<A>(std::numeric_limits<T>::max());
        }
      }
      reduce_kernel<T, A><<<grid_for(n_out * 32), kThreads, 0, stream>>>(kind, static_cast<const T*>(x),
                                                                          static_cast<T*>(y), n_out, outer, inner, r,
                                                                          init);
    };
    if (wide) {
      go(typename AccOf<T, true>::type{});
    } else {
      go(typename AccOf<T, false>::type{});
    }
  });
  check_launch("reduce");
}

void arg_reduce(bool max, DType dtype, const void* x, const Dims& shape, int64_t axis, bool select_last, int64_t* y,
                cudaStream_t stream) {
  check_shape(shape, "arg_reduce");
  const size_t rank = std::max<size_t>(shape.size(), 1);
  const Dims s = shape.empty() ? Dims{1} : shape;
  axis = norm_axis(axis, rank, "arg_reduce");
  ONYX_CHECK(s[axis] > 0, "arg_reduce: the reduced axis ", axis, " is empty");
  const Lines l = lines_of(s, axis);
  if (l.outer * l.inner == 0) return;
  dispatch_numeric(dtype, "arg_reduce", [&](auto t) {
    using T = decltype(t);
    arg_kernel<T><<<grid_for(l.outer * l.inner), kThreads, 0, stream>>>(max, static_cast<const T*>(x), y, l,
                                                                         select_last);
  });
  check_launch("arg_reduce");
}

void cumsum(DType dtype, const void* x, const Dims& shape, int64_t axis, bool exclusive, bool reverse, void* y,
            cudaStream_t stream) {
  check_shape(shape, "cumsum");
  const Dims s = shape.empty() ? Dims{1} : shape;
  axis = norm_axis(axis, s.size(), "cumsum");
  const Lines l = lines_of(s, axis);
  if (l.outer * l.inner * l.dim == 0) return;
  dispatch_numeric(dtype, "cumsum", [&](auto t) {
    using T = decltype(t);
    cumsum_kernel<T><<<grid_for(l.outer * l.inner), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                            static_cast<T*>(y), l, exclusive, reverse);
  });
  check_launch("cumsum");
}

void hardmax(DType dtype, const void* x, const Dims& shape, int64_t axis, void* y, cudaStream_t stream) {
  check_shape(shape, "hardmax");
  const Dims s = shape.empty() ? Dims{1} : shape;
  axis = norm_axis(axis, s.size(), "hardmax");
  const Lines l = lines_of(s, axis);
  if (l.outer * l.inner * l.dim == 0) return;
  dispatch_float(dtype, "hardmax", [&](auto t) {
    using T = decltype(t);
    hardmax_kernel<T><<<grid_for(l.outer * l.inner), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                             static_cast<T*>(y), l);
  });
  check_launch("hardmax");
}

void softmax_axis(DType dtype, const void* x, const Dims& shape, int64_t axis, bool log, void* y,
                  cudaStream_t stream) {
  check_shape(shape, "softmax_axis");
  const Dims s = shape.empty() ? Dims{1} : shape;
  axis = norm_axis(axis, s.size(), "softmax_axis");
  const Lines l = lines_of(s, axis);
  if (l.outer * l.inner * l.dim == 0) return;
  dispatch_float(dtype, "softmax_axis", [&](auto t) {
    using T = decltype(t);
    softmax_kernel<T><<<grid_for(l.outer * l.inner), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                             static_cast<T*>(y), l, log);
  });
  check_launch("softmax_axis");
}

void topk(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t k, bool largest, void* values,
          int64_t* indices, cudaStream_t stream) {
  check_shape(shape, "topk");
  ONYX_CHECK(!shape.empty(), "topk: input must have rank >= 1");
  axis = norm_axis(axis, shape.size(), "topk");
  ONYX_CHECK(k >= 0 && k <= shape[axis], "topk: k ", k, " out of range [0, ", shape[axis], "]");
  const Lines l = lines_of(shape, axis);
  const int64_t n = l.outer * l.dim * l.inner;
  if (n == 0 || k == 0) return;
  dispatch_numeric(dtype, "topk", [&](auto t) {
    using T = decltype(t);
    topk_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(values), indices, l,
                                                          k, largest);
  });
  check_launch("topk");
}

}  // namespace onyx::cuda
