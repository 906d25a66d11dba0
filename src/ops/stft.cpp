// STFT (opset 17): short-time Fourier transform of [batch, length, 1|2] signals.
//
// frame_length comes from the frame_length input, else from the window's length; frames start every frame_step
// samples: frames = (length - frame_length) / frame_step + 1 (none when the signal is shorter than a frame). Each
// frame is multiplied by the window (when given) and transformed; onesided (default 1) keeps frame_length/2+1 bins.
// Output: [batch, frames, bins, 2].
#include <complex>
#include <vector>

#include "fourier.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

int64_t scalar_int(const Tensor& t, const Node& node, const char* what) {
  if (t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64)
    fail_bad_input(node.describe(), ": ", what, " must be int32 or int64, got ", dtype_name(t.dtype()));
  if (t.numel() != 1 || t.rank() > 1)
    fail_bad_input(node.describe(), ": ", what, " must be a scalar, got shape ", dims_to_string(t.dims()));
  return t.get_int(0);
}

bool onesided_of(const Node& node) { return node.attr_int("onesided", 1) != 0; }

void infer_stft(InferContext& ctx) {
  const Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("signal must be a float tensor, got ", dtype_name(dt));
  const Shape& s = ctx.input_shape(0);
  if (s.rank_known() && s.rank() != 3) ctx.fail("signal must have rank 3, got ", s.to_string());
  Dim batch = s.rank_known() ? s[0] : Dim::unknown();
  Dim length = s.rank_known() ? s[1] : Dim::unknown();
  Dim frame_len = Dim::unknown();
  if (ctx.has_input(3)) {
    if (const Tensor* t = ctx.input_constant(3)) frame_len = scalar_int(*t, node, "frame_length");
  } else if (ctx.has_input(2)) {
    const Shape& ws = ctx.input_shape(2);
    if (ws.rank_known() && ws.rank() == 1) frame_len = ws[0];
  }
  Dim step = Dim::unknown();
  if (const Tensor* t = ctx.input_constant(1)) step = scalar_int(*t, node, "frame_step");
  Dim frames = Dim::unknown();
  if (length.is_known() && frame_len.is_known() && step.is_known() && step.value() > 0)
    frames = length.value() < frame_len.value() ? 0 : (length.value() - frame_len.value()) / step.value() + 1;
  Dim bins = frame_len;
  if (onesided_of(node)) bins = frame_len.is_known() ? Dim(frame_len.value() / 2 + 1) : Dim::unknown();
  ctx.set_output(0, dt, Shape({batch, frames, bins, 2}));
}

template <typename T>
void run_typed(KernelContext& ctx, int64_t step, int64_t frame_len, bool onesided) {
  const Tensor& sig = ctx.input(0);
  const int64_t B = sig.dim(0), L = sig.dim(1), comps = sig.dim(2);
  std::vector<double> window(static_cast<size_t>(frame_len), 1.0);
  if (ctx.has_input(2)) {
    const Tensor& w = ctx.input(2);
    if (w.dtype() != sig.dtype()) ctx.fail("window must have the signal's dtype ", dtype_name(sig.dtype()));
    const T* wp = w.data<T>();
    for (int64_t i = 0; i < frame_len; ++i) window[static_cast<size_t>(i)] = static_cast<compute_t<T>>(wp[i]);
  }
  const int64_t frames = L < frame_len ? 0 : (L - frame_len) / step + 1;
  const int64_t bins = onesided ? frame_len / 2 + 1 : frame_len;
  Tensor out(sig.dtype(), {B, frames, bins, 2});
  const T* src = sig.data<T>();
  T* dst = out.data<T>();
  fourier::Plan plan(frame_len, false);
  std::vector<std::complex<double>> line(static_cast<size_t>(frame_len));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      for (int64_t k = 0; k < frame_len; ++k) {
        const T* e = src + (b * L + f * step + k) * comps;
        const double re = static_cast<compute_t<T>>(e[0]);
        const double im = comps == 2 ? static_cast<double>(static_cast<compute_t<T>>(e[1])) : 0.0;
        line[static_cast<size_t>(k)] = std::complex<double>(re, im) * window[static_cast<size_t>(k)];
      }
      plan.run(line.data());
      T* o = dst + (b * frames + f) * bins * 2;
      for (int64_t k = 0; k < bins; ++k) {
        o[2 * k] = to_storage<T>(line[static_cast<size_t>(k)].real());
        o[2 * k + 1] = to_storage<T>(line[static_cast<size_t>(k)].imag());
      }
    }
  }
  ctx.set_output(0, out);
}

void run_stft(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& sig = ctx.input(0);
  if (sig.rank() != 3) ctx.fail("signal must have rank 3 [batch, length, 1|2], got ", dims_to_string(sig.dims()));
  if (sig.dim(2) != 1 && sig.dim(2) != 2)
    ctx.fail("the signal's last dimension must be 1 (real) or 2 (complex), got ", sig.dim(2));
  const int64_t step = scalar_int(ctx.input(1), node, "frame_step");
  if (step < 1) ctx.fail("frame_step must be positive, got ", step);
  int64_t frame_len = -1;
  if (ctx.has_input(2)) {
    const Tensor& w = ctx.input(2);
    if (w.rank() != 1) ctx.fail("window must have rank 1, got ", dims_to_string(w.dims()));
    frame_len = w.dim(0);
  }
  if (ctx.has_input(3)) {
    const int64_t fl = scalar_int(ctx.input(3), node, "frame_length");
    if (frame_len >= 0 && fl != frame_len)
      ctx.fail("frame_length ", fl, " differs from the window's length ", frame_len);
    frame_len = fl;
  }
  if (frame_len < 0) ctx.fail("one of window and frame_length is required");
  if (frame_len < 1) ctx.fail("frame_length must be positive, got ", frame_len);
  dispatch_float(sig.dtype(), node.describe(),
                 [&]<typename T>() { run_typed<T>(ctx, step, frame_len, onesided_of(node)); });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "STFT", .since_version = 17, .inputs = {2, 4}, .infer = infer_stft, .run = run_stft});

}  // namespace onyx
