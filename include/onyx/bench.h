// Benchmarking a backend on a model (`onyx bench`, trtexec's job): build the engine, warm up, run for a
// duration and/or a number of inferences on one or more concurrent runners ("streams"), and report
// throughput, latency percentiles, device-time breakdowns when the backend measures them, peak memory, build
// time and per-layer profiles. Works with any backend in the registry (include/onyx/runner.h): a backend only
// has to be a Runner; the optional Runner hooks (layer profile, InferenceBreakdown, run options) light up the
// extra metrics.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "onyx/data.h"

namespace onyx {

struct BenchProgress {
  const char* phase = "";  // "warm-up" or "timed"
  double elapsed_s = 0;    // since the phase began
  double fraction = 0;     // 0..1 (an estimate when only --iterations bounds the run)
  int64_t inferences = 0;  // completed in this phase, all streams
};

struct BenchOptions {
  std::string model;
  std::string backend;  // "" = "cpu" when available, else "ref"
  int64_t batch = 0;    // when given; otherwise the model's own batch, or 1 for a dynamic one
  bool batch_given = false;
  std::vector<std::string> input_shapes;
  uint64_t seed = 1;
  // The timed phase runs until both bounds that are set hold (trtexec's semantics: "at least").
  // Neither given: at least 3 s and at least 10 inferences.
  double duration_s = 0;  // > 0 when given
  bool duration_given = false;
  int64_t iterations = 0;  // > 0 when given
  bool iterations_given = false;
  double warmup_s = 0.2;  // warm-up time per stream (at least one inference)
  int streams = 1;
  int threads = 0;  // when given (>= 1); otherwise every core
  bool threads_given = false;
  bool cuda_graph = false;
  bool no_data_transfers = false;
  bool dump_profile = false;
  std::string save_inputs;  // write the generated inputs here (.npz, .json, ...) for peers to use
  double cov_warn = 0.05;   // warn when the latency's coefficient of variation exceeds this
  std::function<void(const BenchProgress&)> on_progress;  // ~10 Hz, from a monitor thread
  std::function<void(const std::string&)> on_info;        // "[I]"-level lines as they happen
};

// Summary statistics of a list of times (seconds). Percentiles are nearest-rank (the smallest value with at
// least p% of values at or below it).
struct TimeStats {
  int64_t count = 0;
  double min = 0, max = 0, mean = 0, median = 0, p90 = 0, p95 = 0, p99 = 0, stddev = 0;
  double cov() const { return mean > 0 ? stddev / mean : 0; }  // coefficient of variation
};
TimeStats time_stats(std::vector<double> seconds);
// Nearest-rank percentile (p in [0, 100]) of sorted values; 0 for an empty list.
double percentile_sorted(const std::vector<double>& sorted, double p);

struct LayerStat {
  std::string name;
  std::string op_type;
  int64_t calls = 0;   // times it ran during the timed phase
  double total_s = 0;  // summed over the timed phase, all streams
  double mean_s = 0;   // per inference
  double percent = 0;  // of the sum over all layers
};

struct BenchResult {
  std::string model;
  std::string backend;
  std::vector<std::pair<std::string, std::string>> inputs;  // name, "float32[1,3,224,224]"
  int64_t batch = 1;
  int streams = 1;
  int threads = 0;
  double load_average = -1;  // 1-minute load average at the start (-1 unknown)
  int cores = 0;
  double setup_s = 0;   // reading the model for its inputs and generating data
  double build_s = 0;   // activating every stream's runner (load + prepare/build)
  double warmup_s = 0;  // wall time of the warm-up
  int64_t warmup_inferences = 0;
  double timed_s = 0;                    // wall time of the timed phase
  int64_t inferences = 0;                // timed inferences, all streams
  double throughput = 0;                 // inferences per second (qps)
  TimeStats latency;                     // per inference, wall time around Runner::infer()
  TimeStats h2d, compute, d2h, enqueue;  // count 0: the backend does not measure it
  int64_t peak_rss_bytes = 0;            // getrusage ru_maxrss
  int64_t peak_device_bytes = -1;        // summed over streams; -1: the backend does not say
  bool profiled = false;
  std::vector<LayerStat> layers;    // sorted by total time, largest first
  std::vector<LayerStat> op_types;  // the same, summed per op type
  std::vector<std::string> warnings;
};

// Runs the benchmark. Throws kBadInput (exit 2) for bad options (duration/iterations/streams/threads/batch
// out of range, a batch the model does not allow), kUnsupported (exit 3) when the backend cannot do what is
// asked (--cuda-graph, --no-data-transfers, --dump-profile on a backend without per-layer timing).
BenchResult run_benchmark(const BenchOptions& options);

// The result as JSON (times in milliseconds), for `--json`.
std::string bench_result_json(const BenchResult& r);

// The backend used when none is named: "cpu" when registered and available, else "ref".
std::string default_bench_backend();

}  // namespace onyx
