// Unary elementwise math: Abs Neg Reciprocal Sqrt Exp Log Floor Ceil Round Sign, the trigonometric and hyperbolic
// functions, Erf, IsNaN, IsInf and Not.
//
// Later versions of these ops (6, 13, 22, ...) only widen the dtype lists or drop the legacy `consumed_inputs`
// attribute, so each is registered once, at the version that introduced it; the kernels accept every dtype any
// version allows. float16/bfloat16 compute in float32 and round once. Integer Abs/Neg of the most negative value
// wraps (two's complement) instead of overflowing.
#include <cmath>

#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;
using elementwise::run_unary_same;

template <typename C>
constexpr bool kIsFloat = std::is_floating_point_v<C>;

void run_abs(KernelContext& ctx) {
  run_unary_same<Family::kNumeric>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (kIsFloat<C>) return std::abs(x);
    else if constexpr (std::is_unsigned_v<C>) return x;
    else return x < 0 ? elementwise::wrapping_neg(x) : x;
  });
}

void run_neg(KernelContext& ctx) {
  run_unary_same<Family::kSignedNumeric>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (kIsFloat<C>) return -x;
    else if constexpr (std::is_signed_v<C>) return elementwise::wrapping_neg(x);
    else return x;  // unreachable: unsigned inputs are rejected before dispatch
  });
}

void run_reciprocal(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return decltype(x)(1) / x; });
}
void run_sqrt(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::sqrt(x); });
}
void run_exp(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::exp(x); });
}
void run_log(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::log(x); });
}
void run_floor(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::floor(x); });
}
void run_ceil(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::ceil(x); });
}
// Halves round to the nearest even integer: nearbyint under the default (to-nearest) rounding mode.
void run_round(KernelContext& ctx) {
  run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::nearbyint(x); });
}

void run_sign(KernelContext& ctx) {
  run_unary_same<Family::kNumeric>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (kIsFloat<C>) {
      if (std::isnan(x)) return x;
      return static_cast<C>((x > 0) - (x < 0));
    } else if constexpr (std::is_unsigned_v<C>) {
      return static_cast<C>(x > 0);
    } else {
      return static_cast<C>((x > 0) - (x < 0));
    }
  });
}

void run_sin(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::sin(x); }); }
void run_cos(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::cos(x); }); }
void run_tan(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::tan(x); }); }
void run_asin(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::asin(x); }); }
void run_acos(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::acos(x); }); }
void run_atan(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::atan(x); }); }
void run_sinh(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::sinh(x); }); }
void run_cosh(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::cosh(x); }); }
void run_asinh(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::asinh(x); }); }
void run_acosh(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::acosh(x); }); }
void run_atanh(KernelContext& ctx) { run_unary_same<Family::kFloat>(ctx, [](auto x) { return std::atanh(x); }); }

// Erf-9 also accepts integers: erf of an integer is 0 or ±1 after truncation toward zero (|erf| < 1 except at ±inf).
void run_erf(KernelContext& ctx) {
  run_unary_same<Family::kNumeric>(ctx, [](auto x) {
    using C = decltype(x);
    if constexpr (kIsFloat<C>) return std::erf(x);
    else return static_cast<C>(std::erf(static_cast<double>(x)));
  });
}

void run_not(KernelContext& ctx) {
  run_unary_same<Family::kBool>(ctx, [](bool x) { return !x; });
}

// ---- IsNaN / IsInf: float → bool ---------------------------------------------------------------------------------

void infer_float_to_bool(InferContext& ctx) {
  elementwise::check_dtype(ctx.node(), "input", elementwise::known_dtype(ctx, 0), Family::kFloat);
  const TypeInfo& t = ctx.input_type(0);
  ctx.set_output(0, DType::kBool, t.kind == TypeInfo::Kind::kTensor ? t.shape : Shape::unknown_rank());
}

template <typename Pred>
void run_float_to_bool(KernelContext& ctx, const Pred& pred) {
  const Tensor& x = ctx.input(0);
  elementwise::check_dtype(ctx.node(), "input", x.dtype(), Family::kFloat);
  Tensor out(DType::kBool, x.dims());
  dispatch_float(x.dtype(), ctx.node().op_type, [&]<typename T>() {
    elementwise::unary_kernel<T, bool>(x, out, [&](compute_t<T> v) { return pred(v); });
  });
  ctx.set_output(0, std::move(out));
}

void run_isnan(KernelContext& ctx) {
  run_float_to_bool(ctx, [](auto v) { return std::isnan(v); });
}

void run_isinf(KernelContext& ctx) {
  const bool neg = ctx.node().attr_int("detect_negative", 1) != 0;
  const bool pos = ctx.node().attr_int("detect_positive", 1) != 0;
  run_float_to_bool(ctx, [&](auto v) { return std::isinf(v) && (v > 0 ? pos : neg); });
}

}  // namespace

#define ONYX_UNARY(NAME, VERSION, FAMILY, RUN)                                                                    \
  ONYX_REGISTER_OP({.op_type = NAME, .since_version = VERSION, .inputs = {1, 1},                                  \
                    .infer = elementwise::infer_unary_same<Family::FAMILY>, .run = RUN})

ONYX_UNARY("Abs", 1, kNumeric, run_abs);
ONYX_UNARY("Neg", 1, kSignedNumeric, run_neg);
ONYX_UNARY("Reciprocal", 1, kFloat, run_reciprocal);
ONYX_UNARY("Sqrt", 1, kFloat, run_sqrt);
ONYX_UNARY("Exp", 1, kFloat, run_exp);
ONYX_UNARY("Log", 1, kFloat, run_log);
ONYX_UNARY("Floor", 1, kFloat, run_floor);
ONYX_UNARY("Ceil", 1, kFloat, run_ceil);
ONYX_UNARY("Round", 11, kFloat, run_round);
ONYX_UNARY("Sign", 9, kNumeric, run_sign);
ONYX_UNARY("Sin", 7, kFloat, run_sin);
ONYX_UNARY("Cos", 7, kFloat, run_cos);
ONYX_UNARY("Tan", 7, kFloat, run_tan);
ONYX_UNARY("Asin", 7, kFloat, run_asin);
ONYX_UNARY("Acos", 7, kFloat, run_acos);
ONYX_UNARY("Atan", 7, kFloat, run_atan);
ONYX_UNARY("Sinh", 9, kFloat, run_sinh);
ONYX_UNARY("Cosh", 9, kFloat, run_cosh);
ONYX_UNARY("Asinh", 9, kFloat, run_asinh);
ONYX_UNARY("Acosh", 9, kFloat, run_acosh);
ONYX_UNARY("Atanh", 9, kFloat, run_atanh);
ONYX_UNARY("Erf", 9, kNumeric, run_erf);
ONYX_UNARY("Not", 1, kBool, run_not);
#undef ONYX_UNARY

ONYX_REGISTER_OP({.op_type = "IsNaN", .since_version = 9, .inputs = {1, 1}, .infer = infer_float_to_bool,
                  .run = run_isnan});
ONYX_REGISTER_OP({.op_type = "IsInf", .since_version = 10, .inputs = {1, 1}, .infer = infer_float_to_bool,
                  .run = run_isinf});

}  // namespace onyx
