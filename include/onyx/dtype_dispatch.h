// Runtime dtype → compile-time type dispatch for kernels.
//
//   dispatch_numeric(t.dtype(), "Relu", [&]<typename T>() { ... T is float, int32_t, Float16, ... });
//
// Each function calls `f.template operator()<T>()` for the C++ type of `t`, or throws an kUnsupported onyx::Error
// naming `what` and the dtype when `t` is outside the family.
#pragma once

#include <string_view>

#include "onyx/dtype.h"
#include "onyx/error.h"

namespace onyx {

[[noreturn]] inline void fail_dtype(std::string_view what, DType t) {
  fail_unsupported(what, ": dtype ", dtype_name(t), " is not supported");
}

#define ONYX_DISPATCH_CASE(D, T) \
  case DType::D:                 \
    return f.template operator()<T>();

// float32, float64, float16, bfloat16
template <typename F>
decltype(auto) dispatch_float(DType t, std::string_view what, F&& f) {
  switch (t) {
    ONYX_DISPATCH_CASE(kFloat32, float)
    ONYX_DISPATCH_CASE(kFloat64, double)
    ONYX_DISPATCH_CASE(kFloat16, Float16)
    ONYX_DISPATCH_CASE(kBFloat16, BFloat16)
    default:
      fail_dtype(what, t);
  }
}

// all signed and unsigned integers
template <typename F>
decltype(auto) dispatch_integer(DType t, std::string_view what, F&& f) {
  switch (t) {
    ONYX_DISPATCH_CASE(kInt8, int8_t)
    ONYX_DISPATCH_CASE(kInt16, int16_t)
    ONYX_DISPATCH_CASE(kInt32, int32_t)
    ONYX_DISPATCH_CASE(kInt64, int64_t)
    ONYX_DISPATCH_CASE(kUInt8, uint8_t)
    ONYX_DISPATCH_CASE(kUInt16, uint16_t)
    ONYX_DISPATCH_CASE(kUInt32, uint32_t)
    ONYX_DISPATCH_CASE(kUInt64, uint64_t)
    default:
      fail_dtype(what, t);
  }
}

// floats + integers (no bool, no string, no float8)
template <typename F>
decltype(auto) dispatch_numeric(DType t, std::string_view what, F&& f) {
  switch (t) {
    ONYX_DISPATCH_CASE(kFloat32, float)
    ONYX_DISPATCH_CASE(kFloat64, double)
    ONYX_DISPATCH_CASE(kFloat16, Float16)
    ONYX_DISPATCH_CASE(kBFloat16, BFloat16)
    ONYX_DISPATCH_CASE(kInt8, int8_t)
    ONYX_DISPATCH_CASE(kInt16, int16_t)
    ONYX_DISPATCH_CASE(kInt32, int32_t)
    ONYX_DISPATCH_CASE(kInt64, int64_t)
    ONYX_DISPATCH_CASE(kUInt8, uint8_t)
    ONYX_DISPATCH_CASE(kUInt16, uint16_t)
    ONYX_DISPATCH_CASE(kUInt32, uint32_t)
    ONYX_DISPATCH_CASE(kUInt64, uint64_t)
    default:
      fail_dtype(what, t);
  }
}

// numeric + bool
template <typename F>
decltype(auto) dispatch_numeric_bool(DType t, std::string_view what, F&& f) {
  if (t == DType::kBool) return f.template operator()<bool>();
  return dispatch_numeric(t, what, std::forward<F>(f));
}

// every dtype with a C++ storage type: numeric, bool, string, float8 (e4m3fn, e5m2)
template <typename F>
decltype(auto) dispatch_all(DType t, std::string_view what, F&& f) {
  switch (t) {
    ONYX_DISPATCH_CASE(kBool, bool)
    ONYX_DISPATCH_CASE(kString, std::string)
    ONYX_DISPATCH_CASE(kFloat8E4M3FN, Float8E4M3FN)
    ONYX_DISPATCH_CASE(kFloat8E5M2, Float8E5M2)
    default:
      return dispatch_numeric(t, what, std::forward<F>(f));
  }
}

#undef ONYX_DISPATCH_CASE

// The type a kernel computes in for element type T: float for the reduced-precision floats (the spec's "computed
// in fp32 and rounded"), T itself otherwise.
template <typename T>
struct ComputeTypeOf {
  using type = T;
};
template <>
struct ComputeTypeOf<Float16> {
  using type = float;
};
template <>
struct ComputeTypeOf<BFloat16> {
  using type = float;
};
template <>
struct ComputeTypeOf<Float8E4M3FN> {
  using type = float;
};
template <>
struct ComputeTypeOf<Float8E5M2> {
  using type = float;
};
template <typename T>
using compute_t = typename ComputeTypeOf<T>::type;

// Converts a compute value back to storage type T (rounding for the reduced floats).
template <typename T, typename C>
inline T to_storage(C v) {
  if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16> || std::is_same_v<T, Float8E4M3FN> ||
                std::is_same_v<T, Float8E5M2>) {
    return T(static_cast<float>(v));
  } else {
    return static_cast<T>(v);
  }
}

}  // namespace onyx
