// MelWeightMatrix (opset 17): a [floor(dft_length / 2) + 1, num_mel_bins] matrix of triangular filters, evenly
// spaced on the mel scale mel(f) = 2595 * log10(1 + f / 700) from lower_edge_hertz upwards, each peaking at 1.
//
// Band edges: num_mel_bins + 2 points p_k = mel_low + k * step with step = (mel_high - mel_low) / (num_mel_bins + 2)
// (the ONNX definition, which the backend test data follows), converted back to hertz and to spectrogram bins
// floor((dft_length + 1) * hz / sample_rate). Filter i rises linearly from bin p_i to p_{i+1} and falls to p_{i+2};
// a rise of zero width puts 1 at its centre. Weights falling on bins past the spectrogram are dropped.
#include <cmath>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

DType output_dtype(const Node& node) {
  const int64_t d = node.attr_int("output_datatype", static_cast<int64_t>(DType::kFloat32));
  const DType t = d > 0 && d <= INT32_MAX && dtype_is_valid(static_cast<int32_t>(d)) ? static_cast<DType>(d)
                                                                                       : DType::kUndefined;
  const bool ok = t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16 ||
                  dtype_is_integer(t);
  if (!ok) fail_bad_input(node.describe(), ": output_datatype ", d, " is not a numeric data type");
  return t;
}

int64_t int_scalar(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = ctx.input(i);
  if ((t.dtype() != DType::kInt32 && t.dtype() != DType::kInt64) || t.numel() != 1)
    ctx.fail(name, " must be an int32/int64 scalar, got ", t.describe());
  return t.get_int(0);
}

double float_scalar(const KernelContext& ctx, size_t i, const char* name) {
  const Tensor& t = ctx.input(i);
  if (!dtype_is_float(t.dtype()) || t.numel() != 1) ctx.fail(name, " must be a float scalar, got ", t.describe());
  return t.get_double(0);
}

void infer_mel(InferContext& ctx) {
  const DType dt = output_dtype(ctx.node());
  Dim rows, cols;
  if (const Tensor* m = ctx.input_constant(0); m && m->numel() == 1 && m->get_int(0) >= 0) cols = Dim(m->get_int(0));
  if (const Tensor* d = ctx.input_constant(1); d && d->numel() == 1 && d->get_int(0) >= 0)
    rows = Dim(d->get_int(0) / 2 + 1);
  ctx.set_output(0, dt, Shape({rows, cols}));
}

void run_mel(KernelContext& ctx) {
  const DType dt = output_dtype(ctx.node());
  const int64_t num_mel = int_scalar(ctx, 0, "num_mel_bins");
  const int64_t dft_length = int_scalar(ctx, 1, "dft_length");
  const int64_t sample_rate = int_scalar(ctx, 2, "sample_rate");
  const double lower_hz = float_scalar(ctx, 3, "lower_edge_hertz");
  const double upper_hz = float_scalar(ctx, 4, "upper_edge_hertz");
  if (num_mel < 0) ctx.fail("num_mel_bins must not be negative, got ", num_mel);
  if (dft_length <= 0) ctx.fail("dft_length must be positive, got ", dft_length);
  if (sample_rate <= 0) ctx.fail("sample_rate must be positive, got ", sample_rate);
  if (!(lower_hz >= 0 && lower_hz <= upper_hz) || !std::isfinite(upper_hz))
    ctx.fail("need finite 0 <= lower_edge_hertz <= upper_edge_hertz, got ", lower_hz, " and ", upper_hz);
  const int64_t bins = dft_length / 2 + 1;
  Tensor w(DType::kFloat64, {bins, num_mel});
  double* o = w.data<double>();
  const double mel_low = 2595 * std::log10(1 + lower_hz / 700);
  const double mel_high = 2595 * std::log10(1 + upper_hz / 700);
  const double step = (mel_high - mel_low) / static_cast<double>(num_mel + 2);
  std::vector<int64_t> edge(static_cast<size_t>(num_mel + 2));
  for (int64_t k = 0; k < num_mel + 2; ++k) {
    const double hz = 700 * (std::pow(10.0, (static_cast<double>(k) * step + mel_low) / 2595) - 1);
    const double bin = std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(sample_rate));
    if (!(bin < 0x1.0p52)) ctx.fail("upper_edge_hertz ", upper_hz, " is too large for sample_rate ", sample_rate);
    edge[static_cast<size_t>(k)] = static_cast<int64_t>(bin);
  }
  auto put = [&](int64_t row, int64_t col, double v) {
    if (row >= 0 && row < bins) o[row * num_mel + col] = v;
  };
  for (int64_t i = 0; i < num_mel; ++i) {
    const int64_t lo = edge[static_cast<size_t>(i)], mid = edge[static_cast<size_t>(i) + 1],
                  hi = edge[static_cast<size_t>(i) + 2];
    if (mid == lo) {
      put(mid, i, 1.0);
    } else {
      for (int64_t j = lo; j <= mid && j < bins; ++j)
        put(j, i, static_cast<double>(j - lo) / static_cast<double>(mid - lo));
    }
    for (int64_t j = mid; j < hi && j < bins; ++j) put(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - mid));
  }
  ctx.set_output(0, dt == DType::kFloat64 ? w : w.cast(dt));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "MelWeightMatrix", .since_version = 17, .inputs = {5, 5}, .infer = infer_mel,
                  .run = run_mel});

}  // namespace onyx
