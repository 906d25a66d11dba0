// onyx build / onyx inspect plan / onyx run --backends ref,cpu / onyx conformance --backend cpu, through the
// binary.
#include <gtest/gtest.h>

#include "cli/cli_util.h"

namespace onyx::test {
namespace {

const std::string kModel = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

TEST(EngineCli, BuildInspectAndRun) {
  TempDir dir;
  const std::string plan = dir.file("m.plan");
  CliResult r =
      run_onyx({"build", kModel, "-o", plan, "--profile", "image:[1,3,32,32]:[2,3,32,32]:[4,3,32,32]"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run_onyx({"inspect", "plan", plan});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("profile 0: min [1,3,32,32] opt [2,3,32,32] max [4,3,32,32]"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("arena "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("FusedConv -> cpu.conv x2"), std::string::npos) << r.out;
  r = run_onyx({"inspect", "plan", plan, "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"arena_bytes\""), std::string::npos);
  r = run_onyx({"run", kModel, "--backends", "ref,cpu"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("All outputs matched"), std::string::npos) << r.out;
  r = run_onyx({"conformance", std::string(ONYX_TEST_DATA_DIR) + "/node", "--backend", "cpu", "--filter",
                "^test_(relu|conv_with_strides_padding|add)$"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("3 passed, 0 failed, 0 skipped"), std::string::npos) << r.out;
}

TEST(EngineCli, StronglyTypedConflictsExitTwoAndThePlanRecordsIt) {
  TempDir dir;
  const std::string plan = dir.file("t.plan");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--fp16"}, {"--bf16"}, {"--tf32"}, {"--precision", "fp16"},
        {"--layer-precision", "x:fp32"}}) {
    std::vector<std::string> args{"build", kModel, "-o", plan, "--strongly-typed"};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = run_onyx(args);
    EXPECT_EQ(r.rc, 2) << extra[0] << ": " << r.out << r.err;
    EXPECT_NE(r.err.find("--strongly-typed"), std::string::npos) << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
  ASSERT_EQ(run_onyx({"build", kModel, "-o", plan, "--strongly-typed"}).rc, 0);
  CliResult r = run_onyx({"inspect", "plan", plan, "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"strongly_typed\": true"), std::string::npos) << r.out;
  r = run_onyx({"inspect", "plan", plan});
  EXPECT_NE(r.out.find("Built strongly typed"), std::string::npos) << r.out;
}

TEST(EngineCli, BadProfilesAndDamagedPlansExitTwoWithOneLine) {
  TempDir dir;
  const std::string plan = dir.file("m.plan");
  for (const std::vector<std::string>& extra :
       {std::vector<std::string>{"--profile", "image:[4,3,32,32]:[2,3,32,32]:[8,3,32,32]"},
        std::vector<std::string>{"--profile", "image:[1,3,32,32]:[2,3,32,32]:[4,3,64,32]"},
        std::vector<std::string>{"--profile", "nope:[1]:[1]:[1]"},
        std::vector<std::string>{"--profile", "image:1x3"},
        std::vector<std::string>{"--profile", "image:[1,3,32,32]:[2,3,32,32]:[4,3,32,32]", "--workspace",
                                 "64"},
        std::vector<std::string>{"--target", "tpu"}}) {
    std::vector<std::string> args = {"build", kModel, "-o", plan};
    args.insert(args.end(), extra.begin(), extra.end());
    CliResult r = run_onyx(args);
    EXPECT_EQ(r.rc, 2) << extra.back() << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
  ASSERT_EQ(run_onyx({"build", kModel, "-o", plan}).rc, 0);
  std::string bytes = slurp(plan);
  bytes[bytes.size() / 2] ^= 0x10;
  { std::ofstream(dir.file("bad.plan"), std::ios::binary) << bytes; }
  CliResult r = run_onyx({"inspect", "plan", dir.file("bad.plan")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  { std::ofstream(dir.file("short.plan"), std::ios::binary) << bytes.substr(0, 100); }
  r = run_onyx({"inspect", "plan", dir.file("short.plan")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
  r = run_onyx({"inspect", "plan", kModel});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("not an onyx plan"), std::string::npos) << r.err;
}

// A plan runs through `onyx bench` and `onyx run` on its own target: the profile's opt shape is the default,
// a batch outside the profile and a --backend/--backends with a plan are usage errors (exit 2, one line), and
// its outputs equal the ref backend's on the same inputs.
TEST(EngineCli, BenchAndRunAcceptPlanFiles) {
  TempDir dir;
  const std::string plan = dir.file("m.plan");
  ASSERT_EQ(
      run_onyx({"build", kModel, "-o", plan, "--profile", "image:[1,3,32,32]:[2,3,32,32]:[4,3,32,32]"}).rc,
      0);
  CliResult r = run_onyx({"bench", plan, "--iterations", "5", "--no-progress"});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Backend: cpu plan | batch 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("float32[2,3,32,32]"), std::string::npos) << r.out;
  r = run_onyx({"bench", plan, "--iterations", "5", "--batch", "4", "--no-progress"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("batch 4"), std::string::npos) << r.out;
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{"bench", plan, "--batch", "8"},
        std::vector<std::string>{"bench", plan, "--backend", "ref"},
        std::vector<std::string>{"run", plan, "--backends", "ref"},
        std::vector<std::string>{"run", plan, "--mark-all"}}) {
    r = run_onyx(bad);
    EXPECT_EQ(r.rc, 2) << bad[2] << ": " << r.out << r.err;
    EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  }
  const std::string in = dir.file("in.npz"), ref = dir.file("ref.npz");
  r = run_onyx({"run", kModel, "--backends", "ref", "--input-shapes", "image:[3,3,32,32]", "--save-inputs", in,
                "--save-outputs", ref});
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  r = run_onyx({"run", plan, "--load-inputs", in, "--load-outputs", ref});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Comparing cpu-plan against"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("All outputs matched"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace onyx::test
