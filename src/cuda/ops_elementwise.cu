// Elementwise kernels of ops_kernels.h: extra unary math, IsNaN/IsInf, Not, conversions, broadcast arithmetic over
// every numeric type, comparisons, variadic Sum/Mean/Max/Min, Where over any dtype.
#include <cmath>
#include <limits>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

// ---- unary -----------------------------------------------------------------------------------------------------
template <typename V>
__device__ __forceinline__ V math_float(MathOp op, V x, V alpha, V beta) {
  const V zero = V(0), one = V(1);
  switch (op) {
    case MathOp::kTan: return tan(x);
    case MathOp::kAsin: return asin(x);
    case MathOp::kAcos: return acos(x);
    case MathOp::kAtan: return atan(x);
    case MathOp::kSinh: return sinh(x);
    case MathOp::kCosh: return cosh(x);
    case MathOp::kAsinh: return asinh(x);
    case MathOp::kAcosh: return acosh(x);
    case MathOp::kAtanh: return atanh(x);
    case MathOp::kSoftsign: return x / (one + fabs(x));
    case MathOp::kCelu: return fmax(zero, x) + fmin(zero, alpha * expm1(x / alpha));
    case MathOp::kMish: {
      const V sp = x > V(20) ? x : log1p(exp(x));
      return x * tanh(sp);
    }
    case MathOp::kThresholdedRelu: return x > alpha ? x : zero;
    case MathOp::kShrink: return x < -alpha ? x + beta : (x > alpha ? x - beta : zero);
    case MathOp::kExp: return exp(x);
    case MathOp::kLog: return log(x);
    case MathOp::kSqrt: return sqrt(x);
    case MathOp::kReciprocal: return one / x;
    case MathOp::kSin: return sin(x);
    case MathOp::kCos: return cos(x);
    case MathOp::kTanh: return tanh(x);
    case MathOp::kSigmoid: return x >= zero ? one / (one + exp(-x)) : exp(x) / (one + exp(x));
    case MathOp::kErf: return erf(x);
    case MathOp::kFloor: return floor(x);
    case MathOp::kCeil: return ceil(x);
    case MathOp::kRound: return rint(x);
    case MathOp::kRelu: return x > zero ? x : (x != x ? x : zero);
    case MathOp::kSoftplus: return x > V(20) ? x : log1p(exp(x));
    case MathOp::kElu: return x >= zero ? x : alpha * expm1(x);
    case MathOp::kSelu: return beta * (x > zero ? x : alpha * expm1(x));
    case MathOp::kLeakyRelu: return x >= zero ? x : alpha * x;
    case MathOp::kHardSigmoid: return fmax(zero, fmin(one, alpha * x + beta));
    case MathOp::kHardSwish: return x * fmax(zero, fmin(one, x / V(6) + V(0.5)));
    case MathOp::kAbs: return fabs(x);
    case MathOp::kNeg: return -x;
    case MathOp::kSign: return x > zero ? one : (x < zero ? -one : x);
    case MathOp::kIdentity: return x;
  }
  return x;
}

template <typename T>
__global__ void math_float_kernel(MathOp op, const T* x, T* y, int64_t n, float alpha, float beta) {
  using V = C<T>;
  for (int64_t i = gtid(); i < n; i += gstride())
    y[i] = st<T>(math_float<V>(op, ld(x[i]), static_cast<V>(alpha), static_cast<V>(beta)));
}

template <typename T>
__global__ void math_int_kernel(MathOp op, const T* x, T* y, int64_t n) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const T v = x[i];
    T r = v;
    if (op == MathOp::kNeg) {
      r = static_cast<T>(T(0) - v);
    } else if (op == MathOp::kAbs) {
      if constexpr (std::is_signed<T>::value) r = v < 0 ? static_cast<T>(-v) : v;
    } else if (op == MathOp::kSign) {
      r = v > T(0) ? T(1) : (v == T(0) ? T(0) : static_cast<T>(-1));
    }
    y[i] = r;
  }
}

template <typename T>
__global__ void nan_inf_kernel(const T* x, bool* y, int64_t n, bool nan, bool pos, bool neg) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const auto v = ld(x[i]);
    y[i] = nan ? (v != v) : ((pos && isinf(v) && v > 0) || (neg && isinf(v) && v < 0));
  }
}

template <typename T>
__global__ void not_kernel(const T* x, T* y, int64_t n) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    if constexpr (std::is_same<T, bool>::value) {
      y[i] = !x[i];
    } else {
      y[i] = static_cast<T>(~x[i]);
    }
  }
}

template <typename F, typename T>
__device__ __forceinline__ T convert_one(F v) {
  if constexpr (std::is_same<T, bool>::value) {
    return ld(v) != C<F>(0);
  } else if constexpr (kIsFloat<F> && !kIsFloat<T>) {
    // float -> integer: through int64 / uint64 so that narrow types wrap like the ref backend's static_cast chain.
    const double d = static_cast<double>(ld(v));
    if (d != d) return T(0);
    if constexpr (std::is_unsigned<T>::value) {
      return static_cast<T>(d < 0 ? static_cast<uint64_t>(static_cast<int64_t>(d)) : static_cast<uint64_t>(d));
    } else {
      return static_cast<T>(static_cast<int64_t>(d));
    }
  } else if constexpr (std::is_same<F, double>::value || std::is_same<T, double>::value) {
    return st<T>(static_cast<double>(ld(v)));
  } else if constexpr (kIsFloat<T>) {
    return st<T>(static_cast<float>(ld(v)));
  } else {
    return static_cast<T>(ld(v));
  }
}

template <typename F, typename T>
__global__ void convert_kernel(const F* x, T* y, int64_t n) {
  for (int64_t i = gtid(); i < n; i += gstride()) y[i] = convert_one<F, T>(x[i]);
}

// ---- broadcast binary ------------------------------------------------------------------------------------------
constexpr int kMaxIn = 8;
struct BIndex {
  int rank = 0;
  int n_in = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxIn][kMaxRank] = {};
};

// Builds the index of `shapes` broadcast to `out`, merging dims that are contiguous for every operand.
BIndex make_index(const std::vector<Dims>& shapes, const Dims& out) {
  const size_t r = out.size();
  std::vector<Dims> st(shapes.size());
  for (size_t k = 0; k < shapes.size(); ++k) st[k] = bcast_strides(shapes[k], r);
  Dims nd;
  std::vector<Dims> ns(shapes.size());
  for (size_t d = 0; d < r; ++d) {
    if (out[d] == 1) continue;
    bool merge = !nd.empty();
    for (size_t k = 0; k < st.size() && merge; ++k) merge = ns[k].back() == st[k][d] * out[d];
    if (merge) {
      nd.back() *= out[d];
      for (size_t k = 0; k < st.size(); ++k) ns[k].back() = st[k][d];
    } else {
      nd.push_back(out[d]);
      for (size_t k = 0; k < st.size(); ++k) ns[k].push_back(st[k][d]);
    }
  }
  BIndex ix;
  ix.rank = static_cast<int>(nd.size());
  ix.n_in = static_cast<int>(shapes.size());
  for (size_t d = 0; d < nd.size(); ++d) {
    ix.dims[d] = nd[d];
    for (size_t k = 0; k < shapes.size(); ++k) ix.strides[k][d] = ns[k][d];
  }
  return ix;
}

template <int N>
__device__ __forceinline__ void offsets(const BIndex& ix, int64_t i, int64_t (&off)[N]) {
#pragma unroll
  for (int k = 0; k < N; ++k) off[k] = 0;
#pragma unroll
  for (int d = kMaxRank - 1; d >= 0; --d) {
    if (d < ix.rank) {
      const int64_t c = i % ix.dims[d];
      i /= ix.dims[d];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += c * ix.strides[k][d];
    }
  }
}

Dims out_shape2(const Dims& a, const Dims& b, const char* what) {
  check_shape(a, what);
  check_shape(b, what);
  return broadcast_shapes(a, b);
}

template <typename V>
__device__ __forceinline__ V arith_apply(ArithOp op, V a, V b) {
  if constexpr (std::is_same<V, bool>::value) {
    switch (op) {
      case ArithOp::kBitAnd: return a && b;
      case ArithOp::kBitOr: return a || b;
      case ArithOp::kBitXor: return a != b;
      default: return false;
    }
  } else if constexpr (std::is_floating_point<V>::value) {
    switch (op) {
      case ArithOp::kAdd: return a + b;
      case ArithOp::kSub: return a - b;
      case ArithOp::kMul: return a * b;
      case ArithOp::kDiv: return a / b;
      case ArithOp::kPow: return pow(a, b);
      case ArithOp::kMax: return (a != a || a > b) ? a : b;
      case ArithOp::kMin: return (a != a || a < b) ? a : b;
      case ArithOp::kMod: {
        const V r = fmod(a, b);
        return (r != V(0) && ((r < V(0)) != (b < V(0)))) ? r + b : r;
      }
      case ArithOp::kFmod: return fmod(a, b);
      case ArithOp::kPRelu: return a < V(0) ? a * b : a;
      default: return V(0);
    }
  } else {
    switch (op) {
      case ArithOp::kAdd: return static_cast<V>(a + b);
      case ArithOp::kSub: return static_cast<V>(a - b);
      case ArithOp::kMul: return static_cast<V>(a * b);
      case ArithOp::kDiv: return b == V(0) ? V(0) : static_cast<V>(a / b);
      case ArithOp::kPow: {
        if constexpr (std::is_signed<V>::value) {
          if (b < 0) return a == 1 ? V(1) : (a == -1 ? ((b & 1) ? V(-1) : V(1)) : V(0));
        }
        V r = 1, base = a;
        for (V e = b; e > 0; e = static_cast<V>(e >> 1)) {
          if (e & 1) r = static_cast<V>(r * base);
          base = static_cast<V>(base * base);
        }
        return r;
      }
      case ArithOp::kMax: return a > b ? a : b;
      case ArithOp::kMin: return a < b ? a : b;
      case ArithOp::kMod: {
        if (b == V(0)) return V(0);
        const V r = static_cast<V>(a % b);
        if constexpr (std::is_signed<V>::value) {
          if (r != 0 && ((r < 0) != (b < 0))) return static_cast<V>(r + b);
        }
        return r;
      }
      case ArithOp::kFmod: return b == V(0) ? V(0) : static_cast<V>(a % b);
      case ArithOp::kShiftLeft:
        return b >= static_cast<V>(sizeof(V) * 8) ? V(0) : static_cast<V>(a << b);
      case ArithOp::kShiftRight:
        return b >= static_cast<V>(sizeof(V) * 8) ? V(0) : static_cast<V>(a >> b);
      case ArithOp::kBitAnd: return static_cast<V>(a & b);
      case ArithOp::kBitOr: return static_cast<V>(a | b);
      case ArithOp::kBitXor: return static_cast<V>(a ^ b);
      case ArithOp::kPRelu: {
        if constexpr (std::is_signed<V>::value) return a < 0 ? static_cast<V>(a * b) : a;
        return a;
      }
    }
    return V(0);
  }
}

template <typename T>
__global__ void arith_kernel(ArithOp op, const T* a, const T* b, T* y, int64_t n, BIndex ix) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t off[2];
    offsets<2>(ix, i, off);
    y[i] = st<T>(arith_apply<C<T>>(op, ld(a[off[0]]), ld(b[off[1]])));
  }
}

template <typename A, typename B>
__global__ void pow_mixed_kernel(const A* a, const B* b, A* y, int64_t n, BIndex ix) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t off[2];
    offsets<2>(ix, i, off);
    const double r = pow(as_double(a[off[0]]), as_double(b[off[1]]));
    if constexpr (kIsFloat<A>) {
      y[i] = st<A>(r);
    } else {
      y[i] = static_cast<A>(static_cast<int64_t>(r));
    }
  }
}

template <typename V>
__device__ __forceinline__ bool compare_apply(CompareOp op, V a, V b) {
  switch (op) {
    case CompareOp::kEqual: return a == b;
    case CompareOp::kLess: return a < b;
    case CompareOp::kLessOrEqual: return a <= b;
    case CompareOp::kGreater: return a > b;
    case CompareOp::kGreaterOrEqual: return a >= b;
  }
  return false;
}

template <typename T>
__global__ void compare_kernel(CompareOp op, const T* a, const T* b, bool* y, int64_t n, BIndex ix) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t off[2];
    offsets<2>(ix, i, off);
    y[i] = compare_apply<C<T>>(op, ld(a[off[0]]), ld(b[off[1]]));
  }
}

struct Ptrs {
  const void* p[kMaxIn] = {};
};

template <typename T>
__global__ void variadic_kernel(VariadicOp op, Ptrs in, T* y, int64_t n, BIndex ix) {
  using V = C<T>;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t off[kMaxIn];
    offsets<kMaxIn>(ix, i, off);
    V acc = ld(static_cast<const T*>(in.p[0])[off[0]]);
    for (int k = 1; k < ix.n_in; ++k) {
      const V v = ld(static_cast<const T*>(in.p[k])[off[k]]);
      switch (op) {
        case VariadicOp::kSum:
        case VariadicOp::kMean: acc = static_cast<V>(acc + v); break;
        case VariadicOp::kMax:
          if constexpr (std::is_floating_point<V>::value) {
            acc = (acc != acc || acc > v) ? acc : v;
          } else {
            acc = acc > v ? acc : v;
          }
          break;
        case VariadicOp::kMin:
          if constexpr (std::is_floating_point<V>::value) {
            acc = (acc != acc || acc < v) ? acc : v;
          } else {
            acc = acc < v ? acc : v;
          }
          break;
      }
    }
    if (op == VariadicOp::kMean) acc = static_cast<V>(acc / static_cast<V>(ix.n_in));
    y[i] = st<T>(acc);
  }
}

template <typename T>
__global__ void where_kernel(const bool* c, const T* x, const T* yv, T* out, int64_t n, BIndex ix) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t off[3];
    offsets<3>(ix, i, off);
    out[i] = c[off[0]] ? x[off[1]] : yv[off[2]];
  }
}

}  // namespace

void math_unary(MathOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream, float alpha,
                float beta) {
  ONYX_CHECK(n >= 0, "math_unary: negative element count");
  if (op == MathOp::kCelu) ONYX_CHECK(alpha != 0.f, "math_unary: Celu alpha must not be 0");
  if (n == 0) return;
  const bool int_ok = op == MathOp::kAbs || op == MathOp::kNeg || op == MathOp::kSign || op == MathOp::kIdentity;
  if (int_ok && dtype != DType::kFloat32 && dtype != DType::kFloat16 && dtype != DType::kBFloat16 &&
      dtype != DType::kFloat64) {
    dispatch_int(dtype, "math_unary", [&](auto t) {
      using T = decltype(t);
      math_int_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(op, static_cast<const T*>(x), static_cast<T*>(y), n);
    });
  } else {
    dispatch_float(dtype, "math_unary", [&](auto t) {
      using T = decltype(t);
      math_float_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(op, static_cast<const T*>(x), static_cast<T*>(y),
                                                                  n, alpha, beta);
    });
  }
  check_launch("math_unary");
}

void is_nan_inf(DType dtype, const void* x, bool* y, int64_t n, bool nan, bool detect_positive, bool detect_negative,
                cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "is_nan_inf: negative element count");
  if (n == 0) return;
  dispatch_float(dtype, "is_nan_inf", [&](auto t) {
    using T = decltype(t);
    nan_inf_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), y, n, nan, detect_positive,
                                                             detect_negative);
  });
  check_launch("is_nan_inf");
}

void bit_not(DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "bit_not: negative element count");
  if (n == 0) return;
  if (dtype == DType::kBool) {
    not_kernel<bool><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const bool*>(x), static_cast<bool*>(y), n);
  } else {
    dispatch_int(dtype, "bit_not", [&](auto t) {
      using T = decltype(t);
      not_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n);
    });
  }
  check_launch("bit_not");
}

void convert(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "convert: negative element count");
  if (n == 0) return;
  if (from == to) {
    check_cuda(cudaMemcpyAsync(y, x, static_cast<size_t>(n) * dtype_size(from), cudaMemcpyDeviceToDevice, stream),
               "convert: cudaMemcpyAsync");
    return;
  }
  dispatch_all(from, "convert", [&](auto f) {
    using F = decltype(f);
    dispatch_all(to, "convert", [&](auto t) {
      using T = decltype(t);
      convert_kernel<F, T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const F*>(x), static_cast<T*>(y), n);
    });
  });
  check_launch("convert");
}

void arith(ArithOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape, void* y,
           cudaStream_t stream) {
  const Dims out = out_shape2(a_shape, b_shape, "arith");
  const int64_t n = count(out);
  const bool is_float = dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16 ||
                        dtype == DType::kFloat64;
  const bool bitwise = op == ArithOp::kBitAnd || op == ArithOp::kBitOr || op == ArithOp::kBitXor;
  const bool shift = op == ArithOp::kShiftLeft || op == ArithOp::kShiftRight;
  if (dtype == DType::kBool && !bitwise) unsupported("arith (bool needs And/Or/Xor)", dtype);
  if (is_float && (bitwise || shift)) unsupported("arith (bitwise op)", dtype);
  if (shift && dtype != DType::kUInt8 && dtype != DType::kUInt16 && dtype != DType::kUInt32 &&
      dtype != DType::kUInt64)
    unsupported("arith (BitShift needs an unsigned type)", dtype);
  if (n == 0) return;
  const BIndex ix = make_index({a_shape, b_shape}, out);
  dispatch_all(dtype, "arith", [&](auto t) {
    using T = decltype(t);
    arith_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(op, static_cast<const T*>(a), static_cast<const T*>(b),
                                                           static_cast<T*>(y), n, ix);
  });
  check_launch("arith");
}

void pow_mixed(DType base_dtype, const void* a, const Dims& a_shape, DType exp_dtype, const void* b,
               const Dims& b_shape, void* y, cudaStream_t stream) {
  const Dims out = out_shape2(a_shape, b_shape, "pow_mixed");
  const int64_t n = count(out);
  if (n == 0) return;
  const BIndex ix = make_index({a_shape, b_shape}, out);
  dispatch_numeric(base_dtype, "pow_mixed", [&](auto ta) {
    using A = decltype(ta);
    dispatch_numeric(exp_dtype, "pow_mixed", [&](auto tb) {
      using B = decltype(tb);
      pow_mixed_kernel<A, B><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const A*>(a),
                                                                    static_cast<const B*>(b), static_cast<A*>(y), n, ix);
    });
  });
  check_launch("pow_mixed");
}

void compare(CompareOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape,
             bool* y, cudaStream_t stream) {
  const Dims out = out_shape2(a_shape, b_shape, "compare");
  const int64_t n = count(out);
  if (n == 0) return;
  const BIndex ix = make_index({a_shape, b_shape}, out);
  dispatch_all(dtype, "compare", [&](auto t) {
    using T = decltype(t);
    compare_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(op, static_cast<const T*>(a), static_cast<const T*>(b), y,
                                                             n, ix);
  });
  check_launch("compare");
}

void variadic(VariadicOp op, DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes,
              void* y, const Dims& out, cudaStream_t stream) {
  ONYX_CHECK(!inputs.empty() && inputs.size() == shapes.size(), "variadic: need 1 or more inputs with shapes");
  ONYX_CHECK(inputs.size() <= static_cast<size_t>(kMaxIn), "variadic: at most ", kMaxIn, " inputs, got ",
             inputs.size());
  check_shape(out, "variadic");
  Dims want = shapes[0];
  for (const Dims& s : shapes) {
    check_shape(s, "variadic");
    want = broadcast_shapes(want, s);
  }
  ONYX_CHECK(want == out, "variadic: output shape ", shape_str(out), " is not the broadcast shape ", shape_str(want));
  const int64_t n = count(out);
  if (n == 0) return;
  const BIndex ix = make_index(shapes, out);
  Ptrs p;
  for (size_t k = 0; k < inputs.size(); ++k) p.p[k] = inputs[k];
  dispatch_numeric(dtype, "variadic", [&](auto t) {
    using T = decltype(t);
    variadic_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(op, p, static_cast<T*>(y), n, ix);
  });
  check_launch("variadic");
}

void where_any(DType dtype, const bool* cond, const Dims& c_shape, const void* x, const Dims& x_shape, const void* y,
               const Dims& y_shape, void* out, const Dims& out_shape, cudaStream_t stream) {
  check_shape(c_shape, "where");
  check_shape(x_shape, "where");
  check_shape(y_shape, "where");
  const Dims want = broadcast_shapes(broadcast_shapes(c_shape, x_shape), y_shape);
  ONYX_CHECK(want == out_shape, "where: output shape ", shape_str(out_shape), " is not the broadcast shape ",
             shape_str(want));
  const int64_t n = count(out_shape);
  if (n == 0) return;
  const BIndex ix = make_index({c_shape, x_shape, y_shape}, out_shape);
  dispatch_bits(dtype, "where", [&](auto t) {
    using T = decltype(t);
    where_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(cond, static_cast<const T*>(x), static_cast<const T*>(y),
                                                           static_cast<T*>(out), n, ix);
  });
  check_launch("where");
}

}  // namespace onyx::cuda
