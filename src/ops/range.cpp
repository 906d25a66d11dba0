// Range: [start, start + delta, ...) up to (excluding) limit; ceil((limit - start) / delta) elements, none
// when that is negative. Scalars of one type: float, double, int16, int32, int64.
#include <cmath>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

bool range_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kInt16 || t == DType::kInt32 ||
         t == DType::kInt64;
}

void run_range(KernelContext& ctx) {
  const Tensor& start_t = ctx.input(0);
  const Tensor& limit_t = ctx.input(1);
  const Tensor& delta_t = ctx.input(2);
  const DType dt = start_t.dtype();
  if (!range_dtype(dt)) fail_dtype(ctx.node().describe(), dt);
  for (const Tensor* t : {&start_t, &limit_t, &delta_t}) {
    if (t->dtype() != dt)
      ctx.fail("inputs have different dtypes ", dtype_name(dt), " and ", dtype_name(t->dtype()));
    if (t->numel() != 1) ctx.fail("inputs must be scalars, got ", dims_to_string(t->dims()));
  }
  Tensor out;
  dispatch_numeric(dt, "Range", [&]<typename T>() {
    const T start = start_t.data<T>()[0];
    const T limit = limit_t.data<T>()[0];
    const T delta = delta_t.data<T>()[0];
    if (delta == T(0)) ctx.fail("delta must not be 0");
    int64_t n = 0;
    if constexpr (std::is_integral_v<T>) {
      // long double holds every int64 difference exactly enough for the count (64-bit mantissa).
      const long double span = static_cast<long double>(limit) - static_cast<long double>(start);
      const long double steps = std::ceil(span / static_cast<long double>(delta));
      if (steps > 0) {
        if (steps > static_cast<long double>(std::numeric_limits<int64_t>::max()))
          ctx.fail("too many elements");
        n = static_cast<int64_t>(steps);
      }
    } else {
      const double steps =
          std::ceil((static_cast<double>(limit) - static_cast<double>(start)) / static_cast<double>(delta));
      if (std::isnan(steps)) ctx.fail("start, limit and delta must be finite");
      if (steps > 0) {
        if (steps > 9.0e18) ctx.fail("too many elements");
        n = static_cast<int64_t>(steps);
      }
    }
    out = Tensor(dt, {n});
    T* o = out.data<T>();
    if constexpr (std::is_integral_v<T>) {
      // Modular arithmetic: exact for every value in [start, limit), no signed overflow on the way.
      for (int64_t i = 0; i < n; ++i)
        o[i] = static_cast<T>(static_cast<uint64_t>(static_cast<int64_t>(start)) +
                              static_cast<uint64_t>(i) * static_cast<uint64_t>(static_cast<int64_t>(delta)));
    } else {
      for (int64_t i = 0; i < n; ++i) o[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_range(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !range_dtype(dt)) fail_dtype(ctx.node().describe(), dt);
  // Range(0, n, 1) has n elements, symbolic n included.
  const auto start = known_ints(ctx, 0);
  const auto delta = known_ints(ctx, 2);
  const auto* limit = ctx.input_partial(1);
  if (start && delta && limit && start->size() == 1 && delta->size() == 1 && limit->size() == 1 &&
      (*start)[0] == 0 && (*delta)[0] == 1 && ((*limit)[0].is_symbolic() || (*limit)[0].is_known())) {
    ctx.set_output(0, dt, Shape(std::vector<Dim>{(*limit)[0]}));
    return;
  }
  ctx.set_output(0, dt, unknown_dims(1));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Range", .since_version = 11, .inputs = {3, 3}, .infer = infer_range, .run = run_range});

}  // namespace onyx
