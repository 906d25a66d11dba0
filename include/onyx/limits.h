// Resource limits applied to untrusted models and files. Every allocation sized by model data is checked against
// these before memory is claimed, so a model that lies about a tensor's size gets an error, not an OOM kill.
#pragma once

#include <cstdint>

namespace onyx {

struct Limits {
  // Largest single tensor (bytes) that import, shape inference or a kernel may allocate.
  // Default: half of the machine's physical memory.
  uint64_t max_tensor_bytes = 0;
  // Deepest nesting of subgraphs (If/Loop/Scan bodies) accepted at import and run time.
  int max_subgraph_depth = 64;
  // Largest trip count a Loop may run (guards against a hostile `M` or a never-false condition).
  int64_t max_loop_iterations = 100'000'000;
  // Most nodes that inlining model-local functions may create at import. 2^24 let a 1.6 KB model inline 8.5M
  // nodes (7.6 GB, minutes; found by fuzz_onnx_model); 2^18 is far above real models.
  uint64_t max_inlined_nodes = uint64_t{1} << 18;
};

// The process-wide limits (initialized on first use). Not thread-safe to modify while models are running.
Limits& limits();

// Throws a kBadInput onyx::Error naming `what` when `bytes` exceeds limits().max_tensor_bytes.
void check_tensor_bytes(uint64_t bytes, const char* what);

}  // namespace onyx
