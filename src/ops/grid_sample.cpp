// GridSample (opset 16: modes bilinear/nearest/bicubic; opset 20: linear/nearest/cubic and N-D spatial inputs).
// Both spellings are accepted by both versions; one kernel serves them.
//
// X: [N, C, D1, ..., Dr]; grid: [N, O1, ..., Or, r] whose last axis holds normalized coordinates in reverse axis
// order (x for Dr first, as PyTorch). Output [N, C, O1, ..., Or].
// Per output point and spatial axis: denormalize (align_corners: -1/1 are the corner pixels' centres; else their
// outer edges); nearest rounds (half to even, std::round for 3-D like PyTorch); a coordinate beyond the border is
// clamped (border) or reflected (reflection); then taps (nearest 1, linear 2, cubic 4 with a = -0.75) read input
// values, taps outside the input reading 0 (zeros), the clamped index (border) or the reflected index (reflection).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../core/parallel.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

enum class Mode { kLinear, kNearest, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

struct GridSampleAttrs {
  Mode mode = Mode::kLinear;
  Padding padding = Padding::kZeros;
  bool align_corners = false;
};

GridSampleAttrs parse_attrs(const Node& node) {
  GridSampleAttrs a;
  const std::string m = node.attr_string("mode", node.opset >= 20 ? "linear" : "bilinear");
  if (m == "bilinear" || m == "linear") a.mode = Mode::kLinear;
  else if (m == "nearest") a.mode = Mode::kNearest;
  else if (m == "bicubic" || m == "cubic") a.mode = Mode::kCubic;
  else fail_bad_input(node.describe(), ": unknown mode '", m, "'");
  const std::string p = node.attr_string("padding_mode", "zeros");
  if (p == "zeros") a.padding = Padding::kZeros;
  else if (p == "border") a.padding = Padding::kBorder;
  else if (p == "reflection") a.padding = Padding::kReflection;
  else fail_bad_input(node.describe(), ": unknown padding_mode '", p, "'");
  a.align_corners = node.attr_int("align_corners", 0) != 0;
  return a;
}

void infer_grid_sample(InferContext& ctx) {
  parse_attrs(ctx.node());
  const DType dt = ctx.input_dtype(0);
  const DType gt = ctx.input_dtype(1);
  if (gt != DType::kUndefined && !dtype_is_float(gt)) ctx.fail("grid must be a float tensor, got ", dtype_name(gt));
  const Shape& xs = ctx.input_shape(0);
  const Shape& gs = ctx.input_shape(1);
  if (xs.rank_known() && xs.rank() < 3) ctx.fail("X must have rank >= 3, got ", xs.to_string());
  if (xs.rank_known() && gs.rank_known() && gs.rank() != xs.rank())
    ctx.fail("grid must have X's rank ", xs.rank(), ", got ", gs.to_string());
  if (!xs.rank_known() && !gs.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(dt));
    return;
  }
  const size_t rank = xs.rank_known() ? xs.rank() : gs.rank();
  std::vector<Dim> out(rank, Dim::unknown());
  if (xs.rank_known()) out[0] = xs[0], out[1] = xs[1];
  if (gs.rank_known()) {
    if (!out[0].is_known()) out[0] = gs[0];
    for (size_t i = 2; i < rank; ++i) out[i] = gs[i - 1];
  }
  ctx.set_output(0, dt, Shape(out));
}

double reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0) return lo;
  if (x < lo) {
    const double dx = lo - x;
    const double n = std::floor(dx / range);
    const double r = dx - n * range;
    return std::fmod(n, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const double dx = x - hi;
    const double n = std::floor(dx / range);
    const double r = dx - n * range;
    return std::fmod(n, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

double cubic_weight(double d) {
  constexpr double A = -0.75;
  d = std::abs(d);
  if (d <= 1) return ((A + 2) * d - (A + 3)) * d * d + 1;
  if (d < 2) return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
  return 0;
}

template <typename T>
T convert_result(double v) {
  if constexpr (std::is_floating_point_v<compute_t<T>>) {
    return to_storage<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    const double r = std::trunc(v);
    if (r <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
    if (r >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

template <typename T, typename G>
void run_typed(KernelContext& ctx, const GridSampleAttrs& a) {
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  const size_t rank = x.rank();
  const size_t r = rank - 2;  // spatial rank
  const int64_t N = x.dim(0), C = x.dim(1);
  std::vector<int64_t> in_sp(x.dims().begin() + 2, x.dims().end());
  std::vector<int64_t> out_dims = {N, C};
  for (size_t i = 1; i + 1 < grid.rank(); ++i) out_dims.push_back(grid.dim(i));
  Tensor y(x.dtype(), out_dims);
  int64_t in_plane = 1, out_plane = 1;
  for (int64_t d : in_sp) in_plane *= d;
  for (size_t i = 2; i < rank; ++i) out_plane *= out_dims[i];
  if (y.numel() == 0) {
    ctx.set_output(0, y);
    return;
  }
  if (in_plane == 0) ctx.fail("cannot sample from an empty spatial input");
  std::vector<int64_t> strides(r, 1);
  for (size_t i = r; i-- > 1;) strides[i - 1] = strides[i] * in_sp[i];
  const T* src = x.data<T>();
  const G* gp = grid.data<G>();
  T* dst = y.data<T>();
  const int64_t n_taps = a.mode == Mode::kNearest ? 1 : a.mode == Mode::kLinear ? 2 : 4;

  parallel_for(N * out_plane, 16, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> idx(r * static_cast<size_t>(n_taps));  // -1: zero padding
    std::vector<double> wts(r * static_cast<size_t>(n_taps));
    std::vector<std::pair<int64_t, double>> combos, next;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / out_plane, p = item % out_plane;
      const G* g = gp + item * static_cast<int64_t>(r);
      for (size_t i = 0; i < r; ++i) {
        const double len = static_cast<double>(in_sp[i]);
        const double gn = static_cast<compute_t<G>>(g[r - 1 - i]);
        double v = a.align_corners ? (gn + 1) / 2 * (len - 1) : ((gn + 1) * len - 1) / 2;
        if (a.mode == Mode::kNearest) v = r == 3 ? std::round(v) : std::nearbyint(v);
        const double lo = a.align_corners ? 0.0 : -0.5;
        const double hi = a.align_corners ? len - 1 : len - 0.5;
        // Linear and nearest move an outside coordinate in (which for linear equals padding each tap); cubic, like
        // PyTorch, keeps the coordinate and pads each of its four taps.
        if ((v < lo || v > hi) && a.mode != Mode::kCubic) {
          if (a.padding == Padding::kBorder) v = std::clamp(v, 0.0, len - 1);
          else if (a.padding == Padding::kReflection) v = reflect(v, lo, hi);
        }
        auto pad_index = [&](int64_t k) -> int64_t {
          if (k >= 0 && k < in_sp[i]) return k;
          switch (a.padding) {
            case Padding::kZeros: return -1;
            case Padding::kBorder: return std::clamp<int64_t>(k, 0, in_sp[i] - 1);
            case Padding::kReflection:
              return std::clamp<int64_t>(static_cast<int64_t>(reflect(static_cast<double>(k), lo, hi)), 0,
                                         in_sp[i] - 1);
          }
          return -1;
        };
        const size_t b = i * static_cast<size_t>(n_taps);
        if (!std::isfinite(v)) {  // NaN grid values read nothing
          for (int64_t k = 0; k < n_taps; ++k) idx[b + static_cast<size_t>(k)] = -1;
          continue;
        }
        if (a.mode == Mode::kNearest) {
          idx[b] = pad_index(static_cast<int64_t>(v));
          wts[b] = 1;
          continue;
        }
        const double f = std::floor(v);
        const double t = v - f;
        const int64_t first = static_cast<int64_t>(f) - (a.mode == Mode::kCubic ? 1 : 0);
        for (int64_t k = 0; k < n_taps; ++k) {
          idx[b + static_cast<size_t>(k)] = pad_index(first + k);
          wts[b + static_cast<size_t>(k)] =
              a.mode == Mode::kLinear ? (k == 0 ? 1 - t : t) : cubic_weight(static_cast<double>(first + k) - v);
        }
      }
      combos.assign(1, {0, 1.0});
      for (size_t i = 0; i < r; ++i) {
        next.clear();
        for (const auto& [off, w] : combos)
          for (int64_t k = 0; k < n_taps; ++k) {
            const size_t j = i * static_cast<size_t>(n_taps) + static_cast<size_t>(k);
            if (idx[j] < 0 || wts[j] == 0) continue;
            next.emplace_back(off + idx[j] * strides[i], w * wts[j]);
          }
        combos.swap(next);
      }
      for (int64_t c = 0; c < C; ++c) {
        const T* plane = src + (n * C + c) * in_plane;
        double acc = 0;
        for (const auto& [off, w] : combos) acc += w * static_cast<double>(static_cast<compute_t<T>>(plane[off]));
        dst[(n * C + c) * out_plane + p] = convert_result<T>(acc);
      }
    }
  });
  ctx.set_output(0, y);
}

void run_grid_sample(KernelContext& ctx) {
  const GridSampleAttrs a = parse_attrs(ctx.node());
  const Tensor& x = ctx.input(0);
  const Tensor& grid = ctx.input(1);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 [N, C, D1, ...], got ", dims_to_string(x.dims()));
  const int64_t r = static_cast<int64_t>(x.rank()) - 2;
  if (grid.rank() != x.rank() || grid.dim(grid.rank() - 1) != r || grid.dim(0) != x.dim(0))
    ctx.fail("grid must have shape [", x.dim(0), ", ...", r, " output dims..., ", r, "], got ",
             dims_to_string(grid.dims()));
  dispatch_float(grid.dtype(), ctx.node().describe(), [&]<typename G>() {
    dispatch_numeric(x.dtype(), ctx.node().describe(), [&]<typename T>() { run_typed<T, G>(ctx, a); });
  });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "GridSample", .since_version = 16, .inputs = {2, 2}, .infer = infer_grid_sample,
                  .run = run_grid_sample});
ONYX_REGISTER_OP({.op_type = "GridSample", .since_version = 20, .inputs = {2, 2}, .infer = infer_grid_sample,
                  .run = run_grid_sample});

}  // namespace onyx
