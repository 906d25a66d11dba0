// `onyx run` and `onyx inspect data` end to end: the built binary on ONNX backend test data and on models
// built here from Identity/Constant.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "onyx/data.h"
#include "onyx/onnx.h"

namespace onyx {
namespace {

namespace fs = std::filesystem;

const std::string kCase = ONYX_TEST_DATA_DIR "/node/test_identity";

struct Result {
  int rc = -1;
  std::string out;  // stdout + stderr
};

Result onyx(const std::string& args) {
  Result r;
  const std::string cmd = std::string(ONYX_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool have_numpy() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return ok;
}

class RunCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("onyx_run_cli_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // x[N,3] -> Identity -> a -> Identity -> b -> Add(b, c=Constant) ... kept to Identity/Constant: y =
  // Identity(b), plus a second output k = Constant.
  std::string chain_model() const {
    Model m;
    m.ir_version = 8;
    m.opset_imports = {{"", 18}};
    m.graph = std::make_shared<Graph>();
    Graph& g = *m.graph;
    g.name = "chain";
    Value* x = g.add_value("x");
    x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("N"), 3}));
    Value* a = g.add_value("a");
    Value* b = g.add_value("b");
    Value* y = g.add_value("y");
    Value* k = g.add_value("k");
    g.inputs = {x};
    g.add_node("Identity", "", {x}, {a}, "first");
    g.add_node("Identity", "", {a}, {b}, "second");
    g.add_node("Identity", "", {b}, {y}, "third");
    Node* c = g.add_node("Constant", "", {}, {k}, "const");
    Attribute v;
    v.name = "value";
    v.type = AttrType::kTensor;
    v.t = Tensor::from_vector<int64_t>({2}, {4, 5});
    c->set_attr(v);
    g.outputs = {y, k};
    const std::string p = path("chain.onnx");
    save_model(m, p);
    return p;
  }

  fs::path dir_;
};

TEST_F(RunCli, AgreesWithBackendTestData) {
  const Result r = onyx("run " + kCase + "/model.onnx --backends ref --load-inputs " + kCase +
                        "/test_data_set_0 --load-outputs " + kCase + "/test_data_set_0");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("PASSED | output 'y'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ref | 1 iteration(s) | mean"), std::string::npos) << r.out;
  // The whole case folder: every test_data_set_N is an iteration.
  const Result whole =
      onyx("run " + kCase + "/model.onnx --load-inputs " + kCase + " --load-outputs " + kCase);
  EXPECT_EQ(whole.rc, 0) << whole.out;
}

TEST_F(RunCli, PerturbedOutputsExitOneAndNameTheWorstElement) {
  TensorData expected = read_tensor_data(kCase + "/test_data_set_0", DataRole::kOutputs);
  Tensor y = expected.runs[0].iterations[0][0].second.clone();
  y.data<float>()[2] += 0.25f;
  write_tensor_pb(path("output_0.pb"), y, expected.runs[0].iterations[0][0].first);
  const Result r =
      onyx("run " + kCase + "/model.onnx --backends ref --load-inputs " + kCase +
           "/test_data_set_0 --load-outputs " + path("output_0.pb") + " --report " + path("r.json"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("worst element: [0,0,1,0] (flat 2)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FAILED | output 'y'"), std::string::npos) << r.out;
  const auto report = nlohmann::json::parse(read_file_bytes(path("r.json")));
  EXPECT_FALSE(report["passed"].get<bool>());
  EXPECT_EQ(report["comparisons"][0]["outputs"][0]["worst"]["flat_index"], 2);
  // A tolerance that covers the change passes; a per-output override too.
  EXPECT_EQ(onyx("run " + kCase + "/model.onnx --load-inputs " + kCase + "/test_data_set_0 --load-outputs " +
                 path("output_0.pb") + " --atol 0.3")
                .rc,
            0);
  EXPECT_EQ(onyx("run " + kCase + "/model.onnx --load-inputs " + kCase + "/test_data_set_0 --load-outputs " +
                 path("output_0.pb") + " --atol y:0.3")
                .rc,
            0);
  EXPECT_EQ(onyx("run " + kCase + "/model.onnx --load-inputs " + kCase + "/test_data_set_0 --load-outputs " +
                 path("output_0.pb") + " --check-error-stat median")
                .rc,
            0);
}

TEST_F(RunCli, SavedFilesRoundTripAndLoadInNumpy) {
  const std::string m = chain_model();
  Result r =
      onyx("run " + m + " --backends ref,ref --input-shapes x:[4,3] --seed 9 --iterations 2 --save-inputs " +
           path("in.json") + " --save-outputs " + path("out.json"));
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Comparing ref#2 against ref"), std::string::npos) << r.out;
  // Reload both: same inputs → same outputs.
  r = onyx("run " + m + " --load-inputs " + path("in.json") + " --load-outputs " + path("out.json"));
  EXPECT_EQ(r.rc, 0) << r.out;
  // Other formats: npz inputs, folder outputs.
  r = onyx("run " + m + " --input-shapes x:[2,3] --save-inputs " + path("in.npz") + " --save-outputs " +
           path("outdir/"));
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(fs::exists(path("outdir/output_0.pb")));
  r = onyx("run " + m + " --load-inputs " + path("in.npz") + " --load-outputs " + path("outdir"));
  EXPECT_EQ(r.rc, 0) << r.out;
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  const std::string py =
      "import json, base64, io, numpy as np\n"
      "d = json.load(open(\"" +
      path("out.json") +
      "\"))\n"
      "assert d[\"polygraphy_class\"] == \"RunResults\"\n"
      "assert [r[0] for r in d[\"lst\"]] == [\"ref\", \"ref#2\"]\n"
      "its = d[\"lst\"][0][1]\n"
      "assert len(its) == 2\n"
      "y = np.load(io.BytesIO(base64.b64decode(its[1][\"outputs\"][\"y\"][\"array\"])))\n"
      "assert y.shape == (4, 3) and y.dtype == np.float32\n"
      "z = np.load(\"" +
      path("in.npz") +
      "\")\n"
      "assert z[\"x\"].shape == (2, 3)\n"
      // Polygraphy's seed-9 data, iteration 1 (seed 10).
      "i = json.load(open(\"" +
      path("in.json") +
      "\"))\n"
      "x1 = np.load(io.BytesIO(base64.b64decode(i[1][\"x\"][\"array\"])))\n"
      "ref = np.random.RandomState(10).random_sample(size=(4, 3)).astype(np.float32)\n"
      "assert (x1 == ref).all(), (x1, ref)\n";
  EXPECT_EQ(std::system(("/usr/bin/python3 -c '" + py + "'").c_str()), 0);
}

TEST_F(RunCli, NumpyWrittenInputsLoad) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  const std::string m = chain_model();
  const std::string py =
      "import numpy as np\n"
      "x = np.arange(6, dtype=np.float32).reshape(2, 3)\n"
      "np.save(\"" +
      path("x.npy") +
      "\", x)\n"
      "np.savez_compressed(\"" +
      path("out.npz") + "\", y=x, k=np.array([4, 5]))\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c '" + py + "'").c_str()), 0);
  const Result r =
      onyx("run " + m + " --load-inputs " + path("x.npy") + " --load-outputs " + path("out.npz"));
  EXPECT_EQ(r.rc, 0) << r.out;
}

TEST_F(RunCli, MarkAllNamesTheFirstDivergentNode) {
  const std::string m = chain_model();
  Result r = onyx("run " + m + " --mark-all --input-shapes x:[2,3] --save-outputs " + path("all.npz"));
  ASSERT_EQ(r.rc, 0) << r.out;
  NamedTensors all = decode_npz(read_file_bytes(path("all.npz")), "all.npz");
  std::vector<std::string> names;
  for (auto& [n, t] : all) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"y", "k", "a", "b"}));
  // Perturb the intermediate `b`: node 'second' is the first to diverge; 'third' (y) follows from the
  // reference.
  for (auto& [n, t] : all)
    if (n == "b") t.data<float>()[4] += 1;
  write_file_atomic(path("bad.npz"), encode_npz(all));
  r = onyx("run " + m + " --mark-all --input-shapes x:[2,3] --load-outputs " + path("bad.npz") +
           " --report " + path("rep.json"));
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("First divergence: node 'second' (Identity)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input  'a': within tolerance"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("worst element: [1,1]"), std::string::npos) << r.out;
  const auto rep = nlohmann::json::parse(read_file_bytes(path("rep.json")));
  EXPECT_EQ(rep["comparisons"][0]["first_divergence"]["node"], "second");
  EXPECT_EQ(rep["comparisons"][0]["first_divergence"]["op_type"], "Identity");
  // Without --mark-all, intermediates in the file are mismatched output names.
  r = onyx("run " + m + " --input-shapes x:[2,3] --load-outputs " + path("bad.npz"));
  EXPECT_EQ(r.rc, 2) << r.out;
  EXPECT_NE(r.out.find("unknown output 'a'"), std::string::npos) << r.out;
}

TEST_F(RunCli, BadInputExitsTwoWithOneClearLine) {
  const std::string m = chain_model();
  struct Case {
    std::string args;
    std::string message;
  };
  write_file_atomic(path("wrong_name.npz"), encode_npz({{"q", Tensor(DType::kFloat32, {2, 3})}}));
  write_file_atomic(path("wrong_shape.npz"), encode_npz({{"x", Tensor(DType::kFloat32, {2, 4})}}));
  write_file_atomic(path("wrong_dtype.npz"), encode_npz({{"x", Tensor(DType::kFloat64, {2, 3})}}));
  write_file_atomic(path("x.npz"), encode_npz({{"x", Tensor(DType::kFloat32, {2, 3})}}));
  write_file_atomic(path("out_names.npz"), encode_npz({{"y", Tensor(DType::kFloat32, {2, 3})},
                                                       {"zzz", Tensor(DType::kInt64, {2})}}));
  write_file_atomic(path("out_missing.npz"), encode_npz({{"y", Tensor(DType::kFloat32, {2, 3})}}));
  write_file_atomic(path("bad.npy"), "\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'fortran_order'");
  write_file_atomic(path("bad.npz"), std::string("PK\x03\x04", 4) + std::string(40, '\x01'));
  write_file_atomic(path("bad.pb"), "\xff\xff\xff\xff\xff");
  write_file_atomic(path("bad.json"), "[{\"x\": {\"array\": 12");
  const std::vector<Case> cases = {
      {"--backends tensorrt", "unknown backend 'tensorrt' (available: ref, cpu)"},
      {"--backends ref,cuda:fp16", "backend 'cuda' is not available"},
      {"--backends cpu:fast", "backend 'cpu' takes no options"},
      {"--load-inputs " + path("wrong_name.npz"), "unknown input 'q'"},
      {"--load-inputs " + path("wrong_shape.npz"), "has shape [2,4], the model expects [N,3]"},
      {"--load-inputs " + path("wrong_dtype.npz"), "is float64[2,3], the model expects float32"},
      {"--load-inputs " + path("x.npz") + " --load-outputs " + path("out_names.npz"), "unknown output 'zzz'"},
      {"--load-inputs " + path("x.npz") + " --load-outputs " + path("out_missing.npz"),
       "no data for output 'k'"},
      {"--load-inputs " + path("bad.npy"), "bad.npy"},
      {"--load-inputs " + path("bad.npz"), "bad.npz"},
      {"--load-inputs " + path("bad.pb"), "bad.pb"},
      {"--load-outputs " + path("bad.json"), "bad.json: not valid JSON"},
      {"--load-inputs " + path("missing.npz"), "no such file"},
      {"--input-shapes y:[1,3]", "unknown input 'y'"},
      {"--input-shapes x:[1,4]", "does not fit"},
      {"--val-range x:[1]", "--val-range"},
      {"--check-error-stat p50", "unknown statistic 'p50'"},
      {"--save-inputs " + path("in.txt"), "unknown data file type"},
  };
  for (const Case& c : cases) {
    const Result r = onyx("run " + m + " " + c.args);
    EXPECT_EQ(r.rc, 2) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find("onyx: error: "), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
}

TEST_F(RunCli, HelpExplainsEveryOption) {
  const Result r = onyx("run --help");
  EXPECT_EQ(r.rc, 0);
  for (const char* opt :
       {"--backends", "--input-shapes", "--seed", "--val-range", "--iterations", "--load-inputs",
        "--save-inputs", "--load-outputs", "--save-outputs", "--atol", "--rtol", "--check-error-stat",
        "--mark-all", "--report", "--fail-fast", "Examples:"})
    EXPECT_NE(r.out.find(opt), std::string::npos) << opt << "\n" << r.out;
}

TEST_F(RunCli, InspectDataShowsTensors) {
  Result r = onyx("inspect data " + kCase + "/test_data_set_0");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("[dtype=float32, shape=[1,1,2,2]]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("inputs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("outputs"), std::string::npos) << r.out;
  write_file_atomic(path("d.npz"), encode_npz({{"v", Tensor::from_vector<float>({4}, {1, 2, 3, 10})}}));
  r = onyx("inspect data " + path("d.npz") + " --values 2");
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("v [dtype=float32, shape=[4]] | min 1, max 10, mean 4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("values: [1, 2, ...]"), std::string::npos) << r.out;
  write_file_atomic(path("bad.npz"), "PK\x05\x06 nonsense");
  r = onyx("inspect data " + path("bad.npz"));
  EXPECT_EQ(r.rc, 2) << r.out;
}

}  // namespace
}  // namespace onyx
