// PRelu(X, slope): x < 0 ? slope * x : x.
//
// Versions: PRelu-7 and later broadcast slope unidirectionally to X (9 adds integer types, 16 bfloat16). PRelu-1/6
// predate broadcasting: a one-element slope is shared by all elements, and otherwise slope holds per-channel values
// ([C] or [C, ...] matched against X from axis 1, as Caffe2/PyTorch exported it); other shapes fall back to
// unidirectional broadcasting.
#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

// Slope dims expressed at X's rank for PRelu-1/6.
std::vector<int64_t> legacy_slope_dims(const std::vector<int64_t>& x, const std::vector<int64_t>& s) {
  int64_t numel = 1;
  for (int64_t d : s) numel *= d;
  if (numel == 1) return std::vector<int64_t>(x.size(), 1);
  if (x.size() >= 2 && !s.empty() && s.size() <= x.size() - 1 && std::equal(s.begin(), s.end(), x.begin() + 1)) {
    std::vector<int64_t> out(x.size(), 1);
    std::copy(s.begin(), s.end(), out.begin() + 1);
    return out;
  }
  return s;
}

template <bool Legacy>
void infer_prelu(InferContext& ctx) {
  const DType x = elementwise::known_dtype(ctx, 0);
  const DType s = elementwise::known_dtype(ctx, 1);
  elementwise::check_dtype(ctx.node(), "X", x, Family::kNumeric);
  elementwise::check_same_dtype(ctx.node(), x, s, "X", "slope");
  if (!Legacy) {
    const Shape& xs = ctx.input_shape(0);
    const Shape& ss = ctx.input_shape(1);
    if (xs.rank_known() && ss.rank_known() && ss.rank() > xs.rank())
      ctx.fail("slope ", ss.to_string(), " does not broadcast to X ", xs.to_string());
    broadcast_shapes({xs, ss}, ctx.node());  // fails on known incompatible dims
  }
  infer_same_as_input(ctx);
}

template <bool Legacy>
void run_prelu(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor slope = ctx.input(1);
  elementwise::check_dtype(ctx.node(), "X", x.dtype(), Family::kNumeric);
  elementwise::check_same_dtype(ctx.node(), x.dtype(), slope.dtype(), "X", "slope");
  if (Legacy) slope = slope.reshaped(legacy_slope_dims(x.dims(), slope.dims()));
  if (slope.rank() > x.rank() || broadcast_dims({x.dims(), slope.dims()}, ctx.node()) != x.dims())
    ctx.fail("slope ", ctx.input(1).describe(), " does not broadcast to X ", x.describe());
  Tensor out(x.dtype(), x.dims());
  dispatch_numeric(x.dtype(), "PRelu", [&]<typename T>() {
    elementwise::binary_kernel<T, T, T>(x, slope, out, [](auto v, auto a) {
      using C = decltype(v);
      if constexpr (std::is_unsigned_v<C>) return v;
      else return v < C(0) ? elementwise::wrap_mul(v, a) : v;
    });
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "PRelu", .since_version = 1, .inputs = {2, 2}, .infer = infer_prelu<true>,
                  .run = run_prelu<true>});
ONYX_REGISTER_OP({.op_type = "PRelu", .since_version = 7, .inputs = {2, 2}, .infer = infer_prelu<false>,
                  .run = run_prelu<false>});

}  // namespace onyx
