// Arithmetic binary ops: Add Sub Mul Div Pow Mod BitShift, with numpy (multidirectional) broadcasting.
//
// Versions: Add/Sub/Mul/Div/Pow before opset 7 broadcast with the `broadcast`/`axis` attributes (legacy kernel
// path); 7 and later use numpy broadcasting (13/14/15 only add dtypes). Pow-12+ allows the exponent to have another
// numeric dtype than the base; the output has the base's dtype.
//
// Integer results that C++ leaves undefined are defined here (ONNX leaves them undefined too):
//   - overflow in Add/Sub/Mul/Pow wraps (two's complement);
//   - x / 0 == 0 and x mod 0 == 0 for integers (like numpy); INT_MIN / -1 wraps to INT_MIN;
//   - BitShift by >= the bit width gives 0;
//   - Pow of an integer base with a negative integer exponent is 1/base^-e truncated toward zero (0 unless |base| is 1;
//     0^negative gives 0).
// Float division by zero follows IEEE (inf/NaN).
#include <cmath>
#include <string>

#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

// ---- shape-like partial values (Shape → Gather → Mul → Concat → Reshape chains) ----------------------------------

enum class Arith { kAdd, kSub, kMul, kDiv };

// Element i of a 0-D/1-D partial broadcast against a partner of size n.
const Dim& partial_at(const std::vector<Dim>& p, size_t i) { return p.size() == 1 ? p[0] : p[i]; }

void infer_partial(InferContext& ctx, Arith op) {
  const auto* pa = ctx.input_partial(0);
  const auto* pb = ctx.input_partial(1);
  if (!pa || !pb || pa->empty() || pb->empty()) return;
  if (ctx.input_constant(0) && ctx.input_constant(1)) return;  // folded to a constant by the driver
  if (pa->size() != pb->size() && pa->size() != 1 && pb->size() != 1) return;
  const size_t n = std::max(pa->size(), pb->size());
  std::vector<Dim> out;
  for (size_t i = 0; i < n; ++i) {
    const Dim& x = partial_at(*pa, i);
    const Dim& y = partial_at(*pb, i);
    const bool xk = x.is_known(), yk = y.is_known();
    Dim r = Dim::unknown();
    if (xk && yk) {
      const int64_t a = x.value(), b = y.value();
      switch (op) {
        case Arith::kAdd: r = Dim(a + b); break;
        case Arith::kSub: if (a >= b) r = Dim(a - b); break;
        case Arith::kMul: r = Dim(a * b); break;
        case Arith::kDiv: if (b != 0) r = Dim(a / b); break;
      }
    } else if (op == Arith::kAdd && yk && y.value() == 0) {
      r = x;
    } else if (op == Arith::kAdd && xk && x.value() == 0) {
      r = y;
    } else if (op == Arith::kSub && yk && y.value() == 0) {
      r = x;
    } else if (op == Arith::kMul && yk && y.value() == 1) {
      r = x;
    } else if (op == Arith::kMul && xk && x.value() == 1) {
      r = y;
    } else if (op == Arith::kDiv && yk && y.value() == 1) {
      r = x;
    }
    out.push_back(r);
  }
  ctx.set_output_partial(0, std::move(out));
}

// ---- Add / Sub / Mul / Div ---------------------------------------------------------------------------------------

template <Arith Op, bool Legacy>
void infer_arith(InferContext& ctx) {
  elementwise::infer_binary<Family::kNumeric, Legacy>(ctx, DType::kUndefined);
  if (!Legacy) infer_partial(ctx, Op);
}

template <typename C>
C divide(C x, C y) {
  if constexpr (std::is_floating_point_v<C>) {
    return x / y;
  } else {
    if (y == 0) return C(0);
    if constexpr (std::is_signed_v<C>) {
      if (y == C(-1)) return elementwise::wrapping_neg(x);
    }
    return static_cast<C>(x / y);
  }
}

template <Arith Op, bool Legacy>
void run_arith(KernelContext& ctx) {
  elementwise::run_binary<Family::kNumeric, Legacy, void>(ctx, [](auto x, auto y) {
    if constexpr (Op == Arith::kAdd) return elementwise::wrap_add(x, y);
    else if constexpr (Op == Arith::kSub) return elementwise::wrap_sub(x, y);
    else if constexpr (Op == Arith::kMul) return elementwise::wrap_mul(x, y);
    else return divide(x, y);
  });
}

// ---- Pow ---------------------------------------------------------------------------------------------------------

// Integer power by squaring (wrapping on overflow); negative exponents as documented above.
template <typename T>
T int_pow(T base, int64_t e) {
  if (e < 0) {
    if (base == T(1)) return T(1);
    if constexpr (std::is_signed_v<T>) {
      if (base == T(-1)) return (e % 2 == 0) ? T(1) : T(-1);
    }
    return T(0);
  }
  T result = T(1);
  uint64_t n = static_cast<uint64_t>(e);
  while (n) {
    if (n & 1) result = elementwise::wrap_mul(result, base);
    base = elementwise::wrap_mul(base, base);
    n >>= 1;
  }
  return result;
}

template <bool Legacy>
void infer_pow(InferContext& ctx) {
  const DType a = elementwise::known_dtype(ctx, 0);
  const DType b = elementwise::known_dtype(ctx, 1);
  elementwise::check_dtype(ctx.node(), "X", a, Family::kNumeric);
  elementwise::check_dtype(ctx.node(), "Y", b, Family::kNumeric);
  ctx.set_output(0, a, elementwise::binary_output_shape(ctx, Legacy));
}

template <bool Legacy>
void run_pow(KernelContext& ctx) {
  const elementwise::BinaryOperands ops = elementwise::binary_operands(ctx, Legacy);
  const DType ta = ops.a.dtype(), tb = ops.b.dtype();
  elementwise::check_dtype(ctx.node(), "X", ta, Family::kNumeric);
  elementwise::check_dtype(ctx.node(), "Y", tb, Family::kNumeric);
  Tensor out(ta, ops.out_dims);
  if (ta == tb && elementwise::is_plain_float(ta)) {
    dispatch_float(ta, "Pow", [&]<typename T>() {
      elementwise::binary_kernel<T, T, T>(ops.a, ops.b, out, [](auto x, auto y) { return std::pow(x, y); });
    });
  } else if (dtype_is_integer(tb)) {
    // Integer exponent: exact for integer bases, std::pow for float bases.
    const Tensor e = tb == DType::kInt64 ? ops.b : ops.b.cast(DType::kInt64);
    dispatch_numeric(ta, "Pow", [&]<typename T>() {
      elementwise::binary_kernel<T, int64_t, T>(ops.a, e, out, [](auto x, int64_t y) {
        using C = decltype(x);
        if constexpr (std::is_integral_v<C>) return int_pow(x, y);
        else return static_cast<C>(std::pow(static_cast<double>(x), static_cast<double>(y)));
      });
    });
  } else {
    // Float exponent: computed in double, converted to the base's dtype (integers truncate, saturating).
    const Tensor e = tb == DType::kFloat64 ? ops.b : ops.b.cast(DType::kFloat64);
    dispatch_numeric(ta, "Pow", [&]<typename T>() {
      elementwise::binary_kernel<T, double, T>(ops.a, e, out, [](auto x, double y) {
        using C = decltype(x);
        return elementwise::saturate_cast<C>(std::pow(static_cast<double>(x), y));
      });
    });
  }
  ctx.set_output(0, std::move(out));
}

// ---- Mod ---------------------------------------------------------------------------------------------------------

bool mod_fmod(const Node& node) {
  const int64_t f = node.attr_int("fmod", 0);
  if (f != 0 && f != 1) fail_bad_input(node.describe(), ": fmod must be 0 or 1, got ", f);
  return f == 1;
}

void check_mod_float(const Node& node, DType t, bool fmod) {
  if (!fmod && elementwise::is_plain_float(t))
    fail_bad_input(node.describe(), ": fmod must be 1 for floating-point inputs (", dtype_name(t), ")");
}

void infer_mod(InferContext& ctx) {
  const bool fmod = mod_fmod(ctx.node());
  check_mod_float(ctx.node(), elementwise::known_dtype(ctx, 0), fmod);
  elementwise::infer_binary<Family::kNumeric, false>(ctx, DType::kUndefined);
}

// fmod=1: the remainder of truncated division (sign of the dividend, C's fmod / %).
// fmod=0: the remainder of floored division (sign of the divisor, Python's %), integers only.
void run_mod(KernelContext& ctx) {
  const bool fmod = mod_fmod(ctx.node());
  check_mod_float(ctx.node(), ctx.input(0).dtype(), fmod);
  auto mod = [fmod](auto x, auto y) {
    using C = decltype(x);
    if constexpr (std::is_floating_point_v<C>) {
      return std::fmod(x, y);
    } else {
      if (y == 0) return C(0);
      if constexpr (std::is_signed_v<C>) {
        if (y == C(-1)) return C(0);
      }
      C r = static_cast<C>(x % y);
      if constexpr (std::is_signed_v<C>) {
        if (!fmod && r != 0 && ((r < 0) != (y < 0))) r = static_cast<C>(r + y);
      }
      return r;
    }
  };
  elementwise::run_binary<Family::kNumeric, false, void>(ctx, mod);
}

// ---- BitShift ----------------------------------------------------------------------------------------------------

bool shift_left(const Node& node) {
  const std::string dir = node.attr_string("direction", "");
  if (dir == "LEFT") return true;
  if (dir == "RIGHT") return false;
  fail_bad_input(node.describe(), ": direction must be \"LEFT\" or \"RIGHT\", got \"", dir, "\"");
}

void infer_bitshift(InferContext& ctx) {
  shift_left(ctx.node());
  elementwise::infer_binary<Family::kUnsigned, false>(ctx, DType::kUndefined);
}

void run_bitshift(KernelContext& ctx) {
  const bool left = shift_left(ctx.node());
  elementwise::run_binary<Family::kUnsigned, false, void>(ctx, [left](auto x, auto y) {
    using C = decltype(x);
    using U = elementwise::wide_unsigned_t<C>;
    if (static_cast<uint64_t>(y) >= sizeof(C) * 8) return C(0);
    return left ? static_cast<C>(static_cast<U>(x) << y) : static_cast<C>(static_cast<U>(x) >> y);
  });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Add", .since_version = 1, .inputs = {2, 2}, .infer = infer_arith<Arith::kAdd, true>,
                  .run = run_arith<Arith::kAdd, true>});
ONYX_REGISTER_OP({.op_type = "Add", .since_version = 7, .inputs = {2, 2}, .infer = infer_arith<Arith::kAdd, false>,
                  .run = run_arith<Arith::kAdd, false>});
ONYX_REGISTER_OP({.op_type = "Sub", .since_version = 1, .inputs = {2, 2}, .infer = infer_arith<Arith::kSub, true>,
                  .run = run_arith<Arith::kSub, true>});
ONYX_REGISTER_OP({.op_type = "Sub", .since_version = 7, .inputs = {2, 2}, .infer = infer_arith<Arith::kSub, false>,
                  .run = run_arith<Arith::kSub, false>});
ONYX_REGISTER_OP({.op_type = "Mul", .since_version = 1, .inputs = {2, 2}, .infer = infer_arith<Arith::kMul, true>,
                  .run = run_arith<Arith::kMul, true>});
ONYX_REGISTER_OP({.op_type = "Mul", .since_version = 7, .inputs = {2, 2}, .infer = infer_arith<Arith::kMul, false>,
                  .run = run_arith<Arith::kMul, false>});
ONYX_REGISTER_OP({.op_type = "Div", .since_version = 1, .inputs = {2, 2}, .infer = infer_arith<Arith::kDiv, true>,
                  .run = run_arith<Arith::kDiv, true>});
ONYX_REGISTER_OP({.op_type = "Div", .since_version = 7, .inputs = {2, 2}, .infer = infer_arith<Arith::kDiv, false>,
                  .run = run_arith<Arith::kDiv, false>});
ONYX_REGISTER_OP({.op_type = "Pow", .since_version = 1, .inputs = {2, 2}, .infer = infer_pow<true>,
                  .run = run_pow<true>});
ONYX_REGISTER_OP({.op_type = "Pow", .since_version = 7, .inputs = {2, 2}, .infer = infer_pow<false>,
                  .run = run_pow<false>});
ONYX_REGISTER_OP({.op_type = "Mod", .since_version = 10, .inputs = {2, 2}, .infer = infer_mod, .run = run_mod});
ONYX_REGISTER_OP({.op_type = "BitShift", .since_version = 11, .inputs = {2, 2}, .infer = infer_bitshift,
                  .run = run_bitshift});

}  // namespace onyx
