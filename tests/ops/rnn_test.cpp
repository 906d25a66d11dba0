#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-5) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

Attribute strs(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}

TEST(Rnn, ForwardMatchesHandComputation) {
  // I = H = 1: h_t = tanh(w x_t + r h_{t-1} + wb + rb)
  test::SingleOp op{.op_type = "RNN",
                    .opset = 14,
                    .inputs = {f32({2, 1, 1}, {1, 2}), f32({1, 1, 1}, {2}), f32({1, 1, 1}, {0.5f}),
                               f32({1, 2}, {0.1f, 0.2f})},
                    .attributes = {test::attr_int("hidden_size", 1)},
                    .num_outputs = 2};
  const double h1 = std::tanh(2 * 1 + 0.3), h2 = std::tanh(2 * 2 + 0.5 * h1 + 0.3);
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 1, 1, 1}));
  expect_near(out[0], {h1, h2});
  expect_near(out[1], {h2});
}

TEST(Rnn, ActivationAlphaBetaAreConsumedInOrder) {
  // Bidirectional with [LeakyRelu, ScaledTanh]: LeakyRelu takes alpha[0]; ScaledTanh takes alpha[1], beta[0].
  test::SingleOp op{.op_type = "RNN",
                    .inputs = {f32({1, 1, 1}, {-1}), f32({2, 1, 1}, {1, 1}), f32({2, 1, 1}, {0, 0})},
                    .attributes = {test::attr_int("hidden_size", 1), test::attr_string("direction", "bidirectional"),
                                   test::attr_floats("activation_alpha", {0.25f, 2.0f}),
                                   test::attr_floats("activation_beta", {3.0f}),
                                   strs("activations", {"LeakyRelu", "ScaledTanh"})},
                    .num_outputs = 2};
  auto out = op.run();
  expect_near(out[1], {-0.25, 2.0 * std::tanh(3.0 * -1)});
}

TEST(Rnn, SequenceLensStopsEachBatchAndReverseStartsAtItsEnd) {
  // Reverse direction, batch 2 with lengths 3 and 1, identity-like weights: h_t = relu(x_t + h_{t+1}).
  const Attribute acts = strs("activations", {"Relu"});
  test::SingleOp op{.op_type = "RNN",
                    .inputs = {f32({3, 2, 1}, {1, 10, 2, 20, 3, 30}), f32({1, 1, 1}, {1}), f32({1, 1, 1}, {1}),
                               Tensor(), Tensor::from_vector<int32_t>({2}, {3, 1})},
                    .attributes = {test::attr_int("hidden_size", 1), test::attr_string("direction", "reverse"), acts},
                    .num_outputs = 2};
  auto out = op.run();
  // batch 0: t=2: 3, t=1: 5, t=0: 6. batch 1: only t=0: 10; later steps stay 0.
  expect_near(out[0], {6, 10, 5, 0, 3, 0});
  expect_near(out[1], {6, 10});
}

TEST(Gru, LinearBeforeResetBothWays) {
  // I = H = 1, gates z, r, h; W = [wz, wr, wh], R = [rz, rr, rh], B = [Wb..., Rb...]; initial h0.
  const float wz = 0.3f, wr = -0.4f, wh = 0.8f, rz = 0.5f, rr = 0.6f, rh = -0.7f;
  const std::vector<float> b = {0.1f, 0.2f, 0.3f, 0.05f, -0.1f, 0.15f};
  const double x = 1.5, h0 = 0.4;
  const double z = sigmoid(wz * x + rz * h0 + b[0] + b[3]);
  const double r = sigmoid(wr * x + rr * h0 + b[1] + b[4]);
  const double hh0 = std::tanh(wh * x + rh * (r * h0) + b[5] + b[2]);
  const double hh1 = std::tanh(wh * x + r * (rh * h0 + b[5]) + b[2]);
  for (int lbr : {0, 1}) {
    test::SingleOp op{.op_type = "GRU",
                      .opset = 7,
                      .inputs = {f32({1, 1, 1}, {1.5f}), f32({1, 3, 1}, {wz, wr, wh}), f32({1, 3, 1}, {rz, rr, rh}),
                                 f32({1, 6}, b), Tensor(), f32({1, 1, 1}, {0.4f})},
                      .attributes = {test::attr_int("hidden_size", 1), test::attr_int("linear_before_reset", lbr)},
                      .num_outputs = 2};
    const double hh = lbr ? hh1 : hh0;
    expect_near(op.run()[1], {(1 - z) * hh + z * h0});
  }
}

TEST(Gru, Opset1AcceptsItsMisspelledDefaultDirection) {
  test::SingleOp op{.op_type = "GRU",
                    .opset = 1,
                    .inputs = {f32({1, 1, 1}, {1}), f32({1, 3, 1}, {0, 0, 0}), f32({1, 3, 1}, {0, 0, 0})},
                    .attributes = {test::attr_int("hidden_size", 1), test::attr_string("direction", "foward")},
                    .num_outputs = 2};
  // z = 0.5, h~ = 0 → H = 0.
  expect_near(op.run()[1], {0});
}

TEST(Lstm, PeepholesInputForgetAndClip) {
  // I = H = 1, gates i, o, f, c; peepholes P = [pi, po, pf].
  const float wi = 0.5f, wo = -0.3f, wf = 0.9f, wc = 1.2f, ri = 0.2f, ro = 0.4f, rf = -0.6f, rc = 0.7f;
  const float pi = 0.3f, po = -0.2f, pf = 0.5f;
  const double x = 2.0, h0 = 0.5, c0 = -0.3, clip = 1.0;
  auto cl = [&](double v) { return std::clamp(v, -clip, clip); };
  for (int input_forget : {0, 1}) {
    const double i = sigmoid(cl(wi * x + ri * h0 + pi * c0));
    const double f = input_forget ? 1 - i : sigmoid(cl(wf * x + rf * h0 + pf * c0));
    const double c = std::tanh(cl(wc * x + rc * h0));
    const double ct = f * c0 + i * c;
    const double o = sigmoid(cl(wo * x + ro * h0 + po * ct));
    const double ht = o * std::tanh(ct);
    test::SingleOp op{.op_type = "LSTM",
                      .opset = 14,
                      .inputs = {f32({1, 1, 1}, {2}), f32({1, 4, 1}, {wi, wo, wf, wc}), f32({1, 4, 1}, {ri, ro, rf, rc}),
                                 Tensor(), Tensor(), f32({1, 1, 1}, {0.5f}), f32({1, 1, 1}, {-0.3f}),
                                 f32({1, 3}, {pi, po, pf})},
                      .attributes = {test::attr_int("hidden_size", 1), test::attr_int("input_forget", input_forget),
                                     test::attr_float("clip", 1.0f)},
                      .num_outputs = 3};
    auto out = op.run();
    expect_near(out[0], {ht});
    expect_near(out[1], {ht});
    expect_near(out[2], {ct});
  }
}

// Layout 1 is layout 0 with batch and sequence (and batch and direction) swapped.
TEST(Lstm, Layout1IsTransposedLayout0) {
  const int64_t S = 3, B = 2, I = 2, H = 2, D = 2;
  std::vector<float> x0(static_cast<size_t>(S * B * I)), w(static_cast<size_t>(D * 4 * H * I)),
      r(static_cast<size_t>(D * 4 * H * H)), h0(static_cast<size_t>(D * B * H));
  for (size_t i = 0; i < x0.size(); ++i) x0[i] = std::sin(0.7f * static_cast<float>(i));
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.3f * static_cast<float>(i));
  for (size_t i = 0; i < r.size(); ++i) r[i] = 0.5f * std::sin(1.1f * static_cast<float>(i));
  for (size_t i = 0; i < h0.size(); ++i) h0[i] = 0.1f * static_cast<float>(i);
  std::vector<float> x1(x0.size()), h1(h0.size());
  for (int64_t s = 0; s < S; ++s)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < I; ++i) x1[static_cast<size_t>((b * S + s) * I + i)] = x0[static_cast<size_t>((s * B + b) * I + i)];
  for (int64_t d = 0; d < D; ++d)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) h1[static_cast<size_t>((b * D + d) * H + j)] = h0[static_cast<size_t>((d * B + b) * H + j)];
  const Tensor lens = Tensor::from_vector<int32_t>({B}, {3, 2});
  auto make = [&](int layout) {
    return test::SingleOp{
        .op_type = "LSTM",
        .opset = 14,
        .inputs = {layout ? f32({B, S, I}, x1) : f32({S, B, I}, x0), f32({D, 4 * H, I}, w), f32({D, 4 * H, H}, r),
                   Tensor(), lens, layout ? f32({B, D, H}, h1) : f32({D, B, H}, h0)},
        .attributes = {test::attr_int("hidden_size", H), test::attr_string("direction", "bidirectional"),
                       test::attr_int("layout", layout)},
        .num_outputs = 3};
  };
  auto a = make(0).run(), b = make(1).run();
  ASSERT_EQ(b[0].dims(), (std::vector<int64_t>{B, S, D, H}));
  ASSERT_EQ(b[1].dims(), (std::vector<int64_t>{B, D, H}));
  for (int64_t s = 0; s < S; ++s)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t bb = 0; bb < B; ++bb)
        for (int64_t j = 0; j < H; ++j)
          EXPECT_FLOAT_EQ(a[0].data<float>()[((s * D + d) * B + bb) * H + j],
                          b[0].data<float>()[((bb * S + s) * D + d) * H + j]);
  for (int64_t d = 0; d < D; ++d)
    for (int64_t bb = 0; bb < B; ++bb)
      for (int64_t j = 0; j < H; ++j) {
        EXPECT_FLOAT_EQ(a[1].data<float>()[(d * B + bb) * H + j], b[1].data<float>()[(bb * D + d) * H + j]);
        EXPECT_FLOAT_EQ(a[2].data<float>()[(d * B + bb) * H + j], b[2].data<float>()[(bb * D + d) * H + j]);
      }
  // Batch 1 has length 2: its step 2 outputs are zero in both directions.
  for (int64_t d = 0; d < D; ++d)
    for (int64_t j = 0; j < H; ++j) EXPECT_EQ(a[0].data<float>()[((2 * D + d) * B + 1) * H + j], 0.0f);
  EXPECT_EQ(make(1).infer()[0].to_string(), "float32[2,3,2,2]");
}

TEST(Rnn, Float16ComputesLikeFloat) {
  auto h = [](std::vector<int64_t> d, std::vector<float> v) {
    std::vector<Float16> o;
    for (float f : v) o.emplace_back(f);
    return Tensor::from_vector<Float16>(std::move(d), o);
  };
  test::SingleOp op{.op_type = "RNN",
                    .inputs = {h({2, 1, 1}, {1, 2}), h({1, 1, 1}, {0.5f}), h({1, 1, 1}, {0.25f})},
                    .attributes = {test::attr_int("hidden_size", 1)}};
  auto out = op.run();
  ASSERT_EQ(out[0].dtype(), DType::kFloat16);
  const double h1 = std::tanh(0.5), h2 = std::tanh(1.0 + 0.25 * h1);
  expect_near(out[0], {h1, h2}, 2e-3);
}

TEST(Rnn, RejectsBadShapesAndAttributes) {
  test::SingleOp op{.op_type = "RNN",
                    .inputs = {f32({2, 1, 3}, {1, 2, 3, 4, 5, 6}), f32({1, 2, 2}, {1, 1, 1, 1}), f32({1, 2, 2}, {0, 0, 0, 0})},
                    .attributes = {test::attr_int("hidden_size", 2)}};
  EXPECT_THROW(op.run(), Error);  // W's input size 2 != X's 3
  op.inputs[1] = f32({1, 2, 3}, {1, 1, 1, 1, 1, 1});
  EXPECT_NO_THROW(op.run());
  op.attributes.push_back(test::attr_string("direction", "sideways"));
  EXPECT_THROW(op.run(), Error);
  op.attributes.back() = strs("activations", {"Bogus"});
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
