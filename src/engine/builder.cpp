// build_plan: prepare → optimization passes (hook) → profile checks → kernel choice → memory plan → plan
// bytes.
#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>

#include "../cpu/kernels.h"
#include "../ir/clone.h"
#include "../plan/plan_file.h"
#include "engine_internal.h"
#include "target_hooks.h"
#include "onyx/builder.h"
#include "onyx/passes.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx {

using Json = nlohmann::json;

std::string_view target_name(Target t) {
  return t == Target::kCuda ? "cuda" : "cpu";
}

Target parse_target(const std::string& s) {
  if (s == "cpu") return Target::kCpu;
  if (s == "cuda") return Target::kCuda;
  fail_bad_input("unknown target '", s, "' (known: cpu, cuda)");
}

Precision parse_precision(const std::string& s) {
  if (s == "fp32") return Precision::kFp32;
  if (s == "tf32") return Precision::kTf32;
  if (s == "fp16") return Precision::kFp16;
  if (s == "bf16") return Precision::kBf16;
  fail_bad_input("unknown precision '", s, "' (known: fp32, tf32, fp16, bf16)");
}

void OptimizationProfile::set_dimensions(const std::string& name, std::vector<int64_t> min,
                                         std::vector<int64_t> opt, std::vector<int64_t> max) {
  ShapeRange r{std::move(min), std::move(opt), std::move(max)};
  for (auto& [n, range] : inputs_)
    if (n == name) {
      range = std::move(r);
      return;
    }
  inputs_.emplace_back(name, std::move(r));
}

const ShapeRange* OptimizationProfile::find(const std::string& name) const {
  for (const auto& [n, range] : inputs_)
    if (n == name) return &range;
  return nullptr;
}

namespace {

std::vector<int64_t> parse_dims(const std::string& whole, std::string s) {
  auto bad = [&] {
    fail_bad_input("--profile '", whole, "': '", s,
                   "' is not a shape (write [d0,d1,...] or d0xd1x..., e.g. [1,3,224,224]; [] is a scalar)");
  };
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') {
    s = s.substr(1, s.size() - 2);
    for (char& c : s)
      if (c == ',') c = 'x';
  } else if (s.empty()) {
    bad();
  }
  std::vector<int64_t> dims;
  if (s.empty()) return dims;
  size_t start = 0;
  for (;;) {
    const size_t x = s.find('x', start);
    std::string part = s.substr(start, x == std::string::npos ? std::string::npos : x - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos) bad();
    dims.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return dims;
}

}  // namespace

std::pair<std::string, ShapeRange> parse_profile_arg(const std::string& text) {
  // NAME:MIN:OPT:MAX — split at the last three colons so names may contain ':'.
  std::vector<size_t> colons;
  for (size_t i = text.size(); i-- > 0;)
    if (text[i] == ':' && colons.size() < 3) colons.push_back(i);
  if (colons.size() < 3 || colons[2] == 0)
    fail_bad_input("--profile '", text,
                   "': expected NAME:MIN:OPT:MAX, e.g. x:[1,3,224,224]:[8,3,224,224]:[16,3,224,224]");
  const std::string name = text.substr(0, colons[2]);
  ShapeRange r;
  r.min = parse_dims(text, text.substr(colons[2] + 1, colons[1] - colons[2] - 1));
  r.opt = parse_dims(text, text.substr(colons[1] + 1, colons[0] - colons[1] - 1));
  r.max = parse_dims(text, text.substr(colons[0] + 1));
  return {name, std::move(r)};
}

uint64_t BuilderConfig::options_hash() const {
  std::string s = std::string(target_name(target)) + "|" + std::to_string(static_cast<int>(precision)) + "|" +
                  std::to_string(workspace_limit) + "|" + std::to_string(optimization_level) + "|" +
                  std::to_string(passes.max_rewrites) + "|" + (strongly_typed ? "typed|" : "");
  for (const std::string& d : passes.disabled) s += "-" + d + ",";
  for (const auto& [name, p] : layer_precisions) s += "@" + name + "=" + std::to_string(static_cast<int>(p)) + ",";
  for (const OptimizationProfile& p : profiles) {
    s += "{";
    for (const auto& [name, r] : p.inputs()) {
      s += name + ":";
      for (const auto* v : {&r.min, &r.opt, &r.max}) {
        for (int64_t d : *v) s += std::to_string(d) + ",";
        s += ";";
      }
    }
    s += "}";
  }
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

namespace {

// ---- graph optimization ------------------------------------------------------------------------------------
// The passes of onyx/passes.h on the prepared model (they re-infer shapes after each change). Everything after
// this point (kernel choice, memory plan, plan writing) works on whatever graph they leave.
void run_optimization_passes(Model& model, const BuilderConfig& config) {
  if (config.optimization_level <= 0) return;
  optimize(model, config.passes);
}

std::string dims_str(const std::vector<int64_t>& d) {
  return dims_to_string(d);
}

// Checks the profiles against each other and the model; kBadInput naming the profile and input.
void check_profiles(const Model& model, const BuilderConfig& config) {
  std::vector<const Value*> inputs;
  std::string names;
  for (const Value* v : model.graph->inputs)
    if (!v->is_initializer()) {
      inputs.push_back(v);
      names += (names.empty() ? "" : ", ") + v->name();
    }
  std::map<std::string, size_t> rank_seen;
  for (size_t p = 0; p < config.profiles.size(); ++p) {
    const OptimizationProfile& prof = config.profiles[p];
    for (const auto& [name, r] : prof.inputs()) {
      const Value* v = nullptr;
      for (const Value* in : inputs)
        if (in->name() == name) v = in;
      if (!v)
        fail_bad_input("profile ", p, ": '", name, "' is not an input of the model (inputs: ", names, ")");
      if (r.min.size() != r.opt.size() || r.opt.size() != r.max.size())
        fail_bad_input("profile ", p, ": input '", name, "': min ", dims_str(r.min), ", opt ",
                       dims_str(r.opt), " and max ", dims_str(r.max), " differ in rank");
      if (!v->type.is_tensor())
        fail_bad_input("profile ", p, ": input '", name, "' is not a tensor (", v->type.to_string(), ")");
      const Shape& s = v->type.shape;
      if (v->type.has_shape && s.rank_known() && s.rank() != r.min.size())
        fail_bad_input("profile ", p, ": input '", name, "' has rank ", s.rank(), " (", s.to_string(),
                       "), the profile gives rank ", r.min.size());
      auto [it, fresh] = rank_seen.emplace(name, r.min.size());
      if (!fresh && it->second != r.min.size())
        fail_bad_input("profiles contradict each other: input '", name, "' has rank ", it->second,
                       " in one profile and ", r.min.size(), " in profile ", p);
      for (size_t i = 0; i < r.min.size(); ++i) {
        if (!(r.min[i] <= r.opt[i] && r.opt[i] <= r.max[i]))
          fail_bad_input("profile ", p, ": input '", name, "' dim ", i, ": need min <= opt <= max, got ",
                         r.min[i], ", ", r.opt[i], ", ", r.max[i]);
        if (v->type.has_shape && s.rank_known() && s[i].is_known() &&
            (r.min[i] != s[i].value() || r.max[i] != s[i].value()))
          fail_bad_input("profile ", p, ": input '", name, "' dim ", i, " is fixed at ", s[i].value(),
                         " by the model (", s.to_string(), "), the profile gives ", r.min[i], "..", r.max[i]);
      }
    }
    for (const Value* v : inputs) {
      const bool dynamic = v->type.is_tensor() && !(v->type.has_shape && v->type.shape.is_static());
      if (dynamic && !prof.find(v->name()))
        fail_bad_input("profile ", p, " gives no range for dynamic input '", v->name(), "' ",
                       v->type.to_string(), " (add --profile ", v->name(), ":MIN:OPT:MAX)");
    }
  }
}

// Sizes of every top-level value at one profile's max shapes (by name; absent = not computable).
std::map<std::string, std::vector<int64_t>> max_shapes(const Model& model, const OptimizationProfile* prof,
                                                       size_t p, std::map<std::string, DType>* dtypes = nullptr) {
  std::map<std::string, std::vector<int64_t>> out;
  Model tmp;
  tmp.ir_version = model.ir_version;
  tmp.opset_imports = model.opset_imports;
  tmp.graph = clone_graph(*model.graph, nullptr);
  if (prof) {
    for (Value* v : tmp.graph->inputs)
      if (const ShapeRange* r = prof->find(v->name()))
        v->type = TypeInfo::tensor(v->type.dtype, Shape::from_dims(r->max));
    try {
      infer_shapes(tmp);
    } catch (const Error& e) {
      fail(e.code(), "profile ", p, " max shapes contradict the model: ", e.what());
    }
  }
  for (const Value* v : tmp.graph->values())
    if (v->type.is_tensor() && v->type.has_shape && v->type.shape.is_static()) {
      out[v->name()] = *v->type.shape.static_dims();
      if (dtypes) (*dtypes)[v->name()] = v->type.dtype;
    }
  return out;
}

uint64_t align64(uint64_t n) {
  return (n + 63) / 64 * 64;
}

}  // namespace

// Lifetimes + first-fit placement, largest first.
MemoryPlan plan_memory(const EngineData& d, const std::map<std::string, std::vector<int64_t>>& shapes,
                       const std::map<std::string, DType>* storage, const std::map<std::string, DType>* inferred) {
  MemoryPlan plan;
  plan.by_value.resize(d.values.size());
  const int n = static_cast<int>(d.steps.size());
  std::vector<int> first(d.values.size(), -1), last(d.values.size(), -1);
  for (int s = 0; s < n; ++s) {
    for (int id : d.steps[s].outputs)
      if (id >= 0) first[id] = last[id] = s;
    for (int id : d.steps[s].free_after) last[id] = std::max(last[id], s);
  }
  for (int id : d.output_ids)
    if (first[id] >= 0) last[id] = n;
  struct Item {
    int id;
    uint64_t bytes;
  };
  // Only outputs of target kernels live in the arena (reference kernels allocate their own outputs); every
  // activation still counts in sum_tensor_bytes, the footprint without planning.
  std::vector<bool> native(d.values.size(), false);
  for (const EngineData::Step& st : d.steps)
    if (st.kernel || st.device)
      for (int id : st.outputs)
        if (id >= 0) native[id] = true;
  std::vector<Item> items;
  for (size_t id = 0; id < d.values.size(); ++id) {
    if (first[id] < 0) continue;
    const Value* v = d.values[id];
    auto it = shapes.find(v->name());
    // A loaded plan's graph keeps the types of its inputs and outputs only: the others come from `inferred` (the
    // inference that gave `shapes`); `storage` overrides the dtype a target stores a value in.
    DType dt = v->type.dtype;
    bool tensor = v->type.is_tensor();
    if (inferred && (!tensor || dt == DType::kUndefined)) {
      auto dit = inferred->find(v->name());
      if (dit != inferred->end()) dt = dit->second, tensor = true;
    }
    if (storage) {
      auto st = storage->find(v->name());
      if (st != storage->end()) dt = st->second;
    }
    if (it == shapes.end() || dt == DType::kString || dt == DType::kUndefined || !tensor) {
      ++plan.dynamic_tensors;
      continue;
    }
    int64_t numel = 0;
    try {
      numel = checked_numel(it->second);
    } catch (const Error&) {
      ++plan.dynamic_tensors;
      continue;
    }
    const uint64_t bytes = align64(static_cast<uint64_t>(numel) * dtype_size(dt));
    plan.sum_tensor_bytes += bytes;
    if (native[id]) items.push_back({static_cast<int>(id), bytes});
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return a.bytes > b.bytes; });
  std::vector<Item> placed;
  for (const Item& it : items) {
    std::vector<std::pair<uint64_t, uint64_t>> busy;  // [offset, end) of placed values alive at the same time
    for (const Item& o : placed)
      if (!(last[o.id] < first[it.id] || last[it.id] < first[o.id]))
        busy.emplace_back(plan.by_value[o.id].offset, plan.by_value[o.id].offset + o.bytes);
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (offset + it.bytes <= b) break;
      offset = std::max(offset, e);
    }
    plan.by_value[it.id] = {static_cast<int64_t>(offset), it.bytes};
    plan.arena_bytes = std::max(plan.arena_bytes, offset + it.bytes);
    placed.push_back(it);
  }
  return plan;
}

MemoryPlan plan_memory_for_inputs(const EngineData& d,
                                  const std::vector<std::pair<std::string, std::vector<int64_t>>>& inputs) {
  OptimizationProfile p;
  for (const auto& [name, dims] : inputs) p.set_dimensions(name, dims, dims, dims);
  std::map<std::string, DType> dtypes;
  const auto shapes = max_shapes(d.model, &p, 0, &dtypes);
  return plan_memory(d, shapes, nullptr, &dtypes);
}

std::string build_plan(Model model, const BuilderConfig& config) {
  if (!model.graph) fail_bad_input("build: no model");
  if (config.target != Target::kCpu && config.target != Target::kCuda)
    fail_unsupported("target ", target_name(config.target), " is not available in this build (targets: cpu, cuda)");
  if (config.strongly_typed && config.precision != Precision::kFp32)
    fail_bad_input("strongly typed builds take the precision the model declares: --strongly-typed cannot be "
                   "combined with --fp16, --bf16, --tf32 or --precision");
  if (config.strongly_typed && !config.layer_precisions.empty())
    fail_bad_input("strongly typed builds take the precision the model declares: --strongly-typed cannot be "
                   "combined with --layer-precision");
  if (config.target == Target::kCpu && !config.layer_precisions.empty())
    fail_unsupported("target cpu has no per-layer precision (--layer-precision is for the cuda target)");
  if (config.target == Target::kCpu && config.precision != Precision::kFp32)
    fail_unsupported("target cpu builds fp32 plans only (the model's own dtypes); fp16 is not supported");
  if (config.optimization_level < 0 || config.optimization_level > 3)
    fail_bad_input("optimization level ", config.optimization_level, " is outside 0..3");
  prepare_model(model);
  run_optimization_passes(model, config);
  check_profiles(model, config);
  Graph& g = *model.graph;

  // Kernel choice per top-level node, and per-node opsets of every graph (upgrades raised some).
  Json meta;
  Json kernels = Json::array();
  uint32_t gpu_arch = 0;
  std::vector<std::string> target_kernels;  // GPU targets: per node, the layer's kernel or "host"
  CudaStorage cuda_storage;                 // cuda: activation storage dtypes, weights converted at build
  if (config.target == Target::kCuda) {
    std::string cuda_meta;
    target_kernels = cuda_select_layers(model, config, cuda_meta, gpu_arch, &cuda_storage);
    meta["cuda"] = cuda_meta;
    for (const std::string& k : target_kernels) kernels.push_back(k);
  } else {
    for (const auto& n : g.nodes()) {
      const cpu::Kernel* k = cpu::choose_kernel(*n);
      kernels.push_back(k ? std::string(k->name) : std::string("ref"));
    }
  }
  meta["kernels"] = kernels;
  Json opsets = Json::array();
  for_each_node_recursive(g, [&](const Node& n) { opsets.push_back(n.opset); });
  meta["node_opsets"] = opsets;

  // Profiles and io.
  Json profiles = Json::array();
  for (const OptimizationProfile& p : config.profiles) {
    Json jp = Json::array();
    for (const auto& [name, r] : p.inputs()) jp.push_back({name, r.min, r.opt, r.max});
    profiles.push_back(jp);
  }
  meta["profiles"] = profiles;

  // Memory plans: computed on an EngineData view of this graph (same value ids as the loader computes).
  std::vector<std::map<std::string, std::vector<int64_t>>> shapes;
  if (config.profiles.empty()) {
    shapes.push_back(max_shapes(model, nullptr, 0));
  } else {
    for (size_t p = 0; p < config.profiles.size(); ++p)
      shapes.push_back(max_shapes(model, &config.profiles[p], p));
  }
  Json memory = Json::array();
  {
    EngineData view;
    index_graph(view, g);
    for (size_t s = 0; s < view.steps.size(); ++s) {
      if (config.target == Target::kCuda)
        view.steps[s].device = target_kernels.at(s) != "host";
      else
        view.steps[s].kernel = cpu::choose_kernel(*view.steps[s].node);
    }
    for (size_t p = 0; p < shapes.size(); ++p) {
      const MemoryPlan mp = plan_memory(view, shapes[p], &cuda_storage.values);
      if (config.workspace_limit > 0 && mp.arena_bytes > config.workspace_limit)
        fail_bad_input("workspace limit of ", config.workspace_limit, " bytes is too small: profile ", p,
                       " needs an arena of ", mp.arena_bytes, " bytes");
      Json values = Json::array();
      for (size_t id = 0; id < mp.by_value.size(); ++id)
        if (mp.by_value[id].offset >= 0)
          values.push_back({view.values[id]->name(), mp.by_value[id].offset, mp.by_value[id].bytes});
      memory.push_back({{"arena", mp.arena_bytes},
                        {"sum", mp.sum_tensor_bytes},
                        {"dynamic", mp.dynamic_tensors},
                        {"values", values}});
    }
  }
  meta["memory"] = memory;
  Json io_max = Json::object();
  for (const Value* v : g.outputs) {
    Json per = Json::array();
    for (const auto& s : shapes) {
      auto it = s.find(v->name());
      per.push_back(it == s.end() ? Json(nullptr) : Json(it->second));
    }
    io_max[v->name()] = per;
  }
  meta["output_max_dims"] = io_max;
  meta["config"] = {{"precision", static_cast<int>(config.precision)},
                    {"workspace_limit", config.workspace_limit},
                    {"optimization_level", config.optimization_level},
                    {"strongly_typed", config.strongly_typed}};

  // Weights: numeric top-level initializers move to the weights section; the graph keeps them as typed
  // inputs.
  std::string weights;
  Json wtable = Json::array();
  std::set<const Value*> moved;
  std::vector<Value*> inits = g.initializers;
  g.initializers.clear();
  for (Value* v : inits) {
    const Tensor& model_t = *v->initializer;
    if (model_t.dtype() == DType::kString) {
      g.initializers.push_back(v);
      continue;
    }
    // cuda: a weight every consumer reads in one other dtype (fp16/bf16 layers) is stored converted; the graph
    // keeps the model's dtype for it (layers map it like a float32 activation), the weights table the stored one.
    auto conv = cuda_storage.weights.find(v->name());
    const Tensor t = conv == cuda_storage.weights.end() ? model_t : model_t.cast(conv->second);
    const size_t offset = weights.size();
    weights.append(static_cast<const char*>(t.raw_data()), t.nbytes());
    weights.resize(align64(weights.size()), '\0');
    wtable.push_back({v->name(), static_cast<int>(t.dtype()), t.dims(), offset, t.nbytes()});
    v->type = TypeInfo::tensor(model_t.dtype(), Shape::from_dims(t.dims()));
    v->initializer.reset();
    if (std::find(g.inputs.begin(), g.inputs.end(), v) == g.inputs.end()) g.inputs.push_back(v);
    moved.insert(v);
  }
  std::erase_if(g.sparse_initializers, [&](const auto& p) { return moved.count(p.first) > 0; });
  meta["weights"] = wtable;
  const std::string model_bytes = serialize_model(model);
  const std::string meta_bytes = meta.dump();

  plan::Header h;
  h.onyx_version = std::string(plan::onyx_version());
  h.target = config.target;
  h.gpu_arch = gpu_arch;
  h.options_hash = config.options_hash();
  return plan::write_plan(h, {{plan::SectionTag::kMeta, meta_bytes},
                              {plan::SectionTag::kModel, model_bytes},
                              {plan::SectionTag::kWeights, weights}});
}

}  // namespace onyx
