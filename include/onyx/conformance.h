// The conformance harness: runs cases in the ONNX backend test layout (model.onnx + test_data_set_*/input_*.pb,
// output_*.pb) on a backend and compares outputs the way ONNX's own runner does (rtol 1e-3, atol 1e-7,
// NaN matches NaN). A manifest lists cases expected not to pass, each with a kind and reason.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "onyx/run_value.h"

namespace onyx {

struct ManifestEntry {
  std::string name;    // case folder name, e.g. "test_bernoulli"
  // "unsupported" (permanent), "expected-fail" (to be fixed) or "random" (outputs drawn from a random generator:
  // the case must run and produce outputs of the expected kind, dtype and shape; their values may or may not match
  // the generator that made the test data, so neither a value mismatch nor a match is reported)
  std::string kind;
  std::string reason;  // why
};

// Manifest format: one case a line: `<kind> <case-name> <reason...>`; '#' starts a comment. Throws kBadInput
// naming the line on anything else.
std::map<std::string, ManifestEntry> read_manifest(const std::string& path);

enum class CaseStatus { kPassed, kFailed, kSkipped };

struct CaseResult {
  std::string name;
  CaseStatus status = CaseStatus::kFailed;
  std::string reason;        // why it failed / was skipped
  bool values_only = false;  // failed only on element values: every output had the expected kind, dtype and shape
  const ManifestEntry* listed = nullptr;  // the manifest line, when listed
  double seconds = 0;
};

struct ConformanceOptions {
  std::string backend = "ref";
  double rtol = 1e-3;
  double atol = 1e-7;
  std::string filter;  // substring (or regex when it contains regex metacharacters) on case names
  std::function<void(const CaseResult&)> on_case;  // progress
};

// Reads a backend-test data value (.pb): a TensorProto, or a SequenceProto / OptionalProto as the ONNX test data
// writes them for sequence and optional inputs.
RunValue read_test_data_pb(const std::string& path, const TypeInfo* expected_type = nullptr);

// Compares `actual` against `expected` as ONNX's backend runner does. Returns "" when they match, else a
// one-line reason naming the worst element.
std::string compare_like_onnx(const RunValue& expected, const RunValue& actual, double rtol, double atol);

// Runs one case folder.
CaseResult run_conformance_case(const std::string& dir, const ConformanceOptions& options);
// Runs every case folder under `root` (sorted by name).
std::vector<CaseResult> run_conformance(const std::string& root, const ConformanceOptions& options);

}  // namespace onyx
