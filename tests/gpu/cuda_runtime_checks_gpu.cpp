// The cuda runtime's per-layer profiling (CUDA events around each layer: `onyx bench --dump-profile`) and its
// checks of bad input at run time: out of device memory, bad tensor addresses, streams of another device, and
// indices out of range found by the kernels (error flags read back after the run) — each a clear onyx::Error after
// which the same context runs the next correct call.
#include <cstdio>
#include <filesystem>
#include <limits>

#include "cuda/check.h"
#include "gpu_test_util.h"
#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/limits.h"
#include "onyx/onnx.h"
#include "onyx/runner.h"

namespace onyx::cuda::test {
namespace {

// Conv → Relu → MaxPool → MatMul chain → Softmax over x: float32[n, 3, 16, 16] (several device layers).
Model convnet() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(3), Dim(16), Dim(16)}));
  Value *c = g.add_value("c"), *r = g.add_value("r"), *p = g.add_value("p"), *f = g.add_value("f");
  Value *h = g.add_value("h"), *s = g.add_value("s"), *y = g.add_value("y");
  g.add_node("Conv", "", {x, add_weight(g, "W", {8, 3, 3, 3}, 1), add_weight(g, "B", {8}, 2)}, {c}, "conv")
      ->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c}, {r}, "relu");
  Node* mp = g.add_node("MaxPool", "", {r}, {p}, "pool");
  mp->set_attr(attr_ints("kernel_shape", {2, 2}));
  mp->set_attr(attr_ints("strides", {2, 2}));
  g.add_node("Flatten", "", {p}, {f}, "flatten");
  g.add_node("MatMul", "", {f, add_weight(g, "W2", {512, 32}, 3)}, {h}, "fc");
  g.add_node("Sigmoid", "", {h}, {s}, "sig");
  g.add_node("Softmax", "", {s}, {y}, "softmax");
  g.outputs = {y};
  return m;
}

// y = Gather(data, idx, axis 0); data float32[4, 3], idx int64[k] (both inputs: the indices are device data).
Model gather_model() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* data = add_input(g, "data", DType::kFloat32, Shape({Dim(4), Dim(3)}));
  Value* idx = add_input(g, "idx", DType::kInt64, Shape({Dim::symbol("k")}));
  Value* y = g.add_value("y");
  g.add_node("Gather", "", {data, idx}, {y}, "the_gather");
  g.outputs = {y};
  return m;
}

// y = Expand(x, [1, 2^20]): x float32[n, 1] → y float32[n, 2^20] (4 MiB per row: a large n exceeds any card).
Model expand_model() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(1)}));
  Value* shape = g.add_value("shape");
  shape->initializer = Tensor::from_vector<int64_t>({2}, {1, int64_t{1} << 20});
  shape->type = TypeInfo::tensor(DType::kInt64, Shape({2}));
  g.initializers.push_back(shape);
  Value* y = g.add_value("y");
  g.add_node("Expand", "", {x, shape}, {y}, "the_expand");
  g.outputs = {y};
  return m;
}

Model reload(const Model& m) {
  return parse_model(serialize_model(m), "", "<test>");
}

BuilderConfig cuda_config() {
  BuilderConfig c;
  c.target = Target::kCuda;
  return c;
}

template <typename T>
DeviceBuffer to_device(const std::vector<T>& v) {
  DeviceBuffer b(std::max<size_t>(v.size() * sizeof(T), 256));
  if (!v.empty()) check_cuda(cudaMemcpy(b.data(), v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  return b;
}

// The error of f(): its code and message (one line expected); code kSuccess-like (-1) when f did not throw.
struct Caught {
  int exit_code = 0;
  ErrorCode code = ErrorCode::kRuntime;
  std::string what;
};
template <typename F>
Caught catch_error(F&& f) {
  Caught c;
  try {
    f();
  } catch (const Error& e) {
    c.exit_code = e.exit_code();
    c.code = e.code();
    c.what = e.what();
  }
  return c;
}

class CudaRuntimeChecks : public CudaTest {};

// ---- per-layer profiling ---------------------------------------------------------------------------------------

void check_profile(Runner& r, size_t want_layers, const std::string& what) {
  const auto x = random_floats(2 * 3 * 16 * 16, 7);
  const NamedTensors feeds = {{"x", Tensor::from_vector<float>({2, 3, 16, 16}, x)}};
  r.set_layer_profile(false);
  r.infer(feeds);
  EXPECT_TRUE(r.last_layer_profile().empty()) << what << ": profiling off records nothing";
  r.set_layer_profile(true);
  for (int i = 0; i < 5; ++i) {
    r.infer(feeds);
    const std::vector<LayerTiming>& prof = r.last_layer_profile();
    ASSERT_EQ(prof.size(), want_layers) << what;
    double sum = 0;
    for (const LayerTiming& l : prof) {
      EXPECT_GE(l.seconds, 0.0) << what << ": " << l.name;
      EXPECT_NE(l.op_type.find("[cuda."), std::string::npos) << what << ": " << l.op_type;
      sum += l.seconds;
    }
    const double compute = r.last_breakdown().compute;
    ASSERT_GT(compute, 0.0) << what;
    // The layers lie between the compute events: their sum cannot exceed the compute time (event resolution
    // about 0.5 us per event pair).
    EXPECT_LE(sum, compute * 1.02 + 2e-6 * static_cast<double>(want_layers)) << what << " run " << i;
    EXPECT_GT(sum, 0.0) << what;
  }
}

TEST_F(CudaRuntimeChecks, ProfileHasOneGpuTimePerLayerWithinComputeTime) {
  auto engine = build_engine(reload(convnet()), cuda_config());
  const size_t layers = engine->summary().num_native_nodes;
  ASSERT_GE(layers, 3u);
  ModelLoader loader = [] { return std::make_shared<Model>(reload(convnet())); };
  for (const char* spec : {"cuda", "cuda:graph", "cuda:fp16"}) {
    auto r = make_runner(spec, loader);
    ASSERT_TRUE(r->supports_layer_profile());
    RunnerActivation active(*r);
    // fp16 may choose other layers (casts are inside the layers, not separate steps): count its own engine.
    size_t want = layers;
    if (std::string(spec) == "cuda:fp16") {
      BuilderConfig c = cuda_config();
      c.precision = Precision::kFp16;
      want = build_engine(reload(convnet()), c)->summary().num_native_nodes;
    }
    check_profile(*r, want, spec);
  }
}

TEST_F(CudaRuntimeChecks, ProfileOfAPlanFile) {
  const std::string path = (std::filesystem::temp_directory_path() / "onyx_profile_gpu_test.plan").string();
  {
    std::string bytes = build_plan(reload(convnet()), cuda_config());
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  auto engine = Engine::load(path);
  auto r = make_plan_runner(path);
  ASSERT_TRUE(r->supports_layer_profile());
  {
    RunnerActivation active(*r);
    check_profile(*r, engine->summary().num_native_nodes, "plan");
  }
  std::filesystem::remove(path);
}

TEST_F(CudaRuntimeChecks, ObserverOnAContextGetsEachLayerAfterSynchronize) {
  auto engine = build_engine(reload(convnet()), cuda_config());
  auto ctx = engine->create_execution_context();
  const auto x = random_floats(3 * 16 * 16, 9);
  DeviceBuffer dx = to_device(x);
  ctx->set_input_shape("x", {1, 3, 16, 16});
  ctx->set_tensor_address("x", dx.data(), x.size() * 4);
  std::vector<std::string> seen;
  ctx->set_node_observer([&](const Node& n, std::string_view kernel, std::chrono::nanoseconds t) {
    EXPECT_GE(t.count(), 0);
    seen.push_back(n.name + " " + std::string(kernel));
  });
  ctx->enqueue(stream());
  EXPECT_TRUE(seen.empty()) << "enqueue reports nothing before the run completed";
  ctx->synchronize();
  EXPECT_EQ(seen.size(), engine->summary().num_native_nodes);
  seen.clear();
  ctx->synchronize();
  EXPECT_TRUE(seen.empty()) << "each run is reported once";
  ctx->execute();
  EXPECT_EQ(seen.size(), engine->summary().num_native_nodes);
  // Off: no events, nothing reported; the context still runs (and with a graph, captures again).
  ctx->set_node_observer(nullptr);
  seen.clear();
  ctx->set_cuda_graph(true);
  for (int i = 0; i < 2; ++i) ctx->execute();
  EXPECT_TRUE(seen.empty());
}

// ---- bad input at run time -------------------------------------------------------------------------------------

TEST_F(CudaRuntimeChecks, OutOfDeviceMemoryIsAClearErrorAndTheContextRunsTheNextCall) {
  auto engine = build_engine(reload(expand_model()), cuda_config());
  auto ctx = engine->create_execution_context();
  auto run = [&](int64_t n) {
    const std::vector<float> x(static_cast<size_t>(n), 0.5f);
    DeviceBuffer dx = to_device(x);
    ctx->set_input_shape("x", {n, 1});
    ctx->set_tensor_address("x", dx.data(), x.size() * 4);
    ctx->execute();
    return ctx->output("y");
  };
  const Tensor ok = run(2);
  ASSERT_EQ(ok.numel(), 2 << 20);
  // 2^16 rows of 4 MiB: 256 GiB, more than any card (the host-side tensor limit is raised so the device decides).
  const uint64_t saved = limits().max_tensor_bytes;
  limits().max_tensor_bytes = std::numeric_limits<uint64_t>::max() / 2;
  const Caught c = catch_error([&] { run(int64_t{1} << 16); });
  limits().max_tensor_bytes = saved;
  EXPECT_EQ(c.code, ErrorCode::kRuntime) << c.what;
  EXPECT_NE(c.what.find("out of device memory"), std::string::npos) << c.what;
  EXPECT_NE(c.what.find("the_expand"), std::string::npos) << c.what;
  EXPECT_EQ(c.what.find('\n'), std::string::npos) << c.what;
  // The same context, the next correct call.
  const Tensor again = run(3);
  ASSERT_EQ(again.numel(), 3 << 20);
  for (int64_t i = 0; i < again.numel(); i += 4099) ASSERT_EQ(again.data<float>()[i], 0.5f) << i;
  // A bound output that is too small: kBadInput, the context still runs.
  DeviceBuffer small(256);
  ctx->set_tensor_address("y", small.data(), small.size());
  const Caught o = catch_error([&] { run(2); });
  EXPECT_EQ(o.exit_code, 2) << o.what;
  EXPECT_NE(o.what.find("bound buffer holds 256"), std::string::npos) << o.what;
  ctx->set_tensor_address("y", nullptr, 0);
  EXPECT_EQ(run(1).numel(), 1 << 20);
}

TEST_F(CudaRuntimeChecks, NullAndMisalignedAddressesAndForeignStreams) {
  auto engine = build_engine(reload(gather_model()), cuda_config());
  auto ctx = engine->create_execution_context();
  const std::vector<float> data = random_floats(12, 4);
  DeviceBuffer dd = to_device(data);
  DeviceBuffer di = to_device(std::vector<int64_t>{3, 0});
  DeviceBuffer dy(256);
  ctx->set_input_shape("idx", {2});
  // Misaligned input and output addresses: kBadInput, the binding stays as it was.
  for (const char* name : {"data", "y"}) {
    const Caught c = catch_error([&] { ctx->set_tensor_address(name, static_cast<char*>(dy.data()) + 4, 16); });
    EXPECT_EQ(c.exit_code, 2) << name;
    EXPECT_NE(c.what.find("16-byte aligned"), std::string::npos) << c.what;
  }
  // A null input address: the input is unbound, the run says so.
  ctx->set_tensor_address("data", nullptr, 48);
  ctx->set_tensor_address("idx", di.data(), 16);
  const Caught unbound = catch_error([&] { ctx->enqueue(stream()); });
  EXPECT_EQ(unbound.exit_code, 2);
  EXPECT_NE(unbound.what.find("'data' has no address"), std::string::npos) << unbound.what;
  // The special stream handles are accepted; a stream of another device is refused (needs a second GPU).
  ctx->set_tensor_address("data", dd.data(), 48);
  for (cudaStream_t s : {stream(), cudaStreamPerThread, cudaStreamLegacy}) {
    ctx->enqueue(s);
    ctx->synchronize();
    const Tensor& y = ctx->output("y");
    ASSERT_EQ(y.numel(), 6);
    EXPECT_EQ(y.data<float>()[0], data[9]);
    EXPECT_EQ(y.data<float>()[3], data[0]);
  }
  int devices = 0;
  cudaGetDeviceCount(&devices);
  if (devices < 2) {
    std::printf("[ note ] one GPU: a stream of another device cannot be made here (the check is in enqueue)\n");
    return;
  }
  check_cuda(cudaSetDevice(1), "cudaSetDevice");
  cudaStream_t other = nullptr;
  check_cuda(cudaStreamCreate(&other), "cudaStreamCreate");
  check_cuda(cudaSetDevice(0), "cudaSetDevice");
  const Caught c = catch_error([&] { ctx->enqueue(other); });
  cudaStreamDestroy(other);
  EXPECT_EQ(c.exit_code, 2);
  EXPECT_NE(c.what.find("belongs to device 1"), std::string::npos) << c.what;
}

TEST_F(CudaRuntimeChecks, GatherIndexOutOfRangeIsAnErrorAfterTheRunAndTheContextStaysUsable) {
  auto engine = build_engine(reload(gather_model()), cuda_config());
  for (bool graph : {false, true}) {
    auto ctx = engine->create_execution_context();
    if (graph) ctx->set_cuda_graph(true);
    const std::vector<float> data = random_floats(12, 5);
    DeviceBuffer dd = to_device(data);
    DeviceBuffer good = to_device(std::vector<int64_t>{1, -1});
    DeviceBuffer bad = to_device(std::vector<int64_t>{1, 4});
    ctx->set_tensor_address("data", dd.data(), 48);
    ctx->set_input_shape("idx", {2});
    auto run = [&](DeviceBuffer& idx) {
      ctx->set_tensor_address("idx", idx.data(), 16);
      ctx->enqueue(stream());  // never throws for the data: the device finds it
      ctx->synchronize();
      return ctx->output("y");
    };
    EXPECT_EQ(run(good).data<float>()[3], data[9]);
    const Caught c = catch_error([&] { run(bad); });
    EXPECT_EQ(c.exit_code, 2) << c.what;
    EXPECT_NE(c.what.find("the_gather"), std::string::npos) << c.what;
    EXPECT_NE(c.what.find("out of range"), std::string::npos) << c.what;
    EXPECT_EQ(c.what.find('\n'), std::string::npos) << c.what;
    // Reported once; the next correct run is fine (graph replays included).
    for (int i = 0; i < 2; ++i) {
      const Tensor y = run(good);
      EXPECT_EQ(y.data<float>()[0], data[3]) << "graph " << graph;
      EXPECT_EQ(y.data<float>()[5], data[11]) << "graph " << graph;
    }
    // An error not synchronized by the caller surfaces at execute()/output() of the next call.
    ctx->set_tensor_address("idx", bad.data(), 16);
    ctx->enqueue(stream());
    EXPECT_THROW(ctx->output("y"), Error);
    ctx->set_tensor_address("idx", good.data(), 16);
    EXPECT_NO_THROW(ctx->execute());
  }
  // Through the runner (`onyx run` / `onyx bench`): kBadInput out of infer().
  ModelLoader loader = [] { return std::make_shared<Model>(reload(gather_model())); };
  auto r = make_runner("cuda", loader);
  RunnerActivation active(*r);
  const Tensor data = Tensor::from_vector<float>({4, 3}, random_floats(12, 6));
  const Caught c = catch_error([&] {
    r->infer({{"data", data}, {"idx", Tensor::from_vector<int64_t>({1}, {-5})}});
  });
  EXPECT_EQ(c.exit_code, 2) << c.what;
  EXPECT_NE(c.what.find("out of range"), std::string::npos) << c.what;
  NamedTensors out = r->infer({{"data", data}, {"idx", Tensor::from_vector<int64_t>({1}, {-4})}});
  EXPECT_EQ(out.at(0).second.data<float>()[0], data.data<float>()[0]);
}

}  // namespace
}  // namespace onyx::cuda::test
