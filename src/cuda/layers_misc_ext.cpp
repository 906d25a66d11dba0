// cuda layers over the quantization, GridSample and optimizer kernels of ops_kernels.h: QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear (all in float32: quantization rounds exactly as the model states it),
// GridSample, and Adagrad / Momentum / Adam of ai.onnx.preview.training.
#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

bool is_qtype(DType t) {
  return t == DType::kUInt8 || t == DType::kInt8 || t == DType::kUInt16 || t == DType::kInt16;
}

std::unique_ptr<Layer> make_quantize(const LayerBuild& b) {
  require_float_any(b, 0);
  require_float_any(b, 1);
  require(b, 2, is_qtype, "uint8/int8/uint16/int16");
  if (b.n().attr_int("block_size", 0) != 0) fail_unsupported("blocked quantization (block_size) has no cuda kernel");
  const Value* out = b.n().output(0);
  if (!out || !is_qtype(out->type.dtype))
    fail_unsupported("output type ", out ? dtype_name(out->type.dtype) : "?", " has no cuda kernel");
  const int64_t axis = b.n().attr_int("axis", 1);
  return std::make_unique<FnLayer>(
      b, "cuda.quantize_linear",
      [axis](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const void* zp = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
        if (zp && in[2].numel() != in[1].numel()) fail_bad_input("QuantizeLinear: zero point and scale sizes differ");
        quantize_linear(in[0].dtype, in[0].data, in[0].dims, axis, in[1].dtype, in[1].data, in[1].numel(), zp,
                        out[0].dtype, out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

std::unique_ptr<Layer> make_dequantize(const LayerBuild& b) {
  require(b, 0, [](DType t) { return is_qtype(t) || t == DType::kInt32; }, "uint8/int8/uint16/int16/int32");
  require_float_any(b, 1);
  if (b.n().attr_int("block_size", 0) != 0) fail_unsupported("blocked quantization (block_size) has no cuda kernel");
  const Value* out = b.n().output(0);
  if (!out || out->type.dtype != b.model_dtype(1)) fail_unsupported("an output dtype other than the scale's");
  const int64_t axis = b.n().attr_int("axis", 1);
  return std::make_unique<FnLayer>(
      b, "cuda.dequantize_linear",
      [axis](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const void* zp = in.size() > 2 && in[2].present() ? in[2].data : nullptr;
        if (zp && in[2].numel() != in[1].numel())
          fail_bad_input("DequantizeLinear: zero point and scale sizes differ");
        if (zp && in[2].dtype != in[0].dtype) fail_bad_input("DequantizeLinear: zero point dtype differs from x");
        dequantize_linear(in[0].dtype, in[0].data, in[0].dims, axis, in[1].dtype, in[1].data, in[1].numel(), zp,
                          out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

std::unique_ptr<Layer> make_dynamic_quantize(const LayerBuild& b) {
  require(b, 0, [](DType t) { return t == DType::kFloat32; }, "float32");
  for (size_t i = 0; i < 3; ++i)
    if (!b.n().output(i)) fail_unsupported("DynamicQuantizeLinear without all three outputs");
  return std::make_unique<FnLayer>(
      b, "cuda.dynamic_quantize_linear",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        dynamic_quantize_linear(static_cast<const float*>(in[0].data), in[0].numel(),
                                static_cast<uint8_t*>(out[0].data), static_cast<float*>(out[1].data),
                                static_cast<uint8_t*>(out[2].data), ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

std::unique_ptr<Layer> make_grid_sample(const LayerBuild& b) {
  require_float_any(b, 0);
  if (b.model_dtype(1) != b.model_dtype(0)) fail_unsupported("grid of another dtype than X");
  const Node& n = b.n();
  const std::string m = n.attr_string("mode", n.opset >= 20 ? "linear" : "bilinear");
  GridMode mode;
  if (m == "bilinear" || m == "linear") mode = GridMode::kLinear;
  else if (m == "nearest") mode = GridMode::kNearest;
  else if (m == "bicubic" || m == "cubic") mode = GridMode::kCubic;
  else fail_bad_input(n.describe(), ": unknown mode '", m, "'");
  const std::string p = n.attr_string("padding_mode", "zeros");
  GridPadding padding;
  if (p == "zeros") padding = GridPadding::kZeros;
  else if (p == "border") padding = GridPadding::kBorder;
  else if (p == "reflection") padding = GridPadding::kReflection;
  else fail_bad_input(n.describe(), ": unknown padding_mode '", p, "'");
  const bool align = n.attr_int("align_corners", 0) != 0;
  return std::make_unique<FnLayer>(
      b, "cuda.grid_sample." + m,
      [=](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        grid_sample(in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, mode, padding, align, out[0].data,
                    ctx.stream);
      });
}

bool is_int8(DType t) { return t == DType::kUInt8 || t == DType::kInt8; }

std::unique_ptr<Layer> make_matmul_integer(const LayerBuild& b) {
  require(b, 0, is_int8, "uint8/int8");
  require(b, 1, is_int8, "uint8/int8");
  require(b, 2, is_int8, "uint8/int8");
  require(b, 3, is_int8, "uint8/int8");
  return std::make_unique<FnLayer>(
      b, "cuda.matmul_integer.direct",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const bool az = in.size() > 2 && in[2].present(), bz = in.size() > 3 && in[3].present();
        matmul_integer(in[0].dtype, in[0].data, in[0].dims, az ? in[2].data : nullptr, az ? in[2].numel() : 1,
                       in[1].dtype, in[1].data, in[1].dims, bz ? in[3].data : nullptr, bz ? in[3].numel() : 1, nullptr,
                       out[0].dtype, out[0].data, ctx.stream);
      });
}

// QLinearMatMul: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
std::unique_ptr<Layer> make_qlinear_matmul(const LayerBuild& b) {
  for (size_t i : {0, 2, 3, 5, 7}) require(b, i, is_int8, "uint8/int8");
  for (size_t i : {1, 4, 6}) require(b, i, [](DType t) { return t == DType::kFloat32; }, "float32 scales");
  return std::make_unique<FnLayer>(
      b, "cuda.qlinear_matmul.direct",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        IntMatmulQuant q;
        q.a_scale = static_cast<const float*>(in[1].data);
        q.a_scale_count = in[1].numel();
        q.b_scale = static_cast<const float*>(in[4].data);
        q.b_scale_count = in[4].numel();
        q.y_scale = static_cast<const float*>(in[6].data);
        q.y_zero_point = in[7].data;
        if (in[6].numel() != 1 || in[7].numel() != 1) fail_bad_input("QLinearMatMul: y scale/zero point per tensor only");
        matmul_integer(in[0].dtype, in[0].data, in[0].dims, in[2].data, in[2].numel(), in[3].dtype, in[3].data,
                       in[3].dims, in[5].data, in[5].numel(), &q, out[0].dtype, out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

std::unique_ptr<Layer> make_gemm(const LayerBuild& b) {
  require_float_any(b, 0);
  for (size_t i = 1; i < 3; ++i)
    if (b.has_input(i) && b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("operands of different dtypes");
  const Node& n = b.n();
  const float alpha = n.attr_float("alpha", 1.f), beta = n.attr_float("beta", 1.f);
  const bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
  return std::make_unique<FnLayer>(
      b, "cuda.gemm.direct",
      [=](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const Dims& a = in[0].dims;
        const Dims& bd = in[1].dims;
        if (a.size() != 2 || bd.size() != 2) fail_bad_input("Gemm: A and B must be 2-D");
        const int64_t m = ta ? a[1] : a[0], k = ta ? a[0] : a[1];
        const int64_t kb = tb ? bd[1] : bd[0], nn = tb ? bd[0] : bd[1];
        if (k != kb) fail_bad_input("Gemm: inner dims differ");
        const bool has_c = in.size() > 2 && in[2].present();
        gemm_direct(in[0].dtype, in[0].data, ta, in[1].data, tb, has_c ? in[2].data : nullptr,
                    has_c ? in[2].dims : Dims{}, m, nn, k, alpha, beta, out[0].data, ctx.stream);
      },
      std::vector<int>{}, DType::kFloat32);
}

class DetLayer : public Layer {
 public:
  explicit DetLayer(const LayerBuild& b) { init(b, "cuda.det.lu", DType::kFloat32); }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2]) fail_bad_input(node().describe(), ": X must be [..., n, n]");
    int64_t total = 1;
    for (int64_t d : x) total *= d;
    return static_cast<size_t>(total) * sizeof(double);
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const int64_t n = in[0].dims.back();
    determinant(in[0].dtype, in[0].data, out[0].numel(), n, out[0].data, static_cast<double*>(ctx.workspace),
                ctx.stream);
  }
};

// Optimizers: inputs R, T, then `in_groups` groups of n tensors (X, G, states...); outputs X_new then new states.
LayerFactory optimizer_factory(const std::string& op) {
  return [op](const LayerBuild& b) -> std::unique_ptr<Layer> {
    const Node& n = b.n();
    const size_t in_groups = op == "Adam" ? 4 : 3, out_groups = in_groups - 1;
    if (n.num_inputs() < 2 + in_groups || (n.num_inputs() - 2) % in_groups != 0)
      fail_bad_input(n.describe(), ": expects R, T and ", in_groups, " groups of tensors");
    const size_t count = (n.num_inputs() - 2) / in_groups;
    if (n.num_outputs() != count * out_groups) fail_bad_input(n.describe(), ": expects ", count * out_groups, " outputs");
    for (size_t i = 0; i < n.num_outputs(); ++i)
      if (!n.output(i)) fail_unsupported("optimizer without all its outputs");
    require(b, 0, [](DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }, "float32/float64 R");
    require(b, 1, [](DType t) { return t == DType::kInt64; }, "int64 T");
    for (size_t i = 2; i < n.num_inputs(); ++i)
      require(b, i, [](DType t) { return t == DType::kFloat32 || t == DType::kFloat64; }, "float32/float64");
    OptimizerKind kind = OptimizerKind::kAdagrad;
    OptimizerParams p;
    if (op == "Adagrad") {
      p.decay_factor = n.attr_float("decay_factor", 0.f);
      p.epsilon = n.attr_float("epsilon", 1e-6f);
      p.norm_coefficient = n.attr_float("norm_coefficient", 0.f);
    } else if (op == "Momentum") {
      p.alpha = n.required_attr("alpha", AttrType::kFloat).f;
      p.beta = n.required_attr("beta", AttrType::kFloat).f;
      p.norm_coefficient = n.required_attr("norm_coefficient", AttrType::kFloat).f;
      const std::string mode = n.required_attr("mode", AttrType::kString).s;
      if (mode != "standard" && mode != "nesterov") fail_bad_input(n.describe(), ": unknown mode '", mode, "'");
      kind = mode == "nesterov" ? OptimizerKind::kNesterov : OptimizerKind::kMomentum;
    } else {
      kind = OptimizerKind::kAdam;
      p.alpha = n.attr_float("alpha", 0.9f);
      p.beta = n.attr_float("beta", 0.999f);
      p.epsilon = n.attr_float("epsilon", 1e-6f);
      p.norm_coefficient = n.attr_float("norm_coefficient", 0.f);
      p.norm_coefficient_post = n.attr_float("norm_coefficient_post", 0.f);
    }
    return std::make_unique<FnLayer>(
        b, "cuda.optimizer." + op,
        [kind, p, count](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          if (in[0].numel() != 1 || in[1].numel() != 1) fail_bad_input("optimizer: R and T must be scalars");
          for (size_t i = 0; i < count; ++i) {
            const DeviceTensor& x = in[2 + i];
            for (size_t k = 1; 2 + k * count + i < in.size(); ++k)
              if (in[2 + k * count + i].dims != x.dims || in[2 + k * count + i].dtype != x.dtype)
                fail_bad_input("optimizer: tensor ", i, " of group ", k, " differs from X in shape or dtype");
            const bool adam = kind == OptimizerKind::kAdam;
            optimizer_step(kind, x.dtype, in[0].dtype, in[0].data, static_cast<const int64_t*>(in[1].data),
                           x.numel(), x.data, in[2 + count + i].data, in[2 + 2 * count + i].data,
                           adam ? in[2 + 3 * count + i].data : nullptr, out[i].data, out[count + i].data,
                           adam ? out[2 * count + i].data : nullptr, p, ctx.stream);
          }
        },
        std::vector<int>{}, DType::kFloat32);
  };
}

const bool kRegistered = [] {
  register_fallback_layer("", "QuantizeLinear", make_quantize);  // fallbacks: a main layer may come
  register_fallback_layer("", "DequantizeLinear", make_dequantize);
  register_layer("", "DynamicQuantizeLinear", make_dynamic_quantize);
  register_layer("", "GridSample", make_grid_sample);
  register_fallback_layer("", "MatMulInteger", make_matmul_integer);
  // The cuBLASLt Gemm layer adds C only as a bias row with beta 1.
  register_fallback_layer("", "Gemm", make_gemm, [](const LayerBuild& b) {
    return b.has_input(2) && b.n().attr_float("beta", 1.f) != 1.f;
  });
  register_fallback_layer("", "Det", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<DetLayer>(b);
  });
  register_fallback_layer("", "QLinearMatMul", make_qlinear_matmul);
  for (const char* op : {"Adagrad", "Momentum", "Adam"})
    register_layer("ai.onnx.preview.training", op, optimizer_factory(op));
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
