// ModelProto → IR.
#include <climits>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include "onyx/limits.h"
#include "onyx/onnx.h"
#include "onyx/validate.h"
#include "proto_convert.h"

namespace onyx {

namespace {

class Importer {
 public:
  Importer(std::string label, proto::ExternalData ext) : label_(std::move(label)), ext_(std::move(ext)) {}

  std::shared_ptr<Graph> import_graph(const onnx::GraphProto& gp, Graph* parent, int depth) {
    if (depth > limits().max_subgraph_depth)
      fail_bad_input(label_, ": subgraphs nested deeper than ", limits().max_subgraph_depth, " levels");
    auto g = std::make_shared<Graph>(parent);
    g->name = gp.name();
    g->doc_string = gp.doc_string();
    const std::string where = label_ + ": graph '" + gp.name() + "'";

    for (const auto& init : gp.initializer()) {
      if (init.name().empty()) fail_bad_input(where, ": initializer without a name");
      if (g->find_value(init.name())) fail_bad_input(where, ": duplicate initializer '", init.name(), "'");
      Value* v = g->add_value(init.name());
      // The ModelProto being imported is owned by this file's parse functions (never a caller's const object),
      // so its raw_data can be moved into the tensor instead of copied: weights are held once, not twice.
      v->initializer = proto::tensor_from_proto_moving(const_cast<onnx::TensorProto&>(init), ext_, where);
      v->type = TypeInfo::tensor(v->initializer->dtype(), v->initializer->shape());
      v->doc_string = init.doc_string();
      g->initializers.push_back(v);
    }
    for (const auto& sp : gp.sparse_initializer()) {
      const std::string sp_name = sp.values().name();
      if (sp_name.empty()) fail_bad_input(where, ": sparse initializer without a name");
      if (g->find_value(sp_name)) fail_bad_input(where, ": duplicate initializer '", sp_name, "'");
      SparseTensor s = proto::sparse_from_proto(sp, ext_, where);
      Value* v = g->add_value(sp_name);
      v->initializer = proto::densify(s, where + " sparse initializer '" + sp_name + "'");
      v->type = TypeInfo::tensor(v->initializer->dtype(), v->initializer->shape());
      g->sparse_initializers.emplace_back(v, std::move(s));
    }
    for (const auto& in : gp.input()) {
      if (in.name().empty()) fail_bad_input(where, ": graph input without a name");
      Value* v = g->find_value(in.name());
      if (v && !v->is_initializer()) fail_bad_input(where, ": duplicate graph input '", in.name(), "'");
      if (!v) v = g->add_value(in.name());
      TypeInfo declared = proto::type_from_proto(in.type(), where + " input '" + in.name() + "'");
      if (declared.is_known()) v->type = declared;
      v->doc_string = in.doc_string();
      g->inputs.push_back(v);
    }
    // Pass 1: every node output becomes a value, so inputs may refer to nodes later in file order and subgraphs
    // may capture any value of this graph.
    for (const auto& np : gp.node()) {
      for (int k = 0; k < np.output_size(); ++k) {
        const std::string& out = np.output(k);
        if (out.empty()) continue;
        for (int j = 0; j < k; ++j)
          if (np.output(j) == out)
            fail_bad_input(where, ": node '", np.name(), "' (", np.op_type(), ") lists output '", out, "' twice");
        if (Value* existing = g->find_value(out)) {
          if (existing->is_initializer())
            fail_bad_input(where, ": node '", np.name(), "' (", np.op_type(), ") output '", out,
                           "' is also an initializer");
          bool is_input = false;
          for (Value* in : g->inputs) is_input |= in == existing;
          if (is_input)
            fail_bad_input(where, ": graph input '", out, "' is also produced by node '", np.name(), "' (",
                           np.op_type(), ")");
          fail_bad_input(where, ": value '", out, "' is produced by more than one node (again by node '", np.name(),
                         "' (", np.op_type(), "))");
        }
        g->add_value(out);
      }
    }
    // Pass 2: nodes.
    for (const auto& np : gp.node()) import_node(np, *g, where, depth);
    for (const auto& vi : gp.value_info()) {
      Value* v = g->find_value(vi.name());
      if (!v) continue;  // value_info for a name nothing defines carries no information
      v->type = proto::type_from_proto(vi.type(), where + " value_info '" + vi.name() + "'");
      v->doc_string = vi.doc_string();
      g->value_infos.push_back(v);
    }
    for (const auto& out : gp.output()) {
      Value* v = g->lookup_value(out.name());
      if (!v) fail_bad_input(where, ": graph output '", out.name(), "' is not produced by any node");
      TypeInfo declared = proto::type_from_proto(out.type(), where + " output '" + out.name() + "'");
      if (declared.is_known()) v->type = declared;
      if (!out.doc_string().empty()) v->doc_string = out.doc_string();
      g->outputs.push_back(v);
    }
    for (const auto& qa : gp.quantization_annotation()) {
      Graph::Annotation a;
      a.tensor_name = qa.tensor_name();
      for (const auto& kv : qa.quant_parameter_tensor_names()) a.quant_parameter_tensor_names.emplace_back(kv.key(), kv.value());
      g->quantization_annotations.push_back(std::move(a));
    }
    g->sort_topologically();
    return g;
  }

 private:
  void import_node(const onnx::NodeProto& np, Graph& g, const std::string& where, int depth) {
    std::vector<Value*> ins;
    const std::string node_label = "node '" + np.name() + "' (" + np.op_type() + ")";
    for (const std::string& in : np.input()) {
      if (in.empty()) {
        ins.push_back(nullptr);
        continue;
      }
      Value* v = g.lookup_value(in);
      if (!v) fail_bad_input(where, ": ", node_label, " input '", in, "' is not produced by any node, input or initializer");
      ins.push_back(v);
    }
    std::vector<Value*> outs;
    for (const std::string& out : np.output()) outs.push_back(out.empty() ? nullptr : g.find_value(out));
    if (np.op_type().empty()) fail_bad_input(where, ": ", node_label, " has no op_type");
    Node* n = g.add_node(np.op_type(), np.domain() == "ai.onnx" ? "" : np.domain(), ins, outs, np.name());
    n->doc_string = np.doc_string();
    std::unordered_set<std::string> seen;
    for (const auto& ap : np.attribute()) {
      if (!seen.insert(ap.name()).second)
        fail_bad_input(where, ": ", node_label, " has attribute '", ap.name(), "' twice");
      n->attributes.push_back(import_attribute(ap, g, where + ": " + node_label, depth));
    }
  }

  Attribute import_attribute(const onnx::AttributeProto& ap, Graph& g, const std::string& where, int depth) {
    Attribute a;
    a.name = ap.name();
    a.ref_attr_name = ap.ref_attr_name();
    a.doc_string = ap.doc_string();
    const std::string aw = where + " attribute '" + ap.name() + "'";
    AttrType type = static_cast<AttrType>(ap.type());
    if (!ap.has_type() || type == AttrType::kUndefined) {
      // IR < 3 models may omit the discriminator: infer it from the field in use.
      if (ap.has_f()) type = AttrType::kFloat;
      else if (ap.has_i()) type = AttrType::kInt;
      else if (ap.has_s()) type = AttrType::kString;
      else if (ap.has_t()) type = AttrType::kTensor;
      else if (ap.has_g()) type = AttrType::kGraph;
      else if (ap.has_sparse_tensor()) type = AttrType::kSparseTensor;
      else if (ap.has_tp()) type = AttrType::kTypeProto;
      else if (ap.floats_size()) type = AttrType::kFloats;
      else if (ap.ints_size()) type = AttrType::kInts;
      else if (ap.strings_size()) type = AttrType::kStrings;
      else if (ap.tensors_size()) type = AttrType::kTensors;
      else if (ap.graphs_size()) type = AttrType::kGraphs;
      else if (ap.sparse_tensors_size()) type = AttrType::kSparseTensors;
      else if (ap.type_protos_size()) type = AttrType::kTypeProtos;
      else if (a.ref_attr_name.empty()) fail_bad_input(aw, ": attribute has no type and no value");
    }
    a.type = type;
    switch (type) {
      case AttrType::kFloat: a.f = ap.f(); break;
      case AttrType::kInt: a.i = ap.i(); break;
      case AttrType::kString: a.s = ap.s(); break;
      case AttrType::kTensor: a.t = proto::tensor_from_proto(ap.t(), ext_, aw); break;
      case AttrType::kGraph: a.g = import_graph(ap.g(), &g, depth + 1); break;
      case AttrType::kSparseTensor: a.sparse = proto::sparse_from_proto(ap.sparse_tensor(), ext_, aw); break;
      case AttrType::kTypeProto: a.tp = proto::type_from_proto(ap.tp(), aw); break;
      case AttrType::kFloats: a.floats.assign(ap.floats().begin(), ap.floats().end()); break;
      case AttrType::kInts: a.ints.assign(ap.ints().begin(), ap.ints().end()); break;
      case AttrType::kStrings: a.strings.assign(ap.strings().begin(), ap.strings().end()); break;
      case AttrType::kTensors:
        for (const auto& t : ap.tensors()) a.tensors.push_back(proto::tensor_from_proto(t, ext_, aw));
        break;
      case AttrType::kGraphs:
        for (const auto& sg : ap.graphs()) a.graphs.push_back(import_graph(sg, &g, depth + 1));
        break;
      case AttrType::kSparseTensors:
        for (const auto& s : ap.sparse_tensors()) a.sparse_tensors.push_back(proto::sparse_from_proto(s, ext_, aw));
        break;
      case AttrType::kTypeProtos:
        for (const auto& t : ap.type_protos()) a.tps.push_back(proto::type_from_proto(t, aw));
        break;
      case AttrType::kUndefined:
        break;
      default:
        fail_bad_input(aw, ": unknown attribute type ", static_cast<int>(type));
    }
    return a;
  }

  std::string label_;
  proto::ExternalData ext_;
};

Function import_function(const onnx::FunctionProto& fp, Importer& importer, const std::string& label) {
  Function f;
  f.name = fp.name();
  f.domain = fp.domain();
  f.doc_string = fp.doc_string();
  f.attributes.assign(fp.attribute().begin(), fp.attribute().end());
  for (const auto& o : fp.opset_import()) f.opset_imports.push_back({o.domain(), o.version()});
  // The body is imported as a graph whose inputs/outputs are the formal parameters.
  onnx::GraphProto gp;
  gp.set_name(fp.name());
  for (const auto& in : fp.input()) gp.add_input()->set_name(in);
  for (const auto& out : fp.output()) gp.add_output()->set_name(out);
  for (const auto& n : fp.node()) *gp.add_node() = n;
  f.body = importer.import_graph(gp, nullptr, 1);
  (void)label;
  return f;
}

// Model-local functions may call each other but not recursively (ONNX forbids it), and inlining them all must not
// explode: F calling G twice, G calling H twice, ... doubles the node count with every level.
class FunctionCheck {
 public:
  FunctionCheck(const Model& m, std::string label) : m_(m), label_(std::move(label)) {}

  void run() {
    const uint64_t total = expanded_nodes(*m_.graph);
    if (total > max_nodes_)
      fail_bad_input(label_, ": model-local functions expand to more than ", max_nodes_, " nodes when inlined");
  }

 private:
  // Nodes that inlining may create (the model's own nodes outside functions are not counted):
  // limits().max_inlined_nodes.
  const uint64_t max_nodes_ = limits().max_inlined_nodes;

  uint64_t expanded_nodes(const Graph& g, bool in_function = false) {
    uint64_t count = 0;
    for (const auto& n : g.nodes()) {
      const Function* f = m_.find_function(n->domain, n->op_type);
      count += f ? function_nodes(*f) : (in_function ? 1 : 0);
      for (const Attribute& a : n->attributes) {
        if (a.g) count += expanded_nodes(*a.g, in_function);
        for (const auto& sg : a.graphs) count += expanded_nodes(*sg, in_function);
      }
      count = std::min(count, max_nodes_ + 1);  // saturate
    }
    return count;
  }

  uint64_t function_nodes(const Function& f) {
    auto it = memo_.find(&f);
    if (it != memo_.end()) {
      if (it->second == kVisiting)
        fail_bad_input(label_, ": function '", f.domain, ".", f.name,
                       "' calls itself (directly or through other functions): recursion is not allowed");
      return it->second;
    }
    memo_[&f] = kVisiting;
    const uint64_t count = expanded_nodes(*f.body, /*in_function=*/true);
    memo_[&f] = count;
    return count;
  }

  static constexpr uint64_t kVisiting = UINT64_MAX;
  const Model& m_;
  std::string label_;
  std::unordered_map<const Function*, uint64_t> memo_;
};

}  // namespace

namespace {

// Error messages are one line naming the file: names taken from the model may hold control characters.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += "?";
    else out += c;
  }
  return out;
}

onnx::ModelProto parse_proto(std::string_view bytes, const std::string& label) {
  if (bytes.empty()) fail_bad_input(label, ": file is empty, not an ONNX model");
  onnx::ModelProto mp;
  if (bytes.size() > static_cast<size_t>(INT_MAX))
    fail_bad_input(
        label, ": file of ", bytes.size(),
        " bytes is over protobuf's 2 GiB limit for one message (store the weights as external data)");
  if (!mp.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    fail_bad_input(
        label,
        ": not a valid ONNX model (protobuf parse failed: truncated, not a ModelProto, or nested deeper "
        "than protobuf's limit of 100 levels)");
  return mp;
}

Model import_proto(onnx::ModelProto& mp, const std::string& base_dir, const std::string& label,
                   const LoadOptions& options) {
  if (!mp.has_ir_version() || mp.ir_version() <= 0)
    fail_bad_input(label, ": not a valid ONNX model (no ir_version)");
  if (!mp.has_graph()) fail_bad_input(label, ": not a valid ONNX model (no graph)");

  Model m;
  m.ir_version = mp.ir_version();
  m.producer_name = mp.producer_name();
  m.producer_version = mp.producer_version();
  m.domain = mp.domain();
  m.model_version = mp.model_version();
  m.doc_string = mp.doc_string();
  for (const auto& o : mp.opset_import()) {
    if (o.version() <= 0) fail_bad_input(label, ": opset import '", o.domain(), "' has invalid version ", o.version());
    m.opset_imports.push_back({o.domain(), o.version()});
  }
  if (m.opset_imports.empty()) {
    // IR version 2 and older had no opset_import; they meant opset 1 of the default domain.
    m.opset_imports.push_back({"", 1});
  }
  for (const auto& kv : mp.metadata_props()) m.metadata_props.emplace_back(kv.key(), kv.value());
  Importer importer(label, proto::ExternalData{base_dir, options.load_external_data});
  for (const auto& fp : mp.functions()) m.functions.push_back(import_function(fp, importer, label));
  m.graph = importer.import_graph(mp.graph(), nullptr, 0);
  validate_model(m, label);
  if (!m.functions.empty()) FunctionCheck(m, label).run();
  return m;
}

// Runs `fn`, naming the file in errors raised inside the IR (duplicate names, cycles) that do not know it.
template <typename F>
Model with_file_label(const std::string& label, F&& fn) {
  try {
    return fn();
  } catch (const Error& e) {
    const std::string_view msg = e.what();
    const bool named = msg.substr(0, label.size()) == label;
    throw Error(e.code(), one_line(named ? std::string(msg) : label + ": " + std::string(msg)));
  }
}

}  // namespace

Model parse_model(std::string_view bytes, const std::string& base_dir, const std::string& label,
                  const LoadOptions& options) {
  return with_file_label(label, [&] {
    onnx::ModelProto mp = parse_proto(bytes, label);
    return import_proto(mp, base_dir, label, options);
  });
}

Model load_model(const std::string& path, const LoadOptions& options) {
  std::filesystem::path p(path);
  std::string dir = p.parent_path().string();
  if (dir.empty()) dir = ".";
  Model m = with_file_label(path, [&] {
    onnx::ModelProto mp;
    {
      const std::string bytes = read_file_bytes(path);
      mp = parse_proto(bytes, path);
    }  // the file's bytes are freed before the tensors are built
    return import_proto(mp, dir, path, options);
  });
  m.path = path;
  return m;
}

}  // namespace onyx
