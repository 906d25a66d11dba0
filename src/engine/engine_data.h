// What a loaded plan holds (shared by the builder, the engine and `onyx inspect plan`).
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../ops/op.h"
#include "../plan/plan_file.h"
#include "onyx/engine.h"

namespace onyx {

// Where one activation lives in a context's arena: [offset, offset + bytes); offset -1: not planned (dynamic
// size, allocated per run).
struct PlannedTensor {
  int64_t offset = -1;
  uint64_t bytes = 0;
};

struct MemoryPlan {
  uint64_t arena_bytes = 0;       // the arena: outputs of target kernels, placed by lifetime
  uint64_t sum_tensor_bytes = 0;  // every activation of known size at max shapes, each in its own buffer
  size_t dynamic_tensors = 0;
  std::vector<PlannedTensor> by_value;  // indexed by value id
};

namespace cpu {
struct Kernel;  // src/cpu/kernels.h
}

struct EngineData {
  plan::AlignedBuffer buffer;  // the plan bytes; weights are borrowed from it
  plan::Header header;
  uint64_t weights_bytes = 0;
  // The build's precision ("fp32", "tf32", "fp16", "bf16") and strongly typed flag (meta `config`).
  std::string precision = "fp32";
  bool strongly_typed = false;
  Model model;  // the optimized graph; numeric initializers borrow the plan buffer
  std::vector<IoTensor> io;
  std::vector<OptimizationProfile> profiles;

  // Execution: every value of the top-level graph has an id; steps run in order.
  std::vector<const Value*> values;
  std::unordered_map<const Value*, int> value_id;
  struct Step {
    const Node* node = nullptr;
    const OpSchema* schema = nullptr;
    const cpu::Kernel* kernel = nullptr;  // nullptr: the reference kernel
    std::string kernel_name;
    std::shared_ptr<const void> prepared;  // the kernel's load-time state (cpu::Kernel::prepare), or null
    std::vector<int> inputs;      // -1 for an absent optional input
    std::vector<int> outputs;     // -1 for an absent optional output
    std::vector<int> free_after;  // values whose last use is this step
    bool device = false;          // a GPU target's layer (its outputs live in the device arena)
  };
  std::vector<Step> steps;
  std::vector<int> input_ids, output_ids;  // io order
  std::vector<std::pair<int, Tensor>> initializers;
  std::vector<MemoryPlan> memory;  // per profile (one when there are none)
  std::shared_ptr<class TargetEngine> target;  // GPU target runtime (src/engine/target_hooks.h); null for cpu
};

// Parses and checks a plan (kBadInput "LABEL: ..." on any inconsistency).
std::unique_ptr<EngineData> load_engine_data(plan::AlignedBuffer buffer, const std::string& label);

}  // namespace onyx
