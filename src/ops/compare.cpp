// Comparisons: Equal Greater GreaterOrEqual Less LessOrEqual → bool, with numpy broadcasting.
//
// Versions: Equal/Greater/Less-1 broadcast with the `broadcast`/`axis` attributes (legacy path); 7 and later use
// numpy broadcasting (9/11/13/16/19 only add dtypes: Equal accepts numeric, bool and string inputs). Comparisons
// with NaN are false (Equal(NaN, NaN) is false).
#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

enum class Cmp { kEq, kGt, kGe, kLt, kLe };

template <Cmp Op, Family F, bool Legacy>
void infer_compare(InferContext& ctx) {
  elementwise::infer_binary<F, Legacy>(ctx, DType::kBool);
}

template <Cmp Op, Family F, bool Legacy>
void run_compare(KernelContext& ctx) {
  elementwise::run_binary<F, Legacy, bool>(ctx, [](const auto& x, const auto& y) {
    if constexpr (Op == Cmp::kEq) return x == y;
    else if constexpr (Op == Cmp::kGt) return x > y;
    else if constexpr (Op == Cmp::kGe) return x >= y;
    else if constexpr (Op == Cmp::kLt) return x < y;
    else return x <= y;
  });
}

}  // namespace

#define ONYX_COMPARE(NAME, VERSION, OP, FAMILY, LEGACY)                                                          \
  ONYX_REGISTER_OP({.op_type = NAME, .since_version = VERSION, .inputs = {2, 2},                                  \
                    .infer = infer_compare<Cmp::OP, Family::FAMILY, LEGACY>,                                       \
                    .run = run_compare<Cmp::OP, Family::FAMILY, LEGACY>})

ONYX_COMPARE("Equal", 1, kEq, kAny, true);
ONYX_COMPARE("Equal", 7, kEq, kAny, false);
ONYX_COMPARE("Greater", 1, kGt, kNumeric, true);
ONYX_COMPARE("Greater", 7, kGt, kNumeric, false);
ONYX_COMPARE("Less", 1, kLt, kNumeric, true);
ONYX_COMPARE("Less", 7, kLt, kNumeric, false);
ONYX_COMPARE("GreaterOrEqual", 12, kGe, kNumeric, false);
ONYX_COMPARE("LessOrEqual", 12, kLe, kNumeric, false);
#undef ONYX_COMPARE

}  // namespace onyx
