// Window functions (opset 17): HannWindow, HammingWindow, BlackmanWindow. `size` is an int32/int64 scalar;
// `periodic` (default 1) computes the window over size + 1 points and returns the first `size` (denominator N),
// else a symmetric window (denominator N - 1). A symmetric window of size 1 is [1] (as numpy/scipy define it; the
// formula would divide by zero). Computed in double, then converted to `output_datatype` (default float).
#include <cmath>
#include <numbers>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

enum class Window { kHann, kHamming, kBlackman };

DType output_dtype(const Node& node) {
  const int64_t d = node.attr_int("output_datatype", static_cast<int64_t>(DType::kFloat32));
  const DType t = d > 0 && d <= INT32_MAX && dtype_is_valid(static_cast<int32_t>(d)) ? static_cast<DType>(d)
                                                                                       : DType::kUndefined;
  const bool ok = t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16 ||
                  dtype_is_integer(t);
  if (!ok) fail_bad_input(node.describe(), ": output_datatype ", d, " is not a numeric data type");
  return t;
}

void check_size_type(const InferContext& ctx) {
  const TypeInfo& t = ctx.input_type(0);
  if (t.kind == TypeInfo::Kind::kTensor && t.dtype != DType::kUndefined && t.dtype != DType::kInt32 &&
      t.dtype != DType::kInt64)
    ctx.fail("size must be int32 or int64, got ", t.to_string());
}

void infer_window(InferContext& ctx) {
  const DType dt = output_dtype(ctx.node());
  check_size_type(ctx);
  Dim n;
  if (const Tensor* s = ctx.input_constant(0); s && s->numel() == 1 && s->get_int(0) >= 0) n = Dim(s->get_int(0));
  ctx.set_output(0, dt, Shape({n}));
}

template <Window kWindow>
void run_window(KernelContext& ctx) {
  const DType dt = output_dtype(ctx.node());
  const Tensor& s = ctx.input(0);
  if ((s.dtype() != DType::kInt32 && s.dtype() != DType::kInt64) || s.numel() != 1)
    ctx.fail("size must be an int32/int64 scalar, got ", s.describe());
  const int64_t n = s.get_int(0);
  if (n < 0) ctx.fail("size must not be negative, got ", n);
  const bool periodic = ctx.node().attr_int("periodic", 1) != 0;
  const double denom = periodic ? static_cast<double>(n) : static_cast<double>(n - 1);
  Tensor w(DType::kFloat64, {n});
  double* o = w.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    if (denom == 0) {
      o[i] = 1.0;
      continue;
    }
    const double x = 2 * std::numbers::pi * static_cast<double>(i) / denom;
    switch (kWindow) {
      case Window::kHann: o[i] = 0.5 - 0.5 * std::cos(x); break;
      case Window::kHamming: o[i] = 25.0 / 46.0 - 21.0 / 46.0 * std::cos(x); break;
      case Window::kBlackman: o[i] = 0.42 - 0.5 * std::cos(x) + 0.08 * std::cos(2 * x); break;
    }
  }
  ctx.set_output(0, dt == DType::kFloat64 ? w : w.cast(dt));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "HannWindow", .since_version = 17, .inputs = {1, 1}, .infer = infer_window,
                  .run = run_window<Window::kHann>});
ONYX_REGISTER_OP({.op_type = "HammingWindow", .since_version = 17, .inputs = {1, 1}, .infer = infer_window,
                  .run = run_window<Window::kHamming>});
ONYX_REGISTER_OP({.op_type = "BlackmanWindow", .since_version = 17, .inputs = {1, 1}, .infer = infer_window,
                  .run = run_window<Window::kBlackman>});

}  // namespace onyx
