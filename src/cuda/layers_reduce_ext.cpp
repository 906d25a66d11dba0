// cuda layers over the reduction kernels of ops_kernels.h: Reduce{Prod,L1,L2,LogSum,LogSumExp,SumSquare} (and
// ReduceSum/Mean/Max/Min as fallbacks for other dtypes and axis sets), ArgMax/ArgMin, CumSum, Hardmax, TopK,
// and Softmax/LogSoftmax over any axis (fallback of the main last-axis layers).
#include <algorithm>

#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

class ReduceLayer : public Layer {
 public:
  ReduceLayer(const LayerBuild& b, ReduceKind kind, const std::string& name, bool axes_input) : kind_(kind) {
    // Statistics accumulate in float32 inside the kernel; the output of L2/LogSum/LogSumExp/Prod/SumSquare can
    // overflow float16, so those run in float32.
    const bool wide = kind == ReduceKind::kProd || kind == ReduceKind::kSumSquare || kind == ReduceKind::kL2 ||
                      kind == ReduceKind::kLogSumExp || kind == ReduceKind::kLogSum;
    init(b, "cuda.reduce." + name, wide ? DType::kFloat32 : DType::kUndefined);
    noop_ = b.n().attr_int("noop_with_empty_axes", 0) != 0;
    axes_input_ = axes_input;
    if (axes_input_) {
      require_host(b, 1, "axes");
    } else {
      attr_axes_ = b.n().attr_ints("axes");
    }
  }
  std::vector<int> host_inputs() const override { return axes_input_ ? std::vector<int>{1} : std::vector<int>{}; }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& shape = ctx.input_shapes[0];
    std::vector<int64_t> axes = attr_axes_;
    if (axes_input_ && ctx.host.size() > 1) axes = ints_of(ctx.host[1]);
    const int64_t r = static_cast<int64_t>(shape.size());
    noop_now_ = axes.empty() && noop_;
    axes_.clear();
    if (axes.empty()) {
      for (int64_t d = 0; d < r; ++d) axes_.push_back(d);
    } else {
      for (int64_t a : axes) axes_.push_back(normalize_axis(node(), a, std::max<int64_t>(r, 1)));
      std::sort(axes_.begin(), axes_.end());
      axes_.erase(std::unique(axes_.begin(), axes_.end()), axes_.end());
    }
    if (r == 0) axes_.clear();
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (noop_now_) {
      copy_device(out[0].data, in[0].data, out[0].nbytes(), ctx.stream);
      return;
    }
    reduce(kind_, in[0].dtype, in[0].data, in[0].dims, axes_, out[0].data, ctx.stream);
  }

 private:
  ReduceKind kind_;
  bool noop_ = false, noop_now_ = false, axes_input_ = false;
  std::vector<int64_t> attr_axes_, axes_;
};

LayerFactory reduce_factory(ReduceKind kind, const std::string& name, int axes_input_since) {
  return [kind, name, axes_input_since](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    return std::make_unique<ReduceLayer>(b, kind, name, b.n().opset >= axes_input_since);
  };
}

class ArgLayer : public Layer {
 public:
  ArgLayer(const LayerBuild& b, bool max) : max_(max) {
    init(b, max ? "cuda.argmax" : "cuda.argmin", DType::kFloat32);
    axis_ = b.n().attr_int("axis", 0);
    last_ = b.n().attr_int("select_last_index", 0) != 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    arg_reduce(max_, in[0].dtype, in[0].data, in[0].dims, axis_, last_, static_cast<int64_t*>(out[0].data),
               ctx.stream);
  }

 private:
  bool max_, last_ = false;
  int64_t axis_ = 0;
};

// Softmax / LogSoftmax / Hardmax: opset < 13 flattens to 2-D at `axis` (default 1); 13+ works on one axis (-1).
class AxisLayer : public Layer {
 public:
  enum Kind { kSoftmax, kLogSoftmax, kHardmax };
  AxisLayer(const LayerBuild& b, Kind kind) : kind_(kind) {
    static const char* names[] = {"cuda.softmax.axis", "cuda.logsoftmax.axis", "cuda.hardmax"};
    init(b, names[kind], DType::kFloat32);
    coerced_ = b.n().opset < 13;
    axis_ = b.n().attr_int("axis", coerced_ ? 1 : -1);
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    Dims shape = in[0].dims;
    int64_t axis = axis_;
    if (coerced_) {
      const int64_t r = static_cast<int64_t>(shape.size());
      const int64_t a = normalize_axis(node(), axis, std::max<int64_t>(r, 1));
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < r; ++d) (d < a ? outer : inner) *= shape[d];
      shape = {outer, inner};
      axis = 1;
    }
    if (kind_ == kHardmax)
      hardmax(in[0].dtype, in[0].data, shape, axis, out[0].data, ctx.stream);
    else
      softmax_axis(in[0].dtype, in[0].data, shape, axis, kind_ == kLogSoftmax, out[0].data, ctx.stream);
  }

 private:
  Kind kind_;
  bool coerced_ = false;
  int64_t axis_ = -1;
};

class TopKLayer : public Layer {
 public:
  explicit TopKLayer(const LayerBuild& b) {
    init(b, "cuda.topk", DType::kFloat32);
    axis_ = b.n().attr_int("axis", -1);
    largest_ = b.n().attr_int("largest", 1) != 0;
    if (b.n().opset < 10) {
      k_attr_ = b.n().attr_int("k");
    } else {
      require_host(b, 1, "K");
    }
  }
  std::vector<int> host_inputs() const override {
    return node().opset < 10 ? std::vector<int>{} : std::vector<int>{1};
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    int64_t k = k_attr_;
    if (node().opset >= 10) {
      const std::vector<int64_t> kv = ints_of(ctx.host_input(1));
      if (kv.size() != 1) fail_bad_input(node().describe(), ": K must hold one value");
      k = kv[0];
    }
    topk(in[0].dtype, in[0].data, in[0].dims, axis_, k, largest_, out[0].data, static_cast<int64_t*>(out[1].data),
         ctx.stream);
  }

 private:
  int64_t axis_ = -1, k_attr_ = 0;
  bool largest_ = true;
};

const bool kRegistered = [] {
  register_fallback_layer("", "ReduceMax", reduce_factory(ReduceKind::kMax, "max", 18));
  register_fallback_layer("", "ReduceMin", reduce_factory(ReduceKind::kMin, "min", 18));
  register_layer("", "ReduceProd", reduce_factory(ReduceKind::kProd, "prod", 18));
  register_layer("", "ReduceL1", reduce_factory(ReduceKind::kL1, "l1", 18));
  register_layer("", "ReduceL2", reduce_factory(ReduceKind::kL2, "l2", 18));
  register_layer("", "ReduceLogSum", reduce_factory(ReduceKind::kLogSum, "logsum", 18));
  register_layer("", "ReduceLogSumExp", reduce_factory(ReduceKind::kLogSumExp, "logsumexp", 18));
  register_layer("", "ReduceSumSquare", reduce_factory(ReduceKind::kSumSquare, "sumsquare", 18));
  register_fallback_layer("", "ReduceSum", reduce_factory(ReduceKind::kSum, "sum", 13));
  register_fallback_layer("", "ReduceMean", reduce_factory(ReduceKind::kMean, "mean", 18));

  for (bool max : {true, false}) {
    register_fallback_layer("", max ? "ArgMax" : "ArgMin", [max](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_numeric(b, 0);
      return std::make_unique<ArgLayer>(b, max);
    });
  }
  register_layer("", "CumSum", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    require_host(b, 1, "axis");
    const bool exclusive = b.n().attr_int("exclusive", 0) != 0, reverse = b.n().attr_int("reverse", 0) != 0;
    return std::make_unique<FnLayer>(
        b, "cuda.cumsum",
        [exclusive, reverse](LayerContext& ctx, const std::vector<DeviceTensor>& in,
                             const std::vector<DeviceTensor>& out) {
          const std::vector<int64_t> axis = ints_of(ctx.host_input(1));
          if (axis.size() != 1) fail_bad_input("CumSum: axis must hold one value");
          cumsum(in[0].dtype, in[0].data, in[0].dims, axis[0], exclusive, reverse, out[0].data, ctx.stream);
        },
        std::vector<int>{1}, DType::kFloat32);
  });
  register_layer("", "Hardmax", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<AxisLayer>(b, AxisLayer::kHardmax);
  });
  register_fallback_layer("", "Softmax", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<AxisLayer>(b, AxisLayer::kSoftmax);
  });
  register_fallback_layer("", "LogSoftmax", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<AxisLayer>(b, AxisLayer::kLogSoftmax);
  });
  register_layer("", "TopK", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    if (b.n().num_outputs() < 2 || !b.n().output(0) || !b.n().output(1))
      fail_unsupported("TopK without both its values and indices outputs");
    return std::make_unique<TopKLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
