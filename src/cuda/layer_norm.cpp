// cuda layers: Softmax, LogSoftmax, LayerNormalization (standard and onyx), ReduceMean/Sum/Max/Min. Statistics
// and sums accumulate in float32 inside the kernels whatever the storage dtype.
#include "layer_util.h"

namespace onyx::cuda {
namespace {

int64_t prod(const Dims& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= d[i];
  return p;
}

class SoftmaxLayer : public Layer {
 public:
  SoftmaxLayer(const LayerBuild& b, bool log) : log_(log) { init(b, log ? "cuda.logsoftmax" : "cuda.softmax"); }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const int64_t r = static_cast<int64_t>(x.size());
    const bool coerce = node().opset < 13;
    int64_t axis = node().attr_int("axis", coerce ? 1 : -1);
    if (r == 0) {
      rows_ = 1, cols_ = 1, perm_.clear();
      return 0;
    }
    axis = norm_axis(node(), axis, r);
    perm_.clear();
    if (coerce || axis == r - 1) {
      rows_ = prod(x, 0, static_cast<size_t>(axis));
      cols_ = prod(x, static_cast<size_t>(axis), x.size());
      return 0;
    }
    // Move the axis last, softmax, move it back.
    for (int64_t i = 0; i < r; ++i)
      if (i != axis) perm_.push_back(i);
    perm_.push_back(axis);
    tdims_.clear();
    for (int64_t p : perm_) tdims_.push_back(x[static_cast<size_t>(p)]);
    inv_.assign(static_cast<size_t>(r), 0);
    for (int64_t i = 0; i < r; ++i) inv_[static_cast<size_t>(perm_[static_cast<size_t>(i)])] = i;
    cols_ = x[static_cast<size_t>(axis)];
    rows_ = cols_ ? cuda::numel(x) / cols_ : 0;
    bytes_ = (static_cast<size_t>(cuda::numel(x)) * dtype_size(ctx.input_dtypes[0]) + 255) / 256 * 256;
    return 2 * bytes_;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& x = in[0];
    if (x.numel() == 0) return;
    if (perm_.empty()) {
      softmax_lastdim(x.dtype, x.data, out[0].data, rows_, cols_, log_, ctx.stream);
      return;
    }
    char* a = static_cast<char*>(ctx.workspace);
    char* b = a + bytes_;
    permute(x.dtype, x.data, x.dims, perm_, a, ctx.stream);
    softmax_lastdim(x.dtype, a, b, rows_, cols_, log_, ctx.stream);
    permute(x.dtype, b, tdims_, inv_, out[0].data, ctx.stream);
  }

 private:
  bool log_;
  int64_t rows_ = 0, cols_ = 0;
  std::vector<int64_t> perm_, inv_;
  Dims tdims_;
  size_t bytes_ = 0;
};

class LayerNormLayer : public Layer {
 public:
  explicit LayerNormLayer(const LayerBuild& b) {
    init(b, "cuda.layernorm");
    // Mean / InvStdDev outputs are float32 statistics whatever the precision.
    for (size_t i = 1; i < b.output_dtypes.size(); ++i)
      if (b.n().output(i) && b.n().output(i)->type.dtype == DType::kFloat32) b.output_dtypes[i] = DType::kFloat32;
    for (size_t i = 1; i < b.n().num_outputs(); ++i)
      if (b.n().output(i) && b.n().output(i)->type.dtype != DType::kFloat32)
        fail_unsupported("statistics output ", i, " of dtype ", dtype_name(b.n().output(i)->type.dtype));
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const int64_t r = static_cast<int64_t>(x.size());
    if (r == 0) fail_bad_input("LayerNormalization of a scalar");
    const int64_t axis = norm_axis(node(), node().attr_int("axis", -1), r);
    rows_ = prod(x, 0, static_cast<size_t>(axis));
    cols_ = prod(x, static_cast<size_t>(axis), x.size());
    for (size_t i = 1; i < 3; ++i)
      if (i < ctx.input_shapes.size() && ctx.input_dtypes[i] != DType::kUndefined &&
          cuda::numel(ctx.input_shapes[i]) != cols_)
        fail_unsupported("Scale/B broadcast over the normalized axes (cuda needs one value per normalized element)");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (rows_ * cols_ == 0) return;
    const void* bias = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
    float* mean = out.size() > 1 && out[1].present() ? static_cast<float*>(out[1].data) : nullptr;
    float* inv = out.size() > 2 && out[2].present() ? static_cast<float*>(out[2].data) : nullptr;
    layer_norm_lastdim(in[0].dtype, in[0].data, in[1].data, bias, out[0].data, rows_, cols_,
                       node().attr_float("epsilon", 1e-5f), mean, inv, ctx.stream);
  }

 private:
  int64_t rows_ = 0, cols_ = 0;
};

class ReduceLayer : public Layer {
 public:
  ReduceLayer(const LayerBuild& b, ReduceOp op, bool axes_input) : op_(op), axes_input_(axes_input) {
    init(b, "cuda.reduce");
    if (axes_input_) require_host(b, 1, "axes");
  }
  std::vector<int> host_inputs() const override {
    return axes_input_ ? std::vector<int>{1} : std::vector<int>{};
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    std::vector<int64_t> axes;
    bool have = false;
    if (axes_input_) {
      if (ctx.host.size() > 1 && ctx.host[1]) {
        axes = host_ints(*ctx.host[1]);
        have = true;
      }
    } else if (node().has_attr("axes")) {
      axes = node().attr_ints("axes");
      have = true;
    }
    if (have && axes.empty()) have = false;
    copy_ = false;
    axes_.clear();
    if (!have) {
      if (node().attr_int("noop_with_empty_axes", 0)) {
        copy_ = true;
        return 0;
      }
      for (size_t i = 0; i < x.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    }
    for (int64_t a : axes) axes_.push_back(norm_axis(node(), a, static_cast<int64_t>(x.size())));
    std::sort(axes_.begin(), axes_.end());
    axes_.erase(std::unique(axes_.begin(), axes_.end()), axes_.end());
    shapes_.clear();
    Dims cur = x;
    for (int64_t a : axes_) {
      shapes_.push_back(cur);
      cur[static_cast<size_t>(a)] = 1;
    }
    bytes_ = (static_cast<size_t>(cuda::numel(x)) * dtype_size(ctx.input_dtypes[0]) + 255) / 256 * 256;
    return axes_.size() > 1 ? 2 * bytes_ : 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& x = in[0];
    if (copy_ || axes_.empty()) {
      copy_d2d(out[0].data, x.data, out[0].nbytes(), ctx.stream);
      return;
    }
    if (out[0].numel() == 0) return;
    const void* src = x.data;
    char* ws = static_cast<char*>(ctx.workspace);
    for (size_t i = 0; i < axes_.size(); ++i) {
      void* dst = i + 1 == axes_.size() ? out[0].data : ws + (i % 2) * bytes_;
      reduce_axis(op_, x.dtype, src, shapes_[i], axes_[i], dst, ctx.stream);
      src = dst;
    }
  }

 private:
  ReduceOp op_;
  bool axes_input_;
  bool copy_ = false;
  std::vector<int64_t> axes_;
  std::vector<Dims> shapes_;
  size_t bytes_ = 0;
};

const bool kRegistered = [] {
  register_layer("", "Softmax", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float(b, 0);
    return std::make_unique<SoftmaxLayer>(b, false);
  });
  register_layer("", "LogSoftmax", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float(b, 0);
    return std::make_unique<SoftmaxLayer>(b, true);
  });
  auto ln = [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i = 0; i < 3; ++i)
      if (b.has_input(i)) require_float(b, i);
    for (size_t i = 1; i < 3; ++i)
      if (b.has_input(i) && b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("Scale/B dtype differs from X");
    if (b.n().attr_int("stash_type", 1) != 1) fail_unsupported("stash_type other than float32");
    return std::make_unique<LayerNormLayer>(b);
  };
  register_layer("", "LayerNormalization", ln);
  register_layer("onyx", "LayerNormalization", ln);
  struct R {
    const char* op;
    ReduceOp r;
    int axes_input_since;
  };
  for (R r : {R{"ReduceMean", ReduceOp::kMean, 18}, R{"ReduceSum", ReduceOp::kSum, 13},
              R{"ReduceMax", ReduceOp::kMax, 18}, R{"ReduceMin", ReduceOp::kMin, 18}}) {
    register_layer("", r.op, [r](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_float(b, 0);
      return std::make_unique<ReduceLayer>(b, r.r, b.n().opset >= r.axes_input_since);
    });
  }
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
