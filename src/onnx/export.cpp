// IR → ModelProto.
#include "onyx/onnx.h"
#include "proto_convert.h"

namespace onyx {

namespace {

void export_graph(const Graph& g, onnx::GraphProto* gp);

void export_attribute(const Attribute& a, onnx::AttributeProto* ap) {
  ap->set_name(a.name);
  if (!a.ref_attr_name.empty()) ap->set_ref_attr_name(a.ref_attr_name);
  if (!a.doc_string.empty()) ap->set_doc_string(a.doc_string);
  if (a.type != AttrType::kUndefined) ap->set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
  switch (a.type) {
    case AttrType::kFloat: ap->set_f(a.f); break;
    case AttrType::kInt: ap->set_i(a.i); break;
    case AttrType::kString: ap->set_s(a.s); break;
    case AttrType::kTensor: proto::tensor_to_proto(a.t, ap->mutable_t()); break;
    case AttrType::kGraph: export_graph(*a.g, ap->mutable_g()); break;
    case AttrType::kSparseTensor: proto::sparse_to_proto(a.sparse, ap->mutable_sparse_tensor()); break;
    case AttrType::kTypeProto: proto::type_to_proto(a.tp, ap->mutable_tp()); break;
    case AttrType::kFloats: for (float f : a.floats) ap->add_floats(f); break;
    case AttrType::kInts: for (int64_t i : a.ints) ap->add_ints(i); break;
    case AttrType::kStrings: for (const auto& s : a.strings) ap->add_strings(s); break;
    case AttrType::kTensors: for (const auto& t : a.tensors) proto::tensor_to_proto(t, ap->add_tensors()); break;
    case AttrType::kGraphs: for (const auto& sg : a.graphs) export_graph(*sg, ap->add_graphs()); break;
    case AttrType::kSparseTensors:
      for (const auto& s : a.sparse_tensors) proto::sparse_to_proto(s, ap->add_sparse_tensors());
      break;
    case AttrType::kTypeProtos: for (const auto& t : a.tps) proto::type_to_proto(t, ap->add_type_protos()); break;
    case AttrType::kUndefined: break;
  }
}

void export_node(const Node& n, onnx::NodeProto* np) {
  for (const Value* v : n.inputs()) np->add_input(v ? v->name() : "");
  for (const Value* v : n.outputs()) np->add_output(v ? v->name() : "");
  if (!n.name.empty()) np->set_name(n.name);
  np->set_op_type(n.op_type);
  if (!n.domain.empty()) np->set_domain(n.domain);
  if (!n.doc_string.empty()) np->set_doc_string(n.doc_string);
  for (const Attribute& a : n.attributes) export_attribute(a, np->add_attribute());
}

void export_value_info(const Value& v, onnx::ValueInfoProto* vp) {
  vp->set_name(v.name());
  if (v.type.is_known()) proto::type_to_proto(v.type, vp->mutable_type());
  if (!v.doc_string.empty()) vp->set_doc_string(v.doc_string);
}

void export_graph(const Graph& g, onnx::GraphProto* gp) {
  if (!g.name.empty()) gp->set_name(g.name);
  if (!g.doc_string.empty()) gp->set_doc_string(g.doc_string);
  for (const auto& n : g.nodes()) export_node(*n, gp->add_node());
  for (const Value* v : g.initializers) {
    auto* tp = gp->add_initializer();
    proto::tensor_to_proto(*v->initializer, tp);
    tp->set_name(v->name());
    if (!v->doc_string.empty()) tp->set_doc_string(v->doc_string);
  }
  for (const auto& [v, sparse] : g.sparse_initializers) {
    auto* sp = gp->add_sparse_initializer();
    proto::sparse_to_proto(sparse, sp);
    sp->mutable_values()->set_name(v->name());
  }
  for (const Value* v : g.inputs) export_value_info(*v, gp->add_input());
  for (const Value* v : g.outputs) export_value_info(*v, gp->add_output());
  for (const Value* v : g.value_infos) export_value_info(*v, gp->add_value_info());
  for (const auto& a : g.quantization_annotations) {
    auto* qa = gp->add_quantization_annotation();
    qa->set_tensor_name(a.tensor_name);
    for (const auto& [k, val] : a.quant_parameter_tensor_names) {
      auto* kv = qa->add_quant_parameter_tensor_names();
      kv->set_key(k);
      kv->set_value(val);
    }
  }
}

}  // namespace

std::string serialize_model(const Model& m) {
  onnx::ModelProto mp;
  mp.set_ir_version(m.ir_version);
  for (const OpsetImport& o : m.opset_imports) {
    auto* op = mp.add_opset_import();
    op->set_domain(o.domain);
    op->set_version(o.version);
  }
  if (!m.producer_name.empty()) mp.set_producer_name(m.producer_name);
  if (!m.producer_version.empty()) mp.set_producer_version(m.producer_version);
  if (!m.domain.empty()) mp.set_domain(m.domain);
  if (m.model_version) mp.set_model_version(m.model_version);
  if (!m.doc_string.empty()) mp.set_doc_string(m.doc_string);
  for (const auto& [k, v] : m.metadata_props) {
    auto* kv = mp.add_metadata_props();
    kv->set_key(k);
    kv->set_value(v);
  }
  for (const Function& f : m.functions) {
    auto* fp = mp.add_functions();
    fp->set_name(f.name);
    fp->set_domain(f.domain);
    if (!f.doc_string.empty()) fp->set_doc_string(f.doc_string);
    for (const auto& a : f.attributes) fp->add_attribute(a);
    for (const OpsetImport& o : f.opset_imports) {
      auto* op = fp->add_opset_import();
      op->set_domain(o.domain);
      op->set_version(o.version);
    }
    for (const Value* v : f.body->inputs) fp->add_input(v->name());
    for (const Value* v : f.body->outputs) fp->add_output(v->name());
    for (const auto& n : f.body->nodes()) export_node(*n, fp->add_node());
  }
  if (m.graph) export_graph(*m.graph, mp.mutable_graph());
  std::string out;
  if (!mp.SerializeToString(&out)) fail(ErrorCode::kRuntime, "serializing the model failed (over 2 GiB?)");
  return out;
}

void save_model(const Model& m, const std::string& path) { write_file_atomic(path, serialize_model(m)); }

}  // namespace onyx
