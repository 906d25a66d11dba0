// The `cuda` backend of the Runner registry (`onyx run --backends cuda,cuda:fp16`, `onyx conformance --backend
// cuda`): builds a cuda engine in memory from the model (no profiles: dynamic inputs take any shape) and runs it
// through one execution context, staging host inputs through pinned buffers on the runner's stream.
// Options: fp32 (default, strict), tf32, fp16, bf16, typed (strongly typed: the model's dtypes), graph (CUDA graph
// capture).
#include <chrono>
#include <cstring>

#include "../engine/host_binding.h"
#include "buffer.h"
#include "check.h"
#include "onyx/cuda.h"
#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {

namespace {

class CudaRunner : public Runner {
 public:
  CudaRunner(ModelLoader loader, std::string name, Precision p, bool graph, bool strongly_typed = false)
      : Runner(std::move(name)), loader_(std::move(loader)), precision_(p), graph_(graph), typed_(strongly_typed) {}
  // Over a loaded cuda plan (`onyx bench P.plan`, `onyx run P.plan`): the plan fixes the precision.
  CudaRunner(std::shared_ptr<const Engine> engine, std::string name)
      : Runner(std::move(name)), precision_(Precision::kFp32), graph_(false), plan_engine_(std::move(engine)) {}

  TensorMetadata input_metadata() const override { return meta(true); }
  TensorMetadata output_metadata() const override { return meta(false); }
  int64_t peak_device_memory() const override { return peak_; }
  // Per-layer GPU time from CUDA events around each layer (`onyx bench --dump-profile`); with a CUDA graph on,
  // profiled runs are not captured (the engine times layers outside the graph).
  bool supports_layer_profile() const override { return true; }
  // `onyx bench` options: cuda-graph (capture and replay), no-data-transfers (inputs stay on the device after the
  // first run and outputs are not copied back: compute only).
  std::string set_run_option(const std::string& key, const std::string& value) override {
    if (key == "cuda-graph") {
      graph_ = value != "0";
      if (context_) context_->set_cuda_graph(graph_);
      return "";
    }
    if (key == "no-data-transfers") {
      no_transfers_ = value != "0";
      return "";
    }
    return Runner::set_run_option(key, value);
  }

 protected:
  void activate_impl() override {
    size_t total = 0;
    free_before_ = 0;
    cudaMemGetInfo(&free_before_, &total);
    if (plan_engine_) {
      engine_ = plan_engine_;
    } else {
      std::shared_ptr<Model> model = loader_();
      if (!model || !model->graph) fail_bad_input(name(), ": the loader returned no model");
      BuilderConfig config;
      config.target = Target::kCuda;
      config.precision = precision_;
      config.strongly_typed = typed_;
      engine_ = build_engine(std::move(*model), config);
    }
    context_ = engine_->create_execution_context();
    profiling_ = false;
    if (graph_) context_->set_cuda_graph(true);
    device_.clear();
    pinned_.clear();
    device_.resize(engine_->io_tensors().size());
    pinned_.resize(engine_->io_tensors().size());
  }
  void deactivate_impl() override {
    context_.reset();
    engine_.reset();
    device_.clear();
    pinned_.clear();
    last_out_.clear();
  }
  NamedTensors infer_impl(const NamedTensors& feeds) override {
    if (!extra_outputs().empty())
      fail_unsupported(name(), ": the cuda engine does not expose intermediate values (--mark-all)");
    const auto& io = engine_->io_tensors();
    const bool skip_io = no_transfers_ && !last_out_.empty();
    start_.record(stream_.get());
    for (size_t i = 0; i < io.size() && !skip_io; ++i) {
      const IoTensor& t = io[i];
      if (!t.is_input) continue;
      const Tensor* x = nullptr;
      for (const auto& [n, v] : feeds)
        if (n == t.name) x = &v;
      if (!x) fail_bad_input("input '", t.name, "' was not given");
      if (x->dtype() != t.dtype)
        fail_bad_input("input '", t.name, "': expected dtype ", dtype_name(t.dtype), ", got ", dtype_name(x->dtype()));
      if (t.dtype == DType::kString) fail_unsupported("input '", t.name, "': string inputs cannot run on cuda");
      context_->set_input_shape(t.name, x->dims());
      const size_t bytes = x->nbytes();
      if (t.host_memory) {  // a shape tensor: read on the host by the engine
        context_->set_tensor_address(t.name, bytes ? const_cast<void*>(x->raw_data()) : nullptr, bytes);
        continue;
      }
      if (device_[i].size() < std::max<size_t>(bytes, 1)) {
        device_[i] = cuda::DeviceBuffer(std::max<size_t>(bytes, 256));
        pinned_[i] = cuda::PinnedBuffer(std::max<size_t>(bytes, 256));
      }
      if (bytes) {
        std::memcpy(pinned_[i].data(), x->raw_data(), bytes);
        device_[i].upload(pinned_[i].data(), bytes, stream_.get());
      }
      context_->set_tensor_address(t.name, device_[i].data(), bytes);
    }
    for (const auto& [n, v] : feeds) {
      const IoTensor* t = engine_->find_io_tensor(n);
      if (!t || !t->is_input) fail_bad_input("unknown input '", n, "'");
    }
    if (layer_profile() != profiling_) {
      profiling_ = layer_profile();
      if (profiling_)
        context_->set_node_observer([this](const Node& n, std::string_view kernel, std::chrono::nanoseconds t) {
          const std::string op = (n.domain.empty() || n.domain == "ai.onnx" ? "" : n.domain + ".") + n.op_type;
          record_layer({n.name, op + " [" + std::string(kernel) + "]", std::chrono::duration<double>(t).count()});
        });
      else
        context_->set_node_observer(nullptr);
    }
    uploaded_.record(stream_.get());
    const auto e0 = std::chrono::steady_clock::now();
    context_->enqueue(stream_.get());
    const auto e1 = std::chrono::steady_clock::now();
    computed_.record(stream_.get());
    stream_.synchronize();
    // Completes the run in the context: reports data errors found on the device (an index out of range) and hands
    // the per-layer times to the observer.
    context_->synchronize();
    InferenceBreakdown b;
    b.enqueue = std::chrono::duration<double>(e1 - e0).count();
    b.h2d = skip_io ? 0.0 : start_.seconds_to(uploaded_);
    b.compute = uploaded_.seconds_to(computed_);
    NamedTensors out;
    const auto d0 = std::chrono::steady_clock::now();
    if (skip_io) {
      out = last_out_;
      b.d2h = 0;
    } else {
      for (const IoTensor& t : io)
        if (!t.is_input) out.emplace_back(t.name, context_->output(t.name));
      b.d2h = std::chrono::duration<double>(std::chrono::steady_clock::now() - d0).count();
      if (no_transfers_) last_out_ = out;
    }
    set_breakdown(b);
    size_t free_now = 0, total = 0;
    if (cudaMemGetInfo(&free_now, &total) == cudaSuccess && free_before_ > free_now)
      peak_ = std::max<int64_t>(peak_, static_cast<int64_t>(free_before_ - free_now));
    return out;
  }

 private:
  TensorMetadata meta(bool inputs) const {
    if (!engine_) fail_bad_input(name(), ": metadata needs an active runner");
    return engine_io_metadata(*engine_, inputs);
  }

  // A CUDA event recorded on a stream (timing only).
  class Event {
   public:
    Event() { cuda::check_cuda(cudaEventCreate(&e_), "cudaEventCreate"); }
    ~Event() { cudaEventDestroy(e_); }
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    void record(cudaStream_t s) { cuda::check_cuda(cudaEventRecord(e_, s), "cudaEventRecord"); }
    double seconds_to(const Event& later) const {
      float ms = 0;
      cuda::check_cuda(cudaEventElapsedTime(&ms, e_, later.e_), "cudaEventElapsedTime");
      return ms / 1000.0;
    }

   private:
    cudaEvent_t e_ = nullptr;
  };

  ModelLoader loader_;
  Precision precision_;
  bool graph_;
  bool typed_ = false;
  bool no_transfers_ = false;
  bool profiling_ = false;  // the context's node observer is set
  NamedTensors last_out_;
  size_t free_before_ = 0;
  int64_t peak_ = -1;
  Event start_, uploaded_, computed_;
  cuda::Stream stream_;
  std::shared_ptr<const Engine> plan_engine_;  // set when the runner runs a loaded plan
  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<ExecutionContext> context_;
  std::vector<cuda::DeviceBuffer> device_;
  std::vector<cuda::PinnedBuffer> pinned_;
};

const bool kCudaRegistered = [] {
  register_backend(
      {.name = "cuda",
       .description = "cuda engine (options: fp32, tf32, fp16, bf16, typed (strongly typed), graph; e.g. cuda:fp16)",
       .unavailable_reason = []() -> std::string {
         if (cuda_devices().empty()) return "no usable CUDA device (" + cuda_status() + ")";
         return "";
       },
       .make = [](ModelLoader loader, const BackendSpec& spec) -> std::unique_ptr<Runner> {
         Precision p = Precision::kFp32;
         bool graph = false, typed = false, precision_given = false;
         for (const std::string& o : spec.options) {
           if (o == "graph") {
             graph = true;
           } else if (o == "typed") {
             typed = true;
           } else if (o == "fp32" || o == "tf32" || o == "fp16" || o == "bf16") {
             p = parse_precision(o);
             precision_given = true;
           } else {
             fail_bad_input("backend 'cuda': unknown option '", o, "' (fp32, tf32, fp16, bf16, typed, graph)");
           }
         }
         if (typed && precision_given)
           fail_bad_input("backend '", spec.text, "': 'typed' runs the model's own dtypes; drop the precision option");
         return std::make_unique<CudaRunner>(std::move(loader), spec.text, p, graph, typed);
       }});
  register_plan_runner_factory(static_cast<int>(Target::kCuda),
                               [](std::shared_ptr<const Engine> engine, std::string name) -> std::unique_ptr<Runner> {
                                 return std::make_unique<CudaRunner>(std::move(engine), std::move(name));
                               });
  return true;
}();

}  // namespace

}  // namespace onyx
