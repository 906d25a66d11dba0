// Comparing inference outputs, as Polygraphy's CompareFunc.simple does: per output, absolute and relative
// error statistics, NaN/Inf counts, the worst element, shape/dtype checks, pass/fail by tolerances and the
// minimum tolerances that would pass.
//
// An element passes when |actual - ref| <= atol OR |actual - ref| / |ref| <= rtol (Polygraphy's rule: an
// element fails only when it exceeds both). NaN matches NaN and an infinity matches the same infinity; any
// other NaN/Inf disagreement fails. Bools and integers are compared through the same rule (so a difference of
// 1 fails unless a tolerance allows it).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "onyx/data.h"
#include "onyx/tensor.h"

namespace onyx {

enum class ErrorStat { kElemwise, kMax, kMean, kMedian };
std::string_view error_stat_name(ErrorStat s);
// "elemwise", "max", "mean", "median"; throws kBadInput otherwise.
ErrorStat parse_error_stat(std::string_view s);

struct CompareOptions {
  double atol = 1e-5;  // Polygraphy's defaults
  double rtol = 1e-5;
  ErrorStat check_error_stat = ErrorStat::kElemwise;
  // Per-output overrides (--atol out:1e-3).
  std::map<std::string, double> atol_per_output;
  std::map<std::string, double> rtol_per_output;
  std::map<std::string, ErrorStat> error_stat_per_output;
  // Stop at the first output that fails.
  bool fail_fast = false;

  double atol_for(const std::string& output) const;
  double rtol_for(const std::string& output) const;
  ErrorStat error_stat_for(const std::string& output) const;
};

struct ErrorStats {
  double max = 0, mean = 0, median = 0;
  double p90 = 0, p99 = 0, p999 = 0;  // quantiles
};

struct TensorSummary {
  double min = 0, max = 0, mean = 0;  // over finite elements
  int64_t nan = 0, inf = 0;
};

struct OutputComparison {
  std::string name;
  bool passed = false;
  // Why it could not be compared ("shape [2,3] vs reference [3,2]"), or "" when values were compared.
  std::string structural_error;
  DType ref_dtype = DType::kUndefined, dtype = DType::kUndefined;
  std::vector<int64_t> ref_dims, dims;
  double atol = 0, rtol = 0;
  ErrorStat error_stat = ErrorStat::kElemwise;

  int64_t numel = 0;
  int64_t mismatches = 0;  // elements that fail the elementwise rule
  ErrorStats abs_error, rel_error;
  TensorSummary ref_summary, summary;
  int64_t nan_mismatches = 0, inf_mismatches = 0;  // NaN/Inf in one tensor but not (the same) in the other
  // The element with the largest absolute error (first of equals): flat index, coordinates, both values.
  int64_t worst_index = -1;
  std::vector<int64_t> worst_coords;
  double worst_ref = 0, worst_actual = 0, worst_abs = 0, worst_rel = 0;
  // Smallest tolerances that would pass with the chosen statistic: each alone (the other 0), and each with
  // the other kept at its configured value (elemwise only; equals the alone value for other statistics).
  double min_atol = 0, min_rtol = 0;
  double min_atol_given_rtol = 0, min_rtol_given_atol = 0;
  // A few lines: counts of elements by absolute error magnitude.
  std::vector<std::string> histogram;
};

// Compares one output. `ref` is the reference. Never throws on mismatching data.
OutputComparison compare_output(const std::string& name, const Tensor& ref, const Tensor& actual,
                                const CompareOptions& options);

struct IterationComparison {
  bool passed = true;
  std::vector<OutputComparison> outputs;  // in the reference's order (only names both sides have)
  std::vector<std::string> missing;       // reference outputs the other side lacks (fail)
};
// Compares every output `ref` and `actual` share (by name).
IterationComparison compare_outputs(const NamedTensors& ref, const NamedTensors& actual,
                                    const CompareOptions& options);

// Human-readable lines (indented by the caller) for one comparison.
std::vector<std::string> format_comparison(const OutputComparison& c);
// "max abs 1.2e-05, max rel 3.4e-04 at [0,1,2]"
std::string one_line_error(const OutputComparison& c);

}  // namespace onyx
