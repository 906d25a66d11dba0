// LRN (opsets 1, 13): local response normalization across channels.
//   y = x / (bias + alpha / size * sum_{c' in window(c)} x[c']^2) ^ beta,
//   window(c) = [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] clipped to [0, C).
#include "nn_util.h"

namespace onyx {
namespace {

struct LrnAttrs {
  double alpha, beta, bias;
  int64_t size;
};

LrnAttrs parse_lrn(const Node& node) {
  LrnAttrs a{node.attr_float("alpha", 1e-4f), node.attr_float("beta", 0.75f), node.attr_float("bias", 1.0f),
             node.attr_int("size")};
  if (a.size < 1) fail_bad_input(node.describe(), ": size must be positive, got ", a.size);
  return a;
}

void run_lrn(KernelContext& ctx) {
  const LrnAttrs a = parse_lrn(ctx.node());
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  const int64_t n = x.dim(0), c = x.dim(1);
  const int64_t inner = (n * c) != 0 ? x.numel() / (n * c) : 0;
  const int64_t lo = (a.size - 1) / 2, hi = a.size - 1 - lo;
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    Tensor y(x.dtype(), x.dims());
    const T* xv = x.data<T>();
    T* yv = y.data<T>();
    parallel_for(n * c, 1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t b = r / c, ch = r % c;
        const int64_t c0 = std::max<int64_t>(0, ch - lo), c1 = std::min(c - 1, ch + hi);
        for (int64_t i = 0; i < inner; ++i) {
          double sq = 0;
          for (int64_t k = c0; k <= c1; ++k) {
            const double v = static_cast<double>(xv[(b * c + k) * inner + i]);
            sq += v * v;
          }
          const double xi = static_cast<double>(xv[r * inner + i]);
          yv[r * inner + i] = to_storage<T>(xi / std::pow(a.bias + a.alpha / static_cast<double>(a.size) * sq, a.beta));
        }
      }
    });
    ctx.set_output(0, std::move(y));
  });
}

void infer_lrn(InferContext& ctx) {
  parse_lrn(ctx.node());
  const Shape& s = ctx.input_shape(0);
  if (s.rank_known() && s.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", s.to_string());
  ctx.set_output(0, ctx.input_dtype(0), s);
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "LRN", .since_version = 1, .inputs = {1, 1}, .infer = infer_lrn, .run = run_lrn});
ONYX_REGISTER_OP({.op_type = "LRN", .since_version = 13, .inputs = {1, 1}, .infer = infer_lrn, .run = run_lrn});

}  // namespace onyx
