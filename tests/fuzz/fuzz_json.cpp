// Fuzz target: Polygraphy JSON (onyx::decode_polygraphy_json: feed-dict lists, RunResults, base64 npy arrays).
#include "fuzz_common.h"
#include "onyx/data.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  onyx::fuzz::set_fuzz_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onyx::fuzz::expect_ok_or_error([&] {
    const auto runs = onyx::decode_polygraphy_json(onyx::fuzz::as_view(data, size), "fuzz.json");
    // Whatever was read must write back out.
    (void)onyx::encode_polygraphy_run_results(runs);
  });
  return 0;
}
