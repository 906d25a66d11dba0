// The kernel timing cache file (src/engine/timing_cache.h): round trip, foreign/mismatched content, and damaged files
// (every truncation, bit flips) that must load as an empty cache with one warning, never crash or throw.
#include "engine/timing_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "onyx/error.h"

namespace onyx {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("onyx-tc-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_all(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TimingCache sample() {
  TimingCache c;
  c.put("NVIDIA H100 80GB HBM3|sm_90|cudnn 91000|cublasLt 120900|matmul float16 default m64 n768 k768 epi none",
        {"a21.t18.s8.k1.r0.w0.c0.i0.g0", 0.0123});
  c.put("NVIDIA H100 80GB HBM3|sm_90|cudnn 91000|cublasLt 120900|conv float16 nchw x1,64,56,56 k64 r3,3 fused+relu",
        {"e7.k3=1.k10=0", 0.0456});
  c.put("Other GPU|sm_80|cublasLt 1|matmul float32 fp32 m1 n1 k1 epi none", {"a0", -1});
  return c;
}

TEST(TimingCache, RoundTripsThroughAFile) {
  const std::string path = temp_path("roundtrip.json");
  const TimingCache c = sample();
  c.save(path);
  std::string warning;
  const TimingCache back = TimingCache::load(path, &warning);
  EXPECT_TRUE(warning.empty()) << warning;
  ASSERT_EQ(back.size(), c.size());
  for (const auto& [key, e] : c.entries()) {
    const TimingCache::Entry* b = back.find(key);
    ASSERT_NE(b, nullptr) << key;
    EXPECT_EQ(b->tactic, e.tactic);
    EXPECT_DOUBLE_EQ(b->ms, e.ms);
  }
  // No temporary file is left next to it.
  for (const auto& f : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(f.path().string().find(path + ".tmp"), std::string::npos) << f.path();
  fs::remove(path);
}

TEST(TimingCache, AMissingFileIsAnEmptyCacheWithoutWarning) {
  std::string warning;
  const TimingCache c = TimingCache::load(temp_path("does-not-exist.json"), &warning);
  EXPECT_EQ(c.size(), 0u);
  EXPECT_TRUE(warning.empty());
}

TEST(TimingCache, KeysMustMatchExactly) {
  const TimingCache c = sample();
  // Another device, library version or problem is another key: no entry.
  EXPECT_EQ(c.find("NVIDIA H200|sm_90|cudnn 91000|cublasLt 120900|matmul float16 default m64 n768 k768 epi none"),
            nullptr);
  EXPECT_EQ(c.find("NVIDIA H100 80GB HBM3|sm_90|cudnn 91000|cublasLt 120901|matmul float16 default m64 n768 k768 "
                   "epi none"),
            nullptr);
  EXPECT_EQ(c.find("NVIDIA H100 80GB HBM3|sm_90|cudnn 91000|cublasLt 120900|matmul float16 default m64 n768 k769 "
                   "epi none"),
            nullptr);
  EXPECT_NE(c.find("Other GPU|sm_80|cublasLt 1|matmul float32 fp32 m1 n1 k1 epi none"), nullptr);
}

TEST(TimingCache, ForeignFilesAreIgnoredWithOneWarning) {
  const std::string path = temp_path("foreign.json");
  for (const std::string& text :
       {std::string("{\"format\": \"something-else\", \"version\": 1, \"entries\": [], \"checksum\": \"0\"}"),
        std::string("{\"format\": \"onyx-timing-cache\", \"version\": 99, \"entries\": [], \"checksum\": \"0\"}"),
        std::string("[1, 2, 3]"), std::string(""), std::string("\x89PNG\r\n\x1a\n", 8),
        std::string("{\"format\": \"onyx-timing-cache\", \"version\": 1, \"entries\": [[1, 2, 3]], \"checksum\": "
                    "\"0\"}")}) {
    write_all(path, text);
    std::string warning;
    const TimingCache c = TimingCache::load(path, &warning);
    EXPECT_EQ(c.size(), 0u) << text;
    EXPECT_NE(warning.find("ignored"), std::string::npos) << text;
    EXPECT_EQ(warning.find('\n'), std::string::npos) << "one line: " << warning;
  }
  fs::remove(path);
}

TEST(TimingCache, ParseRejectsAnEditedEntryByItsChecksum) {
  std::string text = sample().serialize();
  const size_t at = text.find("a21.t18");
  ASSERT_NE(at, std::string::npos);
  text[at + 1] = '3';  // still valid JSON, another tactic
  try {
    TimingCache::parse(text);
    FAIL() << "an edited entry was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("checksum"), std::string::npos) << e.what();
  }
}

TEST(TimingCache, DamagedFilesNeverCrash) {
  const std::string good = sample().serialize();
  const std::string path = temp_path("damaged.json");
  size_t loaded_ok = 0, cases = 0;
  auto check = [&](const std::string& bytes) {
    write_all(path, bytes);
    std::string warning;
    TimingCache c;
    ASSERT_NO_THROW(c = TimingCache::load(path, &warning));
    ++cases;
    if (warning.empty()) {
      ++loaded_ok;
      // Accepted only when nothing that matters changed (e.g. whitespace): same entries.
      EXPECT_EQ(c.serialize(), good);
    } else {
      EXPECT_EQ(c.size(), 0u);
    }
  };
  for (size_t n = 0; n < good.size(); n += 7) check(good.substr(0, n));  // truncations
  std::mt19937 rng(12345);
  for (int i = 0; i < 400; ++i) {  // single and multiple bit flips
    std::string b = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<char>(1u << (rng() % 8));
    check(b);
  }
  EXPECT_GT(cases, 400u);
  EXPECT_LT(loaded_ok, cases / 4) << "most damage must be detected";
  // A damaged file is rewritten whole by the next save.
  write_all(path, good.substr(0, good.size() / 2));
  sample().save(path);
  EXPECT_EQ(read_all(path), good);
  fs::remove(path);
}

TEST(TimingCache, SaveIntoAMissingFolderIsARuntimeError) {
  try {
    sample().save(temp_path("no-such-dir") + "/cache.json");
    FAIL() << "saved into a missing folder";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kRuntime);
  }
}

}  // namespace
}  // namespace onyx
