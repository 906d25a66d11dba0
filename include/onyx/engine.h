// The runtime: an Engine is a loaded plan (immutable, shareable across threads); an ExecutionContext holds
// the state of one inference at a time (TensorRT's ICudaEngine / IExecutionContext, for the cpu target).
//
//   auto engine = Engine::load("resnet50.plan");           // checks header, version, target, checksum
//   auto ctx = engine->create_execution_context();
//   ctx->set_input_shape("x", {4, 3, 224, 224});          // within the selected profile
//   ctx->set_tensor_address("x", x_data, x_bytes);
//   ctx->set_tensor_address("y", y_data, y_capacity);      // optional: unbound outputs stay in the context
//   ctx->execute();
//   const Tensor& y = ctx->output("y");                    // shape of this run
//
// Several contexts of one engine may execute at the same time from different threads and give identical
// results. One context is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onyx/builder.h"
#include "onyx/run_value.h"
#include "onyx/tensor.h"

namespace onyx {

class ExecutionContext;
struct EngineData;  // internal (src/engine/engine_data.h)

// One input or output of the engine.
struct IoTensor {
  std::string name;
  bool is_input = false;
  DType dtype = DType::kUndefined;
  Shape shape;  // as the model declares it (symbols for dynamic dims)
  // Largest shape at profile p's max shapes when known (empty vector when not computable), per profile (one
  // entry when the engine has no profiles).
  std::vector<std::vector<int64_t>> max_dims;
  // cuda target: a shape tensor (an input the engine reads on the host: Reshape's shape, Slice's starts, ...),
  // bound with a host pointer; the engine re-plans when its values change.
  bool host_memory = false;
};

// What `onyx inspect plan` reports.
struct PlanSummary {
  std::string onyx_version;
  uint32_t format_version = 0;
  Target target = Target::kCpu;
  uint32_t gpu_arch = 0;
  uint64_t options_hash = 0;
  uint64_t file_bytes = 0;
  uint64_t weights_bytes = 0;
  size_t num_nodes = 0;
  size_t num_native_nodes = 0;  // nodes with a target kernel (the rest run the reference kernel)
  std::string precision = "fp32";  // the build's precision (BuilderConfig::precision)
  bool strongly_typed = false;     // BuilderConfig::strongly_typed
  // Per profile at its max shapes: the arena (outputs of target kernels, sharing space when their lifetimes
  // do not overlap) against the sum of all activations' bytes (the footprint if each had its own buffer).
  struct Memory {
    uint64_t arena_bytes = 0;
    uint64_t sum_tensor_bytes = 0;  // all activations of known size
    size_t planned_tensors = 0;     // activations placed in the arena
    uint64_t planned_bytes = 0;     // their bytes before sharing
    size_t dynamic_tensors = 0;     // activations whose size is unknown at build (allocated per run)
  };
  std::vector<Memory> memory;
  // "op_type → kernel" counts, e.g. {"Conv", "cpu.conv", 53}.
  struct KernelCount {
    std::string op_type, kernel;
    size_t count = 0;
  };
  std::vector<KernelCount> kernels;
  // GPU targets: the tactic each layer's library plans use (docs/cuda.md, "Tactics"), layers with one only.
  struct LayerTactics {
    std::string node, op_type;
    std::string tactics;  // "problem -> tactic (0.0123 ms)", "; "-separated (no time: taken without timing)
  };
  std::vector<LayerTactics> tactics;
};

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  // Loads a plan file. Every failure (missing file, truncated, bad magic, other format/onyx version, other
  // target or GPU architecture, checksum mismatch, inconsistent contents) is kBadInput with one line naming
  // the file.
  static std::shared_ptr<const Engine> load(const std::string& path);
  // Same from bytes in memory (copied into a 64-byte-aligned buffer); `label` names the source in errors.
  static std::shared_ptr<const Engine> deserialize(std::string_view bytes, const std::string& label);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const std::vector<IoTensor>& io_tensors() const;
  // The io tensor named `name`, or nullptr.
  const IoTensor* find_io_tensor(std::string_view name) const;
  size_t num_profiles() const;  // 0 when built without profiles
  // Profile p's range of input `name`, or nullptr when it has none (static input, or no profiles).
  const ShapeRange* profile_range(size_t p, std::string_view name) const;
  PlanSummary summary() const;

  // A fresh context using profile 0, with its own activation arena (sized for that profile's max shapes).
  std::unique_ptr<ExecutionContext> create_execution_context() const;

 private:
  friend class ExecutionContext;
  explicit Engine(std::unique_ptr<EngineData> data);
  std::unique_ptr<EngineData> data_;
};

class ExecutionContext {
 public:
  ~ExecutionContext();
  ExecutionContext(const ExecutionContext&) = delete;
  ExecutionContext& operator=(const ExecutionContext&) = delete;

  const Engine& engine() const { return *engine_; }
  // Selects the optimization profile (resets input shapes). kBadInput when out of range.
  void set_profile(size_t p);
  size_t profile() const { return profile_; }

  // Sets the shape of input `name` for the next runs. kBadInput when `name` is not an input, the rank
  // differs, a static dim differs, or a dim lies outside the selected profile's [min, max]. Inputs whose
  // shape is static need no call.
  void set_input_shape(const std::string& name, const std::vector<int64_t>& dims);
  // The shape set (or static) for an input; the shape of the last run's result for an output; empty + false
  // when not known yet.
  bool tensor_shape(const std::string& name, std::vector<int64_t>& dims) const;

  // Binds caller memory to an io tensor (cuda target: device memory, 16-byte aligned; a host or misaligned
  // address is kBadInput and the binding stays as it was). Inputs: `bytes` must equal the input's size at execute time (the
  // data is read, never written). Outputs: `bytes` is the capacity; execute() fails (kBadInput) if the result
  // needs more. The memory must stay valid until the next execute() returns. nullptr unbinds.
  void set_tensor_address(const std::string& name, void* data, size_t bytes);

  // Runs one inference synchronously. kBadInput when an input has no shape or address, or a node fails on the
  // data (naming it); kRuntime on out of memory.
  void execute();
  // The cpu target has no stream: enqueue() is execute(). Returns true on success (errors still throw).
  bool enqueue() {
    execute();
    return true;
  }
  // cuda target: enqueues one run on `cuda_stream` (a cudaStream_t; nullptr: the context's own stream) and
  // returns without synchronizing. Bound addresses are device pointers and must stay valid until the run
  // completes. A change of input shapes or profile waits for the context's previous run (plans and host shape
  // values are recomputed); runs with the same shapes never synchronize. A stream of another device than the
  // context's is kBadInput. cpu target: execute().
  bool enqueue(void* cuda_stream);
  // cuda target: waits for the last enqueue (execute() does this itself), then reports what only the device saw:
  // kBadInput naming the node when a kernel found an index out of range (Gather, GatherElements, GatherND,
  // ScatterElements, ScatterND, NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss; the flag is cleared, the context
  // stays usable), and the node observer's per-layer times. A caller that synchronizes the stream itself calls this
  // too (cheap once the stream is idle). An unreported error of a run surfaces at the next synchronize(),
  // execute() or output(). cpu target: nothing.
  void synchronize();
  // cuda target: use caller device memory of at least arena_bytes() bytes (256-byte aligned) as the activation
  // arena instead of the context's own (TensorRT's setDeviceMemory); nullptr returns to the context's own.
  void set_device_memory(void* data, size_t bytes);
  // cuda target: capture runs into a CUDA graph and replay it while shapes and addresses stay the same.
  void set_cuda_graph(bool on);

  // An output of the last run (a view of the bound buffer when one was bound; cuda target: a host copy, which
  // waits for the run). kBadInput before the first run.
  const Tensor& output(const std::string& name) const;

  // Bytes of this context's activation arena.
  size_t arena_bytes() const;

  // Profiling: when set, called after each top-level node of execute() with the node, the kernel that ran it
  // ("ref" for the reference kernel, else the target kernel's name) and its wall time. nullptr turns it off.
  // cuda target: every enqueue records a CUDA event before the first layer and after each layer, and the observer
  // gets each device layer's GPU time (event to event) in synchronize() / execute(), once the run has completed;
  // host (shape-only) nodes are not reported. While set, runs are not captured in a CUDA graph. Unset: no events.
  using NodeObserver = std::function<void(const Node&, std::string_view kernel, std::chrono::nanoseconds)>;
  void set_node_observer(NodeObserver fn);

 private:
  friend class Engine;
  explicit ExecutionContext(std::shared_ptr<const Engine> engine);
  struct State;
  std::shared_ptr<const Engine> engine_;
  size_t profile_ = 0;
  std::unique_ptr<State> state_;
};

// build_plan + Engine::deserialize: an engine built in memory (what the `cpu` runner and conformance use).
std::shared_ptr<const Engine> build_engine(Model model, const BuilderConfig& config);

// Builds a cpu engine (no profiles) from `model` and runs it once on tensor inputs given by name; returns the
// outputs in graph order (for conformance). Non-tensor inputs/outputs: kUnsupported.
std::vector<std::pair<std::string, RunValue>> run_cpu_engine(
    Model model, const std::vector<std::pair<std::string, RunValue>>& inputs);

}  // namespace onyx
