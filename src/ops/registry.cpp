#include <algorithm>
#include <map>
#include <tuple>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {

namespace {
bool same_domain(std::string_view a, std::string_view b) {
  auto canon = [](std::string_view d) { return d == "ai.onnx" ? std::string_view() : d; };
  return canon(a) == canon(b);
}
}  // namespace

OpRegistry& OpRegistry::instance() {
  static OpRegistry registry;
  return registry;
}

void OpRegistry::add(const OpSchema& schema) {
  schemas_.push_back(schema);
  checked_ = false;
}

void OpRegistry::check_duplicates() const {
  if (checked_) return;
  std::map<std::tuple<std::string_view, std::string_view, int>, int> seen;
  for (const OpSchema& s : schemas_) {
    if (++seen[{s.domain, s.op_type, s.since_version}] > 1) {
      // A programming error in onyx itself: two files registered the same op version.
      throw Error(ErrorCode::kRuntime, "internal: op " + std::string(s.op_type) + " version " +
                                           std::to_string(s.since_version) + " is registered twice");
    }
  }
  checked_ = true;
}

const OpSchema* OpRegistry::find(std::string_view domain, std::string_view op_type, int64_t opset) const {
  check_duplicates();
  const OpSchema* best = nullptr;
  for (const OpSchema& s : schemas_) {
    if (s.op_type != op_type || !same_domain(s.domain, domain) || s.since_version > opset) continue;
    if (!best || s.since_version > best->since_version) best = &s;
  }
  return best;
}

std::vector<const OpSchema*> OpRegistry::versions(std::string_view domain, std::string_view op_type) const {
  check_duplicates();
  std::vector<const OpSchema*> out;
  for (const OpSchema& s : schemas_)
    if (s.op_type == op_type && same_domain(s.domain, domain)) out.push_back(&s);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->since_version < b->since_version; });
  return out;
}

std::vector<const OpSchema*> OpRegistry::all() const {
  check_duplicates();
  std::vector<const OpSchema*> out;
  for (const OpSchema& s : schemas_) out.push_back(&s);
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) {
    return std::tie(a->domain, a->op_type, a->since_version) < std::tie(b->domain, b->op_type, b->since_version);
  });
  return out;
}

const OpSchema* OpRegistry::next_version(const OpSchema& s) const {
  const OpSchema* best = nullptr;
  for (const OpSchema& o : schemas_) {
    if (o.op_type != s.op_type || !same_domain(o.domain, s.domain) || o.since_version <= s.since_version) continue;
    if (!best || o.since_version < best->since_version) best = &o;
  }
  return best;
}

// ---- InferContext -----------------------------------------------------------------------------------------------

InferContext::InferContext(const Node& node, std::vector<Input> inputs)
    : node_(node), inputs_(std::move(inputs)), outputs_(node.num_outputs()), partials_(node.num_outputs()) {}

const TypeInfo& InferContext::input_type(size_t i) const {
  if (!has_input(i)) fail("input ", i, " is required but missing");
  return *inputs_[i].type;
}

DType InferContext::input_dtype(size_t i) const {
  const TypeInfo& t = input_type(i);
  if (t.kind != TypeInfo::Kind::kTensor && t.kind != TypeInfo::Kind::kUnknown)
    fail("input ", i, " must be a tensor, got ", t.to_string());
  return t.dtype;
}

const Shape& InferContext::input_shape(size_t i) const {
  static const Shape unknown = Shape::unknown_rank();
  const TypeInfo& t = input_type(i);
  if (t.kind != TypeInfo::Kind::kTensor) return unknown;
  return t.shape;
}

void InferContext::set_output_type(size_t i, TypeInfo t) {
  if (i >= outputs_.size()) return;  // optional output not connected
  // Every value's inferred shape is kept, so ops that grow the rank (a chain of Unsqueezes sharing one axes
  // initializer of thousands of entries) would make a 40 KB model claim gigabytes. No real tensor has such a
  // rank: above kMaxInferredRank the rank is recorded as unknown.
  constexpr size_t kMaxInferredRank = 1024;
  if (t.kind == TypeInfo::Kind::kTensor && t.shape.rank_known() && t.shape.rank() > kMaxInferredRank)
    t.shape = Shape::unknown_rank();
  outputs_[i] = std::move(t);
}

void InferContext::set_output_partial(size_t i, std::vector<Dim> dims) {
  if (i >= partials_.size()) return;
  partials_[i] = std::move(dims);
}

// ---- KernelContext ----------------------------------------------------------------------------------------------

KernelContext::KernelContext(const Node& node, std::span<const RunValue* const> inputs,
                             std::vector<RunValue>& outputs, SubgraphRunner subgraph_runner)
    : node_(node), inputs_(inputs), outputs_(outputs), subgraph_runner_(std::move(subgraph_runner)) {}

bool KernelContext::has_input(size_t i) const {
  return i < inputs_.size() && inputs_[i] != nullptr && !inputs_[i]->is_none();
}

const Tensor& KernelContext::input(size_t i) const {
  if (!has_input(i)) fail("input ", i, " is required but missing");
  if (!inputs_[i]->is_tensor()) fail("input ", i, " must be a tensor, got ", inputs_[i]->describe());
  return inputs_[i]->tensor;
}

const RunValue& KernelContext::input_value(size_t i) const {
  static const RunValue absent;
  if (i >= inputs_.size() || inputs_[i] == nullptr) return absent;
  return *inputs_[i];
}

void KernelContext::set_output(size_t i, Tensor t) { set_output_value(i, RunValue(std::move(t))); }

void KernelContext::set_output_value(size_t i, RunValue v) {
  if (i >= outputs_.size()) return;
  outputs_[i] = std::move(v);
}

// ---- helpers ----------------------------------------------------------------------------------------------------

void infer_same_as_input(InferContext& ctx) { ctx.set_output_type(0, ctx.input_type(0)); }

int64_t normalize_axis(int64_t axis, int64_t rank, const Node& node, bool allow_end) {
  const int64_t hi = allow_end ? rank : rank - 1;
  const int64_t lo = allow_end ? -rank - 1 : -rank;
  if (axis < lo || axis > hi)
    fail_bad_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + (allow_end ? rank + 1 : rank) : axis;
}

}  // namespace onyx

namespace onyx {
std::string RunValue::describe() const {
  switch (kind) {
    case Kind::kTensor: return tensor.describe();
    case Kind::kSequence: return "seq(" + std::to_string(sequence.size()) + " tensors)";
    case Kind::kNone: return "none";
  }
  return "none";
}
}  // namespace onyx

namespace onyx {
Value* set_constant_input(Node& node, size_t index, Tensor t, const std::string& suffix) {
  Graph& g = *node.owner();
  const std::string base = (node.name.empty() ? node.op_type : node.name) + "/" + suffix;
  Value* v = g.add_value(g.unique_name(base));
  v->type = TypeInfo::tensor(t.dtype(), t.shape());
  v->initializer = std::move(t);
  g.initializers.push_back(v);
  node.set_input(index, v);
  return v;
}

std::string arity_problem(const Node& n, const OpSchema& s) {
  int present = static_cast<int>(n.num_inputs());
  while (present > 0 && n.input(static_cast<size_t>(present) - 1) == nullptr) --present;
  auto range = [](const Arity& a) {
    return std::to_string(a.min) + (a.max == INT_MAX ? " or more" : " to " + std::to_string(a.max));
  };
  if (present < s.inputs.min || static_cast<int>(n.num_inputs()) > s.inputs.max)
    return n.describe() + " has " + std::to_string(n.num_inputs()) + " inputs, " + std::string(n.op_type) + "-" +
           std::to_string(s.since_version) + " takes " + range(s.inputs);
  const int outs = static_cast<int>(n.num_outputs());
  if (outs < s.outputs.min || outs > s.outputs.max)
    return n.describe() + " has " + std::to_string(outs) + " outputs, " + std::string(n.op_type) + "-" +
           std::to_string(s.since_version) + " has " + range(s.outputs);
  return {};
}

}  // namespace onyx
