// Tactic choice: timing candidates, the per-thread session (see tactics.h).
#include "cuda/tactics.h"

#include <cublasLt.h>
#ifdef ONYX_HAVE_CUDNN
#include <cudnn.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cuda/check.h"
#include "onyx/error.h"

namespace onyx::cuda {

namespace {

thread_local TacticSession* g_session = nullptr;

class Event {
 public:
  Event() { check_cuda(cudaEventCreate(&e_), "cudaEventCreate"); }
  ~Event() { cudaEventDestroy(e_); }
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  cudaEvent_t get() const { return e_; }

 private:
  cudaEvent_t e_ = nullptr;
};

// Enqueues `reps` runs of candidate i between two events and returns the elapsed milliseconds.
double time_runs(const std::function<void(int, cudaStream_t)>& run, int i, int reps, cudaStream_t stream) {
  Event start, stop;
  check_cuda(cudaEventRecord(start.get(), stream), "cudaEventRecord");
  for (int r = 0; r < reps; ++r) run(i, stream);
  check_cuda(cudaEventRecord(stop.get(), stream), "cudaEventRecord");
  check_cuda(cudaEventSynchronize(stop.get()), "cudaEventSynchronize (a timed tactic failed on the device)");
  float ms = 0;
  check_cuda(cudaEventElapsedTime(&ms, start.get(), stop.get()), "cudaEventElapsedTime");
  return ms;
}

}  // namespace

TacticSession* current_tactics() { return g_session; }
TacticScope::TacticScope(TacticSession* s) : prev_(g_session) { g_session = s; }
TacticScope::~TacticScope() { g_session = prev_; }

void* TacticSession::scratch(size_t slot, size_t bytes) {
  if (scratch_.size() <= slot) scratch_.resize(slot + 1);
  DeviceBuffer& b = scratch_[slot];
  if (b.size() < bytes) {
    b = DeviceBuffer();
    b = DeviceBuffer((bytes + 255) / 256 * 256);
    check_cuda(cudaMemset(b.data(), 0, b.size()), "cudaMemset (tactic scratch)");
  }
  return b.data();
}

const std::string* TacticSession::known(const std::string& problem) const {
  if (auto it = seen_.find(problem); it != seen_.end()) return &it->second.tactic;
  if (cache)
    if (const TimingCache::Entry* e = cache->find(device + "|" + problem)) return &e->tactic;
  return nullptr;
}

int choose_tactic(const std::string& problem, const std::vector<std::string>& ids,
                  const std::function<void(int, cudaStream_t)>& run) {
  TacticSession* s = g_session;
  if (!s || ids.empty()) return 0;
  auto index_of = [&](const std::string& id) {
    auto it = std::find(ids.begin(), ids.end(), id);
    return it == ids.end() ? -1 : static_cast<int>(it - ids.begin());
  };
  if (s->mode == TacticSession::Mode::kLookup) {
    auto it = s->chosen.find(problem);
    if (it == s->chosen.end()) return 0;
    const int i = index_of(it->second);
    if (i < 0) {
      if (s->warned_.insert(problem).second)
        std::fprintf(stderr,
                     "onyx: warning: the plan's tactic '%s' for %s is not offered by this library any more; using "
                     "the heuristic's first choice '%s'\n",
                     it->second.c_str(), problem.c_str(), ids[0].c_str());
      return 0;
    }
    return i;
  }
  // kTime: the same problem twice in one build (or a cache hit) is not timed again.
  const std::string key = s->device + "|" + problem;
  if (auto it = s->seen_.find(problem); it != s->seen_.end()) {
    const int i = index_of(it->second.tactic);
    if (i >= 0) {
      TacticRecord r = it->second;
      r.candidates = 0;
      s->records.push_back(r);
      return i;
    }
  }
  if (s->cache) {
    if (const TimingCache::Entry* e = s->cache->find(key)) {
      const int i = index_of(e->tactic);
      if (i >= 0) {
        s->records.push_back({problem, e->tactic, e->ms, true, 0});
        s->seen_[problem] = s->records.back();
        ++s->from_cache;
        return i;
      }
    }
  }
  if (ids.size() == 1) {
    s->records.push_back({problem, ids[0], -1, false, 1});
    s->seen_[problem] = s->records.back();
    return 0;
  }
  const auto t0 = std::chrono::steady_clock::now();
  cudaStream_t stream = s->stream;
  const int n = std::min<int>(static_cast<int>(ids.size()), std::max(1, s->max_candidates));
  int best = -1;
  double best_ms = 0;
  int tried = 0;
  for (int i = 0; i < n; ++i) {
    try {
      // Warm-up (also the estimate that sets how many runs one sample holds, so that short kernels are not
      // dominated by event resolution).
      const double warm = time_runs(run, i, std::max(1, s->warmup), stream) / std::max(1, s->warmup);
      ++tried;
      if (best >= 0 && warm > 4 * best_ms) continue;  // far slower than the best so far: not worth sampling
      const int reps = std::clamp(static_cast<int>(0.2 / std::max(warm, 1e-4)), 1, 50);
      std::vector<double> samples;
      for (int k = 0; k < std::max(1, s->samples); ++k) samples.push_back(time_runs(run, i, reps, stream) / reps);
      std::sort(samples.begin(), samples.end());
      const double med = samples[samples.size() / 2];
      if (best < 0 || med < best_ms) {
        best = i;
        best_ms = med;
      }
    } catch (const Error&) {
      // This candidate does not run here (or failed): skip it. A sticky device error would fail the next call.
      cudaStreamSynchronize(stream);
      cudaGetLastError();
    }
  }
  s->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (best < 0) {
    s->records.push_back({problem, ids[0], -1, false, tried});
    s->seen_[problem] = s->records.back();
    return 0;
  }
  ++s->timed;
  s->records.push_back({problem, ids[static_cast<size_t>(best)], best_ms, false, tried});
  s->seen_[problem] = s->records.back();
  if (s->cache) s->cache->put(key, {ids[static_cast<size_t>(best)], best_ms});
  return best;
}

std::string tactic_device_key() {
  int dev = 0;
  cudaGetDevice(&dev);
  cudaDeviceProp p{};
  std::string name = "?";
  int major = 0, minor = 0;
  if (cudaGetDeviceProperties(&p, dev) == cudaSuccess) {
    name = p.name;
    major = p.major;
    minor = p.minor;
  }
  std::string key = name + "|sm_" + std::to_string(major * 10 + minor);
#ifdef ONYX_HAVE_CUDNN
  key += "|cudnn " + std::to_string(cudnnGetVersion());
#endif
  key += "|cublasLt " + std::to_string(cublasLtGetVersion());
  return key;
}

bool tactic_timing_enabled() {
  const char* v = std::getenv("ONYX_CUDA_TACTIC_TIMING");
  return !(v && (std::strcmp(v, "0") == 0 || std::strcmp(v, "off") == 0));
}

}  // namespace onyx::cuda
