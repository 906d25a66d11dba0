// Conversions between onnx.proto messages and onyx types (internal to src/onnx and the data tools).
#pragma once

#include <string>

#include "onnx/onnx.pb.h"
#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx::proto {

// Where external tensor data may be read from: files inside `base_dir` only. Empty base_dir forbids it.
struct ExternalData {
  std::string base_dir;
  bool load = true;
};

// Decodes any TensorProto encoding (typed fields, raw_data, external data). `where` names the tensor in errors.
Tensor tensor_from_proto(const onnx::TensorProto& p, const ExternalData& ext, const std::string& where);
// Same, but moves raw_data out of `p` into the tensor's storage instead of copying it (p is left without data).
Tensor tensor_from_proto_moving(onnx::TensorProto& p, const ExternalData& ext, const std::string& where);
void tensor_to_proto(const Tensor& t, onnx::TensorProto* p);

TypeInfo type_from_proto(const onnx::TypeProto& p, const std::string& where);
void type_to_proto(const TypeInfo& t, onnx::TypeProto* p);

SparseTensor sparse_from_proto(const onnx::SparseTensorProto& p, const ExternalData& ext, const std::string& where);
void sparse_to_proto(const SparseTensor& s, onnx::SparseTensorProto* p);
// Densifies a sparse tensor (indices checked against dims).
Tensor densify(const SparseTensor& s, const std::string& where);

}  // namespace onyx::proto
