// onyx bench M: trtexec's job. Builds an engine on a backend, warms up, runs for a duration and/or a number
// of inferences on one or more streams, and prints throughput, latency percentiles, device-time breakdowns
// (when the backend measures them), peak memory, build time and, with --dump-profile, per-layer times.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "commands.h"
#include "onyx/bench.h"
#include "onyx/error.h"
#include "onyx/onnx.h"
#include "onyx/runner.h"

namespace onyx::cli {

namespace {

struct BenchCliOpts {
  BenchOptions b;
  std::string json;
  bool no_progress = false;
};

std::string ms(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g ms", s * 1e3);
  return buf;
}

std::string num(double v, const char* f = "%.4g") {
  char buf[48];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

void print_stats(const char* what, const TimeStats& s, const std::string& absent) {
  std::cout << "[I] " << what << ": ";
  if (s.count == 0) {
    std::cout << absent << "\n";
    return;
  }
  std::cout << "min = " << ms(s.min) << ", max = " << ms(s.max) << ", mean = " << ms(s.mean)
            << ", median = " << ms(s.median) << ", percentile(90%) = " << ms(s.p90)
            << ", percentile(95%) = " << ms(s.p95) << ", percentile(99%) = " << ms(s.p99) << "\n";
}

void print_profile(const char* title, const std::vector<LayerStat>& rows, int64_t inferences) {
  std::cout << "[I] === " << title << " (" << inferences << " timed inferences; sorted by total time) ===\n";
  std::printf("   %12s %12s %8s %7s  %s\n", "Total (ms)", "Mean (ms)", "Time %", "Calls", "Layer");
  std::fflush(stdout);
  for (const LayerStat& l : rows) {
    std::string label =
        l.name == l.op_type ? l.op_type : (l.name.empty() ? "(unnamed)" : l.name) + " (" + l.op_type + ")";
    std::printf("   %12.4f %12.4f %7.2f%% %7lld  %s\n", l.total_s * 1e3, l.mean_s * 1e3, l.percent,
                static_cast<long long>(l.calls), label.c_str());
  }
  std::fflush(stdout);
}

int bench_command(BenchCliOpts& c) {
  BenchOptions& o = c.b;
  const bool tty = ::isatty(2) != 0;
  bool bar_drawn = false;
  // Only runs longer than a second get a bar: from the start when the duration says so, else after a second.
  const bool long_run = (o.duration_given && o.duration_s > 1) || (!o.duration_given && !o.iterations_given);
  if (tty && !c.no_progress)
    o.on_progress = [&bar_drawn, long_run](const BenchProgress& p) {
      if (p.elapsed_s < 1.0 && !(long_run && std::string(p.phase) == "timed")) return;
      const int width = 30;
      const int filled = static_cast<int>(p.fraction * width + 0.5);
      std::string bar(static_cast<size_t>(filled), '=');
      if (filled < width) bar += '>' + std::string(static_cast<size_t>(width - filled - 1), ' ');
      std::fprintf(stderr, "\r%-8s [%s] %3.0f%% %6.1f s, %lld inference(s)", p.phase, bar.c_str(),
                   p.fraction * 100, p.elapsed_s, static_cast<long long>(p.inferences));
      std::fflush(stderr);
      bar_drawn = true;
    };
  o.on_info = [](const std::string& s) { std::cout << "[I] " << s << "\n" << std::flush; };

  BenchResult r;
  try {
    r = run_benchmark(o);
  } catch (...) {
    if (bar_drawn) std::fprintf(stderr, "\r\033[K");
    throw;
  }
  if (bar_drawn) std::fprintf(stderr, "\r\033[K");

  const bool host = r.h2d.count == 0 && r.compute.count == 0 && r.d2h.count == 0 && r.enqueue.count == 0;
  std::cout << "[I] === Setup ===\n";
  std::cout << "[I] Backend: " << r.backend << " | batch " << r.batch << " | streams " << r.streams
            << " | threads " << r.threads << " | cores " << r.cores;
  if (r.load_average >= 0)
    std::cout << " | load average " << num(r.load_average, "%.2f") << " before the run";
  std::cout << "\n";
  for (const auto& [name, desc] : r.inputs) std::cout << "[I] Input " << name << ": " << desc << "\n";
  std::cout << "[I] Build time: " << num(r.build_s, "%.4g") << " s (" << r.streams
            << " engine(s): load + prepare)"
            << " | input setup " << num(r.setup_s, "%.4g") << " s\n";
  std::cout << "[I] Warm-up: " << r.warmup_inferences << " inference(s) in " << num(r.warmup_s, "%.3f")
            << " s\n";
  std::cout << "[I] === Performance summary ===\n";
  std::cout << "[I] Throughput: " << num(r.throughput) << " qps (" << num(r.throughput * r.batch)
            << " samples/s at batch " << r.batch << ")\n";
  print_stats("Latency", r.latency, "none");
  const std::string na = "n/a (backend '" + r.backend + "' runs on the host and does not measure it)";
  print_stats("Enqueue Time", r.enqueue, na);
  print_stats("H2D Latency", r.h2d, na);
  print_stats("GPU Compute Time", r.compute, na);
  print_stats("D2H Latency", r.d2h, na);
  std::cout << "[I] Total timed: " << r.inferences << " inference(s) in " << num(r.timed_s, "%.3f")
            << " s (wall)";
  if (!host) std::cout << "; latency includes H2D and D2H";
  std::cout << "\n";
  std::cout << "[I] Peak memory (process RSS): " << num(r.peak_rss_bytes / 1048576.0, "%.1f") << " MiB";
  if (r.peak_device_bytes >= 0)
    std::cout << " | peak device memory: " << num(r.peak_device_bytes / 1048576.0, "%.1f") << " MiB";
  std::cout << "\n";
  if (r.profiled) {
    // Device backends time layers on the GPU (CUDA events around each layer), host backends by wall time.
    print_profile(host ? "Profile by layer" : "Profile by layer, GPU time (CUDA events)", r.layers, r.inferences);
    print_profile(host ? "Profile by op type" : "Profile by op type, GPU time (CUDA events)", r.op_types,
                  r.inferences);
  }
  for (const std::string& w : r.warnings) std::cout << "[W] * " << w << "\n";
  if (!c.json.empty()) {
    write_file_atomic(c.json, bench_result_json(r));
    std::cout << "[I] Wrote " << c.json << "\n";
  }
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto c = std::make_shared<BenchCliOpts>();
  std::string backends = "Backend to benchmark (default: cpu when built, else ref). Registered: ";
  for (const BackendInfo& b : registered_backends()) backends += b.name + " (" + b.description + "); ";
  auto* cmd = app.add_subcommand(
      "bench",
      "Benchmark a model on a backend (like trtexec): throughput, latency percentiles, GPU H2D/compute/D2H "
      "times when the backend measures them, peak memory, build time, per-layer profile");
  cmd->add_option("model", c->b.model, "ONNX model file, or a plan file from `onyx build` (it runs on its own target)")->required();
  cmd->add_option("--backend", c->b.backend, backends);
  cmd->add_option("--batch", c->b.batch,
                  "Batch size: the first dimension of every input (a fixed batch must match)")
      ->each([c](const std::string&) { c->b.batch_given = true; });
  cmd->add_option(
      "--input-shapes", c->b.input_shapes,
      "Shapes for inputs with dynamic dimensions: NAME:[d0,d1,...], several separated by spaces or "
      "commas (other dynamic dims default to 1)");
  cmd->add_option("--seed", c->b.seed, "Seed of the generated input data (default 1; as `onyx run`)");
  cmd->add_option("--duration", c->b.duration_s,
                  "Run the timed phase for at least S seconds (default 3 s, with at least 10 inferences)")
      ->each([c](const std::string&) { c->b.duration_given = true; });
  cmd->add_option("--iterations", c->b.iterations,
                  "Run at least N timed inferences (alone: exactly N; with --duration: both must hold)")
      ->each([c](const std::string&) { c->b.iterations_given = true; });
  cmd->add_option("--warm-up", c->b.warmup_s,
                  "Warm-up seconds per stream before timing (default 0.2; always at least one inference)");
  cmd->add_option("--streams", c->b.streams,
                  "Concurrent contexts: N runners of the same model driven from N threads (default 1)");
  cmd->add_option("--threads", c->b.threads, "CPU threads for kernels (default: all cores)")
      ->each([c](const std::string&) { c->b.threads_given = true; });
  cmd->add_flag("--cuda-graph", c->b.cuda_graph,
                "Capture the inference in a CUDA graph and replay it (CUDA backends)");
  cmd->add_flag("--no-data-transfers", c->b.no_data_transfers,
                "Leave inputs and outputs on the device: time compute only (CUDA backends)");
  cmd->add_flag("--dump-profile", c->b.dump_profile,
                "Print per-layer times (total, mean per inference, % of all layers), largest first, and the "
                "same per op type");
  cmd->add_option("--json", c->json, "Write every metric to this JSON file (times in ms)");
  cmd->add_option("--save-inputs", c->b.save_inputs,
                  "Write the generated inputs (.npz, .json, ...) so a peer can run on the same data");
  cmd->add_flag("--no-progress", c->no_progress, "No progress bar (it is drawn on a terminal only)");
  cmd->footer(
      "Examples:\n"
      "  onyx bench resnet50.onnx --threads 2 --duration 10\n"
      "  onyx bench bert.onnx --input-shapes input_ids:[1,128] attention_mask:[1,128] --iterations 20 --json "
      "b.json\n"
      "  onyx bench resnet50.onnx --backend ref --batch 4 --dump-profile\n"
      "  onyx bench resnet50.onnx --backend cuda:fp16 --cuda-graph --streams 2\n"
      "The timed phase runs until --duration and --iterations both hold (default: 3 s and 10 inferences).\n"
      "Exit codes: 0 ok, 2 bad input or usage (duration <= 0, --streams 0, a batch the model does not "
      "allow),\n"
      "3 the backend does not support an option (--cuda-graph on a host backend), 4 runtime failure.");
  set_action(cmd, [c] {
    BenchCliOpts opts = *c;
    return bench_command(opts);
  });
}

}  // namespace onyx::cli
