// Builder, profiles, memory plan, ExecutionContext and the cpu backend.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"

namespace onyx {
namespace {

// y = Relu(x @ W) + x, x: float32[batch, 4] (dynamic batch); also z = Sigmoid(y) as a second output.
Model small_model() {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  m.graph = std::make_shared<Graph>();
  Graph& g = *m.graph;
  g.name = "small";
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(4)}));
  x->type.has_shape = true;
  g.inputs.push_back(x);
  Value* w = g.add_value("W");
  std::vector<float> wv(16);
  for (size_t i = 0; i < wv.size(); ++i) wv[i] = static_cast<float>(i % 5) * 0.25f - 0.5f;
  w->initializer = Tensor::from_vector<float>({4, 4}, wv);
  w->type = TypeInfo::tensor(DType::kFloat32, Shape({4, 4}));
  g.initializers.push_back(w);
  Value* mm = g.add_value("mm");
  Value* r = g.add_value("r");
  Value* y = g.add_value("y");
  Value* z = g.add_value("z");
  g.add_node("MatMul", "", {x, w}, {mm}, "matmul");
  g.add_node("Relu", "", {mm}, {r}, "relu");
  g.add_node("Add", "", {r, x}, {y}, "add");
  g.add_node("Sigmoid", "", {y}, {z}, "sigmoid");
  g.outputs = {y, z};
  return m;
}

Model reload(const Model& m) {
  return parse_model(serialize_model(m), "", "<test>");
}

std::vector<float> iota_input(int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) v[i] = (static_cast<float>(i % 13) - 6.0f) * scale;
  return v;
}

// These tests check the engine and its memory planner on the graph as written: no graph passes (they would fuse
// MatMul+Relu and change which tensors exist). The passes have their own tests (tests/passes).
BuilderConfig unoptimized() {
  BuilderConfig c;
  c.optimization_level = 0;
  return c;
}

BuilderConfig profile_config(int64_t min, int64_t opt, int64_t max) {
  BuilderConfig c = unoptimized();
  OptimizationProfile p;
  p.set_dimensions("x", {min, 4}, {opt, 4}, {max, 4});
  c.profiles.push_back(p);
  return c;
}

// The cpu kernels agree with the reference within float rounding, not bit for bit: they order sums differently
// (gemm slices, vectorized reductions) and use polynomial exp/erf (src/cpu/vec_math.h).
bool close_to(const Tensor& got, const Tensor& want, double rtol = 1e-5, double atol = 1e-6) {
  if (got.dims() != want.dims() || got.dtype() != want.dtype()) return false;
  const Tensor g = got.cast(DType::kFloat64), w = want.cast(DType::kFloat64);
  for (int64_t i = 0; i < g.numel(); ++i)
    if (!(std::abs(g.data<double>()[i] - w.data<double>()[i]) <= atol + rtol * std::abs(w.data<double>()[i])))
      return false;
  return true;
}

int error_code_of(const std::function<void()>& fn, std::string* what = nullptr) {
  try {
    fn();
  } catch (const Error& e) {
    if (what) *what = e.what();
    return e.exit_code();
  }
  return 0;
}

TEST(EngineProfile, ParsesCliSyntax) {
  auto [name, r] = parse_profile_arg("x:[1,3,224,224]:[8,3,224,224]:[16,3,224,224]");
  EXPECT_EQ(name, "x");
  EXPECT_EQ(r.min, (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ(r.opt, (std::vector<int64_t>{8, 3, 224, 224}));
  EXPECT_EQ(r.max, (std::vector<int64_t>{16, 3, 224, 224}));
  auto [n2, r2] = parse_profile_arg("ns:in:1x2:2x2:4x2");
  EXPECT_EQ(n2, "ns:in");
  EXPECT_EQ(r2.max, (std::vector<int64_t>{4, 2}));
  auto [n3, r3] = parse_profile_arg("s:[]:[]:[]");
  EXPECT_TRUE(r3.min.empty());
  for (const char* bad : {"x", "x:[1]:[2]", ":[1]:[1]:[1]", "x:[1,a]:[1]:[1]", "x:[-1]:[1]:[1]",
                          "x:[1,,2]:[1]:[1]", "x:[1]:[1]:"})
    EXPECT_EQ(error_code_of([&] { parse_profile_arg(bad); }), 2) << bad;
}

TEST(EngineProfile, RejectsContradictions) {
  std::string what;
  auto code = [&](const BuilderConfig& c) {
    return error_code_of([&] { build_plan(small_model(), c); }, &what);
  };
  EXPECT_EQ(code(profile_config(4, 2, 8)), 2);
  EXPECT_NE(what.find("min <= opt <= max"), std::string::npos) << what;
  BuilderConfig c = profile_config(1, 2, 8);
  c.profiles[0].set_dimensions("nope", {1}, {1}, {1});
  EXPECT_EQ(code(c), 2);
  EXPECT_NE(what.find("'nope' is not an input"), std::string::npos) << what;
  c = unoptimized();
  OptimizationProfile p;
  p.set_dimensions("x", {1, 5}, {1, 5}, {1, 5});  // dim 1 is fixed at 4 by the model
  c.profiles.push_back(p);
  EXPECT_EQ(code(c), 2);
  EXPECT_NE(what.find("fixed at 4"), std::string::npos) << what;
  c = unoptimized();
  p = OptimizationProfile{};
  p.set_dimensions("x", {1}, {1}, {1});
  c.profiles.push_back(p);
  EXPECT_EQ(code(c), 2);
  EXPECT_NE(what.find("rank"), std::string::npos) << what;
  // A second profile that forgets the dynamic input.
  c = profile_config(1, 2, 8);
  c.profiles.emplace_back();
  c.profiles.back().set_dimensions("W", {4, 4}, {4, 4}, {4, 4});
  EXPECT_EQ(code(c), 2);
  // Workspace too small.
  c = profile_config(1, 2, 8);
  c.workspace_limit = 64;
  EXPECT_EQ(code(c), 2);
  EXPECT_NE(what.find("workspace"), std::string::npos) << what;
  // Targets / precisions this build does not have.
  c = unoptimized();
  c.target = Target::kCuda;
  EXPECT_EQ(code(c), 3);
  c = unoptimized();
  c.precision = Precision::kFp16;
  EXPECT_EQ(code(c), 3);
}

TEST(EngineRun, MatchesReferenceBitForBitAndChecksShapes) {
  auto engine = build_engine(small_model(), profile_config(1, 2, 8));
  ASSERT_EQ(engine->num_profiles(), 1u);
  auto ctx = engine->create_execution_context();
  auto ref_model = std::make_shared<Model>(reload(small_model()));
  prepare_model(*ref_model);
  RefSession ref(ref_model);
  for (int64_t batch : {1, 3, 8}) {
    std::vector<float> x = iota_input(batch * 4, 0.3f);
    ctx->set_input_shape("x", {batch, 4});
    ctx->set_tensor_address("x", x.data(), x.size() * sizeof(float));
    std::vector<float> y(static_cast<size_t>(batch * 4), -1.0f);
    ctx->set_tensor_address("y", y.data(), y.size() * sizeof(float));
    ctx->execute();
    const Tensor xt = Tensor::from_vector<float>({batch, 4}, x);
    NamedValues expect = ref.run({{"x", RunValue(xt)}});
    ASSERT_TRUE(ctx->output("y").bitwise_equal(expect[0].second.tensor));
    EXPECT_EQ(ctx->output("y").raw_data(), y.data());  // written into the bound buffer
    EXPECT_TRUE(ctx->output("z").bitwise_equal(expect[1].second.tensor));
    std::vector<int64_t> dims;
    ASSERT_TRUE(ctx->tensor_shape("z", dims));
    EXPECT_EQ(dims, (std::vector<int64_t>{batch, 4}));
  }
  std::string what;
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {9, 4}); }, &what), 2);
  EXPECT_NE(what.find("outside profile 0"), std::string::npos) << what;
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {0, 4}); }), 2);
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {2, 5}); }), 2);
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {2}); }), 2);
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("y", {2, 4}); }), 2);
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("what", {2, 4}); }), 2);
  // Bound input of the wrong size; output buffer too small.
  std::vector<float> x = iota_input(8, 1.0f);
  ctx->set_input_shape("x", {2, 4});
  ctx->set_tensor_address("x", x.data(), 4 * sizeof(float));
  EXPECT_EQ(error_code_of([&] { ctx->execute(); }, &what), 2);
  ctx->set_tensor_address("x", x.data(), x.size() * sizeof(float));
  std::vector<float> small(2);
  ctx->set_tensor_address("y", small.data(), small.size() * sizeof(float));
  EXPECT_EQ(error_code_of([&] { ctx->execute(); }, &what), 2);
  EXPECT_NE(what.find("needs 32 bytes"), std::string::npos) << what;
  // Unbound output: kept by the context.
  ctx->set_tensor_address("y", nullptr, 0);
  ctx->execute();
  EXPECT_EQ(ctx->output("y").dims(), (std::vector<int64_t>{2, 4}));
  // No address for the input.
  auto ctx2 = engine->create_execution_context();
  ctx2->set_input_shape("x", {2, 4});
  EXPECT_EQ(error_code_of([&] { ctx2->execute(); }), 2);
  EXPECT_EQ(error_code_of([&] { ctx2->output("y"); }), 2);
}

TEST(EngineMemoryPlan, ArenaReusesSpaceAndSizesForMaxShapes) {
  auto engine = build_engine(small_model(), profile_config(1, 2, 64));
  const PlanSummary s = engine->summary();
  ASSERT_EQ(s.memory.size(), 1u);
  // mm, r, y, z: 64x4 float32 = 1024 bytes each. mm (MatMul), r (Relu) and y (Add) come from cpu kernels and
  // live in the arena; mm is dead once Relu ran, so y reuses its slot. z comes from a reference kernel.
  EXPECT_EQ(s.memory[0].planned_tensors, 3u);
  EXPECT_EQ(s.memory[0].planned_bytes, 3u * 1024u);
  EXPECT_EQ(s.memory[0].sum_tensor_bytes, 4u * 1024u);
  EXPECT_EQ(s.memory[0].arena_bytes, 2u * 1024u);
  EXPECT_EQ(engine->create_execution_context()->arena_bytes(), s.memory[0].arena_bytes);
  // Without profiles the dynamic values are not planned.
  auto dyn = build_engine(small_model(), unoptimized());
  EXPECT_EQ(dyn->summary().memory[0].planned_tensors, 0u);
  EXPECT_EQ(dyn->summary().memory[0].arena_bytes, 0u);
  EXPECT_EQ(dyn->summary().memory[0].dynamic_tensors, 4u);
  EXPECT_EQ(dyn->summary().num_native_nodes, 3u);
  // ... until a run gives the input shapes: then they are planned for those shapes, with the same reuse (the
  // loaded plan's graph has no types for intermediate values: the plan infers them).
  auto ctx = dyn->create_execution_context();
  EXPECT_EQ(ctx->arena_bytes(), 0u);
  std::vector<float> x = iota_input(64 * 4, 0.1f);
  ctx->set_input_shape("x", {64, 4});
  ctx->set_tensor_address("x", x.data(), x.size() * sizeof(float));
  ctx->execute();
  EXPECT_EQ(ctx->arena_bytes(), 2u * 1024u);
}

// f = Identity(Relu(x)) is a view of the Relu output's arena slot; z = x - x (a cpu kernel) then reuses that
// slot. The engine must have copied f out before.
TEST(EngineMemoryPlan, ViewsOfArenaTensorsSurviveSlotReuse) {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  m.graph = std::make_shared<Graph>();
  Graph& g = *m.graph;
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({2, 4}));
  x->type.has_shape = true;
  g.inputs.push_back(x);
  Value* r = g.add_value("r");
  Value* f = g.add_value("f");
  Value* z = g.add_value("z");
  g.add_node("Relu", "", {x}, {r}, "relu");
  g.add_node("Identity", "", {r}, {f}, "view");
  g.add_node("Sub", "", {x, x}, {z}, "zero");
  g.outputs = {f, z};
  auto engine = build_engine(std::move(m), unoptimized());
  EXPECT_EQ(engine->summary().memory[0].arena_bytes, 64u);  // r and z share one slot
  auto ctx = engine->create_execution_context();
  std::vector<float> xv = {1, -2, 3, -4, 5, -6, 7, -8};
  ctx->set_tensor_address("x", xv.data(), xv.size() * sizeof(float));
  ctx->execute();
  const std::vector<float> expect = {1, 0, 3, 0, 5, 0, 7, 0};
  EXPECT_EQ(std::vector<float>(ctx->output("f").span<float>().begin(), ctx->output("f").span<float>().end()),
            expect);
  for (float v : ctx->output("z").span<float>()) EXPECT_EQ(v, 0.0f);
}

TEST(EngineRun, ProfilesAreSelectedPerContext) {
  BuilderConfig c = profile_config(1, 1, 2);
  OptimizationProfile big;
  big.set_dimensions("x", {16, 4}, {32, 4}, {64, 4});
  c.profiles.push_back(big);
  auto engine = build_engine(small_model(), c);
  ASSERT_EQ(engine->num_profiles(), 2u);
  auto ctx = engine->create_execution_context();
  const size_t small_arena = ctx->arena_bytes();
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {32, 4}); }), 2);  // outside profile 0
  ctx->set_profile(1);
  EXPECT_GT(ctx->arena_bytes(), small_arena);
  std::vector<float> x = iota_input(32 * 4, 0.1f);
  ctx->set_input_shape("x", {32, 4});
  ctx->set_tensor_address("x", x.data(), x.size() * sizeof(float));
  ctx->execute();
  EXPECT_EQ(ctx->output("y").dims(), (std::vector<int64_t>{32, 4}));
  EXPECT_EQ(error_code_of([&] { ctx->set_input_shape("x", {2, 4}); }), 2);  // outside profile 1
  EXPECT_EQ(error_code_of([&] { ctx->set_profile(2); }), 2);
}

TEST(EngineRun, SeveralContextsInThreadsGiveIdenticalResults) {
  const std::string path = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";
  BuilderConfig c;
  OptimizationProfile p;
  p.set_dimensions("image", {1, 3, 32, 32}, {2, 3, 32, 32}, {4, 3, 32, 32});
  c.profiles.push_back(p);
  auto engine = build_engine(load_model(path), c);
  std::vector<float> x = iota_input(4 * 3 * 32 * 32, 0.05f);
  auto run_once = [&] {
    auto ctx = engine->create_execution_context();
    ctx->set_input_shape("image", {4, 3, 32, 32});
    ctx->set_tensor_address("image", x.data(), x.size() * sizeof(float));
    ctx->execute();
    return ctx->output("probabilities").clone();
  };
  const Tensor expect = run_once();
  auto ref_model = std::make_shared<Model>(load_model(path));
  prepare_model(*ref_model);
  NamedValues ref =
      RefSession(ref_model).run({{"image", RunValue(Tensor::from_vector<float>({4, 3, 32, 32}, x))}});
  EXPECT_TRUE(close_to(expect, ref[0].second.tensor));
  std::vector<Tensor> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) got[t] = run_once();
    });
  for (auto& th : threads) th.join();
  for (const Tensor& g : got) EXPECT_TRUE(g.bitwise_equal(expect));
}

TEST(EngineBackend, CpuRunnerIsRegisteredAndMatchesRef) {
  const std::string path = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";
  auto cpu = make_runner("cpu", ModelFromOnnxPath(path));
  auto ref = make_runner("ref", ModelFromOnnxPath(path));
  RunnerActivation a(*cpu), b(*ref);
  ASSERT_EQ(cpu->input_metadata().size(), 1u);
  Tensor x = Tensor::from_vector<float>({2, 3, 32, 32}, iota_input(2 * 3 * 32 * 32, 0.1f));
  NamedTensors out_cpu = cpu->infer({{"image", x}});
  NamedTensors out_ref = ref->infer({{"image", x}});
  ASSERT_EQ(out_cpu.size(), 1u);
  EXPECT_TRUE(close_to(out_cpu[0].second, out_ref[0].second));
  EXPECT_EQ(error_code_of([&] { make_runner("cpu:fast", ModelFromOnnxPath(path)); }), 2);
}

}  // namespace
}  // namespace onyx
