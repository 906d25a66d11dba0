// Fuzz target: .npy decoding (onyx::decode_npy), with a round-trip check: whatever decodes must encode and
// decode back to the same tensor.
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
    if (!back.bitwise_equal(t)) {
      std::cerr << "npy round trip changed " << t.describe() << " into " << back.describe() << "\n";
      std::abort();
    }
  });
  return 0;
}
