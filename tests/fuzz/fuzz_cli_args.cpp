// Fuzz target: the parsers behind `onyx run --input-shapes` and `--val-range` (onyx::parse_input_shapes and
// onyx::parse_val_ranges, include/onyx/data.h). The input is split at '\n' into the flag's repeated values.
#include <string>
#include <vector>

#include "fuzz_common.h"
#include "onyx/data.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> items(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == '\n')
      items.emplace_back();
    else
      items.back() += static_cast<char>(data[i]);
  }
  onyx::fuzz::expect_ok_or_error([&] { (void)onyx::parse_input_shapes(items); });
  onyx::fuzz::expect_ok_or_error([&] {
    for (const auto& [name, r] : onyx::parse_val_ranges(items))
      if (!(r.lo <= r.hi)) __builtin_trap();  // the parser promises lo <= hi, never NaN
  });
  return 0;
}
