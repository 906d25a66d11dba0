#include <cmath>
#include <functional>
#include <limits>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

std::vector<float> ramp(size_t n, float a, float b) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = std::sin(a * static_cast<float>(i) + b);
  return v;
}

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

// Straightforward attention over 4-D [B, H, S, D] float vectors, written from the spec's formulas:
// p = softmax(softcap(scale * q.k) + bias), y = sum_j p_j v_j; bias(b, h, i, j) from `bias_fn`.
struct Ref {
  int64_t B, Hq, Hkv, Sq, T, E, Ev;
  std::vector<float> q, k, v;  // k, v already include any past
  double scale, softcap = 0;
  std::function<double(int64_t, int64_t, int64_t, int64_t)> bias_fn = [](int64_t, int64_t, int64_t, int64_t) {
    return 0.0;
  };
  std::vector<double> run() const {
    std::vector<double> y;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < Hq; ++h) {
        const int64_t hk = h * Hkv / Hq;
        for (int64_t i = 0; i < Sq; ++i) {
          std::vector<double> s(static_cast<size_t>(T));
          double mx = -std::numeric_limits<double>::infinity();
          for (int64_t j = 0; j < T; ++j) {
            double dot = 0;
            for (int64_t e = 0; e < E; ++e)
              dot += q[static_cast<size_t>(((b * Hq + h) * Sq + i) * E + e)] *
                     k[static_cast<size_t>(((b * Hkv + hk) * T + j) * E + e)];
            dot *= scale;
            if (softcap > 0) dot = softcap * std::tanh(dot / softcap);
            s[static_cast<size_t>(j)] = dot + bias_fn(b, h, i, j);
            mx = std::max(mx, s[static_cast<size_t>(j)]);
          }
          double sum = 0;
          for (double& x : s) sum += (x = std::exp(x - mx));
          for (int64_t e = 0; e < Ev; ++e) {
            double acc = 0;
            for (int64_t j = 0; j < T; ++j)
              acc += s[static_cast<size_t>(j)] / sum * v[static_cast<size_t>(((b * Hkv + hk) * T + j) * Ev + e)];
            y.push_back(acc);
          }
        }
      }
    return y;
  }
};

TEST(Attention, HandComputedSingleQuery) {
  // scores [0, ln 3] → weights 1/4, 3/4 → y = 3/4 * 4.
  test::SingleOp op{.op_type = "Attention",
                    .opset = 23,
                    .inputs = {f32({1, 1, 1, 1}, {1}), f32({1, 1, 2, 1}, {0, std::log(3.0f)}), f32({1, 1, 2, 1}, {0, 4})},
                    .attributes = {test::attr_float("scale", 1)}};
  expect_near(op.run()[0], {3});
}

TEST(Attention, GroupedHeadsDefaultScaleAndFloatMask) {
  const int64_t B = 2, Hq = 4, Hkv = 2, Sq = 3, T = 5, E = 4, Ev = 3;
  Ref r{B, Hq, Hkv, Sq, T, E, Ev, ramp(B * Hq * Sq * E, 0.7f, 0.1f), ramp(B * Hkv * T * E, 0.3f, 0.5f),
        ramp(B * Hkv * T * Ev, 1.1f, 0.2f), 0.5};
  const std::vector<float> mask = ramp(Sq * T, 0.9f, 0.3f);  // [Sq, T] broadcast over batch and heads
  r.bias_fn = [&](int64_t, int64_t, int64_t i, int64_t j) { return mask[static_cast<size_t>(i * T + j)]; };
  test::SingleOp op{.op_type = "Attention",
                    .opset = 23,
                    .inputs = {f32({B, Hq, Sq, E}, r.q), f32({B, Hkv, T, E}, r.k), f32({B, Hkv, T, Ev}, r.v),
                               f32({Sq, T}, mask)}};
  expect_near(op.run()[0], r.run());
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,4,3,3]");
}

TEST(Attention, CausalBoolMaskAndSoftcapAppliedBeforeTheMask) {
  const int64_t B = 1, H = 2, S = 4, E = 3;
  Ref r{B, H, H, S, S, E, E, ramp(B * H * S * E, 0.4f, 0.0f), ramp(B * H * S * E, 0.8f, 1.0f),
        ramp(B * H * S * E, 0.5f, 2.0f), 1.0 / std::sqrt(3.0), 0.8};
  const double ninf = -std::numeric_limits<double>::infinity();
  // bool mask [1, S]: key 1 hidden everywhere; causal hides j > i.
  r.bias_fn = [&](int64_t, int64_t, int64_t i, int64_t j) { return (j == 1 || j > i) ? ninf : 0.0; };
  Tensor mask = Tensor::from_vector<bool>({1, S}, {true, false, true, true});
  test::SingleOp op{.op_type = "Attention",
                    .opset = 23,
                    .inputs = {f32({B, H, S, E}, r.q), f32({B, H, S, E}, r.k), f32({B, H, S, E}, r.v), mask},
                    .attributes = {test::attr_int("is_causal", 1), test::attr_float("softcap", 0.8f)}};
  expect_near(op.run()[0], r.run());
}

TEST(Attention, ThreeDimensionalInputsAndPastKeyValue) {
  const int64_t B = 1, Hq = 2, Hkv = 1, Sq = 2, Skv = 2, P = 3, E = 2, Ev = 2, T = P + Skv;
  const std::vector<float> q4 = ramp(B * Hq * Sq * E, 0.6f, 0.2f);
  const std::vector<float> k_new = ramp(B * Skv * Hkv * E, 0.9f, 0.7f), v_new = ramp(B * Skv * Hkv * Ev, 0.2f, 1.3f);
  const std::vector<float> pk = ramp(B * Hkv * P * E, 1.7f, 0.4f), pv = ramp(B * Hkv * P * Ev, 0.35f, 0.9f);
  // 3-D Q is [B, Sq, Hq*E]: build it from the 4-D values.
  std::vector<float> q3(q4.size());
  for (int64_t h = 0; h < Hq; ++h)
    for (int64_t s = 0; s < Sq; ++s)
      for (int64_t e = 0; e < E; ++e) q3[static_cast<size_t>((s * Hq + h) * E + e)] = q4[static_cast<size_t>((h * Sq + s) * E + e)];
  std::vector<float> k = pk, v = pv;  // Hkv = 1: 3-D and 4-D layouts agree
  k.insert(k.end(), k_new.begin(), k_new.end());
  v.insert(v.end(), v_new.begin(), v_new.end());
  Ref r{B, Hq, Hkv, Sq, T, E, Ev, q4, k, v, 1.0 / std::sqrt(2.0)};
  const double ninf = -std::numeric_limits<double>::infinity();
  r.bias_fn = [&](int64_t, int64_t, int64_t i, int64_t j) { return j > i + P ? ninf : 0.0; };  // causal after past
  test::SingleOp op{.op_type = "Attention",
                    .opset = 23,
                    .inputs = {f32({B, Sq, Hq * E}, q3), f32({B, Skv, Hkv * E}, k_new), f32({B, Skv, Hkv * Ev}, v_new),
                               Tensor(), f32({B, Hkv, P, E}, pk), f32({B, Hkv, P, Ev}, pv)},
                    .attributes = {test::attr_int("q_num_heads", Hq), test::attr_int("kv_num_heads", Hkv),
                                   test::attr_int("is_causal", 1)},
                    .num_outputs = 3};
  auto out = op.run();
  const std::vector<double> y4 = r.run();
  std::vector<double> y3(y4.size());
  for (int64_t h = 0; h < Hq; ++h)
    for (int64_t s = 0; s < Sq; ++s)
      for (int64_t e = 0; e < Ev; ++e) y3[static_cast<size_t>((s * Hq + h) * Ev + e)] = y4[static_cast<size_t>((h * Sq + s) * Ev + e)];
  ASSERT_EQ(out[0].dims(), (std::vector<int64_t>{B, Sq, Hq * Ev}));
  expect_near(out[0], y3);
  EXPECT_EQ(test::values<float>(out[1]), k);
  EXPECT_EQ(test::values<float>(out[2]), v);
  const auto types = op.infer();
  EXPECT_EQ(types[0].to_string(), "float32[1,2,4]");
  EXPECT_EQ(types[1].to_string(), "float32[1,1,5,2]");
}

TEST(Attention, ShortMaskIsPaddedAndQkOutputModes) {
  const int64_t S = 2, T = 3, E = 1;
  const std::vector<float> q = {1, 2}, k = {0.5f, -1, 2}, v = {1, 2, 3};
  const std::vector<float> mask = {0.25f, -0.5f, 1, 0};  // [S, 2]: the third key is padded with -inf
  auto make = [&](int64_t mode) {
    return test::SingleOp{.op_type = "Attention",
                          .opset = 23,
                          .inputs = {f32({1, 1, S, E}, q), f32({1, 1, T, E}, k), f32({1, 1, T, E}, v), f32({S, 2}, mask)},
                          .attributes = {test::attr_float("scale", 1), test::attr_int("qk_matmul_output_mode", mode)},
                          .num_outputs = 4};
  };
  const auto qk = make(0).run()[3];
  expect_near(qk, {0.5, -1, 2, 1, -2, 4});
  const auto with_mask = make(1).run()[3];
  EXPECT_FLOAT_EQ(with_mask.data<float>()[0], 0.75f);
  EXPECT_TRUE(std::isinf(with_mask.data<float>()[2]));
  const auto probs = make(3).run()[3];
  const double p0 = std::exp(0.75), p1 = std::exp(-1.5);
  EXPECT_NEAR(probs.data<float>()[0], p0 / (p0 + p1), 1e-6);
  EXPECT_EQ(probs.data<float>()[2], 0.0f);
}

TEST(Attention, RejectsInconsistentInputs) {
  test::SingleOp op{.op_type = "Attention",
                    .opset = 23,
                    .inputs = {f32({1, 3, 1, 2}, {1, 2, 3, 4, 5, 6}), f32({1, 2, 1, 2}, {1, 2, 3, 4}),
                               f32({1, 2, 1, 2}, {1, 2, 3, 4})}};
  EXPECT_THROW(op.run(), Error);  // 3 q heads over 2 kv heads
  op.inputs = {f32({1, 2, 3}, {1, 2, 3, 4, 5, 6}), f32({1, 2, 3}, {1, 2, 3, 4, 5, 6}), f32({1, 2, 3}, {1, 2, 3, 4, 5, 6})};
  EXPECT_THROW(op.run(), Error);  // 3-D without head counts
  op.inputs = {f32({1, 1, 1, 2}, {1, 2}), f32({1, 1, 1, 2}, {1, 2}), f32({1, 1, 1, 2}, {1, 2}), f32({1, 1, 1, 2}, {0, 0})};
  EXPECT_THROW(op.run(), Error);  // mask longer than the key sequence
}

}  // namespace
}  // namespace onyx
