// Shared machinery of the elementwise op files (unary, activation, binary, compare, logical, variadic, where,
// clip, prelu, cast): dtype-family checks, tight unary/binary kernels with fast paths, legacy (opset < 7)
// broadcasting, and small numeric helpers with defined results where C++ leaves them undefined.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <type_traits>
#include <vector>

#include "../core/parallel.h"
#include "broadcast.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx::elementwise {

// ---- dtype families ---------------------------------------------------------------------------------------------

enum class Family {
  kFloat,          // float16/32/64, bfloat16
  kNumeric,        // floats + all integers
  kSignedNumeric,  // floats + signed integers
  kInteger,        // signed and unsigned integers
  kUnsigned,       // unsigned integers
  kBool,
  kNumericBool,    // numeric + bool
  kAny,            // numeric, bool, string
};

inline bool is_plain_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16;
}

inline bool in_family(DType t, Family f) {
  switch (f) {
    case Family::kFloat: return is_plain_float(t);
    case Family::kNumeric: return is_plain_float(t) || dtype_is_integer(t);
    case Family::kSignedNumeric: return is_plain_float(t) || (dtype_is_integer(t) && dtype_is_signed(t));
    case Family::kInteger: return dtype_is_integer(t);
    case Family::kUnsigned: return dtype_is_integer(t) && !dtype_is_signed(t);
    case Family::kBool: return t == DType::kBool;
    case Family::kNumericBool: return is_plain_float(t) || dtype_is_integer(t) || t == DType::kBool;
    case Family::kAny: return is_plain_float(t) || dtype_is_integer(t) || t == DType::kBool || t == DType::kString;
  }
  return false;
}

inline const char* family_name(Family f) {
  switch (f) {
    case Family::kFloat: return "a float type";
    case Family::kNumeric: return "a numeric type";
    case Family::kSignedNumeric: return "a float or signed integer type";
    case Family::kInteger: return "an integer type";
    case Family::kUnsigned: return "an unsigned integer type";
    case Family::kBool: return "bool";
    case Family::kNumericBool: return "a numeric type or bool";
    case Family::kAny: return "a numeric, bool or string type";
  }
  return "";
}

// Fails (kBadInput, naming the node) when `t` is known and outside family `f`. `what` names the input.
inline void check_dtype(const Node& node, const char* what, DType t, Family f) {
  if (t == DType::kUndefined || in_family(t, f)) return;
  fail_bad_input(node.describe(), ": ", what, " has dtype ", dtype_name(t), ", expected ", family_name(f));
}

// Fails when two known dtypes differ.
inline void check_same_dtype(const Node& node, DType a, DType b, const char* what_a, const char* what_b) {
  if (a == DType::kUndefined || b == DType::kUndefined || a == b) return;
  fail_bad_input(node.describe(), ": ", what_a, " (", dtype_name(a), ") and ", what_b, " (", dtype_name(b),
                 ") must have the same dtype");
}

// The dtype of a possibly-untyped inference input (kUndefined when not known or not a tensor).
inline DType known_dtype(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return DType::kUndefined;
  const TypeInfo& t = ctx.input_type(i);
  return t.kind == TypeInfo::Kind::kTensor ? t.dtype : DType::kUndefined;
}

// Calls f.template operator()<T>() for the storage type of `t`, instantiating only the types of family F.
template <Family F, typename Fn>
decltype(auto) dispatch_family(DType t, std::string_view what, Fn&& f) {
  if constexpr (F == Family::kFloat) {
    return dispatch_float(t, what, std::forward<Fn>(f));
  } else if constexpr (F == Family::kBool) {
    if (t != DType::kBool) fail_dtype(what, t);
    return f.template operator()<bool>();
  } else if constexpr (F == Family::kInteger || F == Family::kUnsigned) {
    return dispatch_integer(t, what, std::forward<Fn>(f));
  } else if constexpr (F == Family::kNumericBool) {
    return dispatch_numeric_bool(t, what, std::forward<Fn>(f));
  } else if constexpr (F == Family::kAny) {
    if (t == DType::kString) return f.template operator()<std::string>();
    return dispatch_numeric_bool(t, what, std::forward<Fn>(f));
  } else {
    return dispatch_numeric(t, what, std::forward<Fn>(f));
  }
}

// ---- kernels ----------------------------------------------------------------------------------------------------

inline constexpr int64_t kParallelGrain = 1 << 15;

// Runs body(begin, end) over [0, n), split across threads when n is large enough to pay for it.
template <typename Body>
void parallel_range(int64_t n, const Body& body) {
  if (n < 2 * kParallelGrain || num_threads() <= 1) {
    body(int64_t{0}, n);
    return;
  }
  parallel_for(n, kParallelGrain, [&](int64_t b, int64_t e) { body(b, e); });
}

// dst[i] = to_storage<Out>(fn(compute_t<In>(src[i]))) over same-sized tensors.
template <typename In, typename Out, typename Fn>
void unary_kernel(const Tensor& in, Tensor& out, const Fn& fn) {
  const In* src = in.data<In>();
  Out* dst = out.data<Out>();
  parallel_range(in.numel(), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dst[i] = to_storage<Out>(fn(static_cast<compute_t<In>>(src[i])));
  });
}

// A unary op whose output has the input's dtype and dims.
template <typename T, typename Fn>
Tensor unary_map(const Tensor& in, const Fn& fn) {
  Tensor out(in.dtype(), in.dims());
  unary_kernel<T, T>(in, out, fn);
  return out;
}

// out (already allocated with the broadcast dims of a and b) [i] = fn(a[ia], b[ib]) in compute types. Fast paths:
// both operands laid out like the output, or one of them a single element; otherwise for_each_broadcast.
template <typename A, typename B, typename Out, typename Fn>
void binary_kernel(const Tensor& a, const Tensor& b, Tensor& out, const Fn& fn) {
  const A* pa = a.data<A>();
  const B* pb = b.data<B>();
  Out* po = out.data<Out>();
  const int64_t n = out.numel();
  using CA = compute_t<A>;
  using CB = compute_t<B>;
  if (n == 0) return;
  // An operand with the output's element count has the output's flat layout (broadcasting only adds 1-dims).
  if (a.numel() == n && b.numel() == n) {
    parallel_range(n, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = to_storage<Out>(fn(static_cast<CA>(pa[i]), static_cast<CB>(pb[i])));
    });
  } else if (b.numel() == 1 && a.numel() == n) {
    const CB y = static_cast<CB>(pb[0]);
    parallel_range(n, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = to_storage<Out>(fn(static_cast<CA>(pa[i]), y));
    });
  } else if (a.numel() == 1 && b.numel() == n) {
    const CA x = static_cast<CA>(pa[0]);
    parallel_range(n, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) po[i] = to_storage<Out>(fn(x, static_cast<CB>(pb[i])));
    });
  } else {
    for_each_broadcast<2>(out.dims(), {a.dims(), b.dims()}, [&](int64_t i, int64_t ia, int64_t ib) {
      po[i] = to_storage<Out>(fn(static_cast<CA>(pa[ia]), static_cast<CB>(pb[ib])));
    });
  }
}

// Unary op whose output has the input's dtype and shape: checks the family, dispatches, maps fn over compute values.
// fn is a generic callable taking compute_t<T>.
template <Family F, typename Fn>
void run_unary_same(KernelContext& ctx, const Fn& fn) {
  const Tensor& x = ctx.input(0);
  check_dtype(ctx.node(), "input", x.dtype(), F);
  dispatch_family<F>(x.dtype(), ctx.node().op_type, [&]<typename T>() {
    ctx.set_output(0, unary_map<T>(x, [&](compute_t<T> v) { return fn(v); }));
  });
}

template <Family F>
void infer_unary_same(InferContext& ctx) {
  check_dtype(ctx.node(), "input", known_dtype(ctx, 0), F);
  infer_same_as_input(ctx);
}

// ---- legacy broadcasting (Add/Sub/Mul/Div/Pow/And/Or/Xor/Equal/Greater/Less before opset 7) -----------------------

// B's dims re-expressed at A's rank following the old `broadcast`/`axis` rules: with broadcast=0 the shapes must be
// equal; with broadcast=1 B's shape is matched against A's starting at `axis` (suffix matching when absent). The
// result broadcasts to A's dims (numpy rules then apply, so size-1 dims of B also expand).
inline std::vector<int64_t> legacy_b_dims(const Node& node, const std::vector<int64_t>& a,
                                          const std::vector<int64_t>& b) {
  const bool broadcast = node.attr_int("broadcast", 0) != 0;
  const int64_t ra = static_cast<int64_t>(a.size());
  const int64_t rb = static_cast<int64_t>(b.size());
  if (!broadcast) {
    if (a != b)
      fail_bad_input(node.describe(), ": shapes ", dims_to_string(a), " and ", dims_to_string(b),
                     " differ and broadcast is not set");
    return b;
  }
  if (rb > ra)
    fail_bad_input(node.describe(), ": B ", dims_to_string(b), " has a higher rank than A ", dims_to_string(a));
  int64_t axis = ra - rb;
  if (node.has_attr("axis")) {
    axis = node.attr_int("axis", 0);
    if (axis < 0) axis += ra;
    if (axis < 0 || axis + rb > ra)
      fail_bad_input(node.describe(), ": axis ", node.attr_int("axis", 0), " does not fit B ", dims_to_string(b),
                     " into A ", dims_to_string(a));
  }
  int64_t numel = 1;
  for (int64_t d : b) numel *= d;
  if (numel == 1) return std::vector<int64_t>(static_cast<size_t>(ra), 1);
  std::vector<int64_t> out(static_cast<size_t>(ra), 1);
  for (int64_t i = 0; i < rb; ++i) {
    const int64_t d = b[static_cast<size_t>(i)];
    const int64_t ad = a[static_cast<size_t>(axis + i)];
    if (d != ad && d != 1)
      fail_bad_input(node.describe(), ": B ", dims_to_string(b), " does not match A ", dims_to_string(a),
                     " at axis ", axis);
    out[static_cast<size_t>(axis + i)] = d;
  }
  return out;
}

// Inference for legacy broadcasting: the output has A's shape.
inline Shape legacy_output_shape(const InferContext& ctx) {
  const Shape& a = ctx.input_shape(0);
  if (ctx.node().attr_int("broadcast", 0) != 0) return a;
  // Without broadcast the shapes are equal: take whichever is better known.
  const Shape& b = ctx.input_shape(1);
  if (!a.rank_known()) return b;
  if (b.rank_known() && b.rank() == a.rank()) {
    Shape out = a;
    for (size_t i = 0; i < out.rank(); ++i)
      if (!out[i].is_known() && (b[i].is_known() || b[i].is_symbolic())) out[i] = b[i];
    return out;
  }
  return a;
}

// ---- two-input ops ---------------------------------------------------------------------------------------------

struct BinaryOperands {
  Tensor a;
  Tensor b;  // re-shaped to A's rank for legacy broadcasting
  std::vector<int64_t> out_dims;
};

// Inputs 0 and 1 with the output dims they broadcast to (numpy rules, or the opset < 7 rules when `legacy`).
inline BinaryOperands binary_operands(const KernelContext& ctx, bool legacy) {
  BinaryOperands ops{ctx.input(0), ctx.input(1), {}};
  if (legacy) ops.b = ops.b.reshaped(legacy_b_dims(ctx.node(), ops.a.dims(), ops.b.dims()));
  ops.out_dims = broadcast_dims({ops.a.dims(), ops.b.dims()}, ctx.node());
  if (legacy && ops.out_dims != ops.a.dims())
    fail_bad_input(ctx.node().describe(), ": B ", ctx.input(1).describe(), " does not broadcast to A ",
                   ops.a.describe());
  return ops;
}

inline Shape binary_output_shape(const InferContext& ctx, bool legacy) {
  if (legacy) return legacy_output_shape(ctx);
  return broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1)}, ctx.node());
}

// Inference for a two-input op whose inputs share one dtype of family F; the output is `out` (kUndefined: the
// inputs' dtype).
template <Family F, bool Legacy>
void infer_binary(InferContext& ctx, DType out) {
  const DType a = known_dtype(ctx, 0);
  const DType b = known_dtype(ctx, 1);
  check_dtype(ctx.node(), "A", a, F);
  check_dtype(ctx.node(), "B", b, F);
  check_same_dtype(ctx.node(), a, b, "A", "B");
  if (out == DType::kUndefined) out = a != DType::kUndefined ? a : b;
  ctx.set_output(0, out, binary_output_shape(ctx, Legacy));
}

// Runs a two-input op over inputs of one dtype of family F: out[i] = fn(a, b) in compute types, stored as Out
// (void: the inputs' dtype).
template <Family F, bool Legacy, typename Out, typename Fn>
void run_binary(KernelContext& ctx, const Fn& fn) {
  const BinaryOperands ops = binary_operands(ctx, Legacy);
  check_dtype(ctx.node(), "A", ops.a.dtype(), F);
  check_dtype(ctx.node(), "B", ops.b.dtype(), F);
  check_same_dtype(ctx.node(), ops.a.dtype(), ops.b.dtype(), "A", "B");
  const DType out_dtype = std::is_void_v<Out> ? ops.a.dtype() : dtype_of<std::conditional_t<std::is_void_v<Out>, float, Out>>;
  Tensor out(out_dtype, ops.out_dims);
  dispatch_family<F>(ops.a.dtype(), ctx.node().op_type, [&]<typename T>() {
    using O = std::conditional_t<std::is_void_v<Out>, T, Out>;
    binary_kernel<T, T, O>(ops.a, ops.b, out, fn);
  });
  ctx.set_output(0, std::move(out));
}

// ---- numeric helpers --------------------------------------------------------------------------------------------

// double → integer T with truncation, NaN → 0 and saturation at T's range (C++ leaves out-of-range undefined).
template <typename T>
T saturate_cast(double d) {
  if constexpr (std::is_integral_v<T>) {
    if (std::isnan(d)) return T(0);
    if (d <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(d);
  } else {
    return static_cast<T>(d);
  }
}

// Integer negation that wraps (two's complement) instead of overflowing.
template <typename T>
T wrapping_neg(T v) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(static_cast<U>(0) - static_cast<U>(v));
}

// Unsigned type at least as wide as `unsigned`, for wrapping integer arithmetic without promotion to signed int.
template <typename C>
using wide_unsigned_t = std::conditional_t<(sizeof(C) < sizeof(unsigned)), unsigned, std::make_unsigned_t<C>>;

// +, -, * that wrap on integer overflow (two's complement) instead of being undefined.
template <typename C>
C wrap_add(C x, C y) {
  if constexpr (std::is_integral_v<C>) {
    using U = wide_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(x) + static_cast<U>(y));
  } else {
    return x + y;
  }
}
template <typename C>
C wrap_sub(C x, C y) {
  if constexpr (std::is_integral_v<C>) {
    using U = wide_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(x) - static_cast<U>(y));
  } else {
    return x - y;
  }
}
template <typename C>
C wrap_mul(C x, C y) {
  if constexpr (std::is_integral_v<C>) {
    using U = wide_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(x) * static_cast<U>(y));
  } else {
    return x * y;
  }
}

}  // namespace onyx::elementwise
