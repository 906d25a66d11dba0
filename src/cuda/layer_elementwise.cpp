// cuda layers: unary and binary elementwise ops, Clip, onyx.FusedElementwise, Cast, and the ops that only move
// bytes (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze: copies).
#include <limits>

#include "layer_util.h"

namespace onyx::cuda {
namespace {

bool is_float(DType t) { return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16; }

FloatAttr node_f(const Node& n) {
  return [&n](std::string_view name, float def) { return n.attr_float(name, def); };
}
StringAttr node_s(const Node& n) {
  return [&n](std::string_view name, std::string def) { return n.attr_string(name, std::move(def)); };
}

class UnaryLayer : public Layer {
 public:
  UnaryLayer(const LayerBuild& b, UnarySpec u) : u_(std::move(u)) { init(b, "cuda.unary." + u_.name); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    unary(u_.op, in[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream, u_.alpha, u_.beta);
  }

 private:
  UnarySpec u_;
};

class ClipLayer : public Layer {
 public:
  explicit ClipLayer(const LayerBuild& b) {
    init(b, "cuda.unary.clip");
    if (b.n().opset < 11) {
      lo_ = b.n().attr_float("min", -std::numeric_limits<float>::infinity());
      hi_ = b.n().attr_float("max", std::numeric_limits<float>::infinity());
    } else {
      for (size_t i = 1; i < 3; ++i) require_host(b, i, i == 1 ? "min" : "max");
    }
  }
  std::vector<int> host_inputs() const override { return {1, 2}; }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    float lo = lo_, hi = hi_;
    if (node().opset >= 11) {
      if (const Tensor* t = ctx.host_input(1)) lo = t->cast(DType::kFloat32).data<float>()[0];
      if (const Tensor* t = ctx.host_input(2)) hi = t->cast(DType::kFloat32).data<float>()[0];
    }
    unary(UnaryOp::kClip, in[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream, lo, hi);
  }

 private:
  float lo_ = -std::numeric_limits<float>::infinity(), hi_ = std::numeric_limits<float>::infinity();
};

class BinaryLayer : public Layer {
 public:
  BinaryLayer(const LayerBuild& b, BinaryOp op, std::string name) : op_(op) { init(b, "cuda.binary." + name); }
  size_t prepare(const ShapeContext& ctx) override {
    // Variadic Max/Min/Sum fold left in place into the output: every partial result must have its shape.
    Dims acc = ctx.input_shapes[0];
    for (size_t i = 1; i < ctx.input_shapes.size(); ++i) {
      acc = broadcast_shapes(acc, ctx.input_shapes[i]);
      if (i + 1 < ctx.input_shapes.size() && acc != ctx.output_shapes[0])
        fail_unsupported("variadic broadcasting whose partial results differ from the output shape");
    }
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    if (in.size() == 1) {
      copy_d2d(y.data, in[0].data, y.nbytes(), ctx.stream);
      return;
    }
    binary(op_, y.dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, y.data, ctx.stream);
    for (size_t i = 2; i < in.size(); ++i)
      binary(op_, y.dtype, y.data, y.dims, in[i].data, in[i].dims, y.data, ctx.stream);
  }

 private:
  BinaryOp op_;
};

// onyx.FusedElementwise: the chain's steps run one after the other (intermediates in the workspace).
class FusedElementwiseLayer : public Layer {
 public:
  struct Step {
    bool is_unary = true;
    UnarySpec u;
    BinaryOp b = BinaryOp::kAdd;
    std::vector<int64_t> operands;
  };
  FusedElementwiseLayer(const LayerBuild& lb, std::vector<Step> steps) : steps_(std::move(steps)) {
    init(lb, "cuda.pointwise_chain");
  }
  size_t prepare(const ShapeContext& ctx) override {
    shapes_.clear();
    offsets_.clear();
    size_t total = 0;
    const size_t es = dtype_size(ctx.input_dtypes[0] == DType::kUndefined ? DType::kFloat32 : ctx.input_dtypes[0]);
    for (const Step& s : steps_) {
      Dims d = operand_shape(ctx, s.operands[0]);
      if (!s.is_unary) d = broadcast_shapes(d, operand_shape(ctx, s.operands[1]));
      shapes_.push_back(d);
      offsets_.push_back(total);
      total += (static_cast<size_t>(cuda::numel(d)) * std::max<size_t>(es, 4) + 255) / 256 * 256;
    }
    if (shapes_.back() != ctx.output_shapes[0]) fail(ErrorCode::kRuntime, "fused chain shape mismatch");
    return total;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DType dt = out[0].dtype;
    auto ptr = [&](int64_t r) -> const void* {
      return r >= 0 ? in[static_cast<size_t>(r)].data : slot(ctx, static_cast<size_t>(-r - 1));
    };
    auto shape = [&](int64_t r) -> const Dims& {
      return r >= 0 ? in[static_cast<size_t>(r)].dims : shapes_[static_cast<size_t>(-r - 1)];
    };
    for (size_t k = 0; k < steps_.size(); ++k) {
      const Step& s = steps_[k];
      void* y = k + 1 == steps_.size() ? out[0].data : slot(ctx, k);
      if (s.is_unary)
        unary(s.u.op, dt, ptr(s.operands[0]), y, cuda::numel(shapes_[k]), ctx.stream, s.u.alpha, s.u.beta);
      else
        binary(s.b, dt, ptr(s.operands[0]), shape(s.operands[0]), ptr(s.operands[1]), shape(s.operands[1]), y,
               ctx.stream);
    }
  }

 private:
  Dims operand_shape(const ShapeContext& ctx, int64_t r) const {
    return r >= 0 ? ctx.input_shapes[static_cast<size_t>(r)] : shapes_[static_cast<size_t>(-r - 1)];
  }
  void* slot(const LayerContext& ctx, size_t k) const { return static_cast<char*>(ctx.workspace) + offsets_[k]; }
  std::vector<Step> steps_;
  std::vector<Dims> shapes_;
  std::vector<size_t> offsets_;
};

std::unique_ptr<Layer> make_fused_elementwise(const LayerBuild& b) {
  const Node& n = b.n();
  const auto ops = n.attr_strings("ops");
  const auto arity = n.attr_ints("arity");
  const auto operands = n.attr_ints("operands");
  if (ops.empty() || arity.size() != ops.size()) fail_bad_input("malformed chain");
  for (size_t i = 0; i < n.num_inputs(); ++i)
    if (b.has_input(i)) require_dtypes(b, i, {DType::kFloat32, DType::kFloat16, DType::kBFloat16});
  std::vector<FusedElementwiseLayer::Step> steps;
  size_t pos = 0;
  for (size_t k = 0; k < ops.size(); ++k) {
    FusedElementwiseLayer::Step s;
    const std::string prefix = std::to_string(k) + ":";
    auto f = [&](std::string_view name, float def) {
      const Attribute* a = n.find_attr(prefix + std::string(name));
      return a ? a->f : def;
    };
    auto sa = [&](std::string_view name, std::string def) {
      const Attribute* a = n.find_attr(prefix + std::string(name));
      return a ? a->s : def;
    };
    for (int64_t j = 0; j < arity[k] && pos < operands.size(); ++j) s.operands.push_back(operands[pos++]);
    if (static_cast<int64_t>(s.operands.size()) != arity[k]) fail_bad_input("malformed chain operands");
    if (auto u = unary_spec(ops[k], f, sa); u && arity[k] == 1) {
      s.u = *u;
    } else if (auto bo = binary_spec(ops[k]); bo && arity[k] == 2 && ops[k] != "Sum") {
      s.is_unary = false;
      s.b = *bo;
    } else if (ops[k] == "Clip" && arity[k] >= 1) {
      // Clip with constant bounds.
      s.u.op = UnaryOp::kClip;
      s.u.alpha = -std::numeric_limits<float>::infinity();
      s.u.beta = std::numeric_limits<float>::infinity();
      for (size_t j = 1; j < s.operands.size(); ++j) {
        const int64_t r = s.operands[j];
        const Tensor* c = r >= 0 ? b.constant(static_cast<size_t>(r)) : nullptr;
        if (!c || c->numel() != 1) fail_unsupported("chain step Clip with non-constant bounds");
        const float v = c->cast(DType::kFloat32).data<float>()[0];
        (j == 1 ? s.u.alpha : s.u.beta) = v;
      }
      s.operands.resize(1);
    } else {
      fail_unsupported("chain step '", ops[k], "' has no cuda kernel");
    }
    steps.push_back(std::move(s));
  }
  return std::make_unique<FusedElementwiseLayer>(b, std::move(steps));
}

// Reshape & co.: the output is the input's bytes under another shape.
class CopyLayer : public Layer {
 public:
  CopyLayer(const LayerBuild& b, std::vector<int> host) : host_(std::move(host)) { init(b, "cuda.copy"); }
  std::vector<int> host_inputs() const override { return host_; }
  size_t prepare(const ShapeContext& ctx) override {
    // Dropout in training mode draws a random mask: not supported (inference only).
    if (node().op_type == "Dropout" && ctx.host.size() > 2 && ctx.host[2] && ctx.host[2]->numel() == 1 &&
        ctx.host[2]->cast(DType::kBool).data<bool>()[0])
      fail_unsupported("Dropout in training mode (random mask)");
    if (node().op_type == "Dropout" && node().attr_int("is_test", 1) == 0 && node().opset < 7)
      fail_unsupported("Dropout in training mode (random mask)");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    copy_d2d(out[0].data, in[0].data, out[0].nbytes(), ctx.stream);
  }

 private:
  std::vector<int> host_;
};

class CastLayer : public Layer {
 public:
  explicit CastLayer(const LayerBuild& b) { init(b, "cuda.cast", cast_float_dtype(b)); }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (in[0].dtype == out[0].dtype)
      copy_d2d(out[0].data, in[0].data, out[0].nbytes(), ctx.stream);
    else
      cast(in[0].dtype, out[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream);
  }
};

bool castable(DType t) {
  return is_float(t) || t == DType::kInt64 || t == DType::kInt32 || t == DType::kBool;
}

const bool kRegistered = [] {
  for (const char* op : {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Reciprocal", "Abs", "Neg", "Erf", "Sin",
                         "Cos", "Floor", "Ceil", "Round", "Sign", "HardSwish", "Softplus", "LeakyRelu", "Elu",
                         "Selu", "HardSigmoid", "Gelu"}) {
    const std::string name = op;
    auto f = [name](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_float(b, 0);
      auto u = unary_spec(name, node_f(b.n()), node_s(b.n()));
      if (!u) fail_unsupported("attributes have no cuda kernel");
      return std::make_unique<UnaryLayer>(b, *u);
    };
    register_layer("", op, f);
    if (name == "Gelu") register_layer("onyx", op, f);
  }
  register_layer("", "Clip", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float(b, 0);
    return std::make_unique<ClipLayer>(b);
  });
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum"}) {
    const std::string name = op;
    register_layer("", op, [name](const LayerBuild& b) -> std::unique_ptr<Layer> {
      const DType t = b.model_dtype(0);
      for (size_t i = 0; i < b.input_types.size(); ++i) {
        if (b.model_dtype(i) != t)
          fail_unsupported("inputs of different dtypes (", dtype_name(t), ", ", dtype_name(b.model_dtype(i)), ")");
      }
      if (name == "Pow")
        require_float(b, 0);
      else
        require_dtypes(b, 0, {DType::kFloat32, DType::kFloat16, DType::kBFloat16, DType::kInt32, DType::kInt64});
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return std::make_unique<BinaryLayer>(b, *binary_spec(name), lower);
    });
  }
  register_layer("onyx", "FusedElementwise", make_fused_elementwise);
  auto copy = [](std::vector<int> host) {
    return [host](const LayerBuild& b) -> std::unique_ptr<Layer> {
      for (int i : host) require_host(b, static_cast<size_t>(i), "shape/axes");
      for (size_t i = 1; i < b.n().num_outputs(); ++i)
        if (b.n().output(i)) fail_unsupported("output ", i, " (mask) is not supported");
      if (b.model_dtype(0) == DType::kUndefined || b.model_dtype(0) == DType::kString) fail_unsupported("input is not a numeric tensor");
      return std::make_unique<CopyLayer>(b, host);
    };
  };
  register_layer("", "Identity", copy({}));
  register_layer("", "Dropout", copy({1, 2}));
  register_layer("", "Reshape", copy({1}));
  register_layer("", "Flatten", copy({}));
  register_layer("", "Squeeze", copy({1}));
  register_layer("", "Unsqueeze", copy({1}));
  register_layer("", "Cast", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    const Value* out = b.n().output(0);
    if (!castable(b.model_dtype(0)) || !out || !castable(out->type.dtype))
      fail_unsupported("Cast from ", dtype_name(b.model_dtype(0)), " to ",
                       out ? dtype_name(out->type.dtype) : "?", " has no cuda kernel");
    return std::make_unique<CastLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
