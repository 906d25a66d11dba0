// RefSession: runs a prepared graph node by node. Values are freed after their last use unless the caller asked
// to keep them.
#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include "../ops/op.h"
#include "onyx/limits.h"
#include "onyx/ref.h"

namespace onyx {

namespace {

class Env {
 public:
  explicit Env(const Env* parent) : parent_(parent) {}
  const RunValue* find(const Value* v) const {
    auto it = map_.find(v);
    if (it != map_.end()) return &it->second;
    return parent_ ? parent_->find(v) : nullptr;
  }
  void set(const Value* v, RunValue r) { map_[v] = std::move(r); }
  void erase(const Value* v) { map_.erase(v); }

 private:
  const Env* parent_;
  std::unordered_map<const Value*, RunValue> map_;
};

void check_input(const Value& v, const RunValue& given) {
  const TypeInfo& t = v.type;
  if (t.kind == TypeInfo::Kind::kTensor) {
    if (!given.is_tensor())
      fail_bad_input("input '", v.name(), "': expected a tensor ", t.to_string(), ", got ", given.describe());
    const Tensor& x = given.tensor;
    if (t.dtype != DType::kUndefined && x.dtype() != t.dtype)
      fail_bad_input("input '", v.name(), "': expected dtype ", dtype_name(t.dtype), ", got ", dtype_name(x.dtype()));
    if (t.has_shape && t.shape.rank_known()) {
      if (x.rank() != t.shape.rank())
        fail_bad_input("input '", v.name(), "': expected shape ", t.shape.to_string(), ", got ",
                       dims_to_string(x.dims()));
      for (size_t i = 0; i < x.rank(); ++i)
        if (t.shape[i].is_known() && t.shape[i].value() != x.dim(i))
          fail_bad_input("input '", v.name(), "': expected shape ", t.shape.to_string(), ", got ",
                         dims_to_string(x.dims()));
    }
  } else if (t.kind == TypeInfo::Kind::kSequence && !given.is_sequence()) {
    fail_bad_input("input '", v.name(), "': expected a sequence, got ", given.describe());
  }
}

class Runner {
 public:
  explicit Runner(const RunOptions& options) : options_(options) {}

  // Runs `g` in `env` (whose inputs are already bound). Values not in `keep` are freed after their last use in g.
  void run_graph(const Graph& g, Env& env, const std::unordered_set<const Value*>& keep, bool top_level,
                 int depth) {
    if (depth > limits().max_subgraph_depth)
      fail_bad_input("subgraphs nested deeper than ", limits().max_subgraph_depth, " levels at run time");
    // Remaining uses of each value produced in g, counted over g's nodes (including subgraph captures).
    std::unordered_map<const Value*, int> remaining;
    for (const auto& n : g.nodes())
      for (const Value* v : reads_of(*n))
        if (v->owner() == &g) ++remaining[v];
    for (const auto& n : g.nodes()) {
      const OpSchema* schema = OpRegistry::instance().find(n->domain, n->op_type, n->opset);
      if (!schema || !schema->run) fail_unsupported(n->describe(), ": op is not supported");
      std::vector<const RunValue*> ins(n->num_inputs(), nullptr);
      for (size_t i = 0; i < n->num_inputs(); ++i) {
        const Value* v = n->input(i);
        if (!v) continue;
        ins[i] = env.find(v);
        if (!ins[i]) fail_bad_input(n->describe(), ": input '", v->name(), "' has no value (graph input not given?)");
      }
      std::vector<RunValue> outs(n->num_outputs());
      KernelContext ctx(*n, ins, outs, [&, depth](const Graph& body, std::vector<RunValue> body_inputs) {
        return run_subgraph(body, env, std::move(body_inputs), depth + 1);
      });
      const auto start = std::chrono::steady_clock::now();
      try {
        schema->run(ctx);
      } catch (const Error& e) {
        const std::string what = e.what();
        // Kernel messages name the node already; other errors get it prepended.
        if (what.find(n->describe()) != std::string::npos) throw;
        throw Error(e.code(), n->describe() + ": " + what);
      } catch (const std::bad_alloc&) {
        fail(ErrorCode::kRuntime, n->describe(), ": out of memory");
      }
      const auto elapsed = std::chrono::steady_clock::now() - start;
      for (size_t i = 0; i < n->num_outputs(); ++i) {
        const Value* v = n->output(i);
        if (!v) continue;
        if (outs[i].is_none() && !outs[i].is_optional)
          fail(ErrorCode::kRuntime, n->describe(), ": internal: kernel did not produce output ", i);
        env.set(v, std::move(outs[i]));
      }
      if (top_level && options_.on_node) options_.on_node(*n, elapsed);
      for (const Value* v : reads_of(*n)) {
        if (v->owner() != &g) continue;
        auto it = remaining.find(v);
        if (it != remaining.end() && --it->second == 0 && !keep.count(v) && !v->is_initializer()) env.erase(v);
      }
    }
  }

  std::vector<RunValue> run_subgraph(const Graph& body, const Env& outer, std::vector<RunValue> inputs, int depth) {
    Env env(&outer);
    for (const Value* v : body.initializers) env.set(v, RunValue(*v->initializer));
    for (size_t i = 0; i < body.inputs.size() && i < inputs.size(); ++i) env.set(body.inputs[i], std::move(inputs[i]));
    std::unordered_set<const Value*> keep(body.outputs.begin(), body.outputs.end());
    run_graph(body, env, keep, false, depth);
    std::vector<RunValue> out;
    for (const Value* v : body.outputs) {
      const RunValue* r = env.find(v);
      if (!r) fail(ErrorCode::kRuntime, "subgraph '", body.name, "' output '", v->name(), "' was not computed");
      out.push_back(*r);
    }
    return out;
  }

  static std::vector<const Value*> reads_of(const Node& n) {
    std::vector<const Value*> out;
    for (const Value* v : n.inputs())
      if (v) out.push_back(v);
    for (const Attribute& a : n.attributes) {
      if (a.g) collect_captures(*a.g, out);
      for (const auto& sg : a.graphs) collect_captures(*sg, out);
    }
    return out;
  }

 private:
  static void collect_captures(const Graph& sub, std::vector<const Value*>& out) {
    for (const auto& inner : sub.nodes())
      for (const Value* v : reads_of(*inner))
        if (v->owner() != &sub) out.push_back(v);
    // A subgraph output may be an outer-scope value itself (an If branch returning it unchanged).
    for (const Value* v : sub.outputs)
      if (v->owner() != &sub) out.push_back(v);
  }

  const RunOptions& options_;
};

}  // namespace

RefSession::RefSession(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  if (!model_ || !model_->graph) fail_bad_input("RefSession: no model");
}

NamedValues RefSession::run(const NamedValues& inputs, const RunOptions& options) const {
  const Graph& g = *model_->graph;
  Env env(nullptr);
  for (const Value* v : g.initializers) env.set(v, RunValue(*v->initializer));
  std::unordered_set<std::string> given;
  for (const auto& [name, value] : inputs) {
    const Value* v = nullptr;
    for (const Value* in : g.inputs)
      if (in->name() == name) v = in;
    if (!v) {
      std::string known;
      for (const Value* in : g.inputs)
        if (!in->is_initializer()) known += (known.empty() ? "" : ", ") + in->name();
      fail_bad_input("unknown input '", name, "' (the model's inputs: ", known, ")");
    }
    if (!given.insert(name).second) fail_bad_input("input '", name, "' given twice");
    check_input(*v, value);
    env.set(v, value);
  }
  for (const Value* in : g.inputs) {
    if (!given.count(in->name()) && !in->is_initializer()) {
      if (in->type.kind == TypeInfo::Kind::kOptional) {
        env.set(in, RunValue::none(in->type.element ? *in->type.element : TypeInfo{}));
        continue;
      }
      fail_bad_input("input '", in->name(), "' (", in->type.to_string(), ") was not given");
    }
  }
  std::unordered_set<const Value*> keep(g.outputs.begin(), g.outputs.end());
  std::vector<const Value*> extras;
  for (const std::string& name : options.extra_outputs) {
    const Value* v = g.find_value(name);
    if (!v) fail_bad_input("no value named '", name, "' in the graph");
    keep.insert(v);
    extras.push_back(v);
  }
  Runner runner(options);
  runner.run_graph(g, env, keep, true, 0);
  NamedValues out;
  auto emit = [&](const Value* v) {
    const RunValue* r = env.find(v);
    if (!r) fail(ErrorCode::kRuntime, "output '", v->name(), "' was not computed");
    out.emplace_back(v->name(), *r);
  };
  for (const Value* v : g.outputs) emit(v);
  for (const Value* v : extras) emit(v);
  return out;
}

}  // namespace onyx
