// onyx run M --backends ref[,cpu,cuda...] [...]: Polygraphy's `run` workflow. Generates (or loads) inputs,
// runs every backend, compares each backend's outputs to the reference (the first backend, or --load-outputs)
// and exits 0 when all match, 1 when any differ, 2 on bad input.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "onyx/compare.h"
#include "onyx/data.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"

namespace onyx::cli {

namespace {

struct RunOpts {
  std::string model;
  std::vector<std::string> backends;
  std::vector<std::string> input_shapes;
  uint64_t seed = 1;
  std::vector<std::string> val_range;
  int iterations = 1;
  bool iterations_given = false;
  std::string load_inputs, save_inputs, load_outputs, save_outputs, report;
  std::vector<std::string> atol, rtol, error_stat;
  bool mark_all = false;
  bool fail_fast = false;
  bool verbose = false;
};

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// "1e-5" (default) or "out:1e-3" (one output); comma-separated lists allowed.
template <typename T, typename Parse>
void parse_per_output(const std::vector<std::string>& items, const char* flag, T& def,
                      std::map<std::string, T>& per, Parse parse) {
  for (const std::string& item : items) {
    size_t start = 0;
    for (;;) {
      const size_t comma = item.find(',', start);
      const std::string e =
          item.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (e.empty()) fail_bad_input(flag, ": empty entry in '", item, "'");
      const size_t colon = e.rfind(':');
      if (colon == std::string::npos) {
        def = parse(e, flag);
      } else {
        const std::string name = e.substr(0, colon);
        if (name.empty()) fail_bad_input(flag, ": '", e, "' has an empty output name");
        per[name] = parse(e.substr(colon + 1), flag);
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
}

double parse_tol(const std::string& s, const char* flag) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= 0))
    fail_bad_input(flag, ": '", s, "' is not a non-negative number");
  return v;
}

struct BackendRun {
  std::string name;
  std::vector<NamedTensors> outputs;  // per iteration
  std::vector<double> times;          // seconds per iteration
};

nlohmann::json comparison_json(const OutputComparison& c) {
  nlohmann::json j;
  j["name"] = c.name;
  j["passed"] = c.passed;
  if (!c.structural_error.empty()) {
    j["error"] = c.structural_error;
    return j;
  }
  j["dtype"] = dtype_name(c.dtype);
  j["reference_dtype"] = dtype_name(c.ref_dtype);
  j["shape"] = c.dims;
  j["atol"] = c.atol;
  j["rtol"] = c.rtol;
  j["check_error_stat"] = error_stat_name(c.error_stat);
  auto stats = [](const ErrorStats& s) {
    return nlohmann::json{{"max", s.max}, {"mean", s.mean}, {"median", s.median},
                          {"p90", s.p90}, {"p99", s.p99},   {"p99.9", s.p999}};
  };
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(fmt(v)); };
  auto fix = [&](nlohmann::json s) {
    for (auto& [k, v] : s.items()) v = num(v.get<double>());
    return s;
  };
  j["abs_error"] = fix(stats(c.abs_error));
  j["rel_error"] = fix(stats(c.rel_error));
  j["mismatched_elements"] = c.mismatches;
  j["elements"] = c.numel;
  j["nan_mismatches"] = c.nan_mismatches;
  j["inf_mismatches"] = c.inf_mismatches;
  j["reference_nan"] = c.ref_summary.nan;
  j["reference_inf"] = c.ref_summary.inf;
  j["nan"] = c.summary.nan;
  j["inf"] = c.summary.inf;
  if (c.worst_index >= 0) {
    j["worst"] = {{"index", c.worst_coords},       {"flat_index", c.worst_index},
                  {"reference", num(c.worst_ref)}, {"actual", num(c.worst_actual)},
                  {"abs_error", num(c.worst_abs)}, {"rel_error", num(c.worst_rel)}};
  }
  j["min_tolerance"] = {{"atol", num(c.min_atol)},
                        {"rtol", num(c.min_rtol)},
                        {"atol_with_rtol", num(c.min_atol_given_rtol)},
                        {"rtol_with_atol", num(c.min_rtol_given_atol)}};
  j["histogram"] = c.histogram;
  return j;
}

void print_lines(const std::vector<std::string>& lines, const std::string& indent) {
  for (const std::string& l : lines) std::cout << indent << l << "\n";
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

int run_command(const RunOpts& o) {
  // A plan file runs on the target it was built for (compare it with --load-outputs).
  std::shared_ptr<const Engine> plan_engine;
  if (is_plan_file(o.model)) {
    plan_engine = Engine::load(o.model);
    if (!o.backends.empty())
      fail_bad_input("--backends: ", o.model, " is a plan built for target ",
                     target_name(plan_engine->summary().target),
                     "; a plan runs on its own target (leave --backends out, compare with --load-outputs)");
    if (o.mark_all) fail_bad_input("--mark-all needs an ONNX model: a plan does not expose intermediate values");
  } else if (o.backends.empty()) {
    fail_bad_input("--backends: give at least one backend (available: ", available_backends_list(), ")");
  }
  if (o.iterations < 1) fail_bad_input("--iterations must be at least 1");
  // Backends first: an unknown one is a usage error, before any file is read.
  std::vector<std::unique_ptr<Runner>> runners;
  std::vector<std::string> display_names;  // a backend given twice (a determinism check) becomes "ref#2"
  if (plan_engine) {
    const std::string name = std::string(target_name(plan_engine->summary().target)) + "-plan";
    runners.push_back(make_plan_runner(plan_engine, o.model, name));
    display_names.push_back(name);
  }
  for (size_t k = 0; k < o.backends.size(); ++k) {
    const std::string& b = o.backends[k];
    runners.push_back(make_runner(b, ModelFromOnnxPath(o.model)));
    const auto repeats = std::count(o.backends.begin(), o.backends.begin() + static_cast<std::ptrdiff_t>(k), b);
    display_names.push_back(repeats ? b + "#" + std::to_string(repeats + 1) : b);
  }

  CompareOptions copts;
  copts.fail_fast = o.fail_fast;
  parse_per_output(o.atol, "--atol", copts.atol, copts.atol_per_output, parse_tol);
  parse_per_output(o.rtol, "--rtol", copts.rtol, copts.rtol_per_output, parse_tol);
  parse_per_output(o.error_stat, "--check-error-stat", copts.check_error_stat, copts.error_stat_per_output,
                   [](const std::string& s, const char*) { return parse_error_stat(s); });
  DataLoaderOptions dl;
  dl.seed = o.seed;
  dl.iterations = o.iterations;
  dl.input_shapes = parse_input_shapes(o.input_shapes);
  dl.val_ranges = parse_val_ranges(o.val_range);
  if (!o.load_inputs.empty() && (!dl.input_shapes.empty() || !dl.val_ranges.empty()))
    fail_bad_input("--load-inputs cannot be combined with --input-shapes or --val-range");

  // The model's structure (inputs, outputs, how integer inputs are used).
  Model model;
  TensorMetadata in_meta, out_meta;
  if (plan_engine) {
    for (const IoTensor& t : plan_engine->io_tensors())
      (t.is_input ? in_meta : out_meta).push_back({t.name, t.dtype, t.shape});
  } else {
    model = load_model(o.model);
    try {
      prepare_model(model);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnsupported) throw;  // a backend may still run it; shapes stay as stated
    }
    for (const Value* v : model.graph->inputs)
      if (!v->is_initializer())
        in_meta.push_back({v->name(), v->type.is_tensor() ? v->type.dtype : DType::kUndefined,
                           v->type.is_tensor() ? v->type.shape : Shape::unknown_rank()});
    for (const Value* v : model.graph->outputs)
      out_meta.push_back({v->name(), v->type.is_tensor() ? v->type.dtype : DType::kUndefined,
                          v->type.is_tensor() ? v->type.shape : Shape::unknown_rank()});
  }
  std::vector<std::string> intermediates;
  if (o.mark_all) {
    std::set<std::string> outs;
    for (const TensorMeta& m : out_meta) outs.insert(m.name);
    for (const Value* v : intermediate_values(*model.graph))
      if (!outs.count(v->name())) intermediates.push_back(v->name());
  }

  // Inputs.
  std::vector<NamedTensors> feeds;
  if (!o.load_inputs.empty()) {
    const TensorData d = read_tensor_data(o.load_inputs, DataRole::kInputs);
    if (d.runs.size() > 1)
      std::cout << "[W] " << o.load_inputs << " holds results of " << d.runs.size() << " runners; using '"
                << d.runs[0].runner << "'\n";
    for (size_t i = 0; i < d.runs[0].iterations.size(); ++i)
      feeds.push_back(bind_tensors(
          d.runs[0].iterations[i], in_meta,
          o.load_inputs + (d.runs[0].iterations.size() > 1 ? " (iteration " + std::to_string(i) + ")" : ""),
          "input", true));
    if (o.iterations_given && static_cast<int>(feeds.size()) != o.iterations)
      fail_bad_input("--iterations ", o.iterations, " but ", o.load_inputs, " holds ", feeds.size(),
                     " iteration(s)");
    std::cout << "[I] Loaded " << feeds.size() << " iteration(s) of inputs from " << o.load_inputs << " ("
              << d.format << ")\n";
  } else {
    DataLoader loader(in_meta, dl, model.graph.get());
    for (int i = 0; i < loader.size(); ++i) feeds.push_back(loader[i]);
    std::cout << "[I] Generated " << feeds.size() << " iteration(s) of inputs (seed " << o.seed << ")\n";
  }
  if (!feeds.empty())
    for (const auto& [name, t] : feeds[0]) std::cout << "    " << name << ": " << t.describe() << "\n";
  if (!o.save_inputs.empty()) {
    write_tensor_data(o.save_inputs, {RunnerData{"", feeds, {}}}, DataRole::kInputs);
    std::cout << "[I] Saved inputs to " << o.save_inputs << "\n";
  }

  // Reference outputs from a file: checked before anything runs.
  std::optional<BackendRun> loaded;
  if (!o.load_outputs.empty()) {
    const TensorData d = read_tensor_data(o.load_outputs, DataRole::kOutputs);
    if (d.runs.size() > 1)
      std::cout << "[W] " << o.load_outputs << " holds results of " << d.runs.size() << " runners; using '"
                << d.runs[0].runner << "' as the reference\n";
    BackendRun r;
    r.name = d.runs[0].runner.empty() ? o.load_outputs : d.runs[0].runner + " (" + o.load_outputs + ")";
    if (d.runs[0].iterations.size() != feeds.size())
      fail_bad_input(o.load_outputs, " holds ", d.runs[0].iterations.size(),
                     " iteration(s) of outputs, but there are ", feeds.size(), " iteration(s) of inputs");
    for (size_t i = 0; i < d.runs[0].iterations.size(); ++i)
      r.outputs.push_back(
          bind_tensors(d.runs[0].iterations[i], out_meta,
                       o.load_outputs + (feeds.size() > 1 ? " (iteration " + std::to_string(i) + ")" : ""),
                       "output", true, intermediates));
    r.times = d.runs[0].runtimes;
    loaded = std::move(r);
    std::cout << "[I] Loaded reference outputs from " << o.load_outputs << " (" << d.format << ")\n";
  }

  // Run every backend, one at a time.
  std::vector<BackendRun> runs;
  std::vector<NodeSummary> topology;
  for (size_t k = 0; k < runners.size(); ++k) {
    Runner* runner = runners[k].get();
    BackendRun r;
    r.name = display_names[k];
    RunnerActivation active(*runner);
    if (o.mark_all) {
      std::vector<std::string> extras;
      const auto topo = runner->topology();
      if (topology.empty()) topology = topo;
      for (const NodeSummary& n : topo)
        for (const std::string& v : n.outputs)
          if (!v.empty()) extras.push_back(v);
      runner->set_extra_outputs(extras);
    }
    for (size_t i = 0; i < feeds.size(); ++i) {
      try {
        r.outputs.push_back(runner->infer(feeds[i]));
      } catch (const Error& e) {
        // Name the backend (and the iteration, when there are several) that failed.
        throw Error(e.code(), r.name + (feeds.size() > 1 ? " (iteration " + std::to_string(i) + ")" : "") +
                                  ": " + e.what());
      }
      r.times.push_back(runner->last_inference_time());
    }
    double sum = 0, lo = r.times[0], hi = r.times[0];
    for (double t : r.times) {
      sum += t;
      lo = std::min(lo, t);
      hi = std::max(hi, t);
    }
    std::cout << "[I] " << r.name << " | " << r.times.size() << " iteration(s) | mean "
              << fmt(sum / r.times.size() * 1e3) << " ms, min " << fmt(lo * 1e3) << " ms, max "
              << fmt(hi * 1e3) << " ms\n";
    if (o.verbose)
      for (const auto& [name, t] : r.outputs[0]) std::cout << "    " << name << ": " << t.describe() << "\n";
    runs.push_back(std::move(r));
  }

  if (!o.save_outputs.empty()) {
    std::vector<RunnerData> data;
    for (const BackendRun& r : runs) data.push_back({r.name, r.outputs, r.times});
    write_tensor_data(o.save_outputs, data, DataRole::kOutputs);
    std::cout << "[I] Saved outputs to " << o.save_outputs << "\n";
  }

  // Topological position of every value (for --mark-all order and the divergence report).
  std::map<std::string, size_t> topo_pos;
  for (const NodeSummary& n : topology)
    for (const std::string& v : n.outputs)
      if (!v.empty()) topo_pos.emplace(v, topo_pos.size());

  // Compare.
  const BackendRun* ref = loaded ? &*loaded : &runs[0];
  std::vector<const BackendRun*> others;
  for (size_t k = loaded ? 0 : 1; k < runs.size(); ++k) others.push_back(&runs[k]);
  nlohmann::json report;
  report["model"] = o.model;
  report["backends"] = nlohmann::json::array();
  for (const BackendRun& r : runs) {
    double sum = 0;
    for (double t : r.times) sum += t;
    report["backends"].push_back({{"name", r.name},
                                  {"times_ms",
                                   [&] {
                                     std::vector<double> ms;
                                     for (double t : r.times) ms.push_back(t * 1e3);
                                     return ms;
                                   }()},
                                  {"mean_ms", sum / r.times.size() * 1e3}});
  }
  report["reference"] = ref->name;
  report["inputs"] = nlohmann::json::array();
  for (const auto& [name, t] : feeds[0])
    report["inputs"].push_back({{"name", name}, {"dtype", dtype_name(t.dtype())}, {"shape", t.dims()}});
  report["comparisons"] = nlohmann::json::array();

  bool all_passed = true;
  if (others.empty()) std::cout << "[I] One backend and no --load-outputs: nothing to compare\n";
  for (const BackendRun* other : others) {
    for (size_t i = 0; i < feeds.size(); ++i) {
      // Order: graph outputs, then (with --mark-all) intermediates in topological order.
      NamedTensors ref_out = ref->outputs[i];
      if (o.mark_all)
        std::stable_sort(ref_out.begin(), ref_out.end(), [&](const auto& a, const auto& b) {
          auto pa = topo_pos.find(a.first), pb = topo_pos.find(b.first);
          const size_t xa = pa == topo_pos.end() ? SIZE_MAX : pa->second,
                       xb = pb == topo_pos.end() ? SIZE_MAX : pb->second;
          return xa < xb;
        });
      CompareOptions per = copts;
      per.fail_fast = o.fail_fast && !o.mark_all;  // --mark-all compares all to find the first divergence
      const IterationComparison cmp = compare_outputs(ref_out, other->outputs[i], per);
      std::cout << "[I] Comparing " << other->name << " against " << ref->name << " | iteration " << i
                << "\n";
      std::map<std::string, const OutputComparison*> by_name;
      std::set<std::string> graph_outputs;
      for (const TensorMeta& m : out_meta) graph_outputs.insert(m.name);
      for (const OutputComparison& c : cmp.outputs) {
        by_name[c.name] = &c;
        const bool is_output = graph_outputs.count(c.name) > 0;
        std::cout << "    " << (c.passed ? "PASSED" : "FAILED") << " | " << (is_output ? "output" : "value")
                  << " '" << c.name << "' "
                  << (c.structural_error.empty() ? std::string(dtype_name(c.dtype)) + dims_to_string(c.dims)
                                                 : std::string())
                  << " | " << one_line_error(c) << "\n";
        if ((!c.passed && is_output) || o.verbose) print_lines(format_comparison(c), "        ");
      }
      for (const std::string& m : cmp.missing)
        std::cout << "    FAILED | '" << m << "' is missing from " << other->name << "'s outputs\n";
      nlohmann::json jc;
      jc["reference"] = ref->name;
      jc["backend"] = other->name;
      jc["iteration"] = i;
      jc["passed"] = cmp.passed;
      jc["outputs"] = nlohmann::json::array();
      for (const OutputComparison& c : cmp.outputs) jc["outputs"].push_back(comparison_json(c));
      jc["missing"] = cmp.missing;
      if (o.mark_all && !cmp.passed) {
        // The first node (topological order) whose output fails.
        std::set<std::string> graph_inputs, initializers;
        for (const TensorMeta& m : in_meta) graph_inputs.insert(m.name);
        for (const Value* v : model.graph->initializers) initializers.insert(v->name());
        for (const NodeSummary& n : topology) {
          const OutputComparison* bad = nullptr;
          for (const std::string& v : n.outputs) {
            auto it = by_name.find(v);
            if (it != by_name.end() && !it->second->passed) {
              bad = it->second;
              break;
            }
          }
          if (!bad) continue;
          std::cout << "[E] First divergence: node '" << n.name << "' (" << n.op_type << ")\n";
          nlohmann::json jd;
          jd["node"] = n.name;
          jd["op_type"] = n.op_type;
          jd["inputs"] = nlohmann::json::array();
          for (const std::string& in : n.inputs) {
            if (in.empty()) continue;
            std::string what;
            nlohmann::json ji{{"name", in}};
            auto it = by_name.find(in);
            if (it != by_name.end()) {
              what = std::string(it->second->passed ? "within tolerance" : "DIVERGES") + ": " +
                     one_line_error(*it->second);
              ji["comparison"] = comparison_json(*it->second);
            } else if (graph_inputs.count(in)) {
              what = "graph input (the same data on every backend)";
            } else if (initializers.count(in)) {
              what = "initializer (constant)";
            } else {
              what = "not compared";
            }
            ji["status"] = what;
            jd["inputs"].push_back(ji);
            std::cout << "    input  '" << in << "': " << what << "\n";
          }
          jd["outputs"] = nlohmann::json::array();
          for (const std::string& v : n.outputs) {
            auto it = by_name.find(v);
            if (it == by_name.end()) continue;
            std::cout << "    output '" << v
                      << "': " << (it->second->passed ? "within tolerance" : "DIVERGES") << ": "
                      << one_line_error(*it->second) << "\n";
            if (!it->second->passed) print_lines(format_comparison(*it->second), "        ");
            jd["outputs"].push_back(comparison_json(*it->second));
          }
          jc["first_divergence"] = jd;
          break;
        }
      }
      report["comparisons"].push_back(jc);
      if (!cmp.passed) {
        all_passed = false;
        std::vector<std::string> failed;
        for (const OutputComparison& c : cmp.outputs)
          if (!c.passed) failed.push_back(c.name);
        for (const std::string& m : cmp.missing) failed.push_back(m);
        std::cout << "[E] FAILED | " << other->name << " vs " << ref->name << " | iteration " << i
                  << " | mismatched: " << join(failed) << "\n";
        if (o.fail_fast) break;
      }
    }
    if (!all_passed && o.fail_fast) break;
  }
  report["passed"] = all_passed;
  if (!o.report.empty()) {
    write_file_atomic(o.report, report.dump(2) + "\n");
    std::cout << "[I] Wrote report to " << o.report << "\n";
  }
  if (!others.empty())
    std::cout << (all_passed ? "[I] PASSED | All outputs matched\n" : "[E] FAILED | Outputs differ\n");
  return all_passed ? 0 : 1;
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto o = std::make_shared<RunOpts>();
  std::string backends_help =
      "Backends to run, comma separated; the first is the reference (unless --load-outputs). "
      "A backend may take options after a colon (cuda:fp16). Registered: ";
  for (const BackendInfo& b : registered_backends()) backends_help += b.name + " (" + b.description + "); ";
  backends_help += "cuda options: fp32, tf32, fp16, bf16, graph; default ref; a plan file runs on its own target instead";
  auto* cmd = app.add_subcommand(
      "run",
      "Run a model on one or more backends with generated or loaded inputs, and compare the outputs "
      "(like `polygraphy run`). Exit 0 when all outputs match, 1 when any differ, 2 on bad input.");
  cmd->add_option("model", o->model, "ONNX model file, or a plan file from `onyx build` (it runs on its own target; compare it with --load-outputs)")->required();
  cmd->add_option("--backends", o->backends, backends_help)->delimiter(',')->default_str("ref");
  cmd->add_option(
      "--input-shapes", o->input_shapes,
      "Shapes for inputs with dynamic dimensions: NAME:[d0,d1,...], several separated by spaces or "
      "commas. Unnamed dynamic dims default to 1. For a 1-D integer input whose length equals the number "
      "of values, the values become its contents (a shape input)");
  cmd->add_option(
      "--seed", o->seed,
      "Seed of the input generator (default 1); iteration i uses seed+i. The data equals Polygraphy's "
      "for the same seed (numpy's RandomState)");
  cmd->add_option(
      "--val-range", o->val_range,
      "Value range [lo,hi] (inclusive) of generated inputs: NAME:[lo,hi] for one input, [lo,hi] for "
      "the rest (default [0,1]). Integer inputs draw whole numbers, bools draw from {lo!=0, hi!=0}. "
      "Integer inputs that the model uses as shapes, indices or axes get valid values unless named here");
  cmd->add_option("--iterations", o->iterations, "Number of inferences, each with its own inputs (default 1)")
      ->each([o](const std::string&) { o->iterations_given = true; });
  cmd->add_option(
      "--load-inputs", o->load_inputs,
      "Read inputs instead of generating them: .npy (a single-input model), .npz, .pb (TensorProto), "
      ".json (Polygraphy --save-inputs), or an ONNX test-data folder (input_N.pb; test_data_set_N "
      "sub-folders give one iteration each). Unnamed tensors bind to inputs by position");
  cmd->add_option(
      "--save-inputs", o->save_inputs,
      "Write the inputs used: .json (Polygraphy format), .npz, .npy/.pb (one tensor), or a folder "
      "(input_N.pb)");
  cmd->add_option(
      "--load-outputs", o->load_outputs,
      "Reference outputs to compare every backend against (instead of the first backend): .json "
      "(Polygraphy RunResults or feed-dict list), .npz, .npy, .pb, or a test-data folder (output_N.pb)");
  cmd->add_option(
      "--save-outputs", o->save_outputs,
      "Write the outputs: .json holds every backend (Polygraphy RunResults); .npz/.npy/.pb/folder hold "
      "the first backend's");
  cmd->add_option(
      "--atol", o->atol,
      "Absolute tolerance (default 1e-5); OUT:VALUE sets it for one output. An element fails only when "
      "it exceeds both atol and rtol");
  cmd->add_option("--rtol", o->rtol,
                  "Relative tolerance, relative to the reference (default 1e-5); OUT:VALUE for one output");
  cmd->add_option(
      "--check-error-stat", o->error_stat,
      "What must be within tolerance: elemwise (every element; default), max, mean or median of the "
      "errors; OUT:STAT for one output");
  cmd->add_flag(
      "--mark-all", o->mark_all,
      "Make every intermediate tensor an output on every backend, compare them in topological order and "
      "report the first node whose output diverges (its op, its inputs' error and its own)");
  cmd->add_option("--report", o->report,
                  "Write a JSON report (timings, every comparison's statistics, divergence)");
  cmd->add_flag("--fail-fast", o->fail_fast, "Stop at the first output that differs");
  cmd->add_flag("-v,--verbose", o->verbose, "Print full statistics and histograms for passing outputs too");
  cmd->footer(
      "Examples:\n"
      "  onyx run model.onnx --backends ref --save-inputs in.json --save-outputs out.json\n"
      "  onyx run model.onnx --backends ref,cuda --atol 1e-4 --rtol 1e-3 --iterations 5\n"
      "  onyx run model.onnx --backends ref --input-shapes x:[4,3,224,224] --val-range x:[-1,1] --seed 7\n"
      "  onyx run case/model.onnx --backends ref --load-inputs case/test_data_set_0 \\\n"
      "      --load-outputs case/test_data_set_0\n"
      "  onyx run model.onnx --backends ref --load-inputs in.json --load-outputs polygraphy_outputs.json \\\n"
      "      --check-error-stat max --atol logits:1e-3\n"
      "  onyx run model.onnx --backends ref,cuda:fp16 --mark-all --report report.json\n"
      "  onyx run model.onnx --backends ref --save-inputs in.npz --save-outputs ref.npz && onyx build model.onnx "
      "-o m.plan && onyx run m.plan --load-inputs in.npz --load-outputs ref.npz\n"
      "Put the model before options that take several values (--input-shapes, --val-range, --atol, ...).\n"
      "Exit codes: 0 all outputs match (or nothing to compare), 1 outputs differ, 2 bad input or usage,\n"
      "3 unsupported model feature, 4 runtime failure.");
  set_action(cmd, [o] {
    RunOpts opts = *o;
    if (opts.backends.empty() && !is_plan_file(opts.model)) opts.backends = {"ref"};
    return run_command(opts);
  });
}

}  // namespace onyx::cli
