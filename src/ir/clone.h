// Deep copies of graph pieces, with value renaming (for function inlining and graph rewrites).
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include "onyx/graph.h"

namespace onyx {

// Copies `src`'s nodes into `dst` after mapping their values: a value found in `value_map` is reused, any other
// value produced inside `src` gets a fresh value in `dst` named `prefix + name` (made unique), and values
// captured from outside `src` are kept as they are. Subgraph attributes are deep-copied with their parent set to
// `dst`. `on_node` may edit each copied node (e.g. to resolve attribute references). Returns the new nodes.
std::vector<Node*> clone_nodes_into(const Graph& src, Graph& dst, std::unordered_map<const Value*, Value*>& value_map,
                                    const std::string& prefix, Node* insert_before,
                                    const std::function<void(Node&)>& on_node = {});

// A deep copy of a whole graph (values, initializers, nodes, subgraphs) whose parent is `parent`.
std::shared_ptr<Graph> clone_graph(const Graph& src, Graph* parent);

}  // namespace onyx
