// onyx-fuzz-seeds OUT_DIR: writes small valid inputs for the tensor-file and CLI-argument fuzz targets into
// OUT_DIR/{npy,npz,json,tensor_pb,cli_args}/ (tests/fuzz/make_seeds.sh adds the ONNX models). Every dtype each
// format can hold, scalars, empty tensors and a few shapes, written by onyx's own writers.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "onyx/data.h"
#include "onyx/onnx.h"

namespace {

using namespace onyx;

void put(const std::filesystem::path& dir, const std::string& name, const std::string& bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// A tensor of `dtype` and `dims` whose bytes count 1, 2, 3, ... (strings: "s0", "s1", ...).
Tensor make(DType dtype, std::vector<int64_t> dims) {
  Tensor t(dtype, std::move(dims));
  if (dtype == DType::kString) {
    auto* s = t.data<std::string>();
    for (int64_t i = 0; i < t.numel(); ++i) s[i] = "s" + std::to_string(i);
  } else if (dtype == DType::kBool) {
    auto* b = static_cast<uint8_t*>(t.raw_data());
    for (int64_t i = 0; i < t.numel(); ++i) b[i] = static_cast<uint8_t>(i % 2);
  } else {
    auto* b = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) b[i] = static_cast<uint8_t>(i * 7 + 1);
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: onyx-fuzz-seeds OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = argv[1];
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {3}, {2, 3}, {1, 2, 0, 2}, {2, 1, 2, 2}};
  NamedTensors all;
  int n = 0;
  for (int code = 1; code <= 20; ++code) {
    const DType dtype = static_cast<DType>(code);
    for (const auto& dims : shapes) {
      const Tensor t = make(dtype, dims);
      const std::string stem = std::string(dtype_name(dtype)) + "_" + std::to_string(n++);
      try {
        put(out / "tensor_pb", stem + ".pb", serialize_tensor_pb(t, "t" + std::to_string(n)));
      } catch (const Error&) {
      }
      try {
        put(out / "npy", stem + ".npy", encode_npy(t));
        put(out / "npz", stem + ".npz", encode_npz({{"x", t}, {"iteration_1/y", t}}));
        put(out / "json", stem + ".json", encode_polygraphy_inputs({{{"x", t}}, {{"x", t}}}));
        if (dims.size() == 2) all.emplace_back("in" + std::to_string(all.size()), t);
      } catch (const Error&) {
        // a dtype numpy cannot hold (bfloat16, float8): .pb only
      }
    }
  }
  put(out / "npz", "many.npz", encode_npz(all));
  RunnerData ref{"onyx-ref", {all, all}, {0.5, 0.25}};
  RunnerData other{"onyx-cpu", {all, all}, {}};
  put(out / "json", "run_results.json", encode_polygraphy_run_results({ref, other}));
  // A single {name: array} dict.
  put(out / "json", "plain_dict.json",
      nlohmann::json::parse(encode_polygraphy_inputs({{{"x", make(DType::kFloat32, {2})}}}))[0].dump());
  const std::vector<std::string> args = {
      "x:[1,3,224,224]",      "x:[1,3,224,224],y:[2]\nz:[]", "input.1:[0]",          "a:[1, 2 ,3]",
      "x:[0,1]",              "[-1,1]\nx:[0,255]",           "x:[-1e30,1e30],[0,0]", "y:[ 0.5 , 2 ]",
      "weird:name:[1,2]",     "x:[9223372036854775807]",     "x:[[1,2]]",            "x:[1,2],[3,4]"};
  for (size_t i = 0; i < args.size(); ++i) put(out / "cli_args", "arg" + std::to_string(i) + ".txt", args[i]);
  return 0;
}
