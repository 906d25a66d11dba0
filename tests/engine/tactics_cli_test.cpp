// onyx build's tactic options through the binary, on the cpu target (the cuda side is in tests/gpu/tactics_gpu.cpp):
// --builder-optimization-level is --opt-level, --timing-cache is accepted and left alone by a target that times
// nothing, and a damaged cache file is not an error.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli/cli_util.h"

namespace onyx::test {
namespace {

const std::string kModel = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";

TEST(TacticsCli, BuildOptionsOnTheCpuTarget) {
  TempDir dir;
  const std::string plan = dir.file("m.plan"), cache = dir.file("cache.json");
  CliResult r = run_onyx({"build", kModel, "-o", plan, "--builder-optimization-level", "0", "--timing-cache", cache});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(cache)) << "the cpu target times nothing and writes no cache";
  r = run_onyx({"inspect", "plan", plan, "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("\"tactics\": []"), std::string::npos) << r.out;
  std::ofstream(cache) << "not a cache";
  r = run_onyx({"build", kModel, "-o", plan, "--timing-cache", cache});
  EXPECT_EQ(r.rc, 0) << r.err;
  r = run_onyx({"build", kModel, "-o", plan, "--builder-optimization-level", "4"});
  EXPECT_EQ(r.rc, 2) << r.err;
  r = run_onyx({"build", "--help"});
  EXPECT_NE(r.out.find("--timing-cache"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--builder-optimization-level"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace onyx::test
