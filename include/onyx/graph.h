// The graph IR: Model, Graph, Node, Value, Attribute, TypeInfo.
//
// A Graph owns its Nodes and Values. Node inputs/outputs point at Values; a Node inside a subgraph may point at a
// Value of an enclosing graph (an outer-scope capture). An absent optional input or output is a null pointer.
// Values keep use lists, maintained by Node::set_input / Graph::add_node / Graph::remove_node.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "onyx/dtype.h"
#include "onyx/shape.h"
#include "onyx/tensor.h"

namespace onyx {

class Graph;
class Node;

// ONNX TypeProto: a tensor (dtype + shape), a sequence or optional of a type, a map, or unknown.
struct TypeInfo {
  enum class Kind { kUnknown, kTensor, kSparseTensor, kSequence, kOptional, kMap };
  Kind kind = Kind::kUnknown;
  DType dtype = DType::kUndefined;       // tensor element type; map key type
  Shape shape = Shape::unknown_rank();   // tensors only
  bool has_shape = false;                // whether the model stated a shape (distinguishes "no shape" from [])
  std::shared_ptr<TypeInfo> element;     // sequence/optional element, map value
  std::string denotation;

  static TypeInfo tensor(DType dtype, Shape shape);
  static TypeInfo tensor(DType dtype);  // unknown shape
  static TypeInfo sequence(TypeInfo element);
  static TypeInfo optional(TypeInfo element);
  bool is_tensor() const { return kind == Kind::kTensor; }
  bool is_known() const { return kind != Kind::kUnknown; }
  // "float32[batch,3,224,224]", "seq(int64[?])", "optional(float32[...])", "?".
  std::string to_string() const;
  bool operator==(const TypeInfo& o) const;
};

struct SparseTensor {
  Tensor values;   // 1-D, NNZ elements
  Tensor indices;  // int64 [NNZ] (linear) or [NNZ, rank]
  std::vector<int64_t> dims;
};

enum class AttrType : int {
  kUndefined = 0, kFloat = 1, kInt = 2, kString = 3, kTensor = 4, kGraph = 5, kFloats = 6, kInts = 7,
  kStrings = 8, kTensors = 9, kGraphs = 10, kSparseTensor = 11, kSparseTensors = 12, kTypeProto = 13,
  kTypeProtos = 14,
};
std::string_view attr_type_name(AttrType t);

struct Attribute {
  std::string name;
  AttrType type = AttrType::kUndefined;
  std::string ref_attr_name;  // inside functions: refers to an attribute of the calling node
  std::string doc_string;
  float f = 0;
  int64_t i = 0;
  std::string s;
  Tensor t;
  std::shared_ptr<Graph> g;
  SparseTensor sparse;
  TypeInfo tp;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::vector<Tensor> tensors;
  std::vector<std::shared_ptr<Graph>> graphs;
  std::vector<SparseTensor> sparse_tensors;
  std::vector<TypeInfo> tps;
  // Short rendering for inspect: "3", "[1,1]", "\"NOTSET\"", "<graph body: 3 nodes>", "<tensor float32[64]>".
  std::string to_string(size_t max_elems = 8) const;
};

class Value {
 public:
  const std::string& name() const { return name_; }
  TypeInfo type;
  std::string doc_string;
  // Producing node (nullptr for graph inputs and initializers) and which of its outputs this is.
  Node* producer() const { return producer_; }
  int producer_output() const { return producer_output_; }
  // (node, input index) of every use, including uses inside subgraphs (captures).
  const std::vector<std::pair<Node*, int>>& uses() const { return uses_; }
  bool is_initializer() const { return initializer.has_value(); }
  std::optional<Tensor> initializer;  // constant data when this is an initializer
  Graph* owner() const { return owner_; }

 private:
  friend class Graph;
  friend class Node;
  std::string name_;
  Node* producer_ = nullptr;
  int producer_output_ = -1;
  std::vector<std::pair<Node*, int>> uses_;
  Graph* owner_ = nullptr;
};

class Node {
 public:
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain ("ai.onnx")
  std::string doc_string;
  // Opset version of `domain` this node follows (from the model's opset imports; raised when an old version is
  // upgraded to current semantics at import).
  int64_t opset = 0;
  std::vector<Attribute> attributes;

  const std::vector<Value*>& inputs() const { return inputs_; }
  const std::vector<Value*>& outputs() const { return outputs_; }
  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_.size(); }
  // nullptr when index is past the end or the optional input is absent.
  Value* input(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  Value* output(size_t i) const { return i < outputs_.size() ? outputs_[i] : nullptr; }
  void set_input(size_t i, Value* v);  // grows the input list as needed; maintains use lists
  void add_input(Value* v) { set_input(inputs_.size(), v); }
  Graph* owner() const { return owner_; }

  const Attribute* find_attr(std::string_view name) const;
  bool has_attr(std::string_view name) const { return find_attr(name) != nullptr; }
  void set_attr(Attribute a);  // replaces an attribute of the same name
  bool remove_attr(std::string_view name);

  // Typed attribute getters with the spec's default. Throw kBadInput if present with the wrong type.
  int64_t attr_int(std::string_view name, int64_t def) const;
  float attr_float(std::string_view name, float def) const;
  std::string attr_string(std::string_view name, std::string def) const;
  std::vector<int64_t> attr_ints(std::string_view name, std::vector<int64_t> def = {}) const;
  std::vector<float> attr_floats(std::string_view name, std::vector<float> def = {}) const;
  std::vector<std::string> attr_strings(std::string_view name, std::vector<std::string> def = {}) const;
  // Required attributes: throw kBadInput naming the node when missing.
  int64_t attr_int(std::string_view name) const;
  const Attribute& required_attr(std::string_view name, AttrType type) const;
  const Tensor* attr_tensor(std::string_view name) const;
  const Graph* attr_graph(std::string_view name) const;

  // "node 'conv1' (Conv)": how errors name a node.
  std::string describe() const;

 private:
  friend class Graph;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  Graph* owner_ = nullptr;
};

class Graph {
 public:
  explicit Graph(Graph* parent = nullptr) : parent_(parent) {}
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  std::string name;
  std::string doc_string;
  std::vector<Value*> inputs;   // graph inputs (in IR < 4 these may include initializers)
  std::vector<Value*> outputs;  // graph outputs
  std::vector<Value*> initializers;  // in file order
  std::vector<Value*> value_infos;   // values whose type the model stated in value_info
  // Sparse initializers are kept densified as ordinary initializers; their sparse form is remembered for export.
  std::vector<std::pair<Value*, SparseTensor>> sparse_initializers;
  // TensorAnnotation entries (quantization parameters), kept for export.
  struct Annotation {
    std::string tensor_name;
    std::vector<std::pair<std::string, std::string>> quant_parameter_tensor_names;
  };
  std::vector<Annotation> quantization_annotations;

  Graph* parent() const { return parent_; }
  void set_parent(Graph* p) { parent_ = p; }
  int depth() const;  // 0 for the main graph

  // Values: created in this graph. Names are unique within a graph.
  Value* find_value(std::string_view name) const;   // this graph only
  Value* lookup_value(std::string_view name) const;  // this graph, then enclosing graphs
  Value* add_value(std::string name);                // throws kBadInput on a duplicate name
  Value* get_or_add_value(const std::string& name);
  std::string unique_name(std::string_view base) const;
  size_t num_values() const { return values_.size(); }
  std::vector<Value*> values() const;

  // Nodes, in execution order (topological after sort_topologically()).
  const std::vector<std::unique_ptr<Node>>& nodes() const { return nodes_; }
  // Adds a node whose outputs are the given values (each must not already have a producer).
  Node* add_node(std::string op_type, std::string domain, std::vector<Value*> inputs, std::vector<Value*> outputs,
                 std::string name = "");
  // Inserts before `pos` (nullptr = end).
  Node* insert_node(Node* pos, std::unique_ptr<Node> node);
  void remove_node(Node* n);
  // Removes several nodes in one pass over the node list (remove_node per node is linear each).
  void remove_nodes(const std::vector<Node*>& doomed);
  // Reorders nodes topologically (stable: keeps file order where possible). Throws kBadInput naming a node on a
  // cycle or a use of an undefined value.
  void sort_topologically();
  // Nodes of this graph and all subgraphs, recursively (for statistics).
  size_t count_nodes_recursive() const;

 private:
  Graph* parent_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::unique_ptr<Value>> values_;
  std::unordered_map<std::string, Value*> by_name_;
};

struct OpsetImport {
  std::string domain;
  int64_t version = 0;
};

// A model-local function (FunctionProto).
struct Function {
  std::string name;
  std::string domain;
  std::string overload;
  std::string doc_string;
  std::vector<std::string> attributes;          // attribute names without defaults
  std::vector<Attribute> attribute_defaults;    // attribute_proto (IR 9+)
  std::vector<OpsetImport> opset_imports;
  std::shared_ptr<Graph> body;                  // inputs/outputs are the function's formal parameters
};

struct Model {
  int64_t ir_version = 0;
  std::vector<OpsetImport> opset_imports;
  std::string producer_name;
  std::string producer_version;
  std::string domain;
  int64_t model_version = 0;
  std::string doc_string;
  std::vector<std::pair<std::string, std::string>> metadata_props;
  std::vector<Function> functions;
  std::shared_ptr<Graph> graph;
  std::string path;  // file it was loaded from ("" when built in memory)

  // Imported version of `domain` ("" and "ai.onnx" are the same); 0 when not imported.
  int64_t opset(std::string_view domain) const;
  const Function* find_function(std::string_view domain, std::string_view name) const;
};

}  // namespace onyx
