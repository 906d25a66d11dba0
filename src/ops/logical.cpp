// Logical and bitwise ops: And Or Xor (bool), BitwiseAnd BitwiseOr BitwiseXor BitwiseNot (integers).
//
// Versions: And/Or/Xor-1 broadcast with the `broadcast`/`axis` attributes (legacy path), 7 and later use numpy
// broadcasting. The Bitwise ops (opset 18) take any signed or unsigned integer type.
#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

enum class Logic { kAnd, kOr, kXor };

template <Logic Op, Family F, bool Legacy>
void infer_logic(InferContext& ctx) {
  elementwise::infer_binary<F, Legacy>(ctx, DType::kUndefined);
}

template <Logic Op, Family F, bool Legacy>
void run_logic(KernelContext& ctx) {
  elementwise::run_binary<F, Legacy, void>(ctx, [](auto x, auto y) {
    using C = decltype(x);
    if constexpr (std::is_same_v<C, bool>) {
      if constexpr (Op == Logic::kAnd) return x && y;
      else if constexpr (Op == Logic::kOr) return x || y;
      else return x != y;
    } else {
      if constexpr (Op == Logic::kAnd) return static_cast<C>(x & y);
      else if constexpr (Op == Logic::kOr) return static_cast<C>(x | y);
      else return static_cast<C>(x ^ y);
    }
  });
}

void run_bitwise_not(KernelContext& ctx) {
  elementwise::run_unary_same<Family::kInteger>(ctx, [](auto x) { return static_cast<decltype(x)>(~x); });
}

}  // namespace

#define ONYX_LOGIC(NAME, VERSION, OP, FAMILY, LEGACY)                                                            \
  ONYX_REGISTER_OP({.op_type = NAME, .since_version = VERSION, .inputs = {2, 2},                                  \
                    .infer = infer_logic<Logic::OP, Family::FAMILY, LEGACY>,                                       \
                    .run = run_logic<Logic::OP, Family::FAMILY, LEGACY>})

ONYX_LOGIC("And", 1, kAnd, kBool, true);
ONYX_LOGIC("And", 7, kAnd, kBool, false);
ONYX_LOGIC("Or", 1, kOr, kBool, true);
ONYX_LOGIC("Or", 7, kOr, kBool, false);
ONYX_LOGIC("Xor", 1, kXor, kBool, true);
ONYX_LOGIC("Xor", 7, kXor, kBool, false);
ONYX_LOGIC("BitwiseAnd", 18, kAnd, kInteger, false);
ONYX_LOGIC("BitwiseOr", 18, kOr, kInteger, false);
ONYX_LOGIC("BitwiseXor", 18, kXor, kInteger, false);
#undef ONYX_LOGIC

ONYX_REGISTER_OP({.op_type = "BitwiseNot", .since_version = 18, .inputs = {1, 1},
                  .infer = elementwise::infer_unary_same<Family::kInteger>, .run = run_bitwise_not});

}  // namespace onyx
