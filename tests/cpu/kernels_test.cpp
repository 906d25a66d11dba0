// cpu target kernels against the reference kernels of the same node, on random data with odd sizes (so gemm slices,
// tails of vector loops and im2col edges are all hit), including in-place outputs and run-time fallbacks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/parallel.h"
#include "cpu/kernels.h"
#include "cpu/pgemm.h"
#include "ops/op.h"
#include "ops/op_test_util.h"

namespace onyx {
namespace {

using test::attr_float;
using test::attr_int;
using test::attr_ints;
using test::attr_string;

Tensor random_tensor(std::vector<int64_t> dims, uint32_t seed, float lo = -2.f, float hi = 2.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  Tensor t(DType::kFloat32, std::move(dims));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(gen);
  return t;
}

struct Case {
  std::string domain;  // "" or "onyx"
  std::string op;
  int64_t opset = 17;
  std::vector<Tensor> inputs;  // an invalid Tensor = absent optional input
  std::vector<Attribute> attrs;
  std::string kernel;     // the cpu kernel expected to take the node
  bool in_place = false;  // the output is written over input 0 (same dims and dtype)
};

struct Ran {
  bool handled = false;
  Tensor cpu, ref;
  // With the weights (input 1) as an initializer and the kernel's load-time state (cpu::Kernel::prepare), when
  // the kernel has one and it applies: the packed-weights path.
  bool prepared = false, prepared_handled = false;
  Tensor cpu_prepared;
};

Ran run_both(const Case& c) {
  Graph g;
  std::vector<Value*> ins;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (!c.inputs[i].is_valid()) {
      ins.push_back(nullptr);
      continue;
    }
    Value* v = g.add_value("i" + std::to_string(i));
    v->type = TypeInfo::tensor(c.inputs[i].dtype(), Shape::from_dims(c.inputs[i].dims()));
    ins.push_back(v);
  }
  Node* n = g.add_node(c.op, c.domain, ins, {g.add_value("y")}, "node");
  n->opset = c.opset;
  n->attributes = c.attrs;
  const cpu::Kernel* k = cpu::choose_kernel(*n);
  Ran r;
  EXPECT_NE(k, nullptr) << c.op << " has no cpu kernel";
  if (!k) return r;
  EXPECT_EQ(k->name, c.kernel);
  EXPECT_EQ(cpu::find_kernel(k->name), k);

  std::vector<RunValue> in_values;
  for (const Tensor& t : c.inputs) in_values.push_back(t.is_valid() ? RunValue(t.clone()) : RunValue());
  std::vector<const RunValue*> in_ptrs;
  for (size_t i = 0; i < in_values.size(); ++i) in_ptrs.push_back(c.inputs[i].is_valid() ? &in_values[i] : nullptr);
  auto no_subgraphs = [](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
    fail_unsupported("no subgraphs here");
  };
  {
    std::vector<RunValue> outs(1);
    KernelContext ctx(*n, in_ptrs, outs, no_subgraphs);
    const cpu::OutputAllocator alloc = [&](size_t, DType dt, std::vector<int64_t> dims) {
      if (c.in_place) {
        Tensor& x = in_values[0].tensor;
        EXPECT_EQ(dims, x.dims());
        return Tensor::borrow(dt, std::move(dims), x.raw_data());
      }
      return Tensor(dt, std::move(dims));
    };
    r.handled = k->run(ctx, alloc);
    if (r.handled) r.cpu = outs[0].tensor.clone();
  }
  if (k->prepare && c.inputs.size() > 1 && c.inputs[1].is_valid() && !c.in_place) {
    n->input(1)->initializer = c.inputs[1].clone();
    const std::shared_ptr<const void> state = k->prepare(*n);
    n->input(1)->initializer.reset();
    if (state) {
      r.prepared = true;
      std::vector<RunValue> outs(1);
      KernelContext ctx(*n, in_ptrs, outs, no_subgraphs);
      const cpu::OutputAllocator alloc = [&](size_t, DType dt, std::vector<int64_t> dims) {
        return Tensor(dt, std::move(dims));
      };
      r.prepared_handled = k->run_prepared(ctx, alloc, state.get());
      if (r.prepared_handled) r.cpu_prepared = outs[0].tensor.clone();
    }
  }
  {
    std::vector<RunValue> ref_values;
    for (const Tensor& t : c.inputs) ref_values.push_back(t.is_valid() ? RunValue(t) : RunValue());
    std::vector<const RunValue*> ref_ptrs;
    for (size_t i = 0; i < ref_values.size(); ++i) ref_ptrs.push_back(c.inputs[i].is_valid() ? &ref_values[i] : nullptr);
    std::vector<RunValue> outs(1);
    KernelContext ctx(*n, ref_ptrs, outs, no_subgraphs);
    const OpSchema* s = OpRegistry::instance().find(c.domain, c.op, c.opset);
    EXPECT_TRUE(s && s->run);
    s->run(ctx);
    r.ref = outs[0].tensor;
  }
  return r;
}

void expect_close(const Tensor& got, const Tensor& want, float rtol = 1e-4f, float atol = 1e-5f) {
  ASSERT_EQ(got.dims(), want.dims());
  ASSERT_EQ(got.dtype(), want.dtype());
  const Tensor g = got.cast(DType::kFloat64), w = want.cast(DType::kFloat64);
  const double* gp = g.data<double>();
  const double* wp = w.data<double>();
  int bad = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const bool both_nan = std::isnan(gp[i]) && std::isnan(wp[i]);
    if (!both_nan && !(std::fabs(gp[i] - wp[i]) <= atol + rtol * std::fabs(wp[i]))) {
      if (++bad <= 5) ADD_FAILURE() << "element " << i << ": cpu " << gp[i] << ", ref " << wp[i];
    }
  }
  EXPECT_EQ(bad, 0);
}

void check(const Case& c, float rtol = 1e-4f, float atol = 1e-5f) {
  SCOPED_TRACE(c.domain + "." + c.op + " -> " + c.kernel);
  Ran r = run_both(c);
  ASSERT_TRUE(r.handled) << "the kernel fell back at run time";
  expect_close(r.cpu, r.ref, rtol, atol);
  if (r.prepared) {
    SCOPED_TRACE("with the kernel's load-time state");
    ASSERT_TRUE(r.prepared_handled) << "the prepared kernel fell back at run time";
    expect_close(r.cpu_prepared, r.ref, rtol, atol);
  }
}

// Runs each check with 1 and 2 threads (the gemm slices and parallel_for chunks differ).
class CpuKernels : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    saved_ = num_threads();
    set_num_threads(GetParam());
  }
  void TearDown() override { set_num_threads(saved_); }
  int saved_ = 1;
};

TEST_P(CpuKernels, ConvOddSizesStridesPadsDilations) {
  check({"", "Conv", 17,
         {random_tensor({2, 3, 7, 5}, 1), random_tensor({4, 3, 3, 2}, 2), random_tensor({4}, 3)},
         {attr_ints("strides", {2, 1}), attr_ints("pads", {1, 0, 1, 1})},
         "cpu.conv"});
  check({"", "Conv", 17,
         {random_tensor({1, 2, 9, 8}, 4), random_tensor({3, 2, 3, 3}, 5), Tensor()},
         {attr_ints("dilations", {2, 1}), attr_string("auto_pad", "SAME_UPPER")},
         "cpu.conv"});
  // A kernel wider than the input (rows and columns entirely in the padding), stride 3 with dilation.
  check({"", "Conv", 17, {random_tensor({1, 2, 3, 2}, 22), random_tensor({2, 2, 5, 5}, 23)},
         {attr_ints("pads", {2, 2, 2, 2})}, "cpu.conv"});
  check({"", "Conv", 17, {random_tensor({1, 2, 13, 14}, 24), random_tensor({3, 2, 3, 3}, 25)},
         {attr_ints("pads", {3, 1, 0, 4}), attr_ints("strides", {3, 3}), attr_ints("dilations", {2, 3})}, "cpu.conv"});
  // Batches of small images: one gemm over the whole batch (pointwise and 3x3), with residual and activation.
  check({"onyx", "FusedConv", 1,
         {random_tensor({3, 5, 7, 6}, 26), random_tensor({9, 5, 1, 1}, 27), random_tensor({9}, 28),
          random_tensor({3, 9, 7, 6}, 29)},
         {attr_string("activation", "Relu")}, "cpu.conv"});
  check({"onyx", "FusedConv", 1,
         {random_tensor({4, 6, 9, 7}, 30), random_tensor({70, 6, 3, 3}, 31), random_tensor({70}, 32)},
         {attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1}), attr_string("activation", "Relu")},
         "cpu.conv"}, 1e-4f, 1e-4f);
  // Pointwise (no im2col), grouped and depthwise.
  check({"", "Conv", 17, {random_tensor({2, 5, 7, 9}, 6), random_tensor({3, 5, 1, 1}, 7)}, {}, "cpu.conv"});
  check({"", "Conv", 17,
         {random_tensor({2, 4, 6, 5}, 8), random_tensor({6, 2, 3, 3}, 9), random_tensor({6}, 10)},
         {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})},
         "cpu.conv"});
  check({"", "Conv", 17,
         {random_tensor({1, 5, 6, 7}, 11), random_tensor({5, 1, 3, 3}, 12), random_tensor({5}, 13)},
         {attr_int("group", 5), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})},
         "cpu.conv"});
  // Large enough to split the gemm over threads (along N and along M), 1-D and 3-D convs.
  check({"", "Conv", 17, {random_tensor({1, 16, 33, 31}, 14), random_tensor({40, 16, 3, 3}, 15)}, {}, "cpu.conv"},
        1e-4f, 1e-4f);
  check({"", "Conv", 17, {random_tensor({2, 64, 5, 3}, 16), random_tensor({200, 64, 1, 1}, 17)}, {}, "cpu.conv"},
        1e-4f, 1e-4f);
  check({"", "Conv", 17, {random_tensor({2, 3, 11}, 18), random_tensor({4, 3, 3}, 19)}, {attr_ints("pads", {2, 1})},
         "cpu.conv"});
  check({"", "Conv", 17, {random_tensor({1, 2, 4, 5, 3}, 20), random_tensor({3, 2, 2, 3, 2}, 21)}, {},
         "cpu.conv"});
}

// Shapes that take the packed GEMM (src/cpu/pgemm.*) when the machine has AVX-512: enough output columns that
// the last register tile is mostly used, ragged last tiles of 16/32/48 columns, M not a multiple of 8, strides,
// dilations, asymmetric pads, tiles straddling images of a batch, residual and every activation.
TEST_P(CpuKernels, PackedGemmConvShapes) {
  // 3x3 pad 1 over 20x20 (400 columns: 8 full tiles + 16), M = 13.
  check({"", "Conv", 17, {random_tensor({1, 5, 20, 20}, 60), random_tensor({13, 5, 3, 3}, 61), random_tensor({13}, 62)},
         {attr_ints("pads", {1, 1, 1, 1})}, "cpu.conv"}, 1e-4f, 1e-4f);
  // Pointwise over 3 images of 7x7 side by side (147 columns: tiles straddle images), residual + ReLU.
  check({"onyx", "FusedConv", 1,
         {random_tensor({3, 24, 7, 7}, 63), random_tensor({40, 24, 1, 1}, 64), random_tensor({40}, 65),
          random_tensor({3, 40, 7, 7}, 66)},
         {attr_string("activation", "Relu")}, "cpu.conv"}, 1e-4f, 1e-4f);
  // 7x7 stride 2 pad 3 (ResNet's stem) on 2 images of 30x26: 15x13 outputs, 390 columns (ragged 6 -> 16).
  check({"onyx", "FusedConv", 1,
         {random_tensor({2, 3, 30, 26}, 67), random_tensor({16, 3, 7, 7}, 68), random_tensor({16}, 69)},
         {attr_ints("strides", {2, 2}), attr_ints("pads", {3, 3, 3, 3}), attr_string("activation", "Relu")},
         "cpu.conv"}, 1e-4f, 1e-4f);
  // Dilation, asymmetric pads, stride 1x2 (36 x 17 = 612 columns, ragged 36 -> 48), 1x1 stride 2 (downsample).
  check({"", "Conv", 17, {random_tensor({1, 4, 34, 33}, 70), random_tensor({9, 4, 3, 3}, 71)},
         {attr_ints("dilations", {2, 1}), attr_ints("pads", {3, 0, 3, 1}), attr_ints("strides", {1, 2})}, "cpu.conv"},
        1e-4f, 1e-4f);
  check({"", "Conv", 17, {random_tensor({2, 32, 28, 28}, 72), random_tensor({24, 32, 1, 1}, 73), random_tensor({24}, 74)},
         {attr_ints("strides", {2, 2})}, "cpu.conv"}, 1e-4f, 1e-4f);
  for (const char* act : {"", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu", "GeluTanh"}) {
    SCOPED_TRACE(act);
    check({"onyx", "FusedConv", 1,
           {random_tensor({2, 6, 12, 10}, 75), random_tensor({11, 6, 3, 3}, 76), random_tensor({11}, 77),
            random_tensor({2, 11, 12, 10}, 78)},
           {attr_ints("pads", {1, 1, 1, 1}), attr_string("activation", act), attr_float("activation_alpha", -0.5f),
            attr_float("activation_beta", 0.75f)},
           "cpu.conv"}, 1e-4f, 1e-4f);
  }
}

// Stride-1 shapes that the packed GEMM reads in place (pgemm_direct: no packing, rows computed "wide" over the
// zero-padded image and cut at the store) when the machine has AVX-512. The ctest entries
// cpu_conv_path_{packed,direct,transposed} run every conv test with ONYX_CPU_CONV set to each path.
TEST_P(CpuKernels, DirectGemmConvShapes) {
  // ResNet's layer 4 at batch 1: pointwise over 7x7 (49 columns: a full tile and one masked column), residual + ReLU.
  check({"onyx", "FusedConv", 1,
         {random_tensor({1, 40, 7, 7}, 80), random_tensor({24, 40, 1, 1}, 81), random_tensor({24}, 82),
          random_tensor({1, 24, 7, 7}, 83)},
         {attr_string("activation", "Relu")}, "cpu.conv"}, 1e-4f, 1e-4f);
  // 3x3 pad 1 over 7x7 (rows of pitch 9, 61 virtual columns), M = 20 (ragged last row panel).
  check({"onyx", "FusedConv", 1,
         {random_tensor({1, 16, 7, 7}, 84), random_tensor({20, 16, 3, 3}, 85), random_tensor({20}, 86)},
         {attr_ints("pads", {1, 1, 1, 1}), attr_string("activation", "Relu")}, "cpu.conv"}, 1e-4f, 1e-4f);
  // Asymmetric pads, 3x2 kernel, two images, an activation applied after the store.
  check({"onyx", "FusedConv", 1,
         {random_tensor({2, 5, 23, 19}, 87), random_tensor({9, 5, 3, 2}, 88), random_tensor({9}, 89),
          random_tensor({2, 9, 23, 19}, 90)},
         {attr_ints("pads", {0, 1, 2, 0}), attr_string("activation", "Tanh")}, "cpu.conv"}, 1e-4f, 1e-4f);
  // No padding at all (5x5 valid conv: the images are read where they are, up to their very last float).
  check({"", "Conv", 17, {random_tensor({1, 3, 20, 17}, 91), random_tensor({8, 3, 5, 5}, 92)}, {}, "cpu.conv"},
        1e-4f, 1e-4f);
  // Large enough to split over threads along M and along column blocks (56x56 pointwise, 3x3 over 28x28).
  check({"", "Conv", 17, {random_tensor({1, 64, 56, 56}, 93), random_tensor({32, 64, 1, 1}, 94)}, {}, "cpu.conv"},
        1e-4f, 1e-4f);
  check({"", "Conv", 17, {random_tensor({1, 32, 28, 28}, 95), random_tensor({64, 32, 3, 3}, 96), random_tensor({64}, 97)},
         {attr_ints("pads", {1, 1, 1, 1})}, "cpu.conv"}, 1e-4f, 1e-4f);
}

// Shapes of the transposed path (pgemm_t: channels as vector lanes, positions of short output rows broadcast in
// place): rows of <= 14 outputs with >= 96 channels when the machine has AVX-512.
TEST_P(CpuKernels, TransposedGemmConvShapes) {
  // 3x3 pad 1 over 7x7, two images, M = 100 (two full 48-channel panels and a 4-channel one), residual + ReLU.
  check({"onyx", "FusedConv", 1,
         {random_tensor({2, 16, 7, 7}, 100), random_tensor({100, 16, 3, 3}, 101), random_tensor({100}, 102),
          random_tensor({2, 100, 7, 7}, 103)},
         {attr_ints("pads", {1, 1, 1, 1}), attr_string("activation", "Relu")}, "cpu.conv"}, 1e-4f, 1e-4f);
  // ResNet's stride-2 convs into 7x7: 3x3 pad 1 from 14x14 and the 1x1 downsample.
  check({"onyx", "FusedConv", 1,
         {random_tensor({1, 24, 14, 14}, 104), random_tensor({96, 24, 3, 3}, 105), random_tensor({96}, 106)},
         {attr_ints("pads", {1, 1, 1, 1}), attr_ints("strides", {2, 2}), attr_string("activation", "Relu")},
         "cpu.conv"}, 1e-4f, 1e-4f);
  check({"", "Conv", 17, {random_tensor({1, 40, 14, 14}, 107), random_tensor({128, 40, 1, 1}, 108)},
         {attr_ints("strides", {2, 2})}, "cpu.conv"}, 1e-4f, 1e-4f);
  // Rows of 11 (8 positions and a tail of 3), dilation 2, asymmetric pads, an activation applied after the store.
  check({"onyx", "FusedConv", 1,
         {random_tensor({1, 8, 13, 11}, 109), random_tensor({97, 8, 3, 3}, 110), random_tensor({97}, 111)},
         {attr_ints("pads", {2, 1, 2, 3}), attr_ints("dilations", {2, 2}), attr_string("activation", "HardSwish")},
         "cpu.conv"}, 1e-4f, 1e-4f);
  // 14x14 pointwise with more channels than 48 * threads' worth of tasks.
  check({"", "Conv", 17, {random_tensor({1, 64, 14, 14}, 112), random_tensor({256, 64, 1, 1}, 113), random_tensor({256}, 114)},
         {}, "cpu.conv"}, 1e-4f, 1e-4f);
}

TEST(CpuKernelPrepare, PackedWeightsOnlyForUngroupedConstantFloatConvs) {
  Graph g;
  Value* x = g.add_value("x");
  Value* w = g.add_value("w");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape::from_dims({1, 3, 8, 8}));
  w->type = TypeInfo::tensor(DType::kFloat32, Shape::from_dims({4, 3, 3, 3}));
  Node* n = g.add_node("Conv", "", {x, w}, {g.add_value("y")}, "conv");
  n->opset = 17;
  const cpu::Kernel* k = cpu::choose_kernel(*n);
  ASSERT_NE(k, nullptr);
  ASSERT_NE(k->prepare, nullptr);
  EXPECT_EQ(k->prepare(*n), nullptr) << "weights that are not constant cannot be packed at load";
  w->initializer = random_tensor({4, 3, 3, 3}, 1);
  EXPECT_EQ(k->prepare(*n) != nullptr, cpu::pgemm_available()) << "constant float weights are packed (AVX-512)";
  n->attributes = {attr_int("group", 3)};
  EXPECT_EQ(k->prepare(*n), nullptr) << "grouped convs keep the per-group gemm";
  n->attributes = {};
  w->initializer = random_tensor({4, 3, 3, 3}, 1).cast(DType::kFloat64);
  EXPECT_EQ(k->prepare(*n), nullptr) << "only float32 weights are packed";
}

TEST_P(CpuKernels, FusedConvResidualAndEveryActivation) {
  const std::vector<int64_t> out = {2, 6, 5, 4};
  for (const char* act : {"", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Gelu",
                          "GeluTanh"}) {
    SCOPED_TRACE(act);
    check({"onyx", "FusedConv", 1,
           {random_tensor({2, 3, 5, 4}, 30), random_tensor({6, 3, 3, 3}, 31), random_tensor({6}, 32),
            random_tensor(out, 33)},
           {attr_ints("pads", {1, 1, 1, 1}), attr_string("activation", act), attr_float("activation_alpha", -0.5f),
            attr_float("activation_beta", 0.75f)},
           "cpu.conv"});
  }
  // Depthwise (direct kernel): dilation, 5x5, residual, stride 2; and a channel multiplier (grouped gemm path).
  check({"onyx", "FusedConv", 1,
         {random_tensor({2, 7, 9, 10}, 39), random_tensor({7, 1, 5, 5}, 40), random_tensor({7}, 41),
          random_tensor({2, 7, 5, 10}, 42)},
         {attr_int("group", 7), attr_ints("dilations", {2, 1}), attr_ints("pads", {2, 2, 2, 2}),
          attr_string("activation", "HardSwish")},
         "cpu.conv"});
  check({"onyx", "FusedConv", 1,
         {random_tensor({1, 6, 11, 12}, 43), random_tensor({6, 1, 3, 3}, 44), random_tensor({6}, 45)},
         {attr_int("group", 6), attr_ints("strides", {2, 2}), attr_ints("pads", {0, 1, 1, 0}),
          attr_string("activation", "Relu")},
         "cpu.conv"});
  check({"", "Conv", 17, {random_tensor({1, 3, 6, 5}, 46), random_tensor({6, 1, 3, 3}, 47)},
         {attr_int("group", 3), attr_ints("pads", {1, 1, 1, 1})},
         "cpu.conv"});
  // Without residual and bias.
  check({"onyx", "FusedConv", 1, {random_tensor({1, 3, 6, 6}, 34), random_tensor({4, 3, 1, 1}, 35)},
         {attr_string("activation", "Relu")},
         "cpu.conv"});
}

TEST_P(CpuKernels, ConvResidualOfAnotherShapeFallsBack) {
  Case c{"onyx", "FusedConv", 1,
         {random_tensor({1, 3, 5, 4}, 36), random_tensor({6, 3, 3, 3}, 37), Tensor(), random_tensor({1, 6, 1, 1}, 38)},
         {attr_ints("pads", {1, 1, 1, 1})},
         "cpu.conv"};
  EXPECT_FALSE(run_both(c).handled);
}

TEST_P(CpuKernels, MatMulBatchingAndBroadcast) {
  check({"", "MatMul", 13, {random_tensor({3, 5, 7}, 40), random_tensor({7, 9}, 41)}, {}, "cpu.matmul"});
  check({"", "MatMul", 13, {random_tensor({2, 1, 4, 6}, 42), random_tensor({3, 6, 5}, 43)}, {}, "cpu.matmul"});
  check({"", "MatMul", 13, {random_tensor({7}, 44), random_tensor({2, 7, 4}, 45)}, {}, "cpu.matmul"});
  check({"", "MatMul", 13, {random_tensor({5, 7}, 46), random_tensor({7}, 47)}, {}, "cpu.matmul"});
  check({"", "MatMul", 13, {random_tensor({130, 300}, 48), random_tensor({300, 70}, 49)}, {}, "cpu.matmul"}, 1e-4f,
        1e-4f);
  check({"", "MatMul", 13, {random_tensor({4, 3, 60, 64}, 50), random_tensor({4, 3, 64, 60}, 51)}, {}, "cpu.matmul"},
        1e-4f, 1e-4f);
}

TEST_P(CpuKernels, FusedMatMulBiasAndActivations) {
  for (const char* act : {"", "Relu", "Gelu", "GeluTanh", "Sigmoid", "Tanh", "HardSwish"}) {
    SCOPED_TRACE(act);
    check({"onyx", "FusedMatMul", 1,
           {random_tensor({2, 9, 33}, 60), random_tensor({33, 17}, 61), random_tensor({17}, 62)},
           {attr_string("activation", act)},
           "cpu.matmul"});
  }
  // Full-shape bias, bias [1, N], batched B.
  check({"onyx", "FusedMatMul", 1,
         {random_tensor({2, 9, 33}, 63), random_tensor({33, 17}, 64), random_tensor({2, 9, 17}, 65)},
         {},
         "cpu.matmul"});
  check({"onyx", "FusedMatMul", 1,
         {random_tensor({3, 4, 8}, 66), random_tensor({3, 8, 5}, 67), random_tensor({1, 5}, 68)},
         {attr_string("activation", "Relu")},
         "cpu.matmul"});
  // Constant 2-D right operands take the packed path (pgemm_rows) on AVX-512 machines: ragged rows (130) and
  // columns (100 = 48 + 48 + 4), enough panels to split over threads, transB with alpha 1, a 1-D left operand,
  // and a scalar bias (not per column: the unpacked path).
  check({"onyx", "FusedMatMul", 1,
         {random_tensor({2, 65, 96}, 72), random_tensor({96, 100}, 73), random_tensor({100}, 74)},
         {attr_string("activation", "Relu")}, "cpu.matmul"}, 1e-4f, 1e-4f);
  check({"onyx", "FusedMatMul", 1,
         {random_tensor({37, 40}, 75), random_tensor({150, 40}, 76), random_tensor({1, 150}, 77)},
         {attr_int("transB", 1), attr_string("activation", "Gelu")}, "cpu.matmul"}, 1e-4f, 1e-4f);
  check({"", "MatMul", 13, {random_tensor({40}, 78), random_tensor({40, 50}, 79)}, {}, "cpu.matmul"});
  check({"onyx", "FusedMatMul", 1, {random_tensor({5, 40}, 80), random_tensor({40, 50}, 81), random_tensor({1}, 82)},
         {}, "cpu.matmul"});
  // The Gemm form: transB and alpha, bias as Gemm's C ([N], [M, 1], [M, N], scalar).
  for (const std::vector<int64_t>& bias : std::vector<std::vector<int64_t>>{{20}, {11, 1}, {11, 20}, {1}}) {
    check({"onyx", "FusedMatMul", 1,
           {random_tensor({11, 13}, 69), random_tensor({20, 13}, 70), random_tensor(bias, 71)},
           {attr_int("transB", 1), attr_float("alpha", 0.5f), attr_string("activation", "Gelu")},
           "cpu.matmul"});
  }
}

TEST_P(CpuKernels, GemmTransposesAlphaBetaAndC) {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      const int64_t m = 37, k = 19, n = 45;
      Tensor a = ta ? random_tensor({k, m}, 80) : random_tensor({m, k}, 80);
      Tensor b = tb ? random_tensor({n, k}, 81) : random_tensor({k, n}, 81);
      for (const std::vector<int64_t>& c : std::vector<std::vector<int64_t>>{{n}, {m, 1}, {m, n}, {1, 1}, {1, n}}) {
        check({"", "Gemm", 13,
               {a, b, random_tensor(c, 82)},
               {attr_int("transA", ta), attr_int("transB", tb), attr_float("alpha", 1.5f), attr_float("beta", -0.25f)},
               "cpu.gemm"});
      }
      check({"", "Gemm", 13, {a, b}, {attr_int("transA", ta), attr_int("transB", tb)}, "cpu.gemm"});
      // One row (a fully connected layer at batch 1: a matrix-vector product), large enough to split over threads.
      const int64_t k1 = 300, n1 = 700;
      Tensor a1 = ta ? random_tensor({k1, 1}, 83) : random_tensor({1, k1}, 83);
      Tensor b1 = tb ? random_tensor({n1, k1}, 84) : random_tensor({k1, n1}, 84);
      check({"", "Gemm", 13, {a1, b1, random_tensor({n1}, 85)},
             {attr_int("transA", ta), attr_int("transB", tb), attr_float("alpha", 0.5f), attr_float("beta", 2.0f)},
             "cpu.gemm"}, 1e-4f, 1e-4f);
    }
}

TEST_P(CpuKernels, Pooling) {
  check({"", "MaxPool", 12,
         {random_tensor({2, 3, 9, 8}, 90)},
         {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1}),
          attr_int("ceil_mode", 1)},
         "cpu.maxpool2d"});
  check({"", "MaxPool", 12,
         {random_tensor({1, 2, 10, 7}, 91)},
         {attr_ints("kernel_shape", {2, 3}), attr_ints("dilations", {2, 1}), attr_ints("pads", {0, 2, 1, 0})},
         "cpu.maxpool2d"});
  // NaN inputs: the first tap inside the input starts the max, later NaNs never win (as the reference).
  Tensor with_nan = random_tensor({1, 2, 7, 7}, 94);
  for (int64_t i = 0; i < with_nan.numel(); i += 5) with_nan.data<float>()[i] = std::nanf("");
  check({"", "MaxPool", 12, {with_nan},
         {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1}), attr_ints("strides", {2, 1})},
         "cpu.maxpool2d"});
  check({"", "GlobalAveragePool", 1, {random_tensor({2, 3, 5, 7}, 92)}, {}, "cpu.global_avgpool"});
  check({"", "GlobalAveragePool", 1, {random_tensor({2, 3, 4}, 93)}, {}, "cpu.global_avgpool"});
}

TEST_P(CpuKernels, SoftmaxLastAxisAndInPlace) {
  check({"", "Softmax", 13, {random_tensor({3, 4, 37}, 100, -20.f, 20.f)}, {}, "cpu.softmax_last_axis"});
  check({"", "Softmax", 11, {random_tensor({3, 4, 37}, 101)}, {attr_int("axis", 2)}, "cpu.softmax_last_axis"});
  Case in_place{"", "Softmax", 13, {random_tensor({5, 129}, 102)}, {}, "cpu.softmax_last_axis", true};
  check(in_place);
  // Another axis: the reference runs.
  Case other{"", "Softmax", 13, {random_tensor({3, 4, 5}, 103)}, {attr_int("axis", 1)}, "cpu.softmax_last_axis"};
  EXPECT_FALSE(run_both(other).handled);
}

TEST_P(CpuKernels, LayerNormalization) {
  check({"", "LayerNormalization", 17,
         {random_tensor({2, 5, 33}, 110), random_tensor({33}, 111), random_tensor({33}, 112)},
         {attr_float("epsilon", 1e-3f)},
         "cpu.layer_norm"});
  check({"", "LayerNormalization", 17, {random_tensor({2, 5, 6}, 113), random_tensor({5, 6}, 114)},
         {attr_int("axis", -2)},
         "cpu.layer_norm"});
  check({"onyx", "LayerNormalization", 1,
         {random_tensor({4, 768}, 115), random_tensor({768}, 116), random_tensor({768}, 117)},
         {},
         "cpu.layer_norm"});
  Case in_place{"", "LayerNormalization", 17, {random_tensor({3, 65}, 118), random_tensor({65}, 119)}, {},
                "cpu.layer_norm", true};
  check(in_place);
}

TEST_P(CpuKernels, AttentionMasksAndScales) {
  const Tensor q = random_tensor({2, 3, 5, 4}, 120), kt = random_tensor({2, 3, 4, 7}, 121),
               v = random_tensor({2, 3, 7, 6}, 122);
  check({"onyx", "Attention", 1, {q, kt, v}, {}, "cpu.attention"});
  check({"onyx", "Attention", 1, {q, kt, v, random_tensor({2, 1, 1, 7}, 123, -5.f, 0.f)},
         {attr_float("scale", 2.0f), attr_int("scale_is_divisor", 1)},
         "cpu.attention"});
  check({"onyx", "Attention", 1, {q, kt, v, random_tensor({5, 7}, 124)}, {attr_float("scale", 0.125f)},
         "cpu.attention"});
  check({"onyx", "Attention", 1, {q, kt, v, random_tensor({2, 3, 5, 7}, 125)}, {}, "cpu.attention"});
  // 3-D, one batch dim.
  check({"onyx", "Attention", 1,
         {random_tensor({4, 9, 8}, 126), random_tensor({4, 8, 11}, 127), random_tensor({4, 11, 8}, 128),
          random_tensor({1, 1, 11}, 129)},
         {},
         "cpu.attention"});
  // A mask that would broadcast the scores up: the reference runs.
  Case bigger{"onyx", "Attention", 1, {q, kt, v, random_tensor({4, 2, 3, 5, 7}, 130)}, {}, "cpu.attention"};
  EXPECT_FALSE(run_both(bigger).handled);
}

TEST_P(CpuKernels, GeluAndTranspose) {
  check({"", "Gelu", 20, {random_tensor({3, 1001}, 140, -8.f, 8.f)}, {}, "cpu.gelu"});
  check({"", "Gelu", 20, {random_tensor({3, 1001}, 141, -8.f, 8.f)}, {attr_string("approximate", "tanh")},
         "cpu.gelu"});
  Case in_place{"onyx", "Gelu", 1, {random_tensor({77}, 142)}, {}, "cpu.gelu", true};
  check(in_place);
  check({"", "Transpose", 13, {random_tensor({2, 3, 4, 5}, 150)}, {attr_ints("perm", {0, 2, 3, 1})}, "cpu.transpose"});
  check({"", "Transpose", 13, {random_tensor({2, 3, 4, 5}, 151)}, {attr_ints("perm", {3, 1, 0, 2})}, "cpu.transpose"});
  check({"", "Transpose", 13, {random_tensor({6, 7}, 152)}, {}, "cpu.transpose"});
  Tensor ints = Tensor::from_vector<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  check({"", "Transpose", 13, {ints}, {}, "cpu.transpose"});
}

TEST_P(CpuKernels, EmptyTensors) {
  check({"", "Conv", 17, {random_tensor({0, 3, 5, 5}, 160), random_tensor({4, 3, 3, 3}, 161)}, {}, "cpu.conv"});
  check({"", "Softmax", 13, {random_tensor({0, 7}, 162)}, {}, "cpu.softmax_last_axis"});
  check({"", "Transpose", 13, {random_tensor({0, 7}, 163)}, {}, "cpu.transpose"});
}

INSTANTIATE_TEST_SUITE_P(Threads, CpuKernels, ::testing::Values(1, 2));

TEST(CpuKernelChoice, OtherDtypesGoToTheReference) {
  Graph g;
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat64, Shape::from_dims({1, 2, 3, 3}));
  Value* w = g.add_value("w");
  w->type = TypeInfo::tensor(DType::kFloat64, Shape::from_dims({1, 2, 1, 1}));
  Node* n = g.add_node("Conv", "", {x, w}, {g.add_value("y")}, "conv");
  n->opset = 17;
  EXPECT_EQ(cpu::choose_kernel(*n), nullptr);
  EXPECT_EQ(cpu::find_kernel("cpu.no_such_kernel"), nullptr);
}

}  // namespace
}  // namespace onyx
