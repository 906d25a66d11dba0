// CumSum: cumulative sum along the axis given by input 1 (an int32/int64 scalar), optionally exclusive (each
// output excludes its own element) and/or reversed (summing from the end).
//
// Versions: 11, 14 (adds float16/bfloat16): one kernel. Floats accumulate in double and round each output
// once; integers wrap modulo 2^bits like the type's own addition.
#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::kIsFloat;
using reduce_detail::to_double;

void check_dtype(DType t, const Node& node) {
  if (t == DType::kUndefined) return;
  if (dtype_is_integer(t) || t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
      t == DType::kBFloat16)
    return;
  fail_unsupported(node.describe(), ": dtype ", dtype_name(t), " is not supported");
}

void check_axis_dtype(DType t, const Node& node) {
  if (t != DType::kUndefined && t != DType::kInt32 && t != DType::kInt64)
    fail_bad_input(node.describe(), ": axis must be int32 or int64, got ", dtype_name(t));
}

void infer_cumsum(InferContext& ctx) {
  check_dtype(ctx.input_dtype(0), ctx.node());
  check_axis_dtype(ctx.input_dtype(1), ctx.node());
  const Shape& as = ctx.input_shape(1);
  if (as.rank_known() && as.rank() > 1) ctx.fail("axis must be a scalar, got rank ", as.rank());
  ctx.set_output_type(0, ctx.input_type(0));
}

void run_cumsum(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& axis_t = ctx.input(1);
  check_dtype(x.dtype(), node);
  check_axis_dtype(axis_t.dtype(), node);
  if (axis_t.numel() != 1 || axis_t.rank() > 1) ctx.fail("axis must be a scalar, got ", axis_t.describe());
  const int64_t axis = normalize_axis(axis_t.get_int(0), static_cast<int64_t>(x.rank()), node);
  const bool exclusive = node.attr_int("exclusive", 0) != 0;
  const bool reverse = node.attr_int("reverse", 0) != 0;
  const auto s = reduce_detail::split_at_axis(x.dims(), axis);
  Tensor out(x.dtype(), x.dims());
  dispatch_numeric(x.dtype(), node.describe(), [&]<typename T>() {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    using Acc = std::conditional_t<kIsFloat<T>, double, uint64_t>;
    parallel_for(s.outer * s.inner, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.n)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
                     Acc acc = 0;
                     for (int64_t step = 0; step < s.n; ++step) {
                       const int64_t k = reverse ? s.n - 1 - step : step;
                       const int64_t at = base + k * s.inner;
                       Acc v;
                       if constexpr (kIsFloat<T>) {
                         v = to_double(in[at]);
                       } else {
                         v = static_cast<uint64_t>(in[at]);
                       }
                       if (!exclusive) acc += v;
                       if constexpr (kIsFloat<T>) {
                         o[at] = from_double<T>(acc);
                       } else {
                         o[at] = static_cast<T>(acc);
                       }
                       if (exclusive) acc += v;
                     }
                   }
                 });
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "CumSum", .since_version = 11, .inputs = {2, 2}, .infer = infer_cumsum, .run = run_cumsum});

}  // namespace onyx
