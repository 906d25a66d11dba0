// onyx build M -o P [--target cpu] [--profile NAME:MIN:OPT:MAX ...] [--workspace BYTES] [--opt-level N]
// [--fp16|--bf16|--tf32|--strongly-typed] [--layer-precision NAME:P] [--timing-cache FILE] [--disable-pass P] [--dump-graph-after P] [--max-rewrites N]: builds a plan file (docs/plan-format.md) for the engine of a target.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.h"
#include "onyx/builder.h"
#include "onyx/onnx.h"

namespace onyx::cli {

namespace {

struct BuildOpts {
  std::string model, output, target = "cpu", precision = "fp32", timing_cache;
  std::vector<std::string> profiles;
  uint64_t workspace = 0;
  int opt_level = 3;
  bool quiet = false;
  std::vector<std::string> disabled_passes;
  std::string dump_after;
  int64_t max_rewrites = -1;
  bool fp16 = false, bf16 = false, tf32 = false, strongly_typed = false;
  std::vector<std::string> layer_precisions;  // NAME:PRECISION
};

int run_build(const BuildOpts& o) {
  const auto start = std::chrono::steady_clock::now();
  BuilderConfig config;
  config.target = parse_target(o.target);
  config.precision = parse_precision(o.precision);
  if (o.fp16 + o.bf16 + o.tf32 > 1) fail_bad_input("give at most one of --fp16, --bf16, --tf32");
  if (o.fp16) config.precision = Precision::kFp16;
  if (o.bf16) config.precision = Precision::kBf16;
  if (o.tf32) config.precision = Precision::kTf32;
  if (o.strongly_typed) {
    // Checked before the model is read (build_plan checks again for API callers).
    if (o.fp16 || o.bf16 || o.tf32 || config.precision != Precision::kFp32)
      fail_bad_input("--strongly-typed takes the precision the model declares: drop --fp16/--bf16/--tf32/--precision");
    if (!o.layer_precisions.empty())
      fail_bad_input("--strongly-typed takes the precision the model declares: drop --layer-precision");
    config.strongly_typed = true;
  }
  for (const std::string& lp : o.layer_precisions) {
    const size_t colon = lp.rfind(':');
    if (colon == std::string::npos || colon == 0)
      fail_bad_input("--layer-precision '", lp, "': expected NAME:PRECISION, e.g. /encoder/softmax:fp32");
    config.layer_precisions.emplace_back(lp.substr(0, colon), parse_precision(lp.substr(colon + 1)));
  }
  config.workspace_limit = o.workspace;
  config.optimization_level = o.opt_level;
  config.timing_cache_file = o.timing_cache;
  config.show_progress = !o.quiet;
  config.passes.disabled = o.disabled_passes;
  config.passes.max_rewrites = o.max_rewrites;
  config.passes.dump_after = o.dump_after;
  config.passes.on_dump = [](const std::string& pass, const Model& m) {
    std::cout << "---- graph after pass '" << pass << "' (" << m.graph->nodes().size() << " nodes) ----\n";
    for (const auto& n : m.graph->nodes()) {
      std::cout << "  " << (n->domain.empty() ? "" : n->domain + ".") << n->op_type << " " << n->name << " (";
      for (size_t i = 0; i < n->num_inputs(); ++i)
        std::cout << (i ? ", " : "") << (n->input(i) ? n->input(i)->name() : "");
      std::cout << ") -> (";
      for (size_t i = 0; i < n->num_outputs(); ++i)
        std::cout << (i ? ", " : "") << (n->output(i) ? n->output(i)->name() : "");
      std::cout << ")\n";
    }
  };
  // Each --profile adds one input's range to the current profile; "--profile next" (or a second range for an
  // input already given) starts a new profile.
  config.profiles.emplace_back();
  for (const std::string& text : o.profiles) {
    if (text == "next") {
      config.profiles.emplace_back();
      continue;
    }
    auto [name, range] = parse_profile_arg(text);
    if (config.profiles.back().find(name)) config.profiles.emplace_back();
    config.profiles.back().set_dimensions(name, range.min, range.opt, range.max);
  }
  std::erase_if(config.profiles, [](const OptimizationProfile& p) { return p.inputs().empty(); });
  Model model = load_model(o.model);
  const std::string plan = build_plan(std::move(model), config);
  write_file_atomic(o.output, plan);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!o.quiet) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", seconds);
    std::cout << "built " << o.output << " (" << plan.size() << " bytes, target " << o.target << ") in "
              << buf << " s\n";
  }
  return 0;
}

}  // namespace

void add_build_command(CLI::App& app) {
  auto o = std::make_shared<BuildOpts>();
  auto* sub = app.add_subcommand("build", "Build an optimized engine plan file from an ONNX model");
  sub->add_option("model", o->model, "ONNX model file")->required();
  sub->add_option("-o,--output", o->output, "Plan file to write")->required();
  sub->add_option("--target", o->target, "Target: cpu (default) or cuda");
  sub->add_option("--precision", o->precision, "fp32 (default, strict), tf32, fp16 or bf16 (the last three: cuda only)");
  sub->add_flag("--fp16", o->fp16, "Same as --precision fp16 (weights and activations in half; fp32 statistics)");
  sub->add_flag("--bf16", o->bf16, "Same as --precision bf16");
  sub->add_flag("--tf32", o->tf32, "Same as --precision tf32 (TF32 tensor cores for float32 matmul/conv)");
  sub->add_flag("--strongly-typed", o->strongly_typed,
                "Run every layer in the dtypes the model declares (fp16 model → fp16; Casts and Q/DQ as written; "
                "no automatic conversion). Not with --fp16/--bf16/--tf32/--layer-precision");
  sub->add_option("--layer-precision", o->layer_precisions,
                  "Per-node precision override NAME:fp32|tf32|fp16|bf16 (cuda; repeatable; NAME as in the optimized "
                  "graph, see onyx inspect plan)");
  sub->add_option(
      "--profile", o->profiles,
      "Shape range of a dynamic input: NAME:MIN:OPT:MAX, each shape written [d0,d1,...] (or d0xd1x...), "
      "e.g. x:[1,3,224,224]:[8,3,224,224]:[16,3,224,224]. Repeat for each dynamic input; naming an "
      "input again (or giving 'next') starts another optimization profile. Every dynamic input needs a "
      "range in every profile; without any --profile, dynamic inputs accept any shape and are left "
      "out of the memory plan");
  sub->add_option("--workspace", o->workspace,
                  "Largest activation arena in bytes an execution context may use (default: no limit)");
  sub->add_option("--opt-level,--builder-optimization-level", o->opt_level,
                  "Optimization level 0-3 (default 3). 0: no graph passes and, on cuda, no tactic timing (the "
                  "cuBLASLt/cuDNN heuristics' first choices)")
      ->check(CLI::Range(0, 3));
  sub->add_option("--timing-cache", o->timing_cache,
                  "Kernel timing cache file (cuda): read at build start, entries for this GPU and library versions "
                  "are reused without timing, rewritten at the end; a damaged file is ignored with a warning");
  sub->add_option("--disable-pass", o->disabled_passes,
                  "Skip a graph pass by name (repeatable; `onyx optimize --list-passes` lists them)");
  sub->add_option("--dump-graph-after", o->dump_after, "Print the graph after this pass ran");
  sub->add_option("--max-rewrites", o->max_rewrites,
                  "Stop rewriting after N rewrites in total (bisect a bad rewrite); default: no limit");
  sub->add_flag("-q,--quiet", o->quiet, "Print nothing on success");
  set_action(sub, [o] { return run_build(*o); });
}

}  // namespace onyx::cli
