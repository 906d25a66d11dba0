// Reading the ONNX backend test data: TensorProto, SequenceProto and OptionalProto .pb files. The last two come
// from onnx-data.proto, which Debian does not ship; their few fields are decoded here from the wire format.
#include <google/protobuf/io/coded_stream.h>

#include <climits>
#include <cstring>

#include "../onnx/proto_convert.h"
#include "onyx/conformance.h"
#include "onyx/onnx.h"

namespace onyx {

namespace {

using google::protobuf::io::CodedInputStream;

// Splits a message into (field number, bytes) for its length-delimited fields and (field, varint) for varints.
struct Fields {
  std::vector<std::pair<int, std::string>> bytes;
  std::vector<std::pair<int, uint64_t>> varints;
};

Fields split_fields(std::string_view data, const std::string& label) {
  Fields f;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(data.data()), static_cast<int>(data.size()));
  for (;;) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0) break;
    const int field = static_cast<int>(tag >> 3);
    switch (tag & 7) {
      case 0: {
        uint64_t v;
        if (!in.ReadVarint64(&v)) fail_bad_input(label, ": malformed protobuf (varint)");
        f.varints.emplace_back(field, v);
        break;
      }
      case 2: {
        uint32_t len;
        if (!in.ReadVarint32(&len) || len > data.size()) fail_bad_input(label, ": malformed protobuf (length)");
        std::string s;
        if (!in.ReadString(&s, static_cast<int>(len))) fail_bad_input(label, ": malformed protobuf (truncated)");
        f.bytes.emplace_back(field, std::move(s));
        break;
      }
      case 1: {
        uint64_t v;
        if (!in.ReadLittleEndian64(&v)) fail_bad_input(label, ": malformed protobuf");
        break;
      }
      case 5: {
        uint32_t v;
        if (!in.ReadLittleEndian32(&v)) fail_bad_input(label, ": malformed protobuf");
        break;
      }
      default:
        fail_bad_input(label, ": malformed protobuf (wire type ", tag & 7, ")");
    }
  }
  return f;
}

RunValue parse_value(std::string_view bytes, const TypeInfo* type, const std::string& label, int depth);

// SequenceProto: 2 elem_type, 3 tensor_values.
RunValue parse_sequence(std::string_view bytes, const TypeInfo* type, const std::string& label, int depth) {
  Fields f = split_fields(bytes, label);
  std::vector<Tensor> items;
  for (auto& [field, data] : f.bytes) {
    if (field == 3) items.push_back(parse_tensor_pb(data, label));
    else if (field >= 4 && field <= 7) fail_unsupported(label, ": sequences of non-tensors are not supported");
  }
  TypeInfo elem = type && type->element ? *type->element : TypeInfo{};
  return RunValue::make_sequence(std::move(items), elem);
}

// OptionalProto: 2 elem_type, 3 tensor_value, 5 sequence_value.
RunValue parse_optional(std::string_view bytes, const TypeInfo* type, const std::string& label, int depth) {
  Fields f = split_fields(bytes, label);
  const TypeInfo* elem = type && type->element ? type->element.get() : nullptr;
  for (auto& [field, data] : f.bytes) {
    RunValue v;
    if (field == 3) v = RunValue(parse_tensor_pb(data, label));
    else if (field == 5) v = parse_sequence(data, elem, label, depth + 1);
    else continue;
    v.is_optional = true;
    return v;
  }
  return RunValue::none(elem ? *elem : TypeInfo{});
}

RunValue parse_value(std::string_view bytes, const TypeInfo* type, const std::string& label, int depth) {
  if (depth > 16) fail_bad_input(label, ": nesting too deep");
  if (type && type->kind == TypeInfo::Kind::kSequence) return parse_sequence(bytes, type, label, depth);
  if (type && type->kind == TypeInfo::Kind::kOptional) return parse_optional(bytes, type, label, depth);
  Tensor t = parse_tensor_pb(bytes, label);
  // Old ONNX test data stores bfloat16 tensors as uint16 bit patterns: reinterpret them as the model declares.
  if (type && type->is_tensor() && type->dtype == DType::kBFloat16 && t.dtype() == DType::kUInt16) {
    Tensor b(DType::kBFloat16, t.dims());
    if (t.numel() > 0) std::memcpy(b.raw_data(), t.raw_data(), t.nbytes());
    t = b;
  }
  return RunValue(std::move(t));
}

}  // namespace

RunValue read_test_data_pb(const std::string& path, const TypeInfo* expected_type) {
  const std::string bytes = read_file_bytes(path);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) fail_bad_input(path, ": file too large");
  return parse_value(bytes, expected_type, path, 0);
}

}  // namespace onyx
