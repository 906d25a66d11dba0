// Structural validation of the graph IR.
//
// load_model() runs it on every model it returns; graph passes run it after rewriting a graph, so a pass that
// leaves a dangling value or a stale use list is caught at once instead of as a wrong result or a crash
// later.
#pragma once

#include <string>

#include "onyx/graph.h"

namespace onyx {

// Checks `graph` and, recursively, every subgraph of its nodes:
//  - names: each value of a graph is registered under its own name exactly once, and a node's input resolves
//  by
//    name (this graph first, then enclosing graphs) to the very value the node points at;
//  - definitions: every node input is a graph input, an initializer or a node output of this graph or of an
//    enclosing one (a subgraph capture); every value is produced by at most one node, graph inputs and
//    initializers by none;
//  - order: nodes are in topological order, so there is no cycle and nothing is read before it is produced
//  (for a
//    capture: before the node holding the subgraph);
//  - use lists: each value's use list holds exactly the (node, input index) pairs that read it;
//  - graph outputs are defined; attribute names of a node are unique; subgraphs point at their enclosing
//  graph and
//    nest no deeper than limits().max_subgraph_depth.
// Throws onyx::Error (kBadInput) with one line "<label>: graph '<name>': <what>" naming the node or value.
void validate_graph(const Graph& graph, const std::string& label = "model");

// validate_graph on the main graph and on the body of every model-local function.
void validate_model(const Model& model, const std::string& label = "");

}  // namespace onyx
