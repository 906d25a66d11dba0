// Channels-last regions of the cuda engine (src/cuda/layout.h): a residual convnet in float16 with pooling,
// per-channel broadcasts, an SE-style scale, a graph output inside the region and a consumer outside it,
// built with the region (default) and without it (ONYX_CUDA_LAYOUT=nchw); both must match the reference, and
// the plan must show which layers ran channels-last.
#include <cstdlib>

#include "cuda/check.h"
#include "cuda/layout.h"
#include "gpu_test_util.h"
#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx::cuda::test {
namespace {

// x[n, 8, 10, 10] -> c1 = Conv3x3(x) (two consumers: Relu and the graph output Sigmoid) -> Relu -> Conv1x1,
// added to Conv1x1(x) (residual) -> Relu -> AveragePool 3x3/2 -> * s[16,1,1] + b[1,16,1,1] -> HardSigmoid ->
// MaxPool 3x3/1 -> SE scale by its GlobalMaxPool -> ReduceMean over channels (outside the region) = y;
// Sigmoid(c1) = side.
Model residual_net() {
  Model m = new_model();
  Graph& g = *m.graph;
  g.name = "layout";
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(8), Dim(10), Dim(10)}));
  auto val = [&](const char* name) { return g.add_value(name); };
  Value *c1 = val("c1"), *r1 = val("r1"), *c2 = val("c2"), *c3 = val("c3"), *a = val("a"), *r2 = val("r2");
  Value *p = val("p"), *mu = val("mu"), *ad = val("ad"), *hs = val("hs"), *gm = val("gm"), *se = val("se");
  Value *y = val("y"), *side = val("side");
  g.add_node("Conv", "", {x, add_weight(g, "W1", {16, 8, 3, 3}, 1, 0.4f), add_weight(g, "B1", {16}, 2, 0.4f)},
             {c1}, "conv1")
      ->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c1}, {r1}, "relu1");
  g.add_node("Sigmoid", "", {c1}, {side}, "side");
  g.add_node("Conv", "", {r1, add_weight(g, "W2", {16, 16, 1, 1}, 3, 0.4f)}, {c2}, "conv2");
  g.add_node("Conv", "", {x, add_weight(g, "W3", {16, 8, 1, 1}, 4, 0.4f), add_weight(g, "B3", {16}, 5, 0.4f)},
             {c3}, "conv3");
  g.add_node("Add", "", {c2, c3}, {a}, "residual");
  g.add_node("Relu", "", {a}, {r2}, "relu2");
  Node* pool = g.add_node("AveragePool", "", {r2}, {p}, "pool");
  pool->set_attr(attr_ints("kernel_shape", {3, 3}));
  pool->set_attr(attr_ints("strides", {2, 2}));
  pool->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Mul", "", {p, add_weight(g, "S", {16, 1, 1}, 6, 1.5f)}, {mu}, "scale");
  g.add_node("Add", "", {mu, add_weight(g, "Bc", {1, 16, 1, 1}, 7, 0.4f)}, {ad}, "shift");
  g.add_node("HardSigmoid", "", {ad}, {hs}, "hsig");
  Value* mp = val("mp");
  Node* maxpool = g.add_node("MaxPool", "", {hs}, {mp}, "maxpool");
  maxpool->set_attr(attr_ints("kernel_shape", {3, 3}));
  maxpool->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("GlobalMaxPool", "", {mp}, {gm}, "gmp");
  g.add_node("Mul", "", {mp, gm}, {se}, "se");
  Node* rm = g.add_node("ReduceMean", "", {se}, {y}, "mean");
  rm->set_attr(attr_ints("axes", {1}));
  rm->set_attr(attr_int("keepdims", 0));
  g.outputs = {y, side};
  return m;
}

std::vector<float> to_floats(const Tensor& t) {
  const Tensor f = t.cast(DType::kFloat32);
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}

class CudaLayout : public CudaTest {
 protected:
  void TearDown() override {
    unsetenv("ONYX_CUDA_LAYOUT");
    unsetenv("ONYX_CUDA_CONV_TRANSPOSED");
  }
};

TEST_F(CudaLayout, ResidualNetMatchesReferenceWithAndWithoutChannelsLast) {
  // "nhwc-transposed": the region with every conv on the layer's fallback (NCHW plan between transposes).
  for (const std::string layout : {"nhwc", "nchw", "nhwc-transposed"}) {
    setenv("ONYX_CUDA_LAYOUT", layout == "nchw" ? "nchw" : "nhwc", 1);
    setenv("ONYX_CUDA_CONV_TRANSPOSED", layout == "nhwc-transposed" ? "1" : "0", 1);
    for (Precision p : {Precision::kFp16, Precision::kFp32}) {
      BuilderConfig c;
      c.target = Target::kCuda;
      c.precision = p;
      const std::string plan = build_plan(residual_net(), c);
      auto engine = Engine::deserialize(plan, "layout.plan");
      int nhwc_layers = 0;
      for (const auto& k : engine->summary().kernels)
        if (k.kernel.find("nhwc") != std::string::npos) ++nhwc_layers;
      const bool want_region = layout != "nchw" && p == Precision::kFp16;
      if (want_region)
        EXPECT_GE(nhwc_layers, 6)
            << "conv1, relu1, the fused conv2/conv3, pool, the pointwise chain, gmp, se";
      else
        EXPECT_EQ(nhwc_layers, 0) << layout << " precision " << static_cast<int>(p);
      auto ctx = engine->create_execution_context();
      const Tol tol = p == Precision::kFp16 ? Tol{2e-2, 2e-2} : Tol{1e-4, 1e-4};
      for (int64_t n : {1, 3}) {
        const std::vector<int64_t> dims{n, 8, 10, 10};
        const auto x = random_floats(static_cast<size_t>(count(dims)), 60 + static_cast<uint32_t>(n));
        auto model = std::make_shared<Model>(parse_model(serialize_model(residual_net()), "", "<test>"));
        prepare_model(*model);
        RefSession ref(model);
        NamedValues want = ref.run({{"x", RunValue(Tensor::from_vector<float>(dims, x))}});
        DeviceBuffer dx(x.size() * 4);
        check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
        ctx->set_input_shape("x", dims);
        ctx->set_tensor_address("x", dx.data(), x.size() * 4);
        ctx->enqueue(stream());
        for (size_t o = 0; o < 2; ++o) {
          const std::string name = o == 0 ? "y" : "side";
          EXPECT_TRUE(all_close(to_floats(ctx->output(name)), to_floats(want.at(o).second.tensor), tol))
              << layout << " precision " << static_cast<int>(p) << " n=" << n << " output " << name;
        }
      }
    }
  }
}

// x[n, 8, 6, 6] -> depthwise Conv3x3 (group 8) -> Relu -> Conv1x1 -> GlobalAveragePool -> Flatten.
Model depthwise_net() {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  m.graph = std::make_shared<Graph>();
  Graph& g = *m.graph;
  g.name = "depthwise";
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(8), Dim(6), Dim(6)}));
  Value *d = g.add_value("d"), *r = g.add_value("r"), *c = g.add_value("c"), *gp = g.add_value("gp");
  Value* y = g.add_value("y");
  Node* dw = g.add_node("Conv", "",
                        {x, add_weight(g, "Wd", {8, 1, 3, 3}, 11, 0.4f), add_weight(g, "Bd", {8}, 12, 0.4f)},
                        {d}, "dw");
  dw->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  dw->set_attr(attr_int("group", 8));
  g.add_node("Relu", "", {d}, {r}, "relu");
  g.add_node("Conv", "", {r, add_weight(g, "Wp", {16, 8, 1, 1}, 13, 0.4f)}, {c}, "pw");
  g.add_node("GlobalAveragePool", "", {c}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {y}, "flatten");
  g.outputs = {y};
  return m;
}

TEST_F(CudaLayout, GraphsWithGroupedConvsStayNchwUnlessAsked) {
  for (const char* layout : {"", "nhwc"}) {
    if (*layout)
      setenv("ONYX_CUDA_LAYOUT", layout, 1);
    else
      unsetenv("ONYX_CUDA_LAYOUT");
    BuilderConfig c;
    c.target = Target::kCuda;
    c.precision = Precision::kFp16;
    auto engine = Engine::deserialize(build_plan(depthwise_net(), c), "depthwise.plan");
    int nhwc_layers = 0;
    for (const auto& k : engine->summary().kernels)
      if (k.kernel.find("nhwc") != std::string::npos) ++nhwc_layers;
    if (*layout)
      EXPECT_GE(nhwc_layers, 3) << "both convs, relu, gap";
    else
      EXPECT_EQ(nhwc_layers, 0);
    auto ctx = engine->create_execution_context();
    const std::vector<int64_t> dims{2, 8, 6, 6};
    const auto x = random_floats(static_cast<size_t>(count(dims)), 71);
    auto model = std::make_shared<Model>(parse_model(serialize_model(depthwise_net()), "", "<test>"));
    prepare_model(*model);
    RefSession ref(model);
    NamedValues want = ref.run({{"x", RunValue(Tensor::from_vector<float>(dims, x))}});
    DeviceBuffer dx(x.size() * 4);
    check_cuda(cudaMemcpy(dx.data(), x.data(), x.size() * 4, cudaMemcpyHostToDevice), "upload");
    ctx->set_input_shape("x", dims);
    ctx->set_tensor_address("x", dx.data(), x.size() * 4);
    ctx->enqueue(stream());
    EXPECT_TRUE(all_close(to_floats(ctx->output("y")), to_floats(want.at(0).second.tensor), Tol{2e-2, 2e-2}))
        << "layout '" << layout << "'";
  }
}

// Host-only parts (no GPU needed): the region decision on hand-assigned kernels, and the layout helpers.
TEST(CudaLayoutHost, RegionGrowsFromHalfConvsAndStopsAtOutputsAndUnknownOps) {
  unsetenv("ONYX_CUDA_LAYOUT");
  Model m = residual_net();
  const Graph& g = *m.graph;
  std::vector<std::string> kernels;
  std::vector<DType> dtypes;
  std::vector<bool> host(g.nodes().size(), false);
  for (const auto& n : g.nodes()) {
    const std::string& op = n->op_type;
    kernels.push_back(op == "Conv"                                             ? "cuda.conv.cudnn"
                      : op == "Relu" || op == "Sigmoid" || op == "HardSigmoid" ? "cuda.unary." + op
                      : op == "Add" || op == "Mul"                             ? "cuda.binary.x"
                      : op == "AveragePool"                                    ? "cuda.pool.avg"
                      : op == "MaxPool"                                        ? "cuda.pool.max"
                      : op == "GlobalMaxPool"                                  ? "cuda.pool.global"
                                                                               : "cuda.reduce");
    dtypes.push_back(DType::kFloat16);
  }
  // The test model has no inferred intermediate types: give every value a 4-D type, except the outputs of
  // ReduceMean (3-D).
  for (const auto& n : g.nodes())
    for (Value* v : n->outputs())
      v->type = TypeInfo::tensor(DType::kFloat32, n->op_type == "ReduceMean"
                                                      ? Shape({Dim::symbol("n"), Dim(5), Dim(5)})
                                                      : Shape({Dim::symbol("n"), Dim(16), Dim(5), Dim(5)}));
  const std::vector<bool> nhwc = choose_nhwc(g, host, kernels, dtypes);
  size_t i = 0;
  for (const auto& n : g.nodes()) {
    const bool want = n->name != "side" && n->name != "mean";  // a graph output; an op outside the region
    EXPECT_EQ(nhwc[i++], want) << n->name;
  }
  // float32 convs seed nothing, and without a seed nothing else joins.
  std::fill(dtypes.begin(), dtypes.end(), DType::kFloat32);
  for (bool b : choose_nhwc(g, host, kernels, dtypes)) EXPECT_FALSE(b);
  setenv("ONYX_CUDA_LAYOUT", "nchw", 1);
  std::fill(dtypes.begin(), dtypes.end(), DType::kFloat16);
  for (bool b : choose_nhwc(g, host, kernels, dtypes)) EXPECT_FALSE(b);
  unsetenv("ONYX_CUDA_LAYOUT");
}

TEST(CudaLayoutHost, GroupedConvsKeepTheGraphNchwUnlessForced) {
  Model m = depthwise_net();
  const Graph& g = *m.graph;
  std::vector<std::string> kernels;
  for (const auto& n : g.nodes()) {
    const std::string& op = n->op_type;
    kernels.push_back(op == "Conv"                ? "cuda.conv.cudnn"
                      : op == "Relu"              ? "cuda.unary.relu"
                      : op == "GlobalAveragePool" ? "cuda.pool.global"
                                                  : "cuda.copy");
    for (Value* v : n->outputs())
      v->type = TypeInfo::tensor(DType::kFloat32, op == "Flatten"
                                                      ? Shape({Dim::symbol("n"), Dim(16)})
                                                      : Shape({Dim::symbol("n"), Dim(8), Dim(6), Dim(6)}));
  }
  const std::vector<bool> host(g.nodes().size(), false);
  const std::vector<DType> dtypes(g.nodes().size(), DType::kFloat16);
  unsetenv("ONYX_CUDA_LAYOUT");
  for (bool b : choose_nhwc(g, host, kernels, dtypes)) EXPECT_FALSE(b);
  setenv("ONYX_CUDA_LAYOUT", "nhwc", 1);
  const std::vector<bool> forced = choose_nhwc(g, host, kernels, dtypes);
  unsetenv("ONYX_CUDA_LAYOUT");
  EXPECT_EQ(forced, (std::vector<bool>{true, true, true, true, false}));  // dw, relu, pw, gap; not Flatten
}

TEST(CudaLayoutHost, Helpers) {
  EXPECT_EQ(nhwc_dims({2, 3, 4, 5}), (Dims{2, 4, 5, 3}));
  EXPECT_EQ(align4({16, 1, 1}), (Dims{1, 16, 1, 1}));
  EXPECT_EQ(align4({}), (Dims{1, 1, 1, 1}));
  EXPECT_TRUE(same_bytes_nhwc({2, 1, 4, 5}));
  EXPECT_TRUE(same_bytes_nhwc({2, 64, 1, 1}));
  EXPECT_FALSE(same_bytes_nhwc({1, 3, 2, 1}));
  std::vector<float> vals(2 * 3 * 2 * 2);
  for (size_t k = 0; k < vals.size(); ++k) vals[k] = static_cast<float>(k);
  const Tensor t = to_nhwc_host(Tensor::from_vector<float>({2, 3, 2, 2}, vals));
  ASSERT_EQ(t.dims(), (Dims{2, 2, 2, 3}));
  // y[k, r, s, c] = x[k, c, r, s]
  for (int64_t k = 0; k < 2; ++k)
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t sx = 0; sx < 2; ++sx)
        for (int64_t c = 0; c < 3; ++c)
          EXPECT_EQ(t.data<float>()[((k * 2 + r) * 2 + sx) * 3 + c], vals[((k * 3 + c) * 2 + r) * 2 + sx]);
}

}  // namespace
}  // namespace onyx::cuda::test
