// cuda layers: Pad, Tile, PRelu, InstanceNormalization, comparisons and logic (Equal, Less, Greater, LessOrEqual,
// GreaterOrEqual, And, Or, Xor, Not), ArgMax/ArgMin, CastLike, Mean.
#include <cstring>

#include "buffer.h"
#include "layer_kernels.h"
#include "layer_util.h"

namespace onyx::cuda {
namespace {

int code_of(DType t) {
  switch (t) {
    case DType::kFloat32: return 0;
    case DType::kFloat16: return 1;
    case DType::kBFloat16: return 2;
    case DType::kInt32: return 3;
    case DType::kInt64: return 4;
    case DType::kBool: return 5;
    default: fail_unsupported("dtype ", dtype_name(t), " has no cuda kernel here");
  }
}

bool movable(DType t) {
  const size_t s = dtype_size(t);
  return t != DType::kString && t != DType::kUndefined && (s == 1 || s == 2 || s == 4 || s == 8);
}

// Uploads a host tensor converted to `dt` into a layer-owned buffer.
DeviceBuffer upload_as(const Tensor& t, DType dt) {
  const Tensor c = t.dtype() == dt ? t : t.cast(dt);
  DeviceBuffer b(std::max<size_t>(c.nbytes(), 1));
  if (c.nbytes()) check_cuda(cudaMemcpy(b.data(), c.raw_data(), c.nbytes(), cudaMemcpyHostToDevice), "upload constant");
  return b;
}

class PadLayer : public Layer {
 public:
  explicit PadLayer(const LayerBuild& b) {
    init(b, "cuda.pad");
    const std::string mode = b.n().attr_string("mode", "constant");
    mode_ = mode == "constant" ? 0 : mode == "reflect" ? 1 : mode == "edge" ? 2 : -1;
    if (mode_ < 0) fail_unsupported("Pad mode '", mode, "'");
    inputs_form_ = b.n().num_inputs() > 1 || b.n().opset >= 11;  // Pad-11+: pads etc. are inputs
    if (inputs_form_)
      for (size_t i = 1; i < 4; ++i) require_host(b, i, "pads/constant_value/axes");
  }
  std::vector<int> host_inputs() const override { return {1, 2, 3}; }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const size_t r = x.size();
    std::vector<int64_t> pads, axes;
    Tensor value;
    if (!inputs_form_) {
      pads = node().attr_ints("pads", node().attr_ints("paddings"));
      value = Tensor::scalar<float>(node().attr_float("value", 0.f));
    } else {
      if (ctx.host[1]) pads = host_ints(*ctx.host[1]);
      // An upgraded Pad-2 keeps its float `value` attribute as the fill when no constant_value input exists.
      if (node().has_attr("value")) value = Tensor::scalar<float>(node().attr_float("value", 0.f));
      if (ctx.host.size() > 2 && ctx.host[2] && ctx.host[2]->numel() > 0) value = *ctx.host[2];
      if (ctx.host.size() > 3 && ctx.host[3]) axes = host_ints(*ctx.host[3]);
    }
    if (axes.empty())
      for (size_t i = 0; i < r; ++i) axes.push_back(static_cast<int64_t>(i));
    if (pads.size() != 2 * axes.size()) fail_bad_input("pads has ", pads.size(), " values for ", axes.size(), " axes");
    begin_.assign(r, 0);
    for (size_t i = 0; i < axes.size(); ++i)
      begin_[static_cast<size_t>(norm_axis(node(), axes[i], static_cast<int64_t>(r)))] = pads[i];
    bits_ = 0;
    const DType dt = ctx.input_dtypes[0];
    if (value.is_valid()) {
      const Tensor v = value.cast(dt);
      std::memcpy(&bits_, v.raw_data(), dtype_size(dt));
    }
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    pad(dtype_size(in[0].dtype), in[0].data, in[0].dims, begin_, mode_, bits_, out[0].data, out[0].dims, ctx.stream);
  }

 private:
  bool inputs_form_ = true;
  int mode_ = 0;
  std::vector<int64_t> begin_;
  uint64_t bits_ = 0;
};

class TileLayer : public Layer {
 public:
  explicit TileLayer(const LayerBuild& b) {
    init(b, "cuda.tile");
    require_host(b, 1, "repeats");
  }
  std::vector<int> host_inputs() const override { return {1}; }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (in[0].numel() == 0) return;
    tile(dtype_size(in[0].dtype), in[0].data, in[0].dims, out[0].data, out[0].dims, ctx.stream);
  }
};

class PReluLayer : public Layer {
 public:
  explicit PReluLayer(const LayerBuild& b) { init(b, "cuda.prelu"); }
  size_t prepare(const ShapeContext& ctx) override {
    // PRelu-1/6 predate broadcasting: a one-element slope is shared, [C] or [C, ...] matches X from axis 1.
    const Dims& x = ctx.input_shapes[0];
    slope_ = ctx.input_shapes[1];
    if (node().opset < 7) {
      if (cuda::numel(slope_) == 1) {
        slope_ = Dims(x.size(), 1);
      } else if (x.size() >= 2 && !slope_.empty() && slope_.size() <= x.size() - 1 &&
                 std::equal(slope_.begin(), slope_.end(), x.begin() + 1)) {
        Dims s(x.size(), 1);
        std::copy(slope_.begin(), slope_.end(), s.begin() + 1);
        slope_ = s;
      }
    }
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    prelu(code_of(in[0].dtype), in[0].data, in[1].data, slope_, out[0].data, out[0].dims, ctx.stream);
  }

 private:
  Dims slope_;
};

class InstanceNormLayer : public Layer {
 public:
  explicit InstanceNormLayer(const LayerBuild& b) { init(b, "cuda.instancenorm"); }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    if (x.size() < 3) fail_bad_input("input of rank ", x.size());
    rows_ = x[0] * x[1];
    cols_ = rows_ ? cuda::numel(x) / rows_ : 0;
    cshape_ = Dims(x.size() - 1, 1);
    cshape_[0] = x[1];
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    if (y.numel() == 0) return;
    layer_norm_lastdim(y.dtype, in[0].data, nullptr, nullptr, y.data, rows_, cols_, node().attr_float("epsilon", 1e-5f),
                       nullptr, nullptr, ctx.stream);
    binary(BinaryOp::kMul, y.dtype, y.data, y.dims, in[1].data, cshape_, y.data, ctx.stream);
    binary(BinaryOp::kAdd, y.dtype, y.data, y.dims, in[2].data, cshape_, y.data, ctx.stream);
  }

 private:
  int64_t rows_ = 0, cols_ = 0;
  Dims cshape_;
};

class CompareLayer : public Layer {
 public:
  CompareLayer(const LayerBuild& b, CmpOp op, std::string name) : op_(op) { init(b, "cuda.compare." + name); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    compare(op_, code_of(in[0].dtype), in[0].data, in[0].dims, in[1].data, in[1].dims, out[0].data, out[0].dims,
            ctx.stream);
  }

 private:
  CmpOp op_;
};

class NotLayer : public Layer {
 public:
  explicit NotLayer(const LayerBuild& b) { init(b, "cuda.not"); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    logical_not(in[0].data, out[0].data, in[0].numel(), ctx.stream);
  }
};

class ArgLayer : public Layer {
 public:
  ArgLayer(const LayerBuild& b, bool is_max) : max_(is_max) { init(b, is_max ? "cuda.argmax" : "cuda.argmin"); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const Dims& x = in[0].dims;
    const int64_t r = static_cast<int64_t>(x.size());
    const int64_t axis = r == 0 ? 0 : norm_axis(node(), node().attr_int("axis", 0), r);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x[static_cast<size_t>(d)];
    for (int64_t d = axis + 1; d < r; ++d) inner *= x[static_cast<size_t>(d)];
    const int64_t len = r == 0 ? 1 : x[static_cast<size_t>(axis)];
    arg_reduce(max_, node().attr_int("select_last_index", 0) != 0, code_of(in[0].dtype), in[0].data, outer, len, inner,
               out[0].data, ctx.stream);
  }

 private:
  bool max_;
};

class CastLikeLayer : public Layer {
 public:
  explicit CastLikeLayer(const LayerBuild& b) { init(b, "cuda.cast", cast_float_dtype(b)); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (in[0].dtype == out[0].dtype)
      copy_d2d(out[0].data, in[0].data, out[0].nbytes(), ctx.stream);
    else
      cast(in[0].dtype, out[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream);
  }
};

class MeanLayer : public Layer {
 public:
  explicit MeanLayer(const LayerBuild& b) { init(b, "cuda.mean"); }
  size_t prepare(const ShapeContext& ctx) override {
    Dims acc = ctx.input_shapes[0];
    for (size_t i = 1; i < ctx.input_shapes.size(); ++i) {
      acc = broadcast_shapes(acc, ctx.input_shapes[i]);
      if (i + 1 < ctx.input_shapes.size() && acc != ctx.output_shapes[0])
        fail_unsupported("variadic broadcasting whose partial results differ from the output shape");
    }
    if (!inv_.size()) inv_ = upload_as(Tensor::scalar<float>(1.f / static_cast<float>(ctx.input_shapes.size())),
                                       ctx.input_dtypes[0]);
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    if (in.size() == 1) {
      copy_d2d(y.data, in[0].data, y.nbytes(), ctx.stream);
      return;
    }
    binary(BinaryOp::kAdd, y.dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, y.data, ctx.stream);
    for (size_t i = 2; i < in.size(); ++i)
      binary(BinaryOp::kAdd, y.dtype, y.data, y.dims, in[i].data, in[i].dims, y.data, ctx.stream);
    binary(BinaryOp::kMul, y.dtype, y.data, y.dims, inv_.data(), {}, y.data, ctx.stream);
  }

 private:
  DeviceBuffer inv_;
};

bool castable(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kInt64 ||
         t == DType::kInt32 || t == DType::kBool;
}

const bool kRegistered = [] {
  register_layer("", "Pad", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    if (!movable(b.model_dtype(0))) fail_unsupported("input 0 is ", dtype_name(b.model_dtype(0)));
    return std::make_unique<PadLayer>(b);
  });
  register_layer("", "Tile", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    if (!movable(b.model_dtype(0))) fail_unsupported("input 0 is ", dtype_name(b.model_dtype(0)));
    return std::make_unique<TileLayer>(b);
  });
  register_layer("", "PRelu", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float(b, 0);
    if (b.model_dtype(1) != b.model_dtype(0)) fail_unsupported("slope dtype differs from X");
    return std::make_unique<PReluLayer>(b);
  });
  register_layer("", "InstanceNormalization", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i = 0; i < 3; ++i) require_float(b, i);
    if (b.model_dtype(1) != b.model_dtype(0) || b.model_dtype(2) != b.model_dtype(0))
      fail_unsupported("scale/B dtype differs from X");
    return std::make_unique<InstanceNormLayer>(b);
  });
  struct C {
    const char* op;
    CmpOp c;
    bool logical;
  };
  for (C c : {C{"Equal", CmpOp::kEqual, false}, C{"Less", CmpOp::kLess, false}, C{"Greater", CmpOp::kGreater, false},
              C{"LessOrEqual", CmpOp::kLessEqual, false}, C{"GreaterOrEqual", CmpOp::kGreaterEqual, false},
              C{"And", CmpOp::kAnd, true}, C{"Or", CmpOp::kOr, true}, C{"Xor", CmpOp::kXor, true}}) {
    std::string name = c.op;
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    register_layer("", c.op, [c, name](const LayerBuild& b) -> std::unique_ptr<Layer> {
      if (c.logical)
        require_dtypes(b, 0, {DType::kBool});
      else
        require_dtypes(b, 0, {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kInt32, DType::kInt64, DType::kBool});
      if (b.model_dtype(1) != b.model_dtype(0)) fail_unsupported("inputs of different dtypes");
      return std::make_unique<CompareLayer>(b, c.c, name);
    });
  }
  register_layer("", "Not", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_dtypes(b, 0, {DType::kBool});
    return std::make_unique<NotLayer>(b);
  });
  for (bool mx : {true, false})
    register_layer("", mx ? "ArgMax" : "ArgMin", [mx](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_dtypes(b, 0, {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kInt32, DType::kInt64});
      return std::make_unique<ArgLayer>(b, mx);
    });
  register_layer("", "CastLike", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    if (!castable(b.model_dtype(0)) || !castable(b.model_dtype(1)))
      fail_unsupported("CastLike from ", dtype_name(b.model_dtype(0)), " to ", dtype_name(b.model_dtype(1)));
    return std::make_unique<CastLikeLayer>(b);
  });
  register_layer("", "Mean", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    for (size_t i = 0; i < b.input_types.size(); ++i) {
      require_float(b, i);
      if (b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("inputs of different dtypes");
    }
    return std::make_unique<MeanLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
