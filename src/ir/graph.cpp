#include "onyx/graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <set>
#include <sstream>
#include <unordered_set>

#include "onyx/error.h"

namespace onyx {

// ---- TypeInfo ---------------------------------------------------------------------------------------------------

TypeInfo TypeInfo::tensor(DType dtype, Shape shape) {
  TypeInfo t;
  t.kind = Kind::kTensor;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.has_shape = t.shape.rank_known();
  return t;
}

TypeInfo TypeInfo::tensor(DType dtype) { return tensor(dtype, Shape::unknown_rank()); }

TypeInfo TypeInfo::sequence(TypeInfo element) {
  TypeInfo t;
  t.kind = Kind::kSequence;
  t.element = std::make_shared<TypeInfo>(std::move(element));
  return t;
}

TypeInfo TypeInfo::optional(TypeInfo element) {
  TypeInfo t;
  t.kind = Kind::kOptional;
  t.element = std::make_shared<TypeInfo>(std::move(element));
  return t;
}

std::string TypeInfo::to_string() const {
  switch (kind) {
    case Kind::kUnknown: return "?";
    case Kind::kTensor: return std::string(dtype_name(dtype)) + shape.to_string();
    case Kind::kSparseTensor: return "sparse(" + std::string(dtype_name(dtype)) + shape.to_string() + ")";
    case Kind::kSequence: return "seq(" + (element ? element->to_string() : "?") + ")";
    case Kind::kOptional: return "optional(" + (element ? element->to_string() : "?") + ")";
    case Kind::kMap:
      return "map(" + std::string(dtype_name(dtype)) + "," + (element ? element->to_string() : "?") + ")";
  }
  return "?";
}

bool TypeInfo::operator==(const TypeInfo& o) const {
  if (kind != o.kind || dtype != o.dtype || has_shape != o.has_shape || denotation != o.denotation) return false;
  if (has_shape && !(shape == o.shape)) return false;
  if (static_cast<bool>(element) != static_cast<bool>(o.element)) return false;
  return !element || *element == *o.element;
}

// ---- Attribute --------------------------------------------------------------------------------------------------

std::string_view attr_type_name(AttrType t) {
  switch (t) {
    case AttrType::kUndefined: return "undefined";
    case AttrType::kFloat: return "float";
    case AttrType::kInt: return "int";
    case AttrType::kString: return "string";
    case AttrType::kTensor: return "tensor";
    case AttrType::kGraph: return "graph";
    case AttrType::kFloats: return "floats";
    case AttrType::kInts: return "ints";
    case AttrType::kStrings: return "strings";
    case AttrType::kTensors: return "tensors";
    case AttrType::kGraphs: return "graphs";
    case AttrType::kSparseTensor: return "sparse_tensor";
    case AttrType::kSparseTensors: return "sparse_tensors";
    case AttrType::kTypeProto: return "type_proto";
    case AttrType::kTypeProtos: return "type_protos";
  }
  return "invalid";
}

namespace {
template <typename T, typename F>
std::string list_to_string(const std::vector<T>& v, size_t max_elems, F&& fmt) {
  std::string out = "[";
  for (size_t i = 0; i < v.size() && i < max_elems; ++i) {
    if (i) out += ", ";
    out += fmt(v[i]);
  }
  if (v.size() > max_elems) out += ", ... (" + std::to_string(v.size()) + " total)";
  return out + "]";
}
std::string float_str(float f) {
  std::ostringstream os;
  os << f;
  return os.str();
}
std::string quoted(const std::string& s) { return "'" + s + "'"; }
}  // namespace

std::string Attribute::to_string(size_t max_elems) const {
  if (!ref_attr_name.empty()) return "@" + ref_attr_name;
  switch (type) {
    case AttrType::kFloat: return float_str(f);
    case AttrType::kInt: return std::to_string(i);
    case AttrType::kString: return quoted(s);
    case AttrType::kTensor: return "<tensor " + t.describe() + ">";
    case AttrType::kGraph:
      return "<graph " + (g ? g->name : std::string()) + ": " + std::to_string(g ? g->nodes().size() : 0) +
             " nodes>";
    case AttrType::kFloats: return list_to_string(floats, max_elems, float_str);
    case AttrType::kInts: return list_to_string(ints, max_elems, [](int64_t v) { return std::to_string(v); });
    case AttrType::kStrings: return list_to_string(strings, max_elems, quoted);
    case AttrType::kTensors:
      return list_to_string(tensors, max_elems, [](const Tensor& x) { return "<tensor " + x.describe() + ">"; });
    case AttrType::kGraphs: return "<" + std::to_string(graphs.size()) + " graphs>";
    case AttrType::kSparseTensor: return "<sparse tensor " + dims_to_string(sparse.dims) + ">";
    case AttrType::kSparseTensors: return "<" + std::to_string(sparse_tensors.size()) + " sparse tensors>";
    case AttrType::kTypeProto: return "<type " + tp.to_string() + ">";
    case AttrType::kTypeProtos: return "<" + std::to_string(tps.size()) + " types>";
    case AttrType::kUndefined: break;
  }
  return "<undefined>";
}

// ---- Node -------------------------------------------------------------------------------------------------------

void Node::set_input(size_t i, Value* v) {
  if (i >= inputs_.size()) inputs_.resize(i + 1, nullptr);
  if (Value* old = inputs_[i]) {
    auto& uses = old->uses_;
    for (auto it = uses.begin(); it != uses.end(); ++it) {
      if (it->first == this && it->second == static_cast<int>(i)) {
        uses.erase(it);
        break;
      }
    }
  }
  inputs_[i] = v;
  if (v) v->uses_.emplace_back(this, static_cast<int>(i));
}

const Attribute* Node::find_attr(std::string_view attr_name) const {
  for (const Attribute& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

void Node::set_attr(Attribute a) {
  for (Attribute& existing : attributes) {
    if (existing.name == a.name) {
      existing = std::move(a);
      return;
    }
  }
  attributes.push_back(std::move(a));
}

bool Node::remove_attr(std::string_view attr_name) {
  auto it = std::find_if(attributes.begin(), attributes.end(),
                         [&](const Attribute& a) { return a.name == attr_name; });
  if (it == attributes.end()) return false;
  attributes.erase(it);
  return true;
}

std::string Node::describe() const {
  std::string label = name;
  if (label.empty() && !outputs_.empty() && outputs_[0]) label = "<producing " + outputs_[0]->name() + ">";
  return "node '" + label + "' (" + (domain.empty() ? "" : domain + ".") + op_type + ")";
}

namespace {
const Attribute* typed_attr(const Node& n, std::string_view attr_name, AttrType type) {
  const Attribute* a = n.find_attr(attr_name);
  if (!a) return nullptr;
  if (a->type != type)
    fail_bad_input(n.describe(), ": attribute '", attr_name, "' must be ", attr_type_name(type), ", got ",
                   attr_type_name(a->type));
  return a;
}
}  // namespace

int64_t Node::attr_int(std::string_view attr_name, int64_t def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kInt);
  return a ? a->i : def;
}
float Node::attr_float(std::string_view attr_name, float def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kFloat);
  return a ? a->f : def;
}
std::string Node::attr_string(std::string_view attr_name, std::string def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kString);
  return a ? a->s : def;
}
std::vector<int64_t> Node::attr_ints(std::string_view attr_name, std::vector<int64_t> def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kInts);
  return a ? a->ints : def;
}
std::vector<float> Node::attr_floats(std::string_view attr_name, std::vector<float> def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kFloats);
  return a ? a->floats : def;
}
std::vector<std::string> Node::attr_strings(std::string_view attr_name, std::vector<std::string> def) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kStrings);
  return a ? a->strings : def;
}
const Attribute& Node::required_attr(std::string_view attr_name, AttrType type) const {
  const Attribute* a = typed_attr(*this, attr_name, type);
  if (!a) fail_bad_input(describe(), ": required attribute '", attr_name, "' is missing");
  return *a;
}
int64_t Node::attr_int(std::string_view attr_name) const { return required_attr(attr_name, AttrType::kInt).i; }
const Tensor* Node::attr_tensor(std::string_view attr_name) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kTensor);
  return a ? &a->t : nullptr;
}
const Graph* Node::attr_graph(std::string_view attr_name) const {
  const Attribute* a = typed_attr(*this, attr_name, AttrType::kGraph);
  return a ? a->g.get() : nullptr;
}

// ---- Graph ------------------------------------------------------------------------------------------------------

int Graph::depth() const {
  int d = 0;
  for (const Graph* g = parent_; g; g = g->parent_) ++d;
  return d;
}

Value* Graph::find_value(std::string_view value_name) const {
  auto it = by_name_.find(std::string(value_name));
  return it == by_name_.end() ? nullptr : it->second;
}

Value* Graph::lookup_value(std::string_view value_name) const {
  for (const Graph* g = this; g; g = g->parent_) {
    if (Value* v = g->find_value(value_name)) return v;
  }
  return nullptr;
}

Value* Graph::add_value(std::string value_name) {
  if (by_name_.count(value_name)) fail_bad_input("duplicate value name '", value_name, "' in graph '", name, "'");
  auto v = std::make_unique<Value>();
  v->name_ = std::move(value_name);
  v->owner_ = this;
  Value* raw = v.get();
  by_name_.emplace(raw->name_, raw);
  values_.push_back(std::move(v));
  return raw;
}

Value* Graph::get_or_add_value(const std::string& value_name) {
  if (Value* v = find_value(value_name)) return v;
  return add_value(value_name);
}

std::string Graph::unique_name(std::string_view base) const {
  std::string candidate(base);
  // base_1 ... base_8 first; after that the suffix jumps past the value count, which grows with every value
  // added, so asking for the same base thousands of times (inlining one function over and over) is not
  // quadratic (found by fuzz_onnx_model: a 1.6 KB model took minutes in prepare).
  for (size_t i = 1; lookup_value(candidate); ++i)
    candidate = std::string(base) + "_" + std::to_string(i <= 8 ? i : num_values() + i);
  return candidate;
}

std::vector<Value*> Graph::values() const {
  std::vector<Value*> out;
  out.reserve(values_.size());
  for (const auto& v : values_) out.push_back(v.get());
  return out;
}

Node* Graph::add_node(std::string op_type, std::string domain, std::vector<Value*> node_inputs,
                      std::vector<Value*> node_outputs, std::string node_name) {
  auto n = std::make_unique<Node>();
  n->op_type = std::move(op_type);
  n->domain = std::move(domain);
  n->name = std::move(node_name);
  n->owner_ = this;
  Node* raw = n.get();
  for (Value* v : node_inputs) raw->add_input(v);
  for (size_t i = 0; i < node_outputs.size(); ++i) {
    Value* v = node_outputs[i];
    raw->outputs_.push_back(v);
    if (!v) continue;
    if (v->producer_) fail_bad_input(raw->describe(), ": output '", v->name(), "' is already produced by ",
                                     v->producer_->describe());
    if (v->is_initializer()) fail_bad_input(raw->describe(), ": output '", v->name(), "' is also an initializer");
    v->producer_ = raw;
    v->producer_output_ = static_cast<int>(i);
  }
  nodes_.push_back(std::move(n));
  return raw;
}

Node* Graph::insert_node(Node* pos, std::unique_ptr<Node> node) {
  node->owner_ = this;
  Node* raw = node.get();
  auto it = nodes_.end();
  if (pos) {
    it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == pos; });
  }
  nodes_.insert(it, std::move(node));
  return raw;
}

void Graph::remove_node(Node* n) { remove_nodes({n}); }

void Graph::remove_nodes(const std::vector<Node*>& doomed) {
  for (Node* n : doomed) {
    for (size_t i = 0; i < n->inputs_.size(); ++i) n->set_input(i, nullptr);
    for (Value* v : n->outputs_) {
      if (v && v->producer_ == n) {
        v->producer_ = nullptr;
        v->producer_output_ = -1;
      }
    }
  }
  if (doomed.size() == 1) {
    auto it = std::find_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return p.get() == doomed[0]; });
    if (it != nodes_.end()) nodes_.erase(it);
    return;
  }
  const std::unordered_set<const Node*> set(doomed.begin(), doomed.end());
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [&](const auto& p) { return set.count(p.get()) > 0; }),
               nodes_.end());
}

namespace {
// Values a node reads, including those its subgraphs capture from enclosing scopes.
void collect_reads(const Node& n, const Graph& home, std::vector<const Value*>& out) {
  for (const Value* v : n.inputs())
    if (v) out.push_back(v);
  for (const Attribute& a : n.attributes) {
    std::vector<const Graph*> subs;
    if (a.g) subs.push_back(a.g.get());
    for (const auto& g : a.graphs) subs.push_back(g.get());
    for (const Graph* sub : subs) {
      for (const auto& inner : sub->nodes()) {
        std::vector<const Value*> inner_reads;
        collect_reads(*inner, *sub, inner_reads);
        for (const Value* v : inner_reads)
          if (v->owner() != sub && v->owner() != nullptr) out.push_back(v);
      }
      // A subgraph output may be an outer-scope value itself (an If branch returning it unchanged).
      for (const Value* v : sub->outputs)
        if (v->owner() != sub && v->owner() != nullptr) out.push_back(v);
    }
  }
  (void)home;
}
}  // namespace

void Graph::sort_topologically() {
  const size_t n = nodes_.size();
  std::unordered_map<const Node*, size_t> index;
  for (size_t i = 0; i < n; ++i) index[nodes_[i].get()] = i;

  std::vector<std::vector<size_t>> consumers(n);
  std::vector<size_t> pending(n, 0);
  for (size_t i = 0; i < n; ++i) {
    std::vector<const Value*> reads;
    collect_reads(*nodes_[i], *this, reads);
    std::set<size_t> deps;
    for (const Value* v : reads) {
      // A read of a value produced in this graph creates an edge. Reads of subgraph-internal values were filtered
      // out; reads of outer values need no edge here.
      if (v->owner() != this) continue;
      if (v->producer()) {
        auto it = index.find(v->producer());
        if (it != index.end()) deps.insert(it->second);
      }
    }
    for (size_t d : deps) {
      if (d == i) fail_bad_input(nodes_[i]->describe(), " consumes its own output (cycle)");
      consumers[d].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(i);
  std::vector<size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t c : consumers[i])
      if (--pending[c] == 0) ready.push(c);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i) {
      if (pending[i] != 0)
        fail_bad_input("graph '", name, "' has a cycle through ", nodes_[i]->describe());
    }
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(n);
  for (size_t i : order) sorted.push_back(std::move(nodes_[i]));
  nodes_ = std::move(sorted);
}

size_t Graph::count_nodes_recursive() const {
  size_t count = nodes_.size();
  for (const auto& node : nodes_) {
    for (const Attribute& a : node->attributes) {
      if (a.g) count += a.g->count_nodes_recursive();
      for (const auto& g : a.graphs) count += g->count_nodes_recursive();
    }
  }
  return count;
}

// ---- Model ------------------------------------------------------------------------------------------------------

int64_t Model::opset(std::string_view d) const {
  const bool is_default = d.empty() || d == "ai.onnx";
  for (const OpsetImport& o : opset_imports) {
    const bool o_default = o.domain.empty() || o.domain == "ai.onnx";
    if ((is_default && o_default) || o.domain == d) return o.version;
  }
  return 0;
}

const Function* Model::find_function(std::string_view d, std::string_view fn_name) const {
  for (const Function& f : functions)
    if (f.domain == d && f.name == fn_name) return &f;
  return nullptr;
}

}  // namespace onyx
