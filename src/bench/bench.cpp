// `onyx bench` engine: see include/onyx/bench.h.
#include "onyx/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/parallel.h"
#include "onyx/engine.h"
#include "onyx/error.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"

namespace onyx {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double load_average_1min() {
  std::ifstream in("/proc/loadavg");
  double v = -1;
  if (!(in >> v)) return -1;
  return v;
}

int64_t peak_rss_bytes() {
  struct rusage ru {};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<int64_t>(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

std::string fmt_pct(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

// Calls `progress` about ten times a second until stopped.
class ProgressMonitor {
 public:
  explicit ProgressMonitor(std::function<void()> tick) : tick_(std::move(tick)) {
    if (tick_) thread_ = std::thread([this] { loop(); });
  }
  ~ProgressMonitor() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(mu_);
    while (!cv_.wait_for(l, std::chrono::milliseconds(100), [&] { return stop_; })) {
      l.unlock();
      tick_();
      l.lock();
    }
  }
  std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

struct StreamResult {
  std::vector<double> latency, h2d, compute, d2h, enqueue;
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, double>> layers;  // (name, op) → calls, s
  std::vector<std::pair<std::string, std::string>> layer_order;                      // first-seen order
};

// Runs `body(k)` on `n` threads and rethrows the first exception.
void run_on_threads(int n, const std::function<void(int)>& body, std::atomic<bool>& stop) {
  std::vector<std::thread> threads;
  std::exception_ptr error;
  std::mutex mu;
  for (int k = 0; k < n; ++k)
    threads.emplace_back([&, k] {
      try {
        body(k);
      } catch (...) {
        std::lock_guard<std::mutex> l(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
    });
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
}

nlohmann::json stats_json(const TimeStats& s) {
  if (s.count == 0) return nullptr;
  return {{"count", s.count},        {"min_ms", s.min * 1e3},       {"max_ms", s.max * 1e3},
          {"mean_ms", s.mean * 1e3}, {"median_ms", s.median * 1e3}, {"p90_ms", s.p90 * 1e3},
          {"p95_ms", s.p95 * 1e3},   {"p99_ms", s.p99 * 1e3},       {"stddev_ms", s.stddev * 1e3},
          {"cov", s.cov()}};
}

nlohmann::json layers_json(const std::vector<LayerStat>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (const LayerStat& l : v)
    a.push_back({{"name", l.name},
                 {"op_type", l.op_type},
                 {"calls", l.calls},
                 {"total_ms", l.total_s * 1e3},
                 {"mean_ms", l.mean_s * 1e3},
                 {"percent", l.percent}});
  return a;
}

}  // namespace

double percentile_sorted(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double n = static_cast<double>(sorted.size());
  int64_t rank = static_cast<int64_t>(std::ceil(p / 100.0 * n));  // 1-based nearest rank
  rank = std::clamp<int64_t>(rank, 1, static_cast<int64_t>(sorted.size()));
  return sorted[static_cast<size_t>(rank - 1)];
}

TimeStats time_stats(std::vector<double> v) {
  TimeStats s;
  s.count = static_cast<int64_t>(v.size());
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  double sq = 0;
  for (double x : v) sq += (x - s.mean) * (x - s.mean);
  s.stddev = v.size() > 1 ? std::sqrt(sq / static_cast<double>(v.size() - 1)) : 0;
  // The median of an even count is the mean of the two middle values.
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = percentile_sorted(v, 90);
  s.p95 = percentile_sorted(v, 95);
  s.p99 = percentile_sorted(v, 99);
  return s;
}

std::string default_bench_backend() {
  for (const BackendInfo& b : registered_backends())
    if (b.name == "cpu" && (!b.unavailable_reason || b.unavailable_reason().empty())) return "cpu";
  return "ref";
}

BenchResult run_benchmark(const BenchOptions& o) {
  // ---- options (all checked before anything is loaded)
  if (o.duration_given && !(o.duration_s > 0))
    fail_bad_input("--duration must be a positive number of seconds (got ", o.duration_s, ")");
  if (o.duration_given && o.duration_s > 7 * 24 * 3600.0)
    fail_bad_input("--duration ", o.duration_s, " s is more than a week");
  if (o.iterations_given && o.iterations < 1)
    fail_bad_input("--iterations must be at least 1 (got ", o.iterations, ")");
  if (o.streams < 1) fail_bad_input("--streams must be at least 1 (got ", o.streams, ")");
  if (o.streams > 256) fail_bad_input("--streams ", o.streams, " is more than 256");
  if (o.threads_given && o.threads < 1) fail_bad_input("--threads must be at least 1 (got ", o.threads, ")");
  if (o.batch_given && o.batch < 1) fail_bad_input("--batch must be at least 1 (got ", o.batch, ")");
  if (!(o.warmup_s >= 0)) fail_bad_input("--warm-up must be 0 or more seconds (got ", o.warmup_s, ")");
  const bool batch_given = o.batch_given;

  BenchResult r;
  r.model = o.model;
  // A plan file runs on the target it was built for; a model is built on --backend.
  const bool plan = is_plan_file(o.model);
  std::shared_ptr<const Engine> plan_engine;
  double plan_load_s = 0;  // counted in the build time: loading is a plan's build
  if (plan) {
    const auto load_start = Clock::now();
    plan_engine = Engine::load(o.model);  // checks version, target, architecture and checksum first
    plan_load_s = seconds_since(load_start);
    if (!o.backend.empty())
      fail_bad_input("--backend ", o.backend, ": ", o.model, " is a plan built for target ",
                     target_name(plan_engine->summary().target), "; a plan runs on its own target");
  }
  r.backend = plan ? std::string(target_name(plan_engine->summary().target)) + " plan"
                   : o.backend.empty() ? default_bench_backend() : o.backend;
  r.streams = o.streams;
  r.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  r.load_average = load_average_1min();
  if (o.threads_given && o.threads > 4096) fail_bad_input("--threads ", o.threads, " is more than 4096");
  if (o.threads > 0) set_num_threads(o.threads);
  r.threads = num_threads();
  auto info = [&](const std::string& s) {
    if (o.on_info) o.on_info(s);
  };

  // Runners first: an unknown backend is a usage error before any file is read.
  std::vector<std::unique_ptr<Runner>> runners;
  for (int k = 0; k < o.streams; ++k)
    runners.push_back(plan ? make_plan_runner(plan_engine, o.model, r.backend)
                           : make_runner(r.backend, ModelFromOnnxPath(o.model)));
  Runner& first = *runners[0];
  auto apply = [&](const char* key, const std::string& value, const char* flag) {
    for (auto& run : runners) {
      const std::string why = run->set_run_option(key, value);
      if (!why.empty()) fail_unsupported(flag, ": ", why);
    }
  };
  if (o.cuda_graph) apply("cuda-graph", "1", "--cuda-graph (needs a CUDA backend, e.g. --backend cuda)");
  if (o.no_data_transfers)
    apply("no-data-transfers", "1", "--no-data-transfers (needs a CUDA backend, e.g. --backend cuda)");
  // The shared kernel pool already has o.threads; a backend with its own threads may take the option too,
  // and one without it still runs on the pool, so a refusal here is not an error.
  if (o.threads > 0)
    for (auto& run : runners) (void)run->set_run_option("threads", std::to_string(o.threads));
  if (o.dump_profile && !first.supports_layer_profile())
    fail_unsupported("--dump-profile: backend '", r.backend, "' does not report per-layer times");

  // ---- inputs: the model's metadata, --batch and --input-shapes, then seeded data (as `onyx run` makes it)
  const auto setup_start = Clock::now();
  std::vector<NamedTensors> feeds;
  {
    Model model;
    TensorMetadata in_meta;
    if (plan) {
      for (const IoTensor& t : plan_engine->io_tensors())
        if (t.is_input) in_meta.push_back({t.name, t.dtype, t.shape});
    } else {
      model = load_model(o.model);
      try {
        prepare_model(model);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnsupported) throw;  // the backend may still run it
      }
      for (const Value* v : model.graph->inputs)
        if (!v->is_initializer())
          in_meta.push_back({v->name(), v->type.is_tensor() ? v->type.dtype : DType::kUndefined,
                             v->type.is_tensor() ? v->type.shape : Shape::unknown_rank()});
    }
    // A plan's profile 0 gives the shapes of its dynamic inputs (opt, as trtexec does) and bounds the batch.
    auto profile_range = [&](const std::string& name) -> const ShapeRange* {
      return plan_engine && plan_engine->num_profiles() ? plan_engine->profile_range(0, name) : nullptr;
    };
    DataLoaderOptions dl;
    dl.seed = o.seed;
    dl.iterations = 1;
    dl.input_shapes = parse_input_shapes(o.input_shapes);
    int64_t batch = 0;  // the batch found
    bool any_batched = false;
    for (const TensorMeta& m : in_meta) {
      if (!m.shape.rank_known() || m.shape.rank() == 0) continue;
      any_batched = true;
      const Dim& d0 = m.shape[0];
      auto given = dl.input_shapes.find(m.name);
      if (given != dl.input_shapes.end()) {
        if (given->second.empty()) continue;
        const int64_t b = given->second[0];
        if (batch_given && b != o.batch)
          fail_bad_input("--batch ", o.batch, " contradicts --input-shapes ", m.name, ":",
                         Shape::from_dims(given->second).to_string());
        if (!batch) batch = b;
        continue;
      }
      if (d0.is_known()) {
        if (batch_given && d0.value() != o.batch)
          fail_bad_input("--batch ", o.batch, ": the model does not allow it: input ", describe(m),
                         " has a fixed batch dimension of ", d0.value());
        if (!batch) batch = d0.value();
        continue;
      }
      // A dynamic batch: the given one (or 1); other dynamic dims take 1, as the data loader does (a
      // plan's profile gives its opt shape instead, and its [min, max] bounds the batch).
      std::vector<int64_t> dims;
      std::vector<std::string> defaulted;
      const ShapeRange* pr = profile_range(m.name);
      if (pr && pr->opt.size() != m.shape.rank()) pr = nullptr;
      if (pr && batch_given && (o.batch < pr->min[0] || o.batch > pr->max[0]))
        fail_bad_input("--batch ", o.batch, ": the plan's profile 0 allows a batch of ", pr->min[0], " to ",
                       pr->max[0], " for input '", m.name, "'");
      for (size_t i = 0; i < m.shape.rank(); ++i) {
        const Dim& d = m.shape[i];
        if (i == 0)
          dims.push_back(batch_given ? o.batch : pr ? pr->opt[0] : 1);
        else if (d.is_known())
          dims.push_back(d.value());
        else if (pr)
          dims.push_back(pr->opt[i]);
        else {
          dims.push_back(1);
          defaulted.push_back(d.to_string());
        }
      }
      if (!defaulted.empty()) {
        std::string names;
        for (const std::string& s : defaulted) names += (names.empty() ? "" : ", ") + s;
        r.warnings.push_back("input '" + m.name + "' has dynamic dimension(s) " + names +
                             " beyond the batch: using 1 (set them with --input-shapes)");
      }
      dl.input_shapes[m.name] = dims;
      if (!batch) batch = dims[0];
    }
    if (batch_given && !any_batched)
      fail_bad_input("--batch ", o.batch, ": the model has no input with a batch dimension");
    r.batch = batch > 0 ? batch : 1;
    DataLoader loader(in_meta, dl, plan ? nullptr : model.graph.get());
    feeds.push_back(loader[0]);
    for (const auto& [name, t] : feeds[0]) r.inputs.emplace_back(name, t.describe());
  }
  if (!o.save_inputs.empty()) {
    write_tensor_data(o.save_inputs, {RunnerData{"", feeds, {}}}, DataRole::kInputs);
    info("Saved inputs to " + o.save_inputs);
  }
  r.setup_s = seconds_since(setup_start);
  info("Benchmarking " + o.model + " on backend " + r.backend + ": building " + std::to_string(o.streams) +
       " engine(s), warm-up, then the timed run");

  // ---- build every stream's engine
  const auto build_start = Clock::now();
  struct Deactivate {
    std::vector<std::unique_ptr<Runner>>& rs;
    ~Deactivate() {
      for (auto& x : rs) try {
          x->deactivate();
        } catch (...) {
        }
    }
  } deactivate_all{runners};
  for (auto& run : runners) {
    run->activate();
    if (o.dump_profile) run->set_layer_profile(true);
  }
  r.build_s = plan_load_s + seconds_since(build_start);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0};

  // ---- warm-up: every stream at once, for warmup_s (at least one inference each)
  {
    const auto start = Clock::now();
    ProgressMonitor mon(o.on_progress ? std::function<void()>([&] {
      const double e = seconds_since(start);
      o.on_progress({"warm-up", e, o.warmup_s > 0 ? std::min(1.0, e / o.warmup_s) : 1.0, done.load()});
    })
                                      : std::function<void()>());
    run_on_threads(
        o.streams,
        [&](int k) {
          do {
            runners[k]->infer(feeds[0]);
            ++done;
          } while (!stop && seconds_since(start) < o.warmup_s);
        },
        stop);
    mon.stop();
    r.warmup_s = seconds_since(start);
    r.warmup_inferences = done.load();
  }

  // ---- timed phase
  const bool use_time = o.duration_given || !o.iterations_given;
  const bool use_count = o.iterations_given || !o.duration_given;
  const double duration = o.duration_given ? o.duration_s : 3.0;
  const int64_t min_count = o.iterations_given ? o.iterations : (o.duration_given ? 1 : 10);
  std::vector<StreamResult> per(o.streams);
  std::atomic<int64_t> claimed{0};
  done = 0;
  const auto start = Clock::now();
  {
    ProgressMonitor mon(o.on_progress ? std::function<void()>([&] {
      const double e = seconds_since(start);
      const double ft = use_time ? std::min(1.0, e / duration) : 1.0;
      const double fc = use_count ? std::min(1.0, static_cast<double>(done.load()) / min_count) : 1.0;
      o.on_progress({"timed", e, std::min(ft, fc), done.load()});
    })
                                      : std::function<void()>());
    run_on_threads(
        o.streams,
        [&](int k) {
          Runner& run = *runners[k];
          StreamResult& s = per[k];
          for (;;) {
            if (stop) break;
            const int64_t i = claimed.fetch_add(1);
            const bool count_ok = !use_count || i >= min_count;
            const bool time_ok = !use_time || seconds_since(start) >= duration;
            if (count_ok && time_ok) break;
            run.infer(feeds[0]);
            ++done;
            s.latency.push_back(run.last_inference_time());
            const InferenceBreakdown& b = run.last_breakdown();
            if (b.h2d >= 0) s.h2d.push_back(b.h2d);
            if (b.compute >= 0) s.compute.push_back(b.compute);
            if (b.d2h >= 0) s.d2h.push_back(b.d2h);
            if (b.enqueue >= 0) s.enqueue.push_back(b.enqueue);
            if (o.dump_profile)
              for (const LayerTiming& l : run.last_layer_profile()) {
                auto key = std::make_pair(l.name, l.op_type);
                auto [it, fresh] = s.layers.try_emplace(key, 0, 0.0);
                if (fresh) s.layer_order.push_back(key);
                it->second.first += 1;
                it->second.second += l.seconds;
              }
          }
        },
        stop);
    mon.stop();
  }
  r.timed_s = seconds_since(start);

  // ---- results
  std::vector<double> lat, h2d, compute, d2h, enqueue;
  for (const StreamResult& s : per) {
    lat.insert(lat.end(), s.latency.begin(), s.latency.end());
    h2d.insert(h2d.end(), s.h2d.begin(), s.h2d.end());
    compute.insert(compute.end(), s.compute.begin(), s.compute.end());
    d2h.insert(d2h.end(), s.d2h.begin(), s.d2h.end());
    enqueue.insert(enqueue.end(), s.enqueue.begin(), s.enqueue.end());
  }
  r.inferences = static_cast<int64_t>(lat.size());
  r.throughput = r.timed_s > 0 ? static_cast<double>(r.inferences) / r.timed_s : 0;
  r.latency = time_stats(lat);
  r.h2d = time_stats(h2d);
  r.compute = time_stats(compute);
  r.d2h = time_stats(d2h);
  r.enqueue = time_stats(enqueue);

  if (o.dump_profile) {
    r.profiled = true;
    std::map<std::pair<std::string, std::string>, LayerStat> merged;
    std::vector<std::pair<std::string, std::string>> order;
    for (const StreamResult& s : per)
      for (const auto& key : s.layer_order) {
        const auto& [calls, secs] = s.layers.at(key);
        auto [it, fresh] = merged.try_emplace(key);
        if (fresh) {
          order.push_back(key);
          it->second.name = key.first;
          it->second.op_type = key.second;
        }
        it->second.calls += calls;
        it->second.total_s += secs;
      }
    double all = 0;
    for (const auto& key : order) all += merged[key].total_s;
    std::map<std::string, LayerStat> by_op;
    std::vector<std::string> op_order;
    for (const auto& key : order) {
      LayerStat l = merged[key];
      l.mean_s = r.inferences ? l.total_s / static_cast<double>(r.inferences) : 0;
      l.percent = all > 0 ? 100.0 * l.total_s / all : 0;
      auto [it, fresh] = by_op.try_emplace(l.op_type);
      if (fresh) {
        op_order.push_back(l.op_type);
        it->second.name = l.op_type;
        it->second.op_type = l.op_type;
      }
      it->second.calls += l.calls;
      it->second.total_s += l.total_s;
      it->second.mean_s += l.mean_s;
      it->second.percent += l.percent;
      r.layers.push_back(std::move(l));
    }
    for (const std::string& op : op_order) r.op_types.push_back(by_op[op]);
    auto by_time = [](const LayerStat& a, const LayerStat& b) { return a.total_s > b.total_s; };
    std::stable_sort(r.layers.begin(), r.layers.end(), by_time);
    std::stable_sort(r.op_types.begin(), r.op_types.end(), by_time);
  }
  r.peak_rss_bytes = peak_rss_bytes();
  for (const auto& run : runners) {
    const int64_t b = run->peak_device_memory();
    if (b >= 0) r.peak_device_bytes = std::max<int64_t>(r.peak_device_bytes, 0) + b;
  }

  // ---- can the numbers be trusted?
  if (r.latency.count < 10)
    r.warnings.push_back(
        "only " + std::to_string(r.latency.count) +
        " timed inference(s): the percentiles are coarse (raise --duration or --iterations)");
  if (r.latency.count >= 2 && r.latency.cov() > o.cov_warn)
    r.warnings.push_back("latency is unstable: coefficient of variation " + fmt_pct(r.latency.cov()) +
                         " (> " + fmt_pct(o.cov_warn) + "); the results may not be reliable");
  if (r.compute.count >= 2 && r.compute.cov() > o.cov_warn)
    r.warnings.push_back("GPU compute time is unstable: coefficient of variation " +
                         fmt_pct(r.compute.cov()) + "; the results may not be reliable");
  // The 1-minute load average before the run is other work; with it, more runnable threads than cores means
  // the benchmark shared the CPU.
  const int busy_threads = std::min(r.cores, r.threads * r.streams);
  if (r.load_average >= 0 && r.load_average + busy_threads > r.cores + 0.5) {
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "the machine was busy: load average %.2f before the run, with %d benchmark thread(s) on %d "
                  "core(s); other work competed for the CPU",
                  r.load_average, r.threads * r.streams, r.cores);
    r.warnings.push_back(buf);
  }
  if (o.dump_profile)
    r.warnings.push_back(
        "--dump-profile times every layer during the timed run, which adds a little overhead");
  if (o.dump_profile && o.cuda_graph)
    r.warnings.push_back(
        "--dump-profile with --cuda-graph: layers are timed with CUDA events outside the graph, so the timed runs "
        "did not replay the CUDA graph (drop --dump-profile to time the graph)");
  return r;
}

std::string bench_result_json(const BenchResult& r) {
  nlohmann::json j;
  j["model"] = r.model;
  j["backend"] = r.backend;
  j["inputs"] = nlohmann::json::array();
  for (const auto& [name, desc] : r.inputs) j["inputs"].push_back({{"name", name}, {"tensor", desc}});
  j["batch"] = r.batch;
  j["streams"] = r.streams;
  j["threads"] = r.threads;
  j["cores"] = r.cores;
  j["load_average"] = r.load_average;
  j["setup_s"] = r.setup_s;
  j["build_s"] = r.build_s;
  j["warmup_s"] = r.warmup_s;
  j["warmup_inferences"] = r.warmup_inferences;
  j["timed_s"] = r.timed_s;
  j["inferences"] = r.inferences;
  j["throughput_qps"] = r.throughput;
  j["throughput_samples_per_s"] = r.throughput * static_cast<double>(r.batch);
  j["latency"] = stats_json(r.latency);
  j["h2d"] = stats_json(r.h2d);
  j["gpu_compute"] = stats_json(r.compute);
  j["d2h"] = stats_json(r.d2h);
  j["enqueue"] = stats_json(r.enqueue);
  j["peak_rss_bytes"] = r.peak_rss_bytes;
  j["peak_device_bytes"] = r.peak_device_bytes >= 0 ? nlohmann::json(r.peak_device_bytes) : nlohmann::json();
  if (r.profiled) {
    j["profile"] = layers_json(r.layers);
    j["profile_by_op_type"] = layers_json(r.op_types);
  }
  j["warnings"] = r.warnings;
  return j.dump(2) + "\n";
}

}  // namespace onyx
