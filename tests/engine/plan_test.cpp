// Plan files: round trip, header checks, and damaged plans (every byte flipped, truncations, random mutations
// of the contents behind a fixed-up checksum) that must give clean errors only.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "onyx/builder.h"
#include "onyx/engine.h"
#include "onyx/onnx.h"
#include "engine/damaged_plan.h"
#include "onyx/limits.h"

namespace onyx {
namespace {

std::string default_model_plan(bool with_profile) {
  BuilderConfig c;
  if (with_profile) {
    OptimizationProfile p;
    p.set_dimensions("image", {1, 3, 32, 32}, {2, 3, 32, 32}, {2, 3, 32, 32});
    c.profiles.push_back(p);
  }
  return build_plan(load_model(std::string(ONYX_BUILD_DIR) + "/models/default.onnx"), c);
}

// Recomputes the checksum (CRC-32 of header bytes 0..55 and the payload) after an edit.
void fix_checksum(std::string& plan) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(plan.data()), 56);
  c = crc32(c, reinterpret_cast<const Bytef*>(plan.data() + 64), static_cast<uInt>(plan.size() - 64));
  for (int i = 0; i < 8; ++i) plan[56 + i] = static_cast<char>(i < 4 ? (c >> (8 * i)) & 0xff : 0);
}

std::string load_error(const std::string& bytes) {
  try {
    Engine::deserialize(bytes, "p.plan");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    return what;
  }
  return "";
}

TEST(EnginePlan, AWeightStoredInAnotherDtypeThanTheModelSaysIsRefused) {
  // Only cuda plans store converted float weights (fp16/bf16 for float32 values); elsewhere a weights table entry
  // whose dtype differs from the model's type is a damaged plan. Edit the first weight's dtype 1 (float32) into
  // 6 (int32: same bytes) behind a fixed checksum.
  std::string plan = default_model_plan(false);
  const size_t table = plan.find("\"weights\":[[\"");
  ASSERT_NE(table, std::string::npos);
  const size_t dtype = plan.find("\",1,[", table);
  ASSERT_NE(dtype, std::string::npos);
  plan[dtype + 2] = '6';
  fix_checksum(plan);
  const std::string err = load_error(plan);
  EXPECT_NE(err.find("is stored as int32, the model types it float32"), std::string::npos) << err;
}

TEST(EnginePlan, RoundTripsThroughAFile) {
  const std::string plan = default_model_plan(true);
  ASSERT_EQ(std::string_view(plan).substr(0, 8), "ONYXPLAN");
  const std::string path = (std::filesystem::temp_directory_path() / "onyx_engine_test.plan").string();
  write_file_atomic(path, plan);
  auto engine = Engine::load(path);
  std::filesystem::remove(path);
  const PlanSummary s = engine->summary();
  EXPECT_EQ(s.onyx_version, ONYX_VERSION_STRING);
  EXPECT_EQ(s.target, Target::kCpu);
  EXPECT_EQ(s.file_bytes, plan.size());
  // The passes fuse each Conv+Relu into one onyx.FusedConv: 9 nodes become 7.
  EXPECT_EQ(s.num_nodes, 7u);
  EXPECT_GT(s.memory[0].sum_tensor_bytes, s.memory[0].arena_bytes);
  // The outputs of the cpu kernels (two FusedConv, MaxPool, GlobalAveragePool, Gemm, Softmax; Flatten runs the
  // reference kernel) live in the arena, sharing space once dead: the arena is smaller than their sum.
  EXPECT_EQ(s.memory[0].planned_tensors, 6u);
  EXPECT_LT(s.memory[0].arena_bytes, s.memory[0].planned_bytes);
  ASSERT_NE(engine->profile_range(0, "image"), nullptr);
  EXPECT_EQ(engine->profile_range(0, "image")->max, (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_NE(load_error("").find("truncated"), std::string::npos);
  EXPECT_THROW(Engine::load("/nonexistent/x.plan"), Error);
}

TEST(EnginePlan, WeightsAre64ByteAligned) {
  auto engine = Engine::deserialize(default_model_plan(false), "p");
  // Alignment is a property of the file offsets; the loader checks each weight's offset % 64 == 0 and the
  // buffer is 64-byte aligned, so a misaligned plan would have been refused.
  EXPECT_GT(engine->summary().weights_bytes, 0u);
  EXPECT_EQ(engine->summary().weights_bytes % 64, 0u);
}

TEST(EnginePlan, OtherVersionTargetOrFormatIsRefusedWithOneLine) {
  const std::string plan = default_model_plan(false);
  std::string v = plan;
  std::memcpy(v.data() + 16, "9.9.9\0\0\0", 8);
  fix_checksum(v);
  EXPECT_NE(load_error(v).find("built by onyx 9.9.9"), std::string::npos) << load_error(v);
  std::string t = plan;
  t[32] = 2;  // cuda
  t[36] = 90;
  fix_checksum(t);
  // Without a GPU (CI): "needs a CUDA device"; on another GPU: "this GPU (...) is sm_NN".
  EXPECT_NE(load_error(t).find("cuda target (sm_90)"), std::string::npos) << load_error(t);
  std::string t0 = t;
  t0[36] = 0;  // a cuda plan must name its architecture
  fix_checksum(t0);
  EXPECT_NE(load_error(t0).find("without a GPU architecture"), std::string::npos) << load_error(t0);
  std::string f = plan;
  f[8] = 7;
  EXPECT_NE(load_error(f).find("format version 7"), std::string::npos) << load_error(f);
  std::string m = plan;
  m[0] = 'X';
  EXPECT_NE(load_error(m).find("bad magic"), std::string::npos);
  std::string tail = plan + std::string(64, '\0');
  EXPECT_NE(load_error(tail).find("after the payload"), std::string::npos);
}

TEST(EnginePlan, EveryFlippedByteAndEveryTruncationIsACleanError) {
  const std::string plan = default_model_plan(true);
  for (size_t i = 0; i < plan.size(); ++i) {
    std::string bad = plan;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    ASSERT_FALSE(load_error(bad).empty()) << "byte " << i << " flipped was accepted";
  }
  for (size_t n = 0; n < plan.size(); n += 7) ASSERT_FALSE(load_error(plan.substr(0, n)).empty()) << n;
}

TEST(EnginePlan, WeightTableMustMatchTheShapesTheModelDeclares) {
  // A weight whose table entry keeps its byte count but changes its dims (found by mutating cuda plans, whose
  // layers sized a GEMM by the table and read past the weight) is a damaged plan.
  const std::string plan = default_model_plan(false);
  test::EditablePlan edit(plan, Target::kCpu);
  nlohmann::json meta = edit.meta;
  bool changed = false;
  std::string name;
  for (auto& w : meta.at("weights")) {
    auto& dims = w.at(2);
    if (dims.size() < 2 || dims.front() == dims.back()) continue;
    std::swap(dims.front(), dims.back());  // same element count, other shape
    name = w.at(0).get<std::string>();
    changed = true;
    break;
  }
  ASSERT_TRUE(changed);
  const std::string err = load_error(edit.with_meta(meta));
  EXPECT_NE(err.find("p.plan: damaged plan (weight '" + name + "' has dims ["), std::string::npos) << err;
  EXPECT_NE(err.find("the model declares"), std::string::npos) << err;
}

TEST(EnginePlan, MutatedContentsBehindAValidChecksumNeverCrash) {
  const std::string plan = default_model_plan(true);
  std::mt19937 rng(7);
  std::uniform_int_distribution<size_t> pos(64, plan.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<float> x(2 * 3 * 32 * 32, 0.5f);
  int loaded = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string bad = plan;
    for (int k = 0; k < 1 + trial % 3; ++k) bad[pos(rng)] = static_cast<char>(byte(rng));
    fix_checksum(bad);
    try {
      auto engine = Engine::deserialize(bad, "p.plan");
      ++loaded;
      auto ctx = engine->create_execution_context();
      for (const IoTensor& t : engine->io_tensors()) {
        if (!t.is_input || t.dtype != DType::kFloat32) continue;
        ctx->set_input_shape(t.name, {2, 3, 32, 32});
        ctx->set_tensor_address(t.name, x.data(), x.size() * sizeof(float));
      }
      ctx->execute();
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  // Most mutations land in the weights (harmless to structure), so many plans still load.
  EXPECT_GT(loaded, 0);
}

TEST(EnginePlan, MutatedMetadataBehindAValidChecksumNeverCrash) {
  // The structure-aware counterpart of fuzz_plan's byte mutations (the same mutator as the cuda plan test,
  // engine/damaged_plan.h): rewrites 1-3 values of a plan's JSON metadata (weight table, node opsets, kernels,
  // profiles, memory plan, output shapes), keeps the JSON valid and the checksum right, then loads and runs what
  // loads. Every failure is one kBadInput line (under ASan in CI: no memory error either). Subjects: the
  // default model with a profile, and backend-test models with control flow and shape ops.
  std::vector<std::pair<std::string, std::string>> subjects = {{"default", default_model_plan(true)}};
  const std::string data = ONYX_TEST_DATA_DIR;
  for (const char* name : {"test_if", "test_loop11", "test_scan9_sum", "test_reshape_negative_dim",
                           "test_gather_0", "test_layer_normalization_2d_axis0"}) {
    const std::string path = data + "/node/" + name + "/model.onnx";
    if (!std::filesystem::exists(path)) continue;
    try {
      subjects.emplace_back(name, build_plan(load_model(path), BuilderConfig{}));
    } catch (const Error&) {
    }
  }
  ASSERT_GE(subjects.size(), 4u) << "the backend test data (libonnx-testdata) is needed";
  const uint64_t saved_tensor = limits().max_tensor_bytes;
  const int64_t saved_loop = limits().max_loop_iterations;
  limits().max_tensor_bytes = uint64_t{64} << 20;  // a lie must be refused, not survived
  limits().max_loop_iterations = 10'000;
  const int per_subject = test::mutation_trials(400);
  std::mt19937 rng(test::mutation_seed(11));
  int trials = 0, loaded = 0, ran = 0, refused = 0;
  for (const auto& [name, plan] : subjects) {
    SCOPED_TRACE(name);
    const test::EditablePlan edit(plan, Target::kCpu);
    std::vector<std::string> strings = {"", "x", "ref", "cpu.conv"};
    test::collect_strings(edit.meta, strings);
    for (int trial = 0; trial < per_subject; ++trial) {
      nlohmann::json m = edit.meta;
      std::string what;
      for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n; ++k) what += test::mutate_json(m, rng, strings) + "\n";
      ++trials;
      try {
        auto engine = Engine::deserialize(edit.with_meta(m), "p.plan");
        ++loaded;
        test::run_with_zeros(*engine);
        ++ran;
      } catch (const Error& e) {
        ++refused;
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        EXPECT_EQ(e.code(), ErrorCode::kBadInput) << "trial " << trial << ": " << msg << "\n" << what;
      }
    }
  }
  limits().max_tensor_bytes = saved_tensor;
  limits().max_loop_iterations = saved_loop;
  std::printf("[ mutation ] %d cpu plans: %d loaded, %d ran, %d refused\n", trials, loaded, ran, refused);
  EXPECT_GT(refused, 0);
  EXPECT_GT(ran, 0);
}

}  // namespace
}  // namespace onyx
