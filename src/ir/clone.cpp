#include "clone.h"

namespace onyx {

namespace {

std::shared_ptr<Graph> clone_graph_mapped(const Graph& src, Graph* parent,
                                          std::unordered_map<const Value*, Value*>& map);

Attribute clone_attribute(const Attribute& a, Graph& owner, std::unordered_map<const Value*, Value*>& map) {
  Attribute c = a;
  if (a.g) c.g = clone_graph_mapped(*a.g, &owner, map);
  for (size_t i = 0; i < a.graphs.size(); ++i) c.graphs[i] = clone_graph_mapped(*a.graphs[i], &owner, map);
  return c;
}

Value* mapped(const Value* v, std::unordered_map<const Value*, Value*>& map) {
  if (!v) return nullptr;
  auto it = map.find(v);
  return it == map.end() ? const_cast<Value*>(v) : it->second;
}

Node* clone_node(const Node& n, Graph& dst, std::unordered_map<const Value*, Value*>& map) {
  std::vector<Value*> ins, outs;
  for (const Value* v : n.inputs()) ins.push_back(mapped(v, map));
  for (const Value* v : n.outputs()) outs.push_back(mapped(v, map));
  Node* c = dst.add_node(n.op_type, n.domain, ins, outs, n.name);
  c->doc_string = n.doc_string;
  c->opset = n.opset;
  for (const Attribute& a : n.attributes) c->attributes.push_back(clone_attribute(a, dst, map));
  return c;
}

std::shared_ptr<Graph> clone_graph_mapped(const Graph& src, Graph* parent,
                                          std::unordered_map<const Value*, Value*>& map) {
  auto g = std::make_shared<Graph>(parent);
  g->name = src.name;
  g->doc_string = src.doc_string;
  for (Value* v : src.values()) {
    Value* c = g->add_value(v->name());
    c->type = v->type;
    c->doc_string = v->doc_string;
    c->initializer = v->initializer;
    map[v] = c;
  }
  auto map_list = [&](const std::vector<Value*>& in) {
    std::vector<Value*> out;
    for (Value* v : in) out.push_back(mapped(v, map));
    return out;
  };
  g->inputs = map_list(src.inputs);
  g->outputs = map_list(src.outputs);
  g->initializers = map_list(src.initializers);
  g->value_infos = map_list(src.value_infos);
  for (const auto& [v, s] : src.sparse_initializers) g->sparse_initializers.emplace_back(mapped(v, map), s);
  g->quantization_annotations = src.quantization_annotations;
  for (const auto& n : src.nodes()) clone_node(*n, *g, map);
  return g;
}

}  // namespace

std::vector<Node*> clone_nodes_into(const Graph& src, Graph& dst, std::unordered_map<const Value*, Value*>& value_map,
                                    const std::string& prefix, Node* insert_before,
                                    const std::function<void(Node&)>& on_node) {
  (void)insert_before;  // nodes are appended; callers re-sort the graph
  for (Value* v : src.values()) {
    if (value_map.count(v)) continue;
    Value* c = dst.add_value(dst.unique_name(prefix + v->name()));
    c->type = v->type;
    c->initializer = v->initializer;
    if (c->initializer) dst.initializers.push_back(c);
    value_map[v] = c;
  }
  std::vector<Node*> out;
  for (const auto& n : src.nodes()) {
    Node* c = clone_node(*n, dst, value_map);
    if (!c->name.empty()) c->name = prefix + c->name;
    if (on_node) on_node(*c);
    out.push_back(c);
  }
  return out;
}

std::shared_ptr<Graph> clone_graph(const Graph& src, Graph* parent) {
  std::unordered_map<const Value*, Value*> map;
  return clone_graph_mapped(src, parent, map);
}

}  // namespace onyx
