// Graph optimization passes.
//
// Passes rewrite a *prepared* model (prepare_model from onyx/ref.h: ops resolved, shapes inferred) into an
// equivalent, cheaper one. Each pass is one small idea (fold constants, drop identities, fuse Conv+BN, ...) and
// reports whether it changed the graph. The pass manager (optimize / run_passes) runs them in a fixed order,
// runs the IR validator after every pass that changed something (an invalid graph names the pass that broke it),
// re-infers shapes at the end, and keeps a per-pass report of rewrites and time.
//
// Rewrites are bisectable: PassOptions::max_rewrites is a global budget across all passes; once it is spent every
// pass stops rewriting, so a bad rewrite can be found by bisecting N (`onyx optimize --max-rewrites N`).
//
// Fusions produce ops of the custom domain "onyx" (since_version 1) that the ref backend runs, so an optimized
// model can be compared against the original: onyx.FusedConv, onyx.FusedMatMul, onyx.FusedElementwise,
// onyx.Attention, onyx.LayerNormalization, onyx.Gelu (docs/passes.md describes each).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "onyx/graph.h"

namespace onyx {

struct PassOptions {
  // Pass names to skip (unknown names are an error, so a typo does not silently run everything).
  std::vector<std::string> disabled;
  // Call on_dump with the model after this pass ran in the first round ("" = never).
  std::string dump_after;
  // Global rewrite budget across all passes; -1 = unlimited.
  int64_t max_rewrites = -1;
  std::function<void(const std::string& pass, const Model&)> on_dump;
};

// Handed to each pass: the rewrite budget. A pass calls try_rewrite() right before each rewrite and stops
// rewriting when it returns false.
class PassContext {
 public:
  explicit PassContext(int64_t budget) : budget_(budget) {}
  bool try_rewrite() {
    if (budget_ >= 0 && used_ >= budget_) return false;
    ++used_;
    ++pass_rewrites_;
    return true;
  }
  bool exhausted() const { return budget_ >= 0 && used_ >= budget_; }
  int64_t used() const { return used_; }
  // Rewrites of the pass now running (reset by the manager).
  int64_t pass_rewrites() const { return pass_rewrites_; }
  void begin_pass() { pass_rewrites_ = 0; }

 private:
  int64_t budget_;
  int64_t used_ = 0;
  int64_t pass_rewrites_ = 0;
};

struct Pass {
  std::string name;
  std::string description;
  // Rewrites model.graph; returns whether it changed anything.
  std::function<bool(Model&, PassContext&)> run;
};

struct PassReport {
  struct Entry {
    std::string pass;
    bool ran = false;        // false when disabled
    int64_t rewrites = 0;
    int64_t nodes_removed = 0;  // node count before the pass minus after it (a fusion of 3 nodes removes 2)
    std::chrono::nanoseconds time{0};
  };
  std::vector<Entry> passes;  // in run order
  int64_t total_rewrites = 0;
  int rounds = 0;  // times the pass sequence ran
  bool budget_exhausted = false;
};

// The built-in passes, in run order.
const std::vector<Pass>& default_passes();
std::vector<std::string> pass_names();

// Runs `passes` in order on a prepared model: validation and shape inference after each pass that changed the
// graph (throws kBadInput "after pass 'NAME': ..." when either fails), dump hook (first round), budget. The
// whole sequence repeats until a round changes nothing (at most 4 rounds): a fusion can sharpen inferred
// shapes so that shape folding finds more. Report entries sum over rounds.
PassReport run_passes(Model& prepared_model, const std::vector<Pass>& passes, const PassOptions& options);
// run_passes with default_passes().
PassReport optimize(Model& prepared_model, const PassOptions& options = {});

}  // namespace onyx
