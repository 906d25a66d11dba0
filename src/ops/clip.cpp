// Clip: limits each element to [min, max].
//
// Versions: Clip-1/6 take the bounds as float attributes `min`/`max` (absent: unbounded); Clip-11 and later take
// them as optional scalar inputs of the input's dtype (12 adds integer types, 13 bfloat16). When min > max every
// element becomes max (as the spec says). NaN inputs stay NaN.
#include <cmath>
#include <limits>

#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

template <typename T>
void clip_kernel(const Tensor& x, Tensor& out, compute_t<T> lo, compute_t<T> hi) {
  using C = compute_t<T>;
  elementwise::unary_kernel<T, T>(x, out, [lo, hi](C v) {
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
  });
}

// ---- Clip-1 / Clip-6: attributes -----------------------------------------------------------------------------------

void run_clip_attrs(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  elementwise::check_dtype(ctx.node(), "input", x.dtype(), Family::kFloat);
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = ctx.node().has_attr("min") ? ctx.node().attr_float("min", 0) : -inf;
  const double hi = ctx.node().has_attr("max") ? ctx.node().attr_float("max", 0) : inf;
  Tensor out(x.dtype(), x.dims());
  dispatch_float(x.dtype(), "Clip", [&]<typename T>() {
    using C = compute_t<T>;
    clip_kernel<T>(x, out, static_cast<C>(lo), static_cast<C>(hi));
  });
  ctx.set_output(0, std::move(out));
}

// ---- Clip-11+: inputs ----------------------------------------------------------------------------------------------

void infer_clip(InferContext& ctx) {
  const DType t = elementwise::known_dtype(ctx, 0);
  elementwise::check_dtype(ctx.node(), "input", t, Family::kNumeric);
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    elementwise::check_same_dtype(ctx.node(), t, elementwise::known_dtype(ctx, i), "input", i == 1 ? "min" : "max");
    const Shape& s = ctx.input_shape(i);
    if (const auto n = s.numel(); n && *n != 1)
      ctx.fail(i == 1 ? "min" : "max", " must be a scalar, got shape ", s.to_string());
  }
  infer_same_as_input(ctx);
}

void run_clip(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  elementwise::check_dtype(ctx.node(), "input", x.dtype(), Family::kNumeric);
  for (size_t i = 1; i < 3; ++i) {
    if (!ctx.has_input(i)) continue;
    const Tensor& b = ctx.input(i);
    elementwise::check_same_dtype(ctx.node(), x.dtype(), b.dtype(), "input", i == 1 ? "min" : "max");
    if (b.numel() != 1) ctx.fail(i == 1 ? "min" : "max", " must be a scalar, got ", b.describe());
  }
  Tensor out(x.dtype(), x.dims());
  dispatch_numeric(x.dtype(), "Clip", [&]<typename T>() {
    using C = compute_t<T>;
    C lo, hi;
    if constexpr (std::numeric_limits<C>::has_infinity) {
      lo = -std::numeric_limits<C>::infinity();
      hi = std::numeric_limits<C>::infinity();
    } else {
      lo = std::numeric_limits<C>::lowest();
      hi = std::numeric_limits<C>::max();
    }
    if (ctx.has_input(1)) lo = static_cast<C>(ctx.input(1).data<T>()[0]);
    if (ctx.has_input(2)) hi = static_cast<C>(ctx.input(2).data<T>()[0]);
    clip_kernel<T>(x, out, lo, hi);
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Clip", .since_version = 1, .inputs = {1, 1},
                  .infer = elementwise::infer_unary_same<Family::kFloat>, .run = run_clip_attrs});
ONYX_REGISTER_OP({.op_type = "Clip", .since_version = 11, .inputs = {1, 3}, .infer = infer_clip, .run = run_clip});

}  // namespace onyx
