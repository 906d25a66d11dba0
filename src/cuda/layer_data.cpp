// cuda layers that move data: Transpose, Concat, Slice, Split, Gather, Expand, Where.
#include "layer_kernels.h"
#include "layer_util.h"

namespace onyx::cuda {
namespace {

bool movable(DType t) {
  const size_t s = dtype_size(t);
  return t != DType::kString && t != DType::kUndefined && (s == 1 || s == 2 || s == 4 || s == 8);
}

class TransposeLayer : public Layer {
 public:
  explicit TransposeLayer(const LayerBuild& b) { init(b, "cuda.transpose"); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& x = in[0];
    std::vector<int64_t> perm = node().attr_ints("perm");
    if (perm.empty())
      for (size_t i = 0; i < x.dims.size(); ++i) perm.push_back(static_cast<int64_t>(x.dims.size() - 1 - i));
    if (out[0].numel() == 0) return;
    permute(x.dtype, x.data, x.dims, perm, out[0].data, ctx.stream);
  }
};

class ConcatLayer : public Layer {
 public:
  explicit ConcatLayer(const LayerBuild& b) { init(b, "cuda.concat"); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (out[0].numel() == 0) return;
    std::vector<const void*> ptrs;
    std::vector<Dims> shapes;
    for (const DeviceTensor& t : in) {
      if (t.numel() == 0) continue;
      ptrs.push_back(t.data);
      shapes.push_back(t.dims);
    }
    const int64_t axis = norm_axis(node(), node().attr_int("axis", 0), static_cast<int64_t>(out[0].dims.size()));
    concat(out[0].dtype, ptrs, shapes, axis, out[0].data, ctx.stream);
  }
};

class SliceLayer : public Layer {
 public:
  explicit SliceLayer(const LayerBuild& b) {
    init(b, "cuda.slice");
    if (b.n().opset >= 10)
      for (size_t i = 1; i < 5; ++i) require_host(b, i, "starts/ends/axes/steps");
  }
  std::vector<int> host_inputs() const override { return {1, 2, 3, 4}; }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const int64_t r = static_cast<int64_t>(x.size());
    std::vector<int64_t> starts, axes, steps;
    if (node().opset < 10) {
      starts = node().attr_ints("starts");
      axes = node().attr_ints("axes");
    } else {
      auto get = [&](size_t i) {
        return i < ctx.host.size() && ctx.host[i] ? host_ints(*ctx.host[i]) : std::vector<int64_t>{};
      };
      starts = get(1);
      axes = get(3);
      steps = get(4);
    }
    if (axes.empty())
      for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (axes.size() != starts.size() || steps.size() != starts.size()) fail_bad_input("starts/axes/steps lengths differ");
    starts_.assign(x.size(), 0);
    steps_.assign(x.size(), 1);
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t a = norm_axis(node(), axes[i], r);
      const int64_t d = x[static_cast<size_t>(a)], s = steps[i];
      if (s == 0) fail_bad_input("step 0");
      int64_t st = starts[i];
      if (st < 0) st += d;
      st = s > 0 ? std::clamp<int64_t>(st, 0, d) : std::clamp<int64_t>(st, 0, d - 1);
      starts_[static_cast<size_t>(a)] = st;
      steps_[static_cast<size_t>(a)] = s;
    }
    out_ = ctx.output_shapes[0];
    for (size_t d = 0; d < x.size(); ++d)
      if (out_[d] == 0) starts_[d] = 0;
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (out[0].numel() == 0) return;
    slice(in[0].dtype, in[0].data, in[0].dims, starts_, steps_, out_, out[0].data, ctx.stream);
  }

 private:
  std::vector<int64_t> starts_, steps_;
  Dims out_;
};

class SplitLayer : public Layer {
 public:
  explicit SplitLayer(const LayerBuild& b) {
    init(b, "cuda.split");
    if (b.n().opset >= 13) require_host(b, 1, "split");
  }
  std::vector<int> host_inputs() const override { return {1}; }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& x = in[0];
    const int64_t axis = norm_axis(node(), node().attr_int("axis", 0), static_cast<int64_t>(x.dims.size()));
    int64_t start = 0;
    for (const DeviceTensor& y : out) {
      if (!y.present()) continue;
      const int64_t len = y.dims[static_cast<size_t>(axis)];
      if (y.numel() > 0) slice_axis(x.dtype, x.data, x.dims, axis, start, len, y.data, ctx.stream);
      start += len;
    }
  }
};

class GatherLayer : public Layer {
 public:
  explicit GatherLayer(const LayerBuild& b) {
    init(b, "cuda.gather");
    data_errors_ = true;  // an index outside [-dim, dim) sets ctx.error_flag
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (out[0].numel() == 0) return;
    const int64_t axis = norm_axis(node(), node().attr_int("axis", 0), static_cast<int64_t>(in[0].dims.size()));
    gather(in[0].dtype, in[0].data, in[0].dims, axis, in[1].data, in[1].dtype, in[1].dims, out[0].data,
           ctx.error_flag, ctx.stream);
  }
};

class ExpandLayer : public Layer {
 public:
  explicit ExpandLayer(const LayerBuild& b) {
    init(b, "cuda.expand");
    require_host(b, 1, "shape");
  }
  std::vector<int> host_inputs() const override { return {1}; }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    broadcast_to(dtype_size(in[0].dtype), in[0].data, in[0].dims, out[0].data, out[0].dims, ctx.stream);
  }
};

class WhereLayer : public Layer {
 public:
  explicit WhereLayer(const LayerBuild& b) { init(b, "cuda.where"); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    where(dtype_size(out[0].dtype), in[0].data, in[0].dims, in[1].data, in[1].dims, in[2].data, in[2].dims,
          out[0].data, out[0].dims, ctx.stream);
  }
};

void require_movable(const LayerBuild& b, size_t i) {
  if (!movable(b.model_dtype(i))) fail_unsupported("input ", i, " is ", dtype_name(b.model_dtype(i)));
}

const bool kRegistered = [] {
  register_layer("", "Transpose", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_movable(b, 0);
    return std::make_unique<TransposeLayer>(b);
  });
  register_layer("", "Concat", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i = 0; i < b.input_types.size(); ++i) require_movable(b, i);
    return std::make_unique<ConcatLayer>(b);
  });
  register_layer("", "Slice", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_movable(b, 0);
    return std::make_unique<SliceLayer>(b);
  });
  register_layer("", "Split", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_movable(b, 0);
    return std::make_unique<SplitLayer>(b);
  });
  register_layer("", "Gather", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_movable(b, 0);
    require_dtypes(b, 1, {DType::kInt32, DType::kInt64});
    return std::make_unique<GatherLayer>(b);
  });
  register_layer("", "Expand", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_movable(b, 0);
    return std::make_unique<ExpandLayer>(b);
  });
  register_layer("", "Where", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_dtypes(b, 0, {DType::kBool});
    require_movable(b, 1);
    if (b.model_dtype(2) != b.model_dtype(1)) fail_unsupported("X and Y dtypes differ");
    return std::make_unique<WhereLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
