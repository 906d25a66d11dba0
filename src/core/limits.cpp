#include "onyx/limits.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "onyx/error.h"

namespace onyx {

namespace {
uint64_t default_max_tensor_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return uint64_t{8} << 30;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size) / 2;
}

// The environment variables ONYX_MAX_TENSOR_BYTES and ONYX_MAX_LOOP_ITERATIONS (positive integers) replace the
// defaults of max_tensor_bytes and max_loop_iterations; a malformed value makes the first call of limits() throw
// kBadInput. The CLI flags --max-tensor-bytes and --max-loop-iterations override both (docs/security.md).
// A positive integer from environment variable `name`, or `fallback` when unset or empty.
uint64_t env_limit(const char* name, uint64_t fallback, uint64_t max) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  errno = 0;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (errno != 0 || *end != '\0' || *v == '-' || *v == '+' || n == 0 || n > max)
    fail_bad_input("environment variable ", name, "='", v, "': expected a positive integer up to ", max);
  return n;
}
}  // namespace

Limits& limits() {
  static Limits instance = [] {
    Limits l;
    l.max_tensor_bytes = env_limit("ONYX_MAX_TENSOR_BYTES", default_max_tensor_bytes(), UINT64_MAX);
    l.max_loop_iterations = static_cast<int64_t>(env_limit(
        "ONYX_MAX_LOOP_ITERATIONS", static_cast<uint64_t>(l.max_loop_iterations), uint64_t{INT64_MAX}));
    return l;
  }();
  return instance;
}

void check_tensor_bytes(uint64_t bytes, const char* what) {
  if (bytes > limits().max_tensor_bytes) {
    fail_bad_input(what, ": tensor of ", bytes, " bytes exceeds the limit of ", limits().max_tensor_bytes,
                   " bytes (--max-tensor-bytes)");
  }
}

}  // namespace onyx
