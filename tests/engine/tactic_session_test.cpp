// Tactic choice without a GPU (src/cuda/tactics.h): what choose_tactic picks with no session, with a plan's
// recorded tactics (load), and with a timing cache hit (build) — none of these time anything or touch the device.
#ifdef ONYX_HAVE_CUDA
#include "cuda/tactics.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace onyx::cuda {
namespace {

const std::vector<std::string> kIds = {"a1.t1", "a2.t7", "a3.t9"};
const auto kNoRun = [](int, cudaStream_t) { ADD_FAILURE() << "a candidate was run"; };

TEST(TacticSession, NoSessionTakesTheHeuristicsFirst) {
  ASSERT_EQ(current_tactics(), nullptr);
  EXPECT_EQ(choose_tactic("matmul p", kIds, kNoRun), 0);
}

TEST(TacticSession, LookupTakesTheRecordedTacticAndWarnsOnceWhenItIsGone) {
  TacticSession s(TacticSession::Mode::kLookup);
  s.chosen["matmul p"] = "a3.t9";
  s.chosen["matmul gone"] = "a4.t0";
  const TacticScope scope(&s);
  EXPECT_EQ(current_tactics(), &s);
  EXPECT_EQ(choose_tactic("matmul p", kIds, kNoRun), 2);
  EXPECT_EQ(choose_tactic("matmul other shape", kIds, kNoRun), 0);
  testing::internal::CaptureStderr();
  EXPECT_EQ(choose_tactic("matmul gone", kIds, kNoRun), 0);
  EXPECT_EQ(choose_tactic("matmul gone", kIds, kNoRun), 0);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("'a4.t0'"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << "one warning line per problem: " << err;
  EXPECT_TRUE(s.records.empty()) << "loading records nothing";
}

TEST(TacticSession, ScopesNest) {
  TacticSession a(TacticSession::Mode::kLookup), b(TacticSession::Mode::kLookup);
  {
    const TacticScope sa(&a);
    {
      const TacticScope sb(&b);
      EXPECT_EQ(current_tactics(), &b);
    }
    EXPECT_EQ(current_tactics(), &a);
  }
  EXPECT_EQ(current_tactics(), nullptr);
}

TEST(TacticSession, BuildReusesTheCacheAndEarlierChoicesWithoutTiming) {
  TimingCache cache;
  cache.put("GPU|sm_90|matmul p", {"a2.t7", 0.5});
  cache.put("GPU|sm_90|matmul stale", {"a9.t9", 0.1});  // no longer a candidate: would be timed
  TacticSession s(TacticSession::Mode::kTime);
  s.cache = &cache;
  s.device = "GPU|sm_90";
  const TacticScope scope(&s);
  ASSERT_NE(s.known("matmul p"), nullptr);
  EXPECT_EQ(*s.known("matmul p"), "a2.t7");
  EXPECT_EQ(s.known("matmul q"), nullptr);
  EXPECT_EQ(choose_tactic("matmul p", kIds, kNoRun), 1);
  ASSERT_EQ(s.records.size(), 1u);
  EXPECT_TRUE(s.records[0].from_cache);
  EXPECT_DOUBLE_EQ(s.records[0].ms, 0.5);
  EXPECT_EQ(s.from_cache, 1);
  // The same problem again (another layer): the session's choice, not counted as a cache hit again.
  EXPECT_EQ(choose_tactic("matmul p", kIds, kNoRun), 1);
  EXPECT_EQ(s.from_cache, 1);
  // One candidate: nothing to time.
  EXPECT_EQ(choose_tactic("matmul single", {"a5.t5"}, kNoRun), 0);
  EXPECT_EQ(s.timed, 0);
  const auto recs = s.take_records();
  EXPECT_EQ(recs.size(), 3u);
  EXPECT_TRUE(s.records.empty());
}

}  // namespace
}  // namespace onyx::cuda
#endif
