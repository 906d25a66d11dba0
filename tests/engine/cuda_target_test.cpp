// The cuda target as far as it can be checked without a GPU: precision parsing, options, and the one-line
// errors when there is no device (or no CUDA in this build). The GPU side is tests/gpu/cuda_engine_gpu.cpp.
#include <gtest/gtest.h>

#include "onyx/builder.h"
#include "onyx/cuda.h"
#include "onyx/engine.h"
#include "onyx/runner.h"

namespace onyx {
namespace {

Model tiny() {
  Model m;
  m.ir_version = 8;
  m.opset_imports = {{"", 17}};
  m.graph = std::make_shared<Graph>();
  Graph& g = *m.graph;
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({2, 3}));
  x->type.has_shape = true;
  g.inputs.push_back(x);
  Value* y = g.add_value("y");
  g.add_node("Relu", "", {x}, {y}, "relu");
  g.outputs = {y};
  return m;
}

TEST(CudaTarget, ParsesPrecisions) {
  EXPECT_EQ(parse_precision("fp32"), Precision::kFp32);
  EXPECT_EQ(parse_precision("tf32"), Precision::kTf32);
  EXPECT_EQ(parse_precision("fp16"), Precision::kFp16);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBf16);
  try {
    parse_precision("fp8");
    ADD_FAILURE() << "accepted fp8";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("fp32, tf32, fp16, bf16"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_target("cuda"), Target::kCuda);
}

TEST(CudaTarget, LayerPrecisionsChangeTheOptionsHashAndAreCudaOnly) {
  BuilderConfig a, b;
  b.layer_precisions = {{"relu", Precision::kFp32}};
  EXPECT_NE(a.options_hash(), b.options_hash());
  try {
    build_plan(tiny(), b);  // target cpu
    ADD_FAILURE() << "built";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(std::string(e.what()).find("--layer-precision"), std::string::npos) << e.what();
  }
}

TEST(CudaTarget, StronglyTypedChangesTheOptionsHashAndRefusesPrecisionFlags) {
  BuilderConfig a, b;
  b.strongly_typed = true;
  EXPECT_NE(a.options_hash(), b.options_hash());
  for (Target t : {Target::kCpu, Target::kCuda}) {
    BuilderConfig c = b;
    c.target = t;
    for (Precision p : {Precision::kFp16, Precision::kBf16, Precision::kTf32}) {
      c.precision = p;
      try {
        build_plan(tiny(), c);
        ADD_FAILURE() << "built strongly typed with precision " << static_cast<int>(p);
      } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
        EXPECT_NE(std::string(e.what()).find("--strongly-typed"), std::string::npos) << e.what();
      }
    }
    c.precision = Precision::kFp32;
    c.layer_precisions = {{"relu", Precision::kFp32}};
    try {
      build_plan(tiny(), c);
      ADD_FAILURE() << "built strongly typed with --layer-precision";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
      EXPECT_NE(std::string(e.what()).find("--layer-precision"), std::string::npos) << e.what();
    }
  }
}

TEST(CudaTarget, StronglyTypedCpuPlanRecordsTheFlag) {
  BuilderConfig c;
  c.strongly_typed = true;  // the cpu target computes in the model's dtypes anyway
  auto engine = Engine::deserialize(build_plan(tiny(), c), "<typed>");
  EXPECT_TRUE(engine->summary().strongly_typed);
  EXPECT_EQ(engine->summary().precision, "fp32");
  EXPECT_EQ(engine->summary().format_version, 2u);
  BuilderConfig d;
  auto plain = Engine::deserialize(build_plan(tiny(), d), "<plain>");
  EXPECT_FALSE(plain->summary().strongly_typed);
}

TEST(CudaTarget, WithoutADeviceBuildAndBackendSayWhyInOneLine) {
  if (!cuda_devices().empty()) GTEST_SKIP() << "a CUDA device is present (tests/gpu covers it)";
  BuilderConfig c;
  c.target = Target::kCuda;
  c.precision = Precision::kFp16;
  try {
    build_plan(tiny(), c);
    ADD_FAILURE() << "built";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
    EXPECT_NE(what.find("cuda"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
  try {
    make_runner("cuda:fp16", [] { return std::make_shared<Model>(tiny()); });
    ADD_FAILURE() << "made a cuda runner";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(what.find("backend 'cuda' is not available"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace onyx
