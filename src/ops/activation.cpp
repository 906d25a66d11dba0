// Activation functions: Relu LeakyRelu Elu Selu Celu Sigmoid Tanh HardSigmoid HardSwish Softplus Softsign ThresholdedRelu
// Shrink Gelu Mish.
//
// Versions that only widen dtype lists or drop `consumed_inputs` share one registration; Selu-1 differs (other
// default alpha/gamma) and has its own. Sigmoid and Softplus use overflow-free forms; NaN propagates everywhere.
#include <cmath>
#include <string>

#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;
using elementwise::run_unary_same;

// Relu-14 adds signed integers; unsigned ones are not allowed (Relu would be the identity).
void run_relu(KernelContext& ctx) {
  run_unary_same<Family::kSignedNumeric>(ctx, [](auto x) {
    using C = decltype(x);
    return x < C(0) ? C(0) : x;
  });
}

void run_leaky_relu(KernelContext& ctx) {
  const double alpha = ctx.node().attr_float("alpha", 0.01f);
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    return x < C(0) ? C(alpha) * x : x;
  });
}

void run_elu(KernelContext& ctx) {
  const double alpha = ctx.node().attr_float("alpha", 1.0f);
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    return x < C(0) ? C(alpha) * std::expm1(x) : x;
  });
}

// Defaults passed as arguments, not float template parameters (which clang 14, used for build-asan, lacks).
void run_selu(KernelContext& ctx, float default_alpha, float default_gamma) {
  const double alpha = ctx.node().attr_float("alpha", default_alpha);
  const double gamma = ctx.node().attr_float("gamma", default_gamma);
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    return x > C(0) ? C(gamma) * x : C(gamma) * (C(alpha) * std::exp(x) - C(alpha));
  });
}
void run_selu_v1(KernelContext& ctx) { run_selu(ctx, 1.673200011253357f, 1.0506999492645264f); }
void run_selu_v6(KernelContext& ctx) { run_selu(ctx, 1.67326319217681884765625f, 1.05070102214813232421875f); }

void run_celu(KernelContext& ctx) {
  const double alpha = ctx.node().attr_float("alpha", 1.0f);
  if (alpha == 0) ctx.fail("alpha must not be 0");
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    const C a = C(alpha);
    return x > C(0) ? x : a * std::expm1(x / a);
  });
}

void run_sigmoid(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) {
    using C = decltype(x);
    if (x >= C(0)) return C(1) / (C(1) + std::exp(-x));
    const C e = std::exp(x);
    return e / (C(1) + e);
  });
}

void run_tanh(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::tanh(x); });
}

void run_hard_sigmoid(KernelContext& ctx) {
  const double alpha = ctx.node().attr_float("alpha", 0.2f);
  const double beta = ctx.node().attr_float("beta", 0.5f);
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    const C y = C(alpha) * x + C(beta);
    return y < C(0) ? C(0) : (y > C(1) ? C(1) : y);
  });
}

// HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 0.5.
void run_hard_swish(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) {
    using C = decltype(x);
    const C y = x / C(6) + C(0.5);
    return x * (y < C(0) ? C(0) : (y > C(1) ? C(1) : y));
  });
}

// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^-|x|)
template <typename C>
C softplus(C x) {
  if (std::isnan(x)) return x;
  return (x > C(0) ? x : C(0)) + std::log1p(std::exp(-std::abs(x)));
}

void run_softplus(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return softplus(x); });
}

void run_softsign(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) {
    using C = decltype(x);
    return x / (C(1) + std::abs(x));
  });
}

void run_thresholded_relu(KernelContext& ctx) {
  const double alpha = ctx.node().attr_float("alpha", 1.0f);
  run_unary_same<Family::kFloat>(ctx, [&](auto x) {
    using C = decltype(x);
    return x > C(alpha) || std::isnan(x) ? x : C(0);
  });
}

// Shrink accepts integers too: computed in double, converted back with truncation (saturating at the type's range).
void run_shrink(KernelContext& ctx) {
  const double lambd = ctx.node().attr_float("lambd", 0.5f);
  const double bias = ctx.node().attr_float("bias", 0.0f);
  run_unary_same<Family::kNumeric>(ctx, [&](auto x) {
    using C = decltype(x);
    if constexpr (std::is_floating_point_v<C>) {
      return x < C(-lambd) ? x + C(bias) : (x > C(lambd) ? x - C(bias) : (std::isnan(x) ? x : C(0)));
    } else {
      const double v = static_cast<double>(x);
      return elementwise::saturate_cast<C>(v < -lambd ? v + bias : (v > lambd ? v - bias : 0.0));
    }
  });
}

void infer_gelu(InferContext& ctx) {
  const std::string approx = ctx.node().attr_string("approximate", "none");
  if (approx != "none" && approx != "tanh") ctx.fail("approximate must be \"none\" or \"tanh\", got \"", approx, "\"");
  elementwise::infer_unary_same<Family::kFloat>(ctx);
}

void run_gelu(KernelContext& ctx) {
  const std::string approx = ctx.node().attr_string("approximate", "none");
  if (approx == "none") {
    run_unary_same<Family::kFloat>(ctx, [](auto x) {
      using C = decltype(x);
      return C(0.5) * x * (C(1) + std::erf(x * C(0.70710678118654752440)));
    });
  } else if (approx == "tanh") {
    run_unary_same<Family::kFloat>(ctx, [](auto x) {
      using C = decltype(x);
      const C k = C(0.79788456080286535588);  // sqrt(2/pi)
      return C(0.5) * x * (C(1) + std::tanh(k * (x + C(0.044715) * x * x * x)));
    });
  } else {
    ctx.fail("approximate must be \"none\" or \"tanh\", got \"", approx, "\"");
  }
}

void run_mish(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return x * std::tanh(softplus(x)); });
}

}  // namespace

#define ONYX_ACTIVATION(NAME, VERSION, FAMILY, RUN)                                                               \
  ONYX_REGISTER_OP({.op_type = NAME, .since_version = VERSION, .inputs = {1, 1},                                  \
                    .infer = elementwise::infer_unary_same<Family::FAMILY>, .run = RUN})

ONYX_ACTIVATION("Relu", 1, kSignedNumeric, run_relu);
ONYX_ACTIVATION("LeakyRelu", 1, kFloat, run_leaky_relu);
ONYX_ACTIVATION("Elu", 1, kFloat, run_elu);
ONYX_ACTIVATION("Selu", 1, kFloat, run_selu_v1);
ONYX_ACTIVATION("Selu", 6, kFloat, run_selu_v6);
ONYX_ACTIVATION("Celu", 12, kFloat, run_celu);
ONYX_ACTIVATION("Sigmoid", 1, kFloat, run_sigmoid);
ONYX_ACTIVATION("Tanh", 1, kFloat, run_tanh);
ONYX_ACTIVATION("HardSigmoid", 1, kFloat, run_hard_sigmoid);
ONYX_ACTIVATION("HardSwish", 14, kFloat, run_hard_swish);
ONYX_ACTIVATION("Softplus", 1, kFloat, run_softplus);
ONYX_ACTIVATION("Softsign", 1, kFloat, run_softsign);
ONYX_ACTIVATION("ThresholdedRelu", 10, kFloat, run_thresholded_relu);
ONYX_ACTIVATION("Shrink", 9, kNumeric, run_shrink);
ONYX_ACTIVATION("Mish", 18, kFloat, run_mish);
#undef ONYX_ACTIVATION

ONYX_REGISTER_OP({.op_type = "Gelu", .since_version = 20, .inputs = {1, 1}, .infer = infer_gelu, .run = run_gelu});

}  // namespace onyx
