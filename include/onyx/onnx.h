// Reading and writing ONNX files: models (ModelProto) and tensors (TensorProto .pb files).
//
// Everything read here is untrusted: sizes are checked against the data actually present and against limits()
// before memory is claimed, and external data may only be read from files inside the model's folder.
#pragma once

#include <string>
#include <string_view>

#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx {

struct LoadOptions {
  // Read tensors stored in external files (location relative to the model's folder).
  bool load_external_data = true;
};

// Loads `path` into the IR. Node order is made topological; the graph is validated structurally (every input is
// defined, no cycles, no duplicate names). Ops are not resolved here: see prepare_model() in onyx/runtime.h.
// Throws onyx::Error (kBadInput) with a one-line message naming the file and, where known, the node or tensor.
Model load_model(const std::string& path, const LoadOptions& options = {});

// Same from bytes already in memory. `base_dir` is the folder external data is resolved in ("" to forbid
// external data); `label` names the source in error messages.
Model parse_model(std::string_view bytes, const std::string& base_dir, const std::string& label,
                  const LoadOptions& options = {});

// Serializes the IR back to ONNX (tensor data written inline as raw_data).
std::string serialize_model(const Model& model);
// Writes atomically: to a temporary file in the same folder, then renamed, so no half-written file remains.
void save_model(const Model& model, const std::string& path);

// A single TensorProto file (the ONNX backend test data's input_0.pb / output_0.pb).
Tensor read_tensor_pb(const std::string& path, std::string* name = nullptr);
Tensor parse_tensor_pb(std::string_view bytes, const std::string& label, std::string* name = nullptr);
std::string serialize_tensor_pb(const Tensor& t, const std::string& name = "");
void write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name = "");

// Reads a whole file with size checks; throws kBadInput naming the path when missing, a directory, or unreadable.
std::string read_file_bytes(const std::string& path, uint64_t max_bytes = 0);
// Writes via a temporary file + rename.
void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace onyx
