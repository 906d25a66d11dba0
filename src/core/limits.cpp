#include "onyx/limits.h"

#include <unistd.h>

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
}  // namespace

Limits& limits() {
  static Limits instance = [] {
    Limits l;
    l.max_tensor_bytes = default_max_tensor_bytes();
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
