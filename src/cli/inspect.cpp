// onyx inspect model M [--show layers,attrs,weights] [--json]
// The text layout follows `polygraphy inspect model` so its users feel at home.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commands.h"
#include "inspect_data.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx::cli {

namespace {

struct InspectOptions {
  std::string path;
  std::vector<std::string> show;
  bool json = false;
  bool no_infer = false;
};

std::string value_desc(const Value* v) {
  if (!v) return "<absent>";
  std::string s = "{" + v->name() + " [";
  if (v->type.kind == TypeInfo::Kind::kTensor) {
    s += "dtype=" + std::string(dtype_name(v->type.dtype)) + ", shape=";
    if (!v->type.shape.rank_known()) {
      s += "unknown";
    } else {
      s += "(";
      for (size_t i = 0; i < v->type.shape.rank(); ++i) s += (i ? ", " : "") + v->type.shape[i].to_string();
      s += v->type.shape.rank() == 1 ? ",)" : ")";
    }
  } else {
    s += "type=" + v->type.to_string();
  }
  return s + "]}";
}

struct ParamStats {
  uint64_t count = 0;
  uint64_t bytes = 0;
  size_t tensors = 0;
};

ParamStats param_stats(const Graph& g) {
  ParamStats s;
  for (const Value* v : g.initializers) {
    ++s.tensors;
    s.count += static_cast<uint64_t>(v->initializer->numel());
    s.bytes += v->initializer->dtype() == DType::kString ? 0 : v->initializer->nbytes();
  }
  return s;
}

void histogram(const Graph& g, std::map<std::string, size_t>& out) {
  for (const auto& n : g.nodes()) {
    ++out[(n->domain.empty() ? "" : n->domain + ".") + n->op_type];
    for (const Attribute& a : n->attributes) {
      if (a.g) histogram(*a.g, out);
      for (const auto& sg : a.graphs) histogram(*sg, out);
    }
  }
}

std::string human_bytes(uint64_t b) {
  std::ostringstream os;
  os.precision(3);
  if (b >= (1ull << 30)) os << static_cast<double>(b) / (1ull << 30) << " GiB";
  else if (b >= (1ull << 20)) os << static_cast<double>(b) / (1ull << 20) << " MiB";
  else if (b >= (1ull << 10)) os << static_cast<double>(b) / (1ull << 10) << " KiB";
  else os << b << " B";
  return os.str();
}

void print_graph_text(const Graph& g, const InspectOptions& o, const std::string& indent, bool show_layers,
                      bool show_attrs, bool show_weights) {
  std::cout << indent << "---- " << g.inputs.size() << " Graph Input(s) ----\n";
  for (const Value* v : g.inputs) std::cout << indent << value_desc(v) << "\n";
  std::cout << "\n" << indent << "---- " << g.outputs.size() << " Graph Output(s) ----\n";
  for (const Value* v : g.outputs) std::cout << indent << value_desc(v) << "\n";
  const ParamStats ps = param_stats(g);
  std::cout << "\n" << indent << "---- " << ps.tensors << " Initializer(s) ----\n";
  if (show_weights) {
    for (const Value* v : g.initializers)
      std::cout << indent << "Initializer | " << v->name() << " [dtype=" << dtype_name(v->initializer->dtype())
                << ", shape=" << dims_to_string(v->initializer->dims()) << "]\n";
  }
  std::cout << "\n" << indent << "---- " << g.nodes().size() << " Node(s) ----\n";
  if (!show_layers) return;
  size_t index = 0;
  for (const auto& n : g.nodes()) {
    std::cout << indent << "Node " << index++ << "    | " << n->name << " [Op: "
              << (n->domain.empty() ? "" : n->domain + ".") << n->op_type << "]\n";
    std::cout << indent << "    {";
    for (size_t i = 0; i < n->num_inputs(); ++i)
      std::cout << (i ? ",\n" + indent + "     " : "") << value_desc(n->input(i)).substr(1);
    std::cout << "}\n" << indent << "    -> {";
    for (size_t i = 0; i < n->num_outputs(); ++i)
      std::cout << (i ? ",\n" + indent + "        " : "") << value_desc(n->output(i)).substr(1);
    std::cout << "}\n";
    if (show_attrs && !n->attributes.empty()) {
      std::cout << indent << "    ---- Attributes ----\n";
      for (const Attribute& a : n->attributes) {
        std::cout << indent << "    " << a.name << " = " << a.to_string() << "\n";
        if (a.g) {
          std::cout << indent << "    ---- Subgraph " << a.name << " ----\n";
          print_graph_text(*a.g, o, indent + "        ", show_layers, show_attrs, show_weights);
        }
      }
    }
    std::cout << "\n";
  }
}

nlohmann::json value_json(const Value* v) {
  nlohmann::json j;
  if (!v) return nullptr;
  j["name"] = v->name();
  if (v->type.kind == TypeInfo::Kind::kTensor) {
    j["dtype"] = dtype_name(v->type.dtype);
    if (v->type.shape.rank_known()) {
      nlohmann::json dims = nlohmann::json::array();
      for (const Dim& d : v->type.shape.dims()) {
        if (d.is_known()) dims.push_back(d.value());
        else if (d.is_symbolic()) dims.push_back(d.symbol_name());
        else dims.push_back(nullptr);
      }
      j["shape"] = dims;
    } else {
      j["shape"] = nullptr;
    }
  } else {
    j["type"] = v->type.to_string();
  }
  return j;
}

nlohmann::json graph_json(const Graph& g, bool layers) {
  nlohmann::json j;
  j["name"] = g.name;
  j["inputs"] = nlohmann::json::array();
  for (const Value* v : g.inputs) j["inputs"].push_back(value_json(v));
  j["outputs"] = nlohmann::json::array();
  for (const Value* v : g.outputs) j["outputs"].push_back(value_json(v));
  const ParamStats ps = param_stats(g);
  j["initializers"] = ps.tensors;
  j["num_nodes"] = g.nodes().size();
  if (layers) {
    j["nodes"] = nlohmann::json::array();
    for (const auto& n : g.nodes()) {
      nlohmann::json jn;
      jn["name"] = n->name;
      jn["op_type"] = n->op_type;
      jn["domain"] = n->domain;
      jn["inputs"] = nlohmann::json::array();
      for (const Value* v : n->inputs()) jn["inputs"].push_back(value_json(v));
      jn["outputs"] = nlohmann::json::array();
      for (const Value* v : n->outputs()) jn["outputs"].push_back(value_json(v));
      nlohmann::json attrs = nlohmann::json::object();
      for (const Attribute& a : n->attributes) {
        switch (a.type) {
          case AttrType::kFloat: attrs[a.name] = a.f; break;
          case AttrType::kInt: attrs[a.name] = a.i; break;
          case AttrType::kString: attrs[a.name] = a.s; break;
          case AttrType::kFloats: attrs[a.name] = a.floats; break;
          case AttrType::kInts: attrs[a.name] = a.ints; break;
          case AttrType::kStrings: attrs[a.name] = a.strings; break;
          case AttrType::kGraph: attrs[a.name] = graph_json(*a.g, true); break;
          default: attrs[a.name] = a.to_string(); break;
        }
      }
      jn["attributes"] = attrs;
      j["nodes"].push_back(jn);
    }
  }
  return j;
}

int inspect_model(const InspectOptions& o) {
  Model m = load_model(o.path);
  std::string infer_note;
  if (!o.no_infer) {
    try {
      prepare_model(m);
    } catch (const Error& e) {
      // Inspection still works on models onyx cannot run; say why shapes may be missing.
      if (e.code() != ErrorCode::kUnsupported) throw;
      infer_note = e.what();
    }
  }
  std::set<std::string> show(o.show.begin(), o.show.end());
  for (const std::string& s : show)
    if (s != "layers" && s != "attrs" && s != "weights")
      fail_bad_input("--show: unknown item '", s, "' (choose from layers, attrs, weights)");
  std::map<std::string, size_t> ops;
  histogram(*m.graph, ops);
  const ParamStats ps = param_stats(*m.graph);
  if (o.json) {
    nlohmann::json j;
    j["path"] = o.path;
    j["ir_version"] = m.ir_version;
    j["producer_name"] = m.producer_name;
    j["producer_version"] = m.producer_version;
    j["domain"] = m.domain;
    j["model_version"] = m.model_version;
    j["opset_imports"] = nlohmann::json::object();
    for (const auto& op : m.opset_imports) j["opset_imports"][op.domain.empty() ? "ai.onnx" : op.domain] = op.version;
    j["metadata"] = nlohmann::json::object();
    for (const auto& [k, v] : m.metadata_props) j["metadata"][k] = v;
    j["graph"] = graph_json(*m.graph, show.count("layers") > 0);
    j["parameters"] = {{"count", ps.count}, {"bytes", ps.bytes}};
    j["op_histogram"] = ops;
    j["functions"] = nlohmann::json::array();
    for (const auto& f : m.functions) j["functions"].push_back(f.domain + "." + f.name);
    if (!infer_note.empty()) j["note"] = infer_note;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  std::cout << "[I] ==== ONNX Model ====\n";
  std::cout << "    Name: " << m.graph->name << " | ONNX Opset: " << m.opset("");
  for (const auto& op : m.opset_imports)
    if (!op.domain.empty() && op.domain != "ai.onnx") std::cout << " | " << op.domain << ": " << op.version;
  std::cout << "\n    IR version: " << m.ir_version;
  if (!m.producer_name.empty()) std::cout << " | Producer: " << m.producer_name << " " << m.producer_version;
  std::cout << "\n";
  for (const auto& [k, v] : m.metadata_props) std::cout << "    Metadata: " << k << " = " << v << "\n";
  if (!infer_note.empty()) std::cout << "    Note: " << infer_note << "\n";
  std::cout << "\n";
  print_graph_text(*m.graph, o, "    ", show.count("layers") > 0, show.count("attrs") > 0 || show.count("layers") > 0,
                   show.count("weights") > 0);
  std::cout << "\n    ---- Parameters ----\n    " << ps.count << " parameters, " << human_bytes(ps.bytes) << "\n";
  std::cout << "\n    ---- Op histogram (" << m.graph->count_nodes_recursive() << " nodes incl. subgraphs) ----\n";
  for (const auto& [op, count] : ops) std::cout << "    " << op << ": " << count << "\n";
  if (!m.functions.empty()) {
    std::cout << "\n    ---- " << m.functions.size() << " Function(s) ----\n";
    for (const auto& f : m.functions)
      std::cout << "    " << f.domain << "." << f.name << " (" << f.body->nodes().size() << " nodes)\n";
  }
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto* inspect = app.add_subcommand("inspect", "Show what a model, plan or data file holds");
  inspect->require_subcommand(1);
  auto o = std::make_shared<InspectOptions>();
  auto* model = inspect->add_subcommand("model", "Opsets, inputs/outputs, parameters, op histogram, layers");
  model->add_option("model", o->path, "ONNX model file")->required();
  model->add_option("--show", o->show, "Extra detail: layers, attrs, weights (comma separated)")->delimiter(',');
  model->add_flag("--json", o->json, "Machine-readable JSON on stdout");
  model->add_flag("--no-shape-inference", o->no_infer, "Show shapes exactly as the file states them");
  set_action(model, [o] { return inspect_model(*o); });
  add_inspect_data_subcommand(*inspect);
}

}  // namespace onyx::cli
