// Output comparison: error statistics, pass/fail by tolerance, the worst element and a small histogram.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "onyx/compare.h"

namespace onyx {

std::string_view error_stat_name(ErrorStat s) {
  switch (s) {
    case ErrorStat::kElemwise:
      return "elemwise";
    case ErrorStat::kMax:
      return "max";
    case ErrorStat::kMean:
      return "mean";
    case ErrorStat::kMedian:
      return "median";
  }
  return "?";
}

ErrorStat parse_error_stat(std::string_view s) {
  if (s == "elemwise") return ErrorStat::kElemwise;
  if (s == "max") return ErrorStat::kMax;
  if (s == "mean") return ErrorStat::kMean;
  if (s == "median") return ErrorStat::kMedian;
  fail_bad_input("--check-error-stat: unknown statistic '", s, "' (choose elemwise, max, mean or median)");
}

double CompareOptions::atol_for(const std::string& output) const {
  auto it = atol_per_output.find(output);
  return it == atol_per_output.end() ? atol : it->second;
}
double CompareOptions::rtol_for(const std::string& output) const {
  auto it = rtol_per_output.find(output);
  return it == rtol_per_output.end() ? rtol : it->second;
}
ErrorStat CompareOptions::error_stat_for(const std::string& output) const {
  auto it = error_stat_per_output.find(output);
  return it == error_stat_per_output.end() ? check_error_stat : it->second;
}

namespace {

constexpr double kEps = 2.220446049250313e-16;  // added to zero reference values (Polygraphy does the same)

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string fmt_dims(const std::vector<int64_t>& d) {
  return dims_to_string(d);
}

// Quantile with linear interpolation (numpy's default), by selection: O(n), reorders `v`.
double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const double frac = pos - static_cast<double>(lo);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(lo), v.end());
  const double a = v[lo];
  if (frac == 0 || lo + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(lo) + 1, v.end());
  if (std::isinf(a) || std::isinf(b)) return b;
  return a + (b - a) * frac;
}

ErrorStats stats_of(std::vector<double> v) {
  ErrorStats s;
  if (v.empty()) return s;
  double sum = 0;
  for (double x : v) {
    sum += x;
    s.max = std::max(s.max, x);
  }
  s.mean = sum / static_cast<double>(v.size());
  if (s.max == 0) return s;  // all errors zero (errors are never negative)
  s.median = quantile(v, 0.5);
  s.p90 = quantile(v, 0.9);
  s.p99 = quantile(v, 0.99);
  s.p999 = quantile(v, 0.999);
  return s;
}

TensorSummary summary_of(const std::vector<double>& v) {
  TensorSummary s;
  double sum = 0;
  int64_t finite = 0;
  s.min = std::numeric_limits<double>::infinity();
  s.max = -std::numeric_limits<double>::infinity();
  for (double x : v) {
    if (std::isnan(x)) {
      ++s.nan;
    } else if (std::isinf(x)) {
      ++s.inf;
    } else {
      s.min = std::min(s.min, x);
      s.max = std::max(s.max, x);
      sum += x;
      ++finite;
    }
  }
  if (finite == 0) s.min = s.max = 0;
  s.mean = finite ? sum / static_cast<double>(finite) : 0;
  return s;
}

std::vector<int64_t> coords_of(int64_t flat, const std::vector<int64_t>& dims) {
  std::vector<int64_t> c(dims.size(), 0);
  for (size_t k = dims.size(); k-- > 0;) {
    if (dims[k] == 0) break;
    c[k] = flat % dims[k];
    flat /= dims[k];
  }
  return c;
}

std::vector<std::string> histogram_of(const std::vector<double>& abs_err) {
  std::vector<std::string> lines;
  double hi = 0;
  int64_t nonfinite = 0;
  for (double x : abs_err) {
    if (std::isfinite(x))
      hi = std::max(hi, x);
    else
      ++nonfinite;
  }
  constexpr int kBins = 8;
  std::vector<int64_t> counts(kBins, 0);
  for (double x : abs_err) {
    if (!std::isfinite(x)) continue;
    int b = hi > 0 ? static_cast<int>(x / hi * kBins) : 0;
    counts[std::min(b, kBins - 1)]++;
  }
  int64_t most = nonfinite;
  for (int64_t c : counts) most = std::max(most, c);
  auto bar = [&](int64_t c) {
    const int width =
        most > 0 ? static_cast<int>(std::ceil(40.0 * static_cast<double>(c) / static_cast<double>(most))) : 0;
    return std::string(static_cast<size_t>(width), '#');
  };
  const int bins = hi > 0 ? kBins : 1;
  for (int b = 0; b < bins; ++b) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "[%-10.4g, %-10.4g%c %10lld | ", hi * b / kBins,
                  hi > 0 ? hi * (b + 1) / kBins : 0.0, b + 1 == bins ? ']' : ')',
                  static_cast<long long>(counts[b]));
    lines.push_back(buf + bar(counts[b]));
  }
  if (nonfinite) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%-25s %10lld | ", "NaN/Inf mismatch", static_cast<long long>(nonfinite));
    lines.push_back(buf + bar(nonfinite));
  }
  return lines;
}

}  // namespace

OutputComparison compare_output(const std::string& name, const Tensor& ref, const Tensor& actual,
                                const CompareOptions& options) {
  OutputComparison c;
  c.name = name;
  c.ref_dtype = ref.dtype();
  c.dtype = actual.dtype();
  c.ref_dims = ref.dims();
  c.dims = actual.dims();
  c.atol = options.atol_for(name);
  c.rtol = options.rtol_for(name);
  c.error_stat = options.error_stat_for(name);
  c.numel = ref.numel();
  const bool both_float = dtype_is_float(ref.dtype()) && dtype_is_float(actual.dtype());
  if (ref.dtype() != actual.dtype() && !both_float) {
    c.structural_error = "dtype " + std::string(dtype_name(actual.dtype())) + " vs reference " +
                         std::string(dtype_name(ref.dtype()));
    return c;
  }
  if (ref.dims() != actual.dims()) {
    c.structural_error = "shape " + fmt_dims(actual.dims()) + " vs reference " + fmt_dims(ref.dims());
    return c;
  }
  if (ref.dtype() == DType::kString) {
    const std::string* r = ref.data<std::string>();
    const std::string* a = actual.data<std::string>();
    for (int64_t i = 0; i < ref.numel(); ++i)
      if (r[i] != a[i]) {
        if (c.mismatches++ == 0) {
          c.worst_index = i;
          c.worst_coords = coords_of(i, ref.dims());
        }
      }
    c.abs_error.max = c.mismatches ? 1 : 0;
    c.passed = c.mismatches == 0;
    return c;
  }
  const std::vector<double> r = ref.to_double_vector();
  const std::vector<double> a = actual.to_double_vector();
  c.ref_summary = summary_of(r);
  c.summary = summary_of(a);
  const size_t n = r.size();
  std::vector<double> abs_err(n), rel_err(n);
  const double inf = std::numeric_limits<double>::infinity();
  double worst = -1;
  for (size_t i = 0; i < n; ++i) {
    const double x = r[i], y = a[i];
    double d;
    if (std::isnan(x) || std::isnan(y)) {
      d = std::isnan(x) && std::isnan(y) ? 0 : inf;
      if (d != 0) ++c.nan_mismatches;
    } else if (std::isinf(x) || std::isinf(y)) {
      d = x == y ? 0 : inf;
      if (d != 0) ++c.inf_mismatches;
    } else {
      d = std::fabs(y - x);
    }
    abs_err[i] = d;
    const double denom =
        std::fabs(x) == 0 || !std::isfinite(x) ? (std::isfinite(x) ? kEps : inf) : std::fabs(x);
    rel_err[i] = d == 0 ? 0 : (std::isinf(d) ? inf : d / denom);
    if (d > c.atol && rel_err[i] > c.rtol) ++c.mismatches;
    if (d > worst) {
      worst = d;
      c.worst_index = static_cast<int64_t>(i);
    }
  }
  if (c.worst_index >= 0) {
    const size_t w = static_cast<size_t>(c.worst_index);
    c.worst_coords = coords_of(c.worst_index, ref.dims());
    c.worst_ref = r[w];
    c.worst_actual = a[w];
    c.worst_abs = abs_err[w];
    c.worst_rel = rel_err[w];
  }
  for (size_t i = 0; i < n; ++i) {
    if (rel_err[i] > c.rtol) c.min_atol_given_rtol = std::max(c.min_atol_given_rtol, abs_err[i]);
    if (abs_err[i] > c.atol) c.min_rtol_given_atol = std::max(c.min_rtol_given_atol, rel_err[i]);
  }
  c.histogram = histogram_of(abs_err);
  c.abs_error = stats_of(abs_err);
  c.rel_error = stats_of(std::move(rel_err));
  switch (c.error_stat) {
    case ErrorStat::kElemwise:
      c.passed = c.mismatches == 0;
      c.min_atol = c.abs_error.max;
      c.min_rtol = c.rel_error.max;
      break;
    case ErrorStat::kMax:
    case ErrorStat::kMean:
    case ErrorStat::kMedian: {
      auto pick = [&](const ErrorStats& s) {
        return c.error_stat == ErrorStat::kMax ? s.max : c.error_stat == ErrorStat::kMean ? s.mean : s.median;
      };
      const double sa = pick(c.abs_error), sr = pick(c.rel_error);
      c.passed = !((std::isnan(sa) || sa > c.atol) && (std::isnan(sr) || sr > c.rtol));
      c.min_atol = c.min_atol_given_rtol = sa;
      c.min_rtol = c.min_rtol_given_atol = sr;
      break;
    }
  }
  return c;
}

IterationComparison compare_outputs(const NamedTensors& ref, const NamedTensors& actual,
                                    const CompareOptions& options) {
  IterationComparison r;
  for (const auto& [name, t] : ref) {
    const Tensor* other = find_tensor(actual, name);
    if (!other) {
      r.missing.push_back(name);
      r.passed = false;
      continue;
    }
    r.outputs.push_back(compare_output(name, t, *other, options));
    if (!r.outputs.back().passed) {
      r.passed = false;
      if (options.fail_fast) break;
    }
  }
  return r;
}

std::string one_line_error(const OutputComparison& c) {
  if (!c.structural_error.empty()) return c.structural_error;
  if (c.ref_dtype == DType::kString)
    return c.mismatches
               ? std::to_string(c.mismatches) + " strings differ, first at " + fmt_dims(c.worst_coords)
               : "strings equal";
  std::string s = "max abs " + fmt(c.abs_error.max) + ", max rel " + fmt(c.rel_error.max);
  if (c.worst_index >= 0 && c.abs_error.max > 0) s += " at " + fmt_dims(c.worst_coords);
  return s;
}

std::vector<std::string> format_comparison(const OutputComparison& c) {
  std::vector<std::string> out;
  const std::string tol = "atol=" + fmt(c.atol) + ", rtol=" + fmt(c.rtol) + ", " +
                          std::string(error_stat_name(c.error_stat)) + " check";
  if (!c.structural_error.empty()) {
    out.push_back("FAILED: cannot compare: " + c.structural_error);
    return out;
  }
  if (c.ref_dtype != c.dtype)
    out.push_back("note: dtype " + std::string(dtype_name(c.dtype)) + " vs reference " +
                  std::string(dtype_name(c.ref_dtype)) + " (compared as float64)");
  if (c.ref_dtype == DType::kString) {
    out.push_back(std::string(c.passed ? "PASSED" : "FAILED") + ": " + one_line_error(c));
    return out;
  }
  auto summary = [&](const char* who, const TensorSummary& s) {
    std::string line =
        std::string(who) + ": min " + fmt(s.min) + ", max " + fmt(s.max) + ", mean " + fmt(s.mean);
    if (s.nan || s.inf) line += ", " + std::to_string(s.nan) + " NaN, " + std::to_string(s.inf) + " Inf";
    return line;
  };
  out.push_back(summary("reference", c.ref_summary));
  out.push_back(summary("actual   ", c.summary));
  auto stats = [&](const char* what, const ErrorStats& s) {
    return std::string(what) + ": max " + fmt(s.max) + ", mean " + fmt(s.mean) + ", median " + fmt(s.median) +
           ", p90 " + fmt(s.p90) + ", p99 " + fmt(s.p99) + ", p99.9 " + fmt(s.p999);
  };
  out.push_back(stats("abs error", c.abs_error));
  out.push_back(stats("rel error", c.rel_error));
  if (c.worst_index >= 0 && c.abs_error.max > 0)
    out.push_back("worst element: " + fmt_dims(c.worst_coords) + " (flat " + std::to_string(c.worst_index) +
                  "): reference " + fmt(c.worst_ref) + ", actual " + fmt(c.worst_actual) + " (abs " +
                  fmt(c.worst_abs) + ", rel " + fmt(c.worst_rel) + ")");
  out.push_back(std::to_string(c.mismatches) + " of " + std::to_string(c.numel) +
                " elements exceed both tolerances; NaN mismatches " + std::to_string(c.nan_mismatches) +
                ", Inf mismatches " + std::to_string(c.inf_mismatches));
  std::string need = "minimum tolerance to pass (" + std::string(error_stat_name(c.error_stat)) + "): atol " +
                     fmt(c.min_atol) + " OR rtol " + fmt(c.min_rtol);
  if (c.error_stat == ErrorStat::kElemwise)
    need += "; with rtol=" + fmt(c.rtol) + ": atol " + fmt(c.min_atol_given_rtol) +
            "; with atol=" + fmt(c.atol) + ": rtol " + fmt(c.min_rtol_given_atol);
  out.push_back(need);
  out.push_back("abs error histogram:");
  for (const std::string& h : c.histogram) out.push_back("  " + h);
  out.push_back(std::string(c.passed ? "PASSED" : "FAILED") + " (" + tol + ")");
  return out;
}

}  // namespace onyx
