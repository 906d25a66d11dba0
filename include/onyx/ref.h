// The `ref` backend: prepares a model (op resolution, opset upgrades, function inlining, shape inference) and
// interprets it node by node on the CPU. It never optimizes: it is the reference every other backend is judged
// against.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "onyx/graph.h"
#include "onyx/run_value.h"

namespace onyx {

struct PrepareOptions {
  // Infer types and shapes after resolving ops (errors in the model surface here, before any run).
  bool infer_shapes = true;
};

// Resolves every node (including nodes of subgraphs) to a registered op, or throws kUnsupported naming the node
// and op; applies each op's upgrade so old opset versions follow current semantics; inlines model-local
// functions; then infers types and shapes. Throws kBadInput for malformed nodes (arity, attributes, shapes).
void prepare_model(Model& model, const PrepareOptions& options = {});

// Infers types/shapes of every value in `model.graph` from its inputs and initializers, writing them into each
// Value's `type`. Unknown stays unknown; contradictions throw kBadInput naming the node.
void infer_shapes(Model& model);

// The value names of a graph in topological order of production (for --mark-all): node outputs only.
std::vector<const Value*> intermediate_values(const Graph& graph);

struct RunOptions {
  // Also return these intermediate values (by name), e.g. every node output for --mark-all.
  std::vector<std::string> extra_outputs;
  // Called after each top-level node runs (progress, profiling).
  std::function<void(const Node&, std::chrono::nanoseconds)> on_node;
};

using NamedValues = std::vector<std::pair<std::string, RunValue>>;

// Interprets a prepared model. Thread-compatible: one run at a time per RefSession; several RefSessions may share
// one Model.
class RefSession {
 public:
  explicit RefSession(std::shared_ptr<const Model> model);
  // Runs with the graph inputs given by name (inputs with initializers may be omitted). Returns the graph outputs,
  // then the extra outputs, by name. Throws kBadInput when an input is missing, unknown, or of the wrong
  // dtype/rank/static shape, or when a node fails (naming it).
  NamedValues run(const NamedValues& inputs, const RunOptions& options = {}) const;
  const Model& model() const { return *model_; }

 private:
  std::shared_ptr<const Model> model_;
};

}  // namespace onyx
