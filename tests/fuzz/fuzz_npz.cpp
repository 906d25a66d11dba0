// Fuzz target: .npz decoding (onyx::decode_npz: zip, zip64, deflate), with a round-trip check.
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
    const onyx::NamedTensors ts = onyx::decode_npz(onyx::fuzz::as_view(data, size), "fuzz.npz");
    std::string again;
    try {
      again = onyx::encode_npz(ts);
    } catch (const onyx::Error&) {
      return;
    }
    const onyx::NamedTensors back = onyx::decode_npz(again, "roundtrip.npz");
    bool same = back.size() == ts.size();
    for (size_t i = 0; same && i < ts.size(); ++i)
      same = back[i].first == ts[i].first && back[i].second.bitwise_equal(ts[i].second);
    if (!same) {
      std::cerr << "npz round trip changed the archive\n";
      std::abort();
    }
  });
  return 0;
}
