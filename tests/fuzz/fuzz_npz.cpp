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
    // String members may be normalized by the first trip (numpy unicode, see fuzz_npy.cpp); then stable.
    const onyx::NamedTensors back2 = onyx::decode_npz(onyx::encode_npz(back), "again.npz");
    bool same = back.size() == ts.size() && back2.size() == ts.size();
    for (size_t i = 0; same && i < ts.size(); ++i) {
      const bool str = ts[i].second.dtype() == onyx::DType::kString;
      same = back[i].first == ts[i].first &&
             back[i].second.bitwise_equal(str ? back2[i].second : ts[i].second);
    }
    if (!same) {
      std::cerr << "npz round trip changed the archive\n";
      std::abort();
    }
  });
  return 0;
}
