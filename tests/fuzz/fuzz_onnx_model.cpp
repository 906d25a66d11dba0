// Fuzz target: ONNX import, validation and shape inference — parse_model() then prepare_model(), what
// `onyx inspect model` and every backend do with an untrusted file. External data is resolved in a scratch
// model folder next to a secret file (escape_oracle.h): a loaded model that contains the secret's bytes read
// outside its folder, which aborts.
#include <cstdlib>
#include <iostream>

#include "escape_oracle.h"
#include "fuzz_common.h"
#include "onyx/onnx.h"
#include "onyx/ref.h"

namespace {
std::string g_model_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  onyx::fuzz::set_fuzz_limits();
  g_model_dir = onyx::fuzz::make_model_folder();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = onyx::fuzz::as_view(data, size);
  onyx::fuzz::expect_ok_or_error([&] {
    onyx::Model model = onyx::parse_model(bytes, g_model_dir, "fuzz.onnx");
    std::string written;
    try {
      written = onyx::serialize_model(model);
    } catch (const onyx::Error&) {
    }
    if (onyx::fuzz::contains_secret(written) && !onyx::fuzz::contains_secret(bytes)) {
      std::cerr << "external data was read from outside the model folder\n";
      std::abort();
    }
    onyx::prepare_model(model);
  });
  return 0;
}
