// Engine (a loaded plan) and ExecutionContext (one inference at a time over a private arena).
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>

#include "../cpu/kernels.h"
#include "engine_internal.h"
#include "target_hooks.h"
#include "onyx/engine.h"
#include "onyx/limits.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx {

using Json = nlohmann::json;

// ---- graph indexing
// ------------------------------------------------------------------------------------------

namespace {

void collect_captures(const Graph& sub, std::vector<const Value*>& out);

// Values a node reads, including outer-scope values its subgraphs capture.
std::vector<const Value*> reads_of(const Node& n) {
  std::vector<const Value*> out;
  for (const Value* v : n.inputs())
    if (v) out.push_back(v);
  for (const Attribute& a : n.attributes) {
    if (a.g) collect_captures(*a.g, out);
    for (const auto& sg : a.graphs) collect_captures(*sg, out);
  }
  return out;
}

void collect_captures(const Graph& sub, std::vector<const Value*>& out) {
  for (const auto& inner : sub.nodes())
    for (const Value* v : reads_of(*inner))
      if (v->owner() != &sub) out.push_back(v);
  for (const Value* v : sub.outputs)
    if (v->owner() != &sub) out.push_back(v);
}

}  // namespace

void for_each_node_recursive(const Graph& g, const std::function<void(const Node&)>& fn) {
  for (const auto& n : g.nodes()) {
    fn(*n);
    for (const Attribute& a : n->attributes) {
      if (a.g) for_each_node_recursive(*a.g, fn);
      for (const auto& sg : a.graphs) for_each_node_recursive(*sg, fn);
    }
  }
}

void for_each_node_recursive_mut(Graph& g, const std::function<void(Node&)>& fn) {
  for (const auto& n : g.nodes()) {
    fn(*n);
    for (Attribute& a : n->attributes) {
      if (a.g) for_each_node_recursive_mut(*a.g, fn);
      for (auto& sg : a.graphs) for_each_node_recursive_mut(*sg, fn);
    }
  }
}

void index_graph(EngineData& d, const Graph& g) {
  d.values.clear();
  d.value_id.clear();
  d.steps.clear();
  d.input_ids.clear();
  d.output_ids.clear();
  for (const Value* v : g.values()) {
    d.value_id[v] = static_cast<int>(d.values.size());
    d.values.push_back(v);
  }
  auto id_of = [&](const Value* v) { return v ? d.value_id.at(v) : -1; };
  std::vector<int> last(d.values.size(), -1);
  for (const auto& n : g.nodes()) {
    EngineData::Step s;
    s.node = n.get();
    for (const Value* v : n->inputs()) s.inputs.push_back(id_of(v));
    for (const Value* v : n->outputs()) s.outputs.push_back(id_of(v));
    const int step = static_cast<int>(d.steps.size());
    for (const Value* v : reads_of(*n))
      if (v->owner() == &g) last[d.value_id.at(v)] = step;
    d.steps.push_back(std::move(s));
  }
  std::vector<bool> keep(d.values.size(), false);
  for (const Value* v : g.outputs) keep[id_of(v)] = true;
  for (size_t id = 0; id < d.values.size(); ++id)
    if (last[id] >= 0 && !keep[id] && !d.values[id]->is_initializer())
      d.steps[last[id]].free_after.push_back(static_cast<int>(id));
  for (const Value* v : g.inputs)
    if (!v->is_initializer()) d.input_ids.push_back(id_of(v));
  for (const Value* v : g.outputs) d.output_ids.push_back(id_of(v));
}

// ---- loading
// -------------------------------------------------------------------------------------------------

namespace {

std::vector<int64_t> json_dims(const Json& j) {
  std::vector<int64_t> d = j.get<std::vector<int64_t>>();
  if (d.size() > 64) fail_bad_input("rank ", d.size(), " is too large");
  for (int64_t x : d)
    if (x < 0) fail_bad_input("negative dimension ", x);
  return d;
}

}  // namespace

std::unique_ptr<EngineData> load_engine_data(plan::AlignedBuffer buffer, const std::string& label) {
  auto d = std::make_unique<EngineData>();
  d->buffer = std::move(buffer);
  std::vector<plan::Section> sections;
  d->header = plan::read_plan(d->buffer.view(), label, plan::peek_target(d->buffer.view()), sections);
  const bool gpu = d->header.target == Target::kCuda;
  if (gpu) cuda_check_device(d->header.gpu_arch, label);
  std::string_view meta_bytes, model_bytes, weights;
  for (const plan::Section& s : sections) {
    if (s.tag == plan::SectionTag::kMeta) meta_bytes = s.data;
    if (s.tag == plan::SectionTag::kModel) model_bytes = s.data;
    if (s.tag == plan::SectionTag::kWeights) weights = s.data;
  }
  d->weights_bytes = weights.size();
  auto bad = [&](const auto&... parts) { fail_bad_input(label, ": damaged plan (", parts..., ")"); };
  d->model = parse_model(model_bytes, "", label);
  if (!d->model.graph) bad("no graph");
  Graph& g = *d->model.graph;
  try {
    const Json meta = Json::parse(meta_bytes);
    // Node opsets (upgrades raised some above the model's imports).
    const auto& opsets = meta.at("node_opsets");
    size_t count = 0;
    for_each_node_recursive_mut(g, [&](Node&) { ++count; });
    if (!opsets.is_array() || opsets.size() != count) bad("node table does not match the graph");
    size_t i = 0;
    for_each_node_recursive_mut(g, [&](Node& n) {
      n.opset = opsets.at(i++).get<int64_t>();
      if (n.opset < 1) bad(n.describe(), " has opset ", n.opset);
    });
    // Every node's arity is the one its op version allows (import checked it, a damaged plan may not have kept
    // it): kernels index their inputs and outputs without checking the count again.
    for_each_node_recursive_mut(g, [&](Node& n) {
      const OpSchema* s = OpRegistry::instance().find(n.domain, n.op_type, n.opset);
      if (!s) return;  // reported below (top level) or when a subgraph runs
      if (const std::string p = arity_problem(n, *s); !p.empty()) bad(p);
    });
    // Weights.
    std::vector<Value*> inputs = g.inputs;
    std::vector<Value*> converted;  // cuda fp16/bf16 plans: weights stored in another dtype than the model's
    for (const Json& w : meta.at("weights")) {
      const std::string name = w.at(0).get<std::string>();
      const int32_t dt = w.at(1).get<int32_t>();
      if (!dtype_is_valid(dt) || static_cast<DType>(dt) == DType::kString)
        bad("weight '", name, "' dtype ", dt);
      const DType dtype = static_cast<DType>(dt);
      const std::vector<int64_t> dims = json_dims(w.at(2));
      const uint64_t offset = w.at(3).get<uint64_t>(), bytes = w.at(4).get<uint64_t>();
      const int64_t numel = checked_numel(dims);
      if (static_cast<uint64_t>(numel) * dtype_size(dtype) != bytes || offset % plan::kAlign != 0 ||
          offset > weights.size() || bytes > weights.size() - offset)
        bad("weight '", name, "' does not fit the weights section");
      Value* v = g.find_value(name);
      auto it = std::find(inputs.begin(), inputs.end(), v);
      if (!v || it == inputs.end() || v->is_initializer()) bad("weight '", name, "' is not a graph input");
      inputs.erase(it);
      // The model declares each weight's shape: the table must agree (kernels size their reads by one or the
      // other; found by mutating cuda plans).
      if (v->type.is_tensor() && v->type.has_shape && !v->type.shape.fits(dims))
        bad("weight '", name, "' has dims ", dims_to_string(dims), ", the model declares ", v->type.shape.to_string());
      if (v->type.is_tensor() && v->type.dtype != dtype) {
        const auto is_float = [](DType t) {
          return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16;
        };
        if (!gpu || !is_float(dtype) || !is_float(v->type.dtype))
          bad("weight '", name, "' is stored as ", dtype_name(dtype), ", the model types it ", dtype_name(v->type.dtype));
        converted.push_back(v);
      }
      v->initializer = Tensor::borrow(dtype, dims, const_cast<char*>(weights.data() + offset));
      g.initializers.push_back(v);
    }
    g.inputs = inputs;
    index_graph(*d, g);
    // Kernels.
    const auto& kernels = meta.at("kernels");
    if (!kernels.is_array() || kernels.size() != d->steps.size())
      bad("kernel table does not match the graph");
    for (size_t s = 0; s < d->steps.size(); ++s) {
      EngineData::Step& step = d->steps[s];
      const Node& n = *step.node;
      step.kernel_name = kernels[s].get<std::string>();
      if (gpu) {
        step.device = step.kernel_name != "host";
      } else if (step.kernel_name != "ref") {
        step.kernel = cpu::find_kernel(step.kernel_name);
        if (!step.kernel)
          fail_bad_input(label, ": ", n.describe(), " uses kernel '", step.kernel_name,
                         "' that this onyx does not have (rebuild the plan)");
        if (step.kernel->prepare) step.prepared = step.kernel->prepare(n);
      }
      step.schema = OpRegistry::instance().find(n.domain, n.op_type, n.opset);
      // The builder of this onyx version resolved every op it wrote (read_plan checked the version).
      if (!step.schema || !step.schema->run) bad(n.describe(), " has no kernel at opset ", n.opset);
    }
    // Profiles.
    std::string names;
    for (const Json& jp : meta.at("profiles")) {
      OptimizationProfile p;
      for (const Json& e : jp) {
        const std::string name = e.at(0).get<std::string>();
        ShapeRange r{json_dims(e.at(1)), json_dims(e.at(2)), json_dims(e.at(3))};
        const Value* v = g.find_value(name);
        if (!v || std::find(g.inputs.begin(), g.inputs.end(), v) == g.inputs.end())
          bad("profile names '", name, "', not an input");
        if (r.min.size() != r.max.size() || r.opt.size() != r.max.size())
          bad("profile ranks of '", name, "'");
        p.set_dimensions(name, r.min, r.opt, r.max);
      }
      d->profiles.push_back(std::move(p));
    }
    // Memory plans.
    if (meta.contains("config") && meta["config"].is_object()) {
      const Json& c = meta["config"];
      static const char* const kNames[] = {"fp32", "fp16", "bf16", "tf32"};
      const int p = c.value("precision", 0);
      if (p < 0 || p > 3) bad("precision ", p);
      d->precision = kNames[p];
      d->strongly_typed = c.value("strongly_typed", false);
    }
    const auto& memory = meta.at("memory");
    if (!memory.is_array() || memory.size() != std::max<size_t>(1, d->profiles.size())) bad("memory plans");
    for (const Json& jm : memory) {
      MemoryPlan mp;
      mp.arena_bytes = jm.at("arena").get<uint64_t>();
      mp.sum_tensor_bytes = jm.at("sum").get<uint64_t>();
      mp.dynamic_tensors = jm.at("dynamic").get<size_t>();
      if (mp.arena_bytes > limits().max_tensor_bytes)
        fail_bad_input(label, ": the plan's arena of ", mp.arena_bytes,
                       " bytes exceeds the tensor size limit (", limits().max_tensor_bytes, " bytes)");
      mp.by_value.resize(d->values.size());
      for (const Json& e : jm.at("values")) {
        const Value* v = g.find_value(e.at(0).get<std::string>());
        const int64_t offset = e.at(1).get<int64_t>();
        const uint64_t bytes = e.at(2).get<uint64_t>();
        if (!v || offset < 0 || offset % 64 != 0 || static_cast<uint64_t>(offset) > mp.arena_bytes ||
            bytes > mp.arena_bytes - static_cast<uint64_t>(offset))
          bad("memory plan entry");
        mp.by_value[d->value_id.at(v)] = {offset, bytes};
      }
      d->memory.push_back(std::move(mp));
    }
    // Io tensors.
    for (int id : d->input_ids) {
      const Value* v = d->values[id];
      // An optional(tensor) input is bound like a tensor (always present when bound).
      const TypeInfo& ty =
          v->type.kind == TypeInfo::Kind::kOptional && v->type.element ? *v->type.element : v->type;
      IoTensor t{v->name(), true, ty.dtype, ty.shape, {}};
      for (size_t p = 0; p < d->memory.size(); ++p) {
        const ShapeRange* r = p < d->profiles.size() ? d->profiles[p].find(v->name()) : nullptr;
        if (r)
          t.max_dims.push_back(r->max);
        else if (ty.has_shape && ty.shape.is_static())
          t.max_dims.push_back(*ty.shape.static_dims());
        else
          t.max_dims.emplace_back();
      }
      d->io.push_back(std::move(t));
    }
    const Json& out_max = meta.at("output_max_dims");
    for (int id : d->output_ids) {
      const Value* v = d->values[id];
      IoTensor t{v->name(), false, v->type.dtype, v->type.shape, {}};
      const Json& per = out_max.at(v->name());
      for (size_t p = 0; p < d->memory.size(); ++p)
        t.max_dims.push_back(per.at(p).is_null() ? std::vector<int64_t>{} : json_dims(per.at(p)));
      d->io.push_back(std::move(t));
    }
    if (gpu) {
      // Layers need the types of intermediate values, which the plan's model does not store. Weights stored
      // converted take part as the float32 values the model declares (inputs of that type, not constants).
      const std::vector<Value*> all_inits = g.initializers, all_inputs = g.inputs;
      std::erase_if(g.initializers,
                    [&](Value* v) { return std::find(converted.begin(), converted.end(), v) != converted.end(); });
      g.inputs.insert(g.inputs.end(), converted.begin(), converted.end());
      try {
        infer_shapes(d->model);
      } catch (...) {
        g.initializers = all_inits;
        g.inputs = all_inputs;
        throw;
      }
      g.initializers = all_inits;
      g.inputs = all_inputs;
      d->target = cuda_load_engine(*d, meta.at("cuda").get<std::string>(), label);
      for (const std::string& name : d->target->host_inputs())
        for (IoTensor& t : d->io)
          if (t.is_input && t.name == name) t.host_memory = true;
    }
  } catch (const nlohmann::json::exception& e) {
    bad("plan metadata: ", e.what());
  }
  return d;
}

// ---- Engine
// --------------------------------------------------------------------------------------------------

Engine::Engine(std::unique_ptr<EngineData> data) : data_(std::move(data)) {}
Engine::~Engine() = default;

std::shared_ptr<const Engine> Engine::deserialize(std::string_view bytes, const std::string& label) {
  plan::AlignedBuffer buf = plan::AlignedBuffer::allocate(bytes.size());
  if (!bytes.empty()) std::memcpy(buf.data.get(), bytes.data(), bytes.size());
  return std::shared_ptr<const Engine>(new Engine(load_engine_data(std::move(buf), label)));
}

std::shared_ptr<const Engine> Engine::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail_bad_input(path, ": no such plan file");
  if (!std::filesystem::is_regular_file(path, ec))
    fail_bad_input(path, ": not a plan file (not a regular file)");
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) fail_bad_input(path, ": cannot open the plan file");
  const std::streamoff size = f.tellg();
  if (size < 0) fail_bad_input(path, ": cannot read the plan file");
  if (static_cast<uint64_t>(size) > limits().max_tensor_bytes * 2 + (1u << 30))
    fail_bad_input(path, ": plan file of ", size, " bytes is larger than onyx accepts");
  plan::AlignedBuffer buf = plan::AlignedBuffer::allocate(static_cast<size_t>(size));
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(buf.data.get()), size))
    fail_bad_input(path, ": cannot read the plan file");
  return std::shared_ptr<const Engine>(new Engine(load_engine_data(std::move(buf), path)));
}

const std::vector<IoTensor>& Engine::io_tensors() const {
  return data_->io;
}

const IoTensor* Engine::find_io_tensor(std::string_view name) const {
  for (const IoTensor& t : data_->io)
    if (t.name == name) return &t;
  return nullptr;
}

size_t Engine::num_profiles() const {
  return data_->profiles.size();
}

const ShapeRange* Engine::profile_range(size_t p, std::string_view name) const {
  if (p >= data_->profiles.size()) return nullptr;
  return data_->profiles[p].find(std::string(name));
}

PlanSummary Engine::summary() const {
  const EngineData& d = *data_;
  PlanSummary s;
  s.onyx_version = d.header.onyx_version;
  s.format_version = d.header.format_version;
  s.target = d.header.target;
  s.gpu_arch = d.header.gpu_arch;
  s.options_hash = d.header.options_hash;
  s.file_bytes = d.buffer.size;
  s.weights_bytes = d.weights_bytes;
  s.precision = d.precision;
  s.strongly_typed = d.strongly_typed;
  s.num_nodes = d.steps.size();
  std::vector<std::pair<std::string, std::string>> layers;  // GPU targets: (kernel, precision) per step
  if (d.target) layers = d.target->layer_info();
  for (size_t i = 0; i < d.steps.size(); ++i) {
    const EngineData::Step& st = d.steps[i];
    if (st.kernel || st.device) ++s.num_native_nodes;
    const std::string kernel =
        i < layers.size() && !layers[i].second.empty() ? st.kernel_name + " [" + layers[i].second + "]" : st.kernel_name;
    bool found = false;
    for (auto& k : s.kernels)
      if (k.op_type == st.node->op_type && k.kernel == kernel) {
        ++k.count;
        found = true;
      }
    if (!found) s.kernels.push_back({st.node->op_type, kernel, 1});
  }
  if (d.target) {
    const std::vector<std::string> t = d.target->layer_tactics();
    for (size_t i = 0; i < d.steps.size() && i < t.size(); ++i)
      if (!t[i].empty()) s.tactics.push_back({d.steps[i].node->name, d.steps[i].node->op_type, t[i]});
  }
  for (const MemoryPlan& m : d.memory) {
    size_t planned = 0;
    uint64_t planned_bytes = 0;
    for (const PlannedTensor& t : m.by_value)
      if (t.offset >= 0) {
        ++planned;
        planned_bytes += t.bytes;
      }
    s.memory.push_back({m.arena_bytes, m.sum_tensor_bytes, planned, planned_bytes, m.dynamic_tensors});
  }
  return s;
}

std::unique_ptr<ExecutionContext> Engine::create_execution_context() const {
  return std::unique_ptr<ExecutionContext>(new ExecutionContext(shared_from_this()));
}

// ---- ExecutionContext
// ----------------------------------------------------------------------------------------

struct ExecutionContext::State {
  plan::AlignedBuffer arena;
  std::vector<std::optional<std::vector<int64_t>>>
      shapes;                                      // per io tensor (inputs: set shape; outputs: last run)
  std::vector<std::pair<void*, size_t>> bindings;  // per io tensor
  std::vector<Tensor> results;                     // per io tensor (outputs only)
  bool ran = false;
  std::unique_ptr<TargetContext> target;           // GPU targets: the device runtime
  NodeObserver observer;
  // Engines without profiles: the memory plan for the input shapes of the last run (planned on first use).
  std::optional<MemoryPlan> shaped_plan;
  std::vector<std::vector<int64_t>> shaped_plan_key;
  bool shaped_plan_done = false;  // planned (or found unplannable) for shaped_plan_key

  // GPU targets: hands the completed run's per-layer GPU times to the observer (after the target synchronized).
  void deliver_layer_times(const EngineData& d) {
    if (!target || !observer) return;
    for (const auto& [s, seconds] : target->take_layer_times()) {
      const EngineData::Step& step = d.steps.at(s);
      observer(*step.node, step.kernel_name,
               std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(seconds)));
    }
  }
};

ExecutionContext::ExecutionContext(std::shared_ptr<const Engine> engine)
    : engine_(std::move(engine)), state_(std::make_unique<State>()) {
  const size_t n = engine_->data_->io.size();
  state_->bindings.assign(n, {nullptr, 0});
  state_->results.resize(n);
  if (engine_->data_->target) state_->target = engine_->data_->target->create_context(*engine_->data_);
  set_profile(0);
}

ExecutionContext::~ExecutionContext() = default;

void ExecutionContext::set_profile(size_t p) {
  const EngineData& d = *engine_->data_;
  if (p >= std::max<size_t>(1, d.profiles.size()))
    fail_bad_input("profile ", p, " does not exist (the engine has ", d.profiles.size(), ")");
  profile_ = p;
  if (state_->target)
    state_->target->set_profile(p);
  else
    state_->arena = plan::AlignedBuffer::allocate(d.memory[p].arena_bytes);
  state_->shaped_plan.reset();
  state_->shaped_plan_done = false;
  state_->shapes.assign(d.io.size(), std::nullopt);
  for (size_t i = 0; i < d.io.size(); ++i)
    if (d.io[i].is_input && d.io[i].shape.is_static()) state_->shapes[i] = *d.io[i].shape.static_dims();
  state_->ran = false;
}

size_t ExecutionContext::arena_bytes() const {
  return state_->target ? state_->target->arena_bytes() : state_->arena.size;
}

void ExecutionContext::set_device_memory(void* data, size_t bytes) {
  if (!state_->target) fail_bad_input("set_device_memory: the cpu target has no device memory");
  state_->target->set_device_memory(data, bytes);
}

void ExecutionContext::set_cuda_graph(bool on) {
  if (!state_->target) fail_bad_input("set_cuda_graph: only the cuda target runs CUDA graphs");
  state_->target->set_cuda_graph(on);
}

bool ExecutionContext::enqueue(void* cuda_stream) {
  if (!state_->target) {
    execute();
    return true;
  }
  state_->ran = false;
  state_->target->enqueue(cuda_stream, state_->shapes, state_->bindings);
  state_->ran = true;
  return true;
}

void ExecutionContext::synchronize() {
  if (!state_->target) return;
  state_->target->synchronize();
  state_->deliver_layer_times(*engine_->data_);
}

void ExecutionContext::set_node_observer(NodeObserver fn) {
  state_->observer = std::move(fn);
  if (state_->target) state_->target->set_layer_timing(static_cast<bool>(state_->observer));
}

namespace {

size_t io_index(const EngineData& d, const std::string& name) {
  for (size_t i = 0; i < d.io.size(); ++i)
    if (d.io[i].name == name) return i;
  std::string names;
  for (const IoTensor& t : d.io) names += (names.empty() ? "" : ", ") + t.name;
  fail_bad_input("'", name, "' is not an input or output of the engine (", names, ")");
}

}  // namespace

void ExecutionContext::set_input_shape(const std::string& name, const std::vector<int64_t>& dims) {
  const EngineData& d = *engine_->data_;
  const size_t i = io_index(d, name);
  const IoTensor& t = d.io[i];
  if (!t.is_input) fail_bad_input("set_input_shape: '", name, "' is an output");
  const Shape& s = t.shape;
  if (s.rank_known() && s.rank() != dims.size())
    fail_bad_input("input '", name, "': shape ", dims_to_string(dims), " has rank ", dims.size(),
                   ", the engine's is ", s.to_string());
  for (size_t k = 0; k < dims.size(); ++k) {
    if (dims[k] < 0) fail_bad_input("input '", name, "': negative dimension in ", dims_to_string(dims));
    if (s.rank_known() && s[k].is_known() && s[k].value() != dims[k])
      fail_bad_input("input '", name, "': shape ", dims_to_string(dims), " does not match the engine's ",
                     s.to_string());
  }
  if (const ShapeRange* r = engine_->profile_range(profile_, name)) {
    for (size_t k = 0; k < dims.size(); ++k)
      if (dims[k] < r->min[k] || dims[k] > r->max[k])
        fail_bad_input("input '", name, "': shape ", dims_to_string(dims), " is outside profile ", profile_,
                       " (min ", dims_to_string(r->min), ", max ", dims_to_string(r->max), ")");
  }
  checked_numel(dims);
  state_->shapes[i] = dims;
}

bool ExecutionContext::tensor_shape(const std::string& name, std::vector<int64_t>& dims) const {
  const size_t i = io_index(*engine_->data_, name);
  if (!state_->shapes[i]) {
    dims.clear();
    return false;
  }
  dims = *state_->shapes[i];
  return true;
}

void ExecutionContext::set_tensor_address(const std::string& name, void* data, size_t bytes) {
  const size_t i = io_index(*engine_->data_, name);
  if (state_->target && data) state_->target->check_address(i, data, bytes);
  state_->bindings[i] = {data, data ? bytes : 0};
}

const Tensor& ExecutionContext::output(const std::string& name) const {
  const EngineData& d = *engine_->data_;
  const size_t i = io_index(d, name);
  if (d.io[i].is_input) fail_bad_input("output(): '", name, "' is an input");
  if (!state_->ran) fail_bad_input("output('", name, "'): the context has not run yet");
  if (state_->target) state_->results[i] = state_->target->download_output(i);
  return state_->results[i];
}

namespace {

// Values of nested graphs during one run: a chain of maps ending at the top-level slots.
class SubEnv {
 public:
  SubEnv(const SubEnv* parent, const EngineData& d, const std::vector<RunValue>& top)
      : parent_(parent), d_(d), top_(top) {}
  const RunValue* find(const Value* v) const {
    auto it = map_.find(v);
    if (it != map_.end()) return &it->second;
    if (parent_) return parent_->find(v);
    auto id = d_.value_id.find(v);
    if (id == d_.value_id.end() || (top_[id->second].is_none() && !top_[id->second].is_optional))
      return nullptr;
    return &top_[id->second];
  }
  void set(const Value* v, RunValue r) { map_[v] = std::move(r); }

 private:
  const SubEnv* parent_;
  const EngineData& d_;
  const std::vector<RunValue>& top_;
  std::unordered_map<const Value*, RunValue> map_;
};

template <typename F>
void call_kernel(const Node& n, F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find(n.describe()) != std::string::npos) throw;
    throw Error(e.code(), n.describe() + ": " + what);
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::kRuntime, n.describe(), ": out of memory");
  }
}

std::vector<RunValue> run_subgraph(const Graph& body, const SubEnv& outer, std::vector<RunValue> inputs,
                                   int depth, const EngineData& d, const std::vector<RunValue>& top) {
  if (depth > limits().max_subgraph_depth)
    fail_bad_input("subgraphs nested deeper than ", limits().max_subgraph_depth, " levels at run time");
  SubEnv env(&outer, d, top);
  for (const Value* v : body.initializers) env.set(v, RunValue(*v->initializer));
  for (size_t i = 0; i < body.inputs.size() && i < inputs.size(); ++i)
    env.set(body.inputs[i], std::move(inputs[i]));
  for (const auto& n : body.nodes()) {
    const OpSchema* schema = OpRegistry::instance().find(n->domain, n->op_type, n->opset);
    if (!schema || !schema->run) fail_unsupported(n->describe(), ": op is not supported");
    std::vector<const RunValue*> ins(n->num_inputs(), nullptr);
    for (size_t i = 0; i < n->num_inputs(); ++i) {
      if (!n->input(i)) continue;
      ins[i] = env.find(n->input(i));
      if (!ins[i]) fail_bad_input(n->describe(), ": input '", n->input(i)->name(), "' has no value");
    }
    std::vector<RunValue> outs(n->num_outputs());
    KernelContext ctx(*n, ins, outs, [&](const Graph& b, std::vector<RunValue> bi) {
      return run_subgraph(b, env, std::move(bi), depth + 1, d, top);
    });
    call_kernel(*n, [&] { schema->run(ctx); });
    for (size_t i = 0; i < n->num_outputs(); ++i)
      if (n->output(i)) env.set(n->output(i), std::move(outs[i]));
  }
  std::vector<RunValue> out;
  for (const Value* v : body.outputs) {
    const RunValue* r = env.find(v);
    if (!r) fail(ErrorCode::kRuntime, "subgraph '", body.name, "' output '", v->name(), "' was not computed");
    out.push_back(*r);
  }
  return out;
}

}  // namespace

void ExecutionContext::execute() {
  const EngineData& d = *engine_->data_;
  State& st = *state_;
  st.ran = false;
  if (st.target) {
    st.target->enqueue(nullptr, st.shapes, st.bindings);
    st.target->synchronize();
    st.ran = true;
    st.deliver_layer_times(d);
    return;
  }
  const MemoryPlan* plan = &d.memory[profile_];
  if (plan->dynamic_tensors > 0 && d.profiles.empty()) {
    // Activations of unknown size at build time: plan them for these input shapes (once per set of shapes).
    std::vector<std::vector<int64_t>> key;
    std::vector<std::pair<std::string, std::vector<int64_t>>> named;
    for (size_t i = 0; i < d.io.size(); ++i)
      if (d.io[i].is_input && st.shapes[i]) {
        key.push_back(*st.shapes[i]);
        named.emplace_back(d.io[i].name, *st.shapes[i]);
      }
    if (!st.shaped_plan_done || st.shaped_plan_key != key) {
      st.shaped_plan.reset();
      st.shaped_plan_key = key;
      st.shaped_plan_done = true;
      try {
        MemoryPlan mp2 = plan_memory_for_inputs(d, named);
        if (mp2.arena_bytes <= limits().max_tensor_bytes) {
          if (mp2.arena_bytes > st.arena.size) st.arena = plan::AlignedBuffer::allocate(mp2.arena_bytes);
          st.shaped_plan = std::move(mp2);
        }
      } catch (const Error&) {
        // Shapes the model rejects: the run itself reports them; every activation is allocated.
      }
    }
    if (st.shaped_plan) plan = &*st.shaped_plan;
  }
  const MemoryPlan& mp = *plan;
  uint8_t* const arena = st.arena.data.get();
  auto in_arena = [&](const Tensor& t) {
    if (!t.is_valid() || t.dtype() == DType::kString || t.nbytes() == 0) return false;
    const auto* p = static_cast<const uint8_t*>(t.raw_data());
    return p >= arena && p < arena + st.arena.size;
  };
  std::vector<RunValue> slots(d.values.size());
  for (const Value* v : d.model.graph->initializers) slots[d.value_id.at(v)] = RunValue(*v->initializer);
  size_t in_pos = 0;
  for (size_t i = 0; i < d.io.size(); ++i) {
    const IoTensor& t = d.io[i];
    if (!t.is_input) continue;
    const int id = d.input_ids[in_pos++];
    if (!st.shapes[i]) fail_bad_input("input '", t.name, "' has no shape (call set_input_shape)");
    if (!st.bindings[i].first)
      fail_bad_input("input '", t.name, "' has no address (call set_tensor_address)");
    if (t.dtype == DType::kString || t.dtype == DType::kUndefined)
      fail_unsupported("input '", t.name, "': dtype ", dtype_name(t.dtype), " cannot be bound by address");
    const size_t need = static_cast<size_t>(checked_numel(*st.shapes[i])) * dtype_size(t.dtype);
    if (st.bindings[i].second != need)
      fail_bad_input("input '", t.name, "': bound buffer holds ", st.bindings[i].second, " bytes, shape ",
                     dims_to_string(*st.shapes[i]), " of ", dtype_name(t.dtype), " needs ", need);
    slots[id] = RunValue(Tensor::borrow(t.dtype, *st.shapes[i], st.bindings[i].first));
    slots[id].is_optional = d.values[id]->type.kind == TypeInfo::Kind::kOptional;
  }
  for (const EngineData::Step& step : d.steps) {
    const Node& n = *step.node;
    std::vector<const RunValue*> ins(step.inputs.size(), nullptr);
    for (size_t i = 0; i < step.inputs.size(); ++i) {
      if (step.inputs[i] < 0) continue;
      ins[i] = &slots[step.inputs[i]];
      if (ins[i]->is_none() && !ins[i]->is_optional)
        fail_bad_input(n.describe(), ": input '", n.input(i)->name(), "' has no value");
    }
    std::vector<RunValue> outs(step.outputs.size());
    SubEnv top_env(nullptr, d, slots);
    KernelContext ctx(n, ins, outs, [&](const Graph& body, std::vector<RunValue> bi) {
      return run_subgraph(body, top_env, std::move(bi), 1, d, slots);
    });
    bool done = false;
    const auto t0 = st.observer ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    if (step.kernel) {
      cpu::OutputAllocator alloc = [&](size_t i, DType dtype, std::vector<int64_t> dims) -> Tensor {
        const int id = i < step.outputs.size() ? step.outputs[i] : -1;
        const size_t bytes = static_cast<size_t>(checked_numel(dims)) * dtype_size(dtype);
        if (id >= 0 && mp.by_value[id].offset >= 0 && bytes <= mp.by_value[id].bytes &&
            dtype != DType::kString)
          return Tensor::borrow(dtype, std::move(dims), arena + mp.by_value[id].offset);
        return Tensor(dtype, std::move(dims));
      };
      if (step.prepared && step.kernel->run_prepared)
        call_kernel(n, [&] { done = step.kernel->run_prepared(ctx, alloc, step.prepared.get()); });
      else
        call_kernel(n, [&] { done = step.kernel->run(ctx, alloc); });
    }
    if (!done) {
      call_kernel(n, [&] { step.schema->run(ctx); });
      // A reference kernel may return a view of an input (Reshape, Identity): if that input lives in the
      // arena, the view must not outlive its slot, so it gets its own copy.
      for (RunValue& o : outs)
        if (o.is_tensor() && in_arena(o.tensor)) o.tensor = o.tensor.clone();
    }
    for (size_t i = 0; i < step.outputs.size(); ++i) {
      if (step.outputs[i] < 0) continue;
      if (outs[i].is_none() && !outs[i].is_optional)
        fail(ErrorCode::kRuntime, n.describe(), ": internal: kernel did not produce output ", i);
      slots[step.outputs[i]] = std::move(outs[i]);
    }
    for (int id : step.free_after) slots[id] = RunValue();
    if (st.observer)
      st.observer(n, done ? std::string_view(step.kernel_name) : std::string_view("ref"),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0));
  }
  size_t out_pos = 0;
  for (size_t i = 0; i < d.io.size(); ++i) {
    const IoTensor& t = d.io[i];
    if (t.is_input) continue;
    const RunValue& r = slots[d.output_ids[out_pos++]];
    if (!r.is_tensor())
      fail_unsupported("output '", t.name, "' is ", r.describe(), ": engines return tensors only");
    const Tensor& y = r.tensor;
    st.shapes[i] = y.dims();
    auto [ptr, cap] = st.bindings[i];
    if (ptr) {
      if (y.dtype() == DType::kString)
        fail_unsupported("output '", t.name, "': string outputs cannot be bound");
      if (y.nbytes() > cap)
        fail_bad_input("output '", t.name, "' ", y.describe(), " needs ", y.nbytes(),
                       " bytes, the bound buffer holds ", cap);
      if (y.nbytes() > 0) std::memcpy(ptr, y.raw_data(), y.nbytes());
      st.results[i] = Tensor::borrow(y.dtype(), y.dims(), ptr);
    } else {
      st.results[i] = in_arena(y) ? y.clone() : y;
    }
  }
  st.ran = true;
}

}  // namespace onyx

namespace onyx {

std::shared_ptr<const Engine> build_engine(Model model, const BuilderConfig& config) {
  const std::string bytes = build_plan(std::move(model), config);
  return Engine::deserialize(bytes, "<plan in memory>");
}

}  // namespace onyx

namespace onyx {

std::vector<std::pair<std::string, RunValue>> run_cpu_engine(
    Model model, const std::vector<std::pair<std::string, RunValue>>& inputs) {
  auto engine = build_engine(std::move(model), BuilderConfig{});
  auto ctx = engine->create_execution_context();
  for (const auto& [name, v] : inputs) {
    if (!v.is_tensor())
      fail_unsupported("input '", name, "' is ", v.describe(), ": the cpu engine takes tensors only");
    const IoTensor* t = engine->find_io_tensor(name);
    if (!t || !t->is_input) fail_bad_input("unknown input '", name, "'");
    if (v.tensor.dtype() != t->dtype)
      fail_bad_input("input '", name, "': expected dtype ", dtype_name(t->dtype), ", got ",
                     dtype_name(v.tensor.dtype()));
    if (t->dtype == DType::kString)
      fail_unsupported("input '", name, "': string inputs cannot be bound by address");
    ctx->set_input_shape(name, v.tensor.dims());
    ctx->set_tensor_address(name, const_cast<void*>(v.tensor.raw_data()), v.tensor.nbytes());
  }
  ctx->execute();
  std::vector<std::pair<std::string, RunValue>> out;
  for (const IoTensor& t : engine->io_tensors())
    if (!t.is_input) out.emplace_back(t.name, RunValue(ctx->output(t.name).clone()));
  return out;
}

}  // namespace onyx
