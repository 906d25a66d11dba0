// Hooks from the generic builder/engine into a GPU target (implemented in src/cuda/cuda_engine.cpp when onyx is
// built with CUDA, by stubs in src/cuda/no_cuda.cpp otherwise). The cpu target uses none of them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "onyx/builder.h"
#include "onyx/tensor.h"

namespace onyx {

struct EngineData;
struct Model;

// Per-context runtime of a target (one per ExecutionContext).
class TargetContext {
 public:
  virtual ~TargetContext() = default;
  virtual void set_profile(size_t p) = 0;  // sizes the arena for profile p
  virtual size_t arena_bytes() const = 0;
  // Caller-provided arena (nullptr: back to the context's own); kBadInput when too small or misaligned.
  virtual void set_device_memory(void* data, size_t bytes) = 0;
  // Checks an address bound to io tensor `io` (kBadInput: host pointer, misaligned, ...).
  virtual void check_address(size_t io, const void* data, size_t bytes) const = 0;
  // Enqueues one run on `stream` (nullptr: the context's own stream). shapes: per io tensor (inputs set,
  // outputs filled with this run's shapes); bindings: per io tensor. Never synchronizes (except on a shape
  // change, which waits for the context's previous run).
  virtual void enqueue(void* stream, std::vector<std::optional<std::vector<int64_t>>>& shapes,
                       const std::vector<std::pair<void*, size_t>>& bindings) = 0;
  // Waits for the last enqueue.
  virtual void synchronize() = 0;
  // The last run's output io tensor `io` on the host (waits for the run).
  virtual Tensor download_output(size_t io) = 0;
  // CUDA graph capture for the next runs (static shapes): captured on the first run, replayed while shapes and
  // addresses stay the same.
  virtual void set_cuda_graph(bool on) = 0;
  // Per-layer GPU timing (`onyx bench --dump-profile`): while on, enqueue records a CUDA event before the first
  // layer and after each layer, and runs uncaptured even when CUDA graphs are on (events inside a graph are not
  // timed per layer). Off (the default): no events, no overhead.
  virtual void set_layer_timing(bool on) { (void)on; }
  // The last run's GPU time per device step (step index, seconds), in run order, once that run has completed
  // (after synchronize()); each run's times are returned once, then empty.
  virtual std::vector<std::pair<size_t, double>> take_layer_times() { return {}; }
};

// Engine-level data of a target (device weights), shared by its contexts.
class TargetEngine {
 public:
  virtual ~TargetEngine() = default;
  virtual std::unique_ptr<TargetContext> create_context(const EngineData& d) const = 0;
  // Names of the engine inputs bound with host memory (shape tensors).
  virtual std::vector<std::string> host_inputs() const = 0;
  // Per step: (kernel, precision) for `onyx inspect plan`.
  virtual std::vector<std::pair<std::string, std::string>> layer_info() const = 0;
  // Per step: the tactics the plan recorded ("problem -> tactic (ms)", "; "-separated; empty when none).
  virtual std::vector<std::string> layer_tactics() const { return {}; }
};

// Build, cuda: what the target stores in other dtypes than the model's (by value name).
struct CudaStorage {
  std::map<std::string, DType> values;   // activations (fp16/bf16 layers' outputs of float32 values)
  std::map<std::string, DType> weights;  // initializers converted at build (every consumer reads that dtype)
};

// Build: chooses the layer of every top-level node of the prepared, optimized model. Returns per node the kernel
// name ("host" for shape-only nodes run on the host) and fills `cuda_meta` (JSON text stored in the plan) and
// the GPU architecture (e.g. 90). kUnsupported naming the node when a node has no layer.
std::vector<std::string> cuda_select_layers(const Model& model, const BuilderConfig& config,
                                            std::string& cuda_meta, uint32_t& gpu_arch,
                                            CudaStorage* storage = nullptr);
// Load, first step: kBadInput "LABEL: ..." unless this onyx has CUDA and the current GPU is of `gpu_arch`.
void cuda_check_device(uint32_t gpu_arch, const std::string& label);
// Load: checks the device against the plan's architecture and uploads weights.
std::shared_ptr<TargetEngine> cuda_load_engine(const EngineData& d, const std::string& cuda_meta,
                                               const std::string& label);

}  // namespace onyx
