// Tactic timing on the cuda target (src/cuda/tactics.h, tactic_build.h): the builder times cuBLASLt algorithms and
// cuDNN engine configurations at the opt shapes, records the choice in the plan (shown by Engine::summary), reuses a
// timing cache file on a rebuild (no timing, identical tactics, the file untouched), ignores a damaged cache, and an
// engine whose recorded tactic is not offered any more falls back to the heuristic's first with a warning.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cuda/check.h"
#include "cuda/matmul.h"
#include "cuda/tactics.h"
#include "gpu_test_util.h"
#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx::cuda::test {
namespace {

namespace fs = std::filesystem;

// x float32[4, 16, 28, 28] → Conv 3x3 (32) + Relu → Conv 3x3 (32) + Relu → GlobalAveragePool → Flatten →
// MatMul [32, 256] + Relu → MatMul [256, 10]. Static shapes: the opt shape is the model's.
Model net() {
  Model m = new_model();
  Graph& g = *m.graph;
  g.name = "tactics";
  Value* x = add_input(g, "x", DType::kFloat32, Shape({4, 16, 28, 28}));
  Value *c1 = g.add_value("c1"), *r1 = g.add_value("r1"), *c2 = g.add_value("c2"), *r2 = g.add_value("r2");
  Value *gp = g.add_value("gp"), *f = g.add_value("f"), *m1 = g.add_value("m1"), *r3 = g.add_value("r3");
  Value* y = g.add_value("y");
  g.add_node("Conv", "",
             {x, add_weight(g, "W1", {32, 16, 3, 3}, 1, 0.2f), add_weight(g, "B1", {32}, 2, 0.2f)}, {c1},
             "conv1")
      ->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c1}, {r1}, "relu1");
  g.add_node("Conv", "", {r1, add_weight(g, "W2", {32, 32, 3, 3}, 3, 0.1f)}, {c2}, "conv2");
  g.add_node("Relu", "", {c2}, {r2}, "relu2");
  g.add_node("GlobalAveragePool", "", {r2}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {f}, "flatten");
  g.add_node("MatMul", "", {f, add_weight(g, "M1", {32, 256}, 4, 0.2f)}, {m1}, "fc1");
  g.add_node("Relu", "", {m1}, {r3}, "relu3");
  g.add_node("MatMul", "", {r3, add_weight(g, "M2", {256, 10}, 5, 0.2f)}, {y}, "fc2");
  g.outputs = {y};
  return m;
}

std::vector<float> ref_out(const std::vector<float>& x) {
  auto model = std::make_shared<Model>(parse_model(serialize_model(net()), "", "<test>"));
  prepare_model(*model);
  RefSession ref(model);
  NamedValues outs = ref.run({{"x", RunValue(Tensor::from_vector<float>({4, 16, 28, 28}, x))}});
  const Tensor& t = outs.at(0).second.tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

std::vector<float> cuda_out(const Engine& engine, const std::vector<float>& x, cudaStream_t stream) {
  auto ctx = engine.create_execution_context();
  DeviceBuffer dx(x.size() * 4);
  check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
  ctx->set_input_shape("x", {4, 16, 28, 28});
  ctx->set_tensor_address("x", dx.data(), x.size() * 4);
  ctx->enqueue(stream);
  const Tensor& y = ctx->output("y");
  return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string tactics_of(const Engine& e) {
  std::string s;
  for (const auto& t : e.summary().tactics) s += t.node + ": " + t.tactics + "\n";
  return s;
}

class Tactics : public CudaTest {};

TEST_F(Tactics, RebuildWithTheCacheDoesNoTimingAndPicksTheSameTactics) {
  const std::string cache = (fs::temp_directory_path() / ("onyx-tactics-" + std::to_string(::getpid()) + ".json")).string();
  fs::remove(cache);
  for (Precision p : {Precision::kFp32, Precision::kFp16}) {
    BuilderConfig c;
    c.target = Target::kCuda;
    c.precision = p;
    c.timing_cache_file = cache;
    auto t0 = std::chrono::steady_clock::now();
    const std::string plan1 = build_plan(net(), c);
    const double s1 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string file1 = read_all(cache);
    ASSERT_FALSE(file1.empty()) << "the first build writes the cache";
    t0 = std::chrono::steady_clock::now();
    const std::string plan2 = build_plan(net(), c);
    const double s2 = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(read_all(cache), file1) << "a build that timed nothing leaves the cache as it was";
    auto e1 = Engine::deserialize(plan1, "plan1");
    auto e2 = Engine::deserialize(plan2, "plan2");
    const std::string t1 = tactics_of(*e1);
    EXPECT_EQ(t1, tactics_of(*e2));
    // Every conv and matmul layer has a recorded tactic with a measured time, except channels-last convs (fp16
    // conv regions, docs/cuda.md), which keep cuDNN's heuristic choice for now.
    size_t nhwc_layers = 0;
    for (const auto& k : e1->summary().kernels)
      if (k.kernel.find("nhwc") != std::string::npos && k.op_type.find("Conv") != std::string::npos)
        nhwc_layers += k.count;  // channels-last convs (pools and pointwise layers of the region have no tactic)
    EXPECT_EQ(e1->summary().tactics.size(), 4u - nhwc_layers) << t1;
    EXPECT_NE(t1.find(" ms)"), std::string::npos) << t1;
    // "No timing" is checked above (the cache is untouched); on this small net timing costs little, so the
    // rebuild need only not be slower beyond noise (bench/NOTES.md has ResNet-50/BERT build times).
    EXPECT_LT(s2, s1 * 1.25 + 0.05) << "second build (cache) " << s2 << " s, first " << s1 << " s";
    std::printf("precision %d: build %.3f s with timing, %.3f s from the cache\n%s", static_cast<int>(p), s1, s2,
                t1.c_str());
    const auto x = random_floats(4 * 16 * 28 * 28, 77);
    const Tol tol = p == Precision::kFp32 ? Tol{1e-4, 1e-4} : Tol{2e-2, 2e-2};
    const auto want = ref_out(x);
    EXPECT_TRUE(all_close(cuda_out(*e1, x, stream()), want, tol));
    EXPECT_TRUE(all_close(cuda_out(*e2, x, stream()), want, tol));
  }
  fs::remove(cache);
}

TEST_F(Tactics, OptLevelZeroTimesNothingAndADamagedCacheIsRewritten) {
  BuilderConfig c;
  c.target = Target::kCuda;
  c.optimization_level = 0;
  auto e0 = Engine::deserialize(build_plan(net(), c), "opt0");
  EXPECT_TRUE(e0->summary().tactics.empty()) << tactics_of(*e0);

  const std::string cache = (fs::temp_directory_path() / ("onyx-tactics-bad-" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(cache, std::ios::binary) << "{\"format\": \"onyx-timing-cache\", \"version\": 1, \"entr";
  c.optimization_level = 3;
  c.timing_cache_file = cache;
  testing::internal::CaptureStderr();
  auto e = Engine::deserialize(build_plan(net(), c), "damaged-cache");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("ignored"), std::string::npos) << err;
  std::string warning;
  const TimingCache back = TimingCache::load(cache, &warning);
  EXPECT_TRUE(warning.empty()) << warning;
  EXPECT_GE(back.size(), 3u);  // 2 convs + 2 matmuls (the two matmuls may share nothing; at least 3 problems)
  const auto x = random_floats(4 * 16 * 28 * 28, 78);
  EXPECT_TRUE(all_close(cuda_out(*e, x, stream()), ref_out(x), Tol{1e-4, 1e-4}));
  fs::remove(cache);
}

TEST_F(Tactics, MatmulPlanTimesCandidatesAndFallsBackWhenAStoredTacticIsGone) {
  BlasLtHandle handle;
  MatmulDesc d;
  d.dtype = DType::kFloat16;
  d.m = 256;
  d.n = 512;
  d.k = 768;
  MatmulPlan plain(handle, d);  // no session: the heuristic's first
  ASSERT_GE(plain.num_algos(), 1);
  std::string timed_tactic;
  {
    TacticSession ts(TacticSession::Mode::kTime);
    ts.stream = stream();
    TacticScope scope(&ts);
    MatmulPlan timed(handle, d);
    ASSERT_EQ(ts.records.size(), 1u);
    EXPECT_EQ(ts.records[0].problem, timed.problem());
    EXPECT_EQ(ts.records[0].tactic, timed.tactic());
    EXPECT_GT(ts.records[0].ms, 0);
    EXPECT_GE(ts.records[0].candidates, std::min(plain.num_algos(), 2));
    timed_tactic = timed.tactic();
    // Candidates have distinct ids (a lookup at load must find the timed one, not the first).
    for (int i = 0; i < timed.num_algos(); ++i)
      for (int j = i + 1; j < timed.num_algos(); ++j) EXPECT_NE(timed.tactic_id(i), timed.tactic_id(j));
  }
  {
    TacticSession ts(TacticSession::Mode::kLookup);
    ts.chosen[plain.problem()] = timed_tactic;
    TacticScope scope(&ts);
    MatmulPlan loaded(handle, d);
    EXPECT_EQ(loaded.tactic(), timed_tactic);
  }
  {
    TacticSession ts(TacticSession::Mode::kLookup);
    ts.chosen[plain.problem()] = "a99999.gone";
    TacticScope scope(&ts);
    testing::internal::CaptureStderr();
    MatmulPlan fallback(handle, d);
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(fallback.tactic(), plain.tactic());
    EXPECT_NE(err.find("a99999.gone"), std::string::npos) << err;
    EXPECT_EQ(err.find('\n'), err.size() - 1) << "one line: " << err;
  }
}

}  // namespace
}  // namespace onyx::cuda::test
