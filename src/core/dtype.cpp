#include "onyx/dtype.h"

#include <bit>
#include <cmath>
#include <limits>
#include <string>

namespace onyx {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kInt32: case DType::kUInt32: return 4;
    case DType::kFloat64: case DType::kInt64: case DType::kUInt64: case DType::kComplex64: return 8;
    case DType::kComplex128: return 16;
    case DType::kFloat16: case DType::kBFloat16: case DType::kInt16: case DType::kUInt16: return 2;
    case DType::kUInt8: case DType::kInt8: case DType::kBool: case DType::kFloat8E4M3FN:
    case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2: case DType::kFloat8E5M2FNUZ: return 1;
    case DType::kString: return sizeof(std::string);
    case DType::kUndefined: return 0;
  }
  return 0;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kUndefined: return "undefined";
    case DType::kFloat32: return "float32";
    case DType::kUInt8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kUInt16: return "uint16";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kString: return "string";
    case DType::kBool: return "bool";
    case DType::kFloat16: return "float16";
    case DType::kFloat64: return "float64";
    case DType::kUInt32: return "uint32";
    case DType::kUInt64: return "uint64";
    case DType::kComplex64: return "complex64";
    case DType::kComplex128: return "complex128";
    case DType::kBFloat16: return "bfloat16";
    case DType::kFloat8E4M3FN: return "float8e4m3fn";
    case DType::kFloat8E4M3FNUZ: return "float8e4m3fnuz";
    case DType::kFloat8E5M2: return "float8e5m2";
    case DType::kFloat8E5M2FNUZ: return "float8e5m2fnuz";
  }
  return "invalid";
}

DType dtype_from_name(std::string_view name) {
  for (int32_t i = 1; i <= 20; ++i) {
    if (dtype_name(static_cast<DType>(i)) == name) return static_cast<DType>(i);
  }
  if (name == "float") return DType::kFloat32;
  if (name == "double") return DType::kFloat64;
  if (name == "half") return DType::kFloat16;
  if (name == "int") return DType::kInt32;
  if (name == "long") return DType::kInt64;
  return DType::kUndefined;
}

bool dtype_is_valid(int32_t value) { return value >= 1 && value <= 20; }

bool dtype_is_float(DType t) {
  switch (t) {
    case DType::kFloat32: case DType::kFloat64: case DType::kFloat16: case DType::kBFloat16:
    case DType::kFloat8E4M3FN: case DType::kFloat8E4M3FNUZ: case DType::kFloat8E5M2: case DType::kFloat8E5M2FNUZ:
      return true;
    default:
      return false;
  }
}

bool dtype_is_integer(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

bool dtype_is_signed(DType t) {
  switch (t) {
    case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
      return true;
    default:
      return dtype_is_float(t);
  }
}

// ---- float16 ----------------------------------------------------------------------------------------------------

uint16_t float_to_half_bits(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // Inf or NaN
    return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to >= 65520: overflow to Inf
  if (abs < 0x38800000u) {  // result is subnormal or zero in half precision
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25: rounds to zero
    const uint32_t exponent = abs >> 23;
    const uint32_t mantissa = (abs & 0x7fffffu) | 0x800000u;
    const uint32_t shift = 126 - exponent;  // 14..24 (113 - exponent + 13)
    uint32_t half = mantissa >> shift;
    const uint32_t rem = mantissa & ((1u << shift) - 1);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t h = ((abs >> 13) - (112u << 10));  // rebias exponent 127 -> 15
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t out;
  if (exponent == 0) {
    if (mantissa == 0) {
      out = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      out = sign | ((127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    out = sign | 0x7f800000u | (mantissa << 13);
  } else {
    out = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(out);
}

// ---- bfloat16 ---------------------------------------------------------------------------------------------------

uint16_t float_to_bfloat16_bits(float f) {
  uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  const uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return static_cast<uint16_t>(x >> 16);
}

// ---- float8 -----------------------------------------------------------------------------------------------------
// Generic encoder for the small formats: `mant_bits` mantissa bits, exponent bias `bias`, largest finite
// magnitude `max_finite`. Rounds to nearest even by scanning is too slow; instead scale into the integer grid.

namespace {

uint8_t encode_small_float(float f, int mant_bits, int bias, float max_finite, bool saturate, bool has_inf,
                           uint8_t nan_bits) {
  const uint8_t sign = std::signbit(f) ? 0x80 : 0x00;
  if (std::isnan(f)) return static_cast<uint8_t>(sign | nan_bits);
  float a = std::fabs(f);
  if (std::isinf(a)) {
    if (saturate) return static_cast<uint8_t>(sign | (has_inf ? 0x7b : 0x7e));
    return static_cast<uint8_t>(sign | (has_inf ? 0x7c : nan_bits));
  }
  const int min_exp = 1 - bias;  // exponent of the smallest normal
  int e;
  std::frexp(a, &e);  // a = m * 2^e with m in [0.5, 1)
  int exp = e - 1;    // a = 1.x * 2^exp
  if (exp < min_exp) exp = min_exp;
  const float quantum = std::ldexp(1.0f, exp - mant_bits);
  float q = std::nearbyint(a / quantum) * quantum;  // round-half-even under the default rounding mode
  if (q > max_finite) {
    if (saturate) q = max_finite;
    else return static_cast<uint8_t>(sign | (has_inf ? 0x7c : nan_bits));
  }
  if (q == 0.0f) return sign;
  std::frexp(q, &e);
  exp = e - 1;
  uint32_t bits;
  if (exp < min_exp) {  // subnormal
    bits = static_cast<uint32_t>(q / std::ldexp(1.0f, min_exp - mant_bits));
  } else {
    const uint32_t mant = static_cast<uint32_t>((q / std::ldexp(1.0f, exp) - 1.0f) * (1 << mant_bits));
    bits = (static_cast<uint32_t>(exp + bias) << mant_bits) | mant;
  }
  return static_cast<uint8_t>(sign | bits);
}

float decode_small_float(uint8_t b, int mant_bits, int bias) {
  const bool neg = b & 0x80;
  const int exp_field = (b & 0x7f) >> mant_bits;
  const int mant = b & ((1 << mant_bits) - 1);
  float v;
  if (exp_field == 0) v = std::ldexp(static_cast<float>(mant), 1 - bias - mant_bits);
  else v = std::ldexp(1.0f + static_cast<float>(mant) / static_cast<float>(1 << mant_bits), exp_field - bias);
  return neg ? -v : v;
}

}  // namespace

uint8_t float_to_e4m3fn_bits(float f, bool saturate) {
  // e4m3fn: no infinities, S.1111.111 is NaN, max finite 448.
  return encode_small_float(f, 3, 7, 448.0f, saturate, false, 0x7f);
}

float e4m3fn_bits_to_float(uint8_t b) {
  if ((b & 0x7f) == 0x7f) return std::numeric_limits<float>::quiet_NaN();
  return decode_small_float(b, 3, 7);
}

uint8_t float_to_e5m2_bits(float f, bool saturate) {
  // e5m2: IEEE-like, infinities at exponent 31 mantissa 0, max finite 57344.
  return encode_small_float(f, 2, 15, 57344.0f, saturate, true, 0x7f);
}

float e5m2_bits_to_float(uint8_t b) {
  const int exp_field = (b & 0x7f) >> 2;
  if (exp_field == 31) {
    if ((b & 0x3) == 0) return (b & 0x80) ? -std::numeric_limits<float>::infinity()
                                          : std::numeric_limits<float>::infinity();
    return std::numeric_limits<float>::quiet_NaN();
  }
  return decode_small_float(b, 2, 15);
}

}  // namespace onyx
