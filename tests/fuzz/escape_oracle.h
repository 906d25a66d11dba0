// The "external data never leaves the model folder" oracle of fuzz_onnx_model: a secret file outside the model
// folder (with links to it from inside) whose bytes must never show up in a loaded model.
#pragma once

#include <string>
#include <string_view>

namespace onyx::fuzz {

// Creates <tmp>/onyx-fuzz-<pid>/{outside.bin, model/{w.bin, sub/, link.bin -> ../outside.bin, up -> ..}} and
// returns the model folder. The secret is 8 random bytes repeated; the folder is removed at exit.
std::string make_model_folder();

// True when `bytes` holds 8 consecutive bytes of the secret (in any rotation), i.e. something read the file
// outside the model folder. Compiled without coverage instrumentation so libFuzzer cannot learn the secret from
// the comparisons.
bool contains_secret(std::string_view bytes);

}  // namespace onyx::fuzz
