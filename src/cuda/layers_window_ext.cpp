// Fallback cuda layers over the direct window kernels of ops_kernels.h: Conv (any of 1-3 spatial dims, e.g. the 3-D
// convolutions cuDNN's layer does not take), MaxPool / AveragePool (3-D, int8/uint8, the Indices output),
// BatchNormalization whose parameters are device data, ConvInteger. The main layers run first; these take what they
// call unsupported.
#include "../ops/nn_util.h"
#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

std::vector<int64_t> spatial(const Dims& d) { return std::vector<int64_t>(d.begin() + 2, d.end()); }

// The window of a Conv/pool node for the current input (and, for Conv, kernel) shape: auto_pad resolved.
WindowGeom geom_for(const Node& n, const Dims& x, const Dims& y, std::vector<int64_t> kernel, bool dilations,
                    bool ceil) {
  if (x.size() < 3 || x.size() > 5) fail_unsupported("spatial rank ", x.size() < 2 ? 0 : x.size() - 2);
  const nn::WindowAttrs a = nn::parse_window(n, x.size() - 2, std::move(kernel), dilations, ceil);
  const nn::Geom g = nn::make_geom(n, spatial(x), a);
  if (g.out != spatial(y)) fail_bad_input(n.describe(), ": window output ", dims_to_string(g.out), " differs from ",
                                          dims_to_string(y));
  return window_geom(g.in, g.out, g.k, g.stride, g.dil, g.pb, g.pe);
}

class ConvLayer : public Layer {
 public:
  explicit ConvLayer(const LayerBuild& b) { init(b, "cuda.conv.direct", DType::kFloat32); }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const Dims& w = ctx.input_shapes[1];
    if (w.size() != x.size()) fail_bad_input(node().describe(), ": W rank differs from X rank");
    g_ = geom_for(node(), x, ctx.output_shapes[0], spatial(w), true, false);
    group_ = node().attr_int("group", 1);
    if (group_ < 1 || x[1] != w[1] * group_) fail_bad_input(node().describe(), ": channels do not match W and group");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const void* bias = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
    conv_nd(in[0].dtype, in[0].data, in[1].data, bias, in[0].dims[0], in[0].dims[1], in[1].dims[0], group_, g_,
            out[0].data, ctx.stream);
  }

 private:
  WindowGeom g_;
  int64_t group_ = 1;
};

class PoolLayer : public Layer {
 public:
  PoolLayer(const LayerBuild& b, bool max) : max_(max) {
    init(b, max ? "cuda.maxpool.direct" : "cuda.avgpool.direct", DType::kFloat32);
    count_include_pad_ = !max && b.n().attr_int("count_include_pad", 0) != 0;
    column_major_ = max && b.n().attr_int("storage_order", 0) != 0;
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Node& n = node();
    const int64_t v = n.opset;
    const bool dil = max_ ? v >= 10 : v >= 19;
    g_ = geom_for(n, ctx.input_shapes[0], ctx.output_shapes[0], {}, dil, v >= 10);
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    int64_t* indices = out.size() > 1 && out[1].present() ? static_cast<int64_t*>(out[1].data) : nullptr;
    pool_nd(max_, in[0].dtype, in[0].data, in[0].dims[0] * in[0].dims[1], g_, count_include_pad_, out[0].data,
            indices, column_major_, ctx.stream);
  }

 private:
  bool max_;
  bool count_include_pad_ = false, column_major_ = false;
  WindowGeom g_;
};

bool is_int8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

// ConvInteger (x, w, x_zero_point, w_zero_point) and QLinearConv (x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp,
// B): direct integer convolution.
class ConvIntegerLayer : public Layer {
 public:
  ConvIntegerLayer(const LayerBuild& b, bool qlinear) : qlinear_(qlinear) {
    init(b, qlinear ? "cuda.qlinear_conv.direct" : "cuda.conv_integer.direct", DType::kFloat32);
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const Dims& w = ctx.input_shapes[qlinear_ ? 3 : 1];
    if (w.size() != x.size()) fail_bad_input(node().describe(), ": W rank differs from X rank");
    g_ = geom_for(node(), x, ctx.output_shapes[0], spatial(w), true, false);
    group_ = node().attr_int("group", 1);
    if (group_ < 1 || x[1] != w[1] * group_) fail_bad_input(node().describe(), ": channels do not match W and group");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    auto opt = [&](size_t i) { return in.size() > i && in[i].present() ? in[i].data : nullptr; };
    const DeviceTensor& x = in[0];
    if (!qlinear_) {
      const DeviceTensor& w = in[1];
      if (opt(2) && in[2].numel() != 1) fail_bad_input("ConvInteger: x_zero_point must be a scalar");
      conv_integer(x.dtype, x.data, opt(2), w.dtype, w.data, opt(3), opt(3) ? in[3].numel() : 1, nullptr, x.dims[0],
                   x.dims[1], w.dims[0], group_, g_, nullptr, DType::kInt32, out[0].data, ctx.stream);
      return;
    }
    const DeviceTensor& w = in[3];
    ConvQuant q;
    q.x_scale = static_cast<const float*>(in[1].data);
    q.w_scale = static_cast<const float*>(in[4].data);
    q.w_scale_count = in[4].numel();
    q.y_scale = static_cast<const float*>(in[6].data);
    q.y_zero_point = opt(7);
    if (in[1].numel() != 1 || in[2].numel() != 1 || in[6].numel() != 1)
      fail_bad_input("QLinearConv: x scale / zero point and y scale must be scalars");
    const bool has_bias = in.size() > 8 && in[8].present();
    if (has_bias && (in[8].dtype != DType::kInt32 || in[8].numel() != w.dims[0]))
      fail_bad_input("QLinearConv: B must be int32 with one value per output channel");
    conv_integer(x.dtype, x.data, opt(2), w.dtype, w.data, opt(5), opt(5) ? in[5].numel() : 1,
                 has_bias ? static_cast<const int32_t*>(in[8].data) : nullptr, x.dims[0], x.dims[1], w.dims[0],
                 group_, g_, &q, out[0].dtype, out[0].data, ctx.stream);
  }

 private:
  bool qlinear_;
  WindowGeom g_;
  int64_t group_ = 1;
};

std::unique_ptr<Layer> make_batch_norm(const LayerBuild& b) {
  for (size_t i = 0; i < 5; ++i) require_float_any(b, i);
  for (size_t i = 1; i < 5; ++i)
    if (b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("parameters of another dtype than X");
  if (b.n().attr_int("training_mode", 0) != 0) fail_unsupported("training_mode");
  require_outputs_absent_from(b, 1);
  const float eps = b.n().attr_float("epsilon", 1e-5f);
  return std::make_unique<FnLayer>(
      b, "cuda.batchnorm.device_params",
      [eps](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& x = in[0].dims;
        if (x.size() < 2) fail_bad_input("BatchNormalization: input needs rank >= 2");
        for (size_t i = 1; i < 5; ++i)
          if (in[i].numel() != x[1]) fail_bad_input("BatchNormalization: parameter ", i, " needs ", x[1], " values");
        int64_t sp = 1;
        for (size_t d = 2; d < x.size(); ++d) sp *= x[d];
        batch_norm_device(in[0].dtype, in[0].data, in[1].data, in[2].data, in[3].data, in[4].data, x[0], x[1], sp, eps,
                          out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

// The main Conv / pooling layers take 1-D and 2-D windows: 3-D inputs (rank 5) come here first.
bool rank_above_4(const LayerBuild& b) {
  if (!b.has_input(0) || !b.input_types[0]->is_tensor() || !b.input_types[0]->shape.rank_known()) return false;
  return b.input_types[0]->shape.rank() > 4;
}

const bool kRegistered = [] {
  register_fallback_layer(
      "", "Conv",
      [](const LayerBuild& b) -> std::unique_ptr<Layer> {
        require_float_any(b, 0);
        if (b.model_dtype(1) != b.model_dtype(0)) fail_unsupported("W of another dtype than X");
        return std::make_unique<ConvLayer>(b);
      },
      rank_above_4);
  for (bool max : {true, false}) {
    register_fallback_layer("", max ? "MaxPool" : "AveragePool", [max](const LayerBuild& b) -> std::unique_ptr<Layer> {
      if (max)
        require(b, 0, [](DType t) { return is_float_dtype(t) || t == DType::kUInt8 || t == DType::kInt8; },
                "float types and int8/uint8");
      else
        require_float_any(b, 0);
      return std::make_unique<PoolLayer>(b, max);
    }, rank_above_4);
  }
  register_fallback_layer("", "BatchNormalization", make_batch_norm);
  register_fallback_layer("", "ConvInteger", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i = 0; i < 4; ++i) require(b, i, is_int8, "uint8/int8");
    return std::make_unique<ConvIntegerLayer>(b, false);
  });
  register_fallback_layer("", "QLinearConv", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i : {0, 2, 3, 5, 7}) require(b, i, is_int8, "uint8/int8");
    for (size_t i : {1, 4, 6}) require(b, i, [](DType t) { return t == DType::kFloat32; }, "float32 scales");
    return std::make_unique<ConvIntegerLayer>(b, true);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
