// Runners over plan files: what `onyx bench P.plan` and `onyx run P.plan` use.
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include "../plan/plan_file.h"
#include "host_binding.h"
#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {

namespace {

std::mutex& factory_mutex() {
  static std::mutex m;
  return m;
}
std::map<int, PlanRunnerFactory>& factories() {
  static std::map<int, PlanRunnerFactory> f;
  return f;
}

// The target field of a plan header (offset 32, little endian); 0 when the file cannot be read.
uint32_t peek_target(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  unsigned char b[36] = {};
  if (!f || !f.read(reinterpret_cast<char*>(b), sizeof b)) return 0;
  return b[32] | (b[33] << 8) | (b[34] << 16) | (static_cast<uint32_t>(b[35]) << 24);
}

// Host binding over an engine whose contexts read and write host memory (the cpu target).
class HostPlanRunner : public Runner {
 public:
  HostPlanRunner(std::string path, std::string name) : Runner(std::move(name)), path_(std::move(path)) {}
  HostPlanRunner(std::shared_ptr<const Engine> engine, std::string path, std::string name)
      : Runner(std::move(name)), path_(std::move(path)), loaded_(std::move(engine)) {}

  TensorMetadata input_metadata() const override { return meta(true); }
  TensorMetadata output_metadata() const override { return meta(false); }
  int64_t peak_device_memory() const override { return delegate_ ? delegate_->peak_device_memory() : -1; }
  // Per-layer times: the cpu context's node observer (wall time per node), or the target runner's (cuda: GPU
  // time per layer from CUDA events).
  bool supports_layer_profile() const override { return true; }

 protected:
  void activate_impl() override {
    engine_ = loaded_ ? loaded_ : Engine::load(path_);
    const PlanSummary s = engine_->summary();
    if (s.target != Target::kCpu) {
      PlanRunnerFactory f;
      {
        std::lock_guard<std::mutex> lock(factory_mutex());
        auto it = factories().find(static_cast<int>(s.target));
        if (it != factories().end()) f = it->second;
      }
      if (!f)
        fail_unsupported(path_, ": a ", target_name(s.target), " plan cannot run in this build of onyx");
      delegate_ = f(engine_, name());
      for (const auto& [k, v] : pending_) {
        const std::string why = delegate_->set_run_option(k, v);
        if (!why.empty()) fail_unsupported(path_, ": run option '", k, "': ", why);
      }
      delegate_->activate();
      return;
    }
    context_ = engine_->create_execution_context();
  }
  void deactivate_impl() override {
    if (delegate_) delegate_->deactivate();
    delegate_.reset();
    context_.reset();
    engine_.reset();
  }
  NamedTensors infer_impl(const NamedTensors& feeds) override {
    if (!extra_outputs().empty())
      fail_unsupported(name(), ": a plan does not expose intermediate values (--mark-all needs a model)");
    if (delegate_) {
      delegate_->set_layer_profile(layer_profile());
      NamedTensors out = delegate_->infer(feeds);
      set_breakdown(delegate_->last_breakdown());  // H2D / compute / D2H / enqueue for `onyx bench`
      for (const LayerTiming& l : delegate_->last_layer_profile()) record_layer(l);
      return out;
    }
    bind_host_inputs(*engine_, *context_, feeds);
    if (layer_profile())
      context_->set_node_observer([this](const Node& n, std::string_view kernel, std::chrono::nanoseconds t) {
        std::string op = (n.domain.empty() || n.domain == "ai.onnx" ? "" : n.domain + ".") + n.op_type;
        record_layer({n.name, op + " [" + std::string(kernel) + "]", std::chrono::duration<double>(t).count()});
      });
    else
      context_->set_node_observer(nullptr);
    context_->execute();
    return host_outputs(*engine_, *context_);
  }

 public:
  std::string set_run_option(const std::string& key, const std::string& value) override {
    // The host (cpu) plan takes only the thread count (the shared kernel pool); a plan of another target
    // hands its options to that target's runner when it is made at activation.
    if (key == "threads") return "";
    if (peek_target(path_) == static_cast<uint32_t>(Target::kCpu)) return Runner::set_run_option(key, value);
    pending_.emplace_back(key, value);
    return "";
  }

 private:
  TensorMetadata meta(bool inputs) const {
    if (delegate_) return inputs ? delegate_->input_metadata() : delegate_->output_metadata();
    if (!engine_) fail_bad_input(name(), ": metadata needs an active runner");
    return engine_io_metadata(*engine_, inputs);
  }

  std::string path_;
  std::shared_ptr<const Engine> loaded_;  // given at construction (shared by the runners of one bench)
  std::shared_ptr<const Engine> engine_;
  std::unique_ptr<ExecutionContext> context_;
  std::unique_ptr<Runner> delegate_;
  std::vector<std::pair<std::string, std::string>> pending_;
};

}  // namespace

bool is_plan_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  char magic[sizeof plan::kMagic] = {};
  if (!f.read(magic, sizeof magic)) return false;
  return std::memcmp(magic, plan::kMagic, sizeof magic) == 0;
}

void register_plan_runner_factory(int target, PlanRunnerFactory factory) {
  std::lock_guard<std::mutex> lock(factory_mutex());
  factories()[target] = std::move(factory);
}

std::unique_ptr<Runner> make_plan_runner(const std::string& plan_path, std::string name) {
  if (name.empty()) name = "plan";
  return std::make_unique<HostPlanRunner>(plan_path, std::move(name));
}

std::unique_ptr<Runner> make_plan_runner(std::shared_ptr<const Engine> engine, const std::string& plan_path,
                                         std::string name) {
  if (name.empty()) name = "plan";
  return std::make_unique<HostPlanRunner>(std::move(engine), plan_path, std::move(name));
}

}  // namespace onyx
