// cuda layers over the indexing / data-movement kernels of ops_kernels.h: GatherElements, ScatterElements (and the
// deprecated Scatter), GatherND, ScatterND, Trilu, OneHot, EyeLike, Tile, Pad, DepthToSpace, SpaceToDepth,
// ReverseSequence, Resize and Upsample. Index values outside their range are found on the device: the kernels skip
// them (reads give zeros) and set the layer's error flag, which the engine reads back after the run (kBadInput
// naming the node).
#include <algorithm>
#include <cmath>
#include <limits>

#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

ScatterReduce parse_reduction(const Node& n) {
  const std::string r = n.attr_string("reduction", "none");
  if (r == "none") return ScatterReduce::kNone;
  if (r == "add") return ScatterReduce::kAdd;
  if (r == "mul") return ScatterReduce::kMul;
  if (r == "max") return ScatterReduce::kMax;
  if (r == "min") return ScatterReduce::kMin;
  fail_bad_input(n.describe(), ": unknown reduction '", r, "'");
}

std::unique_ptr<Layer> make_gather_elements(const LayerBuild& b) {
  require_plain(b, 0);
  require_index(b, 1);
  const int64_t axis = b.n().attr_int("axis", 0);
  auto l = std::make_unique<FnLayer>(
      b, "cuda.gather_elements",
      [axis](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        gather_elements(in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dtype, in[1].dims, axis, out[0].data,
                        ctx.error_flag, ctx.stream);
      });
  l->set_reports_data_errors();
  return l;
}

std::unique_ptr<Layer> make_scatter_elements(const LayerBuild& b) {
  require_plain(b, 0);
  require_index(b, 1);
  const int64_t axis = b.n().attr_int("axis", 0);
  const ScatterReduce red = parse_reduction(b.n());
  if (red != ScatterReduce::kNone) require_numeric(b, 0);
  auto l = std::make_unique<FnLayer>(
      b, "cuda.scatter_elements",
      [axis, red](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        if (in[1].dims != in[2].dims) fail_bad_input("ScatterElements: indices and updates shapes differ");
        scatter_elements(in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dtype, in[2].data, in[2].dims, axis,
                         red, out[0].data, ctx.error_flag, ctx.stream);
      });
  l->set_reports_data_errors();
  return l;
}

std::unique_ptr<Layer> make_gather_nd(const LayerBuild& b) {
  require_plain(b, 0);
  require_index(b, 1);
  const int64_t batch_dims = b.n().attr_int("batch_dims", 0);
  auto l = std::make_unique<FnLayer>(
      b, "cuda.gather_nd",
      [batch_dims](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        gather_nd(in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dtype, in[1].dims, batch_dims, out[0].data,
                  ctx.error_flag, ctx.stream);
      });
  l->set_reports_data_errors();
  return l;
}

std::unique_ptr<Layer> make_scatter_nd(const LayerBuild& b) {
  require_plain(b, 0);
  require_index(b, 1);
  const ScatterReduce red = parse_reduction(b.n());
  if (red != ScatterReduce::kNone) require_numeric(b, 0);
  auto l = std::make_unique<FnLayer>(
      b, "cuda.scatter_nd",
      [red](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        // updates must be indices.shape[:-1] + data.shape[q:]
        const Dims& is = in[1].dims;
        Dims want(is.begin(), is.end() - (is.empty() ? 0 : 1));
        const int64_t q = is.empty() ? 0 : is.back();
        for (size_t d = static_cast<size_t>(std::max<int64_t>(q, 0)); d < in[0].dims.size(); ++d)
          want.push_back(in[0].dims[d]);
        if (in[2].dims != want) fail_bad_input("ScatterND: updates shape does not match indices and data");
        scatter_nd(in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dtype, in[1].dims, in[2].data, red,
                   out[0].data, ctx.error_flag, ctx.stream);
      });
  l->set_reports_data_errors();
  return l;
}

std::unique_ptr<Layer> make_trilu(const LayerBuild& b) {
  require_plain(b, 0);
  require_host(b, 1, "k");
  const bool upper = b.n().attr_int("upper", 1) != 0;
  return std::make_unique<FnLayer>(
      b, "cuda.trilu",
      [upper](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        int64_t k = 0;
        if (in.size() > 1 && in[1].present()) {
          const std::vector<int64_t> kv = ints_of(ctx.host_input(1));
          if (kv.size() != 1) fail_bad_input("Trilu: k must hold one value");
          k = kv[0];
        }
        trilu(in[0].dtype, in[0].data, in[0].dims, k, upper, out[0].data, ctx.stream);
      },
      std::vector<int>{1});
}

std::unique_ptr<Layer> make_one_hot(const LayerBuild& b) {
  require_numeric(b, 0);
  require_host(b, 1, "depth");
  require_plain(b, 2);
  const int64_t axis = b.n().attr_int("axis", -1);
  return std::make_unique<FnLayer>(
      b, "cuda.one_hot",
      [axis](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Tensor* dt = ctx.host_input(1);
        if (!dt || dt->numel() != 1) fail_bad_input("OneHot: depth must hold one value");
        const int64_t depth = static_cast<int64_t>(dt->get_double(0));
        if (in[2].numel() != 2) fail_bad_input("OneHot: values must hold 2 elements");
        const int64_t r = static_cast<int64_t>(in[0].dims.size());
        if (axis < -r - 1 || axis > r) fail_bad_input("OneHot: axis ", axis, " out of range for rank ", r + 1);
        const int64_t a = axis < 0 ? axis + r + 1 : axis;
        one_hot(in[0].dtype, in[0].data, in[0].dims, depth, a, out[0].dtype, in[2].data, out[0].data, ctx.stream);
      },
      std::vector<int>{1});
}

std::unique_ptr<Layer> make_eye_like(const LayerBuild& b) {
  require_plain(b, 0);
  require_output_plain(b, 0);
  const int64_t k = b.n().attr_int("k", 0);
  return std::make_unique<FnLayer>(
      b, "cuda.eye_like",
      [k](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        if (in[0].dims.size() != 2) fail_bad_input("EyeLike: input must be 2-D");
        eye_like(out[0].dtype, in[0].dims[0], in[0].dims[1], k, out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_tile(const LayerBuild& b) {
  require_plain(b, 0);
  require_host(b, 1, "repeats");
  return std::make_unique<FnLayer>(
      b, "cuda.tile",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        tile(in[0].dtype, in[0].data, in[0].dims, ints_of(ctx.host_input(1)), out[0].data, ctx.stream);
      },
      std::vector<int>{1});
}

std::unique_ptr<Layer> make_pad(const LayerBuild& b) {
  require_plain(b, 0);
  const Node& n = b.n();
  const std::string m = n.attr_string("mode", "constant");
  PadMode mode;
  if (m == "constant") mode = PadMode::kConstant;
  else if (m == "reflect") mode = PadMode::kReflect;
  else if (m == "edge") mode = PadMode::kEdge;
  else if (m == "wrap") mode = PadMode::kWrap;
  else fail_bad_input(n.describe(), ": unknown pad mode '", m, "'");
  if (n.opset < 11) {
    if (n.attr_float("value", 0.f) != 0.f && mode == PadMode::kConstant)
      fail_unsupported("Pad-2 with a non-zero value attribute");
    const std::vector<int64_t> pads = n.attr_ints("pads");
    return std::make_unique<FnLayer>(
        b, "cuda.pad." + m,
        [pads, mode](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          pad(in[0].dtype, in[0].data, in[0].dims, pads, mode, nullptr, out[0].data, ctx.stream);
        });
  }
  require_host(b, 1, "pads");
  require_host(b, 3, "axes");
  return std::make_unique<FnLayer>(
      b, "cuda.pad." + m,
      [mode](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const std::vector<int64_t> given = ints_of(ctx.host_input(1));
        const int64_t r = static_cast<int64_t>(in[0].dims.size());
        std::vector<int64_t> pads(2 * r, 0);
        if (in.size() > 3 && in[3].present()) {
          const std::vector<int64_t> axes = ints_of(ctx.host_input(3));
          if (given.size() != 2 * axes.size()) fail_bad_input("Pad: pads must hold 2 values per axis");
          for (size_t i = 0; i < axes.size(); ++i) {
            int64_t a = axes[i];
            if (a < -r || a >= r) fail_bad_input("Pad: axis ", a, " out of range for rank ", r);
            if (a < 0) a += r;
            pads[a] = given[i];
            pads[a + r] = given[i + axes.size()];
          }
        } else {
          if (given.size() != pads.size()) fail_bad_input("Pad: pads must hold 2 values per dim");
          pads = given;
        }
        const void* value = in.size() > 2 && in[2].present() && in[2].numel() > 0 ? in[2].data : nullptr;
        pad(in[0].dtype, in[0].data, in[0].dims, pads, mode, value, out[0].data, ctx.stream);
      },
      std::vector<int>{1, 3});
}

// DepthToSpace / SpaceToDepth as a 6-D permutation.
std::unique_ptr<Layer> make_depth_space(const LayerBuild& b, bool to_space) {
  require_plain(b, 0);
  const int64_t bs = b.n().attr_int("blocksize");
  if (bs < 1) fail_bad_input(b.n().describe(), ": blocksize must be >= 1");
  const bool crd = to_space && b.n().attr_string("mode", "DCR") == "CRD";
  return std::make_unique<FnLayer>(
      b, to_space ? (crd ? "cuda.depth_to_space.crd" : "cuda.depth_to_space.dcr") : "cuda.space_to_depth",
      [bs, to_space, crd](LayerContext& ctx, const std::vector<DeviceTensor>& in,
                          const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() != 4) fail_bad_input("DepthToSpace/SpaceToDepth: input must be 4-D");
        const int64_t n = x[0], c = x[1], h = x[2], w = x[3];
        Dims shape;
        std::vector<int64_t> perm;
        if (to_space) {
          if (c % (bs * bs) != 0) fail_bad_input("DepthToSpace: channels not divisible by blocksize^2");
          const int64_t co = c / (bs * bs);
          if (crd) {
            shape = {n, co, bs, bs, h, w};
            perm = {0, 1, 4, 2, 5, 3};
          } else {
            shape = {n, bs, bs, co, h, w};
            perm = {0, 3, 4, 1, 5, 2};
          }
        } else {
          if (h % bs != 0 || w % bs != 0) fail_bad_input("SpaceToDepth: spatial dims not divisible by blocksize");
          shape = {n, c, h / bs, bs, w / bs, bs};
          perm = {0, 3, 5, 1, 2, 4};
        }
        permute(in[0].dtype, in[0].data, shape, perm, out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_reverse_sequence(const LayerBuild& b) {
  require_plain(b, 0);
  require(b, 1, [](DType t) { return t == DType::kInt64; }, "int64 sequence_lens");
  const int64_t time_axis = b.n().attr_int("time_axis", 0), batch_axis = b.n().attr_int("batch_axis", 1);
  return std::make_unique<FnLayer>(
      b, "cuda.reverse_sequence",
      [time_axis, batch_axis](LayerContext& ctx, const std::vector<DeviceTensor>& in,
                              const std::vector<DeviceTensor>& out) {
        if (in[0].dims.size() < 2 || in[1].numel() != in[0].dims[batch_axis == 0 ? 0 : 1])
          fail_bad_input("ReverseSequence: sequence_lens must have one entry per batch");
        reverse_sequence(in[0].dtype, in[0].data, in[0].dims, static_cast<const int64_t*>(in[1].data), time_axis,
                         batch_axis, out[0].data, ctx.stream);
      });
}

// Resize-11+ (X, roi, scales, sizes) and Upsample-9 (X, scales); older versions arrive upgraded to these forms.
class ResizeLayer : public Layer {
 public:
  explicit ResizeLayer(const LayerBuild& b) {
    init(b, "cuda.resize");
    const Node& n = b.n();
    upsample_ = n.op_type == "Upsample";
    const std::string mode = n.attr_string("mode", "nearest");
    if (mode == "nearest") p_.mode = ResizeMode::kNearest;
    else if (mode == "linear" || mode == "bilinear") p_.mode = ResizeMode::kLinear;
    else if (mode == "cubic" && !upsample_) p_.mode = ResizeMode::kCubic;
    else fail_bad_input(n.describe(), ": unknown mode '", mode, "'");
    kernel_ = "cuda.resize." + mode;
    if (upsample_) {
      p_.coord = ResizeCoord::kAsymmetric;
      p_.nearest = ResizeNearest::kFloor;
      require_host(b, 1, "scales");
      return;
    }
    const std::string c = n.attr_string("coordinate_transformation_mode", "half_pixel");
    if (c == "half_pixel") p_.coord = ResizeCoord::kHalfPixel;
    else if (c == "half_pixel_symmetric") p_.coord = ResizeCoord::kHalfPixelSymmetric;
    else if (c == "pytorch_half_pixel") p_.coord = ResizeCoord::kPytorchHalfPixel;
    else if (c == "align_corners") p_.coord = ResizeCoord::kAlignCorners;
    else if (c == "asymmetric") p_.coord = ResizeCoord::kAsymmetric;
    else if (c == "tf_half_pixel_for_nn") p_.coord = ResizeCoord::kTfHalfPixelForNN;
    else if (c == "tf_crop_and_resize") p_.coord = ResizeCoord::kTfCropAndResize;
    else fail_bad_input(n.describe(), ": unknown coordinate_transformation_mode '", c, "'");
    const std::string nm = n.attr_string("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") p_.nearest = ResizeNearest::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil") p_.nearest = ResizeNearest::kRoundPreferCeil;
    else if (nm == "floor") p_.nearest = ResizeNearest::kFloor;
    else if (nm == "ceil") p_.nearest = ResizeNearest::kCeil;
    else fail_bad_input(n.describe(), ": unknown nearest_mode '", nm, "'");
    p_.cubic_coeff_a = n.attr_float("cubic_coeff_a", -0.75f);
    p_.exclude_outside = n.attr_int("exclude_outside", 0) != 0;
    p_.extrapolation_value = n.attr_float("extrapolation_value", 0.f);
    if (n.attr_int("antialias", 0) != 0 && p_.mode != ResizeMode::kNearest)
      fail_unsupported("antialias has no cuda kernel");
    axes_attr_ = n.attr_ints("axes");
    policy_ = n.attr_string("keep_aspect_ratio_policy", "stretch");
    for (size_t i = 1; i < 4; ++i) require_host(b, i, i == 1 ? "roi" : (i == 2 ? "scales" : "sizes"));
  }
  std::vector<int> host_inputs() const override {
    return upsample_ ? std::vector<int>{1} : std::vector<int>{1, 2, 3};
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& in = ctx.input_shapes[0];
    const Dims& out = ctx.output_shapes[0];
    const int64_t r = static_cast<int64_t>(in.size());
    std::vector<int64_t> axes;
    if (axes_attr_.empty()) {
      for (int64_t d = 0; d < r; ++d) axes.push_back(d);
    } else {
      for (int64_t a : axes_attr_) axes.push_back(normalize_axis(node(), a, r));
    }
    auto host = [&](size_t i) -> const Tensor* { return i < ctx.host.size() ? ctx.host[i] : nullptr; };
    const Tensor* scales = host(upsample_ ? 1 : 2);
    const Tensor* sizes = upsample_ ? nullptr : host(3);
    const Tensor* roi = upsample_ ? nullptr : host(1);
    p_.scales.assign(r, 1.0);
    p_.float_math = scales && scales->numel() > 0 && scales->dtype() == DType::kFloat32;
    if (scales && scales->numel() > 0) {
      const std::vector<double> s = scales->to_double_vector();
      if (s.size() != axes.size()) fail_bad_input(node().describe(), ": scales has ", s.size(), " values");
      for (size_t i = 0; i < axes.size(); ++i) p_.scales[axes[i]] = s[i];
    } else if (sizes && sizes->numel() > 0) {
      const std::vector<int64_t> sz = sizes->to_int64_vector();
      if (sz.size() != axes.size()) fail_bad_input(node().describe(), ": sizes has ", sz.size(), " values");
      if (policy_ == "stretch") {
        for (size_t i = 0; i < axes.size(); ++i)
          p_.scales[axes[i]] = in[axes[i]] > 0 ? static_cast<double>(sz[i]) / static_cast<double>(in[axes[i]]) : 1.0;
      } else {
        const bool not_larger = policy_ == "not_larger";
        double s = not_larger ? std::numeric_limits<double>::infinity() : 0.0;
        for (size_t i = 0; i < axes.size(); ++i) {
          if (in[axes[i]] == 0) continue;
          const double q = static_cast<double>(sz[i]) / static_cast<double>(in[axes[i]]);
          s = not_larger ? std::min(s, q) : std::max(s, q);
        }
        if (!std::isfinite(s) || s <= 0) s = 1.0;
        for (int64_t a : axes) p_.scales[a] = s;
      }
    } else {
      fail_bad_input(node().describe(), ": one of scales and sizes is required");
    }
    p_.roi.clear();
    if (p_.coord == ResizeCoord::kTfCropAndResize) {
      if (!roi || roi->numel() == 0) fail_bad_input(node().describe(), ": tf_crop_and_resize needs roi");
      const std::vector<double> v = roi->to_double_vector();
      if (v.size() != 2 * axes.size()) fail_bad_input(node().describe(), ": roi has ", v.size(), " values");
      p_.roi.assign(2 * r, 0.0);
      for (int64_t d = 0; d < r; ++d) p_.roi[r + d] = 1.0;
      for (size_t i = 0; i < axes.size(); ++i) {
        p_.roi[axes[i]] = v[i];
        p_.roi[r + axes[i]] = v[i + axes.size()];
      }
    }
    (void)out;
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    resize(in[0].dtype, in[0].data, in[0].dims, out[0].dims, p_, out[0].data, ctx.stream);
  }

 private:
  bool upsample_ = false;
  ResizeParams p_;
  std::vector<int64_t> axes_attr_;
  std::string policy_;
};

const bool kRegistered = [] {
  register_layer("", "GatherElements", make_gather_elements);
  register_layer("", "ScatterElements", make_scatter_elements);
  register_layer("", "Scatter", make_scatter_elements);
  register_layer("", "GatherND", make_gather_nd);
  register_layer("", "ScatterND", make_scatter_nd);
  register_layer("", "Trilu", make_trilu);
  register_layer("", "OneHot", make_one_hot);
  register_layer("", "EyeLike", make_eye_like);
  register_fallback_layer("", "Tile", make_tile);
  register_fallback_layer("", "Pad", make_pad);
  register_layer("", "DepthToSpace", [](const LayerBuild& b) { return make_depth_space(b, true); });
  register_layer("", "SpaceToDepth", [](const LayerBuild& b) { return make_depth_space(b, false); });
  register_layer("", "ReverseSequence", make_reverse_sequence);
  for (const char* op : {"Resize", "Upsample"}) {
    register_layer("", op, [](const LayerBuild& b) -> std::unique_ptr<Layer> {
      if (b.n().attr_string("mode", "nearest") == "nearest")
        require_numeric(b, 0);
      else
        require_float_any(b, 0);
      return std::make_unique<ResizeLayer>(b);
    });
  }
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
