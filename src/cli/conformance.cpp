// onyx conformance DIR --backend ref [--manifest F] [--filter RE] [--json F]
// Prints one line per case that did not pass, then "N passed, N failed, N skipped". With --manifest, exits 1 when a
// case fails that the manifest does not list, or when a listed case now passes (the manifest must be updated);
// a `random` case passes or differs in values only, and fails the run on anything else.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.h"
#include "onyx/conformance.h"
#include "onyx/onnx.h"
#include "onyx/runner.h"

namespace onyx::cli {

namespace {

struct Options {
  std::string dir;
  std::string backend = "ref";
  std::string manifest;
  std::string filter;
  std::string json;
  bool verbose = false;
};

const char* status_name(CaseStatus s) {
  switch (s) {
    case CaseStatus::kPassed: return "passed";
    case CaseStatus::kFailed: return "failed";
    case CaseStatus::kSkipped: return "skipped";
  }
  return "?";
}

int run(const Options& o) {
  if (o.backend != "ref" && o.backend != "cpu") {
    // Runner-registry backends (cuda, cuda:fp16, ...): one clear line when unusable here.
    const BackendSpec spec = parse_backend_spec(o.backend);
    bool known = false;
    for (const BackendInfo& b : registered_backends())
      if (b.name == spec.name) {
        known = true;
        const std::string why = b.unavailable_reason ? b.unavailable_reason() : "";
        if (!why.empty()) fail_bad_input("--backend ", o.backend, ": not available: ", why);
      }
    if (!known) fail_bad_input("--backend ", o.backend, ": not available in this build (ref, cpu)");
  }
  std::map<std::string, ManifestEntry> manifest;
  if (!o.manifest.empty()) manifest = read_manifest(o.manifest);
  ConformanceOptions copts;
  copts.backend = o.backend;
  copts.filter = o.filter;
  copts.on_case = [&](const CaseResult& r) {
    if (r.status == CaseStatus::kPassed) {
      if (o.verbose) std::cout << "PASS " << r.name << "\n";
      return;
    }
    const auto it = manifest.find(r.name);
    const char* tag = r.status == CaseStatus::kSkipped ? "SKIP" : "FAIL";
    std::cout << tag << " " << r.name << ": " << r.reason;
    if (it != manifest.end()) std::cout << " [listed " << it->second.kind << "]";
    std::cout << std::endl;
  };
  const auto results = run_conformance(o.dir, copts);
  int passed = 0, failed = 0, skipped = 0;
  std::vector<std::string> unexpected, stale;
  std::set<std::string> seen;
  for (const auto& r : results) {
    seen.insert(r.name);
    const auto it = manifest.find(r.name);
    const bool listed = it != manifest.end();
    const bool random = listed && it->second.kind == "random";
    if (r.status == CaseStatus::kPassed) {
      ++passed;
      if (listed && !random) stale.push_back(r.name);  // a random case may match its data by chance
    } else {
      (r.status == CaseStatus::kFailed ? failed : skipped)++;
      // A random case may differ only in its values: a wrong shape or dtype, an error or a skip is a failure.
      if (!listed || (random && !(r.status == CaseStatus::kFailed && r.values_only))) unexpected.push_back(r.name);
    }
  }
  if (!o.json.empty()) {
    nlohmann::json j;
    j["backend"] = o.backend;
    j["dir"] = o.dir;
    j["passed"] = passed;
    j["failed"] = failed;
    j["skipped"] = skipped;
    j["cases"] = nlohmann::json::array();
    for (const auto& r : results) {
      nlohmann::json c{{"name", r.name}, {"status", status_name(r.status)}, {"seconds", r.seconds}};
      if (!r.reason.empty()) c["reason"] = r.reason;
      if (manifest.count(r.name)) c["manifest"] = manifest[r.name].kind;
      j["cases"].push_back(c);
    }
    write_file_atomic(o.json, j.dump(2) + "\n");
  }
  int rc = 0;
  if (!o.manifest.empty()) {
    for (const auto& n : unexpected) std::cout << "NEW FAILURE " << n << " (not in the manifest)\n";
    for (const auto& n : stale) std::cout << "NOW PASSES " << n << " (remove it from the manifest)\n";
    if (!unexpected.empty() || !stale.empty()) rc = 1;
  }
  std::cout << passed << " passed, " << failed << " failed, " << skipped << " skipped" << std::endl;
  return rc;
}

}  // namespace

void add_conformance_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("conformance",
                                 "Run ONNX backend test cases (model.onnx + test_data_set_*) and compare outputs");
  cmd->add_option("dir", o->dir, "A case folder, or a folder of case folders")->required();
  cmd->add_option("--backend", o->backend, "Backend to test: ref, cpu, cuda (cuda:fp16, cuda:bf16, cuda:tf32)")
      ->check([](const std::string& s) -> std::string {
        if (s == "ref" || s == "cpu" || s == "cuda" || s.rfind("cuda:", 0) == 0) return "";
        return "backend '" + s + "' is not one of ref, cpu, cuda, cuda:OPTION";
      });
  cmd->add_option("--manifest", o->manifest,
                  "Cases expected not to pass (`<unsupported|expected-fail|random> <case> <reason>` a line); exit 1 "
                  "on a new failure or on a listed case that passes. A `random` case (outputs from a random "
                  "generator) must produce outputs of the expected dtype and shape; its values are not judged");
  cmd->add_option("--filter", o->filter, "Only cases whose name matches this regular expression");
  cmd->add_option("--json", o->json, "Write every case's result to this JSON file");
  cmd->add_flag("-v,--verbose", o->verbose, "Also print passing cases");
  set_action(cmd, [o] { return run(*o); });
}

}  // namespace onyx::cli
