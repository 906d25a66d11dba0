// Polygraphy JSON, the tensor-file dispatcher (npy/npz/pb/json/folders) and binding loaded data to a model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "onyx/data.h"
#include "onyx/onnx.h"

namespace onyx {
namespace {

namespace fs = std::filesystem;

bool have_numpy() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return ok;
}

fs::path temp_dir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("onyx_json_test_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return static_cast<ErrorCode>(0);
}

TEST(PolygraphyJson, InputsRoundTrip) {
  std::vector<NamedTensors> its = {{{"x", Tensor::from_vector<float>({2}, {1, 2})}},
                                   {{"x", Tensor::from_vector<float>({2}, {3, 4})}}};
  const std::string text = encode_polygraphy_inputs(its);
  EXPECT_NE(text.find("\"polygraphy_class\": \"ndarray\""), std::string::npos);
  const auto runs = decode_polygraphy_json(text, "in.json");
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(runs[0].iterations.size(), 2u);
  EXPECT_EQ(runs[0].iterations[1][0].first, "x");
  EXPECT_TRUE(runs[0].iterations[1][0].second.bitwise_equal(its[1][0].second));
}

TEST(PolygraphyJson, RunResultsRoundTripKeepsRunnersOrderAndTimes) {
  std::vector<RunnerData> runs = {
      {"ref", {{{"z", Tensor::scalar<float>(1)}, {"a", Tensor::scalar<int64_t>(2)}}}, {0.25}},
      {"cpu", {{{"z", Tensor::scalar<float>(1.5f)}, {"a", Tensor::scalar<int64_t>(3)}}}, {0.5}}};
  const auto back = decode_polygraphy_json(encode_polygraphy_run_results(runs), "out.json");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].runner, "cpu");
  EXPECT_EQ(back[0].iterations[0][0].first, "z");  // insertion order, not sorted
  EXPECT_EQ(back[0].iterations[0][1].first, "a");
  ASSERT_EQ(back[1].runtimes.size(), 1u);
  EXPECT_DOUBLE_EQ(back[1].runtimes[0], 0.5);
  EXPECT_EQ(back[1].iterations[0][1].second.data<int64_t>()[0], 3);
}

TEST(PolygraphyJson, ReadsLazyArraysAndLegacyMarkers) {
  const std::string arr = encode_polygraphy_inputs({{{"x", Tensor::scalar<float>(7)}}});
  // Pull the base64 payload out of the encoded list.
  const size_t a = arr.find("\"array\": \"") + 10;
  const std::string b64 = arr.substr(a, arr.find('"', a) - a);
  const std::string text =
      "{\"lst\": [[\"trt-runner\", [{\"outputs\": {\"y\": {\"values\": {\"array\": \"" + b64 +
      "\", \"__polygraphy_encoded_ndarray\": \"polygraphy_serialized_json_type\"}, \"polygraphy_class\": "
      "\"LazyNumpyArray\"}}, \"runtime\": null, \"runner_name\": \"trt-runner\", \"polygraphy_class\": "
      "\"IterationResult\"}]]], \"polygraphy_class\": \"RunResults\"}";
  const auto runs = decode_polygraphy_json(text, "legacy.json");
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].runner, "trt-runner");
  EXPECT_TRUE(runs[0].runtimes.empty());
  EXPECT_EQ(runs[0].iterations[0][0].second.data<float>()[0], 7.f);
}

TEST(PolygraphyJson, CorruptJsonIsBadInput) {
  EXPECT_EQ(code_of([] { decode_polygraphy_json("[{\"x\": ", "a.json"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] {
              decode_polygraphy_json("[{\"x\": {\"array\": \"!!!!\", \"polygraphy_class\": \"ndarray\"}}]",
                                     "a.json");
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { decode_polygraphy_json("[{\"x\": 3}]", "a.json"); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { decode_polygraphy_json("{\"polygraphy_class\": \"RunResults\"}", "a.json"); }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([] { decode_polygraphy_json("42", "a.json"); }), ErrorCode::kBadInput);
}

TEST(PolygraphyJson, InteropWithPythonBothWays) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  const fs::path dir = temp_dir("py");
  const std::string d = dir.string();
  write_tensor_data(d + "/onyx_in.json", {{"", {{{"x", Tensor::from_vector<float>({2}, {0.5f, 1.5f})}}}, {}}},
                    DataRole::kInputs);
  // Decode as Polygraphy does: base64 → np.load.
  const std::string check =
      "import json, base64, io, numpy as np\n"
      "d = json.load(open(\"" +
      d +
      "/onyx_in.json\"))\n"
      "a = np.load(io.BytesIO(base64.b64decode(d[0][\"x\"][\"array\"], validate=True)), allow_pickle=False)\n"
      "assert d[0][\"x\"][\"polygraphy_class\"] == \"ndarray\"\n"
      "assert a.dtype == np.float32 and list(a) == [0.5, 1.5], a\n"
      "buf = io.BytesIO(); np.save(buf, np.array([[1, 2]], dtype=np.int32))\n"
      "arr = {\"array\": base64.b64encode(buf.getvalue()).decode(), \"polygraphy_class\": \"ndarray\"}\n"
      "it = {\"outputs\": {\"y\": arr}, \"runtime\": 0.1, \"runner_name\": \"onnxrt-runner\", "
      "\"polygraphy_class\": \"IterationResult\"}\n"
      "json.dump({\"lst\": [[\"onnxrt-runner\", [it]]], \"polygraphy_class\": \"RunResults\"}, "
      "open(\"" +
      d + "/py_out.json\", \"w\"), indent=4)\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c '" + check + "'").c_str()), 0);
  const TensorData back = read_tensor_data(d + "/py_out.json", DataRole::kOutputs);
  EXPECT_EQ(back.format, "json");
  ASSERT_EQ(back.runs.size(), 1u);
  EXPECT_EQ(back.runs[0].runner, "onnxrt-runner");
  EXPECT_EQ(back.runs[0].iterations[0][0].second.describe(), "int32[1,2]");
  fs::remove_all(dir);
}

TEST(TensorFile, ReadsBackendTestFolders) {
  const std::string set = ONYX_TEST_DATA_DIR "/node/test_identity/test_data_set_0";
  const TensorData in = read_tensor_data(set, DataRole::kInputs);
  EXPECT_EQ(in.format, "test-data folder");
  ASSERT_EQ(in.runs[0].iterations.size(), 1u);
  ASSERT_EQ(in.runs[0].iterations[0].size(), 1u);
  EXPECT_EQ(in.runs[0].iterations[0][0].second.dtype(), DType::kFloat32);
  // The case folder (model.onnx + test_data_set_N): each set is an iteration.
  const TensorData out = read_tensor_data(ONYX_TEST_DATA_DIR "/node/test_identity", DataRole::kOutputs);
  EXPECT_EQ(out.runs[0].iterations.size(), 1u);
  EXPECT_TRUE(out.runs[0].iterations[0][0].second.bitwise_equal(in.runs[0].iterations[0][0].second));
}

TEST(TensorFile, WritesAndReadsEveryFormat) {
  const fs::path dir = temp_dir("formats");
  const NamedTensors one = {{"x", Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4})}};
  const NamedTensors two = {{"x", Tensor::from_vector<float>({1}, {5})}, {"n", Tensor::scalar<int64_t>(3)}};
  for (const char* name : {"a.npy", "a.pb", "a.npz", "a.json", "folder/"}) {
    const std::string p = (dir / name).string();
    write_tensor_data(p, {{"ref", {one}, {}}}, DataRole::kOutputs);
    const TensorData d = read_tensor_data(p, DataRole::kOutputs);
    ASSERT_EQ(d.runs[0].iterations.size(), 1u) << name;
    EXPECT_TRUE(d.runs[0].iterations[0][0].second.bitwise_equal(one[0].second)) << name;
    if (std::string(name) != "a.npy") {
      EXPECT_EQ(d.runs[0].iterations[0][0].first, "x") << name;
    }
  }
  // Several iterations: npz members iteration_N/name, folders test_data_set_N.
  for (const char* name : {"m.npz", "m.json", "m/"}) {
    const std::string p = (dir / name).string();
    write_tensor_data(p, {{"", {one, two}, {}}}, DataRole::kInputs);
    const TensorData d = read_tensor_data(p, DataRole::kInputs);
    ASSERT_EQ(d.runs[0].iterations.size(), 2u) << name;
    EXPECT_EQ(d.runs[0].iterations[1][1].first, "n") << name;
    EXPECT_EQ(d.runs[0].iterations[1][1].second.data<int64_t>()[0], 3) << name;
  }
  // One-tensor formats refuse several tensors.
  EXPECT_EQ(code_of([&] {
              write_tensor_data((dir / "b.npy").string(), {{"", {two}, {}}}, DataRole::kInputs);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              write_tensor_data((dir / "b.txt").string(), {{"", {one}, {}}}, DataRole::kInputs);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { read_tensor_data((dir / "missing.npy").string(), DataRole::kInputs); }),
            ErrorCode::kBadInput);
  write_file_atomic((dir / "junk.pb").string(), "\xff\xff\xff garbage");
  EXPECT_EQ(code_of([&] { read_tensor_data((dir / "junk.pb").string(), DataRole::kInputs); }),
            ErrorCode::kBadInput);
  fs::remove_all(dir);
}

TEST(BindTensors, MatchesByNameOrPositionAndChecksTypes) {
  TensorMetadata meta = {{"a", DType::kFloat32, Shape({Dim::symbol("batch"), 3})},
                         {"b", DType::kInt64, Shape({2})}};
  const Tensor a = Tensor(DType::kFloat32, {5, 3});
  const Tensor b = Tensor(DType::kInt64, {2});
  auto bound = bind_tensors({{"b", b}, {"a", a}}, meta, "f", "input", true);
  EXPECT_EQ(bound[0].first, "b");
  bound = bind_tensors({{"", a}, {"", b}}, meta, "f", "input", true);
  EXPECT_EQ(bound[1].first, "b");
  EXPECT_EQ(code_of([&] { bind_tensors({{"a", a}}, meta, "f", "input", true); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              bind_tensors({{"zzz", a}, {"b", b}}, meta, "f", "input", true);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              bind_tensors({{"a", Tensor(DType::kFloat64, {5, 3})}, {"b", b}}, meta, "f", "input", true);
            }),
            ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] {
              bind_tensors({{"a", Tensor(DType::kFloat32, {5, 4})}, {"b", b}}, meta, "f", "input", true);
            }),
            ErrorCode::kBadInput);
  try {
    bind_tensors({{"zzz", a}}, meta, "in.npz", "input", true);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown input 'zzz'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("a, b"), std::string::npos) << e.what();
  }
  // Intermediates named in also_allowed pass through.
  bound = bind_tensors({{"a", a}, {"b", b}, {"mid", b}}, meta, "f", "output", true, {"mid"});
  EXPECT_EQ(bound.size(), 3u);
}

}  // namespace
}  // namespace onyx
