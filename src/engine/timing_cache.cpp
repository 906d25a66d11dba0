// The kernel timing cache file (see timing_cache.h).
#include "timing_cache.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "onyx/error.h"

namespace onyx {

namespace {

using Json = nlohmann::json;

constexpr const char* kFormat = "onyx-timing-cache";
constexpr int kVersion = 1;

std::string fnv1a_hex(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

TimingCache TimingCache::parse(const std::string& text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {
    fail_bad_input("not JSON (", e.what(), ")");
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() || j["format"] != kFormat)
    fail_bad_input("not an onyx timing cache (no \"format\": \"", kFormat, "\")");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"] != kVersion)
    fail_bad_input("unsupported timing cache version ", j.contains("version") ? j["version"].dump() : "(none)",
                   " (this onyx reads version ", kVersion, ")");
  if (!j.contains("entries") || !j["entries"].is_array()) fail_bad_input("no \"entries\" array");
  if (!j.contains("checksum") || !j["checksum"].is_string() || j["checksum"] != fnv1a_hex(j["entries"].dump()))
    fail_bad_input("checksum mismatch (the file was changed or damaged)");
  TimingCache c;
  for (const Json& e : j["entries"]) {
    if (!e.is_array() || e.size() != 3 || !e[0].is_string() || !e[1].is_string() || !e[2].is_number())
      fail_bad_input("malformed entry ", e.dump().substr(0, 80));
    c.entries_[e[0].get<std::string>()] = {e[1].get<std::string>(), e[2].get<double>()};
  }
  return c;
}

std::string TimingCache::serialize() const {
  Json entries = Json::array();
  for (const auto& [key, e] : entries_) entries.push_back(Json::array({key, e.tactic, e.ms}));
  Json j = {{"format", kFormat}, {"version", kVersion}, {"entries", entries}, {"checksum", fnv1a_hex(entries.dump())}};
  return j.dump(1) + "\n";
}

TimingCache TimingCache::load(const std::string& path, std::string* warning) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};  // no cache yet
  std::ostringstream ss;
  ss << in.rdbuf();
  try {
    return parse(ss.str());
  } catch (const std::exception& e) {  // onyx::Error, or a JSON library error on odd content
    if (warning) *warning = "timing cache '" + path + "' ignored (it will be rewritten): " + e.what();
    return {};
  }
}

void TimingCache::save(const std::string& path) const {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorCode::kRuntime, "timing cache: cannot write '", tmp, "'");
    out << serialize();
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      fail(ErrorCode::kRuntime, "timing cache: writing '", tmp, "' failed");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail(ErrorCode::kRuntime, "timing cache: cannot rename '", tmp, "' to '", path, "'");
  }
}

const TimingCache::Entry* TimingCache::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace onyx
