// The cuda engine target end to end: build → plan → load → enqueue, against the reference backend; fp16/bf16
// tolerances; enqueue without synchronizing; two contexts on two streams; bad addresses; plan architecture checks;
// CUDA graphs; caller-provided arena; per-layer precision.
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cuda/check.h"
#include "cuda/layer.h"
#include "gpu_test_util.h"
#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"
#include "onyx/runner.h"
#include "engine/damaged_plan.h"

namespace onyx::cuda::test {
namespace {

Value* ints(Graph& g, const std::string& name, std::vector<int64_t> vals) {
  Value* v = g.add_value(name);
  v->initializer = Tensor::from_vector<int64_t>({static_cast<int64_t>(vals.size())}, vals);
  v->type = TypeInfo::tensor(DType::kInt64, Shape({static_cast<int64_t>(vals.size())}));
  g.initializers.push_back(v);
  return v;
}

// y = Relu(x @ W) + x; z = Sigmoid(y). x: float32[batch, 4].
Model mlp() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("batch"), Dim(4)}));
  Value* w = add_weight(g, "W", {4, 4}, 1);
  Value *mm = g.add_value("mm"), *r = g.add_value("r"), *y = g.add_value("y"), *z = g.add_value("z");
  g.add_node("MatMul", "", {x, w}, {mm}, "matmul");
  g.add_node("Relu", "", {mm}, {r}, "relu");
  g.add_node("Add", "", {r, x}, {y}, "add");
  g.add_node("Sigmoid", "", {y}, {z}, "sigmoid");
  g.outputs = {y, z};
  return m;
}

// A convnet: Conv(pads 1)+Relu → MaxPool 2 → BatchNorm → GlobalAveragePool → Flatten → Gemm → Softmax.
Model convnet() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(3), Dim(8), Dim(8)}));
  Value* w = add_weight(g, "W", {6, 3, 3, 3}, 2);
  Value* b = add_weight(g, "B", {6}, 3);
  Value *c = g.add_value("c"), *r = g.add_value("r"), *p = g.add_value("p"), *bn = g.add_value("bn");
  Value *gp = g.add_value("gp"), *f = g.add_value("f"), *lin = g.add_value("lin"), *y = g.add_value("y");
  Node* conv = g.add_node("Conv", "", {x, w, b}, {c}, "conv");
  conv->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c}, {r}, "relu");
  Node* mp = g.add_node("MaxPool", "", {r}, {p}, "pool");
  mp->set_attr(attr_ints("kernel_shape", {2, 2}));
  mp->set_attr(attr_ints("strides", {2, 2}));
  Value* scale = add_weight(g, "bn_s", {6}, 4);
  Value* bias = add_weight(g, "bn_b", {6}, 5);
  Value* mean = add_weight(g, "bn_m", {6}, 6);
  Value* var = g.add_value("bn_v");
  var->initializer = Tensor::from_vector<float>({6}, {0.5f, 1.f, 1.5f, 2.f, 0.7f, 1.2f});
  var->type = TypeInfo::tensor(DType::kFloat32, Shape({6}));
  g.initializers.push_back(var);
  g.add_node("BatchNormalization", "", {p, scale, bias, mean, var}, {bn}, "bn");
  g.add_node("GlobalAveragePool", "", {bn}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {f}, "flatten");
  Value* fw = add_weight(g, "FW", {5, 6}, 7);
  Value* fb = add_weight(g, "FB", {5}, 8);
  Node* gemm = g.add_node("Gemm", "", {f, fw, fb}, {lin}, "fc");
  gemm->set_attr(attr_int("transB", 1));
  g.add_node("Softmax", "", {lin}, {y}, "softmax");
  g.outputs = {y};
  return m;
}

// Attention-shaped: LayerNorm → MatMul → Reshape to [B, S, 2, 4] with a shape computed from Shape(x) on the host →
// Transpose → scores = q·qT → Softmax → ·q → Transpose back → ReduceMean over the last axis.
Model attention_like() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("B"), Dim::symbol("S"), Dim(8)}));
  Value* ls = add_weight(g, "ln_s", {8}, 9);
  Value* lb = add_weight(g, "ln_b", {8}, 10);
  Value* w = add_weight(g, "Wq", {8, 8}, 11);
  Value *ln = g.add_value("ln"), *q = g.add_value("q"), *shp = g.add_value("shp"), *bs = g.add_value("bs");
  Value *tgt = g.add_value("tgt"), *q4 = g.add_value("q4"), *qt = g.add_value("qt"), *qtt = g.add_value("qtt");
  Value *sc = g.add_value("sc"), *pr = g.add_value("pr"), *o = g.add_value("o"), *ot = g.add_value("ot");
  Value* y = g.add_value("y");
  g.add_node("LayerNormalization", "", {x, ls, lb}, {ln}, "ln");
  g.add_node("MatMul", "", {ln, w}, {q}, "proj");
  g.add_node("Shape", "", {x}, {shp}, "shape");
  Node* sl = g.add_node("Slice", "", {shp, ints(g, "s0", {0}), ints(g, "s1", {2})}, {bs}, "bs");
  (void)sl;
  Node* cat = g.add_node("Concat", "", {bs, ints(g, "heads", {2, 4})}, {tgt}, "tgt");
  cat->set_attr(attr_int("axis", 0));
  g.add_node("Reshape", "", {q, tgt}, {q4}, "reshape");
  g.add_node("Transpose", "", {q4}, {qt}, "t1")->set_attr(attr_ints("perm", {0, 2, 1, 3}));
  g.add_node("Transpose", "", {qt}, {qtt}, "t2")->set_attr(attr_ints("perm", {0, 1, 3, 2}));
  g.add_node("MatMul", "", {qt, qtt}, {sc}, "scores");
  g.add_node("Softmax", "", {sc}, {pr}, "softmax");
  g.add_node("MatMul", "", {pr, qt}, {o}, "ctx");
  g.add_node("Transpose", "", {o}, {ot}, "t3")->set_attr(attr_ints("perm", {0, 2, 1, 3}));
  Node* rm = g.add_node("ReduceMean", "", {ot}, {y}, "mean");
  rm->set_attr(attr_ints("axes", {-1}));
  rm->set_attr(attr_int("keepdims", 0));
  g.outputs = {y};
  return m;
}

Model reload(const Model& m) {
  return parse_model(serialize_model(m), "", "<test>");
}

std::vector<float> ref_run(const Model& m, const std::string& in, const std::vector<int64_t>& dims,
                           const std::vector<float>& x, size_t out = 0) {
  auto model = std::make_shared<Model>(reload(m));
  prepare_model(*model);
  RefSession ref(model);
  NamedValues outs = ref.run({{in, RunValue(Tensor::from_vector<float>(dims, x))}});
  const Tensor& t = outs.at(out).second.tensor;
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

// Runs a context once on device memory and returns output `out` (float32).
std::vector<float> cuda_run(ExecutionContext& ctx, const std::string& in, const std::vector<int64_t>& dims,
                            const std::vector<float>& x, const std::string& out, cudaStream_t stream) {
  DeviceBuffer dx(std::max<size_t>(x.size() * 4, 256));
  check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
  ctx.set_input_shape(in, dims);
  ctx.set_tensor_address(in, dx.data(), x.size() * 4);
  ctx.enqueue(stream);
  const Tensor& y = ctx.output(out);
  return std::vector<float>(y.data<float>(), y.data<float>() + y.numel());
}

BuilderConfig cuda_config(Precision p = Precision::kFp32, int opt_level = 3) {
  BuilderConfig c;
  c.target = Target::kCuda;
  c.precision = p;
  c.optimization_level = opt_level;
  return c;
}

class CudaEngine : public CudaTest {};

TEST_F(CudaEngine, MlpMatchesReferenceAcrossBatchesAndPrecisions) {
  for (int opt : {0, 3}) {
    for (Precision p : {Precision::kFp32, Precision::kTf32, Precision::kFp16, Precision::kBf16}) {
      auto engine = build_engine(mlp(), cuda_config(p, opt));
      auto ctx = engine->create_execution_context();
      const Tol tol = p == Precision::kFp32 ? Tol{1e-5f, 1e-5f}
                      : p == Precision::kTf32 ? Tol{5e-3f, 5e-3f}
                      : p == Precision::kFp16 ? Tol{1e-2f, 1e-2f}
                                              : Tol{4e-2f, 4e-2f};
      for (int64_t batch : {1, 3, 8, 2}) {
        const std::vector<float> x = random_floats(static_cast<size_t>(batch * 4), static_cast<uint32_t>(batch));
        for (const char* out : {"y", "z"}) {
          const auto got = cuda_run(*ctx, "x", {batch, 4}, x, out, stream());
          const auto want = ref_run(mlp(), "x", {batch, 4}, x, std::string(out) == "y" ? 0 : 1);
          EXPECT_TRUE(all_close(got, want, tol)) << "opt " << opt << " precision " << static_cast<int>(p)
                                                 << " batch " << batch << " output " << out;
        }
      }
    }
  }
}

TEST_F(CudaEngine, ConvnetAndAttentionMatchReference) {
  for (Precision p : {Precision::kFp32, Precision::kFp16}) {
    const Tol tol = p == Precision::kFp32 ? Tol{1e-4f, 1e-5f} : Tol{2e-2f, 2e-2f};
    {
      auto engine = build_engine(convnet(), cuda_config(p));
      auto ctx = engine->create_execution_context();
      for (int64_t n : {1, 2}) {
        const auto x = random_floats(static_cast<size_t>(n * 3 * 64), 40 + static_cast<uint32_t>(n));
        EXPECT_TRUE(all_close(cuda_run(*ctx, "x", {n, 3, 8, 8}, x, "y", stream()),
                              ref_run(convnet(), "x", {n, 3, 8, 8}, x), tol))
            << "convnet n=" << n << " precision " << static_cast<int>(p);
      }
    }
    {
      auto engine = build_engine(attention_like(), cuda_config(p));
      auto ctx = engine->create_execution_context();
      for (auto dims : {std::vector<int64_t>{1, 3, 8}, std::vector<int64_t>{2, 5, 8}}) {
        const auto x = random_floats(static_cast<size_t>(dims[0] * dims[1] * 8), 50 + static_cast<uint32_t>(dims[1]));
        EXPECT_TRUE(all_close(cuda_run(*ctx, "x", dims, x, "y", stream()), ref_run(attention_like(), "x", dims, x),
                              tol))
            << "attention " << dims[0] << "x" << dims[1] << " precision " << static_cast<int>(p);
      }
    }
  }
}

TEST_F(CudaEngine, PlanRoundTripShowsKernelsAndPrecisionsAndLayerOverride) {
  BuilderConfig c = cuda_config(Precision::kFp16, 0);
  c.layer_precisions = {{"relu", Precision::kFp32}};
  const std::string plan = build_plan(mlp(), c);
  auto engine = Engine::deserialize(plan, "mlp.plan");
  const PlanSummary s = engine->summary();
  EXPECT_EQ(s.target, Target::kCuda);
  EXPECT_EQ(s.gpu_arch, static_cast<uint32_t>(current_device_limits().sm_major * 10 + current_device_limits().sm_minor));
  bool relu_fp32 = false, matmul_fp16 = false;
  for (const auto& k : s.kernels) {
    if (k.op_type == "Relu" && k.kernel.find("[fp32]") != std::string::npos) relu_fp32 = true;
    if (k.op_type == "MatMul" && k.kernel == "cuda.matmul.cublaslt [fp16]") matmul_fp16 = true;
  }
  EXPECT_TRUE(relu_fp32);
  EXPECT_TRUE(matmul_fp16);
  // The override still computes the right thing (the engine casts between the layers' dtypes).
  auto ctx = engine->create_execution_context();
  const auto x = random_floats(12, 77);
  EXPECT_TRUE(all_close(cuda_run(*ctx, "x", {3, 4}, x, "z", stream()), ref_run(mlp(), "x", {3, 4}, x, 1),
                        Tol{1e-2f, 1e-2f}));
  // An override naming no node is a clear error.
  c.layer_precisions = {{"nope", Precision::kFp32}};
  try {
    build_plan(mlp(), c);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

// Same CRC-32 as the plan checksum (zlib's polynomial), to forge headers.
uint32_t crc32_of(const char* p, size_t n, uint32_t c) {
  c = ~c;
  for (size_t i = 0; i < n; ++i) {
    c ^= static_cast<uint8_t>(p[i]);
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

TEST_F(CudaEngine, PlanForAnotherArchitectureIsRefusedInOneLine) {
  std::string plan = build_plan(mlp(), cuda_config());
  plan[36] = 80;  // sm_80
  uint32_t c = crc32_of(plan.data(), 56, 0);
  c = crc32_of(plan.data() + 64, plan.size() - 64, c);
  for (int i = 0; i < 8; ++i) plan[56 + i] = static_cast<char>(i < 4 ? (c >> (8 * i)) & 0xff : 0);
  try {
    Engine::deserialize(plan, "mlp.plan");
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(what.find("sm_80"), std::string::npos) << what;
    EXPECT_NE(what.find("rebuild"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

// ---- hostile cuda plans (issue #8): the fuzz_plan target runs without CUDA, so the cuda part of a plan (its
// layer table, precisions, channels-last list, tactics and host inputs, checked only where a device exists)
// is fuzzed here, structure-aware: each trial rewrites one to three JSON values of the plan metadata or of
// its cuda metadata (type changes, boundary numbers, other layers' names, removed keys and elements, swaps),
// writes the plan again with a valid checksum (what a hostile author would do), loads it and runs whatever
// loads. Every failure must be one onyx::Error line; afterwards the device must still compute a clean plan
// correctly (a mutation that made a kernel write out of bounds would leave a sticky CUDA error or wrong
// results).

using Json = nlohmann::json;
using onyx::test::collect_strings;
using onyx::test::mutate_json;

TEST_F(CudaEngine, MutatedMetadataBehindAValidChecksumNeverCrash) {
  struct Subject {
    const char* name;
    Model (*model)();
    Precision precision;
    std::vector<int64_t> dims;
  };
  const Subject subjects[] = {{"mlp", mlp, Precision::kFp16, {2, 4}},
                              {"convnet", convnet, Precision::kFp16, {2, 3, 8, 8}},
                              {"attention", attention_like, Precision::kFp32, {2, 5, 8}}};
  // Trials per model (ONYX_TEST_MUTATION_TRIALS, default 5000): each model's mutations come from its own seed,
  // so a trial is the same in every run (under compute-sanitizer too) and a finding names its mutations.
  const int trials_per_model = onyx::test::mutation_trials(5000);
  const uint32_t seed = onyx::test::mutation_seed(8);
  std::map<int, int> by_code;
  std::map<int, std::vector<std::string>> examples;
  int trials = 0, loaded = 0, ran = 0;
  for (size_t si = 0; si < std::size(subjects); ++si) {
    const Subject& sub = subjects[si];
    SCOPED_TRACE(sub.name);
    std::mt19937 rng(seed + static_cast<uint32_t>(si));
    const std::string plan = build_plan(sub.model(), cuda_config(sub.precision));
    const onyx::test::EditablePlan edit(plan, Target::kCuda);
    const Json& meta = edit.meta;
    ASSERT_TRUE(meta.contains("cuda"));
    const Json cuda_meta = Json::parse(meta.at("cuda").get<std::string>());
    std::vector<std::string> strings = {"", "x", "fp16", "fp32", "bf16", "int8"};
    collect_strings(meta, strings);
    collect_strings(cuda_meta, strings);
    size_t elems = 1;
    for (int64_t d : sub.dims) elems *= static_cast<size_t>(d);
    const std::vector<float> x = random_floats(elems, 3);
    for (int trial = 0; trial < trials_per_model; ++trial) {
      Json m = meta, c = cuda_meta;
      std::string what;
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int k = 0; k < n; ++k) {
        const bool in_cuda = rng() % 3 != 0;
        what += std::string(in_cuda ? "  cuda" : "  meta") + mutate_json(in_cuda ? c : m, rng, strings) + "\n";
      }
      if (m.contains("cuda") && m["cuda"].is_string()) m["cuda"] = c.dump();
      const std::string bad = edit.with_meta(m);
      ++trials;
      try {
        auto engine = Engine::deserialize(bad, "p.plan");
        ++loaded;
        auto ctx = engine->create_execution_context();
        (void)cuda_run(*ctx, "x", sub.dims, x, "y", stream());
        ++ran;
      } catch (const Error& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        EXPECT_EQ(e.code(), ErrorCode::kBadInput) << "trial " << trial << ": " << msg << "\n" << what;
        ++by_code[e.exit_code()];
        if (examples[e.exit_code()].size() < 3) examples[e.exit_code()].push_back(msg.substr(0, 160));
      }
      const cudaError_t err = cudaStreamSynchronize(stream());
      ASSERT_EQ(err, cudaSuccess) << "trial " << trial << ": " << cudaGetErrorString(err) << "; mutations:\n" << what;
    }
  }
  std::cout << "[ mutation ] " << trials << " cuda plans: " << loaded << " loaded, " << ran << " ran";
  for (const auto& [code, count] : by_code) std::cout << ", " << count << " refused with exit code " << code;
  std::cout << "\n";
  for (const auto& [code, list] : examples)
    for (const std::string& e : list) std::cout << "    [" << code << "] " << e << "\n";
  EXPECT_GE(trials, 30);
  EXPECT_GT(by_code[2], 0);  // most mutations are refused as damaged plans
  EXPECT_GT(ran, 0);
  // The device still computes a clean plan correctly.
  auto engine = build_engine(convnet(), cuda_config());
  auto ctx = engine->create_execution_context();
  const auto x = random_floats(2 * 192, 41);
  EXPECT_TRUE(all_close(cuda_run(*ctx, "x", {2, 3, 8, 8}, x, "y", stream()),
                        ref_run(convnet(), "x", {2, 3, 8, 8}, x), Tol{1e-4f, 1e-5f}));
}

TEST_F(CudaEngine, WeightDimsThatDisagreeWithTheModelAreRefused) {
  // The mutation test's one finding (compute-sanitizer memcheck, 2026-11-26): a fp16 plan whose weight table gave
  // the Gemm weight FW [5,6] the dims [10,3] (same bytes) loaded; the Gemm layer took n = 10 from the table and
  // read past the 60-byte weight. The table must now agree with the model, and the layer checks k itself.
  const std::string plan = build_plan(convnet(), cuda_config(Precision::kFp16));
  const onyx::test::EditablePlan edit(plan, Target::kCuda);
  Json meta = edit.meta;
  bool found = false;
  for (Json& w : meta.at("weights"))
    if (w.at(0) == "FW") {
      ASSERT_EQ(w.at(2), Json::array({5, 6}));
      w.at(2) = Json::array({10, 3});
      found = true;
    }
  ASSERT_TRUE(found);
  try {
    Engine::deserialize(edit.with_meta(meta), "p.plan");
    ADD_FAILURE() << "loaded";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_STREQ(e.what(), "p.plan: damaged plan (weight 'FW' has dims [10,3], the model declares [5,6])");
  }
}

TEST_F(CudaEngine, EnqueueDoesNotSynchronize) {
  auto engine = build_engine(mlp(), cuda_config());
  auto ctx = engine->create_execution_context();
  const auto x = random_floats(32, 5);
  // First run resolves shapes (allowed to wait).
  const auto want = cuda_run(*ctx, "x", {8, 4}, x, "y", stream());
  // Block the stream with a host function until the test says go: an enqueue that synchronized would time out.
  static std::atomic<bool> go;
  static std::atomic<bool> released_by_test;
  go = false;
  released_by_test = false;
  cudaLaunchHostFunc(
      stream(),
      [](void*) {
        const auto start = std::chrono::steady_clock::now();
        while (!go && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) std::this_thread::yield();
        released_by_test = go.load();
      },
      nullptr);
  DeviceBuffer dx(256);
  check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
  ctx->set_tensor_address("x", dx.data(), x.size() * 4);
  ctx->enqueue(stream());
  go = true;
  sync();
  EXPECT_TRUE(released_by_test) << "enqueue waited for the stream";
  const Tensor& y = ctx->output("y");
  EXPECT_TRUE(all_close(std::vector<float>(y.data<float>(), y.data<float>() + y.numel()), want, Tol{0, 0}));
}

TEST_F(CudaEngine, TwoContextsOnTwoStreamsConcurrently) {
  auto engine = build_engine(convnet(), cuda_config());
  std::vector<std::vector<float>> got(2), want(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      Stream s;
      auto ctx = engine->create_execution_context();
      const int64_t n = 1 + t;
      const auto x = random_floats(static_cast<size_t>(n * 192), 90 + static_cast<uint32_t>(t));
      for (int i = 0; i < 5; ++i) got[t] = cuda_run(*ctx, "x", {n, 3, 8, 8}, x, "y", s.get());
      want[t] = ref_run(convnet(), "x", {n, 3, 8, 8}, x);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 2; ++t) EXPECT_TRUE(all_close(got[t], want[t], Tol{1e-4f, 1e-5f})) << "context " << t;
}

TEST_F(CudaEngine, BadAddressesAreClearErrorsAndTheContextStaysUsable) {
  auto engine = build_engine(mlp(), cuda_config());
  auto ctx = engine->create_execution_context();
  std::vector<float> host(8);
  auto code = [&](void* p, size_t bytes) {
    try {
      ctx->set_tensor_address("x", p, bytes);
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      return e.exit_code();
    }
    return 0;
  };
  EXPECT_EQ(code(host.data(), 32), 2);
  DeviceBuffer d(512);
  EXPECT_EQ(code(static_cast<char*>(d.data()) + 4, 32), 2);
  // Unbound input → clear error on enqueue.
  ctx->set_input_shape("x", {2, 4});
  ctx->set_tensor_address("x", nullptr, 0);
  EXPECT_THROW(ctx->enqueue(stream()), Error);
  // Wrong byte count.
  ctx->set_tensor_address("x", d.data(), 12);
  EXPECT_THROW(ctx->enqueue(stream()), Error);
  // The context still runs correctly.
  const auto x = random_floats(8, 3);
  EXPECT_TRUE(all_close(cuda_run(*ctx, "x", {2, 4}, x, "y", stream()), ref_run(mlp(), "x", {2, 4}, x),
                        Tol{1e-5f, 1e-5f}));
}

TEST_F(CudaEngine, CudaGraphAndCallerArenaAndBoundOutputs) {
  OptimizationProfile p;
  p.set_dimensions("x", {1, 3, 8, 8}, {2, 3, 8, 8}, {4, 3, 8, 8});
  BuilderConfig c = cuda_config();
  c.profiles.push_back(p);
  auto engine = build_engine(convnet(), c);
  auto ctx = engine->create_execution_context();
  ASSERT_GT(ctx->arena_bytes(), 0u);
  DeviceBuffer arena(ctx->arena_bytes() + 256);
  ctx->set_device_memory(arena.data(), arena.size());
  ctx->set_cuda_graph(true);
  const auto x = random_floats(2 * 192, 11);
  const auto want = ref_run(convnet(), "x", {2, 3, 8, 8}, x);
  DeviceBuffer dx(x.size() * 4), dy(2 * 5 * 4);
  check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
  ctx->set_input_shape("x", {2, 3, 8, 8});
  ctx->set_tensor_address("x", dx.data(), x.size() * 4);
  ctx->set_tensor_address("y", dy.data(), dy.size());
  for (int i = 0; i < 3; ++i) {
    check_cuda(cudaMemsetAsync(dy.data(), 0, dy.size(), stream()), "memset");
    ctx->enqueue(stream());
    sync();
    std::vector<float> got(10);
    check_cuda(cudaMemcpy(got.data(), dy.data(), 40, cudaMemcpyDeviceToHost), "download");
    EXPECT_TRUE(all_close(got, want, Tol{1e-4f, 1e-5f})) << "replay " << i;
  }
  // Outside the profile: clear error, context usable.
  EXPECT_THROW(ctx->set_input_shape("x", {5, 3, 8, 8}), Error);
  // Too small an arena.
  EXPECT_THROW(ctx->set_device_memory(arena.data(), 64), Error);
}

TEST_F(CudaEngine, RunnerBackendRunsAndReportsUnsupportedOps) {
  ModelLoader loader = [] { return std::make_shared<Model>(reload(mlp())); };
  for (const char* spec : {"cuda", "cuda:fp16", "cuda:bf16", "cuda:tf32", "cuda:graph"}) {
    auto r = make_runner(spec, loader);
    r->activate();
    const auto x = random_floats(8, 21);
    NamedTensors out = r->infer({{"x", Tensor::from_vector<float>({2, 4}, x)}});
    ASSERT_EQ(out.size(), 2u);
    const Tensor& y = out[0].second;
    const float tol = std::string(spec) == "cuda" || std::string(spec) == "cuda:graph" ? 1e-5f : 4e-2f;
    EXPECT_TRUE(all_close(std::vector<float>(y.data<float>(), y.data<float>() + y.numel()),
                          ref_run(mlp(), "x", {2, 4}, x), Tol{tol, tol}))
        << spec;
    r->deactivate();
  }
  // NonZero has a data-dependent output shape: unsupported, naming the node.
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({4}));
  Value* y = g.add_value("y");
  g.add_node("NonZero", "", {x}, {y}, "nz");
  g.outputs = {y};
  try {
    build_plan(std::move(m), cuda_config());
    ADD_FAILURE() << "built";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("nz"), std::string::npos) << e.what();
  }
}

TEST(CudaLayers, RegistryCoversTheModelOpsOnce) {
  const std::vector<std::string> all = registered_layers();  // throws if a key was registered twice
  for (const char* k : {":Conv", "onyx:FusedConv", ":MatMul", ":Gemm", "onyx:FusedMatMul", "onyx:Attention",
                        "onyx:FusedElementwise", ":Softmax", ":LayerNormalization", "onyx:LayerNormalization",
                        "onyx:Gelu", ":MaxPool", ":GlobalAveragePool", ":BatchNormalization", ":Reshape",
                        ":Transpose", ":Concat", ":Slice", ":Split", ":Gather", ":Cast", ":Expand", ":Where",
                        ":ReduceMean", ":Erf", ":Pow", ":Sqrt", ":Div"})
    EXPECT_NE(std::find(all.begin(), all.end(), k), all.end()) << k;
  EXPECT_EQ(find_layer("", "NonZero"), nullptr);
}

TEST_F(CudaEngine, ShapeTensorInputsAreBoundWithHostMemory) {
  // y = Reshape(x, shape) * 2 with `shape` an engine input: it becomes a shape tensor read on the host.
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim(2), Dim(6)}));
  Value* shape = add_input(g, "shape", DType::kInt64, Shape({Dim(3)}));
  Value* two = g.add_value("two");
  two->initializer = Tensor::scalar<float>(2.f);
  two->type = TypeInfo::tensor(DType::kFloat32, Shape::from_dims({}));
  g.initializers.push_back(two);
  Value *r = g.add_value("r"), *y = g.add_value("y");
  g.add_node("Reshape", "", {x, shape}, {r}, "reshape");
  g.add_node("Mul", "", {r, two}, {y}, "mul");
  g.outputs = {y};
  auto engine = build_engine(std::move(m), cuda_config(Precision::kFp32, 0));
  const IoTensor* st = engine->find_io_tensor("shape");
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->host_memory);
  EXPECT_FALSE(engine->find_io_tensor("x")->host_memory);
  auto ctx = engine->create_execution_context();
  const auto xv = random_floats(12, 8);
  DeviceBuffer dx(48);
  check_cuda(cudaMemcpy(dx.data(), xv.data(), 48, cudaMemcpyHostToDevice), "upload");
  ctx->set_input_shape("x", {2, 6});
  ctx->set_tensor_address("x", dx.data(), 48);
  ctx->set_input_shape("shape", {3});
  // A device address for a shape tensor is refused.
  EXPECT_THROW(ctx->set_tensor_address("shape", dx.data(), 24), Error);
  for (auto dims : {std::vector<int64_t>{3, 2, 2}, std::vector<int64_t>{1, -1, 4}}) {
    ctx->set_tensor_address("shape", dims.data(), 24);
    ctx->enqueue(stream());
    std::vector<int64_t> out;
    ASSERT_TRUE(ctx->tensor_shape("y", out));
    EXPECT_EQ(out, (dims[1] == -1 ? std::vector<int64_t>{1, 3, 4} : dims));
    const Tensor& yt = ctx->output("y");
    for (size_t i = 0; i < 12; ++i) EXPECT_EQ(yt.data<float>()[i], 2.f * xv[i]);
  }
}

}  // namespace
}  // namespace onyx::cuda::test
