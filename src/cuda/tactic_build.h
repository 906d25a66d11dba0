// The builder's tactic timing pass for the cuda target (see tactics.h): walks the chosen layers at each
// profile's opt shapes (host nodes on the host, device layers' output_shapes() and prepare()) with a timing
// TacticSession installed, so that every cuBLASLt/cuDNN plan built in prepare() times its candidates (or reuses
// the timing cache) — and returns, per node, what was chosen for the plan. C++20, src/cuda/*.cpp only.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>
#include <vector>

#include "layer.h"

namespace onyx::cuda {

struct TacticBuildInput {
  const Model* model = nullptr;
  const BuilderConfig* config = nullptr;
  std::vector<bool> host_nodes;                  // per node of the graph (g.nodes() order)
  std::vector<std::string> kernels;              // per node: the layer's kernel or "host"
  std::unordered_set<const Value*> host_io;      // engine inputs bound as shape tensors
  // Creates the layer of node `n`, filling `b` (which must outlive the layer).
  std::function<std::unique_ptr<Layer>(const Node& n, LayerBuild& b)> make_layer;
  // Runs a host node (Shape/Size on dims alone; others on host tensors).
  std::function<void(const Node& n, const std::vector<const Tensor*>& in, const std::vector<const Dims*>& dims,
                     std::vector<Tensor>& out)>
      run_host;
};

// Per node, a JSON array of [problem, tactic, ms] (ms -1 when not timed). Returns null (no tactics) when timing
// is off: optimization level 0, ONYX_CUDA_TACTIC_TIMING=0, no layer with tactics, or no opt shape known. Never
// throws for a failed timing: a warning line, and the layers left keep the heuristics' first choices.
nlohmann::json time_layer_tactics(const TacticBuildInput& in);

// True for the kernels whose plans have tactics (cuBLASLt matmuls, attention's matmuls, cuDNN convolutions).
bool kernel_has_tactics(const std::string& kernel);

}  // namespace onyx::cuda
