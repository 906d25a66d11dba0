// The pass manager: runs passes in order, validates after each, honours --disable-pass, the dump hook and the
// global rewrite budget, then re-infers shapes.
#include <algorithm>
#include <set>

#include "onyx/error.h"
#include "onyx/passes.h"
#include "onyx/ref.h"
#include "onyx/validate.h"
#include "pass_util.h"

namespace onyx {

const std::vector<Pass>& default_passes() {
  using namespace passes;
  static const std::vector<Pass> all = {
      {"fold-shapes", "Shape/Size of statically shaped values (and Gather of their known dims) become constants",
       fold_shapes},
      {"fold-constants", "nodes whose inputs are all constants are evaluated once (ref kernels)", fold_constants},
      {"remove-identities", "Identity, inference Dropout, Cast to the same type, no-op Reshape/Transpose/Expand",
       remove_identities},
      {"eliminate-dead-code", "nodes whose outputs nobody reads, and unused initializers", eliminate_dead_code},
      {"fold-conv-batchnorm", "BatchNormalization after Conv folded into the Conv weights and bias",
       fold_conv_batchnorm},
      {"fuse-layer-norm", "ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div(/Mul/Add) -> LayerNormalization",
       fuse_layer_norm},
      {"fuse-gelu", "x*0.5*(1+erf(x/sqrt(2))) -> Gelu", fuse_gelu},
      {"fuse-softmax", "Exp(x-ReduceMax)/ReduceSum over the last axis -> Softmax", fuse_softmax},
      {"fuse-conv-activation", "Conv (+residual Add) (+activation) -> onyx.FusedConv", fuse_conv_activation},
      {"fuse-matmul-bias", "MatMul+bias / Gemm (+activation) -> onyx.FusedMatMul", fuse_matmul_bias},
      {"fuse-attention", "MatMul(Q,K^T) (*scale) (+mask) -> Softmax -> MatMul(V) -> onyx.Attention",
       fuse_attention},
      {"fuse-pointwise", "chains of elementwise ops -> onyx.FusedElementwise", fuse_pointwise},
      {"eliminate-dead-code-final", "dead code left by the fusions", eliminate_dead_code},
  };
  return all;
}

std::vector<std::string> pass_names() {
  std::vector<std::string> names;
  for (const Pass& p : default_passes()) names.push_back(p.name);
  return names;
}

namespace {

// The pipeline repeats until a round changes nothing, at most this many times.
constexpr int kMaxRounds = 4;

bool has_onyx_nodes(const Graph& g) {
  for (const auto& n : g.nodes())
    if (n->domain == "onyx") return true;
  return false;
}

}  // namespace

PassReport run_passes(Model& model, const std::vector<Pass>& passes, const PassOptions& options) {
  if (!model.graph) fail_bad_input("optimize: model has no graph");
  std::set<std::string> known;
  for (const Pass& p : passes) known.insert(p.name);
  for (const std::string& d : options.disabled)
    if (!known.count(d)) fail_bad_input("--disable-pass: unknown pass '", d, "' (see --list-passes)");
  if (!options.dump_after.empty() && !known.count(options.dump_after))
    fail_bad_input("--dump-graph-after: unknown pass '", options.dump_after, "' (see --list-passes)");

  PassReport report;
  for (const Pass& p : passes) {
    PassReport::Entry e;
    e.pass = p.name;
    e.ran = std::find(options.disabled.begin(), options.disabled.end(), p.name) == options.disabled.end();
    report.passes.push_back(e);
  }
  PassContext ctx(options.max_rewrites);
  Graph& g = *model.graph;
  // Rounds until nothing changes: a fusion can sharpen inferred shapes, so shape folding finds more next round.
  for (int round = 0; round < kMaxRounds; ++round) {
    report.rounds = round + 1;
    bool round_changed = false;
    for (size_t i = 0; i < passes.size(); ++i) {
      const Pass& p = passes[i];
      PassReport::Entry& e = report.passes[i];
      const auto nodes_now = static_cast<int64_t>(g.nodes().size());
      if (e.ran) {
        ctx.begin_pass();
        const auto t0 = std::chrono::steady_clock::now();
        try {
          if (p.run(model, ctx)) {
            round_changed = true;
            if (has_onyx_nodes(g) && model.opset("onyx") == 0) model.opset_imports.push_back({"onyx", 1});
            g.sort_topologically();
            validate_model(model, "after pass '" + p.name + "'");
            infer_shapes(model);
          }
        } catch (const Error& err) {
          const std::string what = err.what();
          if (what.find("after pass '") != std::string::npos) throw;
          throw Error(err.code(), "after pass '" + p.name + "': " + what);
        }
        e.time += std::chrono::steady_clock::now() - t0;
        e.rewrites += ctx.pass_rewrites();
      }
      e.nodes_removed += nodes_now - static_cast<int64_t>(g.nodes().size());
      if (round == 0 && p.name == options.dump_after && options.on_dump) options.on_dump(p.name, model);
    }
    if (!round_changed || ctx.exhausted()) break;
  }
  report.total_rewrites = ctx.used();
  report.budget_exhausted = ctx.exhausted();
  return report;
}

PassReport optimize(Model& model, const PassOptions& options) {
  // A training Gradient node differentiates the forward nodes of its graph as written: fusing or folding them
  // would change what it sees (and fused ops have no derivative), so such graphs are left as they are.
  if (model.graph)
    for (const auto& n : model.graph->nodes())
      if (n->domain == "ai.onnx.preview.training" && n->op_type == "Gradient") return PassReport{};
  return run_passes(model, default_passes(), options);
}

}  // namespace onyx
