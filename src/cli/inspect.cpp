// onyx inspect model M [--show layers attrs weights] [--json] [--no-shape-inference]
//
// The text layout follows `polygraphy inspect model` so its users feel at home: the same section headers
// ("---- 1 Graph Input(s) ----"), tensors as {name [dtype=float32, shape=('batch', 3, 224, 224)]}, nodes as
// "Node 0    | name [Op: Conv]" with their inputs, outputs and attributes, subgraphs indented under the
// attribute that holds them. onyx adds the IR version and producer, a parameter count and an op histogram.
#include <charconv>
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

struct ShowFlags {
  bool layers = false;
  bool attrs = false;
  bool weights = false;
};

constexpr size_t kMaxValuesShown = 8;

// ---- formatting helpers
// -------------------------------------------------------------------------------------

// Messages are one line: names taken from the model may hold control characters.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else if (u < 0x20 || u == 0x7f)
      out += "?";
    else
      out += c;
  }
  return out;
}

// Shortest round-trip spelling, Python style: 1.0, 0.1, 1e-05, nan, inf.
template <typename F>
std::string float_repr(F v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, r.ptr);
  if (s.find_first_of(".ein") == std::string::npos) s += ".0";
  return s;
}

std::string py_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// Python tuple spelling, as polygraphy prints shapes: (), (5,), (1, 3, 'h', 'w'); unknown dims as '?'.
std::string shape_tuple(const Shape& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.rank(); ++i) {
    if (i) out += ", ";
    const Dim& d = s[i];
    out += d.is_known() ? std::to_string(d.value()) : d.is_symbolic() ? py_quote(d.symbol_name()) : "?";
  }
  return out + (s.rank() == 1 ? ",)" : ")");
}
std::string dims_tuple(const std::vector<int64_t>& dims) {
  return shape_tuple(Shape::from_dims(dims));
}

std::string type_meta(const TypeInfo& t) {
  if (t.kind == TypeInfo::Kind::kTensor) {
    std::string s = " [dtype=" + std::string(dtype_name(t.dtype));
    if (t.shape.rank_known()) s += ", shape=" + shape_tuple(t.shape);
    return s + "]";
  }
  if (!t.is_known()) return "";
  return " [type=" + t.to_string() + "]";
}

// First few values of a tensor: [1, 2, 3, ..., 9] (64 values).
std::string values_summary(const Tensor& t) {
  std::string out = "[";
  const int64_t n = t.numel();
  const int64_t shown = std::min<int64_t>(n, static_cast<int64_t>(kMaxValuesShown));
  try {
    for (int64_t i = 0; i < shown; ++i) {
      if (i) out += ", ";
      if (t.dtype() == DType::kString)
        out += py_quote(t.data<std::string>()[i]);
      else if (dtype_is_float(t.dtype()))
        out += float_repr(t.get_double(i));
      else
        out += std::to_string(t.get_int(i));
    }
  } catch (const Error&) {
    return "<values of " + std::string(dtype_name(t.dtype())) + " not shown>";
  }
  if (n > shown) out += ", ...";
  out += "]";
  if (n > shown) out += " (" + std::to_string(n) + " values)";
  return out;
}

// ---- statistics
// ---------------------------------------------------------------------------------------------

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
  for (const auto& [v, sparse] : g.sparse_initializers) {
    ++s.tensors;
    s.count += static_cast<uint64_t>(v->initializer->numel());
    s.bytes += v->initializer->dtype() == DType::kString ? 0 : v->initializer->nbytes();
  }
  return s;
}

std::string op_name(const Node& n) {
  return (n.domain.empty() ? "" : n.domain + ".") + n.op_type;
}

template <typename F>
void for_each_subgraph(const Attribute& a, F&& fn) {
  if (a.g) fn(*a.g);
  for (const auto& sg : a.graphs)
    if (sg) fn(*sg);
}

void histogram(const Graph& g, std::map<std::string, size_t>& out) {
  for (const auto& n : g.nodes()) {
    ++out[op_name(*n)];
    for (const Attribute& a : n->attributes)
      for_each_subgraph(a, [&](const Graph& sub) { histogram(sub, out); });
  }
}

std::string human_bytes(uint64_t b) {
  std::ostringstream os;
  os.precision(3);
  if (b >= (1ull << 30))
    os << static_cast<double>(b) / (1ull << 30) << " GiB";
  else if (b >= (1ull << 20))
    os << static_cast<double>(b) / (1ull << 20) << " MiB";
  else if (b >= (1ull << 10))
    os << static_cast<double>(b) / (1ull << 10) << " KiB";
  else
    os << b << " B";
  return os.str();
}

// Graph inputs without the initializers that IR < 4 models also list as inputs (polygraphy hides those too).
std::vector<const Value*> real_inputs(const Graph& g) {
  std::vector<const Value*> out;
  for (const Value* v : g.inputs)
    if (!v->is_initializer()) out.push_back(v);
  return out;
}

// ---- text
// ---------------------------------------------------------------------------------------------------

class TextPrinter {
 public:
  TextPrinter(std::ostream& os, ShowFlags show) : os_(os), show_(show) {}

  void graph(const Graph& g, const std::string& indent, bool sub) {
    const char* kind = sub ? "Subgraph" : "Graph";
    const auto inputs = real_inputs(g);
    os_ << indent << "---- " << inputs.size() << " " << kind << " Input(s) ----\n";
    value_block(inputs, indent);
    os_ << "\n" << indent << "---- " << g.outputs.size() << " " << kind << " Output(s) ----\n";
    value_block({g.outputs.begin(), g.outputs.end()}, indent);
    const size_t num_inits = g.initializers.size() + g.sparse_initializers.size();
    os_ << "\n" << indent << "---- " << num_inits << " Initializer(s) ----\n";
    if (show_.weights) {
      for (const Value* v : g.initializers) initializer_line(*v, indent);
      for (const auto& [v, sparse] : g.sparse_initializers) initializer_line(*v, indent);
      if (num_inits == 0) os_ << indent << "{}\n";
      os_ << "\n";
    } else if (show_.layers) {
      std::vector<const Value*> inits(g.initializers.begin(), g.initializers.end());
      for (const auto& [v, sparse] : g.sparse_initializers) inits.push_back(v);
      value_block(inits, indent);
      os_ << "\n";
    } else {
      os_ << "\n";
    }
    os_ << indent << "---- " << g.nodes().size() << " Node(s) ----\n";
    if (!show_.layers) return;
    size_t index = 0;
    for (const auto& n : g.nodes()) node(*n, index++, indent);
  }

 private:
  std::string tensor_desc(const Value* v, bool mark_initializers) const {
    if (!v) return "<absent>";
    if (v->is_initializer())
      return (mark_initializers ? "Initializer | " : "") + v->name() +
             " [dtype=" + std::string(dtype_name(v->initializer->dtype())) +
             ", shape=" + dims_tuple(v->initializer->dims()) + "]";
    return v->name() + type_meta(v->type);
  }

  // {a [...],
  //  b [...]}
  void value_block(const std::vector<const Value*>& values, const std::string& indent,
                   const std::string& lead = "", bool mark_initializers = false) {
    os_ << indent << lead << "{";
    const std::string cont = ",\n" + indent + std::string(lead.size() + 1, ' ');
    for (size_t i = 0; i < values.size(); ++i)
      os_ << (i ? cont : "") << tensor_desc(values[i], mark_initializers);
    os_ << "}\n";
  }

  void initializer_line(const Value& v, const std::string& indent) {
    os_ << indent << "Initializer | " << v.name() << " [dtype=" << dtype_name(v.initializer->dtype())
        << ", shape=" << dims_tuple(v.initializer->dims()) << "] | Values:\n"
        << indent << "    " << values_summary(*v.initializer) << "\n";
  }

  void node(const Node& n, size_t index, const std::string& indent) {
    std::string idx = std::to_string(index);
    if (idx.size() < 4) idx.resize(4, ' ');
    os_ << indent << "Node " << idx << " | " << (n.name.empty() ? "<unnamed>" : n.name)
        << " [Op: " << op_name(n) << "]\n";
    const std::string inner = indent + "    ";
    value_block({n.inputs().begin(), n.inputs().end()}, inner, "", true);
    value_block({n.outputs().begin(), n.outputs().end()}, inner, " -> ", true);
    if (show_.attrs && !n.attributes.empty()) {
      os_ << inner << "---- Attributes ----\n";
      const std::string prefix = n.name.empty() ? "" : n.name + ".";
      for (const Attribute& a : n.attributes) attribute(a, prefix, inner);
    }
    os_ << "\n";
  }

  std::string tensor_attr(const Tensor& t) const {
    std::string s =
        "Tensor: [dtype=" + std::string(dtype_name(t.dtype())) + ", shape=" + dims_tuple(t.dims()) + "]";
    if (show_.weights) s += " | Values: " + values_summary(t);
    return s;
  }

  void attribute(const Attribute& a, const std::string& prefix, const std::string& indent) {
    os_ << indent << prefix << a.name << " =";
    if (!a.ref_attr_name.empty()) {
      os_ << " @" << a.ref_attr_name << "\n";
      return;
    }
    auto list = [&](const auto& v, auto&& fmt) {
      os_ << " [";
      for (size_t i = 0; i < v.size(); ++i) os_ << (i ? ", " : "") << fmt(v[i]);
      os_ << "]\n";
    };
    switch (a.type) {
      case AttrType::kFloat:
        os_ << " " << float_repr(a.f) << "\n";
        break;
      case AttrType::kInt:
        os_ << " " << a.i << "\n";
        break;
      case AttrType::kString:
        os_ << " " << a.s << "\n";
        break;
      case AttrType::kFloats:
        list(a.floats, [](float f) { return float_repr(f); });
        break;
      case AttrType::kInts:
        list(a.ints, [](int64_t i) { return std::to_string(i); });
        break;
      case AttrType::kStrings:
        list(a.strings, py_quote);
        break;
      case AttrType::kTensor:
        os_ << " " << tensor_attr(a.t) << "\n";
        break;
      case AttrType::kTensors:
        list(a.tensors, [&](const Tensor& t) { return tensor_attr(t); });
        break;
      case AttrType::kGraph:
        os_ << "\n";
        if (a.g) graph(*a.g, indent + "        ", true);
        break;
      case AttrType::kGraphs:
        os_ << " " << a.graphs.size() << " graph(s)\n";
        for (size_t i = 0; i < a.graphs.size(); ++i) {
          os_ << indent << "    " << a.name << "[" << i << "] =\n";
          if (a.graphs[i]) graph(*a.graphs[i], indent + "        ", true);
        }
        break;
      default:
        os_ << " " << a.to_string() << "\n";
        break;
    }
  }

  std::ostream& os_;
  ShowFlags show_;
};

// ---- JSON
// ---------------------------------------------------------------------------------------------------

nlohmann::json shape_json(const Shape& s) {
  if (!s.rank_known()) return nullptr;
  nlohmann::json dims = nlohmann::json::array();
  for (const Dim& d : s.dims()) {
    if (d.is_known())
      dims.push_back(d.value());
    else if (d.is_symbolic())
      dims.push_back(d.symbol_name());
    else
      dims.push_back(nullptr);
  }
  return dims;
}

nlohmann::json value_json(const Value* v) {
  if (!v) return nullptr;
  nlohmann::json j;
  j["name"] = v->name();
  if (v->is_initializer()) {
    j["dtype"] = dtype_name(v->initializer->dtype());
    j["shape"] = v->initializer->dims();
    j["initializer"] = true;
  } else if (v->type.kind == TypeInfo::Kind::kTensor) {
    j["dtype"] = dtype_name(v->type.dtype);
    j["shape"] = shape_json(v->type.shape);
  } else {
    j["type"] = v->type.to_string();
  }
  return j;
}

nlohmann::json tensor_json(const Tensor& t, bool values) {
  nlohmann::json j = {{"dtype", dtype_name(t.dtype())}, {"shape", t.dims()}};
  if (values) j["values"] = values_summary(t);
  return j;
}

nlohmann::json graph_json(const Graph& g, const ShowFlags& show) {
  nlohmann::json j;
  j["name"] = g.name;
  j["inputs"] = nlohmann::json::array();
  for (const Value* v : real_inputs(g)) j["inputs"].push_back(value_json(v));
  j["outputs"] = nlohmann::json::array();
  for (const Value* v : g.outputs) j["outputs"].push_back(value_json(v));
  j["initializers"] = nlohmann::json::array();
  for (const Value* v : g.initializers) {
    nlohmann::json ji = tensor_json(*v->initializer, show.weights);
    ji["name"] = v->name();
    j["initializers"].push_back(ji);
  }
  for (const auto& [v, sparse] : g.sparse_initializers) {
    nlohmann::json ji = tensor_json(*v->initializer, show.weights);
    ji["name"] = v->name();
    ji["sparse"] = true;
    j["initializers"].push_back(ji);
  }
  j["num_nodes"] = g.nodes().size();
  if (!show.layers) return j;
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
      if (!a.ref_attr_name.empty()) {
        attrs[a.name] = {{"ref_attr_name", a.ref_attr_name}};
        continue;
      }
      switch (a.type) {
        case AttrType::kFloat:
          attrs[a.name] = a.f;
          break;
        case AttrType::kInt:
          attrs[a.name] = a.i;
          break;
        case AttrType::kString:
          attrs[a.name] = a.s;
          break;
        case AttrType::kFloats:
          attrs[a.name] = a.floats;
          break;
        case AttrType::kInts:
          attrs[a.name] = a.ints;
          break;
        case AttrType::kStrings:
          attrs[a.name] = a.strings;
          break;
        case AttrType::kTensor:
          attrs[a.name] = tensor_json(a.t, show.weights);
          break;
        case AttrType::kGraph:
          attrs[a.name] = a.g ? graph_json(*a.g, show) : nullptr;
          break;
        case AttrType::kGraphs: {
          nlohmann::json gs = nlohmann::json::array();
          for (const auto& sg : a.graphs) gs.push_back(sg ? graph_json(*sg, show) : nullptr);
          attrs[a.name] = gs;
          break;
        }
        default:
          attrs[a.name] = a.to_string();
          break;
      }
    }
    jn["attributes"] = attrs;
    j["nodes"].push_back(jn);
  }
  return j;
}

// ---- the command
// --------------------------------------------------------------------------------------------

ShowFlags parse_show(const std::vector<std::string>& items) {
  ShowFlags s;
  for (const std::string& item : items) {
    if (item == "layers")
      s.layers = true;
    else if (item == "attrs")
      s.attrs = true;
    else if (item == "weights")
      s.weights = true;
    else
      fail_bad_input("--show: unknown item '", item, "' (choose from layers, attrs, weights)");
  }
  // Nodes are listed with their attributes: `--show layers` alone is the common request.
  if (s.layers) s.attrs = true;
  return s;
}

std::string other_opsets(const Model& m) {
  std::string out;
  for (const auto& op : m.opset_imports) {
    if (op.domain.empty() || op.domain == "ai.onnx") continue;
    out += (out.empty() ? "" : ", ") + py_quote(op.domain) + ": " + std::to_string(op.version);
  }
  return out.empty() ? out : "{" + out + "}";
}

int inspect_model(const InspectOptions& o) {
  const ShowFlags show = parse_show(o.show);
  Model m = load_model(o.path);
  std::string note;
  if (!o.no_infer) {
    try {
      prepare_model(m);
    } catch (const Error& e) {
      // Inspection works on models onyx cannot run yet: say why shapes may be missing. Anything else is an
      // error in the model (or in onyx) and is reported, naming the file.
      const std::string msg = e.what();
      if (e.code() != ErrorCode::kUnsupported)
        throw Error(e.code(),
                    one_line(msg.compare(0, o.path.size(), o.path) == 0 ? msg : o.path + ": " + msg));
      note = one_line(msg);
    }
  }
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
    for (const auto& op : m.opset_imports)
      j["opset_imports"][op.domain.empty() ? "ai.onnx" : op.domain] = op.version;
    j["metadata"] = nlohmann::json::object();
    for (const auto& [k, v] : m.metadata_props) j["metadata"][k] = v;
    j["graph"] = graph_json(*m.graph, show);
    j["parameters"] = {{"count", ps.count}, {"bytes", ps.bytes}};
    j["op_histogram"] = ops;
    j["num_nodes_recursive"] = m.graph->count_nodes_recursive();
    j["functions"] = nlohmann::json::array();
    for (const auto& f : m.functions)
      j["functions"].push_back(
          {{"domain", f.domain}, {"name", f.name}, {"num_nodes", f.body->nodes().size()}});
    if (!note.empty()) j["note"] = note;
    // Names in a model need not be UTF-8: replace bad bytes rather than fail.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
  }
  std::ostringstream os;
  const std::string indent = "    ";
  os << "[I] ==== ONNX Model ====\n";
  os << indent << "Name: " << m.graph->name << " | ONNX Opset: " << m.opset("");
  if (const std::string other = other_opsets(m); !other.empty()) os << " | Other Opsets: " << other;
  os << "\n" << indent << "IR Version: " << m.ir_version;
  if (!m.producer_name.empty() || !m.producer_version.empty()) {
    os << " | Producer: " << m.producer_name;
    if (!m.producer_version.empty()) os << " " << m.producer_version;
  }
  if (!m.domain.empty()) os << " | Domain: " << m.domain;
  if (m.model_version) os << " | Model Version: " << m.model_version;
  os << "\n";
  for (const auto& [k, v] : m.metadata_props) os << indent << "Metadata: " << k << " = " << v << "\n";
  if (!note.empty()) os << indent << "Note: " << note << "\n";
  os << "\n";
  TextPrinter(os, show).graph(*m.graph, indent, false);
  os << "\n"
     << indent << "---- Parameters ----\n"
     << indent << ps.count << " parameters in " << ps.tensors << " initializer(s), " << human_bytes(ps.bytes)
     << "\n";
  os << "\n"
     << indent << "---- Op Histogram (" << m.graph->count_nodes_recursive()
     << " node(s) incl. subgraphs) ----\n";
  for (const auto& [op, count] : ops) os << indent << op << ": " << count << "\n";
  if (!m.functions.empty()) {
    os << "\n" << indent << "---- " << m.functions.size() << " Function(s) ----\n";
    for (const auto& f : m.functions)
      os << indent << (f.domain.empty() ? "" : f.domain + ".") << f.name << " (" << f.body->nodes().size()
         << " node(s))\n";
  }
  std::cout << os.str() << std::flush;
  return 0;
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto* inspect = app.add_subcommand("inspect", "Show what a model, plan or data file holds");
  inspect->require_subcommand(1);
  auto o = std::make_shared<InspectOptions>();
  auto* model = inspect->add_subcommand("model", "Opsets, inputs/outputs, parameters, op histogram, layers");
  model->add_option("model", o->path, "ONNX model file")->required();
  model
      ->add_option("--show", o->show,
                   "Extra detail: layers (nodes with their attributes), attrs, weights (initializer values); "
                   "several may be given, separated by spaces or commas")
      ->delimiter(',');
  model->add_flag("--json", o->json, "Machine-readable JSON on stdout");
  model->add_flag("--no-shape-inference", o->no_infer, "Show shapes exactly as the file states them");
  set_action(model, [o] { return inspect_model(*o); });
  add_inspect_data_subcommand(*inspect);
  add_inspect_plan_subcommand(*inspect);
}

}  // namespace onyx::cli
