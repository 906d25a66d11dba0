// DataLoader (seeding, shapes, ranges, numpy equality, integer roles) and runners/backend registry.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "onyx/data.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"

namespace onyx {
namespace {

namespace fs = std::filesystem;

bool have_numpy() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
  return ok;
}

ErrorCode code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  return static_cast<ErrorCode>(0);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DataLoader, IsSeededAndDeterministic) {
  TensorMetadata meta = {{"x", DType::kFloat32, Shape({2, 3})}};
  DataLoader a(meta, {});
  DataLoader b(meta, {.iterations = 2});
  EXPECT_TRUE(a[0][0].second.bitwise_equal(b[0][0].second));
  EXPECT_FALSE(b[0][0].second.bitwise_equal(b[1][0].second));
  DataLoader c(meta, {.seed = 2});
  EXPECT_TRUE(c[0][0].second.bitwise_equal(b[1][0].second));  // iteration i uses seed + i
  const NamedTensors first = a[0];
  for (float v : first[0].second.span<float>()) {
    EXPECT_GE(v, 0.f);
    EXPECT_LE(v, 1.f);
  }
}

TEST(DataLoader, EqualsNumpyRandomState) {
  if (!have_numpy()) GTEST_SKIP() << "python3-numpy not installed";
  TensorMetadata meta = {{"f", DType::kFloat32, Shape({3, 4})}, {"i", DType::kInt32, Shape({5})},
                         {"l", DType::kInt64, Shape({6})},      {"u", DType::kUInt8, Shape({7})},
                         {"b", DType::kBool, Shape({9})},       {"d", DType::kFloat64, Shape({2})},
                         {"s", DType::kInt16, Shape({3})}};
  DataLoaderOptions o;
  o.seed = 5;
  o.iterations = 2;
  o.val_ranges = {
      {"f", {-2, 3}}, {"i", {-10, 1000}}, {"l", {0, 5000000000.0}}, {"u", {3, 200}}, {"s", {-5, 5}}};
  DataLoader dl(meta, o);
  const NamedTensors it1 = dl[1];
  const fs::path out = fs::temp_directory_path() / ("onyx_dl_" + std::to_string(getpid()) + ".npz");
  // Polygraphy's generation, for seed 5 + iteration 1.
  const std::string code =
      "import numpy as np\n"
      "rng = np.random.RandomState(6)\n"
      "f = (rng.random_sample(size=(3, 4)) * (3.0 - -2.0) + -2.0).astype(np.float32)\n"
      "i = rng.randint(low=-10, high=1001, size=(5,), dtype=np.int32)\n"
      "l = rng.randint(low=0, high=5000000001, size=(6,), dtype=np.int64)\n"
      "u = rng.randint(low=3, high=201, size=(7,), dtype=np.uint8)\n"
      "b = rng.randint(low=False, high=True + 1, size=(9,), dtype=bool)\n"
      "d = (rng.random_sample(size=(2,)) * (1.0 - 0.0) + 0.0).astype(np.float64)\n"
      "s = rng.randint(low=-5, high=6, size=(3,), dtype=np.int16)\n"
      "np.savez(\"" +
      out.string() + "\", f=f, i=i, l=l, u=u, b=b, d=d, s=s)\n";
  ASSERT_EQ(std::system(("/usr/bin/python3 -c '" + code + "'").c_str()), 0);
  const TensorData ref = read_tensor_data(out.string(), DataRole::kInputs);
  fs::remove(out);
  ASSERT_EQ(ref.runs[0].iterations[0].size(), it1.size());
  for (size_t k = 0; k < it1.size(); ++k)
    EXPECT_TRUE(it1[k].second.bitwise_equal(ref.runs[0].iterations[0][k].second))
        << it1[k].first << ": onyx " << it1[k].second.describe() << " differs from numpy";
}

TEST(DataLoader, ShapesForDynamicDims) {
  TensorMetadata meta = {{"x", DType::kFloat32, Shape({Dim::symbol("n"), 3, Dim::unknown()})}};
  EXPECT_EQ(DataLoader(meta, {}).concrete_shape("x"), (std::vector<int64_t>{1, 3, 1}));
  DataLoaderOptions o;
  o.profile_opt = {{"x", {4, 3, 8}}};
  EXPECT_EQ(DataLoader(meta, o).concrete_shape("x"), (std::vector<int64_t>{4, 3, 8}));
  o.input_shapes = parse_input_shapes({"x:[2,3,5]"});
  EXPECT_EQ(DataLoader(meta, o).concrete_shape("x"), (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(DataLoader(meta, o)[0][0].second.describe(), "float32[2,3,5]");
  o.input_shapes = parse_input_shapes({"x:[2,4,5]"});  // contradicts the static 3
  EXPECT_EQ(code_of([&] { DataLoader(meta, o); }), ErrorCode::kBadInput);
  o.input_shapes = parse_input_shapes({"y:[2]"});
  EXPECT_NE(message_of([&] { DataLoader(meta, o); }).find("unknown input 'y'"), std::string::npos);
}

TEST(DataLoader, ShapeInputsTakeTheGivenValues) {
  TensorMetadata meta = {{"shape", DType::kInt64, Shape({3})}};
  DataLoaderOptions o;
  o.input_shapes = parse_input_shapes({"shape:[4,5,6]"});
  const Tensor t = DataLoader(meta, o)[0][0].second;
  EXPECT_EQ(t.to_int64_vector(), (std::vector<int64_t>{4, 5, 6}));
}

TEST(DataLoader, ParsesShapesAndRanges) {
  auto s = parse_input_shapes({"a:[1,3,224,224],b:[2]", "c:[]"});
  EXPECT_EQ(s["a"], (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ(s["b"], (std::vector<int64_t>{2}));
  EXPECT_TRUE(s["c"].empty());
  auto r = parse_val_ranges({"x:[-1,1]", "[0,5]"});
  EXPECT_EQ(r["x"].lo, -1);
  EXPECT_EQ(r[""].hi, 5);
  for (const char* bad : {"a[1]", "a:[1,x]", "a:[1,,2]", "a:[-1]"})
    EXPECT_EQ(code_of([&] { parse_input_shapes({bad}); }), ErrorCode::kBadInput) << bad;
  for (const char* bad : {"x:[1]", "x:[2,1]", "x:[a,b]", "x:[1,2,3]"})
    EXPECT_EQ(code_of([&] { parse_val_ranges({bad}); }), ErrorCode::kBadInput) << bad;
}

TEST(DataLoader, IntegerAndBoolRanges) {
  TensorMetadata meta = {{"i", DType::kInt32, Shape({1000})}, {"b", DType::kBool, Shape({100})}};
  DataLoaderOptions o;
  o.val_ranges = {{"i", {-3, 3}}};
  const NamedTensors d = DataLoader(meta, o)[0];
  std::set<int32_t> seen(d[0].second.span<int32_t>().begin(), d[0].second.span<int32_t>().end());
  EXPECT_EQ(seen, (std::set<int32_t>{-3, -2, -1, 0, 1, 2, 3}));
  int trues = 0;
  for (bool v : d[1].second.span<bool>()) trues += v;
  EXPECT_GT(trues, 10);
  EXPECT_LT(trues, 90);
}

// x(float[2,3]) -> Reshape(x, shape) ; Gather(table[5,2], idx)
std::shared_ptr<Model> roles_model() {
  auto m = std::make_shared<Model>();
  m->ir_version = 8;
  m->opset_imports = {{"", 18}};
  m->graph = std::make_shared<Graph>();
  Graph& g = *m->graph;
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({2, 3}));
  Value* shape = g.add_value("shape");
  shape->type = TypeInfo::tensor(DType::kInt64, Shape({3}));
  Value* table = g.add_value("table");
  table->initializer = Tensor(DType::kFloat32, {5, 2});
  Value* idx = g.add_value("idx");
  idx->type = TypeInfo::tensor(DType::kInt64, Shape({50}));
  g.inputs = {x, shape, idx};
  g.initializers = {table};
  Value* r = g.add_value("r");
  Value* gathered = g.add_value("g");
  g.add_node("Reshape", "", {x, shape}, {r}, "reshape");
  g.add_node("Gather", "", {table, idx}, {gathered}, "gather");
  g.outputs = {r, gathered};
  return m;
}

TEST(DataLoader, KeepsShapeAndIndexInputsValid) {
  auto m = roles_model();
  TensorMetadata meta;
  for (const Value* v : m->graph->inputs) meta.push_back({v->name(), v->type.dtype, v->type.shape});
  DataLoaderOptions o;
  o.val_ranges = {{"", {-100, 100}}};
  const NamedTensors d = DataLoader(meta, o, m->graph.get())[0];
  EXPECT_EQ(d[1].second.to_int64_vector(), (std::vector<int64_t>{-1, 1, 1}));
  for (int64_t v : d[2].second.to_int64_vector()) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 5);
  }
  // A range given for the input wins.
  o.val_ranges = {{"idx", {7, 7}}};
  EXPECT_EQ(DataLoader(meta, o, m->graph.get())[0][2].second.to_int64_vector()[0], 7);
}

std::shared_ptr<Model> identity_model() {
  auto m = std::make_shared<Model>();
  m->ir_version = 8;
  m->opset_imports = {{"", 18}};
  m->graph = std::make_shared<Graph>();
  Graph& g = *m->graph;
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("n"), 2}));
  Value* mid = g.add_value("mid");
  Value* y = g.add_value("y");
  g.inputs = {x};
  g.add_node("Identity", "", {x}, {mid}, "first");
  g.add_node("Identity", "", {mid}, {y}, "second");
  g.outputs = {y};
  return m;
}

TEST(Runner, RefRunnerRunsLazilyLoadedModels) {
  bool loaded = false;
  ModelFromMemory mem(*identity_model());
  ModelLoader loader = [&] {
    loaded = true;
    return mem();
  };
  RefRunner runner(loader);
  EXPECT_FALSE(loaded);                                                 // loaders do their work when called
  EXPECT_EQ(code_of([&] { runner.infer({}); }), ErrorCode::kBadInput);  // not active
  {
    RunnerActivation active(runner);
    EXPECT_TRUE(loaded);
    ASSERT_EQ(runner.input_metadata().size(), 1u);
    EXPECT_EQ(describe(runner.input_metadata()[0]), "x: float32[n,2]");
    EXPECT_EQ(runner.output_metadata()[0].name, "y");
    const Tensor x = Tensor::from_vector<float>({1, 2}, {3, 4});
    NamedTensors out = runner.infer({{"x", x}});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].second.bitwise_equal(x));
    EXPECT_GE(runner.last_inference_time(), 0.0);
    ASSERT_EQ(runner.topology().size(), 2u);
    EXPECT_EQ(runner.topology()[1].op_type, "Identity");
    runner.set_extra_outputs({"mid", "y"});
    out = runner.infer({{"x", x}});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[1].first, "mid");
    EXPECT_EQ(code_of([&] { runner.infer({{"nope", x}}); }), ErrorCode::kBadInput);
  }
  EXPECT_FALSE(runner.is_active());
}

TEST(Runner, BackendRegistry) {
  EXPECT_EQ(available_backends_list().rfind("ref", 0), 0u);
  const BackendSpec s = parse_backend_spec("cuda:fp16");
  EXPECT_EQ(s.name, "cuda");
  EXPECT_EQ(s.options, (std::vector<std::string>{"fp16"}));
  ModelFromMemory mem(*identity_model());
  EXPECT_EQ(make_runner("ref", mem)->name(), "ref");
  const std::string unknown = message_of([&] { make_runner("tensorrt", mem); });
  EXPECT_NE(unknown.find("unknown backend 'tensorrt' (available: ref"), std::string::npos) << unknown;
  EXPECT_NE(message_of([&] { make_runner("cuda:fp16", mem); }).find("not available"), std::string::npos);
  EXPECT_EQ(code_of([&] { make_runner("ref:fast", mem); }), ErrorCode::kBadInput);
  EXPECT_EQ(code_of([&] { make_runner("ref:", mem); }), ErrorCode::kBadInput);
  // A backend registered later plugs in by name.
  register_backend({.name = "test-echo",
                    .description = "test",
                    .unavailable_reason = [] { return std::string("no device"); },
                    .make = [](ModelLoader l, const BackendSpec& sp) -> std::unique_ptr<Runner> {
                      return std::make_unique<RefRunner>(std::move(l), sp.text);
                    }});
  EXPECT_NE(message_of([&] { make_runner("test-echo", mem); }).find("not available: no device"),
            std::string::npos);
  register_backend({.name = "test-echo",
                    .description = "test",
                    .unavailable_reason = [] { return std::string(); },
                    .make = [](ModelLoader l, const BackendSpec& sp) -> std::unique_ptr<Runner> {
                      return std::make_unique<RefRunner>(std::move(l), sp.text);
                    }});
  EXPECT_EQ(make_runner("test-echo", mem)->name(), "test-echo");
}

}  // namespace
}  // namespace onyx
