// DType: the element types of onyx tensors, numbered exactly like ONNX's TensorProto.DataType so a dtype read
// from a model needs no translation table.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace onyx {

enum class DType : int32_t {
  kUndefined = 0,
  kFloat32 = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBFloat16 = 16,
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
};

// Size of one element in bytes (string: sizeof(std::string) in memory; 0 for undefined).
size_t dtype_size(DType t);
// ONNX spelling: "float32", "float16", "int64", "bool", "string", "float8e4m3fn", ...
std::string_view dtype_name(DType t);
// Parses dtype_name's spelling (and common aliases: float, double, half, int, long). Returns kUndefined if unknown.
DType dtype_from_name(std::string_view name);
// True for a number ONNX defines (0 excluded).
bool dtype_is_valid(int32_t value);
bool dtype_is_float(DType t);    // float16/32/64, bfloat16, float8
bool dtype_is_integer(DType t);  // signed and unsigned ints (bool excluded)
bool dtype_is_signed(DType t);

// ---- reduced-precision floating point storage types ----------------------------------------------------------
// Conversions round to nearest, ties to even, as IEEE 754 and the ONNX spec require.
uint16_t float_to_half_bits(float f);
float half_bits_to_float(uint16_t h);
uint16_t float_to_bfloat16_bits(float f);
inline float bfloat16_bits_to_float(uint16_t b) {
  uint32_t u = static_cast<uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
// float8: `saturate` clamps out-of-range values to the largest finite value (ONNX Cast's default).
uint8_t float_to_e4m3fn_bits(float f, bool saturate = true);
float e4m3fn_bits_to_float(uint8_t b);
uint8_t float_to_e5m2_bits(float f, bool saturate = true);
float e5m2_bits_to_float(uint8_t b);

struct Float16 {
  uint16_t bits = 0;
  Float16() = default;
  explicit Float16(float f) : bits(float_to_half_bits(f)) {}
  static Float16 from_bits(uint16_t b) {
    Float16 h;
    h.bits = b;
    return h;
  }
  operator float() const { return half_bits_to_float(bits); }
};

struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  explicit BFloat16(float f) : bits(float_to_bfloat16_bits(f)) {}
  static BFloat16 from_bits(uint16_t b) {
    BFloat16 h;
    h.bits = b;
    return h;
  }
  operator float() const { return bfloat16_bits_to_float(bits); }
};

struct Float8E4M3FN {
  uint8_t bits = 0;
  Float8E4M3FN() = default;
  explicit Float8E4M3FN(float f, bool saturate = true) : bits(float_to_e4m3fn_bits(f, saturate)) {}
  operator float() const { return e4m3fn_bits_to_float(bits); }
};

struct Float8E5M2 {
  uint8_t bits = 0;
  Float8E5M2() = default;
  explicit Float8E5M2(float f, bool saturate = true) : bits(float_to_e5m2_bits(f, saturate)) {}
  operator float() const { return e5m2_bits_to_float(bits); }
};

// Maps a C++ element type to its DType (compile time).
template <typename T>
struct DTypeOf;
#define ONYX_DTYPE_OF(T, D) \
  template <>               \
  struct DTypeOf<T> {       \
    static constexpr DType value = D; \
  };
ONYX_DTYPE_OF(float, DType::kFloat32)
ONYX_DTYPE_OF(double, DType::kFloat64)
ONYX_DTYPE_OF(Float16, DType::kFloat16)
ONYX_DTYPE_OF(BFloat16, DType::kBFloat16)
ONYX_DTYPE_OF(Float8E4M3FN, DType::kFloat8E4M3FN)
ONYX_DTYPE_OF(Float8E5M2, DType::kFloat8E5M2)
ONYX_DTYPE_OF(int8_t, DType::kInt8)
ONYX_DTYPE_OF(int16_t, DType::kInt16)
ONYX_DTYPE_OF(int32_t, DType::kInt32)
ONYX_DTYPE_OF(int64_t, DType::kInt64)
ONYX_DTYPE_OF(uint8_t, DType::kUInt8)
ONYX_DTYPE_OF(uint16_t, DType::kUInt16)
ONYX_DTYPE_OF(uint32_t, DType::kUInt32)
ONYX_DTYPE_OF(uint64_t, DType::kUInt64)
ONYX_DTYPE_OF(bool, DType::kBool)
ONYX_DTYPE_OF(std::string, DType::kString)
#undef ONYX_DTYPE_OF
template <typename T>
inline constexpr DType dtype_of = DTypeOf<T>::value;

}  // namespace onyx
