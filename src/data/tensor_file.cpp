// Tensor files by extension or folder, and binding loaded tensors to a model's inputs/outputs.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "onyx/data.h"
#include "onyx/onnx.h"

namespace onyx {

namespace fs = std::filesystem;

const Tensor* find_tensor(const NamedTensors& tensors, std::string_view name) {
  for (const auto& [n, t] : tensors)
    if (n == name) return &t;
  return nullptr;
}

std::string describe(const TensorMeta& meta) {
  std::string s = meta.name + ": ";
  s += meta.dtype == DType::kUndefined ? std::string("?") : std::string(dtype_name(meta.dtype));
  s += meta.shape.to_string();
  return s;
}

namespace {

std::string lower_ext(const std::string& path) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return e;
}

// input_N.pb / output_N.pb in `dir`, sorted by N.
std::vector<fs::path> numbered_pb(const fs::path& dir, const std::string& prefix) {
  std::vector<std::pair<long, fs::path>> found;
  static const std::regex re("^(input|output)_([0-9]{1,9})\\.pb$");
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, re) || m[1] != prefix) continue;
    found.emplace_back(std::stol(m[2]), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

std::vector<fs::path> data_set_dirs(const fs::path& dir) {
  std::vector<std::pair<long, fs::path>> found;
  static const std::regex re("^test_data_set_([0-9]{1,9})$");
  for (const auto& e : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = e.path().filename().string();
    if (e.is_directory() && std::regex_match(name, m, re)) found.emplace_back(std::stol(m[1]), e.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

NamedTensors read_pb_set(const fs::path& dir, DataRole role) {
  NamedTensors out;
  for (const fs::path& p : numbered_pb(dir, role == DataRole::kInputs ? "input" : "output")) {
    std::string name;
    Tensor t = read_tensor_pb(p.string(), &name);
    out.emplace_back(name, std::move(t));
  }
  return out;
}

TensorData read_folder(const std::string& path, DataRole role) {
  TensorData d;
  d.format = "test-data folder";
  RunnerData r;
  const fs::path dir(path);
  const bool has_pb = !numbered_pb(dir, "input").empty() || !numbered_pb(dir, "output").empty();
  if (has_pb) {
    r.iterations.push_back(read_pb_set(dir, role));
  } else {
    for (const fs::path& set : data_set_dirs(dir)) r.iterations.push_back(read_pb_set(set, role));
    if (r.iterations.empty())
      fail_bad_input(path, ": folder holds no input_N.pb/output_N.pb files and no test_data_set_N folders");
  }
  for (size_t i = 0; i < r.iterations.size(); ++i)
    if (r.iterations[i].empty())
      fail_bad_input(path, ": no ", role == DataRole::kInputs ? "input_N.pb" : "output_N.pb", " files",
                     r.iterations.size() > 1 ? " in test_data_set_" + std::to_string(i) : std::string());
  d.runs.push_back(std::move(r));
  return d;
}

// "iteration_N/<name>" npz members → iterations.
std::vector<NamedTensors> split_npz_iterations(NamedTensors all, const std::string& label) {
  static const std::regex re("^iteration_([0-9]{1,6})/(.+)$");
  bool any = false, every = !all.empty();
  for (const auto& [name, t] : all) {
    const bool m = std::regex_match(name, re);
    any |= m;
    every &= m;
  }
  if (!any) return {std::move(all)};
  if (!every) fail_bad_input(label, ": mixes iteration_N/ members with plain ones");
  std::vector<NamedTensors> out;
  for (auto& [name, t] : all) {
    std::smatch m;
    std::regex_match(name, m, re);
    const size_t i = std::stoul(m[1]);
    if (i >= all.size()) fail_bad_input(label, ": iteration numbers must be 0..N-1");
    if (out.size() <= i) out.resize(i + 1);
    out[i].emplace_back(m[2], t);
  }
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].empty()) fail_bad_input(label, ": iteration_", i, " has no tensors");
  return out;
}

std::string sniff(const std::string& bytes) {
  if (bytes.compare(0, 6, "\x93NUMPY") == 0) return ".npy";
  if (bytes.compare(0, 4, "PK\x03\x04") == 0 || bytes.compare(0, 4, "PK\x05\x06") == 0) return ".npz";
  const size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (bytes[first] == '{' || bytes[first] == '[')) return ".json";
  return "";
}

}  // namespace

TensorData read_tensor_data(const std::string& path, DataRole role) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail_bad_input(path, ": no such file or folder");
  if (fs::is_directory(path, ec)) return read_folder(path, role);
  std::string ext = lower_ext(path);
  const std::string bytes = read_file_bytes(path);
  if (ext != ".npy" && ext != ".npz" && ext != ".pb" && ext != ".json") {
    ext = sniff(bytes);
    if (ext.empty())
      fail_bad_input(path,
                     ": unknown data file type (expected .npy, .npz, .pb, .json or a test-data folder)");
  }
  TensorData d;
  d.format = ext.substr(1);
  if (ext == ".json") {
    d.runs = decode_polygraphy_json(bytes, path);
    return d;
  }
  RunnerData r;
  if (ext == ".npy") {
    r.iterations.push_back({{"", decode_npy(bytes, path)}});
  } else if (ext == ".npz") {
    r.iterations = split_npz_iterations(decode_npz(bytes, path), path);
  } else {
    std::string name;
    Tensor t = parse_tensor_pb(bytes, path, &name);
    r.iterations.push_back({{name, std::move(t)}});
  }
  d.runs.push_back(std::move(r));
  return d;
}

void write_tensor_data(const std::string& path, const std::vector<RunnerData>& runs, DataRole role) {
  if (runs.empty() || runs.front().iterations.empty()) fail_bad_input(path, ": nothing to write");
  const RunnerData& first = runs.front();
  const std::string ext = lower_ext(path);
  const bool folder = path.back() == '/' || ext.empty() || fs::is_directory(path);
  auto single = [&]() -> const std::pair<std::string, Tensor>& {
    if (first.iterations.size() != 1 || first.iterations[0].size() != 1)
      fail_bad_input(path, ": ", ext, " holds one tensor, but there are ", first.iterations[0].size(),
                     " tensors in ", first.iterations.size(), " iteration(s): use .npz, .json or a folder");
    return first.iterations[0][0];
  };
  if (folder) {
    const fs::path dir(path);
    fs::create_directories(dir);
    const std::string prefix = role == DataRole::kInputs ? "input_" : "output_";
    for (size_t i = 0; i < first.iterations.size(); ++i) {
      fs::path set = dir;
      if (first.iterations.size() > 1) {
        set = dir / ("test_data_set_" + std::to_string(i));
        fs::create_directories(set);
      }
      for (size_t k = 0; k < first.iterations[i].size(); ++k) {
        const auto& [name, t] = first.iterations[i][k];
        write_tensor_pb((set / (prefix + std::to_string(k) + ".pb")).string(), t, name);
      }
    }
    return;
  }
  if (ext == ".json") {
    if (role == DataRole::kInputs) {
      write_file_atomic(path, encode_polygraphy_inputs(first.iterations));
    } else {
      write_file_atomic(path, encode_polygraphy_run_results(runs));
    }
  } else if (ext == ".npz") {
    if (first.iterations.size() == 1) {
      write_file_atomic(path, encode_npz(first.iterations[0]));
    } else {
      NamedTensors all;
      for (size_t i = 0; i < first.iterations.size(); ++i)
        for (const auto& [name, t] : first.iterations[i])
          all.emplace_back("iteration_" + std::to_string(i) + "/" + name, t);
      write_file_atomic(path, encode_npz(all));
    }
  } else if (ext == ".npy") {
    write_file_atomic(path, encode_npy(single().second));
  } else if (ext == ".pb") {
    const auto& [name, t] = single();
    write_file_atomic(path, serialize_tensor_pb(t, name));
  } else {
    fail_bad_input(path, ": unknown data file type '", ext, "' (use .npy, .npz, .pb, .json or a folder)");
  }
}

namespace {

std::string names_of(const TensorMetadata& meta) {
  std::string s;
  for (const TensorMeta& m : meta) s += (s.empty() ? "" : ", ") + m.name;
  return s.empty() ? "none" : s;
}

}  // namespace

NamedTensors bind_tensors(const NamedTensors& loaded, const TensorMetadata& meta, const std::string& label,
                          const std::string& what, bool require_all,
                          const std::vector<std::string>& also_allowed) {
  NamedTensors out;
  std::set<std::string> bound;
  size_t position = 0;
  for (const auto& [name, t] : loaded) {
    const TensorMeta* m = nullptr;
    if (name.empty()) {
      if (position >= meta.size())
        fail_bad_input(label, ": more unnamed tensors than model ", what, "s (", meta.size(), ": ",
                       names_of(meta), ")");
      m = &meta[position];
    } else {
      for (const TensorMeta& c : meta)
        if (c.name == name) m = &c;
      if (!m) {
        if (std::find(also_allowed.begin(), also_allowed.end(), name) != also_allowed.end()) {
          out.emplace_back(name, t);
          continue;
        }
        fail_bad_input(label, ": unknown ", what, " '", name, "' (the model's ", what, "s: ", names_of(meta),
                       ")");
      }
    }
    ++position;
    if (!bound.insert(m->name).second) fail_bad_input(label, ": ", what, " '", m->name, "' given twice");
    if (m->dtype != DType::kUndefined && t.dtype() != m->dtype)
      fail_bad_input(label, ": ", what, " '", m->name, "' is ", t.describe(), ", the model expects ",
                     dtype_name(m->dtype), m->shape.to_string());
    if (!m->shape.fits(t.dims()))
      fail_bad_input(label, ": ", what, " '", m->name, "' has shape ", dims_to_string(t.dims()),
                     ", the model expects ", m->shape.to_string());
    out.emplace_back(m->name, t);
  }
  if (require_all)
    for (const TensorMeta& m : meta)
      if (!bound.count(m.name))
        fail_bad_input(label, ": no data for ", what, " '", m.name, "' (", describe(m), ")");
  return out;
}

}  // namespace onyx
