// cuda layers that produce values from host-known sizes: ConstantOfShape, Range, Hann/Hamming/BlackmanWindow (when
// the engine asks for a layer rather than evaluating them on the host), and the fallback of Dropout with its mask
// output (inference: the input copied, a mask of all true).
#include <cstring>

#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

uint64_t bits_of(const Tensor& t) {
  uint64_t bits = 0;
  if (t.numel() >= 1) std::memcpy(&bits, t.raw_data(), std::min<size_t>(dtype_size(t.dtype()), sizeof(bits)));
  return bits;
}

std::unique_ptr<Layer> make_constant_of_shape(const LayerBuild& b) {
  require_host(b, 0, "shape");
  uint64_t bits = 0;  // default: float32 0
  if (const Tensor* v = b.n().attr_tensor("value")) {
    if (v->numel() != 1) fail_bad_input(b.n().describe(), ": value must hold one element");
    if (!is_plain_dtype(v->dtype())) fail_unsupported("value of dtype ", dtype_name(v->dtype()));
    bits = bits_of(*v);
  }
  const Value* out = b.n().output(0);
  if (!out || !is_plain_dtype(out->type.dtype)) fail_unsupported("output dtype has no cuda kernel");
  const bool float32 = out->type.dtype == DType::kFloat32;
  return std::make_unique<FnLayer>(
      b, "cuda.constant_of_shape",
      [bits, float32](LayerContext& ctx, const std::vector<DeviceTensor>&, const std::vector<DeviceTensor>& out) {
        uint64_t v = bits;
        if (float32 && out[0].dtype != DType::kFloat32) {  // stored in half precision
          float f;
          std::memcpy(&f, &bits, sizeof(f));
          const uint16_t h = out[0].dtype == DType::kFloat16 ? float_to_half_bits(f) : float_to_bfloat16_bits(f);
          v = h;
        }
        fill_bits(out[0].dtype, v, out[0].numel(), out[0].data, ctx.stream);
      },
      std::vector<int>{0});
}

// Range: the output length needs all three values on the host; start and delta are read on the device.
std::unique_ptr<Layer> make_range(const LayerBuild& b) {
  require_numeric(b, 0);
  for (size_t i = 0; i < 3; ++i) require_host(b, i, i == 0 ? "start" : (i == 1 ? "limit" : "delta"));
  return std::make_unique<FnLayer>(
      b, "cuda.range",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        range_fill(out[0].dtype, in[0].data, in[2].data, out[0].numel(), out[0].data, ctx.stream);
      },
      std::vector<int>{1}, DType::kFloat32);
}

LayerFactory window_factory(WindowKind kind, const char* kernel) {
  return [kind, kernel](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_host(b, 0, "size");
    const bool periodic = b.n().attr_int("periodic", 1) != 0;
    const Value* out = b.n().output(0);
    if (!out || !is_float_dtype(out->type.dtype)) fail_unsupported("window of a non-float output dtype");
    return std::make_unique<FnLayer>(
        b, kernel,
        [kind, periodic](LayerContext& ctx, const std::vector<DeviceTensor>&, const std::vector<DeviceTensor>& out) {
          window(kind, out[0].dtype, out[0].numel(), periodic, out[0].data, ctx.stream);
        },
        std::vector<int>{0}, DType::kFloat32);
  };
}

// Dropout with the mask output, in inference: y = x, mask all true. Training mode (a random mask) stays unsupported.
class DropoutMaskLayer : public Layer {
 public:
  explicit DropoutMaskLayer(const LayerBuild& b) { init(b, "cuda.dropout.inference_mask"); }
  std::vector<int> host_inputs() const override { return {1, 2}; }
  size_t prepare(const ShapeContext& ctx) override {
    if (ctx.host.size() > 2 && ctx.host[2] && ctx.host[2]->numel() == 1 && ctx.host[2]->get_double(0) != 0)
      fail_unsupported("Dropout in training mode (random mask)");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    copy_device(out[0].data, in[0].data, out[0].nbytes(), ctx.stream);
    if (out.size() > 1 && out[1].present()) fill_bits(DType::kBool, 1, out[1].numel(), out[1].data, ctx.stream);
  }
};

const bool kRegistered = [] {
  register_fallback_layer("", "ConstantOfShape", make_constant_of_shape);
  register_fallback_layer("", "Range", make_range);
  register_fallback_layer("", "HannWindow", window_factory(WindowKind::kHann, "cuda.window.hann"));
  register_fallback_layer("", "HammingWindow", window_factory(WindowKind::kHamming, "cuda.window.hamming"));
  register_fallback_layer("", "BlackmanWindow", window_factory(WindowKind::kBlackman, "cuda.window.blackman"));
  register_fallback_layer("", "Dropout", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_plain(b, 0);
    require_host(b, 1, "ratio");
    require_host(b, 2, "training_mode");
    if (b.n().opset < 7 && b.n().attr_int("is_test", 1) == 0) fail_unsupported("Dropout in training mode");
    if (b.n().opset < 12) fail_unsupported("Dropout before opset 12 with a mask");
    return std::make_unique<DropoutMaskLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
