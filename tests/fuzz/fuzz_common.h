// Shared by the libFuzzer targets of tests/fuzz (docs/security.md).
//
// The contract for hostile input is: either success, or an onyx::Error. Anything else that escapes a target (a
// std::exception of another type, a crash, a sanitizer report, a leak) is a finding, so targets catch only
// onyx::Error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "onyx/error.h"
#include "onyx/limits.h"

namespace onyx::fuzz {

// Small limits so a file that claims a huge (but technically allowed) tensor does not make the fuzzer run out
// of memory (libFuzzer's default -rss_limit_mb is 2048): a lie must be refused, not merely survived.
inline void set_fuzz_limits() {
  limits().max_tensor_bytes = uint64_t{64} << 20;
  limits().max_loop_iterations = 10'000;
  // Legal but large function expansions (up to 2^18 nodes, seconds each under ASan) took most of the ONNX
  // target's time; 2^14 still reaches the limit's code and keeps the fuzzer on parsing and inference.
  limits().max_inlined_nodes = uint64_t{1} << 14;
}

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Runs `body`; an onyx::Error (the documented way to refuse input) is swallowed.
template <typename F>
void expect_ok_or_error(F&& body) {
  try {
    body();
  } catch (const onyx::Error&) {
  }
}

}  // namespace onyx::fuzz
