// The `cpu` backend of the Runner registry: builds an engine in memory from the model (no profiles: dynamic
// inputs take any shape) and runs it through one execution context.
#include <cstring>

#include "../engine/host_binding.h"
#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {

namespace {

class CpuRunner : public Runner {
 public:
  CpuRunner(ModelLoader loader, std::string name) : Runner(std::move(name)), loader_(std::move(loader)) {}

  TensorMetadata input_metadata() const override { return meta(true); }
  TensorMetadata output_metadata() const override { return meta(false); }
  bool supports_layer_profile() const override { return true; }

 protected:
  void activate_impl() override {
    std::shared_ptr<Model> model = loader_();
    if (!model || !model->graph) fail_bad_input(name(), ": the loader returned no model");
    engine_ = build_engine(std::move(*model), BuilderConfig{});
    context_ = engine_->create_execution_context();
  }
  void deactivate_impl() override {
    context_.reset();
    engine_.reset();
  }
  NamedTensors infer_impl(const NamedTensors& feeds) override {
    if (!extra_outputs().empty())
      fail_unsupported(name(), ": the cpu engine does not expose intermediate values (--mark-all)");
    bind_host_inputs(*engine_, *context_, feeds);
    if (layer_profile()) {
      context_->set_node_observer([this](const Node& n, std::string_view kernel, std::chrono::nanoseconds t) {
        std::string op = (n.domain.empty() || n.domain == "ai.onnx" ? "" : n.domain + ".") + n.op_type;
        record_layer({n.name, op + " [" + std::string(kernel) + "]", std::chrono::duration<double>(t).count()});
      });
    } else {
      context_->set_node_observer(nullptr);
    }
    context_->execute();
    return host_outputs(*engine_, *context_);
  }

 private:
  TensorMetadata meta(bool inputs) const {
    if (!engine_) fail_bad_input(name(), ": metadata needs an active runner");
    return engine_io_metadata(*engine_, inputs);
  }

  ModelLoader loader_;
  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<ExecutionContext> context_;
};

const bool kCpuRegistered = [] {
  register_backend({.name = "cpu",
                    .description = "optimized cpu engine (builds a plan in memory; onyx build writes one)",
                    .unavailable_reason = [] { return std::string(); },
                    .make = [](ModelLoader loader, const BackendSpec& spec) -> std::unique_ptr<Runner> {
                      if (!spec.options.empty())
                        fail_bad_input("backend 'cpu' takes no options (got '", spec.text, "')");
                      return std::make_unique<CpuRunner>(std::move(loader), spec.text);
                    }});
  return true;
}();

}  // namespace

}  // namespace onyx
