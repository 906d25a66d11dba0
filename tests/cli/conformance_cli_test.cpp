// `onyx conformance` with a manifest: a new failure and a listed case that now passes must both fail the run.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_util.h"
#include "onyx/onnx.h"
#include "onyx/tensor.h"

namespace onyx::test {
namespace {

const std::string kData = ONYX_TEST_DATA_DIR;

// A folder holding copies of real backend-test cases (one passing, one with a perturbed expected output).
std::string make_suite(const TempDir& dir) {
  namespace fs = std::filesystem;
  const std::string root = dir.file("suite");
  fs::create_directories(root);
  fs::copy(kData + "/node/test_relu", root + "/test_relu", fs::copy_options::recursive);
  fs::copy(kData + "/node/test_abs", root + "/test_abs_perturbed", fs::copy_options::recursive);
  // Perturb the expected output: the abs case now expects the input itself (which has negative values).
  fs::copy_file(root + "/test_abs_perturbed/test_data_set_0/input_0.pb",
                root + "/test_abs_perturbed/test_data_set_0/output_0.pb", fs::copy_options::overwrite_existing);
  return root;
}

TEST(ConformanceCli, CountsAndReasons) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  CliResult r = run_onyx({"conformance", suite, "--backend", "ref"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("FAIL test_abs_perturbed: test_data_set_0 output 'y':"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 passed, 1 failed, 0 skipped"), std::string::npos) << r.out;
}

TEST(ConformanceCli, ManifestFailsOnANewFailure) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  write_bytes(dir.file("m"), "# nothing listed\n");
  CliResult r = run_onyx({"conformance", suite, "--manifest", dir.file("m")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("NEW FAILURE test_abs_perturbed"), std::string::npos) << r.out;
}

TEST(ConformanceCli, ManifestFailsOnAListedCaseThatNowPasses) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  write_bytes(dir.file("m"), "expected-fail test_abs_perturbed perturbed on purpose\n"
                             "expected-fail test_relu pretend it was broken\n");
  CliResult r = run_onyx({"conformance", suite, "--manifest", dir.file("m")});
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.out.find("NOW PASSES test_relu"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("NEW FAILURE"), std::string::npos) << r.out;
}

TEST(ConformanceCli, ManifestWithEveryFailureListedPasses) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  write_bytes(dir.file("m"), "expected-fail test_abs_perturbed perturbed on purpose\n");
  EXPECT_EQ(run_onyx({"conformance", suite, "--manifest", dir.file("m")}).rc, 0);
}

// A `random` case may match its data or differ in values; neither fails the run.
TEST(ConformanceCli, RandomCaseMayPassOrDifferInValues) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  write_bytes(dir.file("m"), "random test_abs_perturbed values differ\nrandom test_relu values match by chance\n");
  CliResult r = run_onyx({"conformance", suite, "--manifest", dir.file("m")});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_EQ(r.out.find("NOW PASSES"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("NEW FAILURE"), std::string::npos) << r.out;
}

// A `random` case must still give outputs of the expected shape: a wrong shape fails the run.
TEST(ConformanceCli, RandomCaseWithAWrongShapeFails) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  // The abs case now expects a [2] tensor (abs gives [3,4,5]).
  write_tensor_pb(suite + "/test_abs_perturbed/test_data_set_0/output_0.pb", Tensor::from_vector<float>({2}, {1, 2}), "y");
  write_bytes(dir.file("m"), "random test_abs_perturbed wrong shape on purpose\n");
  CliResult r = run_onyx({"conformance", suite, "--manifest", dir.file("m")});
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("NEW FAILURE test_abs_perturbed"), std::string::npos) << r.out;
}

TEST(ConformanceCli, ManifestLineWithoutReasonIsBadInput) {
  TempDir dir;
  const std::string suite = make_suite(dir);
  write_bytes(dir.file("m"), "expected-fail test_abs_perturbed\n");
  CliResult r = run_onyx({"conformance", suite, "--manifest", dir.file("m")});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("has no reason"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace onyx::test
