// onyx optimize M -o OUT.onnx [--disable-pass P ...] [--dump-graph-after P] [--max-rewrites N] [--list-passes]:
// prepares the model, runs the graph passes (include/onyx/passes.h), writes the optimized model and prints a
// per-pass report (rewrites, nodes before/after, time).
#include <cstdio>
#include <iostream>
#include <map>

#include "commands.h"
#include "onyx/data.h"
#include "onyx/onnx.h"
#include "onyx/passes.h"
#include "onyx/ref.h"

namespace onyx::cli {

namespace {

struct OptimizeOpts {
  std::string model, output;
  std::vector<std::string> disabled;
  std::vector<std::string> input_shapes;
  std::string dump_after;
  int64_t max_rewrites = -1;
  bool list = false;
};

// One line per node: "name: domain.Op(in, ...) -> out : type".
void dump_graph(const std::string& pass, const Model& m) {
  const Graph& g = *m.graph;
  std::cout << "graph after pass '" << pass << "': " << g.nodes().size() << " nodes\n";
  for (const auto& n : g.nodes()) {
    std::cout << "  " << (n->name.empty() ? "<unnamed>" : n->name) << ": "
              << (n->domain.empty() ? "" : n->domain + ".") << n->op_type << "(";
    for (size_t i = 0; i < n->num_inputs(); ++i)
      std::cout << (i ? ", " : "") << (n->input(i) ? n->input(i)->name() : "<absent>");
    std::cout << ") -> ";
    for (size_t i = 0; i < n->num_outputs(); ++i) {
      const Value* v = n->output(i);
      std::cout << (i ? ", " : "") << (v ? v->name() + " " + v->type.to_string() : "<absent>");
    }
    std::cout << "\n";
  }
}

// --input-shapes: fixes graph input shapes (symbolic dims become numbers) so shape computations fold.
void specialize_inputs(Model& model, const std::map<std::string, std::vector<int64_t>>& shapes) {
  for (const auto& [name, dims] : shapes) {
    Value* v = nullptr;
    for (Value* in : model.graph->inputs)
      if (in->name() == name) v = in;
    if (!v) fail_bad_input("--input-shapes: the model has no input '", name, "'");
    if (!v->type.is_tensor()) fail_bad_input("--input-shapes: input '", name, "' is not a tensor");
    const Shape& declared = v->type.shape;
    if (declared.rank_known()) {
      if (declared.rank() != dims.size())
        fail_bad_input("--input-shapes: input '", name, "' has rank ", declared.rank(), ", not ", dims.size());
      for (size_t i = 0; i < dims.size(); ++i)
        if (declared[i].is_known() && declared[i].value() != dims[i])
          fail_bad_input("--input-shapes: input '", name, "' dim ", i, " is ", declared[i].value(), ", not ", dims[i]);
    }
    v->type.shape = Shape::from_dims(dims);
    v->type.has_shape = true;
  }
}

int optimize_command(const OptimizeOpts& o) {
  if (o.list) {
    for (const Pass& p : default_passes()) std::cout << p.name << "  " << p.description << "\n";
    return 0;
  }
  if (o.model.empty()) fail_bad_input("optimize: a model file is required");
  if (o.output.empty()) fail_bad_input("optimize: -o OUT.onnx is required");
  Model model = load_model(o.model);
  const size_t nodes_before = model.graph->nodes().size();
  specialize_inputs(model, parse_input_shapes(o.input_shapes));
  prepare_model(model);
  PassOptions opts;
  opts.disabled = o.disabled;
  opts.dump_after = o.dump_after;
  opts.max_rewrites = o.max_rewrites;
  opts.on_dump = dump_graph;
  const PassReport report = optimize(model, opts);
  save_model(model, o.output);

  std::printf("%-28s %9s %9s %10s\n", "pass", "rewrites", "-nodes", "time ms");
  for (const auto& e : report.passes) {
    if (!e.ran) {
      std::printf("%-28s %9s\n", e.pass.c_str(), "disabled");
      continue;
    }
    std::printf("%-28s %9lld %9lld %10.2f\n", e.pass.c_str(), static_cast<long long>(e.rewrites),
                static_cast<long long>(e.nodes_removed),
                std::chrono::duration<double, std::milli>(e.time).count());
  }
  std::map<std::string, int> ops;
  for (const auto& n : model.graph->nodes()) ++ops[(n->domain.empty() ? "" : n->domain + ".") + n->op_type];
  std::printf("nodes: %zu -> %zu, rewrites: %lld in %d round(s)%s\n", nodes_before, model.graph->nodes().size(),
              static_cast<long long>(report.total_rewrites), report.rounds,
              report.budget_exhausted ? " (--max-rewrites budget spent)" : "");
  std::printf("ops:");
  for (const auto& [op, count] : ops) std::printf(" %s x%d", op.c_str(), count);
  std::printf("\nwrote %s\n", o.output.c_str());
  return 0;
}

}  // namespace

void add_optimize_command(CLI::App& app) {
  auto o = std::make_shared<OptimizeOpts>();
  auto* cmd = app.add_subcommand("optimize",
                                 "Run the graph optimization passes (folding, cleanup, fusions) on a model and "
                                 "write the result; prints rewrites and time per pass.");
  cmd->add_option("model", o->model, "ONNX model file");
  cmd->add_option("-o,--output", o->output, "Where to write the optimized model");
  cmd->add_option("--disable-pass", o->disabled, "Skip this pass (repeatable; see --list-passes)");
  cmd->add_option("--input-shapes", o->input_shapes,
                  "Fix input shapes, e.g. input_ids:[1,128] (symbolic dims become numbers, so shape "
                  "computations fold; the written model then takes only these shapes)");
  cmd->add_option("--dump-graph-after", o->dump_after, "Print the graph after this pass");
  cmd->add_option("--max-rewrites", o->max_rewrites,
                  "Stop rewriting after N rewrites in total (bisect a bad rewrite); -1 = no limit");
  cmd->add_flag("--list-passes", o->list, "List the passes in run order and exit");
  cmd->footer(
      "Examples:\n"
      "  onyx optimize model.onnx -o model.opt.onnx\n"
      "  onyx optimize model.onnx -o out.onnx --disable-pass fuse-attention --dump-graph-after fuse-gelu\n"
      "  onyx optimize model.onnx -o out.onnx --max-rewrites 12\n"
      "  onyx optimize bert.onnx -o bert.opt.onnx --input-shapes input_ids:[1,128] attention_mask:[1,128]\n"
      "The fused ops are in the custom domain \"onyx\" (docs/passes.md); `onyx run OUT --backends ref` runs them.");
  set_action(cmd, [o] { return optimize_command(*o); });
}

}  // namespace onyx::cli
