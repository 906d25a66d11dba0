// `onyx optimize`: writes a model that `onyx run` accepts and that matches the original, prints the per-pass
// report, lists passes, dumps a graph, honours --disable-pass / --max-rewrites, rejects unknown pass names.
#include "../cli/cli_util.h"

namespace onyx::test {
namespace {

const std::string kDefaultModel = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";

TEST(OptimizeCli, ListsPasses) {
  const CliResult r = run_onyx({"optimize", "--list-passes"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("fold-constants"), std::string::npos);
  EXPECT_NE(r.out.find("fuse-attention"), std::string::npos);
}

TEST(OptimizeCli, OptimizedDefaultModelMatchesTheOriginal) {
  TempDir dir;
  const std::string out = dir.file("opt.onnx");
  CliResult r = run_onyx({"optimize", kDefaultModel, "-o", out, "--dump-graph-after", "fuse-conv-activation"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("fuse-conv-activation"), std::string::npos);
  EXPECT_NE(r.out.find("graph after pass 'fuse-conv-activation'"), std::string::npos);
  EXPECT_NE(r.out.find("onyx.FusedConv"), std::string::npos);
  r = run_onyx({"run", kDefaultModel, "--backends", "ref", "--save-inputs", dir.file("in.json"), "--save-outputs",
                dir.file("out.json")});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run_onyx({"run", out, "--backends", "ref", "--load-inputs", dir.file("in.json"), "--load-outputs",
                dir.file("out.json"), "--rtol", "1e-4", "--atol", "1e-5"});
  EXPECT_EQ(r.rc, 0) << r.out << r.err;
}

TEST(OptimizeCli, DisableAndMaxRewrites) {
  TempDir dir;
  CliResult r = run_onyx({"optimize", kDefaultModel, "-o", dir.file("a.onnx"), "--disable-pass",
                          "fuse-conv-activation"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("disabled"), std::string::npos);
  EXPECT_EQ(r.out.find("onyx.FusedConv"), std::string::npos);
  r = run_onyx({"optimize", kDefaultModel, "-o", dir.file("b.onnx"), "--max-rewrites", "1"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("rewrites: 1 in 1 round(s) (--max-rewrites budget spent)"), std::string::npos) << r.out;
}

TEST(OptimizeCli, UnknownPassIsBadInput) {
  TempDir dir;
  const CliResult r = run_onyx({"optimize", kDefaultModel, "-o", dir.file("a.onnx"), "--disable-pass", "nope"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("unknown pass 'nope'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace onyx::test
