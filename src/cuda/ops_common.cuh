// Device and host helpers shared by src/cuda/ops_*.cu (private to those files): value conversion between storage and
// compute types, dtype dispatch over every numeric type, shape/stride helpers and the grid-stride launch shape.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/ops_kernels.h"
#include "onyx/error.h"

namespace onyx::cuda::opsdetail {

// ---- types -----------------------------------------------------------------------------------------------------
template <typename T>
struct IsHalfLike : std::false_type {};
template <>
struct IsHalfLike<__half> : std::true_type {};
template <>
struct IsHalfLike<__nv_bfloat16> : std::true_type {};

template <typename T>
constexpr bool kIsFloat = std::is_floating_point<T>::value || IsHalfLike<T>::value;

// Compute type: float for float32/float16/bfloat16, double for float64, the type itself for integers and bool.
template <typename T>
struct Compute {
  using type = T;
};
template <>
struct Compute<__half> {
  using type = float;
};
template <>
struct Compute<__nv_bfloat16> {
  using type = float;
};
template <typename T>
using C = typename Compute<T>::type;

template <typename T>
__device__ __forceinline__ C<T> ld(T v) {
  if constexpr (std::is_same<T, __half>::value) {
    return __half2float(v);
  } else if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return __bfloat162float(v);
  } else {
    return v;
  }
}
// Stores any arithmetic value as T (float16/bfloat16 round to nearest even from float).
template <typename T, typename V>
__device__ __forceinline__ T st(V v) {
  if constexpr (std::is_same<T, __half>::value) {
    return __float2half_rn(static_cast<float>(v));
  } else if constexpr (std::is_same<T, __nv_bfloat16>::value) {
    return __float2bfloat16_rn(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}
// Any storage value as double (for conversions and comparisons across types).
template <typename T>
__device__ __forceinline__ double as_double(T v) {
  return static_cast<double>(ld(v));
}

template <typename T>
__device__ __forceinline__ bool is_nan(T v) {
  if constexpr (kIsFloat<T>) {
    const auto c = ld(v);
    return c != c;
  } else {
    return false;
  }
}

// ---- dispatch --------------------------------------------------------------------------------------------------
[[noreturn]] inline void unsupported(const char* what, DType t) {
  fail_unsupported(what, ": dtype ", dtype_name(t), " not supported by the CUDA kernel");
}

// Float types: float32, float16, bfloat16, float64.
template <typename F>
void dispatch_float(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return;
    case DType::kFloat16: f(__half{}); return;
    case DType::kBFloat16: f(__nv_bfloat16{}); return;
    case DType::kFloat64: f(double{}); return;
    default: unsupported(what, t);
  }
}
// Integer types (signed and unsigned, 8 to 64 bits).
template <typename F>
void dispatch_int(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kInt8: f(int8_t{}); return;
    case DType::kInt16: f(int16_t{}); return;
    case DType::kInt32: f(int32_t{}); return;
    case DType::kInt64: f(int64_t{}); return;
    case DType::kUInt8: f(uint8_t{}); return;
    case DType::kUInt16: f(uint16_t{}); return;
    case DType::kUInt32: f(uint32_t{}); return;
    case DType::kUInt64: f(uint64_t{}); return;
    default: unsupported(what, t);
  }
}
// Every number type (floats and integers).
template <typename F>
void dispatch_numeric(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kFloat32:
    case DType::kFloat16:
    case DType::kBFloat16:
    case DType::kFloat64: dispatch_float(t, what, f); return;
    default: dispatch_int(t, what, f);
  }
}
// Numbers and bool.
template <typename F>
void dispatch_all(DType t, const char* what, F&& f) {
  if (t == DType::kBool) {
    f(bool{});
    return;
  }
  dispatch_numeric(t, what, f);
}
// Bit-copy type of an element size (any dtype but string).
template <typename F>
void dispatch_bits(DType t, const char* what, F&& f) {
  if (t == DType::kString || t == DType::kUndefined) unsupported(what, t);
  switch (dtype_size(t)) {
    case 1: f(uint8_t{}); return;
    case 2: f(uint16_t{}); return;
    case 4: f(uint32_t{}); return;
    case 8: f(uint64_t{}); return;
    default: unsupported(what, t);
  }
}
// Index types: int32, int64.
template <typename F>
void dispatch_index(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kInt32: f(int32_t{}); return;
    case DType::kInt64: f(int64_t{}); return;
    default: fail_bad_input(what, ": indices must be int32 or int64, not ", dtype_name(t));
  }
}

// ---- launch shape ----------------------------------------------------------------------------------------------
constexpr int kThreads = 256;
inline unsigned grid_for(int64_t work, int threads = kThreads) {
  const int64_t needed = (work + threads - 1) / threads;
  const int64_t cap = static_cast<int64_t>(std::max(current_device_limits().sm_count, 1)) * 16;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min(needed, cap)));
}
__device__ __forceinline__ int64_t gtid() { return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t gstride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// ---- shapes ----------------------------------------------------------------------------------------------------
inline std::string shape_str(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}
inline void check_shape(const Dims& shape, const char* what) {
  ONYX_CHECK(shape.size() <= static_cast<size_t>(kMaxRank), what, ": rank ", shape.size(), " exceeds ", kMaxRank);
  for (int64_t d : shape) ONYX_CHECK(d >= 0, what, ": negative dimension in ", shape_str(shape));
}
inline int64_t norm_axis(int64_t axis, size_t rank, const char* what) {
  const int64_t r = static_cast<int64_t>(rank);
  ONYX_CHECK(axis >= -r && axis < r, what, ": axis ", axis, " out of range for rank ", r);
  return axis < 0 ? axis + r : axis;
}
inline int64_t count(const Dims& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}
inline Dims strides_of(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

// A fixed-size shape + strides record passed by value to kernels.
struct Geom {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
};
inline Geom geom_of(const Dims& dims, const Dims& strides) {
  Geom g;
  g.rank = static_cast<int>(dims.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    g.dims[d] = dims[d];
    g.strides[d] = strides[d];
  }
  return g;
}
// Offset of flat index i of g.dims under g.strides.
__device__ __forceinline__ int64_t offset_of(const Geom& g, int64_t i) {
  int64_t off = 0;
#pragma unroll
  for (int d = kMaxRank - 1; d >= 0; --d) {
    if (d < g.rank) {
      const int64_t c = i % g.dims[d];
      i /= g.dims[d];
      off += c * g.strides[d];
    }
  }
  return off;
}

// Right-aligned broadcast strides of `s` against output rank r (a broadcast dim gets stride 0).
inline Dims bcast_strides(const Dims& s, size_t r) {
  Dims out(r, 0);
  const Dims cs = strides_of(s);
  const size_t off = r - s.size();
  for (size_t d = 0; d < s.size(); ++d) out[off + d] = s[d] == 1 ? 0 : cs[d];
  return out;
}

}  // namespace onyx::cuda::opsdetail
