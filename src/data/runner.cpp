// Runners, loaders and the backend registry.
#include "onyx/runner.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx {

// ---- loaders
// ---------------------------------------------------------------------------------------------------
std::shared_ptr<Model> ModelFromOnnxPath::operator()() const {
  return std::make_shared<Model>(load_model(path_));
}

ModelFromMemory::ModelFromMemory(const Model& model)
    : bytes_(std::make_shared<const std::string>(serialize_model(model))) {}

std::shared_ptr<Model> ModelFromMemory::operator()() const {
  return std::make_shared<Model>(parse_model(*bytes_, "", "<model in memory>"));
}

// ---- Runner
// ----------------------------------------------------------------------------------------------------
void Runner::activate() {
  if (active_) fail_bad_input("runner '", name_, "' is already active");
  activate_impl();
  active_ = true;
}

void Runner::deactivate() {
  if (!active_) return;
  active_ = false;
  deactivate_impl();
}

NamedTensors Runner::infer(const NamedTensors& feeds) {
  if (!active_) fail_bad_input("runner '", name_, "' must be activated before infer()");
  last_profile_.clear();
  last_breakdown_ = InferenceBreakdown{};
  const auto start = std::chrono::steady_clock::now();
  NamedTensors out = infer_impl(feeds);
  last_time_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

std::string Runner::set_run_option(const std::string& key, const std::string& value) {
  return "backend '" + name_ + "' does not support the run option '" + key + "'";
}

// ---- RefRunner
// -------------------------------------------------------------------------------------------------
struct RefRunner::State {
  std::shared_ptr<Model> model;
  std::unique_ptr<RefSession> session;
};

RefRunner::RefRunner(ModelLoader loader, std::string name)
    : Runner(std::move(name)), loader_(std::move(loader)) {}
RefRunner::~RefRunner() = default;

void RefRunner::activate_impl() {
  auto state = std::make_unique<State>();
  state->model = loader_();
  if (!state->model || !state->model->graph) fail_bad_input(name(), ": the loader returned no model");
  prepare_model(*state->model);
  state->session = std::make_unique<RefSession>(state->model);
  state_ = std::move(state);
}

void RefRunner::deactivate_impl() {
  state_.reset();
}

namespace {

TensorMeta meta_of(const Value* v) {
  TensorMeta m;
  m.name = v->name();
  if (v->type.is_tensor()) {
    m.dtype = v->type.dtype;
    m.shape = v->type.shape;
  }
  return m;
}

}  // namespace

TensorMetadata RefRunner::input_metadata() const {
  if (!state_) fail_bad_input(name(), ": input_metadata() needs an active runner");
  TensorMetadata out;
  for (const Value* v : state_->model->graph->inputs)
    if (!v->is_initializer()) out.push_back(meta_of(v));
  return out;
}

TensorMetadata RefRunner::output_metadata() const {
  if (!state_) fail_bad_input(name(), ": output_metadata() needs an active runner");
  TensorMetadata out;
  for (const Value* v : state_->model->graph->outputs) out.push_back(meta_of(v));
  return out;
}

std::vector<NodeSummary> RefRunner::topology() const {
  if (!state_) fail_bad_input(name(), ": topology() needs an active runner");
  std::vector<NodeSummary> out;
  for (const auto& n : state_->model->graph->nodes()) {
    NodeSummary s;
    s.name = n->name;
    s.op_type = (n->domain.empty() || n->domain == "ai.onnx" ? "" : n->domain + ".") + n->op_type;
    for (const Value* v : n->inputs()) s.inputs.push_back(v ? v->name() : "");
    for (const Value* v : n->outputs()) s.outputs.push_back(v ? v->name() : "");
    out.push_back(std::move(s));
  }
  return out;
}

NamedTensors RefRunner::infer_impl(const NamedTensors& feeds) {
  NamedValues inputs;
  for (const auto& [name, t] : feeds) inputs.emplace_back(name, RunValue(t));
  RunOptions options;
  const Graph& g = *state_->model->graph;
  for (const std::string& n : extra_outputs()) {
    bool is_output = false;
    for (const Value* v : g.outputs) is_output |= v->name() == n;
    if (!is_output) options.extra_outputs.push_back(n);
  }
  if (layer_profile())
    options.on_node = [this](const Node& n, std::chrono::nanoseconds t) {
      record_layer({n.name, (n.domain.empty() || n.domain == "ai.onnx" ? "" : n.domain + ".") + n.op_type,
                    std::chrono::duration<double>(t).count()});
    };
  NamedValues values = state_->session->run(inputs, options);
  NamedTensors out;
  for (auto& [name, v] : values) {
    if (v.is_tensor()) {
      out.emplace_back(name, std::move(v.tensor));
    } else if (v.is_sequence()) {
      for (size_t i = 0; i < v.sequence.size(); ++i)
        out.emplace_back(name + "[" + std::to_string(i) + "]", v.sequence[i]);
    }
  }
  return out;
}

// ---- registry
// --------------------------------------------------------------------------------------------------
namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::vector<BackendInfo>& registry() {
  static std::vector<BackendInfo> r;
  return r;
}

// Backends that onyx will have; named in errors so a user knows they are planned, not misspelled.
const char* const kPlanned[] = {"cpu", "cuda"};

const bool kRefRegistered = [] {
  register_backend({.name = "ref",
                    .description = "reference interpreter (the golden model; slow, exact)",
                    .unavailable_reason = [] { return std::string(); },
                    .make = [](ModelLoader loader, const BackendSpec& spec) -> std::unique_ptr<Runner> {
                      if (!spec.options.empty())
                        fail_bad_input("backend 'ref' takes no options (got '", spec.text, "')");
                      return std::make_unique<RefRunner>(std::move(loader), spec.text);
                    }});
  return true;
}();

}  // namespace

BackendSpec parse_backend_spec(const std::string& text) {
  BackendSpec s;
  s.text = text;
  size_t start = 0;
  std::vector<std::string> parts;
  for (;;) {
    const size_t colon = text.find(':', start);
    parts.push_back(text.substr(start, colon == std::string::npos ? std::string::npos : colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  for (const std::string& p : parts)
    if (p.empty())
      fail_bad_input("--backends: '", text, "' is not a backend spec (NAME or NAME:OPTION, e.g. cuda:fp16)");
  s.name = parts[0];
  s.options.assign(parts.begin() + 1, parts.end());
  return s;
}

void register_backend(BackendInfo info) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (BackendInfo& b : registry())
    if (b.name == info.name) {
      b = std::move(info);
      return;
    }
  // The reference backend is listed first whatever the static initialization order of the backends' files.
  if (info.name == "ref")
    registry().insert(registry().begin(), std::move(info));
  else
    registry().push_back(std::move(info));
}

std::vector<BackendInfo> registered_backends() {
  (void)kRefRegistered;
  std::lock_guard<std::mutex> lock(registry_mutex());
  return registry();
}

std::string available_backends_list() {
  std::string s;
  for (const BackendInfo& b : registered_backends())
    if (!b.unavailable_reason || b.unavailable_reason().empty()) s += (s.empty() ? "" : ", ") + b.name;
  return s.empty() ? "none" : s;
}

std::unique_ptr<Runner> make_runner(const std::string& spec_text, ModelLoader loader) {
  const BackendSpec spec = parse_backend_spec(spec_text);
  for (const BackendInfo& b : registered_backends()) {
    if (b.name != spec.name) continue;
    const std::string why = b.unavailable_reason ? b.unavailable_reason() : "";
    if (!why.empty())
      fail_bad_input("backend '", spec.name, "' is not available: ", why,
                     " (available: ", available_backends_list(), ")");
    return b.make(std::move(loader), spec);
  }
  for (const char* p : kPlanned)
    if (spec.name == p)
      fail_bad_input("backend '", spec.name,
                     "' is not available in this build (available: ", available_backends_list(), ")");
  fail_bad_input("unknown backend '", spec.name, "' (available: ", available_backends_list(), ")");
}

}  // namespace onyx
