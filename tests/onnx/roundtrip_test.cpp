// Import → export → import over every model of the ONNX backend test data:
//  - serialize_model(parse_model(serialize_model(load_model(M)))) is byte-identical to the first
//  serialization;
//  - the re-imported IR matches the original file read directly with onnx::ModelProto, field by field (nodes,
//  op
//    types, names, attributes, initializer bytes, input/output types), decoded here independently of onyx's
//    TensorProto reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx/onnx.pb.h"
#include "onyx/graph.h"
#include "onyx/onnx.h"

namespace onyx {

namespace {

std::vector<std::string> test_data_models() {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(ONYX_TEST_DATA_DIR, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(ONYX_TEST_DATA_DIR, ec))
    if (e.is_regular_file() && e.path().filename() == "model.onnx") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::string norm_domain(const std::string& d) {
  return d == "ai.onnx" ? "" : d;
}

// Collects mismatches as readable lines; the test fails if there are any.
class Comparer {
 public:
  std::vector<std::string> problems;

  void model(const onnx::ModelProto& p, const Model& m) {
    check(p.ir_version() == m.ir_version, "ir_version");
    if (p.opset_import_size() > 0) {
      check(static_cast<size_t>(p.opset_import_size()) == m.opset_imports.size(), "opset_import count");
      for (int i = 0; i < p.opset_import_size() && static_cast<size_t>(i) < m.opset_imports.size(); ++i) {
        check(p.opset_import(i).domain() == m.opset_imports[i].domain, "opset_import domain");
        check(p.opset_import(i).version() == m.opset_imports[i].version, "opset_import version");
      }
    }
    check(p.producer_name() == m.producer_name, "producer_name");
    check(p.producer_version() == m.producer_version, "producer_version");
    check(p.domain() == m.domain, "domain");
    check(p.model_version() == m.model_version, "model_version");
    check(p.doc_string() == m.doc_string, "doc_string");
    check(static_cast<size_t>(p.metadata_props_size()) == m.metadata_props.size(), "metadata_props count");
    for (int i = 0; i < p.metadata_props_size() && static_cast<size_t>(i) < m.metadata_props.size(); ++i) {
      check(p.metadata_props(i).key() == m.metadata_props[i].first, "metadata key");
      check(p.metadata_props(i).value() == m.metadata_props[i].second, "metadata value");
    }
    check(static_cast<size_t>(p.functions_size()) == m.functions.size(), "function count");
    for (int i = 0; i < p.functions_size() && static_cast<size_t>(i) < m.functions.size(); ++i) {
      const auto& fp = p.functions(i);
      const Function& f = m.functions[i];
      const std::string where = "function " + fp.name();
      check(fp.name() == f.name && fp.domain() == f.domain, where + ": name/domain");
      check(static_cast<size_t>(fp.input_size()) == f.body->inputs.size(), where + ": inputs");
      check(static_cast<size_t>(fp.output_size()) == f.body->outputs.size(), where + ": outputs");
      check(static_cast<size_t>(fp.node_size()) == f.body->nodes().size(), where + ": node count");
      for (int k = 0; k < fp.node_size() && static_cast<size_t>(k) < f.body->nodes().size(); ++k)
        node(fp.node(k), *f.body->nodes()[static_cast<size_t>(k)], where);
    }
    graph(p.graph(), *m.graph, "graph");
  }

 private:
  void check(bool ok, const std::string& what) {
    if (!ok) problems.push_back(what);
  }

  void graph(const onnx::GraphProto& p, const Graph& g, const std::string& where_in) {
    const std::string where = where_in + " '" + p.name() + "'";
    check(p.name() == g.name, where + ": name");
    check(p.doc_string() == g.doc_string, where + ": doc_string");
    check(static_cast<size_t>(p.node_size()) == g.nodes().size(), where + ": node count");
    for (int i = 0; i < p.node_size() && static_cast<size_t>(i) < g.nodes().size(); ++i)
      node(p.node(i), *g.nodes()[static_cast<size_t>(i)], where);
    check(static_cast<size_t>(p.initializer_size()) == g.initializers.size(), where + ": initializer count");
    for (int i = 0; i < p.initializer_size() && static_cast<size_t>(i) < g.initializers.size(); ++i) {
      const Value* v = g.initializers[static_cast<size_t>(i)];
      check(p.initializer(i).name() == v->name(), where + ": initializer name " + p.initializer(i).name());
      tensor(p.initializer(i), *v->initializer, where + " initializer " + v->name());
    }
    check(static_cast<size_t>(p.sparse_initializer_size()) == g.sparse_initializers.size(),
          where + ": sparse initializer count");
    value_infos(p.input(), g.inputs, where + " input");
    value_infos(p.output(), g.outputs, where + " output");
  }

  void value_infos(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& ps,
                   const std::vector<Value*>& vs, const std::string& where) {
    check(static_cast<size_t>(ps.size()) == vs.size(), where + " count");
    for (int i = 0; i < ps.size() && static_cast<size_t>(i) < vs.size(); ++i) {
      check(ps[i].name() == vs[static_cast<size_t>(i)]->name(), where + " name " + ps[i].name());
      if (ps[i].has_type())
        type(ps[i].type(), vs[static_cast<size_t>(i)]->type, where + " '" + ps[i].name() + "'");
    }
  }

  void type(const onnx::TypeProto& p, const TypeInfo& t, const std::string& where) {
    check(p.denotation() == t.denotation, where + ": denotation");
    switch (p.value_case()) {
      case onnx::TypeProto::kTensorType:
        check(t.kind == TypeInfo::Kind::kTensor, where + ": kind");
        check(p.tensor_type().elem_type() == static_cast<int32_t>(t.dtype), where + ": elem_type");
        shape(p.tensor_type().has_shape(), p.tensor_type().shape(), t, where);
        break;
      case onnx::TypeProto::kSparseTensorType:
        check(t.kind == TypeInfo::Kind::kSparseTensor, where + ": kind");
        check(p.sparse_tensor_type().elem_type() == static_cast<int32_t>(t.dtype), where + ": elem_type");
        shape(p.sparse_tensor_type().has_shape(), p.sparse_tensor_type().shape(), t, where);
        break;
      case onnx::TypeProto::kSequenceType:
        check(t.kind == TypeInfo::Kind::kSequence && t.element, where + ": kind");
        if (t.element) type(p.sequence_type().elem_type(), *t.element, where + " element");
        break;
      case onnx::TypeProto::kOptionalType:
        check(t.kind == TypeInfo::Kind::kOptional && t.element, where + ": kind");
        if (t.element) type(p.optional_type().elem_type(), *t.element, where + " element");
        break;
      case onnx::TypeProto::kMapType:
        check(t.kind == TypeInfo::Kind::kMap && t.element, where + ": kind");
        check(p.map_type().key_type() == static_cast<int32_t>(t.dtype), where + ": key type");
        if (t.element) type(p.map_type().value_type(), *t.element, where + " value");
        break;
      default:
        check(t.kind == TypeInfo::Kind::kUnknown, where + ": kind");
    }
  }

  void shape(bool has, const onnx::TensorShapeProto& p, const TypeInfo& t, const std::string& where) {
    check(has == t.has_shape, where + ": has_shape");
    if (!has) return;
    check(t.shape.rank_known() && static_cast<size_t>(p.dim_size()) == t.shape.rank(), where + ": rank");
    for (int i = 0; i < p.dim_size() && static_cast<size_t>(i) < t.shape.rank(); ++i) {
      const auto& d = p.dim(i);
      const Dim& td = t.shape[static_cast<size_t>(i)];
      if (d.has_dim_value())
        check(td.is_known() && td.value() == d.dim_value(), where + ": dim value");
      else if (d.has_dim_param())
        check(td.is_symbolic() && td.symbol_name() == d.dim_param(), where + ": dim param");
      else
        check(!td.is_known() && !td.is_symbolic(), where + ": unknown dim");
    }
  }

  void node(const onnx::NodeProto& p, const Node& n, const std::string& where_in) {
    const std::string where = where_in + " node '" + p.name() + "' (" + p.op_type() + ")";
    check(p.op_type() == n.op_type, where + ": op_type");
    check(norm_domain(p.domain()) == n.domain, where + ": domain");
    check(p.name() == n.name, where + ": name");
    check(p.doc_string() == n.doc_string, where + ": doc_string");
    check(static_cast<size_t>(p.input_size()) == n.num_inputs(), where + ": input count");
    for (int i = 0; i < p.input_size() && static_cast<size_t>(i) < n.num_inputs(); ++i) {
      const Value* v = n.input(static_cast<size_t>(i));
      check(p.input(i) == (v ? v->name() : ""), where + ": input " + p.input(i));
    }
    check(static_cast<size_t>(p.output_size()) == n.num_outputs(), where + ": output count");
    for (int i = 0; i < p.output_size() && static_cast<size_t>(i) < n.num_outputs(); ++i) {
      const Value* v = n.output(static_cast<size_t>(i));
      check(p.output(i) == (v ? v->name() : ""), where + ": output " + p.output(i));
    }
    check(static_cast<size_t>(p.attribute_size()) == n.attributes.size(), where + ": attribute count");
    for (int i = 0; i < p.attribute_size() && static_cast<size_t>(i) < n.attributes.size(); ++i)
      attribute(p.attribute(i), n.attributes[static_cast<size_t>(i)], where);
  }

  void attribute(const onnx::AttributeProto& p, const Attribute& a, const std::string& where_in) {
    const std::string where = where_in + " attribute '" + p.name() + "'";
    check(p.name() == a.name, where + ": name");
    check(p.ref_attr_name() == a.ref_attr_name, where + ": ref_attr_name");
    if (p.has_type() && p.type() != onnx::AttributeProto::UNDEFINED)
      check(static_cast<int>(p.type()) == static_cast<int>(a.type), where + ": type");
    switch (a.type) {
      case AttrType::kFloat:
        check(same_bits(p.f(), a.f), where + ": f");
        break;
      case AttrType::kInt:
        check(p.i() == a.i, where + ": i");
        break;
      case AttrType::kString:
        check(p.s() == a.s, where + ": s");
        break;
      case AttrType::kFloats: {
        bool same = static_cast<size_t>(p.floats_size()) == a.floats.size();
        for (int i = 0; same && i < p.floats_size(); ++i)
          same = same_bits(p.floats(i), a.floats[static_cast<size_t>(i)]);
        check(same, where + ": floats");
        break;
      }
      case AttrType::kInts:
        check(std::equal(p.ints().begin(), p.ints().end(), a.ints.begin(), a.ints.end()), where + ": ints");
        break;
      case AttrType::kStrings:
        check(std::equal(p.strings().begin(), p.strings().end(), a.strings.begin(), a.strings.end()),
              where + ": strings");
        break;
      case AttrType::kTensor:
        tensor(p.t(), a.t, where);
        break;
      case AttrType::kTensors:
        check(static_cast<size_t>(p.tensors_size()) == a.tensors.size(), where + ": tensor count");
        for (int i = 0; i < p.tensors_size() && static_cast<size_t>(i) < a.tensors.size(); ++i)
          tensor(p.tensors(i), a.tensors[static_cast<size_t>(i)], where);
        break;
      case AttrType::kGraph:
        check(a.g != nullptr, where + ": graph");
        if (a.g) graph(p.g(), *a.g, where + " graph");
        break;
      case AttrType::kGraphs:
        check(static_cast<size_t>(p.graphs_size()) == a.graphs.size(), where + ": graph count");
        for (int i = 0; i < p.graphs_size() && static_cast<size_t>(i) < a.graphs.size(); ++i)
          graph(p.graphs(i), *a.graphs[static_cast<size_t>(i)], where + " graph");
        break;
      case AttrType::kTypeProto:
        type(p.tp(), a.tp, where);
        break;
      default:
        break;
    }
  }

  // The tensor's bytes against the proto's data, decoded here from whichever field holds it.
  void tensor(const onnx::TensorProto& p, const Tensor& t, const std::string& where) {
    check(p.data_type() == static_cast<int32_t>(t.dtype()), where + ": data_type");
    check(std::equal(p.dims().begin(), p.dims().end(), t.dims().begin(), t.dims().end()), where + ": dims");
    if (p.data_location() == onnx::TensorProto::EXTERNAL) return;
    const int64_t n = t.numel();
    if (t.dtype() == DType::kString) {
      bool same = p.string_data_size() == n;
      for (int64_t i = 0; same && i < n; ++i)
        same = p.string_data(static_cast<int>(i)) == t.data<std::string>()[i];
      check(same, where + ": string_data");
      return;
    }
    const auto* bytes = static_cast<const unsigned char*>(t.raw_data());
    if (p.has_raw_data()) {
      check(p.raw_data().size() == t.nbytes() && std::memcmp(p.raw_data().data(), bytes, t.nbytes()) == 0,
            where + ": raw_data bytes");
      return;
    }
    const size_t elem = dtype_size(t.dtype());
    auto same_as = [&](auto field_value, int64_t i) {
      decltype(field_value) stored{};
      std::memcpy(&stored, bytes + static_cast<size_t>(i) * elem, sizeof stored);
      return std::memcmp(&stored, &field_value, sizeof stored) == 0;
    };
    bool same = true;
    switch (t.dtype()) {
      case DType::kFloat32:
        same = p.float_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) same = same_as(p.float_data(static_cast<int>(i)), i);
        break;
      case DType::kFloat64:
        same = p.double_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) same = same_as(p.double_data(static_cast<int>(i)), i);
        break;
      case DType::kInt64:
        same = p.int64_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) same = same_as(p.int64_data(static_cast<int>(i)), i);
        break;
      case DType::kUInt64:
        same = p.uint64_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) same = same_as(p.uint64_data(static_cast<int>(i)), i);
        break;
      case DType::kUInt32:
        same = p.uint64_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i)
          same = same_as(static_cast<uint32_t>(p.uint64_data(static_cast<int>(i))), i);
        break;
      case DType::kInt32:
        same = p.int32_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) same = same_as(p.int32_data(static_cast<int>(i)), i);
        break;
      case DType::kBool:
        same = p.int32_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i)
          same = same_as(static_cast<uint8_t>(p.int32_data(static_cast<int>(i)) != 0), i);
        break;
      default:
        // int8/uint8/int16/uint16/float16/bfloat16/float8: the low bits of each int32_data value.
        same = p.int32_data_size() == n;
        for (int64_t i = 0; same && i < n; ++i) {
          const auto v = static_cast<uint32_t>(p.int32_data(static_cast<int>(i)));
          same = elem == 1 ? same_as(static_cast<uint8_t>(v), i) : same_as(static_cast<uint16_t>(v), i);
        }
        break;
    }
    check(same, where + ": typed data");
  }
};

}  // namespace

TEST(RoundTrip, EveryTestDataModelIsLossless) {
  const auto models = test_data_models();
  if (models.empty()) GTEST_SKIP() << "no test data under " << ONYX_TEST_DATA_DIR;
  EXPECT_GT(models.size(), 1000u) << "expected all suites of the backend test data";
  size_t failures = 0;
  for (const std::string& path : models) {
    SCOPED_TRACE(path);
    onnx::ModelProto original;
    const std::string bytes = read_all(path);
    ASSERT_TRUE(original.ParseFromString(bytes));
    const std::string dir = std::filesystem::path(path).parent_path().string();
    try {
      const Model m1 = load_model(path);
      const std::string s1 = serialize_model(m1);
      const Model m2 = parse_model(s1, dir, path + " (re-imported)");
      const std::string s2 = serialize_model(m2);
      EXPECT_TRUE(s1 == s2) << "second serialization differs from the first (" << s1.size() << " vs "
                            << s2.size() << " bytes)";
      Comparer c;
      c.model(original, m2);
      for (const std::string& p : c.problems) ADD_FAILURE() << "differs from the original: " << p;
      if (!c.problems.empty() || s1 != s2) ++failures;
    } catch (const Error& e) {
      ADD_FAILURE() << e.what();
      ++failures;
    }
    if (failures > 20) break;
  }
}

TEST(RoundTrip, SerializationOfAModelBuiltInMemoryReimports) {
  Model m;
  m.ir_version = 9;
  m.opset_imports = {{"", 18}};
  m.producer_name = "onyx-test";
  m.metadata_props = {{"k", "v"}};
  m.graph = std::make_shared<Graph>();
  Graph& g = *m.graph;
  g.name = "g";
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("n"), Dim(3)}));
  g.inputs.push_back(x);
  Value* w = g.add_value("w");
  w->initializer = Tensor::from_vector<float>({3}, {1, 2, 3});
  w->type = TypeInfo::tensor(DType::kFloat32, Shape{3});
  g.initializers.push_back(w);
  Value* y = g.add_value("y");
  g.outputs.push_back(y);
  Node* n = g.add_node("Add", "", {x, w}, {y}, "add");
  (void)n;
  const std::string s1 = serialize_model(m);
  const Model back = parse_model(s1, "", "mem");
  EXPECT_EQ(serialize_model(back), s1);
  ASSERT_EQ(back.graph->nodes().size(), 1u);
  EXPECT_EQ(back.graph->nodes()[0]->name, "add");
  EXPECT_EQ(back.graph->inputs[0]->type.to_string(), "float32[n,3]");
  EXPECT_TRUE(back.graph->initializers[0]->initializer->bitwise_equal(*w->initializer));
  ASSERT_EQ(back.metadata_props.size(), 1u);
  EXPECT_EQ(back.metadata_props[0].second, "v");
}

}  // namespace onyx

namespace onyx {

// The comparison above must be able to fail: alter the proto in ways an importer could get wrong.
TEST(RoundTrip, ComparerNoticesDifferences) {
  const std::string path =
      std::string(ONYX_TEST_DATA_DIR) + "/node/test_conv_with_strides_padding/model.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present";
  const Model m = load_model(path);
  onnx::ModelProto p;
  ASSERT_TRUE(p.ParseFromString(read_all(path)));
  {
    Comparer c;
    c.model(p, m);
    EXPECT_TRUE(c.problems.empty());
  }
  onnx::ModelProto changed = p;
  auto* attr = changed.mutable_graph()->mutable_node(0)->mutable_attribute(0);
  if (attr->ints_size() > 0)
    attr->set_ints(0, attr->ints(0) + 1);
  else
    attr->set_i(attr->i() + 1);
  changed.mutable_graph()
      ->mutable_input(0)
      ->mutable_type()
      ->mutable_tensor_type()
      ->mutable_shape()
      ->mutable_dim(0)
      ->set_dim_param("other");
  changed.mutable_graph()->mutable_node(0)->set_name("renamed");
  Comparer c;
  c.model(changed, m);
  EXPECT_GE(c.problems.size(), 3u);
}

}  // namespace onyx
