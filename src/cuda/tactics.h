// Tactic choice for the cuda target: where several kernels can run one problem (cuBLASLt's candidate algorithms,
// cuDNN's engine configurations), the builder times them at each profile's opt shape and keeps the fastest; the
// plan records the choice (problem → tactic id) so that loading never times again; a timing cache file
// (src/engine/timing_cache.h) makes a rebuild reuse earlier measurements.
//
// Plan constructors (MatmulPlan, ConvPlan) call choose_tactic() with their problem key and candidates' ids. What it
// does depends on the TacticSession the engine installed on this thread (TacticScope around Layer::prepare()):
//   none           → candidate 0 (the heuristic's first choice; unit tests, opt level 0)
//   kLookup (load) → the candidate the plan recorded for this problem; a problem the plan does not know (a shape
//                    other than an opt shape) takes candidate 0; a recorded tactic that is not among the
//                    candidates any more takes candidate 0 with one warning line on stderr
//   kTime (build)  → the timing cache's choice when its key (device + problem) is there and the tactic is still a
//                    candidate, else time up to max_candidates candidates on scratch buffers and keep the fastest
// C++20, include from src/cuda/*.cpp only.
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "../engine/timing_cache.h"
#include "buffer.h"

namespace onyx::cuda {

struct TacticRecord {
  std::string problem;  // the problem key (without the device)
  std::string tactic;   // the chosen candidate's id
  double ms = -1;       // its measured median time (-1: not timed)
  bool from_cache = false;
  int candidates = 0;   // how many were timed (0: from the cache / the plan)
};

class TacticSession {
 public:
  enum class Mode { kLookup, kTime };
  explicit TacticSession(Mode mode) : mode(mode) {}
  Mode mode;

  // kLookup: problem → tactic (from the plan).
  std::map<std::string, std::string> chosen;
  // kTime: the cache (null: none) and the device part of its keys (device_key()).
  TimingCache* cache = nullptr;
  std::string device;
  int warmup = 2, samples = 5, max_candidates = 8;
  cudaStream_t stream = nullptr;

  // Choices made since the last take_records() (the engine collects them per layer).
  std::vector<TacticRecord> records;
  std::vector<TacticRecord> take_records() { return std::exchange(records, {}); }
  // Totals (kTime): problems timed / taken from the cache, seconds spent timing.
  int timed = 0, from_cache = 0;
  double seconds = 0;

  // kTime: the tactic already decided for `problem` in this session or by the cache (null: none), so that a
  // caller can skip preparing candidates it will not time (cuDNN plans are slow to finalize).
  const std::string* known(const std::string& problem) const;

  // Scratch device memory for timing: slot i holds at least `bytes` (grow-only, zero-filled when grown).
  void* scratch(size_t slot, size_t bytes);

 private:
  std::vector<DeviceBuffer> scratch_;
  std::set<std::string> warned_;
  std::map<std::string, TacticRecord> seen_;  // kTime: problems already chosen in this session
  friend int choose_tactic(const std::string&, const std::vector<std::string>&,
                           const std::function<void(int, cudaStream_t)>&);
};

// The session installed on this thread (null: none).
TacticSession* current_tactics();
class TacticScope {
 public:
  explicit TacticScope(TacticSession* s);
  ~TacticScope();
  TacticScope(const TacticScope&) = delete;
  TacticScope& operator=(const TacticScope&) = delete;

 private:
  TacticSession* prev_;
};

// Picks one of ids.size() candidates for `problem` (see the file comment). `run(i, stream)` enqueues candidate i
// (on scratch buffers it gets from current_tactics()->scratch()); a candidate whose run throws is skipped.
// Returns the chosen index (0 when nothing better is known).
int choose_tactic(const std::string& problem, const std::vector<std::string>& ids,
                  const std::function<void(int, cudaStream_t)>& run);

// "NVIDIA H100 80GB HBM3|sm_90|cudnn 90100|cublasLt 120400": the device part of timing cache keys.
std::string tactic_device_key();

// False when ONYX_CUDA_TACTIC_TIMING=0 (the builder then keeps the heuristics' first choices).
bool tactic_timing_enabled();

}  // namespace onyx::cuda
