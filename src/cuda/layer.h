// The cuda engine's per-node GPU layers (the `cuda` target's kernels): one Layer per top-level node that runs on
// the device, created from the Node when a plan is built (to check support and record the kernel) and again for
// every ExecutionContext when it is created (so a layer may cache per-shape state — cuBLASLt/cuDNN plans — without
// locks: one context is used by one thread at a time).
//
// C++20 (include from .cpp files only). A layer whose kernel is hand-written CUDA keeps the kernel in a .cu file
// behind a plain C++17 launcher header (like kernels.h) and the Layer class in a .cpp.
//
// Adding an op: drop a .cpp named src/cuda/layer_<op>.cpp (CMake globs src/cuda/*.cpp) that defines a Layer and
// registers a factory:
//
//   namespace onyx::cuda {
//   namespace {
//   class ReluLayer : public Layer {
//    public:
//     explicit ReluLayer(const LayerBuild& b) { init(b, "cuda.unary.relu"); }
//     void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in,
//                  const std::vector<DeviceTensor>& out) override {
//       unary(UnaryOp::kRelu, in[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream);
//     }
//   };
//   }  // namespace
//   ONYX_REGISTER_CUDA_LAYER("", "Relu", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
//     require_float(b, 0);                       // kUnsupported "<node>: ..." for other dtypes
//     return std::make_unique<ReluLayer>(b);
//   });
//   }  // namespace onyx::cuda
//
// What the engine does around a layer (src/cuda/cuda_engine.cpp):
// - Precision. Model float32 values are stored on the device in the dtype of the layer that produced them (fp32,
//   fp16 or bf16: Layer::float_dtype(), from the build's precision and --layer-precision overrides). Before a
//   layer runs, every input whose model dtype is float32 is converted to the layer's float_dtype() when it is
//   stored otherwise (a cast into context scratch memory), and the layer writes its model-float32 outputs in
//   float_dtype(). Values the model itself types as float16/bfloat16/int64/bool/... keep their dtype. So a layer
//   sees, for each input, DeviceTensor::dtype = its storage dtype (LayerBuild::input_dtypes at build) and must
//   write outputs in LayerBuild::output_dtypes. Reductions and statistics inside a layer accumulate in fp32.
//   Weights (initializers) are uploaded once per engine in the dtype the consuming layer wants.
// - Shapes. Output shapes are computed on the host, never on the GPU: output_shapes() (by default the op
//   schema's shape inference run on the concrete input shapes and the host values of host inputs). It runs when
//   an input shape changes (set_input_shape), before any enqueue. Shape-only subgraphs (Shape, Size and every
//   node whose inputs are all constants or such host values: Gather/Concat/Unsqueeze/Cast/... on int64 shape
//   tensors) are not layers at all: the engine runs their reference kernels on the host at that time (once at
//   context creation when they depend on no input shape). A host value a layer uses as data is uploaded then.
// - Host inputs. A layer lists in host_inputs() the inputs it reads on the host (Reshape's shape, Slice's starts,
//   ...). They must be constants or host values; a layer whose host input depends on device data (a
//   data-dependent shape) is unsupported. LayerContext::host(i) gives them at prepare/enqueue time. Ops whose
//   output shape depends on data (NonZero, Unique, ...) have no layer: unsupported on cuda.
// - Memory. Outputs live in the context's device arena (the build's memory plan at the profile's max shapes) or
//   in the caller's bound buffers; prepare() returns the workspace the layer needs for the current shapes and
//   LayerContext::workspace points to it (shared by all layers of the context, valid during enqueue only).
// - Streams. enqueue() only enqueues work on ctx.stream; it never synchronizes, never allocates device memory
//   and never copies device data to the host.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../ops/op.h"
#include "kernels.h"
#include "onyx/builder.h"
#include "onyx/tensor.h"

namespace onyx::cuda {

class BlasLtHandle;
class DnnHandle;

// A dense row-major tensor in device memory (data null for an absent optional input or an empty tensor may have
// any pointer).
struct DeviceTensor {
  DType dtype = DType::kUndefined;
  Dims dims;
  void* data = nullptr;
  bool present() const { return dtype != DType::kUndefined; }
  int64_t numel() const { return cuda::numel(dims); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
};

// The float dtype a precision stores activations in (fp32 and tf32: float32).
DType precision_dtype(Precision p);
std::string_view precision_name(Precision p);  // "fp32", "tf32", "fp16", "bf16"

// What a layer factory sees: the node, its inputs as the model types them, and what the engine decided.
struct LayerBuild {
  const Node* node = nullptr;
  const OpSchema* schema = nullptr;
  // Per input (size node->num_inputs(); absent optional inputs have type nullptr / dtype kUndefined).
  std::vector<const TypeInfo*> input_types;  // the model's types (shapes may be symbolic)
  std::vector<const Tensor*> constants;      // host values known at build (initializers, folded constants)
  std::vector<bool> host_values;             // the input is computed on the host (constant or shape-only)
  // Set by require_host for an input that is not a host value (the builder then tries that input as a shape
  // tensor: an engine input bound with host memory, as TensorRT does).
  mutable std::vector<size_t> wants_host;
  // The precision asked for this layer (the build's, or a --layer-precision override).
  Precision precision = Precision::kFp32;
  // Strongly typed build (BuilderConfig::strongly_typed): storage dtypes are exactly the model's, and the layer's
  // float dtype is the one its outputs (else inputs) declare; `precision` is then kFp32 and unused.
  bool strongly_typed = false;
  // Set by constant(i): the factory read input i's values on the host (the engine then keeps that weight in the
  // model's dtype in the plan instead of converting it at build).
  mutable std::vector<bool> constant_read;
  // The layer runs channels-last (src/cuda/layout.h): its 4-D activations have physical dims [N, H, W, C].
  bool nhwc = false;
  // Filled by Layer::init from the above and the layer's float_dtype: storage dtypes of inputs/outputs.
  mutable std::vector<DType> input_dtypes;
  mutable std::vector<DType> output_dtypes;

  const Node& n() const { return *node; }
  DType model_dtype(size_t i) const;  // kUndefined when absent or not a tensor
  bool has_input(size_t i) const { return i < input_types.size() && input_types[i] != nullptr; }
  const Tensor* constant(size_t i) const {
    if (i >= constants.size()) return nullptr;
    if (constants[i]) {
      if (constant_read.size() < constants.size()) constant_read.resize(constants.size(), false);
      constant_read[i] = true;
    }
    return constants[i];
  }
};

// Device handles and scratch shared by the layers of one context (created lazily by the engine).
struct LayerContext {
  cudaStream_t stream = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  // Host values of the inputs the layer listed in host_inputs() (nullptr for others and absent ones).
  std::vector<const Tensor*> host;
  const Tensor* host_input(size_t i) const { return i < host.size() ? host[i] : nullptr; }
  // Handles the context owns (see matmul.h / conv.h); dnn is null when onyx was built without cuDNN.
  const BlasLtHandle* blaslt = nullptr;
  const DnnHandle* dnn = nullptr;
  // For layers with reports_data_errors(): a device int the kernel sets to non-zero when the data is invalid in a
  // way only the device sees (an index out of range). The engine reads it back after the run completes and throws
  // kBadInput naming the node; null for other layers.
  int* error_flag = nullptr;
};

// What output_shapes() and prepare() see: the current shapes and host inputs.
struct ShapeContext {
  std::vector<Dims> input_shapes;              // per input (empty dims for absent inputs; check present)
  std::vector<DType> input_dtypes;             // storage dtypes (kUndefined when absent)
  std::vector<const Tensor*> host;             // host values (host_inputs() and other host-known inputs)
  std::vector<Dims> output_shapes;             // filled before prepare()
  const LayerContext* layer_context = nullptr; // handles (prepare may build cuBLASLt/cuDNN plans)
};

class Layer {
 public:
  virtual ~Layer() = default;

  // The kernel this layer runs, for the plan and `onyx inspect plan` ("cuda.matmul.cublaslt").
  const std::string& kernel() const { return kernel_; }
  // The float dtype this layer computes and stores model-float32 values in.
  DType float_dtype() const { return float_dtype_; }
  Precision precision() const { return precision_; }
  const Node& node() const { return *node_; }

  // Inputs read on the host (shape-like operands). Default: none.
  virtual std::vector<int> host_inputs() const { return {}; }
  // Output shapes for the current input shapes. Default: the op schema's inference with concrete shapes and
  // host values; kUnsupported when the result is not fully known (a data-dependent shape).
  virtual std::vector<Dims> output_shapes(const ShapeContext& ctx) const;
  // Called on the host after output_shapes() whenever shapes change (not per run): build per-shape plans and
  // return the workspace bytes enqueue() will need.
  virtual size_t prepare(const ShapeContext& ctx) {
    (void)ctx;
    return 0;
  }
  // Enqueues the work on ctx.stream. inputs/outputs are in node order (absent ones not present()).
  virtual void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& inputs,
                       const std::vector<DeviceTensor>& outputs) = 0;
  // True when enqueue() passes ctx.error_flag to its kernels (index checks on the device).
  bool reports_data_errors() const { return data_errors_; }

 protected:
  // Records the kernel name and precision; computes b.input_dtypes / b.output_dtypes. `float_dtype` overrides
  // the precision's dtype (e.g. a layer that only runs in fp32: DType::kFloat32).
  void init(const LayerBuild& b, std::string kernel, DType float_dtype = DType::kUndefined);
  std::string kernel_;
  DType float_dtype_ = DType::kFloat32;
  Precision precision_ = Precision::kFp32;
  const Node* node_ = nullptr;
  const OpSchema* schema_ = nullptr;
  bool data_errors_ = false;
};

// Makes a layer for a node, or throws kUnsupported with the reason (message without the node: the engine adds
// it). May throw kBadInput for a malformed node.
using LayerFactory = std::function<std::unique_ptr<Layer>(const LayerBuild&)>;

// Registry keyed by (domain, op_type); one factory per key covers every opset of the op (a factory checks
// b.n().opset when versions differ). Registering a key twice is an error reported on the registry's first use.
void register_layer(std::string_view domain, std::string_view op_type, LayerFactory factory);
// A fallback factory for a key: tried when the registered factory throws kUnsupported (or when there is none), so
// a layer file can extend an op's coverage (more dtypes, device-data operands) without replacing its main layer.
// When both are unsupported, the main factory's reason is reported.
// `prefer` (optional) marks nodes the fallback should take first: ones the main layer would only reject once shapes
// are known (e.g. a 3-D Conv), so that the choice is made when the plan is built.
using LayerPreference = std::function<bool(const LayerBuild&)>;
void register_fallback_layer(std::string_view domain, std::string_view op_type, LayerFactory factory,
                             LayerPreference prefer = {});
const LayerFactory* find_layer(std::string_view domain, std::string_view op_type);
// "domain:op" of every registered layer (sorted), for docs and tests.
std::vector<std::string> registered_layers();

struct LayerRegistrar {
  LayerRegistrar(std::string_view domain, std::string_view op_type, LayerFactory factory) {
    register_layer(domain, op_type, std::move(factory));
  }
};
#define ONYX_REGISTER_CUDA_LAYER(domain, op_type, ...)                                        \
  static const ::onyx::cuda::LayerRegistrar ONYX_CONCAT(onyx_cuda_layer_, __LINE__)(domain, op_type, \
                                                                                     __VA_ARGS__)

// Factory helpers: kUnsupported "input i is DTYPE; the cuda layer takes ..." unless the model dtype fits.
void require_float(const LayerBuild& b, size_t i);
void require_dtypes(const LayerBuild& b, size_t i, std::initializer_list<DType> allowed);
// kUnsupported unless input i is a host value (constant or shape-only); names what it is for.
void require_host(const LayerBuild& b, size_t i, std::string_view what);

}  // namespace onyx::cuda
