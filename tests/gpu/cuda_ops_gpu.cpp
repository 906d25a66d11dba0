// GPU tests of the node-suite coverage kernels (src/cuda/ops_*.cu) through their cuda layers (layers_*_ext.cpp):
// each case is a one-node model run on the `cuda` backend (the engine builds the layer and runs the kernel) and on
// the ref interpreter, on random data, compared element by element: integers and bools exactly, floats within
// 1e-5 abs + 1e-4 rel in fp32 (1e-2 + 1e-2 rel for the `cuda:fp16` cases, whose inputs round to half). Cases cover
// broadcasting, negative axes, empty tensors, float64 / integer dtypes and attribute variants. Kernel-level tests
// check what the engine cannot reach: host-side errors and the out-of-range index flag.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/ops_kernels.h"
#include "gpu/gpu_test_util.h"
#include "onyx/error.h"
#include "onyx/ref.h"
#include "onyx/runner.h"
#include "ops/op_test_util.h"

namespace onyx::cuda::test {
namespace {

using onyx::test::attr_float;
using onyx::test::attr_int;
using onyx::test::attr_ints;
using onyx::test::attr_string;
using onyx::test::SingleOp;
using Shape = std::vector<int64_t>;

// Random tensor of any numeric dtype or bool: floats uniform in [lo, hi), integers rounded from it.
Tensor rnd(DType t, Shape dims, uint32_t seed, double lo = -2, double hi = 2) {
  Tensor d(DType::kFloat64, dims);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  double* p = d.data<double>();
  const bool integral = t != DType::kFloat32 && t != DType::kFloat64 && t != DType::kFloat16 &&
                        t != DType::kBFloat16;
  for (int64_t i = 0; i < d.numel(); ++i) {
    p[i] = dist(rng);
    if (integral) p[i] = std::round(p[i]);
    if (t == DType::kBool) p[i] = p[i] > (lo + hi) / 2 ? 1 : 0;
  }
  return t == DType::kFloat64 ? d : d.cast(t);
}
Attribute attr_strings(const std::string& name, std::vector<std::string> v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kStrings;
  a.strings = std::move(v);
  return a;
}
Tensor ints(Shape dims, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(std::move(dims), v); }
Tensor floats(Shape dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

std::string compare(const Tensor& want, const Tensor& got, double atol, double rtol) {
  std::ostringstream os;
  if (want.dtype() != got.dtype()) {
    os << "dtype " << dtype_name(got.dtype()) << ", want " << dtype_name(want.dtype());
    return os.str();
  }
  if (want.dims() != got.dims()) {
    os << "shape " << got.describe() << ", want " << want.describe();
    return os.str();
  }
  const bool exact = !(want.dtype() == DType::kFloat32 || want.dtype() == DType::kFloat64 ||
                       want.dtype() == DType::kFloat16 || want.dtype() == DType::kBFloat16);
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double w = want.get_double(i), g = got.get_double(i);
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && w == g) continue;
    const bool ok = exact ? w == g : std::fabs(w - g) <= atol + rtol * std::fabs(w);
    if (!ok) {
      os << "element " << i << ": got " << g << ", want " << w;
      return os.str();
    }
  }
  return "";
}

// ONYX_GPU_OPS_BACKEND=ref (or cpu) runs the engine cases on that backend instead, without a GPU: a check of the
// cases themselves.
const char* backend_override() { return std::getenv("ONYX_GPU_OPS_BACKEND"); }

// Runs `op` on ref and on `backend`; every output must match.
void expect_same(const SingleOp& op, std::string backend = "cuda", double atol = 1e-5, double rtol = 1e-4) {
  if (backend_override()) backend = backend_override();
  std::string what = op.op_type + " opset " + std::to_string(op.opset) + " on " + backend + " (";
  for (const Tensor& t : op.inputs) what += (t.is_valid() ? t.describe() : std::string("-")) + " ";
  for (const Attribute& a : op.attributes) what += a.name + "=" + a.to_string() + " ";
  SCOPED_TRACE(what + ")");
  std::vector<Tensor> want;
  try {
    want = op.run();
  } catch (const Error& e) {
    FAIL() << "ref failed: " << e.what();
  }
  ModelLoader loader = [&op] {
    std::shared_ptr<Model> m = op.build();
    prepare_model(*m);
    return m;
  };
  NamedTensors feeds;
  for (size_t i = 0; i < op.inputs.size(); ++i) {
    bool constant = false;
    for (size_t c : op.constant_inputs) constant |= c == i;
    if (op.inputs[i].is_valid() && !constant) feeds.emplace_back("in" + std::to_string(i), op.inputs[i]);
  }
  NamedTensors got;
  try {
    std::unique_ptr<Runner> r = make_runner(backend, loader);
    RunnerActivation active(*r);
    got = r->infer(feeds);
  } catch (const Error& e) {
    FAIL() << backend << " failed: " << e.what();
  }
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string diff = compare(want[i], got[i].second, atol, rtol);
    EXPECT_TRUE(diff.empty()) << "output " << i << ": " << diff;
  }
}
void expect_same_fp16(const SingleOp& op) { expect_same(op, "cuda:fp16", 1e-2, 1e-2); }

SingleOp op1(std::string type, std::vector<Tensor> in, std::vector<Attribute> attrs = {}, int64_t opset = 18) {
  SingleOp op;
  op.op_type = std::move(type);
  op.inputs = std::move(in);
  op.attributes = std::move(attrs);
  op.opset = opset;
  return op;
}

class CudaOps : public ::testing::Test {
 protected:
  void SetUp() override {
    if (backend_override()) return;
    if (cuda_devices().empty()) GTEST_SKIP() << "no CUDA device: " << cuda_status();
    stream_ = std::make_unique<Stream>();
  }
  cudaStream_t stream() const { return stream_->get(); }
  void sync() const { stream_->synchronize(); }
  bool kernels() const { return stream_ != nullptr; }

 private:
  std::unique_ptr<Stream> stream_;
};

// ---- elementwise -----------------------------------------------------------------------------------------------
TEST_F(CudaOps, UnaryMath) {
  struct U {
    const char* op;
    double lo, hi;
    std::vector<Attribute> attrs;
  };
  const std::vector<U> cases = {
      {"Tan", -1.2, 1.2, {}},         {"Asin", -0.95, 0.95, {}},  {"Acos", -0.95, 0.95, {}},
      {"Atan", -3, 3, {}},            {"Sinh", -3, 3, {}},        {"Cosh", -3, 3, {}},
      {"Asinh", -3, 3, {}},           {"Acosh", 1.05, 4, {}},     {"Atanh", -0.95, 0.95, {}},
      {"Softsign", -3, 3, {}},        {"Celu", -3, 3, {attr_float("alpha", 2.f)}},
      {"Mish", -5, 5, {}},            {"ThresholdedRelu", -2, 2, {attr_float("alpha", 0.5f)}},
      {"Shrink", -2, 2, {attr_float("lambd", 0.7f), attr_float("bias", 0.2f)}},
  };
  uint32_t seed = 1;
  for (const U& u : cases) {
    for (DType t : {DType::kFloat32, DType::kFloat64}) {
      expect_same(op1(u.op, {rnd(t, {3, 17}, seed++, u.lo, u.hi)}, u.attrs));
    }
  }
  expect_same(op1("Tan", {rnd(DType::kFloat32, {0, 4}, 9)}));  // empty
  expect_same_fp16(op1("Sinh", {rnd(DType::kFloat32, {4, 33}, 10)}));
}

TEST_F(CudaOps, UnaryFallbacksForOtherDtypes) {
  expect_same(op1("Relu", {rnd(DType::kFloat64, {5, 7}, 1)}));
  expect_same(op1("Exp", {rnd(DType::kFloat64, {5, 7}, 2)}));
  expect_same(op1("Selu", {rnd(DType::kFloat64, {5, 7}, 3)}));
  expect_same(op1("HardSigmoid", {rnd(DType::kFloat64, {5, 7}, 4)}, {attr_float("alpha", 0.3f)}));
  expect_same(op1("Abs", {rnd(DType::kInt32, {5, 7}, 5, -50, 50)}));
  expect_same(op1("Neg", {rnd(DType::kInt8, {5, 7}, 6, -50, 50)}));
  expect_same(op1("Sign", {rnd(DType::kInt64, {5, 7}, 7, -5, 5)}));
}

TEST_F(CudaOps, IsNanIsInfNot) {
  const float inf = INFINITY, nan = NAN;
  const Tensor x = floats({2, 3}, {1.f, inf, -inf, nan, 0.f, -2.f});
  expect_same(op1("IsNaN", {x}));
  expect_same(op1("IsInf", {x}));
  expect_same(op1("IsInf", {x}, {attr_int("detect_negative", 0)}));
  expect_same(op1("IsInf", {x}, {attr_int("detect_positive", 0)}));
  expect_same(op1("Not", {rnd(DType::kBool, {4, 5}, 1)}));
  expect_same(op1("BitwiseNot", {rnd(DType::kInt16, {4, 5}, 2, -100, 100)}));
  expect_same(op1("BitwiseNot", {rnd(DType::kUInt8, {4, 5}, 3, 0, 255)}));
}

TEST_F(CudaOps, ComparisonsBroadcast) {
  uint32_t s = 1;
  for (const char* op : {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"}) {
    expect_same(op1(op, {rnd(DType::kInt64, {3, 1, 4}, s++, -3, 3), rnd(DType::kInt64, {5, 1}, s++, -3, 3)}));
    expect_same(op1(op, {rnd(DType::kFloat32, {2, 3, 4}, s++), rnd(DType::kFloat32, {4}, s++)}));
    expect_same(op1(op, {rnd(DType::kUInt8, {6}, s++, 0, 5), rnd(DType::kUInt8, {1}, s++, 0, 5)}));
    expect_same(op1(op, {rnd(DType::kFloat64, {2, 0, 3}, s++), rnd(DType::kFloat64, {3}, s++)}));  // empty
  }
  expect_same(op1("Equal", {rnd(DType::kBool, {3, 4}, s++), rnd(DType::kBool, {4}, s++)}));
}

TEST_F(CudaOps, LogicBitwiseModPRelu) {
  uint32_t s = 1;
  for (const char* op : {"And", "Or", "Xor"})
    expect_same(op1(op, {rnd(DType::kBool, {3, 1, 5}, s++), rnd(DType::kBool, {4, 1}, s++)}));
  for (const char* op : {"BitwiseAnd", "BitwiseOr", "BitwiseXor"})
    expect_same(op1(op, {rnd(DType::kInt32, {3, 5}, s++, -99, 99), rnd(DType::kInt32, {5}, s++, -99, 99)}));
  for (const char* dir : {"LEFT", "RIGHT"}) {
    expect_same(op1("BitShift", {rnd(DType::kUInt8, {3, 4}, s++, 0, 255), rnd(DType::kUInt8, {4}, s++, 0, 7)},
                    {attr_string("direction", dir)}));
    expect_same(op1("BitShift", {rnd(DType::kUInt32, {3, 4}, s++, 0, 1e6), rnd(DType::kUInt32, {1}, s++, 0, 9)},
                    {attr_string("direction", dir)}));
  }
  expect_same(op1("Mod", {rnd(DType::kInt32, {4, 6}, s++, -20, 20), rnd(DType::kInt32, {6}, s++, 1, 7)}));
  expect_same(op1("Mod", {rnd(DType::kInt64, {4, 6}, s++, -20, 20), rnd(DType::kInt64, {6}, s++, -7, -1)}));
  expect_same(op1("Mod", {rnd(DType::kFloat32, {4, 6}, s++, -9, 9), rnd(DType::kFloat32, {6}, s++, 0.5, 3)},
                  {attr_int("fmod", 1)}));
  expect_same(op1("Mod", {rnd(DType::kUInt16, {4, 6}, s++, 0, 900), rnd(DType::kUInt16, {1}, s++, 1, 30)}));
  expect_same(op1("PRelu", {rnd(DType::kFloat32, {2, 3, 4}, s++), rnd(DType::kFloat32, {3, 1}, s++)}));
  expect_same(op1("PRelu", {rnd(DType::kFloat64, {2, 3, 4}, s++), rnd(DType::kFloat64, {4}, s++)}));
}

TEST_F(CudaOps, VariadicAndArithmeticFallbacks) {
  uint32_t s = 1;
  expect_same(op1("Mean", {rnd(DType::kFloat32, {2, 3, 4}, s++), rnd(DType::kFloat32, {3, 1}, s++),
                           rnd(DType::kFloat32, {4}, s++)}));
  expect_same(op1("Mean", {rnd(DType::kFloat32, {5}, s++)}));
  expect_same(op1("Sum", {rnd(DType::kFloat64, {2, 3}, s++), rnd(DType::kFloat64, {3}, s++),
                          rnd(DType::kFloat64, {2, 1}, s++)}));
  expect_same(op1("Max", {rnd(DType::kFloat64, {2, 3}, s++), rnd(DType::kFloat64, {3}, s++),
                          rnd(DType::kFloat64, {1}, s++)}));
  expect_same(op1("Min", {rnd(DType::kUInt16, {2, 3}, s++, 0, 99), rnd(DType::kUInt16, {3}, s++, 0, 99)}));
  expect_same(op1("Add", {rnd(DType::kUInt8, {3, 4}, s++, 0, 200), rnd(DType::kUInt8, {4}, s++, 0, 200)}));
  expect_same(op1("Div", {rnd(DType::kInt16, {3, 4}, s++, -99, 99), rnd(DType::kInt16, {4}, s++, 1, 9)}));
  expect_same(op1("Mul", {rnd(DType::kFloat64, {3, 4}, s++), rnd(DType::kFloat64, {3, 1}, s++)}));
  expect_same(op1("Pow", {rnd(DType::kFloat32, {3, 4}, s++, 0.5, 2), rnd(DType::kInt64, {4}, s++, -2, 3)}, {}, 15));
  expect_same(op1("Pow", {rnd(DType::kInt32, {3, 4}, s++, 0, 4), rnd(DType::kFloat32, {4}, s++, 0, 3)}, {}, 15));
  expect_same(op1("Pow", {rnd(DType::kInt64, {3, 4}, s++, -4, 4), rnd(DType::kInt64, {4}, s++, 0, 4)}, {}, 15));
}

TEST_F(CudaOps, CastCastLikeClipWhereExpand) {
  uint32_t s = 1;
  expect_same(op1("CastLike", {rnd(DType::kFloat32, {3, 4}, s++, -50, 50), rnd(DType::kInt32, {1}, s++)}));
  expect_same(op1("CastLike", {rnd(DType::kInt64, {3, 4}, s++, -50, 50), rnd(DType::kFloat64, {1}, s++)}));
  {
    SingleOp op = op1("Cast", {rnd(DType::kFloat64, {3, 4}, s++)}, {attr_int("to", 10)});  // float16
    expect_same(op);
    op = op1("Cast", {rnd(DType::kUInt8, {3, 4}, s++, 0, 255)}, {attr_int("to", 1)});
    expect_same(op);
    op = op1("Cast", {rnd(DType::kInt8, {3, 4}, s++, -100, 100)}, {attr_int("to", 9)});  // bool
    expect_same(op);
  }
  // Clip with bounds as graph inputs (device data) and integer types.
  expect_same(op1("Clip", {rnd(DType::kInt32, {4, 5}, s++, -20, 20), ints({}, {0}).cast(DType::kInt32),
                           ints({}, {9}).cast(DType::kInt32)}));
  expect_same(op1("Clip", {rnd(DType::kFloat32, {4, 5}, s++), floats({}, {-0.5f}), Tensor()}));
  expect_same(op1("Clip", {rnd(DType::kFloat32, {4, 5}, s++), Tensor(), floats({}, {0.25f})}));
  expect_same(op1("Where", {rnd(DType::kBool, {3, 1}, s++), rnd(DType::kInt8, {3, 4}, s++, -9, 9),
                            rnd(DType::kInt8, {4}, s++, -9, 9)}));
  SingleOp ex = op1("Expand", {rnd(DType::kFloat64, {3, 1}, s++), ints({3}, {2, 3, 4})});
  ex.constant_inputs = {1};
  expect_same(ex);
}

// ---- reductions ------------------------------------------------------------------------------------------------
TEST_F(CudaOps, ReduceKindsAxesKeepdims) {
  uint32_t s = 1;
  for (const char* op : {"ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare", "ReduceLogSum",
                         "ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean"}) {
    const bool positive = std::string(op) == "ReduceLogSum";
    for (int64_t keep : {0, 1}) {
      SingleOp r = op1(op, {rnd(DType::kFloat32, {3, 4, 5}, s++, positive ? 0.1 : -1.5, 1.5), ints({2}, {0, -1})},
                       {attr_int("keepdims", keep)});
      r.constant_inputs = {1};
      expect_same(r);
    }
    // all axes (no axes input), float64, and the opset-13 axes attribute form
    expect_same(op1(op, {rnd(DType::kFloat64, {2, 3, 4}, s++, positive ? 0.1 : -1.5, 1.5)}));
    if (std::string(op) != "ReduceSum")
      expect_same(op1(op, {rnd(DType::kFloat32, {2, 3, 4}, s++, positive ? 0.1 : -1.5, 1.5)},
                      {attr_ints("axes", {1})}, 13));
  }
  // noop_with_empty_axes, integers, an empty reduced dim (the reduction's identity)
  SingleOp noop = op1("ReduceL1", {rnd(DType::kFloat32, {3, 4}, s++), ints({0}, {})},
                      {attr_int("noop_with_empty_axes", 1)});
  noop.constant_inputs = {1};
  expect_same(noop);
  expect_same(op1("ReduceSumSquare", {rnd(DType::kInt32, {3, 4}, s++, -9, 9)}));
  expect_same(op1("ReduceMax", {rnd(DType::kInt64, {3, 4}, s++, -99, 99)}));
  for (const char* op : {"ReduceProd", "ReduceSum", "ReduceMin", "ReduceL2"}) {
    SingleOp e = op1(op, {rnd(DType::kFloat32, {2, 0, 3}, s++), ints({1}, {1})});
    e.constant_inputs = {1};
    expect_same(e);
  }
  expect_same_fp16(op1("ReduceL2", {rnd(DType::kFloat32, {8, 300}, s++)}));
}

TEST_F(CudaOps, ArgCumSumHardmaxSoftmaxTopK) {
  uint32_t s = 1;
  for (const char* op : {"ArgMax", "ArgMin"}) {
    for (int64_t last : {0, 1}) {
      expect_same(op1(op, {rnd(DType::kInt32, {3, 5, 4}, s++, -2, 2)},
                      {attr_int("axis", -2), attr_int("keepdims", 0), attr_int("select_last_index", last)}));
      expect_same(op1(op, {rnd(DType::kFloat32, {3, 5, 4}, s++)}, {attr_int("axis", 2)}));
    }
  }
  for (int64_t ex : {0, 1}) {
    for (int64_t rev : {0, 1}) {
      SingleOp c = op1("CumSum", {rnd(DType::kInt64, {3, 6}, s++, -9, 9), ints({}, {-1})},
                       {attr_int("exclusive", ex), attr_int("reverse", rev)});
      c.constant_inputs = {1};
      expect_same(c);
      SingleOp f = op1("CumSum", {rnd(DType::kFloat64, {3, 6, 2}, s++), ints({}, {1})},
                       {attr_int("exclusive", ex), attr_int("reverse", rev)});
      f.constant_inputs = {1};
      expect_same(f);
    }
  }
  expect_same(op1("Hardmax", {rnd(DType::kFloat32, {3, 4, 5}, s++)}, {attr_int("axis", 1)}, 13));
  expect_same(op1("Hardmax", {rnd(DType::kFloat32, {3, 4, 5}, s++)}, {attr_int("axis", 1)}, 11));
  expect_same(op1("Softmax", {rnd(DType::kFloat32, {3, 4, 5}, s++)}, {attr_int("axis", 0)}, 13));
  expect_same(op1("Softmax", {rnd(DType::kFloat32, {3, 4, 5}, s++)}, {attr_int("axis", 1)}, 11));
  expect_same(op1("LogSoftmax", {rnd(DType::kFloat64, {3, 4, 5}, s++)}, {attr_int("axis", -2)}, 13));
  for (int64_t largest : {0, 1}) {
    SingleOp t = op1("TopK", {rnd(DType::kFloat32, {3, 7, 2}, s++), ints({1}, {3})},
                     {attr_int("axis", 1), attr_int("largest", largest)});
    t.constant_inputs = {1};
    t.num_outputs = 2;
    expect_same(t);
    SingleOp ti = op1("TopK", {rnd(DType::kInt64, {4, 9}, s++, -3, 3), ints({1}, {4})}, {attr_int("largest", largest)});
    ti.constant_inputs = {1};
    ti.num_outputs = 2;
    expect_same(ti);  // ties: the smaller index first
  }
}

// ---- indexing ----------------------------------------------------------------------------------------------------
TEST_F(CudaOps, GatherScatterElements) {
  uint32_t s = 1;
  expect_same(op1("GatherElements", {rnd(DType::kFloat64, {3, 4}, s++), rnd(DType::kInt64, {3, 6}, s++, -4, 3)},
                  {attr_int("axis", 1)}));
  expect_same(op1("GatherElements",
                  {rnd(DType::kInt32, {3, 4, 2}, s++, -9, 9), rnd(DType::kInt32, {2, 4, 2}, s++, -3, 2)},
                  {attr_int("axis", -3)}));
  for (const char* red : {"none", "add", "mul", "max", "min"}) {
    // duplicates along the axis apply in order
    expect_same(op1("ScatterElements",
                    {rnd(DType::kFloat32, {3, 5}, s++), ints({3, 3}, {0, 1, 1, 4, 4, 0, -1, 2, 2}),
                     rnd(DType::kFloat32, {3, 3}, s++)},
                    {attr_int("axis", 1), attr_string("reduction", red)}));
  }
  expect_same(op1("Scatter", {rnd(DType::kInt64, {4, 3}, s++, -9, 9), ints({1, 3}, {3, 0, 2}),
                              rnd(DType::kInt64, {1, 3}, s++, -9, 9)},
                  {attr_int("axis", 0)}, 9));
}

TEST_F(CudaOps, GatherScatterND) {
  uint32_t s = 1;
  expect_same(op1("GatherND", {rnd(DType::kFloat32, {3, 4, 5}, s++), ints({2, 2}, {0, 1, 2, -1})}));
  expect_same(op1("GatherND", {rnd(DType::kInt32, {3, 4, 5}, s++, -9, 9), ints({3, 1, 1}, {1, 3, 0})},
                  {attr_int("batch_dims", 1)}));
  expect_same(op1("GatherND", {rnd(DType::kFloat64, {2, 3}, s++), ints({4, 2}, {0, 0, 1, 2, 1, 1, 0, 2})}));
  for (const char* red : {"none", "add", "mul", "max", "min"}) {
    expect_same(op1("ScatterND", {rnd(DType::kFloat32, {4, 3, 2}, s++), ints({3, 1}, {1, 3, 1}),
                                  rnd(DType::kFloat32, {3, 3, 2}, s++)},
                    {attr_string("reduction", red)}));
  }
  expect_same(op1("ScatterND", {rnd(DType::kInt64, {4, 3}, s++, -9, 9), ints({2, 2}, {0, 1, 3, 2}),
                                rnd(DType::kInt64, {2}, s++, -9, 9)}));
}

TEST_F(CudaOps, TriluOneHotEyeTile) {
  uint32_t s = 1;
  for (int64_t upper : {0, 1}) {
    for (int64_t k : {-1, 0, 2}) {
      SingleOp t = op1("Trilu", {rnd(DType::kFloat32, {2, 4, 5}, s++), ints({}, {k})}, {attr_int("upper", upper)});
      t.constant_inputs = {1};
      expect_same(t);
    }
    expect_same(op1("Trilu", {rnd(DType::kInt64, {5, 3}, s++, -9, 9)}, {attr_int("upper", upper)}));
  }
  for (int64_t axis : {-1, 0, 1}) {
    SingleOp o = op1("OneHot", {ints({2, 3}, {0, 2, -1, 4, 9, -5}), ints({}, {5}), floats({2}, {-1.f, 3.f})},
                     {attr_int("axis", axis)});
    o.constant_inputs = {1};
    expect_same(o);
  }
  expect_same(op1("EyeLike", {rnd(DType::kFloat32, {4, 6}, s++)}, {attr_int("k", 1)}));
  expect_same(op1("EyeLike", {rnd(DType::kInt64, {5, 3}, s++)}, {attr_int("k", -2), attr_int("dtype", 6)}));
  SingleOp t = op1("Tile", {rnd(DType::kInt64, {2, 3, 1}, s++, -9, 9), ints({3}, {2, 1, 3})});
  t.constant_inputs = {1};
  expect_same(t);
  SingleOp te = op1("Tile", {rnd(DType::kFloat32, {2, 3}, s++), ints({2}, {0, 2})});  // empty output
  te.constant_inputs = {1};
  expect_same(te);
}

TEST_F(CudaOps, PadModes) {
  uint32_t s = 1;
  for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
    SingleOp p = op1("Pad", {rnd(DType::kFloat32, {2, 3, 4}, s++), ints({6}, {0, 2, 1, 1, 1, 3}), floats({}, {1.5f})},
                     {attr_string("mode", mode)}, 19);
    p.constant_inputs = {1};
    expect_same(p);
    SingleOp neg = op1("Pad", {rnd(DType::kInt32, {3, 5}, s++, -9, 9), ints({4}, {-1, 1, 1, -2})},
                       {attr_string("mode", mode)}, 19);
    neg.constant_inputs = {1};
    expect_same(neg);
  }
  SingleOp ax = op1("Pad", {rnd(DType::kFloat64, {2, 3, 4}, s++), ints({2}, {1, 2}), Tensor(), ints({1}, {-1})},
                    {attr_string("mode", "reflect")}, 19);
  ax.constant_inputs = {1, 3};
  expect_same(ax);
}

TEST_F(CudaOps, DepthSpaceReverseSequence) {
  uint32_t s = 1;
  for (const char* mode : {"DCR", "CRD"})
    expect_same(op1("DepthToSpace", {rnd(DType::kFloat32, {2, 8, 3, 2}, s++)},
                    {attr_int("blocksize", 2), attr_string("mode", mode)}));
  expect_same(op1("SpaceToDepth", {rnd(DType::kInt64, {2, 3, 4, 6}, s++, -9, 9)}, {attr_int("blocksize", 2)}));
  expect_same(op1("ReverseSequence", {rnd(DType::kFloat32, {4, 3, 2}, s++), ints({3}, {4, 1, 2})},
                  {attr_int("time_axis", 0), attr_int("batch_axis", 1)}));
  expect_same(op1("ReverseSequence", {rnd(DType::kInt32, {3, 4}, s++, -9, 9), ints({3}, {0, 4, 3})},
                  {attr_int("time_axis", 1), attr_int("batch_axis", 0)}));
}

SingleOp resize_op(Tensor x, std::vector<float> scales, std::vector<int64_t> sizes, std::vector<Attribute> attrs,
                   std::vector<float> roi = {}) {
  SingleOp op = op1("Resize", {std::move(x), roi.empty() ? Tensor() : floats({static_cast<int64_t>(roi.size())}, roi),
                               scales.empty() ? Tensor() : floats({static_cast<int64_t>(scales.size())}, scales),
                               sizes.empty() ? Tensor() : ints({static_cast<int64_t>(sizes.size())}, sizes)},
                    std::move(attrs), 19);
  op.constant_inputs = {1, 2, 3};
  return op;
}

TEST_F(CudaOps, ResizeModes) {
  uint32_t s = 1;
  const Tensor x = rnd(DType::kFloat32, {1, 2, 4, 5}, s++);
  for (const char* nm : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
    expect_same(resize_op(x, {1, 1, 1.7f, 0.6f}, {}, {attr_string("nearest_mode", nm)}));
    expect_same(resize_op(x, {}, {1, 2, 7, 3}, {attr_string("nearest_mode", nm),
                                                  attr_string("coordinate_transformation_mode", "asymmetric")}));
  }
  for (const char* coord : {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "half_pixel_symmetric"}) {
    expect_same(resize_op(x, {1, 1, 2.f, 1.5f}, {}, {attr_string("mode", "linear"),
                                                      attr_string("coordinate_transformation_mode", coord)}));
    expect_same(resize_op(x, {1, 1, 0.5f, 0.8f}, {}, {attr_string("mode", "cubic"),
                                                       attr_string("coordinate_transformation_mode", coord)}));
  }
  expect_same(resize_op(x, {1, 1, 1.5f, 2.f}, {}, {attr_string("mode", "cubic"), attr_float("cubic_coeff_a", -0.5f),
                                                    attr_int("exclude_outside", 1)}));
  expect_same(resize_op(x, {}, {1, 2, 3, 3},
                        {attr_string("mode", "linear"), attr_string("coordinate_transformation_mode", "tf_crop_and_resize"),
                         attr_float("extrapolation_value", 9.f)},
                        {0, 0, 0.4f, -0.3f, 1, 1, 1.2f, 0.7f}));
  expect_same(resize_op(x, {}, {5, 3}, {attr_string("mode", "linear"), attr_ints("axes", {-2, 3})}));
  expect_same(resize_op(x, {}, {8, 8}, {attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", "not_larger")}));
  expect_same(resize_op(rnd(DType::kFloat64, {2, 3, 4}, s++), {1, 1.5f, 2}, {}, {attr_string("mode", "linear")}));
  expect_same(resize_op(rnd(DType::kInt32, {1, 3, 4}, s++, -9, 9), {1, 2, 0.5f}, {}, {}));
  expect_same_fp16(resize_op(rnd(DType::kFloat32, {1, 3, 8, 8}, s++), {1, 1, 2, 2}, {}, {attr_string("mode", "linear")}));
}

// ---- normalization, losses, ConvTranspose, Einsum -----------------------------------------------------------------
TEST_F(CudaOps, Normalizations) {
  uint32_t s = 1;
  expect_same(op1("InstanceNormalization",
                  {rnd(DType::kFloat32, {2, 3, 4, 5}, s++), rnd(DType::kFloat32, {3}, s++), rnd(DType::kFloat32, {3}, s++)},
                  {attr_float("epsilon", 1e-3f)}));
  expect_same(op1("InstanceNormalization", {rnd(DType::kFloat64, {2, 3, 7}, s++), rnd(DType::kFloat64, {3}, s++),
                                            rnd(DType::kFloat64, {3}, s++)}));
  expect_same(op1("GroupNormalization",
                  {rnd(DType::kFloat32, {2, 6, 3, 2}, s++), rnd(DType::kFloat32, {3}, s++), rnd(DType::kFloat32, {3}, s++)},
                  {attr_int("num_groups", 3)}, 18));
  expect_same(op1("GroupNormalization",
                  {rnd(DType::kFloat32, {2, 6, 5}, s++), rnd(DType::kFloat32, {6}, s++), rnd(DType::kFloat32, {6}, s++)},
                  {attr_int("num_groups", 2)}, 21));
  for (int64_t p : {1, 2})
    for (int64_t axis : {0, -1})
      expect_same(op1("LpNormalization", {rnd(DType::kFloat32, {3, 4, 5}, s++)}, {attr_int("p", p), attr_int("axis", axis)}));
  expect_same(op1("LRN", {rnd(DType::kFloat32, {2, 5, 3, 3}, s++)},
                  {attr_int("size", 3), attr_float("alpha", 2e-3f), attr_float("beta", 0.6f), attr_float("bias", 2.f)}));
  expect_same(op1("LRN", {rnd(DType::kFloat32, {2, 6, 4}, s++)}, {attr_int("size", 4)}));
  expect_same(op1("MeanVarianceNormalization", {rnd(DType::kFloat32, {2, 3, 4, 5}, s++)}));
  expect_same(op1("MeanVarianceNormalization", {rnd(DType::kFloat32, {2, 3, 4}, s++)}, {attr_ints("axes", {1})}));
  expect_same_fp16(op1("InstanceNormalization", {rnd(DType::kFloat32, {2, 4, 16, 16}, s++),
                                                 rnd(DType::kFloat32, {4}, s++), rnd(DType::kFloat32, {4}, s++)}));
}

TEST_F(CudaOps, Losses) {
  uint32_t s = 1;
  for (const char* red : {"none", "sum", "mean"}) {
    expect_same(op1("NegativeLogLikelihoodLoss", {rnd(DType::kFloat32, {4, 5}, s++), ints({4}, {0, 4, 2, 2})},
                    {attr_string("reduction", red)}));
    expect_same(op1("NegativeLogLikelihoodLoss",
                    {rnd(DType::kFloat32, {2, 5, 3, 2}, s++), ints({2, 3, 2}, {0, 1, 2, 3, 4, -1, 1, 1, -1, 0, 2, 4}),
                     rnd(DType::kFloat32, {5}, s++, 0.1, 1)},
                    {attr_string("reduction", red), attr_int("ignore_index", -1)}));
    SingleOp sce = op1("SoftmaxCrossEntropyLoss",
                       {rnd(DType::kFloat32, {3, 4, 2}, s++), ints({3, 2}, {0, 3, 1, 2, 2, 0}),
                        rnd(DType::kFloat32, {4}, s++, 0.1, 1)},
                       {attr_string("reduction", red), attr_int("ignore_index", 2)});
    sce.num_outputs = 2;
    expect_same(sce);
    expect_same(op1("SoftmaxCrossEntropyLoss", {rnd(DType::kFloat64, {3, 4}, s++), ints({3}, {0, 3, 1})},
                    {attr_string("reduction", red)}));
  }
}

TEST_F(CudaOps, ConvTranspose) {
  uint32_t s = 1;
  expect_same(op1("ConvTranspose", {rnd(DType::kFloat32, {1, 2, 3, 3}, s++), rnd(DType::kFloat32, {2, 3, 3, 3}, s++)}));
  expect_same(op1("ConvTranspose",
                  {rnd(DType::kFloat32, {2, 4, 3, 4}, s++), rnd(DType::kFloat32, {4, 3, 3, 2}, s++),
                   rnd(DType::kFloat32, {6}, s++)},
                  {attr_ints("strides", {2, 3}), attr_ints("pads", {1, 0, 0, 1}), attr_ints("output_padding", {1, 1}),
                   attr_int("group", 2), attr_ints("dilations", {2, 1})}));
  expect_same(op1("ConvTranspose", {rnd(DType::kFloat32, {1, 2, 5}, s++), rnd(DType::kFloat32, {2, 2, 3}, s++)},
                  {attr_ints("strides", {2}), attr_string("auto_pad", "SAME_UPPER")}));
  expect_same(op1("ConvTranspose", {rnd(DType::kFloat32, {1, 1, 3, 3}, s++), rnd(DType::kFloat32, {1, 2, 3, 3}, s++)},
                  {attr_ints("strides", {3, 2}), attr_ints("output_shape", {10, 8})}));
  expect_same(op1("ConvTranspose", {rnd(DType::kFloat64, {1, 2, 2, 3, 2}, s++), rnd(DType::kFloat64, {2, 1, 2, 2, 2}, s++)},
                  {attr_ints("strides", {1, 2, 2})}));
  expect_same_fp16(op1("ConvTranspose", {rnd(DType::kFloat32, {1, 4, 6, 6}, s++), rnd(DType::kFloat32, {4, 4, 3, 3}, s++)},
                       {attr_ints("strides", {2, 2})}));
}

// Fallbacks of the main Conv / pooling / BatchNormalization layers: 3-D windows, int8 pooling, indices, device
// parameters.
TEST_F(CudaOps, ConvPoolBatchNormFallbacks) {
  uint32_t s = 1;
  expect_same(op1("Conv", {rnd(DType::kFloat32, {2, 4, 5, 6, 4}, s++), rnd(DType::kFloat32, {6, 2, 3, 2, 3}, s++),
                           rnd(DType::kFloat32, {6}, s++)},
                  {attr_int("group", 2), attr_ints("strides", {2, 1, 1}), attr_ints("pads", {1, 0, 1, 1, 1, 0}),
                   attr_ints("dilations", {1, 2, 1})}));
  expect_same(op1("Conv", {rnd(DType::kFloat64, {1, 2, 4, 4, 4}, s++), rnd(DType::kFloat64, {3, 2, 2, 2, 2}, s++)},
                  {attr_string("auto_pad", "SAME_UPPER")}));
  expect_same(op1("MaxPool", {rnd(DType::kFloat32, {1, 2, 5, 6, 7}, s++)},
                  {attr_ints("kernel_shape", {2, 3, 2}), attr_ints("strides", {2, 2, 1}), attr_ints("pads", {0, 1, 0, 1, 1, 1}),
                   attr_int("ceil_mode", 1)}));
  for (int64_t cip : {0, 1})
    expect_same(op1("AveragePool", {rnd(DType::kFloat32, {1, 2, 5, 6, 7}, s++)},
                    {attr_ints("kernel_shape", {3, 3, 3}), attr_ints("strides", {2, 2, 2}),
                     attr_ints("pads", {1, 1, 1, 1, 1, 1}), attr_int("count_include_pad", cip)}));
  expect_same(op1("MaxPool", {rnd(DType::kUInt8, {1, 3, 5, 5}, s++, 0, 255)}, {attr_ints("kernel_shape", {2, 2})}));
  for (int64_t order : {0, 1}) {
    SingleOp mp = op1("MaxPool", {rnd(DType::kFloat32, {2, 3, 5, 6}, s++)},
                      {attr_ints("kernel_shape", {3, 2}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 0, 1, 1}),
                       attr_int("storage_order", order)});
    mp.num_outputs = 2;
    expect_same(mp);
  }
  expect_same(op1("BatchNormalization",
                  {rnd(DType::kFloat32, {2, 3, 4, 5}, s++), rnd(DType::kFloat32, {3}, s++), rnd(DType::kFloat32, {3}, s++),
                   rnd(DType::kFloat32, {3}, s++), rnd(DType::kFloat32, {3}, s++, 0.1, 2)},
                  {attr_float("epsilon", 1e-3f)}, 15));
  expect_same(op1("BatchNormalization",
                  {rnd(DType::kFloat64, {2, 3, 7}, s++), rnd(DType::kFloat64, {3}, s++), rnd(DType::kFloat64, {3}, s++),
                   rnd(DType::kFloat64, {3}, s++), rnd(DType::kFloat64, {3}, s++, 0.1, 2)},
                  {}, 15));
}

TEST_F(CudaOps, IntegerConv) {
  uint32_t s = 1;
  expect_same(op1("ConvInteger", {rnd(DType::kUInt8, {1, 2, 5, 5}, s++, 0, 255), rnd(DType::kUInt8, {3, 2, 3, 3}, s++, 0, 255),
                                  Tensor::from_vector<uint8_t>({}, {100}), Tensor::from_vector<uint8_t>({3}, {1, 128, 7})},
                  {attr_ints("pads", {1, 1, 1, 1})}, 10));
  expect_same(op1("ConvInteger", {rnd(DType::kInt8, {2, 4, 6}, s++, -128, 127), rnd(DType::kInt8, {2, 2, 3}, s++, -128, 127)},
                  {attr_int("group", 2), attr_ints("strides", {2})}, 10));
  expect_same(op1("QLinearConv",
                  {rnd(DType::kUInt8, {1, 2, 5, 5}, s++, 0, 255), floats({}, {0.02f}), Tensor::from_vector<uint8_t>({}, {120}),
                   rnd(DType::kUInt8, {3, 2, 2, 2}, s++, 0, 255), floats({3}, {0.01f, 0.02f, 0.03f}),
                   Tensor::from_vector<uint8_t>({3}, {128, 100, 90}), floats({}, {0.2f}), Tensor::from_vector<uint8_t>({}, {128}),
                   Tensor::from_vector<int32_t>({3}, {100, -200, 3000})},
                  {}, 10));
}

TEST_F(CudaOps, GemmDetFillsDropoutMask) {
  uint32_t s = 1;
  expect_same(op1("Gemm", {rnd(DType::kFloat32, {4, 3}, s++), rnd(DType::kFloat32, {5, 4}, s++), rnd(DType::kFloat32, {3, 1}, s++)},
                  {attr_int("transA", 1), attr_int("transB", 1), attr_float("alpha", 0.5f), attr_float("beta", 2.f)}, 13));
  expect_same(op1("Gemm", {rnd(DType::kFloat64, {3, 4}, s++), rnd(DType::kFloat64, {4, 2}, s++), rnd(DType::kFloat64, {2}, s++)},
                  {attr_float("beta", -1.f)}, 13));
  expect_same(op1("Det", {rnd(DType::kFloat32, {3, 4, 4}, s++)}));
  expect_same(op1("Det", {rnd(DType::kFloat64, {5, 5}, s++)}));
  SingleOp cs = op1("ConstantOfShape", {ints({3}, {2, 0, 3})});
  expect_same(cs);  // empty
  cs = op1("ConstantOfShape", {ints({2}, {2, 3})}, {onyx::test::attr_tensor("value", Tensor::from_vector<int32_t>({1}, {7}))});
  expect_same(cs);
  expect_same(op1("Range", {floats({}, {1.f}), floats({}, {5.5f}), floats({}, {0.5f})}, {}, 11));
  expect_same(op1("Range", {ints({}, {10}), ints({}, {1}), ints({}, {-3})}, {}, 11));
  for (const char* w : {"HannWindow", "HammingWindow", "BlackmanWindow"})
    for (int64_t periodic : {0, 1}) expect_same(op1(w, {ints({}, {10})}, {attr_int("periodic", periodic)}, 17));
  SingleOp dm = op1("Dropout", {rnd(DType::kFloat32, {3, 4}, s++)}, {}, 13);
  dm.num_outputs = 2;
  expect_same(dm);
}

TEST_F(CudaOps, RecurrentCells) {
  uint32_t s = 1;
  const int64_t S = 4, B = 3, I = 5, H = 6;
  auto x = [&](DType t, int layout) { return rnd(t, layout == 0 ? Shape{S, B, I} : Shape{B, S, I}, s++, -1, 1); };
  auto lens = Tensor::from_vector<int32_t>({B}, {4, 2, 0});
  struct C {
    const char* op;
    int gates;
  };
  for (C c : {C{"RNN", 1}, C{"GRU", 3}, C{"LSTM", 4}}) {
    const int64_t G = c.gates;
    const bool lstm = std::string(c.op) == "LSTM";
    // forward, defaults
    SingleOp a = op1(c.op, {x(DType::kFloat32, 0), rnd(DType::kFloat32, {1, G * H, I}, s++, -0.5, 0.5),
                            rnd(DType::kFloat32, {1, G * H, H}, s++, -0.5, 0.5)},
                     {attr_int("hidden_size", H)}, 14);
    a.num_outputs = lstm ? 3 : 2;
    expect_same(a);
    // bidirectional with bias, lengths, initial states (and peepholes), clip
    SingleOp bd = op1(c.op, {x(DType::kFloat32, 0), rnd(DType::kFloat32, {2, G * H, I}, s++, -0.5, 0.5),
                             rnd(DType::kFloat32, {2, G * H, H}, s++, -0.5, 0.5),
                             rnd(DType::kFloat32, {2, 2 * G * H}, s++, -0.5, 0.5), lens,
                             rnd(DType::kFloat32, {2, B, H}, s++, -1, 1)},
                      {attr_int("hidden_size", H), attr_string("direction", "bidirectional"), attr_float("clip", 2.f)},
                      14);
    if (lstm) {
      bd.inputs.push_back(rnd(DType::kFloat32, {2, B, H}, s++, -1, 1));
      bd.inputs.push_back(rnd(DType::kFloat32, {2, 3 * H}, s++, -0.5, 0.5));
    }
    bd.num_outputs = lstm ? 3 : 2;
    expect_same(bd);
    // reverse, batch-first layout, float64
    SingleOp rv = op1(c.op, {x(DType::kFloat64, 1), rnd(DType::kFloat64, {1, G * H, I}, s++, -0.5, 0.5),
                             rnd(DType::kFloat64, {1, G * H, H}, s++, -0.5, 0.5)},
                      {attr_int("hidden_size", H), attr_string("direction", "reverse"), attr_int("layout", 1)}, 14);
    rv.num_outputs = lstm ? 3 : 2;
    expect_same(rv);
  }
  SingleOp g = op1("GRU", {x(DType::kFloat32, 0), rnd(DType::kFloat32, {1, 3 * H, I}, s++, -0.5, 0.5),
                           rnd(DType::kFloat32, {1, 3 * H, H}, s++, -0.5, 0.5), rnd(DType::kFloat32, {1, 6 * H}, s++)},
                   {attr_int("hidden_size", H), attr_int("linear_before_reset", 1),
                    attr_strings("activations", {"HardSigmoid", "Softsign"})},
                   14);
  g.num_outputs = 2;
  expect_same(g);
  SingleOp l = op1("LSTM", {x(DType::kFloat32, 0), rnd(DType::kFloat32, {1, 4 * H, I}, s++, -0.5, 0.5),
                            rnd(DType::kFloat32, {1, 4 * H, H}, s++, -0.5, 0.5)},
                   {attr_int("hidden_size", H), attr_int("input_forget", 1)}, 14);
  l.num_outputs = 3;
  expect_same(l);
}

TEST_F(CudaOps, Einsum) {
  uint32_t s = 1;
  auto e = [&](const char* eq, std::vector<Tensor> in) {
    expect_same(op1("Einsum", std::move(in), {attr_string("equation", eq)}, 12));
  };
  e("ij,jk->ik", {rnd(DType::kFloat32, {3, 4}, s++), rnd(DType::kFloat32, {4, 5}, s++)});
  e("bij,bjk->bik", {rnd(DType::kFloat32, {2, 3, 4}, s++), rnd(DType::kFloat32, {2, 4, 5}, s++)});
  e("ii->i", {rnd(DType::kFloat32, {4, 4}, s++)});
  e("ij->", {rnd(DType::kFloat64, {3, 4}, s++)});
  e("...ij->...ji", {rnd(DType::kFloat32, {2, 3, 4, 5}, s++)});
  e("ij,jk", {rnd(DType::kInt64, {3, 4}, s++, -5, 5), rnd(DType::kInt64, {4, 2}, s++, -5, 5)});
  e("i,i", {rnd(DType::kFloat32, {7}, s++), rnd(DType::kFloat32, {7}, s++)});
  e("bii->bi", {rnd(DType::kFloat32, {3, 4, 4}, s++)});
  e("ij,kj,lj->ikl", {rnd(DType::kFloat32, {2, 3}, s++), rnd(DType::kFloat32, {4, 3}, s++), rnd(DType::kFloat32, {2, 3}, s++)});
}

TEST_F(CudaOps, QuantizeDequantize) {
  uint32_t s = 1;
  expect_same(op1("QuantizeLinear", {rnd(DType::kFloat32, {3, 8}, s++, -300, 300), floats({}, {2.f}),
                                     Tensor::from_vector<uint8_t>({}, {128})},
                  {}, 13));
  expect_same(op1("QuantizeLinear", {rnd(DType::kFloat32, {2, 3, 4}, s++, -100, 100), floats({3}, {0.5f, 1.f, 3.f}),
                                     Tensor::from_vector<int8_t>({3}, {-3, 0, 7})},
                  {attr_int("axis", 1)}, 13));
  expect_same(op1("QuantizeLinear", {floats({6}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000.f}), floats({}, {1.f})}, {}, 13));
  expect_same(op1("DequantizeLinear", {rnd(DType::kUInt8, {3, 8}, s++, 0, 255), floats({}, {0.25f}),
                                       Tensor::from_vector<uint8_t>({}, {100})},
                  {}, 13));
  expect_same(op1("DequantizeLinear", {rnd(DType::kInt8, {2, 3, 4}, s++, -128, 127), floats({4}, {0.5f, 1.f, 3.f, 2.f}),
                                       Tensor::from_vector<int8_t>({4}, {-3, 0, 7, 1})},
                  {attr_int("axis", -1)}, 13));
  expect_same(op1("DequantizeLinear", {rnd(DType::kInt32, {5}, s++, -1000, 1000), floats({}, {0.1f})}, {}, 13));
  SingleOp dq = op1("DynamicQuantizeLinear", {rnd(DType::kFloat32, {3, 7}, s++, -3, 5)}, {}, 11);
  dq.num_outputs = 3;
  expect_same(dq);
  dq.inputs = {rnd(DType::kFloat32, {40}, s++, 1, 5)};  // all positive: the range includes 0
  expect_same(dq);
}

TEST_F(CudaOps, IntegerMatMul) {
  uint32_t s = 1;
  expect_same(op1("MatMulInteger", {rnd(DType::kUInt8, {4, 3}, s++, 0, 255), rnd(DType::kUInt8, {3, 5}, s++, 0, 255),
                                    Tensor::from_vector<uint8_t>({}, {12}), Tensor::from_vector<uint8_t>({}, {200})},
                  {}, 10));
  expect_same(op1("MatMulInteger", {rnd(DType::kInt8, {2, 4, 3}, s++, -128, 127), rnd(DType::kInt8, {3, 2}, s++, -128, 127),
                                    Tensor::from_vector<int8_t>({4}, {1, -2, 3, 0})},
                  {}, 10));
  expect_same(op1("QLinearMatMul",
                  {rnd(DType::kUInt8, {2, 3, 4}, s++, 0, 255), floats({}, {0.05f}), Tensor::from_vector<uint8_t>({}, {120}),
                   rnd(DType::kUInt8, {4, 2}, s++, 0, 255), floats({}, {0.02f}), Tensor::from_vector<uint8_t>({}, {130}),
                   floats({}, {0.3f}), Tensor::from_vector<uint8_t>({}, {128})},
                  {}, 10));
}

TEST_F(CudaOps, GridSample) {
  uint32_t s = 1;
  for (const char* mode : {"bilinear", "nearest", "bicubic"})
    for (const char* pad : {"zeros", "border", "reflection"})
      for (int64_t align : {0, 1})
        expect_same(op1("GridSample", {rnd(DType::kFloat32, {2, 3, 4, 5}, s++), rnd(DType::kFloat32, {2, 3, 6, 2}, s++, -1.3, 1.3)},
                        {attr_string("mode", mode), attr_string("padding_mode", pad), attr_int("align_corners", align)},
                        16));
  expect_same(op1("GridSample", {rnd(DType::kFloat32, {1, 2, 3, 4, 5}, s++), rnd(DType::kFloat32, {1, 2, 3, 2, 3}, s++, -1.2, 1.2)},
                  {attr_string("mode", "linear")}, 20));
}

TEST_F(CudaOps, TrainingOptimizers) {
  uint32_t s = 1;
  auto opt = [&](const char* type, size_t groups, std::vector<Attribute> attrs, int tensors) {
    SingleOp op;
    op.op_type = type;
    op.domain = "ai.onnx.preview.training";
    op.opset = 18;
    op.attributes = std::move(attrs);
    op.inputs = {floats({}, {0.1f}), ints({}, {3})};
    for (size_t g = 0; g < groups; ++g)
      for (int i = 0; i < tensors; ++i)
        op.inputs.push_back(rnd(DType::kFloat32, {static_cast<int64_t>(3 + i), 2}, s++, g == groups - 1 ? 0.1 : -1, 1));
    op.num_outputs = static_cast<int>((groups - 1) * tensors);
    expect_same(op);
  };
  opt("Adagrad", 3, {attr_float("decay_factor", 0.1f), attr_float("norm_coefficient", 0.01f)}, 1);
  opt("Adagrad", 3, {}, 2);
  opt("Momentum", 3, {attr_float("alpha", 0.9f), attr_float("beta", 0.5f), attr_float("norm_coefficient", 0.01f),
                      attr_string("mode", "standard")}, 2);
  opt("Momentum", 3, {attr_float("alpha", 0.9f), attr_float("beta", 0.5f), attr_float("norm_coefficient", 0.f),
                      attr_string("mode", "nesterov")}, 1);
  opt("Adam", 4, {attr_float("norm_coefficient", 0.01f), attr_float("norm_coefficient_post", 0.02f)}, 2);
}

// ---- kernel-level: what the engine does not reach ----------------------------------------------------------------
template <typename F>
void expect_code(ErrorCode code, F&& f) {
  try {
    f();
    ADD_FAILURE() << "expected an onyx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

TEST_F(CudaOps, OutOfRangeIndicesSetTheFlagAndWriteZeros) {
  if (!kernels()) GTEST_SKIP() << "needs a device";
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  DeviceBuffer dx = upload(x), dy(6 * sizeof(float)), flag = upload(std::vector<int>{0});
  DeviceBuffer idx = upload(std::vector<int64_t>{0, 7, -1, 1, 2, -4});
  gather_elements(DType::kFloat32, dx.data(), {2, 3}, idx.data(), DType::kInt64, {2, 3}, 1, dy.data(),
                  flag.as<int>(), stream());
  EXPECT_EQ(download<float>(dy, 6, stream()), (std::vector<float>{1, 0, 3, 5, 6, 0}));
  EXPECT_EQ(download<int>(flag, 1, stream())[0], 1);
  DeviceBuffer flag2 = upload(std::vector<int>{0});
  DeviceBuffer nd_idx = upload(std::vector<int64_t>{1, 2, 0, 3});
  gather_nd(DType::kFloat32, dx.data(), {2, 3}, nd_idx.data(), DType::kInt64, {2, 2}, 0, dy.data(), flag2.as<int>(),
            stream());
  const std::vector<float> got = download<float>(dy, 2, stream());
  EXPECT_EQ(got, (std::vector<float>{6, 0}));
  EXPECT_EQ(download<int>(flag2, 1, stream())[0], 1);
}

TEST_F(CudaOps, HostChecksRejectBadShapesAndAttributes) {
  if (!kernels()) GTEST_SKIP() << "needs a device";
  DeviceBuffer a(64), y(64);
  expect_code(ErrorCode::kBadInput, [&] {
    arith(ArithOp::kAdd, DType::kInt32, a.data(), {3}, a.data(), {4}, y.data(), stream());
  });
  expect_code(ErrorCode::kUnsupported, [&] {
    arith(ArithOp::kShiftLeft, DType::kInt32, a.data(), {3}, a.data(), {3}, y.data(), stream());
  });
  expect_code(ErrorCode::kBadInput, [&] { reduce(ReduceKind::kSum, DType::kFloat32, a.data(), {2, 3}, {2}, y.data(), stream()); });
  expect_code(ErrorCode::kBadInput, [&] { reduce(ReduceKind::kSum, DType::kFloat32, a.data(), {2, 3}, {1, 1}, y.data(), stream()); });
  expect_code(ErrorCode::kBadInput, [&] {
    pad(DType::kFloat32, a.data(), {1, 3}, {1, 0, 0, 0}, PadMode::kReflect, nullptr, y.data(), stream());
  });
  expect_code(ErrorCode::kBadInput, [&] { topk(DType::kFloat32, a.data(), {2, 3}, 1, 4, true, y.data(), nullptr, stream()); });
  expect_code(ErrorCode::kBadInput, [&] { arg_reduce(true, DType::kFloat32, a.data(), {2, 0}, 1, false, nullptr, stream()); });
  std::vector<std::string> labels;
  std::string out;
  expect_code(ErrorCode::kBadInput, [&] { einsum_parse("ij,jk->ik", {2}, &labels, &out); });
  expect_code(ErrorCode::kBadInput, [&] { einsum_parse("ij->iq", {2}, &labels, &out); });
  expect_code(ErrorCode::kBadInput, [&] { einsum_parse("i.j->i", {2}, &labels, &out); });
  einsum_parse("...ij,...jk", {4, 3}, &labels, &out);
  EXPECT_EQ(labels, (std::vector<std::string>{"01ij", "1jk"}));
  EXPECT_EQ(out, "01ik");
  expect_code(ErrorCode::kUnsupported, [&] { math_unary(MathOp::kTan, DType::kInt32, a.data(), y.data(), 3, stream()); });
  expect_code(ErrorCode::kBadInput, [&] {
    group_norm(DType::kFloat32, a.data(), 1, 5, 2, 2, nullptr, nullptr, true, 1e-5f, y.data(), stream());
  });
  // Empty tensors launch nothing and do not touch the (null) pointers.
  arith(ArithOp::kMod, DType::kInt64, nullptr, {0, 3}, nullptr, {3}, nullptr, stream());
  reduce(ReduceKind::kProd, DType::kFloat32, nullptr, {0, 3}, {1}, nullptr, stream());
  resize(DType::kFloat32, nullptr, {0, 2}, {0, 4}, ResizeParams{ResizeMode::kLinear, ResizeCoord::kHalfPixel,
                                                               ResizeNearest::kFloor, -0.75f, false, 0.f, {1, 2}, {}},
         nullptr, stream());
  sync();
}

}  // namespace
}  // namespace onyx::cuda::test
