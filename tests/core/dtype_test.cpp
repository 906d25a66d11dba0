#include <gtest/gtest.h>

#include <cmath>

#include "onyx/dtype.h"
#include "onyx/tensor.h"

namespace onyx {

TEST(DType, HalfRoundTripsEveryFiniteValue) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const uint16_t h = static_cast<uint16_t>(b);
    const float f = half_bits_to_float(h);
    if (std::isnan(f)) continue;
    EXPECT_EQ(float_to_half_bits(f), h) << "bits " << b;
  }
}

TEST(DType, HalfRoundsToNearestEven) {
  // 1 + 2^-11 is halfway between 1 and the next half (1 + 2^-10): ties go to the even mantissa (1.0).
  EXPECT_EQ(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);
  // 1 + 3*2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even).
  EXPECT_EQ(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(float_to_half_bits(65504.0f), 0x7bff);
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7c00);  // rounds up to infinity
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -26)), 0x0000);
  EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(NAN))));
}

TEST(DType, BFloat16RoundsToNearestEven) {
  EXPECT_EQ(float_to_bfloat16_bits(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + std::ldexp(1.0f, -8)), 0x3f80);      // tie → even
  EXPECT_EQ(float_to_bfloat16_bits(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);  // tie → even (up)
  EXPECT_FLOAT_EQ(bfloat16_bits_to_float(0x4049), 3.140625f);
}

TEST(DType, Float8RoundTrips) {
  for (int b = 0; b < 256; ++b) {
    const float f = e4m3fn_bits_to_float(static_cast<uint8_t>(b));
    if (std::isnan(f)) continue;
    EXPECT_EQ(float_to_e4m3fn_bits(f), b) << b;
    const float g = e5m2_bits_to_float(static_cast<uint8_t>(b));
    if (std::isnan(g) || std::isinf(g)) continue;
    EXPECT_EQ(float_to_e5m2_bits(g), b) << b;
  }
  EXPECT_EQ(e4m3fn_bits_to_float(float_to_e4m3fn_bits(1000.0f)), 448.0f);  // saturates
}

TEST(Tensor, OwnedCopiesShareStorageCloneDoesNot) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = a;
  Tensor c = a.clone();
  a.data<float>()[0] = 9;
  EXPECT_EQ(b.data<float>()[0], 9);
  EXPECT_EQ(c.data<float>()[0], 1);
  EXPECT_THROW(a.data<int64_t>(), Error);
}

TEST(Tensor, RefusesAbsurdSizesBeforeAllocating) {
  EXPECT_THROW(Tensor(DType::kFloat32, {1000000, 1000000, 1000}), Error);
  EXPECT_THROW(Tensor(DType::kFloat32, {-1, 3}), Error);
  EXPECT_THROW(Tensor(DType::kFloat32, {INT64_MAX, 4}), Error);
}

TEST(Tensor, CastFollowsOnnxRules) {
  Tensor f = Tensor::from_vector<float>({4}, {1.5f, -2.7f, 0.0f, 3.0f});
  Tensor i = f.cast(DType::kInt32);
  EXPECT_EQ(i.to_int64_vector(), (std::vector<int64_t>{1, -2, 0, 3}));
  Tensor h = f.cast(DType::kFloat16).cast(DType::kFloat32);
  EXPECT_FLOAT_EQ(h.data<float>()[1], -2.69921875f);
  Tensor s = Tensor::from_vector<std::string>({2}, {"3.5", "-1"}).cast(DType::kFloat32);
  EXPECT_EQ(s.data<float>()[0], 3.5f);
  EXPECT_EQ(s.data<float>()[1], -1.0f);
}

}  // namespace onyx
