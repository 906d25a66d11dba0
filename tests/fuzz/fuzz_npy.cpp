// Fuzz target: .npy decoding (onyx::decode_npy), with a round-trip check: whatever decodes must encode and
// decode back to the same tensor (strings: to a stable normal form, see below).
#include <cstdlib>
#include <iostream>

#include "fuzz_common.h"
#include "onyx/data.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  onyx::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onyx::fuzz::expect_ok_or_error([&] {
    const onyx::Tensor t = onyx::decode_npy(onyx::fuzz::as_view(data, size), "fuzz.npy");
    std::string again;
    try {
      again = onyx::encode_npy(t);
    } catch (const onyx::Error&) {
      return;  // a dtype numpy cannot hold
    }
    const onyx::Tensor back = onyx::decode_npy(again, "roundtrip.npy");
    // Strings are written as numpy unicode: invalid UTF-8 becomes U+FFFD and a NUL ends a string, so the first
    // trip may normalize them; from then on the data must be stable.
    const onyx::Tensor& want =
        t.dtype() == onyx::DType::kString ? onyx::decode_npy(onyx::encode_npy(back), "again.npy") : t;
    if (!back.bitwise_equal(want)) {
      std::cerr << "npy round trip changed " << t.describe() << " into " << back.describe() << "\n";
      std::abort();
    }
  });
  return 0;
}
