// Fuzz target: plan loading — Engine::deserialize() on mutated plan bytes (what `onyx run --plan`, `onyx inspect
// plan` and Engine::load do with a file from a stranger), then a run of the loaded engine on zero inputs.
//
// The plan header carries a CRC-32 of the file, so nearly every mutation would stop at "checksum mismatch"
// (tests/engine/plan_test.cpp checks that, for every flipped byte). To reach the sections and the model behind
// them, the target first rewrites the payload size and the checksum to match the mutated bytes — the plan a
// hostile author would write. An input whose byte 63 (the checksum's high byte, always 0 in a real plan) is
// non-zero is passed through unchanged, so the header checks are fuzzed too.
#include <zlib.h>

#include <string>
#include <vector>

#include "../engine/damaged_plan.h"
#include "fuzz_common.h"
#include "onyx/engine.h"

namespace {

void put_u64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// Payload size and checksum (CRC-32 of header bytes 0..55 and the payload; docs/plan-format.md).
void fix_header(std::string& b) {
  put_u64(b, 48, b.size() - 64);
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, reinterpret_cast<const Bytef*>(b.data()), 56);
  c = crc32(c, reinterpret_cast<const Bytef*>(b.data() + 64), static_cast<uInt>(b.size() - 64));
  put_u64(b, 56, c);
}

// Runs the engine once on zero-filled inputs when every input has a known, small shape (profile 0's max).
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  onyx::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(onyx::fuzz::as_view(data, size));
  if (bytes.size() >= 64 && bytes[63] == 0) fix_header(bytes);
  onyx::fuzz::expect_ok_or_error([&] {
    auto engine = onyx::Engine::deserialize(bytes, "fuzz.plan");
    (void)engine->summary();
    onyx::test::run_with_zeros(*engine);
  });
  return 0;
}
