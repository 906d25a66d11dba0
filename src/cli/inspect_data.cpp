// onyx inspect data F [--values N] [--outputs]
// For every tensor: name, dtype, shape, min/max/mean (finite elements), NaN/Inf counts and the first few
// values.
#include "inspect_data.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "onyx/data.h"

namespace onyx::cli {

namespace {

struct InspectDataOptions {
  std::string path;
  int values = 6;
  bool outputs = false;
};

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_tensor(const std::string& name, const Tensor& t, int values) {
  std::cout << "    " << (name.empty() ? "<unnamed>" : name) << " [dtype=" << dtype_name(t.dtype())
            << ", shape=" << dims_to_string(t.dims()) << "]";
  if (t.dtype() == DType::kString) {
    std::cout << "\n        values: [";
    for (int64_t i = 0; i < std::min<int64_t>(t.numel(), values); ++i)
      std::cout << (i ? ", " : "") << '"' << t.data<std::string>()[i] << '"';
    std::cout << (t.numel() > values ? ", ...]" : "]") << "\n";
    return;
  }
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t finite = 0, nan = 0, inf = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    const double v = t.get_double(i);
    if (std::isnan(v)) {
      ++nan;
    } else if (std::isinf(v)) {
      ++inf;
    } else {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
      ++finite;
    }
  }
  if (finite)
    std::cout << " | min " << fmt(lo) << ", max " << fmt(hi) << ", mean "
              << fmt(sum / static_cast<double>(finite));
  if (nan || inf) std::cout << " | " << nan << " NaN, " << inf << " Inf";
  std::cout << "\n        values: [";
  for (int64_t i = 0; i < std::min<int64_t>(t.numel(), values); ++i) {
    if (i) std::cout << ", ";
    if (t.dtype() == DType::kBool)
      std::cout << (t.get_double(i) != 0 ? "True" : "False");
    else
      std::cout << fmt(t.get_double(i));
  }
  std::cout << (t.numel() > values ? ", ...]" : "]") << "\n";
}

void print_data(const std::string& path, const TensorData& d, const char* what, int values) {
  std::cout << "[I] ==== " << path << " (" << d.format << (what ? std::string(", ") + what : std::string())
            << ") ====\n";
  for (const RunnerData& r : d.runs) {
    if (!r.runner.empty()) std::cout << "---- Runner: " << r.runner << " ----\n";
    for (size_t i = 0; i < r.iterations.size(); ++i) {
      std::cout << "  -- iteration " << i;
      if (i < r.runtimes.size()) std::cout << " (runtime " << fmt(r.runtimes[i] * 1e3) << " ms)";
      std::cout << ": " << r.iterations[i].size() << " tensor(s) --\n";
      for (const auto& [name, t] : r.iterations[i]) print_tensor(name, t, values);
    }
  }
}

int inspect_data(const InspectDataOptions& o) {
  if (o.values < 0) fail_bad_input("--values must be >= 0");
  if (std::filesystem::is_directory(o.path)) {
    // A test-data folder: both its inputs and its outputs (whichever exist).
    bool any = false;
    for (DataRole role : {DataRole::kInputs, DataRole::kOutputs}) {
      try {
        const TensorData d = read_tensor_data(o.path, role);
        print_data(o.path, d, role == DataRole::kInputs ? "inputs" : "outputs", o.values);
        any = true;
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kBadInput || std::string(e.what()).find(": no ") == std::string::npos)
          throw;
      }
    }
    if (!any) fail_bad_input(o.path, ": folder holds no input_N.pb or output_N.pb files");
    return 0;
  }
  print_data(o.path, read_tensor_data(o.path, o.outputs ? DataRole::kOutputs : DataRole::kInputs), nullptr,
             o.values);
  return 0;
}

}  // namespace

void add_inspect_data_subcommand(CLI::App& inspect) {
  auto o = std::make_shared<InspectDataOptions>();
  auto* cmd = inspect.add_subcommand(
      "data",
      "Tensors in a data file (.npy, .npz, .pb, Polygraphy .json, ONNX test-data folder): name, dtype, "
      "shape, min/max/mean and the first values");
  cmd->add_option("file", o->path, "Data file or test-data folder")->required();
  cmd->add_option("--values", o->values, "How many values to show per tensor (default 6)");
  cmd->footer(
      "Examples:\n  onyx inspect data inputs.json\n  onyx inspect data outputs.npz --values 10\n"
      "  onyx inspect data /usr/share/libonnx-testdata/data/node/test_abs/test_data_set_0");
  set_action(cmd, [o] { return inspect_data(*o); });
}

}  // namespace onyx::cli
