// Helpers shared by the builder and the engine loader.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine_data.h"

namespace onyx {

// Visits every node of `g` and of its subgraphs, depth first in node order (the order of a plan's
// node_opsets).
void for_each_node_recursive(const Graph& g, const std::function<void(const Node&)>& fn);
void for_each_node_recursive_mut(Graph& g, const std::function<void(Node&)>& fn);

// Fills values/value_id/steps (node, inputs, outputs, free_after)/input_ids/output_ids of `d` from `g`. Input
// ids are the graph inputs that are not initializers.
void index_graph(EngineData& d, const Graph& g);

// The arena layout for one profile given the static shapes of values (by name) at the profile's max shapes.
// `storage` (optional): values a target stores in another dtype than the model's (cuda fp16/bf16 activations),
// sized in that dtype. `inferred` (optional): dtypes from the inference that gave `shapes`, for values whose type
// the graph lacks (a loaded plan's graph keeps the types of its inputs and outputs only).
MemoryPlan plan_memory(const EngineData& d, const std::map<std::string, std::vector<int64_t>>& shapes,
                       const std::map<std::string, DType>* storage = nullptr,
                       const std::map<std::string, DType>* inferred = nullptr);

// The arena layout for the given input shapes (by name), for engines built without profiles whose activations
// have no static size: execution contexts plan once per set of input shapes instead of allocating every run.
// kBadInput when the shapes contradict the model.
MemoryPlan plan_memory_for_inputs(const EngineData& d,
                                  const std::vector<std::pair<std::string, std::vector<int64_t>>>& inputs);

}  // namespace onyx
