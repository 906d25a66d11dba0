#include "onyx/conformance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "onyx/dtype_dispatch.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"

namespace onyx {

namespace fs = std::filesystem;

std::map<std::string, ManifestEntry> read_manifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail_bad_input(path, ": cannot open manifest");
  std::map<std::string, ManifestEntry> out;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    const auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream ls(line);
    ManifestEntry e;
    if (!(ls >> e.kind)) continue;  // blank or comment
    if (e.kind != "unsupported" && e.kind != "expected-fail" && e.kind != "random")
      fail_bad_input(path, ":", lineno, ": kind must be 'unsupported', 'expected-fail' or 'random', got '", e.kind,
                     "'");
    if (!(ls >> e.name)) fail_bad_input(path, ":", lineno, ": missing case name");
    std::getline(ls, e.reason);
    e.reason.erase(0, e.reason.find_first_not_of(" \t"));
    if (e.reason.empty()) fail_bad_input(path, ":", lineno, ": case '", e.name, "' has no reason");
    if (out.count(e.name)) fail_bad_input(path, ":", lineno, ": case '", e.name, "' listed twice");
    out[e.name] = e;
  }
  return out;
}

namespace {

std::string compare_tensors(const Tensor& exp, const Tensor& act, double rtol, double atol) {
  if (exp.dtype() != act.dtype())
    return "dtype " + std::string(dtype_name(act.dtype())) + ", expected " + std::string(dtype_name(exp.dtype()));
  if (exp.dims() != act.dims()) return "shape " + dims_to_string(act.dims()) + ", expected " + dims_to_string(exp.dims());
  if (exp.dtype() == DType::kString) {
    for (int64_t i = 0; i < exp.numel(); ++i)
      if (exp.data<std::string>()[i] != act.data<std::string>()[i])
        return "element " + std::to_string(i) + " is '" + act.data<std::string>()[i] + "', expected '" +
               exp.data<std::string>()[i] + "'";
    return "";
  }
  int64_t bad = 0, worst = -1;
  double worst_err = -1;
  for (int64_t i = 0; i < exp.numel(); ++i) {
    const double e = exp.get_double(i), a = act.get_double(i);
    bool ok;
    double err = 0;
    if (std::isnan(e) || std::isnan(a)) {
      ok = std::isnan(e) && std::isnan(a);
      err = ok ? 0 : INFINITY;
    } else if (std::isinf(e) || std::isinf(a)) {
      ok = e == a;
      err = ok ? 0 : INFINITY;
    } else {
      err = std::fabs(a - e);
      ok = err <= atol + rtol * std::fabs(e);
      if (dtype_is_integer(exp.dtype()) || exp.dtype() == DType::kBool) ok = a == e;
    }
    if (!ok) {
      ++bad;
      if (err > worst_err) {
        worst_err = err;
        worst = i;
      }
    }
  }
  if (bad == 0) return "";
  std::ostringstream os;
  os.precision(9);
  os << bad << " of " << exp.numel() << " elements differ; worst at " << worst << ": got " << act.get_double(worst)
     << ", expected " << exp.get_double(worst) << " (abs err " << worst_err << ")";
  return os.str();
}

}  // namespace

namespace {

bool same_layout(const RunValue& expected, const RunValue& actual) {
  if (expected.kind != actual.kind) return false;
  const auto same = [](const Tensor& a, const Tensor& b) { return a.dtype() == b.dtype() && a.dims() == b.dims(); };
  if (expected.is_tensor()) return same(expected.tensor, actual.tensor);
  if (expected.is_sequence()) {
    if (expected.sequence.size() != actual.sequence.size()) return false;
    for (size_t i = 0; i < expected.sequence.size(); ++i)
      if (!same(expected.sequence[i], actual.sequence[i])) return false;
  }
  return true;
}

}  // namespace

std::string compare_like_onnx(const RunValue& expected, const RunValue& actual, double rtol, double atol) {
  if (expected.kind != actual.kind) return "got " + actual.describe() + ", expected " + expected.describe();
  if (expected.is_tensor()) return compare_tensors(expected.tensor, actual.tensor, rtol, atol);
  if (expected.is_sequence()) {
    if (expected.sequence.size() != actual.sequence.size())
      return "sequence of " + std::to_string(actual.sequence.size()) + ", expected " +
             std::to_string(expected.sequence.size());
    for (size_t i = 0; i < expected.sequence.size(); ++i) {
      std::string r = compare_tensors(expected.sequence[i], actual.sequence[i], rtol, atol);
      if (!r.empty()) return "sequence item " + std::to_string(i) + ": " + r;
    }
  }
  return "";
}

namespace {

std::vector<std::string> sorted_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<int, std::string>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) != 0 || e.path().extension() != ".pb") continue;
    found.emplace_back(std::atoi(name.c_str() + prefix.size()), e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

NamedValues run_backend(const std::shared_ptr<Model>& model, const NamedValues& inputs, const std::string& backend,
                        const std::string& model_path) {
  if (backend == "ref") return RefSession(model).run(inputs);
  if (backend == "cpu") return run_cpu_engine(load_model(model_path), inputs);
  // Other backends (cuda, cuda:fp16, ...) through the runner registry, tensors only.
  NamedTensors feeds;
  for (const auto& [name, v] : inputs) {
    if (!v.is_tensor()) fail_unsupported("input '", name, "' is ", v.describe(), ": backend ", backend, " takes tensors only");
    feeds.emplace_back(name, v.tensor);
  }
  std::unique_ptr<Runner> runner = make_runner(backend, [&] { return std::make_shared<Model>(load_model(model_path)); });
  runner->activate();
  NamedValues out;
  for (auto& [name, t] : runner->infer(feeds)) out.emplace_back(name, RunValue(std::move(t)));
  runner->deactivate();
  return out;
}

}  // namespace

CaseResult run_conformance_case(const std::string& dir, const ConformanceOptions& options) {
  CaseResult r;
  r.name = fs::path(dir).filename().string();
  const auto start = std::chrono::steady_clock::now();
  try {
    auto model = std::make_shared<Model>(load_model((fs::path(dir) / "model.onnx").string()));
    prepare_model(*model);
    std::vector<fs::path> sets;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) sets.push_back(e.path());
    std::sort(sets.begin(), sets.end());
    if (sets.empty()) fail_bad_input(dir, ": no test_data_set_* folder");
    // Graph inputs that are not initializers, in order: input_N.pb binds to the N-th of them.
    std::vector<const Value*> real_inputs;
    for (const Value* v : model->graph->inputs)
      if (!v->is_initializer()) real_inputs.push_back(v);
    for (const fs::path& set : sets) {
      NamedValues inputs;
      const auto in_files = sorted_files(set, "input_");
      for (size_t i = 0; i < in_files.size(); ++i) {
        if (i >= real_inputs.size()) fail_bad_input(in_files[i], ": more input files than model inputs");
        inputs.emplace_back(real_inputs[i]->name(), read_test_data_pb(in_files[i], &real_inputs[i]->type));
      }
      NamedValues outputs =
          run_backend(model, inputs, options.backend, (fs::path(dir) / "model.onnx").string());
      const auto out_files = sorted_files(set, "output_");
      if (out_files.size() != model->graph->outputs.size())
        fail_bad_input(set.string(), ": ", out_files.size(), " output files for ", model->graph->outputs.size(),
                       " model outputs");
      // Every output is compared: the first difference is the reason; values_only says whether all outputs at
      // least had the expected kind, dtype and shape.
      bool layouts_match = true;
      for (size_t i = 0; i < out_files.size(); ++i) {
        const RunValue expected = read_test_data_pb(out_files[i], &model->graph->outputs[i]->type);
        layouts_match = layouts_match && same_layout(expected, outputs[i].second);
        const std::string diff = compare_like_onnx(expected, outputs[i].second, options.rtol, options.atol);
        if (!diff.empty() && r.reason.empty())
          r.reason = set.filename().string() + " output '" + outputs[i].first + "': " + diff;
      }
      if (!r.reason.empty()) {
        r.status = CaseStatus::kFailed;
        r.values_only = layouts_match;
        r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return r;
      }
    }
    r.status = CaseStatus::kPassed;
  } catch (const Error& e) {
    r.status = e.code() == ErrorCode::kUnsupported ? CaseStatus::kSkipped : CaseStatus::kFailed;
    r.reason = e.what();
  } catch (const std::exception& e) {
    r.status = CaseStatus::kFailed;
    r.reason = std::string("exception: ") + e.what();
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

std::vector<CaseResult> run_conformance(const std::string& root, const ConformanceOptions& options) {
  if (!fs::is_directory(root)) fail_bad_input(root, ": not a directory");
  std::vector<std::string> dirs;
  if (fs::exists(fs::path(root) / "model.onnx")) {
    dirs.push_back(root);
  } else {
    for (const auto& e : fs::directory_iterator(root))
      if (e.is_directory() && fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path().string());
  }
  std::sort(dirs.begin(), dirs.end());
  std::optional<std::regex> re;
  if (!options.filter.empty()) {
    try {
      re.emplace(options.filter);
    } catch (const std::regex_error&) {
      fail_bad_input("--filter: invalid regular expression '", options.filter, "'");
    }
  }
  std::vector<CaseResult> results;
  for (const std::string& d : dirs) {
    if (re && !std::regex_search(fs::path(d).filename().string(), *re)) continue;
    results.push_back(run_conformance_case(d, options));
    if (options.on_case) options.on_case(results.back());
  }
  return results;
}

}  // namespace onyx
