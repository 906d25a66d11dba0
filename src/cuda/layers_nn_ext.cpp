// cuda layers over the neural-network kernels of ops_kernels.h: InstanceNormalization, GroupNormalization,
// LpNormalization, LRN, MeanVarianceNormalization, NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss,
// ConvTranspose (direct kernel) and Einsum (generic contraction).
#include <algorithm>

#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

int64_t spatial_of(const Dims& d) {
  int64_t s = 1;
  for (size_t i = 2; i < d.size(); ++i) s *= d[i];
  return s;
}

std::unique_ptr<Layer> make_instance_norm(const LayerBuild& b) {
  require_float_any(b, 0);
  const float eps = b.n().attr_float("epsilon", 1e-5f);
  return std::make_unique<FnLayer>(
      b, "cuda.instance_norm",
      [eps](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() < 2) fail_bad_input("InstanceNormalization: input needs rank >= 2");
        if (in[1].numel() != x[1] || in[2].numel() != x[1])
          fail_bad_input("InstanceNormalization: scale and B need ", x[1], " elements");
        group_norm(in[0].dtype, in[0].data, x[0], x[1], spatial_of(x), x[1], in[1].data, in[2].data, true, eps,
                   out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_group_norm(const LayerBuild& b) {
  require_float_any(b, 0);
  const float eps = b.n().attr_float("epsilon", 1e-5f);
  const int64_t groups = b.n().attr_int("num_groups");
  return std::make_unique<FnLayer>(
      b, "cuda.group_norm",
      [eps, groups](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() < 2) fail_bad_input("GroupNormalization: input needs rank >= 2");
        const int64_t c = x[1];
        const bool per_channel = in[1].numel() == c;
        if (!per_channel && in[1].numel() != groups)
          fail_bad_input("GroupNormalization: scale needs ", c, " or ", groups, " elements");
        if (in[2].numel() != in[1].numel()) fail_bad_input("GroupNormalization: bias size differs from scale");
        group_norm(in[0].dtype, in[0].data, x[0], c, spatial_of(x), groups, in[1].data, in[2].data, per_channel, eps,
                   out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_lp_norm(const LayerBuild& b) {
  require_float_any(b, 0);
  const int64_t axis = b.n().attr_int("axis", -1), p = b.n().attr_int("p", 2);
  if (p != 1 && p != 2) fail_bad_input(b.n().describe(), ": p must be 1 or 2, got ", p);
  return std::make_unique<FnLayer>(
      b, "cuda.lp_norm",
      [axis, p](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        lp_norm(in[0].dtype, in[0].data, in[0].dims, axis, p, out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_lrn(const LayerBuild& b) {
  require_float_any(b, 0);
  const Node& n = b.n();
  const int64_t size = n.attr_int("size");
  const float alpha = n.attr_float("alpha", 1e-4f), beta = n.attr_float("beta", 0.75f), bias = n.attr_float("bias", 1.f);
  return std::make_unique<FnLayer>(
      b, "cuda.lrn",
      [=](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() < 2) fail_bad_input("LRN: input needs rank >= 2");
        lrn(in[0].dtype, in[0].data, x[0], x[1], spatial_of(x), size, alpha, beta, bias, out[0].data, ctx.stream);
      });
}

std::unique_ptr<Layer> make_mvn(const LayerBuild& b) {
  require_float_any(b, 0);
  const std::vector<int64_t> axes_attr = b.n().attr_ints("axes", {0, 2, 3});
  return std::make_unique<FnLayer>(
      b, "cuda.mean_variance_norm",
      [axes_attr, &node = b.n()](LayerContext& ctx, const std::vector<DeviceTensor>& in,
                                 const std::vector<DeviceTensor>& out) {
        const int64_t r = static_cast<int64_t>(in[0].dims.size());
        std::vector<int64_t> axes;
        for (int64_t a : axes_attr) axes.push_back(normalize_axis(node, a, r));
        std::sort(axes.begin(), axes.end());
        axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
        mean_variance_norm(in[0].dtype, in[0].data, in[0].dims, axes, out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

LossReduction parse_loss_reduction(const Node& n) {
  const std::string r = n.attr_string("reduction", "mean");
  if (r == "none") return LossReduction::kNone;
  if (r == "sum") return LossReduction::kSum;
  if (r == "mean") return LossReduction::kMean;
  fail_bad_input(n.describe(), ": unknown reduction '", r, "'");
}

std::unique_ptr<Layer> make_loss(const LayerBuild& b, bool softmax) {
  require_float_any(b, 0);
  require_index(b, 1);
  require_float_any(b, 2);
  const LossReduction red = parse_loss_reduction(b.n());
  const bool has_ignore = b.n().has_attr("ignore_index");
  const int64_t ignore = b.n().attr_int("ignore_index", 0);
  // Losses sum over the batch: computed in float32 (the kernel accumulates in float64).
  auto l = std::make_unique<FnLayer>(
      b, softmax ? "cuda.softmax_cross_entropy" : "cuda.nll_loss",
      [=](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() < 2) fail_bad_input("loss: input needs rank >= 2");
        Dims want_t = {x[0]};
        want_t.insert(want_t.end(), x.begin() + 2, x.end());
        if (in[1].dims != want_t) fail_bad_input("loss: target shape does not match [N, d...] of the input");
        const void* weight = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
        if (weight && in[2].numel() != x[1]) fail_bad_input("loss: weight needs ", x[1], " elements");
        if (softmax) {
          void* log_prob = out.size() > 1 && out[1].present() ? out[1].data : nullptr;
          softmax_cross_entropy(in[0].dtype, in[0].data, x, in[1].data, in[1].dtype, weight, red, has_ignore, ignore,
                                out[0].data, log_prob, ctx.error_flag, ctx.stream);
        } else {
          nll_loss(in[0].dtype, in[0].data, x, in[1].data, in[1].dtype, weight, red, has_ignore, ignore, out[0].data,
                   ctx.error_flag, ctx.stream);
        }
      },
      std::vector<int>{}, DType::kFloat32);
  l->set_reports_data_errors();  // a target outside [0, C) (other than ignore_index)
  return l;
}

class ConvTransposeLayer : public Layer {
 public:
  explicit ConvTransposeLayer(const LayerBuild& b) {
    init(b, "cuda.conv_transpose.direct", DType::kFloat32);
    const Node& n = b.n();
    group_ = n.attr_int("group", 1);
    strides_ = n.attr_ints("strides");
    dilations_ = n.attr_ints("dilations");
    pads_ = n.attr_ints("pads");
    output_padding_ = n.attr_ints("output_padding");
    output_shape_ = n.attr_ints("output_shape");
    auto_pad_ = n.attr_string("auto_pad", "NOTSET");
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const Dims& w = ctx.input_shapes[1];
    const Dims& y = ctx.output_shapes[0];
    if (x.size() < 3 || x.size() > 5) fail_unsupported("ConvTranspose with ", x.size() - 2, " spatial dims");
    const size_t nd = x.size() - 2;
    p_.x_shape = x;
    p_.w_shape = w;
    p_.y_shape = y;
    p_.group = group_;
    auto or_default = [nd](const std::vector<int64_t>& v, int64_t d) {
      return v.empty() ? std::vector<int64_t>(nd, d) : v;
    };
    p_.strides = or_default(strides_, 1);
    p_.dilations = or_default(dilations_, 1);
    const std::vector<int64_t> op = or_default(output_padding_, 0);
    const std::vector<int64_t> pads = pads_.empty() ? std::vector<int64_t>(2 * nd, 0) : pads_;
    if (p_.strides.size() != nd || p_.dilations.size() != nd || op.size() != nd || pads.size() != 2 * nd)
      fail_bad_input(node().describe(), ": strides/dilations/output_padding/pads do not match ", nd, " spatial dims");
    p_.pads_begin.assign(nd, 0);
    for (size_t i = 0; i < nd; ++i) {
      const int64_t ek = (w[2 + i] - 1) * p_.dilations[i] + 1;
      const int64_t natural = p_.strides[i] * (x[2 + i] - 1) + op[i] + ek;
      if (!output_shape_.empty() || auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") {
        const int64_t total = natural - y[2 + i];
        const int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor division
        p_.pads_begin[i] = auto_pad_ == "SAME_UPPER" ? half : total - half;
      } else if (auto_pad_ == "VALID") {
        p_.pads_begin[i] = 0;
      } else {
        p_.pads_begin[i] = pads[i];
      }
    }
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const void* bias = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
    conv_transpose(in[0].dtype, in[0].data, in[1].data, bias, p_, out[0].data, ctx.stream);
  }

 private:
  int64_t group_ = 1;
  std::vector<int64_t> strides_, dilations_, pads_, output_padding_, output_shape_;
  std::string auto_pad_;
  ConvTransposeParams p_;
};

class EinsumLayer : public Layer {
 public:
  explicit EinsumLayer(const LayerBuild& b) {
    init(b, "cuda.einsum.direct", DType::kFloat32);
    equation_ = b.n().attr_string("equation", "");
    if (b.input_types.size() > 3) fail_unsupported("Einsum of more than 3 operands");
  }
  size_t prepare(const ShapeContext& ctx) override {
    std::vector<size_t> ranks;
    for (const Dims& d : ctx.input_shapes) ranks.push_back(d.size());
    einsum_parse(equation_, ranks, &labels_, &out_labels_);
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    std::vector<const void*> ptrs;
    std::vector<Dims> shapes;
    for (const DeviceTensor& t : in) {
      ptrs.push_back(t.data);
      shapes.push_back(t.dims);
    }
    einsum(out[0].dtype, ptrs, shapes, labels_, out_labels_, out[0].data, ctx.stream);
  }

 private:
  std::string equation_;
  std::vector<std::string> labels_;
  std::string out_labels_;
};

const bool kRegistered = [] {
  register_fallback_layer("", "InstanceNormalization", make_instance_norm);
  register_layer("", "GroupNormalization", make_group_norm);
  register_layer("", "LpNormalization", make_lp_norm);
  register_layer("", "LRN", make_lrn);
  register_layer("", "MeanVarianceNormalization", make_mvn);
  register_layer("", "NegativeLogLikelihoodLoss", [](const LayerBuild& b) { return make_loss(b, false); });
  register_layer("", "SoftmaxCrossEntropyLoss", [](const LayerBuild& b) { return make_loss(b, true); });
  register_layer("", "ConvTranspose", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<ConvTransposeLayer>(b);
  });
  register_layer("", "Einsum", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    for (size_t i = 1; i < b.input_types.size(); ++i)
      if (b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("Einsum operands of different dtypes");
    return std::make_unique<EinsumLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
