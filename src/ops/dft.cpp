// DFT (opset 17: axis attribute, default 1; opset 20: axis input, default -2).
//
// input: [batch, n1, ..., nk, 1] (real) or [..., 2] (complex); the transform runs along `axis` (which counts the
// batch dimension and may be negative: [-r, -2] or [0, r-2]). dft_length zero-pads or trims the signal along the
// axis; onesided keeps the first floor(n/2)+1 bins; inverse divides by n. Output: [..., 2], float dtype of input.
#include <complex>
#include <vector>

#include "fourier.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

struct DftAttrs {
  bool inverse = false;
  bool onesided = false;
};

DftAttrs parse_attrs(const Node& node) {
  DftAttrs a;
  a.inverse = node.attr_int("inverse", 0) != 0;
  a.onesided = node.attr_int("onesided", 0) != 0;
  return a;
}

// A scalar (or one-element) integer tensor's value.
int64_t scalar_int(const Tensor& t, const Node& node, const char* what) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    fail_bad_input(node.describe(), ": ", what, " must be int32 or int64, got ", dtype_name(t.dtype()));
  if (t.numel() != 1 || t.rank() > 1)
    fail_bad_input(node.describe(), ": ", what, " must be a scalar, got shape ", dims_to_string(t.dims()));
  return t.get_int(0);
}

int64_t normalize_signal_axis(int64_t axis, int64_t rank, const Node& node) {
  const int64_t a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a > rank - 2)
    fail_bad_input(node.describe(), ": axis ", axis, " is out of range for input rank ", rank,
                   " (the last dimension holds the real/imaginary parts)");
  return a;
}

// Axis as written for the node's version: attribute (17) or input 2 (20, default -2). nullopt when unknown.
std::optional<int64_t> raw_axis(const Node& node, const Tensor* axis_input, bool axis_given) {
  if (node.opset < 20) return node.attr_int("axis", 1);
  if (!axis_given) return -2;
  if (!axis_input) return std::nullopt;
  return scalar_int(*axis_input, node, "axis");
}

void infer_dft(InferContext& ctx) {
  const Node& node = ctx.node();
  const DftAttrs a = parse_attrs(node);
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("input must be a float tensor, got ", dtype_name(dt));
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(dt));
    return;
  }
  const int64_t r = static_cast<int64_t>(in.rank());
  if (r < 2) ctx.fail("input must have rank >= 2, got ", in.to_string());
  if (in[r - 1].is_known() && in[r - 1].value() != 1 && in[r - 1].value() != 2)
    ctx.fail("the last dimension must be 1 (real) or 2 (complex), got ", in[r - 1].value());
  std::vector<Dim> out = in.dims();
  out[static_cast<size_t>(r - 1)] = 2;
  const std::optional<int64_t> axis = raw_axis(node, ctx.input_constant(2), ctx.has_input(2));
  if (!axis) {
    for (int64_t i = 0; i < r - 1; ++i) out[static_cast<size_t>(i)] = Dim::unknown();
    ctx.set_output(0, dt, Shape(out));
    return;
  }
  const size_t ax = static_cast<size_t>(normalize_signal_axis(*axis, r, node));
  Dim n = in[ax];
  if (ctx.has_input(1)) {
    const Tensor* len = ctx.input_constant(1);
    n = len ? Dim(scalar_int(*len, node, "dft_length")) : Dim::unknown();
  }
  if (a.onesided) n = n.is_known() ? Dim(n.value() / 2 + 1) : Dim::unknown();
  out[ax] = n;
  ctx.set_output(0, dt, Shape(out));
}

template <typename T>
void run_typed(KernelContext& ctx, const DftAttrs& a, int64_t axis, int64_t n) {
  const Tensor& x = ctx.input(0);
  const int64_t r = static_cast<int64_t>(x.rank());
  const int64_t comps = x.dim(static_cast<size_t>(r - 1));
  const int64_t in_len = x.dim(static_cast<size_t>(axis));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= x.dim(static_cast<size_t>(i));
  for (int64_t i = axis + 1; i < r - 1; ++i) inner *= x.dim(static_cast<size_t>(i));
  const int64_t out_len = a.onesided ? n / 2 + 1 : n;
  std::vector<int64_t> out_dims = x.dims();
  out_dims[static_cast<size_t>(axis)] = out_len;
  out_dims[static_cast<size_t>(r - 1)] = 2;
  Tensor out(x.dtype(), out_dims);
  const T* src = x.data<T>();
  T* dst = out.data<T>();
  fourier::Plan plan(n, a.inverse);
  std::vector<std::complex<double>> line(static_cast<size_t>(n));
  const int64_t used = std::min(in_len, n);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      std::fill(line.begin(), line.end(), std::complex<double>(0));
      for (int64_t k = 0; k < used; ++k) {
        const T* e = src + ((o * in_len + k) * inner + i) * comps;
        const double re = static_cast<compute_t<T>>(e[0]);
        const double im = comps == 2 ? static_cast<double>(static_cast<compute_t<T>>(e[1])) : 0.0;
        line[static_cast<size_t>(k)] = {re, im};
      }
      plan.run(line.data());
      for (int64_t k = 0; k < out_len; ++k) {
        T* e = dst + ((o * out_len + k) * inner + i) * 2;
        e[0] = to_storage<T>(line[static_cast<size_t>(k)].real());
        e[1] = to_storage<T>(line[static_cast<size_t>(k)].imag());
      }
    }
  }
  ctx.set_output(0, out);
}

void run_dft(KernelContext& ctx) {
  const Node& node = ctx.node();
  const DftAttrs a = parse_attrs(node);
  const Tensor& x = ctx.input(0);
  const int64_t r = static_cast<int64_t>(x.rank());
  if (r < 2) ctx.fail("input must have rank >= 2, got ", dims_to_string(x.dims()));
  const int64_t comps = x.dim(static_cast<size_t>(r - 1));
  if (comps != 1 && comps != 2) ctx.fail("the last dimension must be 1 (real) or 2 (complex), got ", comps);
  const Tensor* axis_in = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const int64_t axis = normalize_signal_axis(*raw_axis(node, axis_in, axis_in != nullptr), r, node);
  int64_t n = x.dim(static_cast<size_t>(axis));
  if (ctx.has_input(1)) {
    n = scalar_int(ctx.input(1), node, "dft_length");
    if (n < 1) ctx.fail("dft_length must be positive, got ", n);
  }
  if (n < 1) ctx.fail("the transform length along axis ", axis, " is 0");
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() { run_typed<T>(ctx, a, axis, n); });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "DFT", .since_version = 17, .inputs = {1, 2}, .infer = infer_dft, .run = run_dft});
ONYX_REGISTER_OP({.op_type = "DFT", .since_version = 20, .inputs = {1, 3}, .infer = infer_dft, .run = run_dft});

}  // namespace onyx
