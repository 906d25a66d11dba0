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

const bool kRegistered = [] {
  register_fallback_layer("", "Conv", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    if (b.model_dtype(1) != b.model_dtype(0)) fail_unsupported("W of another dtype than X");
    return std::make_unique<ConvLayer>(b);
  });
  for (bool max : {true, false}) {
    register_fallback_layer("", max ? "MaxPool" : "AveragePool", [max](const LayerBuild& b) -> std::unique_ptr<Layer> {
      if (max)
        require(b, 0, [](DType t) { return is_float_dtype(t) || t == DType::kUInt8 || t == DType::kInt8; },
                "float types and int8/uint8");
      else
        require_float_any(b, 0);
      return std::make_unique<PoolLayer>(b, max);
    });
  }
  register_fallback_layer("", "BatchNormalization", make_batch_norm);
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
