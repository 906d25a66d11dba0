// The builder: turns an ONNX model into a plan (TensorRT's IBuilder + IBuilderConfig + IOptimizationProfile).
//
//   Model model = load_model("resnet50.onnx");
//   BuilderConfig config;                                   // target cpu, fp32
//   OptimizationProfile p;
//   p.set_dimensions("x", {1, 3, 224, 224}, {8, 3, 224, 224}, {16, 3, 224, 224});
//   config.profiles.push_back(p);
//   std::string plan = build_plan(std::move(model), config);   // bytes of a plan file (docs/plan-format.md)
//   auto engine = Engine::deserialize(plan, "resnet50.plan");   // onyx/engine.h
//
// Building prepares the model (op resolution, upgrades, shape inference), runs the optimization passes (a
// hook: see src/engine/builder.cpp), resolves every node to a kernel of the target, fixes a static execution
// order, plans the activation memory of each profile at the profile's max shapes, and writes the plan.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "onyx/graph.h"
#include "onyx/passes.h"

namespace onyx {

enum class Target { kCpu = 1, kCuda = 2 };
// fp32: strict float32 (no TF32); tf32: float32 storage, TF32 tensor-core matmul/conv; fp16 / bf16: weights and
// activations stored in half precision (statistics, softmax and reductions accumulate in float32). The cpu
// target runs fp32 only.
enum class Precision { kFp32 = 0, kFp16 = 1, kBf16 = 2, kTf32 = 3 };
// "fp32" / "tf32" / "fp16" / "bf16" → Precision; anything else kBadInput.
Precision parse_precision(const std::string& s);
// "cpu" / "cuda".
std::string_view target_name(Target t);
// "cpu" → kCpu; anything else: kBadInput naming the known targets.
Target parse_target(const std::string& s);

// The shape range one dynamic input may take at run time: min ≤ opt ≤ max in every dimension. `opt` is the
// shape kernels are tuned for; `max` sizes the memory plan.
struct ShapeRange {
  std::vector<int64_t> min, opt, max;
};

// Shape ranges for the model's dynamic inputs. An engine built with profiles accepts, at run time, only
// shapes inside the range of the profile its context selected.
class OptimizationProfile {
 public:
  // Sets the range of input `name` (replacing an earlier one). Checked by build_plan (not here): min ≤ opt ≤
  // max, equal ranks, and agreement with the model's declared shape.
  void set_dimensions(const std::string& name, std::vector<int64_t> min, std::vector<int64_t> opt,
                      std::vector<int64_t> max);
  // The range of `name`, or nullptr when the profile does not mention it.
  const ShapeRange* find(const std::string& name) const;
  const std::vector<std::pair<std::string, ShapeRange>>& inputs() const { return inputs_; }

 private:
  std::vector<std::pair<std::string, ShapeRange>> inputs_;
};

// Parses the CLI form of one input's range, "NAME:MIN:OPT:MAX" with each shape written as "[d0,d1,...]" (or
// "d0xd1x..."), e.g. "x:[1,3,224,224]:[8,3,224,224]:[16,3,224,224]". Returns the name and the range; bad
// syntax is kBadInput quoting the text. (NAME may itself contain ':' — the last three fields are the shapes.)
std::pair<std::string, ShapeRange> parse_profile_arg(const std::string& text);

struct BuilderConfig {
  Target target = Target::kCpu;
  Precision precision = Precision::kFp32;  // the cpu target computes in the model's dtypes (fp16 is refused)
  // Per-layer overrides (node name → precision), e.g. from --layer-precision NAME:fp32 (cuda target). A name
  // that matches no node is kBadInput at build.
  std::vector<std::pair<std::string, Precision>> layer_precisions;
  // Strongly typed (cuda; TensorRT's strongly-typed mode): every layer runs in the dtypes the model declares (an
  // fp16 model runs fp16, Casts decide precision, nothing is converted automatically). Combining it with a
  // precision other than fp32 or with layer_precisions is kBadInput at build. The cpu target always computes in
  // the model's dtypes, so the flag changes nothing there.
  bool strongly_typed = false;
  // Ranges of dynamic inputs. Empty: dynamic inputs accept any shape and their values are left out of the
  // memory plan (allocated per run). Several profiles: each context selects one
  // (ExecutionContext::set_profile).
  std::vector<OptimizationProfile> profiles;
  // Largest activation arena (bytes) one execution context may need for any profile; 0 = no limit. A plan
  // whose arena exceeds it is refused (kBadInput).
  uint64_t workspace_limit = 0;
  // 0: no graph optimization and no tactic timing (the cuda target keeps the cuBLASLt/cuDNN heuristics' first
  // choices); 1-3: the graph passes of onyx/passes.h run (all levels run all passes for now) and the cuda target
  // times the candidate kernels of each matmul/conv at the profiles' opt shapes (docs/cuda.md, "Tactics").
  int optimization_level = 3;
  // Which passes to skip, where to dump, and the rewrite budget (for bisecting a bad rewrite).
  PassOptions passes;
  // Kernel timing cache file (read at build start, reused entries are not timed again, rewritten at the end;
  // damaged or foreign files are ignored with a warning). Used by the cuda target; the cpu target times nothing.
  std::string timing_cache_file;
  // Print tactic timing progress and a summary line on stderr (onyx build turns it on). Not part of the plan.
  bool show_progress = false;

  // A hash of everything above that changes the plan (stored in the plan header).
  uint64_t options_hash() const;
};

// Builds a plan from `model` (taken by value: it is prepared and optimized in place). Errors: kBadInput for
// bad profiles (unknown input, rank mismatch, min > opt or opt > max, a dim fixed by the model given another
// range, a dynamic input missing from a profile when profiles are given), a workspace limit below the arena,
// or a bad model; kUnsupported for ops or targets this build cannot run. Returns the plan bytes.
std::string build_plan(Model model, const BuilderConfig& config);

}  // namespace onyx
