// The op interface: what each file in src/ops/ implements, and the registry that holds them.
//
// An op file holds, in this order: a typed attribute struct parsed from the Node with the spec's defaults,
// validation, shape/type inference (`infer`), and the reference kernel (`run`). It registers each version with one
// line:
//
//   ONYX_REGISTER_OP({.op_type = "Relu", .since_version = 14, .inputs = {1, 1}, .infer = infer_same_as_input,
//                     .run = run_relu});
//
// Lookup picks, for a node whose domain is at opset N, the registration with the largest since_version <= N. A
// version whose semantics differ from the current one either has its own kernel or an `upgrade` that rewrites the
// node into the next version's form at import (so later stages see one version of each op).
#pragma once

#include <climits>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "onyx/error.h"
#include "onyx/graph.h"
#include "onyx/run_value.h"

namespace onyx {

class InferContext;
class KernelContext;

struct Arity {
  int min = 0;
  int max = INT_MAX;  // INT_MAX: variadic
};

struct OpSchema {
  std::string_view domain;  // "" = ai.onnx
  std::string_view op_type;
  int since_version = 1;
  Arity inputs{0, INT_MAX};
  Arity outputs{1, 1};
  // Output types/shapes from input types (and constant inputs when known). Null: outputs stay unknown.
  void (*infer)(InferContext&) = nullptr;
  // The reference kernel. Null only for ops that are always rewritten away at import.
  void (*run)(KernelContext&) = nullptr;
  // Rewrites a node of this version into the form of the next registered version (moving attributes to inputs,
  // renaming, ...). The node's opset is raised by the caller.
  void (*upgrade)(Node&) = nullptr;
  // False for ops whose outputs are random: never evaluated at build or inference time.
  bool deterministic = true;
};

// Empty when node `n`'s input and output counts fit `s` (trailing absent inputs do not count); else one line
// naming the node and the counts its op version allows. Import and plan loading both check it: kernels index
// their inputs and outputs without checking the count again.
std::string arity_problem(const Node& n, const OpSchema& s);

// Registry of every op, keyed by (domain, op_type, since_version). A duplicate key is a hard error, reported the
// first time the registry is used.
class OpRegistry {
 public:
  static OpRegistry& instance();
  void add(const OpSchema& schema);
  // The schema for op_type at `opset` of its domain; nullptr when onyx does not implement it.
  const OpSchema* find(std::string_view domain, std::string_view op_type, int64_t opset) const;
  // All registered versions of one op, ascending.
  std::vector<const OpSchema*> versions(std::string_view domain, std::string_view op_type) const;
  std::vector<const OpSchema*> all() const;
  // The next registered version after `s` (for upgrades), or nullptr.
  const OpSchema* next_version(const OpSchema& s) const;

 private:
  OpRegistry() = default;
  std::vector<OpSchema> schemas_;
  mutable bool checked_ = false;
  void check_duplicates() const;
};

struct OpRegistrar {
  explicit OpRegistrar(const OpSchema& s) { OpRegistry::instance().add(s); }
};

#define ONYX_CONCAT_INNER(a, b) a##b
#define ONYX_CONCAT(a, b) ONYX_CONCAT_INNER(a, b)
#define ONYX_REGISTER_OP(...) \
  static const ::onyx::OpRegistrar ONYX_CONCAT(onyx_op_registrar_, __LINE__)(::onyx::OpSchema __VA_ARGS__)

// ---- shape/type inference ---------------------------------------------------------------------------------------

class InferContext {
 public:
  struct Input {
    const TypeInfo* type = nullptr;   // nullptr when the optional input is absent
    const Tensor* constant = nullptr; // the value, when known before run time
    const std::vector<Dim>* partial = nullptr;  // a 0-D/1-D int64 tensor's elements as Dims, when known
  };
  InferContext(const Node& node, std::vector<Input> inputs);

  const Node& node() const { return node_; }
  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return node_.num_outputs(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i].type != nullptr; }
  // The input's type (throws naming the node when absent).
  const TypeInfo& input_type(size_t i) const;
  // Tensor dtype / shape of input i (throws if absent or not a tensor).
  DType input_dtype(size_t i) const;
  const Shape& input_shape(size_t i) const;
  const Tensor* input_constant(size_t i) const { return has_input(i) ? inputs_[i].constant : nullptr; }
  // Elements of a small integer input as Dims (known numbers, or symbols propagated from Shape ops).
  const std::vector<Dim>* input_partial(size_t i) const { return has_input(i) ? inputs_[i].partial : nullptr; }

  void set_output_type(size_t i, TypeInfo t);
  void set_output(size_t i, DType dtype, Shape shape) { set_output_type(i, TypeInfo::tensor(dtype, std::move(shape))); }
  // Publishes the elements of a shape-like int64 output (for Shape → Gather → Concat → Reshape chains).
  void set_output_partial(size_t i, std::vector<Dim> dims);

  const std::vector<TypeInfo>& output_types() const { return outputs_; }
  const std::vector<std::optional<std::vector<Dim>>>& output_partials() const { return partials_; }

  // Infers a subgraph's output types given its input types; outer-scope values resolve through the caller's
  // knowledge. Installed by the driver.
  std::function<std::vector<TypeInfo>(const Graph&, const std::vector<TypeInfo>&)> infer_subgraph;

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    fail_bad_input(node_.describe(), ": ", parts...);
  }

 private:
  const Node& node_;
  std::vector<Input> inputs_;
  std::vector<TypeInfo> outputs_;
  std::vector<std::optional<std::vector<Dim>>> partials_;
};

// ---- kernels ----------------------------------------------------------------------------------------------------

class KernelContext {
 public:
  using SubgraphRunner = std::function<std::vector<RunValue>(const Graph&, std::vector<RunValue>)>;
  KernelContext(const Node& node, std::span<const RunValue* const> inputs, std::vector<RunValue>& outputs,
                SubgraphRunner subgraph_runner);

  const Node& node() const { return node_; }
  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return node_.num_outputs(); }
  // Present: connected and not an empty optional.
  bool has_input(size_t i) const;
  // The input tensor; throws naming the node when absent or not a tensor.
  const Tensor& input(size_t i) const;
  // Any kind of input (sequence, optional); a kNone RunValue when absent.
  const RunValue& input_value(size_t i) const;
  // Whether the node's output slot i is connected (optional outputs may be skipped).
  bool output_wanted(size_t i) const { return i < node_.num_outputs() && node_.output(i) != nullptr; }
  void set_output(size_t i, Tensor t);
  void set_output_value(size_t i, RunValue v);

  // Runs a subgraph (If/Loop/Scan bodies) with the given inputs; the body reads outer-scope values from the
  // enclosing run. Returns the body's outputs in order.
  std::vector<RunValue> run_subgraph(const Graph& body, std::vector<RunValue> inputs) const {
    return subgraph_runner_(body, std::move(inputs));
  }

  template <typename... Parts>
  [[noreturn]] void fail(const Parts&... parts) const {
    fail_bad_input(node_.describe(), ": ", parts...);
  }

 private:
  const Node& node_;
  std::span<const RunValue* const> inputs_;
  std::vector<RunValue>& outputs_;
  SubgraphRunner subgraph_runner_;
};

// ---- small helpers shared by many ops ----------------------------------------------------------------------------

// infer: output 0 has input 0's type (unary elementwise ops).
void infer_same_as_input(InferContext& ctx);
// Normalizes an axis in [-rank, rank) (or [-rank-1, rank] with `allow_end`), failing naming the node otherwise.
int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node, bool allow_end = false);

}  // namespace onyx

namespace onyx {
// For upgrades: creates an initializer holding `t` in the node's graph and connects it as input `index`
// (moving an attribute of an old op version to the input the current version takes).
Value* set_constant_input(Node& node, size_t index, Tensor t, const std::string& suffix);
}  // namespace onyx
