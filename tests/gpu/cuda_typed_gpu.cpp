// Precision the model states itself on the cuda target (issue #6): strongly typed builds of an fp16 model, Cast to
// float32 kept under --fp16, QuantizeLinear/DequantizeLinear (QDQ) models against the reference, and fp16 plans
// whose arena and weights are sized in fp16 (activations planned at their storage dtype, weights converted at build).
#include <cmath>

#include "cuda/check.h"
#include "gpu_test_util.h"
#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace onyx::cuda::test {
namespace {

// A model exported with model.half(): fp16 input and weights; Conv+Relu → GlobalAveragePool → Flatten → MatMul →
// Cast(to float32) → Softmax (fp32). x: float16[n, 3, 8, 8], y: float32[n, 5].
Model half_model() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat16, Shape({Dim::symbol("n"), Dim(3), Dim(8), Dim(8)}));
  Value* w = add_weight(g, "W", {6, 3, 3, 3}, 21, 0.5f, DType::kFloat16);
  Value* b = add_weight(g, "B", {6}, 22, 0.5f, DType::kFloat16);
  Value* w2 = add_weight(g, "W2", {6, 5}, 23, 0.5f, DType::kFloat16);
  Value *c = g.add_value("c"), *r = g.add_value("r"), *gp = g.add_value("gp"), *f = g.add_value("f");
  Value *mm = g.add_value("mm"), *mm32 = g.add_value("mm32"), *y = g.add_value("y");
  g.add_node("Conv", "", {x, w, b}, {c}, "conv")->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c}, {r}, "relu");
  g.add_node("GlobalAveragePool", "", {r}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {f}, "flatten");
  g.add_node("MatMul", "", {f, w2}, {mm}, "fc");
  g.add_node("Cast", "", {mm}, {mm32}, "to_fp32")->set_attr(attr_int("to", 1));
  g.add_node("Softmax", "", {mm32}, {y}, "softmax");
  g.outputs = {y};
  return m;
}

// float32 x [1, 16] → MatMul → Cast(to float32) → Softmax: under --fp16 the Cast stays fp32.
Model cast_model() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim(2), Dim(16)}));
  Value* w = add_weight(g, "W", {16, 8}, 31);
  Value *mm = g.add_value("mm"), *c = g.add_value("c"), *y = g.add_value("y");
  g.add_node("MatMul", "", {x, w}, {mm}, "fc");
  g.add_node("Cast", "", {mm}, {c}, "keep_fp32")->set_attr(attr_int("to", 1));
  g.add_node("Softmax", "", {c}, {y}, "softmax");
  g.outputs = {y};
  return m;
}

// The QDQ format (ONNX Runtime / TensorRT explicit quantization): activations Q→DQ (uint8 / int8, per tensor),
// weights int8 with DequantizeLinear (per output channel for the Conv, per tensor for the MatMul).
// x float32[1, 4, 6, 6] → Q/DQ → Conv(DQ(Wq), pads 1) → Relu → Q/DQ (int8) → GlobalAveragePool → Flatten →
// Q/DQ (uint8) → MatMul(DQ(W2q)) → Q/DQ (int8) → y_dq float32[1, 5].
Model qdq_model() {
  Model m = new_model(13);
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim(1), Dim(4), Dim(6), Dim(6)}));
  auto scalar_f = [&](const std::string& n, float v) { return add_init(g, n, Tensor::scalar<float>(v)); };
  auto scalar_u8 = [&](const std::string& n, uint8_t v) {
    return add_init(g, n, Tensor::scalar<uint8_t>(v));
  };
  auto scalar_i8 = [&](const std::string& n, int8_t v) { return add_init(g, n, Tensor::scalar<int8_t>(v)); };
  auto qdq = [&](Value* in, const std::string& p, float scale, Value* zp) {
    Value *q = g.add_value(p + "_q"), *dq = g.add_value(p + "_dq");
    Value* s = scalar_f(p + "_s", scale);
    g.add_node("QuantizeLinear", "", {in, s, zp}, {q}, p + "_quant");
    g.add_node("DequantizeLinear", "", {q, s, zp}, {dq}, p + "_dequant");
    return dq;
  };
  // Conv weights: int8 [8, 4, 3, 3], per-channel scales, zero points 0.
  std::vector<int8_t> wq(8 * 4 * 9);
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<int8_t>(static_cast<int>((i * 37 + 11) % 255) - 127);
  std::vector<float> ws(8);
  for (size_t i = 0; i < ws.size(); ++i) ws[i] = 0.002f + 0.0005f * static_cast<float>(i);
  Value* wqv = add_init(g, "Wq", Tensor::from_vector<int8_t>({8, 4, 3, 3}, wq));
  Value* wsv = add_init(g, "Ws", Tensor::from_vector<float>({8}, ws));
  Value* wzv = add_init(g, "Wz", Tensor::from_vector<int8_t>({8}, std::vector<int8_t>(8, 0)));
  Value* wdq = g.add_value("W_dq");
  g.add_node("DequantizeLinear", "", {wqv, wsv, wzv}, {wdq}, "w_dequant")->set_attr(attr_int("axis", 0));
  std::vector<int8_t> w2q(8 * 5);
  for (size_t i = 0; i < w2q.size(); ++i) w2q[i] = static_cast<int8_t>(static_cast<int>((i * 53 + 7) % 255) - 127);
  Value* w2qv = add_init(g, "W2q", Tensor::from_vector<int8_t>({8, 5}, w2q));
  Value* w2dq = g.add_value("W2_dq");
  g.add_node("DequantizeLinear", "", {w2qv, scalar_f("W2s", 0.004f), scalar_i8("W2z", 0)}, {w2dq}, "w2_dequant");

  Value* xdq = qdq(x, "x", 0.02f, scalar_u8("x_z", 128));
  Value *c = g.add_value("c"), *r = g.add_value("r");
  g.add_node("Conv", "", {xdq, wdq}, {c}, "conv")->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c}, {r}, "relu");
  Value* rdq = qdq(r, "r", 0.01f, scalar_i8("r_z", 0));
  Value *gp = g.add_value("gp"), *f = g.add_value("f"), *mm = g.add_value("mm");
  g.add_node("GlobalAveragePool", "", {rdq}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {f}, "flatten");
  Value* fdq = qdq(f, "f", 0.005f, scalar_u8("f_z", 0));
  g.add_node("MatMul", "", {fdq, w2dq}, {mm}, "fc");
  Value* y = qdq(mm, "y", 0.003f, scalar_i8("y_z", 0));
  g.outputs = {y};
  return m;
}

// A conv model with activations large enough for the arena to matter: x float32[n, 16, 32, 32] → Conv 16→32 → Relu →
// Conv 32→32 → Relu → GlobalAveragePool → Flatten → Gemm → y [n, 10].
Model conv_model() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim::symbol("n"), Dim(16), Dim(32), Dim(32)}));
  Value* w1 = add_weight(g, "W1", {32, 16, 3, 3}, 41, 0.1f);
  Value* b1 = add_weight(g, "B1", {32}, 42);
  Value* w2 = add_weight(g, "W2", {32, 32, 3, 3}, 43, 0.1f);
  Value* b2 = add_weight(g, "B2", {32}, 44);
  Value* fw = add_weight(g, "FW", {10, 32}, 45);
  Value* fb = add_weight(g, "FB", {10}, 46);
  Value *c1 = g.add_value("c1"), *r1 = g.add_value("r1"), *c2 = g.add_value("c2"), *r2 = g.add_value("r2");
  Value *gp = g.add_value("gp"), *f = g.add_value("f"), *y = g.add_value("y");
  g.add_node("Conv", "", {x, w1, b1}, {c1}, "conv1")->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c1}, {r1}, "relu1");
  g.add_node("Conv", "", {r1, w2, b2}, {c2}, "conv2")->set_attr(attr_ints("pads", {1, 1, 1, 1}));
  g.add_node("Relu", "", {c2}, {r2}, "relu2");
  g.add_node("GlobalAveragePool", "", {r2}, {gp}, "gap");
  g.add_node("Flatten", "", {gp}, {f}, "flatten");
  g.add_node("Gemm", "", {f, fw, fb}, {y}, "fc")->set_attr(attr_int("transB", 1));
  g.outputs = {y};
  return m;
}

// Converted weights next to float32 activations in ops whose inference checks equal dtypes (what a BERT encoder
// has: MatMul weights, an added position table): x float32[16, 64] → MatMul W[64, 64] → Add P[16, 64] → Relu → Mul x.
Model bert_like() {
  Model m = new_model();
  Graph& g = *m.graph;
  Value* x = add_input(g, "x", DType::kFloat32, Shape({Dim(16), Dim(64)}));
  Value* w = add_weight(g, "W", {64, 64}, 51, 0.2f);
  Value* pos = add_weight(g, "P", {16, 64}, 52);
  Value *mm = g.add_value("mm"), *a = g.add_value("a"), *r = g.add_value("r"), *y = g.add_value("y");
  g.add_node("MatMul", "", {x, w}, {mm}, "fc");
  g.add_node("Add", "", {mm, pos}, {a}, "add_pos");
  g.add_node("Relu", "", {a}, {r}, "relu");
  g.add_node("Mul", "", {r, x}, {y}, "gate");
  g.outputs = {y};
  return m;
}

Model reload(const Model& m) {
  return parse_model(serialize_model(m), "", "<test>");
}

std::vector<float> to_floats(const Tensor& t) {
  const Tensor f = t.dtype() == DType::kFloat32 ? t : t.cast(DType::kFloat32);
  return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}

std::vector<float> ref_run(const Model& m, const std::string& in, const Tensor& x) {
  auto model = std::make_shared<Model>(reload(m));
  prepare_model(*model);
  RefSession ref(model);
  NamedValues outs = ref.run({{in, RunValue(x)}});
  return to_floats(outs.at(0).second.tensor);
}

std::vector<float> cuda_run(const Engine& engine, const std::string& in, const Tensor& x, const std::string& out,
                            cudaStream_t stream) {
  auto ctx = engine.create_execution_context();
  DeviceBuffer dx(std::max<size_t>(x.nbytes(), 256));
  check_cuda(cudaMemcpy(dx.data(), x.raw_data(), x.nbytes(), cudaMemcpyHostToDevice), "upload");
  ctx->set_input_shape(in, x.dims());
  ctx->set_tensor_address(in, dx.data(), x.nbytes());
  ctx->enqueue(stream);
  return to_floats(ctx->output(out));
}

BuilderConfig cuda_config(Precision p = Precision::kFp32) {
  BuilderConfig c;
  c.target = Target::kCuda;
  c.precision = p;
  return c;
}

// "op → kernel [precision]" entries of a plan whose op is `op`.
std::vector<std::string> kernels_of(const PlanSummary& s, const std::string& op) {
  std::vector<std::string> out;
  for (const auto& k : s.kernels)
    if (k.op_type == op || k.op_type == "Fused" + op) out.push_back(k.kernel);
  return out;
}

std::string describe(const PlanSummary& s) {
  std::string out;
  for (const auto& k : s.kernels) out += k.op_type + " -> " + k.kernel + "; ";
  return out;
}

class CudaTyped : public CudaTest {};

TEST_F(CudaTyped, StronglyTypedHalfModelRunsFp16AndMatchesReference) {
  BuilderConfig c = cuda_config();
  c.strongly_typed = true;
  const std::string plan = build_plan(half_model(), c);
  auto engine = Engine::deserialize(plan, "<typed>");
  const PlanSummary s = engine->summary();
  EXPECT_TRUE(s.strongly_typed);
  for (const char* op : {"Conv", "MatMul"}) {
    const auto ks = kernels_of(s, op);
    ASSERT_FALSE(ks.empty()) << describe(s);
    // "[fp16]" or "[fp16, nhwc]" (a channels-last conv region, docs/cuda.md).
    for (const std::string& k : ks) EXPECT_NE(k.find("[fp16"), std::string::npos) << op << ": " << describe(s);
  }
  for (const std::string& k : kernels_of(s, "Softmax")) EXPECT_NE(k.find("[fp32]"), std::string::npos) << describe(s);
  // Weights stay as the model stores them (fp16): nothing converted.
  EXPECT_EQ(s.weights_bytes, 512u) << "W 162 + B 6 + W2 30 halves, each padded to 64 bytes";
  for (int64_t n : {1, 3}) {
    const Tensor x = Tensor::from_vector<float>({n, 3, 8, 8}, random_floats(static_cast<size_t>(n * 192), 5))
                         .cast(DType::kFloat16);
    const std::vector<float> want = ref_run(half_model(), "x", x);
    const std::vector<float> got = cuda_run(*engine, "x", x, "y", stream());
    EXPECT_TRUE(all_close(got, want, {2e-3, 1e-2})) << "batch " << n;
  }
}

TEST_F(CudaTyped, StronglyTypedFloat32ModelStaysFp32) {
  BuilderConfig c = cuda_config();
  c.strongly_typed = true;
  auto engine = Engine::deserialize(build_plan(conv_model(), c), "<typed32>");
  const PlanSummary s = engine->summary();
  for (const auto& k : s.kernels) {
    if (k.kernel.find('[') != std::string::npos) {
      EXPECT_NE(k.kernel.find("[fp32]"), std::string::npos) << describe(s);
    }
  }
}

TEST_F(CudaTyped, CastToFloat32StaysFp32UnderFp16) {
  BuilderConfig c = cuda_config(Precision::kFp16);
  c.optimization_level = 0;  // the passes drop a float32→float32 Cast
  auto engine = Engine::deserialize(build_plan(cast_model(), c), "<cast>");
  const PlanSummary s = engine->summary();
  const auto casts = kernels_of(s, "Cast");
  ASSERT_EQ(casts.size(), 1u) << describe(s);
  EXPECT_NE(casts[0].find("[fp32]"), std::string::npos) << describe(s);
  for (const std::string& k : kernels_of(s, "MatMul")) EXPECT_NE(k.find("[fp16]"), std::string::npos) << describe(s);
  const Tensor x = Tensor::from_vector<float>({2, 16}, random_floats(32, 9));
  EXPECT_TRUE(all_close(cuda_run(*engine, "x", x, "y", stream()), ref_run(cast_model(), "x", x), {5e-3, 2e-2}));
}

// Q/DQ layers run as written (int8/uint8, per-tensor and per-axis), so a QDQ model matches the reference up to
// the accumulation order of the float convolution/matmul between DQ and Q: an element whose pre-Q value lies
// within rounding of a .5 boundary may land one step (0.003) away. Everything else is exact.
void expect_qdq_match(const std::vector<float>& got, const std::vector<float>& want, const char* what) {
  ASSERT_EQ(got.size(), want.size());
  size_t exact = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_LE(std::fabs(got[i] - want[i]), 0.003f * 1.01f) << what << " element " << i;
    if (got[i] == want[i]) ++exact;
  }
  EXPECT_GE(exact + 1, got.size()) << what << ": at most one element one step off";
  // The outputs are quantized: multiples of the scale.
  for (float v : got) EXPECT_NEAR(v / 0.003f, std::round(v / 0.003f), 1e-3) << what;
}

TEST_F(CudaTyped, QdqModelMatchesReferenceInFp32AndFp16Builds) {
  const Tensor x = Tensor::from_vector<float>({1, 4, 6, 6}, random_floats(144, 17, -2.f, 2.f));
  const std::vector<float> want = ref_run(qdq_model(), "x", x);
  bool nonzero = false;
  for (float v : want) nonzero = nonzero || v != 0.f;
  ASSERT_TRUE(nonzero) << "degenerate test model";
  for (Precision p : {Precision::kFp32, Precision::kFp16}) {
    auto engine = Engine::deserialize(build_plan(qdq_model(), cuda_config(p)), "<qdq>");
    const PlanSummary s = engine->summary();
    // The quantized region (fed by DequantizeLinear / feeding QuantizeLinear) is not converted to fp16.
    for (const char* op : {"Conv", "MatMul"})
      for (const std::string& k : kernels_of(s, op)) EXPECT_NE(k.find("[fp32]"), std::string::npos) << describe(s);
    expect_qdq_match(cuda_run(*engine, "x", x, "y_dq", stream()), want, p == Precision::kFp32 ? "fp32" : "fp16");
  }
  BuilderConfig c = cuda_config();
  c.strongly_typed = true;
  auto typed = Engine::deserialize(build_plan(qdq_model(), c), "<qdq typed>");
  expect_qdq_match(cuda_run(*typed, "x", x, "y_dq", stream()), want, "strongly typed");
}

TEST_F(CudaTyped, Fp16PlansSizeArenaAndWeightsInFp16) {
  auto build = [&](Precision p) {
    BuilderConfig c = cuda_config(p);
    c.profiles.emplace_back();
    c.profiles.back().set_dimensions("x", {1, 16, 32, 32}, {4, 16, 32, 32}, {8, 16, 32, 32});
    return build_plan(conv_model(), c);
  };
  const std::string p32 = build(Precision::kFp32), p16 = build(Precision::kFp16), pb16 = build(Precision::kBf16);
  auto e32 = Engine::deserialize(p32, "<fp32>");
  auto e16 = Engine::deserialize(p16, "<fp16>");
  auto eb16 = Engine::deserialize(pb16, "<bf16>");
  const PlanSummary s32 = e32->summary(), s16 = e16->summary(), sb16 = eb16->summary();
  ASSERT_EQ(s32.memory.size(), 1u);
  ASSERT_EQ(s16.memory.size(), 1u);
  // Activations (8 x 32 x 32 x 32 floats at the max shape) in half: about half the arena.
  EXPECT_LE(s16.memory[0].arena_bytes * 10, s32.memory[0].arena_bytes * 6)
      << s16.memory[0].arena_bytes << " vs " << s32.memory[0].arena_bytes;
  // bf16: the cuDNN convolutions run in fp32 (layer_conv.cpp), so only the other layers' outputs shrink.
  EXPECT_LE(sb16.memory[0].arena_bytes, s32.memory[0].arena_bytes);
  // Weights converted at build: the conv weights in half (weights under 1024 elements stay fp32).
  EXPECT_LE(s16.weights_bytes * 10, s32.weights_bytes * 6) << s16.weights_bytes << " vs " << s32.weights_bytes;
  EXPECT_LT(p16.size(), p32.size());
  EXPECT_EQ(s16.precision, "fp16");
  auto c16 = e16->create_execution_context();
  EXPECT_EQ(c16->arena_bytes(), s16.memory[0].arena_bytes);
  for (int64_t n : {8, 2}) {
    const Tensor x = Tensor::from_vector<float>({n, 16, 32, 32}, random_floats(static_cast<size_t>(n * 16384), 3));
    const std::vector<float> want = ref_run(conv_model(), "x", x);
    EXPECT_TRUE(all_close(cuda_run(*e32, "x", x, "y", stream()), want, {1e-4, 1e-3})) << "fp32 batch " << n;
    EXPECT_TRUE(all_close(cuda_run(*e16, "x", x, "y", stream()), want, {2e-2, 2e-2})) << "fp16 batch " << n;
    EXPECT_TRUE(all_close(cuda_run(*eb16, "x", x, "y", stream()), want, {1e-1, 5e-2})) << "bf16 batch " << n;
  }
}

TEST_F(CudaTyped, ConvertedWeightsLoadNextToFloat32Activations) {
  const Tensor x = Tensor::from_vector<float>({16, 64}, random_floats(1024, 61));
  const std::vector<float> want = ref_run(bert_like(), "x", x);
  for (int opt : {0, 3}) {
    for (Precision p : {Precision::kFp16, Precision::kBf16}) {
      BuilderConfig c = cuda_config(p);
      c.optimization_level = opt;
      const std::string plan = build_plan(bert_like(), c);
      auto engine = Engine::deserialize(plan, "<bert-like>");
      // W (4096 elements) stored in half: 8 KiB instead of 16 (P, 1024 elements, too unless a fused layer reads it on
      // the host).
      EXPECT_LE(engine->summary().weights_bytes, 8192u + 4096u) << "opt " << opt;
      const Tol tol = p == Precision::kFp16 ? Tol{2e-2, 2e-2} : Tol{1e-1, 5e-2};
      EXPECT_TRUE(all_close(cuda_run(*engine, "x", x, "y", stream()), want, tol)) << "opt " << opt;
    }
  }
}

}  // namespace
}  // namespace onyx::cuda::test
