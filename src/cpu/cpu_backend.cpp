// The `cpu` backend of the Runner registry: builds an engine in memory from the model (no profiles: dynamic
// inputs take any shape) and runs it through one execution context.
#include <cstring>

#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {

namespace {

class CpuRunner : public Runner {
 public:
  CpuRunner(ModelLoader loader, std::string name) : Runner(std::move(name)), loader_(std::move(loader)) {}

  TensorMetadata input_metadata() const override { return meta(true); }
  TensorMetadata output_metadata() const override { return meta(false); }

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
    for (const IoTensor& t : engine_->io_tensors()) {
      if (!t.is_input) continue;
      const Tensor* x = nullptr;
      for (const auto& [n, v] : feeds)
        if (n == t.name) x = &v;
      if (!x) fail_bad_input("input '", t.name, "' was not given");
      if (x->dtype() != t.dtype)
        fail_bad_input("input '", t.name, "': expected dtype ", dtype_name(t.dtype), ", got ",
                       dtype_name(x->dtype()));
      context_->set_input_shape(t.name, x->dims());
      context_->set_tensor_address(t.name, const_cast<void*>(x->raw_data()), x->nbytes());
    }
    for (const auto& [n, v] : feeds) {
      const IoTensor* t = engine_->find_io_tensor(n);
      if (!t || !t->is_input) fail_bad_input("unknown input '", n, "'");
    }
    context_->execute();
    NamedTensors out;
    for (const IoTensor& t : engine_->io_tensors())
      if (!t.is_input) out.emplace_back(t.name, context_->output(t.name).clone());
    return out;
  }

 private:
  TensorMetadata meta(bool inputs) const {
    if (!engine_) fail_bad_input(name(), ": metadata needs an active runner");
    TensorMetadata out;
    for (const IoTensor& t : engine_->io_tensors())
      if (t.is_input == inputs) {
        TensorMeta m;
        m.name = t.name;
        m.dtype = t.dtype;
        m.shape = t.shape;
        out.push_back(std::move(m));
      }
    return out;
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
