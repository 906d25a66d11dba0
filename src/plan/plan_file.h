// The plan container (docs/plan-format.md): a 64-byte header (magic, format version, onyx version, target,
// GPU architecture, options hash, payload size, checksum) and a payload of 64-byte-aligned sections.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "onyx/builder.h"

namespace onyx::plan {

inline constexpr char kMagic[8] = {'O', 'N', 'Y', 'X', 'P', 'L', 'A', 'N'};
inline constexpr uint32_t kFormatVersion = 2;  // 2: weights may be stored converted (cuda fp16/bf16)
inline constexpr size_t kHeaderSize = 64;
inline constexpr size_t kAlign = 64;

enum class SectionTag : uint32_t { kMeta = 1, kModel = 2, kWeights = 3 };

struct Header {
  uint32_t format_version = kFormatVersion;
  std::string onyx_version;  // at most 15 bytes
  Target target = Target::kCpu;
  uint32_t gpu_arch = 0;  // e.g. 90 for sm_90; 0 for cpu
  uint64_t options_hash = 0;
  uint64_t payload_size = 0;
};

struct Section {
  SectionTag tag;
  std::string_view data;  // for writing: the bytes; for reading: a view into the plan buffer
};

// Writes header + sections; the checksum covers the header's first 56 bytes and the whole payload.
std::string write_plan(const Header& header, const std::vector<Section>& sections);

// A 64-byte-aligned copy of plan bytes (weights inside it are 64-byte aligned).
struct AlignedBuffer {
  std::shared_ptr<uint8_t> data;
  size_t size = 0;
  static AlignedBuffer allocate(size_t size);  // kRuntime on out of memory
  std::string_view view() const { return {reinterpret_cast<const char*>(data.get()), size}; }
};

// Reads and checks a plan: size, magic, format version, payload size, checksum, onyx version, target and
// sections (each exactly once, inside the payload). Every failure is kBadInput "LABEL: ..." on one line.
// `sections` point into `bytes`.
Header read_plan(std::string_view bytes, const std::string& label, Target expected_target,
                 std::vector<Section>& sections);

// The target a plan's header names (kCpu when the bytes are too short or the id is unknown: read_plan then
// reports the problem).
Target peek_target(std::string_view bytes);

// The onyx version this build writes ("0.1.0").
std::string_view onyx_version();

}  // namespace onyx::plan
