// Resize (opset 10, 11, 13, 18, 19) and the deprecated Upsample (opset 1, 7, 9), which share one kernel.
//
// Versions: Resize-10 and Upsample are Resize with coordinate_transformation_mode "asymmetric" and nearest_mode
// "floor" (Resize-10 is upgraded to the 11 form: inputs X, roi, scales, sizes). 11 adds the coordinate modes, cubic
// and sizes; 13 makes roi/scales optional; 18 adds axes, keep_aspect_ratio_policy and antialias; 19 adds
// half_pixel_symmetric. Upsample-1 (height_scale/width_scale, "bilinear") and -7 (scales attribute) are upgraded to
// Upsample-9 (scales input).
//
// The kernel works in three steps:
//   1. output size and scale per axis (from scales, or from sizes with the aspect-ratio policy);
//   2. for every axis, the coordinate mapping output x -> input x_original and from it a fixed number of taps
//      (index, weight): nearest 1, linear 2, cubic 4 (more with antialias, whose filter is stretched by 1/scale
//      when downscaling); taps outside the input clamp to the edge, or get weight 0 with the rest renormalized
//      (exclude_outside); tf_crop_and_resize marks coordinates outside the input for extrapolation_value;
//   3. an N-D loop that, for every output element, sums input values over the product of its axes' taps.
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "../core/parallel.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel, kHalfPixelSymmetric, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNN,
  kTfCropAndResize,
};
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
enum class Policy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  NearestMode nearest = NearestMode::kRoundPreferFloor;
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0;
  bool antialias = false;
  Policy policy = Policy::kStretch;
  std::vector<int64_t> axes;  // as written (normalized against the rank later); empty: all axes
};

Mode parse_mode(const Node& node, const std::string& m) {
  if (m == "nearest") return Mode::kNearest;
  if (m == "linear" || m == "bilinear" || m == "trilinear") return Mode::kLinear;
  if (m == "cubic") return Mode::kCubic;
  fail_bad_input(node.describe(), ": mode must be nearest, linear or cubic, got '", m, "'");
}

ResizeAttrs parse_attrs(const Node& node) {
  ResizeAttrs a;
  a.mode = parse_mode(node, node.attr_string("mode", "nearest"));
  if (node.op_type == "Upsample") {
    a.coord = Coord::kAsymmetric;
    a.nearest = NearestMode::kFloor;
    if (a.mode == Mode::kCubic) fail_bad_input(node.describe(), ": Upsample has no cubic mode");
    return a;
  }
  const std::string c = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (c == "half_pixel") a.coord = Coord::kHalfPixel;
  else if (c == "half_pixel_symmetric") a.coord = Coord::kHalfPixelSymmetric;
  else if (c == "pytorch_half_pixel") a.coord = Coord::kPytorchHalfPixel;
  else if (c == "align_corners") a.coord = Coord::kAlignCorners;
  else if (c == "asymmetric") a.coord = Coord::kAsymmetric;
  else if (c == "tf_half_pixel_for_nn") a.coord = Coord::kTfHalfPixelForNN;
  else if (c == "tf_crop_and_resize") a.coord = Coord::kTfCropAndResize;
  else fail_bad_input(node.describe(), ": unknown coordinate_transformation_mode '", c, "'");
  const std::string n = node.attr_string("nearest_mode", "round_prefer_floor");
  if (n == "round_prefer_floor") a.nearest = NearestMode::kRoundPreferFloor;
  else if (n == "round_prefer_ceil") a.nearest = NearestMode::kRoundPreferCeil;
  else if (n == "floor") a.nearest = NearestMode::kFloor;
  else if (n == "ceil") a.nearest = NearestMode::kCeil;
  else fail_bad_input(node.describe(), ": unknown nearest_mode '", n, "'");
  a.cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  a.exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  a.extrapolation = node.attr_float("extrapolation_value", 0.0f);
  a.antialias = node.attr_int("antialias", 0) != 0;
  const std::string p = node.attr_string("keep_aspect_ratio_policy", "stretch");
  if (p == "stretch") a.policy = Policy::kStretch;
  else if (p == "not_larger") a.policy = Policy::kNotLarger;
  else if (p == "not_smaller") a.policy = Policy::kNotSmaller;
  else fail_bad_input(node.describe(), ": unknown keep_aspect_ratio_policy '", p, "'");
  a.axes = node.attr_ints("axes");
  return a;
}

// Resized axes, normalized; all axes when the attribute is absent.
std::vector<int64_t> resolve_axes(const ResizeAttrs& a, int64_t rank, const Node& node) {
  std::vector<int64_t> axes;
  if (a.axes.empty()) {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
    return axes;
  }
  for (int64_t ax : a.axes) {
    const int64_t n = normalize_axis(ax, rank, node);
    if (std::find(axes.begin(), axes.end(), n) != axes.end())
      fail_bad_input(node.describe(), ": axis ", ax, " is repeated in axes");
    axes.push_back(n);
  }
  return axes;
}

// Input positions: Upsample-9 is (X, scales); Resize-11+ is (X, roi, scales, sizes).
struct InputSlots {
  int roi = -1, scales = -1, sizes = -1;
};
InputSlots slots_of(const Node& node) {
  if (node.op_type == "Upsample") return {-1, 1, -1};
  return {1, 2, 3};
}

// Per-axis output size and scale, from `scales` (floor(in * scale)) or `sizes` (with the aspect-ratio policy).
struct SizePlan {
  std::vector<int64_t> out;
  std::vector<double> scale;
  bool float_scale = false;  // scales came from the (float) scales input
};

int64_t checked_size(double v, const Node& node) {
  if (!std::isfinite(v) || v < 0 || v > 9.0e18)
    fail_bad_input(node.describe(), ": output dimension ", v, " is out of range");
  return static_cast<int64_t>(v);
}

SizePlan plan_sizes(const std::vector<int64_t>& in, const std::vector<int64_t>& axes, const ResizeAttrs& a,
                    const std::vector<double>* scales, const std::vector<int64_t>* sizes, const Node& node) {
  SizePlan p{in, std::vector<double>(in.size(), 1.0)};
  if (scales) {
    p.float_scale = true;
    if (scales->size() != axes.size())
      fail_bad_input(node.describe(), ": scales has ", scales->size(), " elements, expected ", axes.size());
    for (size_t i = 0; i < axes.size(); ++i) {
      const double s = (*scales)[i];
      if (!(s > 0) || !std::isfinite(s)) fail_bad_input(node.describe(), ": scales must be positive, got ", s);
      const size_t ax = static_cast<size_t>(axes[i]);
      p.scale[ax] = s;
      p.out[ax] = checked_size(std::floor(static_cast<double>(in[ax]) * s), node);
    }
    return p;
  }
  if (!sizes) fail_bad_input(node.describe(), ": one of scales and sizes is required");
  if (sizes->size() != axes.size())
    fail_bad_input(node.describe(), ": sizes has ", sizes->size(), " elements, expected ", axes.size());
  for (int64_t s : *sizes)
    if (s < 0) fail_bad_input(node.describe(), ": sizes must be non-negative, got ", s);
  if (a.policy == Policy::kStretch) {
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t ax = static_cast<size_t>(axes[i]);
      p.out[ax] = (*sizes)[i];
      p.scale[ax] = in[ax] > 0 ? static_cast<double>((*sizes)[i]) / static_cast<double>(in[ax]) : 1.0;
    }
    return p;
  }
  double s = a.policy == Policy::kNotLarger ? std::numeric_limits<double>::infinity() : 0.0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t ax = static_cast<size_t>(axes[i]);
    if (in[ax] == 0) continue;
    const double r = static_cast<double>((*sizes)[i]) / static_cast<double>(in[ax]);
    s = a.policy == Policy::kNotLarger ? std::min(s, r) : std::max(s, r);
  }
  if (!std::isfinite(s) || s <= 0) s = 1.0;
  for (int64_t ax : axes) {
    const size_t u = static_cast<size_t>(ax);
    p.scale[u] = s;
    p.out[u] = checked_size(std::round(s * static_cast<double>(in[u])), node);
  }
  return p;
}

// Values of the float scales / roi inputs and int64 sizes (absent or empty → nullopt).
std::optional<std::vector<double>> float_values(const Tensor* t, const Node& node, const char* what) {
  if (!t || t->numel() == 0) return std::nullopt;
  if (!dtype_is_float(t->dtype()))
    fail_bad_input(node.describe(), ": ", what, " must be a float tensor, got ", dtype_name(t->dtype()));
  if (t->rank() != 1) fail_bad_input(node.describe(), ": ", what, " must be 1-D, got ", dims_to_string(t->dims()));
  return t->to_double_vector();
}
std::optional<std::vector<int64_t>> int_values(const Tensor* t, const Node& node, const char* what) {
  if (!t || t->numel() == 0) return std::nullopt;
  if (t->dtype() != DType::kInt64)
    fail_bad_input(node.describe(), ": ", what, " must be int64, got ", dtype_name(t->dtype()));
  if (t->rank() != 1) fail_bad_input(node.describe(), ": ", what, " must be 1-D, got ", dims_to_string(t->dims()));
  return t->to_int64_vector();
}

// ---- per-axis taps ------------------------------------------------------------------------------------------------

struct AxisTaps {
  int64_t n = 1;                 // taps per output coordinate
  std::vector<int64_t> index;    // [out * n]: input index along the axis
  std::vector<double> weight;    // [out * n]
  std::vector<uint8_t> outside;  // [out]: tf_crop_and_resize coordinate outside the input
};

// `out` is the integer output length; length_resized is the real-valued in * scale (they differ when the size
// came from a scale that does not divide evenly), which the align_corners and crop formulas divide by.
// F is the arithmetic of the mapping: float when the scale came from the float scales input (as ONNX Runtime and
// the ONNX reference compute, which decides floor/round ties such as 8 / 1.6f), double when derived from sizes.
template <typename F>
double original_coord(const ResizeAttrs& a, int64_t xi, int64_t in, int64_t out, F scale, F roi_start, F roi_end) {
  const F x = static_cast<F>(xi);
  const F fin = static_cast<F>(in);
  const F length_resized = scale * fin;
  const F half = F(0.5), one = F(1);
  switch (a.coord) {
    case Coord::kHalfPixel: return (x + half) / scale - half;
    case Coord::kHalfPixelSymmetric: {
      const F adjustment = static_cast<F>(out) / length_resized;
      const F center = fin / 2;
      return center * (one - adjustment) + (x + half) / scale - half;
    }
    case Coord::kPytorchHalfPixel: return length_resized > one ? (x + half) / scale - half : F(0);
    case Coord::kAlignCorners: return length_resized != one ? x * (fin - one) / (length_resized - one) : F(0);
    case Coord::kAsymmetric: return x / scale;
    case Coord::kTfHalfPixelForNN: return (x + half) / scale;
    case Coord::kTfCropAndResize:
      return length_resized != one
                 ? roi_start * (fin - one) + x * (roi_end - roi_start) * (fin - one) / (length_resized - one)
                 : half * (roi_start + roi_end) * (fin - one);
  }
  return x;
}

int64_t nearest_index(NearestMode m, double x) {
  double v = x;
  switch (m) {
    case NearestMode::kRoundPreferFloor: v = (x - std::floor(x) == 0.5) ? std::floor(x) : std::round(x); break;
    case NearestMode::kRoundPreferCeil: v = (x - std::floor(x) == 0.5) ? std::ceil(x) : std::round(x); break;
    case NearestMode::kFloor: v = std::floor(x); break;
    case NearestMode::kCeil: v = std::ceil(x); break;
  }
  return static_cast<int64_t>(v);
}

double cubic_weight(double d, double A) {
  d = std::abs(d);
  if (d <= 1) return ((A + 2) * d - (A + 3)) * d * d + 1;
  if (d < 2) return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
  return 0;
}

AxisTaps axis_taps(const ResizeAttrs& a, int64_t in, int64_t out, double scale, bool float_scale, double roi_start,
                   double roi_end) {
  AxisTaps t;
  const size_t sout = static_cast<size_t>(out);
  t.outside.assign(sout, 0);
  // Filter width: linear 1, cubic 2, stretched by 1/scale when antialiasing a downscale.
  const double s = (a.antialias && a.mode != Mode::kNearest) ? std::min(scale, 1.0) : 1.0;
  int64_t start = 0;
  if (a.mode == Mode::kNearest) {
    t.n = 1;
  } else {
    const double support = (a.mode == Mode::kLinear ? 1.0 : 2.0) / s;
    start = static_cast<int64_t>(std::floor(-support)) + 1;
    t.n = 2 * (1 - start);
  }
  t.index.assign(sout * static_cast<size_t>(t.n), 0);
  t.weight.assign(sout * static_cast<size_t>(t.n), 0.0);
  std::vector<double> w(static_cast<size_t>(t.n));
  for (int64_t xo = 0; xo < out; ++xo) {
    double x = float_scale ? original_coord<float>(a, xo, in, out, static_cast<float>(scale),
                                                   static_cast<float>(roi_start), static_cast<float>(roi_end))
                           : original_coord<double>(a, xo, in, out, scale, roi_start, roi_end);
    const size_t base = static_cast<size_t>(xo * t.n);
    if (a.coord == Coord::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
      t.outside[static_cast<size_t>(xo)] = 1;
      continue;
    }
    // Far outside the input every tap reads the edge (or is excluded) whatever the fraction, so clamping keeps
    // the result and the integer conversions below in range.
    const double margin = static_cast<double>(t.n + 2);
    x = std::isnan(x) ? 0.0 : std::clamp(x, -margin, static_cast<double>(in) + margin);
    if (a.mode == Mode::kNearest) {
      t.index[base] = std::clamp<int64_t>(nearest_index(a.nearest, x), 0, in - 1);
      t.weight[base] = 1.0;
      continue;
    }
    const double x0 = std::floor(x);
    const double ratio = x - x0;
    double sum = 0;
    for (int64_t k = 0; k < t.n; ++k) {
      const double d = (static_cast<double>(start + k) - ratio) * s;
      double wk = a.mode == Mode::kLinear ? std::max(0.0, 1 - std::abs(d)) : cubic_weight(d, a.cubic_a);
      const int64_t idx = static_cast<int64_t>(x0) + start + k;
      if (a.exclude_outside && (idx < 0 || idx >= in)) wk = 0;
      w[static_cast<size_t>(k)] = wk;
      sum += wk;
      t.index[base + static_cast<size_t>(k)] = std::clamp<int64_t>(idx, 0, in - 1);
    }
    const bool renormalize = a.antialias || a.exclude_outside;
    for (int64_t k = 0; k < t.n; ++k)
      t.weight[base + static_cast<size_t>(k)] =
          renormalize && sum != 0 ? w[static_cast<size_t>(k)] / sum : w[static_cast<size_t>(k)];
  }
  // Collapse to one tap when every coordinate reads exactly one input with weight 1 (unresized axes, nearest).
  if (t.n > 1) {
    bool single = true;
    std::vector<int64_t> idx1(sout, 0);
    for (size_t xo = 0; xo < sout && single; ++xo) {
      int nonzero = 0;
      for (int64_t k = 0; k < t.n; ++k) {
        const double wk = t.weight[xo * static_cast<size_t>(t.n) + static_cast<size_t>(k)];
        if (wk == 0) continue;
        ++nonzero;
        if (wk != 1.0) single = false;
        idx1[xo] = t.index[xo * static_cast<size_t>(t.n) + static_cast<size_t>(k)];
      }
      if (nonzero != 1 && !t.outside[xo]) single = false;
    }
    if (single) {
      t.n = 1;
      t.index = idx1;
      t.weight.assign(sout, 1.0);
    }
  }
  return t;
}

// ---- the N-D kernel -----------------------------------------------------------------------------------------------

template <typename T>
T convert_result(double v) {
  if constexpr (std::is_floating_point_v<compute_t<T>>) {
    return to_storage<T>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    if (std::isnan(v)) return T(0);
    const double r = std::trunc(v);  // like a cast, as ONNX Runtime and the ONNX reference do
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (r <= lo) return std::numeric_limits<T>::lowest();
    if (r >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(r);
  }
}

template <typename T>
void interpolate(const Tensor& x, Tensor& y, const std::vector<AxisTaps>& taps, double extrapolation) {
  const size_t rank = x.rank();
  const T* src = x.data<T>();
  T* dst = y.data<T>();
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * x.dim(i);
  if (rank == 0) {
    dst[0] = src[0];
    return;
  }
  const int64_t last_out = y.dim(rank - 1);
  const int64_t rows = y.numel() / last_out;
  const AxisTaps& lt = taps[rank - 1];
  const int64_t last_stride = in_strides[rank - 1];
  [[maybe_unused]] const T extrap = [&] {
    if constexpr (std::is_same_v<T, std::string>) return T();
    else return convert_result<T>(extrapolation);
  }();
  parallel_for(rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> pos(rank - 1);
    std::vector<std::pair<int64_t, double>> combos, next;
    for (int64_t row = begin; row < end; ++row) {
      // Output position of this row over the leading axes.
      int64_t rem = row;
      for (size_t i = rank - 1; i-- > 0;) {
        pos[i] = rem % y.dim(i);
        rem /= y.dim(i);
      }
      // (input offset, weight) over the product of the leading axes' taps.
      combos.assign(1, {0, 1.0});
      bool outside = false;
      for (size_t i = 0; i + 1 < rank; ++i) {
        const AxisTaps& t = taps[i];
        const size_t p = static_cast<size_t>(pos[i]);
        if (t.outside[p]) {
          outside = true;
          break;
        }
        next.clear();
        for (const auto& [off, w] : combos)
          for (int64_t k = 0; k < t.n; ++k) {
            const size_t j = p * static_cast<size_t>(t.n) + static_cast<size_t>(k);
            if (t.weight[j] == 0 && t.n > 1) continue;
            next.emplace_back(off + t.index[j] * in_strides[i], w * t.weight[j]);
          }
        combos.swap(next);
      }
      T* out_row = dst + row * last_out;
      for (int64_t xo = 0; xo < last_out; ++xo) {
        if (outside || lt.outside[static_cast<size_t>(xo)]) {
          if constexpr (!std::is_same_v<T, std::string>) out_row[xo] = extrap;
          continue;
        }
        const size_t b = static_cast<size_t>(xo * lt.n);
        if constexpr (std::is_same_v<T, std::string>) {
          out_row[xo] = src[combos[0].first + lt.index[b] * last_stride];
        } else {
          double acc = 0;
          for (const auto& [off, w] : combos)
            for (int64_t k = 0; k < lt.n; ++k) {
              const double wk = lt.weight[b + static_cast<size_t>(k)];
              if (wk == 0) continue;
              acc += w * wk * static_cast<double>(static_cast<compute_t<T>>(src[off + lt.index[b + static_cast<size_t>(k)] * last_stride]));
            }
          out_row[xo] = convert_result<T>(acc);
        }
      }
    }
  });
}

void resize_kernel(KernelContext& ctx, const ResizeAttrs& a) {
  const Node& node = ctx.node();
  const InputSlots slots = slots_of(node);
  const Tensor& x = ctx.input(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::vector<int64_t> axes = resolve_axes(a, rank, node);
  auto opt_input = [&](int i) -> const Tensor* {
    return i >= 0 && ctx.has_input(static_cast<size_t>(i)) ? &ctx.input(static_cast<size_t>(i)) : nullptr;
  };
  const auto scales = float_values(opt_input(slots.scales), node, "scales");
  const auto sizes = int_values(opt_input(slots.sizes), node, "sizes");
  if (scales && sizes) ctx.fail("only one of scales and sizes may be given");
  const SizePlan plan = plan_sizes(x.dims(), axes, a, scales ? &*scales : nullptr, sizes ? &*sizes : nullptr, node);

  // roi: [starts..., ends...] over the resized axes; only tf_crop_and_resize reads it.
  std::vector<double> roi_start(static_cast<size_t>(rank), 0.0), roi_end(static_cast<size_t>(rank), 1.0);
  if (a.coord == Coord::kTfCropAndResize) {
    const auto roi = float_values(opt_input(slots.roi), node, "roi");
    if (!roi) ctx.fail("tf_crop_and_resize requires the roi input");
    if (roi->size() != 2 * axes.size()) ctx.fail("roi has ", roi->size(), " elements, expected ", 2 * axes.size());
    for (size_t i = 0; i < axes.size(); ++i) {
      roi_start[static_cast<size_t>(axes[i])] = (*roi)[i];
      roi_end[static_cast<size_t>(axes[i])] = (*roi)[axes.size() + i];
    }
  }
  if (a.mode != Mode::kNearest && x.dtype() == DType::kString) ctx.fail("linear and cubic modes need numeric data");

  Tensor y(x.dtype(), plan.out);  // checks the size limits before any table is built
  if (y.numel() == 0) {
    ctx.set_output(0, y);
    return;
  }
  for (int64_t i = 0; i < rank; ++i)
    if (x.dim(static_cast<size_t>(i)) == 0) ctx.fail("cannot resize an empty axis ", i, " to a non-empty one");
  std::vector<AxisTaps> taps;
  for (int64_t i = 0; i < rank; ++i) {
    const size_t u = static_cast<size_t>(i);
    const bool resized = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (!resized) {
      AxisTaps t;
      t.index.resize(static_cast<size_t>(x.dim(u)));
      for (int64_t k = 0; k < x.dim(u); ++k) t.index[static_cast<size_t>(k)] = k;
      t.weight.assign(t.index.size(), 1.0);
      t.outside.assign(t.index.size(), 0);
      taps.push_back(std::move(t));
      continue;
    }
    taps.push_back(axis_taps(a, x.dim(u), plan.out[u], plan.scale[u], plan.float_scale, roi_start[u], roi_end[u]));
  }
  if (x.dtype() == DType::kString) {
    interpolate<std::string>(x, y, taps, a.extrapolation);
  } else {
    dispatch_numeric_bool(x.dtype(), node.describe(),
                          [&]<typename T>() { interpolate<T>(x, y, taps, a.extrapolation); });
  }
  ctx.set_output(0, y);
}

void run_resize(KernelContext& ctx) { resize_kernel(ctx, parse_attrs(ctx.node())); }

// ---- inference ----------------------------------------------------------------------------------------------------

void infer_resize(InferContext& ctx) {
  const Node& node = ctx.node();
  const ResizeAttrs a = parse_attrs(node);
  const InputSlots slots = slots_of(node);
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(dt));
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.rank());
  const std::vector<int64_t> axes = resolve_axes(a, rank, node);
  auto present = [&](int i) { return i >= 0 && ctx.has_input(static_cast<size_t>(i)); };
  auto constant = [&](int i) { return present(i) ? ctx.input_constant(static_cast<size_t>(i)) : nullptr; };
  // An input is "given" when present and not known to be empty.
  auto empty_input = [&](int i) {
    if (!present(i)) return true;
    const Shape& s = ctx.input_shape(static_cast<size_t>(i));
    return s.rank_known() && s.rank() == 1 && s[0].is_known() && s[0].value() == 0;
  };
  std::vector<Dim> out = in.dims();
  const bool use_sizes = empty_input(slots.scales) && !empty_input(slots.sizes);
  const bool use_scales = !empty_input(slots.scales);
  auto unknown_axes = [&] {
    for (int64_t ax : axes) out[static_cast<size_t>(ax)] = Dim::unknown();
  };
  if (use_scales) {
    const auto sc = float_values(constant(slots.scales), node, "scales");
    std::optional<std::vector<int64_t>> in_dims = in.static_dims();
    if (sc && in_dims) {
      const SizePlan p = plan_sizes(*in_dims, axes, a, &*sc, nullptr, node);
      for (int64_t ax : axes) out[static_cast<size_t>(ax)] = p.out[static_cast<size_t>(ax)];
    } else if (sc) {
      if (sc->size() != axes.size()) ctx.fail("scales has ", sc->size(), " elements, expected ", axes.size());
      for (size_t i = 0; i < axes.size(); ++i) {
        const Dim& d = in[static_cast<size_t>(axes[i])];
        out[static_cast<size_t>(axes[i])] =
            (*sc)[i] == 1.0 ? d : d.is_known() ? Dim(checked_size(std::floor(double(d.value()) * (*sc)[i]), node))
                                               : Dim::unknown();
      }
    } else {
      unknown_axes();
    }
  } else if (use_sizes) {
    const std::vector<Dim>* part = ctx.input_partial(static_cast<size_t>(slots.sizes));
    if (a.policy == Policy::kStretch && part && part->size() == axes.size()) {
      for (size_t i = 0; i < axes.size(); ++i) out[static_cast<size_t>(axes[i])] = (*part)[i];
    } else if (const auto sz = int_values(constant(slots.sizes), node, "sizes"); sz && in.static_dims()) {
      const SizePlan p = plan_sizes(*in.static_dims(), axes, a, nullptr, &*sz, node);
      for (int64_t ax : axes) out[static_cast<size_t>(ax)] = p.out[static_cast<size_t>(ax)];
    } else {
      unknown_axes();
    }
  } else {
    unknown_axes();
  }
  ctx.set_output(0, dt, Shape(out));
}

// ---- old versions -------------------------------------------------------------------------------------------------

Attribute string_attr(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kString;
  a.s = v;
  return a;
}

// Resize-10 (X, scales) → Resize-11 (X, roi, scales) with the asymmetric/floor behaviour of 10.
void upgrade_resize_10(Node& node) {
  Value* scales = node.input(1);
  node.set_input(1, nullptr);
  node.set_input(2, scales);
  node.set_attr(string_attr("coordinate_transformation_mode", "asymmetric"));
  node.set_attr(string_attr("nearest_mode", "floor"));
}

// Upsample-1 (height_scale, width_scale on 4-D input; "bilinear") → Upsample-7 (scales attribute).
void upgrade_upsample_1(Node& node) {
  Attribute s;
  s.name = "scales";
  s.type = AttrType::kFloats;
  s.floats = {1.0f, 1.0f, node.attr_float("height_scale", 1.0f), node.attr_float("width_scale", 1.0f)};
  node.remove_attr("height_scale");
  node.remove_attr("width_scale");
  node.set_attr(s);
  if (node.attr_string("mode", "nearest") == "bilinear") node.set_attr(string_attr("mode", "linear"));
}

// Upsample-7 (scales attribute) → Upsample-9 (scales input).
void upgrade_upsample_7(Node& node) {
  const std::vector<float> s = node.attr_floats("scales");
  if (s.empty()) fail_bad_input(node.describe(), ": the scales attribute is required");
  node.remove_attr("scales");
  set_constant_input(node, 1, Tensor::from_vector<float>({static_cast<int64_t>(s.size())}, s), "scales");
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Resize", .since_version = 10, .inputs = {2, 2}, .infer = infer_resize,
                  .run = run_resize, .upgrade = upgrade_resize_10});
ONYX_REGISTER_OP({.op_type = "Resize", .since_version = 11, .inputs = {1, 4}, .infer = infer_resize,
                  .run = run_resize});
ONYX_REGISTER_OP({.op_type = "Resize", .since_version = 13, .inputs = {1, 4}, .infer = infer_resize,
                  .run = run_resize});
ONYX_REGISTER_OP({.op_type = "Resize", .since_version = 18, .inputs = {1, 4}, .infer = infer_resize,
                  .run = run_resize});
ONYX_REGISTER_OP({.op_type = "Resize", .since_version = 19, .inputs = {1, 4}, .infer = infer_resize,
                  .run = run_resize});
ONYX_REGISTER_OP({.op_type = "Upsample", .since_version = 1, .inputs = {1, 1}, .infer = infer_resize,
                  .run = run_resize, .upgrade = upgrade_upsample_1});
ONYX_REGISTER_OP({.op_type = "Upsample", .since_version = 7, .inputs = {1, 1}, .infer = infer_resize,
                  .run = run_resize, .upgrade = upgrade_upsample_7});
ONYX_REGISTER_OP({.op_type = "Upsample", .since_version = 9, .inputs = {2, 2}, .infer = infer_resize,
                  .run = run_resize});

}  // namespace onyx
