// prepare_model: opsets → function inlining → op resolution and upgrades → shape inference.
#include <functional>

#include "../ir/clone.h"
#include "../ops/op.h"
#include "onyx/limits.h"
#include "onyx/ref.h"

namespace onyx {

namespace {

void for_each_graph(Graph& g, const std::function<void(Graph&)>& fn) {
  fn(g);
  for (const auto& n : g.nodes()) {
    for (Attribute& a : n->attributes) {
      if (a.g) for_each_graph(*a.g, fn);
      for (auto& sg : a.graphs) for_each_graph(*sg, fn);
    }
  }
}

void assign_opsets(Graph& g, const std::vector<OpsetImport>& imports) {
  for_each_graph(g, [&](Graph& sub) {
    for (const auto& n : sub.nodes()) {
      if (n->opset != 0) continue;
      for (const OpsetImport& o : imports) {
        const bool o_default = o.domain.empty() || o.domain == "ai.onnx";
        if ((n->domain.empty() && o_default) || o.domain == n->domain) n->opset = o.version;
      }
      // onyx's own fused ops (domain "onyx", version 1) resolve even without an opset import for it.
      if (n->opset == 0 && n->domain == "onyx") n->opset = 1;
    }
  });
}

// Replaces attribute references (ref_attr_name) in a node copied from a function body with the caller's values.
void resolve_attr_refs(Node& n, const Node& caller) {
  std::vector<Attribute> resolved;
  for (Attribute& a : n.attributes) {
    if (a.g) for (const auto& inner : a.g->nodes()) resolve_attr_refs(*inner, caller);
    for (auto& sg : a.graphs)
      for (const auto& inner : sg->nodes()) resolve_attr_refs(*inner, caller);
    if (a.ref_attr_name.empty()) {
      resolved.push_back(std::move(a));
      continue;
    }
    if (const Attribute* given = caller.find_attr(a.ref_attr_name)) {
      Attribute copy = *given;
      copy.name = a.name;
      resolved.push_back(std::move(copy));
    }  // not given: the attribute is omitted, so the op's default applies
  }
  n.attributes = std::move(resolved);
}

// Inlines calls of model-local functions, repeatedly (functions may call functions), bounded in depth.
void inline_functions(Model& model) {
  if (model.functions.empty()) return;
  for (int round = 0;; ++round) {
    bool changed = false;
    for_each_graph(*model.graph, [&](Graph& g) {
      std::vector<Node*> calls;
      for (const auto& n : g.nodes())
        if (model.find_function(n->domain, n->op_type)) calls.push_back(n.get());
      // The calls are removed first, all in one pass (one remove_node per call was quadratic: found by
      // fuzz_onnx_model), so the bodies' nodes can produce the calls' outputs.
      struct Call {
        const Function* f;
        std::vector<Value*> ins, outs;
        std::vector<Attribute> attributes;
        std::string prefix;
      };
      std::vector<Call> pending;
      pending.reserve(calls.size());
      for (Node* call : calls) {
        const Function* f = model.find_function(call->domain, call->op_type);
        pending.push_back({f, call->inputs(), call->outputs(), call->attributes,
                           (call->name.empty() ? f->name : call->name) + "/"});
      }
      g.remove_nodes(calls);
      for (Call& pc : pending) {
        const Function& f = *pc.f;
        const Graph& body = *f.body;
        // Formal inputs map to the call's actual inputs; formal outputs to the call's outputs. An output that is
        // directly an input gets an Identity.
        const std::vector<Value*>& ins = pc.ins;
        const std::vector<Value*>& outs = pc.outs;
        Node caller_copy;
        caller_copy.attributes = std::move(pc.attributes);
        const std::string& prefix = pc.prefix;
        std::unordered_map<const Value*, Value*> map;
        for (size_t i = 0; i < body.inputs.size(); ++i) map[body.inputs[i]] = i < ins.size() ? ins[i] : nullptr;
        std::vector<std::pair<Value*, Value*>> passthrough;  // (call input, call output)
        for (size_t i = 0; i < body.outputs.size() && i < outs.size(); ++i) {
          if (!outs[i]) continue;
          auto it = map.find(body.outputs[i]);
          if (it != map.end()) passthrough.emplace_back(it->second, outs[i]);
          else map[body.outputs[i]] = outs[i];
        }
        clone_nodes_into(body, g, map, prefix, nullptr, [&](Node& n) {
          n.opset = 0;
          for (const OpsetImport& o : f.opset_imports) {
            const bool o_default = o.domain.empty() || o.domain == "ai.onnx";
            if ((n.domain.empty() && o_default) || o.domain == n.domain) n.opset = o.version;
          }
          if (n.opset == 0) n.opset = model.opset(n.domain);
          resolve_attr_refs(n, caller_copy);
        });
        for (auto [src, dst] : passthrough) {
          Node* id = g.add_node("Identity", "", {src}, {dst}, prefix + "identity");
          id->opset = model.opset("");
        }
        changed = true;
      }
      if (!calls.empty()) g.sort_topologically();
    });
    if (!changed) break;
    if (round >= limits().max_subgraph_depth)
      fail_bad_input(model.path, ": model-local functions nest deeper than ", limits().max_subgraph_depth,
                     " levels (recursive function?)");
  }
}

}  // namespace



namespace {

void resolve_ops(Graph& root, const std::string& label) {
  const OpRegistry& registry = OpRegistry::instance();
  for_each_graph(root, [&](Graph& g) {
    for (const auto& n : g.nodes()) {
      const OpSchema* s = registry.find(n->domain, n->op_type, n->opset);
      if (!s) {
        const bool known_elsewhere = !registry.versions(n->domain, n->op_type).empty();
        fail_unsupported(label, ": ", n->describe(), ": op ", n->domain.empty() ? "" : n->domain + ".", n->op_type,
                         known_elsewhere ? " is not supported at opset " : " is not supported (opset ",
                         n->opset, known_elsewhere ? "" : ")");
      }
      for (int guard = 0; s->upgrade && guard < 64; ++guard) {
        const OpSchema* next = registry.next_version(*s);
        if (!next) break;
        s->upgrade(*n);
        n->opset = next->since_version;
        s = next;
      }
      if (const std::string p = arity_problem(*n, *s); !p.empty()) fail_bad_input(label, ": ", p);
      if (!s->run) fail_unsupported(label, ": ", n->describe(), ": no reference kernel");
    }
  });
}

}  // namespace

void prepare_model(Model& model, const PrepareOptions& options) {
  if (!model.graph) fail_bad_input(model.path, ": model has no graph");
  const std::string label = model.path.empty() ? "model" : model.path;
  assign_opsets(*model.graph, model.opset_imports);
  inline_functions(model);
  resolve_ops(*model.graph, label);
  if (!options.infer_shapes) return;
  try {
    infer_shapes(model);
  } catch (const Error& e) {
    // Errors from an op's inference name the node; add the file so the one line says where.
    const std::string what = e.what();
    if (what.rfind(label, 0) == 0) throw;
    throw Error(e.code(), label + ": " + what);
  }
}

}  // namespace onyx
