// Runners and loaders, in the style of Polygraphy.
//
// A loader is a callable that does its work when called, so loaders compose lazily:
//
//   auto loader = ModelFromOnnxPath("m.onnx");      // nothing read yet
//   RefRunner runner(loader);                        // still nothing read
//   RunnerActivation active(runner);                 // loads, prepares (activate)
//   NamedTensors out = runner.infer({{"x", x}});
//   double seconds = runner.last_inference_time();
//
// Backends are found by name through a registry ("ref" now; "cpu", "cuda", "cuda:fp16" register themselves
// when they exist), so `onyx run --backends` needs no change when a backend is added.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "onyx/data.h"
#include "onyx/graph.h"

namespace onyx {

// ---- loaders
// -------------------------------------------------------------------------------------------------------
// Returns a fresh model each call (runners prepare and may modify it).
using ModelLoader = std::function<std::shared_ptr<Model>()>;

// Loads an ONNX file when called.
class ModelFromOnnxPath {
 public:
  explicit ModelFromOnnxPath(std::string path) : path_(std::move(path)) {}
  std::shared_ptr<Model> operator()() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Serializes `model` once and parses a fresh copy at each call (for models built in memory).
class ModelFromMemory {
 public:
  explicit ModelFromMemory(const Model& model);
  std::shared_ptr<Model> operator()() const;

 private:
  std::shared_ptr<const std::string> bytes_;
};

// ---- runners
// ------------------------------------------------------------------------------------------------------- One
// node of a runner's graph as it runs it, for --mark-all reports.
struct NodeSummary {
  std::string name;
  std::string op_type;
  std::vector<std::string> inputs;  // "" for an absent optional input
  std::vector<std::string> outputs;
};

// One layer's time in one infer() (per-layer profiling, `onyx bench --dump-profile`).
struct LayerTiming {
  std::string name;     // node name (a backend that fuses nodes names the fused layer as it likes)
  std::string op_type;  // "Conv", "MatMul", or the backend's name for a fused layer
  double seconds = 0;
};

// Parts of the last infer() that a device backend measures beyond wall time (seconds; < 0: not measured).
// A host backend leaves them all unmeasured.
struct InferenceBreakdown {
  double h2d = -1;      // host-to-device copies of the inputs
  double compute = -1;  // device compute (CUDA events around the work)
  double d2h = -1;      // device-to-host copies of the outputs
  double enqueue = -1;  // host time to enqueue the work
};

class Runner {
 public:
  explicit Runner(std::string name) : name_(std::move(name)) {}
  virtual ~Runner() = default;
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // The backend spec it was made from, e.g. "ref" or "cuda:fp16".
  const std::string& name() const { return name_; }

  // Loads/builds the model (the expensive part). Must be called before infer(); deactivate() frees it.
  void activate();
  void deactivate();
  bool is_active() const { return active_; }

  // Runs one inference on a feed dict naming every model input. Returns the graph outputs in order, then the
  // extra outputs set with set_extra_outputs(). Non-tensor outputs are flattened: sequence item i of `s` is
  // "s[i]"; an empty optional is left out. Throws kBadInput on a bad feed.
  NamedTensors infer(const NamedTensors& feeds);
  // Wall time of the last infer() in seconds.
  double last_inference_time() const { return last_time_; }

  // Valid while active.
  virtual TensorMetadata input_metadata() const = 0;
  virtual TensorMetadata output_metadata() const = 0;
  // The graph's nodes in topological order (empty when the backend cannot say).
  virtual std::vector<NodeSummary> topology() const { return {}; }
  // Also return these intermediate values (names from topology()) — every node output for --mark-all.
  void set_extra_outputs(std::vector<std::string> names) { extra_outputs_ = std::move(names); }
  const std::vector<std::string>& extra_outputs() const { return extra_outputs_; }

  // ---- benchmarking (`onyx bench`); all optional for a backend, defaults keep older backends working
  // Per-layer profiling: when a backend supports it and it is on, infer() fills last_layer_profile() with one
  // entry per layer run, in run order.
  virtual bool supports_layer_profile() const { return false; }
  void set_layer_profile(bool on) { layer_profile_ = on; }
  bool layer_profile() const { return layer_profile_; }
  const std::vector<LayerTiming>& last_layer_profile() const { return last_profile_; }
  // Device-side timings of the last infer() (all unmeasured unless the backend sets them).
  const InferenceBreakdown& last_breakdown() const { return last_breakdown_; }
  // Peak device memory this runner has held since activate(), in bytes; -1 for a host backend.
  virtual int64_t peak_device_memory() const { return -1; }
  // A run option by name, set before activate(): "cuda-graph" ("1"/"0"), "no-data-transfers" ("1"/"0"),
  // "threads" (a count). Returns "" when the backend applied it, else one line saying why not (the runner is
  // unchanged). The default supports none.
  virtual std::string set_run_option(const std::string& key, const std::string& value);

 protected:
  virtual void activate_impl() = 0;
  virtual void deactivate_impl() = 0;
  virtual NamedTensors infer_impl(const NamedTensors& feeds) = 0;
  // For infer_impl: record one layer's time (only when layer_profile() is on) / the device timings.
  void record_layer(LayerTiming t) { last_profile_.push_back(std::move(t)); }
  void set_breakdown(const InferenceBreakdown& b) { last_breakdown_ = b; }

 private:
  std::string name_;
  bool active_ = false;
  double last_time_ = 0;
  std::vector<std::string> extra_outputs_;
  bool layer_profile_ = false;
  std::vector<LayerTiming> last_profile_;
  InferenceBreakdown last_breakdown_;
};

// Activates a runner for the scope (Polygraphy's `with runner:`).
class RunnerActivation {
 public:
  explicit RunnerActivation(Runner& r) : r_(r) { r_.activate(); }
  ~RunnerActivation() {
    try {
      r_.deactivate();
    } catch (...) {
    }
  }
  RunnerActivation(const RunnerActivation&) = delete;
  RunnerActivation& operator=(const RunnerActivation&) = delete;

 private:
  Runner& r_;
};

// The reference interpreter.
class RefRunner : public Runner {
 public:
  explicit RefRunner(ModelLoader loader, std::string name = "ref");
  ~RefRunner() override;
  TensorMetadata input_metadata() const override;
  TensorMetadata output_metadata() const override;
  std::vector<NodeSummary> topology() const override;
  bool supports_layer_profile() const override { return true; }

 protected:
  void activate_impl() override;
  void deactivate_impl() override;
  NamedTensors infer_impl(const NamedTensors& feeds) override;

 private:
  struct State;
  ModelLoader loader_;
  std::unique_ptr<State> state_;
};

// ---- backend registry
// -------------------------------------------------------------------------------------------- "cuda:fp16:1"
// → name "cuda", options {"fp16", "1"}.
struct BackendSpec {
  std::string text;
  std::string name;
  std::vector<std::string> options;
};
BackendSpec parse_backend_spec(const std::string& text);

struct BackendInfo {
  std::string name;
  std::string description;  // one line for --help
  // "" when usable on this machine; otherwise why not ("no CUDA device").
  std::function<std::string()> unavailable_reason;
  // Makes a runner; throws kBadInput for options it does not know.
  std::function<std::unique_ptr<Runner>(ModelLoader, const BackendSpec&)> make;
};

// Registers a backend (call from a static initializer in the backend's file). A later registration of the
// same name replaces the earlier one.
void register_backend(BackendInfo info);
// Registered backends, in registration order.
std::vector<BackendInfo> registered_backends();
// Names of the backends usable now, comma separated ("ref").
std::string available_backends_list();
// Makes the runner for `spec`. Unknown or unavailable backend: kBadInput listing the available ones.
std::unique_ptr<Runner> make_runner(const std::string& spec, ModelLoader loader);

}  // namespace onyx
