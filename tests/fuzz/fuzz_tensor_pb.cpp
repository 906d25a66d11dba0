// Fuzz target: ONNX TensorProto files (onyx::parse_tensor_pb, the backend test data's input_N.pb), with a
// round-trip check.
#include <cstdlib>
#include <iostream>

#include "fuzz_common.h"
#include "onyx/onnx.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  onyx::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onyx::fuzz::expect_ok_or_error([&] {
    std::string name;
    const onyx::Tensor t = onyx::parse_tensor_pb(onyx::fuzz::as_view(data, size), "fuzz.pb", &name);
    const std::string again = onyx::serialize_tensor_pb(t, name);
    std::string name2;
    const onyx::Tensor back = onyx::parse_tensor_pb(again, "roundtrip.pb", &name2);
    if (name2 != name || !back.bitwise_equal(t)) {
      std::cerr << "TensorProto round trip changed " << t.describe() << " into " << back.describe() << "\n";
      std::abort();
    }
  });
  return 0;
}
