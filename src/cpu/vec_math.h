// Vectorizable float math for the cpu kernels: branch-free exp / erfc / activations that the compiler turns into
// SIMD loops. ONYX_CPU_CLONES compiles a hot loop for AVX-512, AVX2 and the baseline, picked at run time (the
// build itself targets baseline x86-64).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(ONYX_NO_CLONES)
#define ONYX_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ONYX_CPU_CLONES
#endif

namespace onyx::cpu::vec {

inline float bits_to_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// e^x with a few ulp of relative error: 0 below -87.33 (where e^x leaves the normal floats), +inf above 88.72,
// NaN stays NaN. Cephes-style: x = n ln2 + r, e^r by a degree-6 polynomial, 2^n built in the exponent bits.
inline float exp(float x) {
  float xc = x < -87.33f ? -87.33f : (x > 88.72f ? 88.72f : x);
  xc = x != x ? 0.0f : xc;
  // Round to nearest with the 1.5 * 2^23 trick (vectorizes without SSE4.1 rounding instructions).
  const float magic = 12582912.0f;
  const float n = (xc * 1.44269504088896341f + magic) - magic;  // in [-126, 128]
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^(n-1) (biased exponent n + 126 in [0, 254]), times 2.
  const float half_scale = bits_to_float(static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(n) + 126) << 23));
  float y = (p * half_scale) * 2.0f;
  y = x > 88.72f ? INFINITY : y;
  y = x < -87.33f ? 0.0f : y;
  return x != x ? x : y;
}

// erfc(x) with relative error below ~2e-7 everywhere (Numerical Recipes' Chebyshev fit, "erfcc").
inline float erfc(float x) {
  const float z = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.5f * z);
  const float poly =
      -z * z - 1.26551223f +
      t * (1.00002368f +
           t * (0.37409196f +
                t * (0.09678418f +
                     t * (-0.18628806f +
                          t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  const float r = t * vec::exp(poly);
  return x >= 0.0f ? r : 2.0f - r;
}

// Gelu (exact): x * Phi(x) = 0.5 x erfc(-x / sqrt 2), accurate in relative terms for negative x too.
inline float gelu(float x) { return 0.5f * x * vec::erfc(-x * 0.70710678118654752f); }

// Gelu (tanh approximation): 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)), u = sqrt(2/pi) (x + 0.044715 x^3).
inline float gelu_tanh(float x) {
  const float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return x / (1.0f + vec::exp(-2.0f * u));
}

inline float sigmoid(float x) { return 1.0f / (1.0f + vec::exp(-x)); }

}  // namespace onyx::cpu::vec
