// TensorProto <-> Tensor, with every size checked against the bytes actually present before allocating.
#include <sys/stat.h>

#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "onyx/dtype_dispatch.h"
#include "onyx/limits.h"
#include "onyx/onnx.h"
#include "proto_convert.h"

namespace onyx::proto {

namespace fs = std::filesystem;

namespace {

// Number of elements a typed repeated field must hold for `numel` tensor elements.
template <typename Field>
void check_field_count(const Field& field, int64_t expected, const std::string& where, const char* field_name) {
  if (static_cast<int64_t>(field.size()) != expected)
    fail_bad_input(where, ": ", field_name, " holds ", field.size(), " values, shape needs ", expected);
}

std::string resolve_external_path(const std::string& location, const ExternalData& ext, const std::string& where) {
  if (ext.base_dir.empty()) fail_bad_input(where, ": external data is not allowed here");
  if (location.empty()) fail_bad_input(where, ": external data without a location");
  const fs::path loc(location);
  if (loc.is_absolute()) fail_bad_input(where, ": external data location '", location, "' is absolute (refused)");
  for (const auto& part : loc)
    if (part == "..") fail_bad_input(where, ": external data location '", location, "' leaves the model folder");
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::path(ext.base_dir), ec);
  const fs::path full = fs::weakly_canonical(base / loc, ec);
  if (ec) fail_bad_input(where, ": external data '", location, "': ", ec.message());
  // Symbolic links could still point outside: compare the canonical paths.
  const std::string b = base.string() + "/";
  if (full.string().compare(0, b.size(), b) != 0)
    fail_bad_input(where, ": external data location '", location, "' resolves outside the model folder");
  return full.string();
}

std::string read_external(const onnx::TensorProto& p, const ExternalData& ext, const std::string& where,
                          uint64_t expected_bytes) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : p.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (errno || end == kv.value().c_str() || *end != '\0' || v < 0)
        fail_bad_input(where, ": external data ", kv.key(), " '", kv.value(), "' is not a non-negative integer");
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  const std::string path = resolve_external_path(location, ext, where);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    fail_bad_input(where, ": external data file '", location, "' not found");
  if (!S_ISREG(st.st_mode))
    fail_bad_input(where, ": external data location '", location, "' is not a regular file");
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  if (static_cast<uint64_t>(offset) > file_size)
    fail_bad_input(where, ": external data offset ", offset, " is past the end of '", location, "' (", file_size,
                   " bytes)");
  const uint64_t available = file_size - static_cast<uint64_t>(offset);
  const uint64_t want = length >= 0 ? static_cast<uint64_t>(length) : available;
  if (want > available)
    fail_bad_input(where, ": external data [", offset, ", +", want, ") runs past the end of '", location, "' (",
                   file_size, " bytes)");
  if (want != expected_bytes)
    fail_bad_input(where, ": external data holds ", want, " bytes, shape and dtype need ", expected_bytes);
  std::ifstream in(path, std::ios::binary);
  in.seekg(offset);
  std::string bytes(static_cast<size_t>(want), '\0');
  if (want && !in.read(bytes.data(), static_cast<std::streamsize>(want)))
    fail_bad_input(where, ": cannot read external data from '", location, "'");
  return bytes;
}

void decode_bytes(Tensor& t, const std::string& bytes, const std::string& where) {
  if (bytes.size() != t.nbytes())
    fail_bad_input(where, ": raw data holds ", bytes.size(), " bytes, shape ", dims_to_string(t.dims()), " of ",
                   dtype_name(t.dtype()), " needs ", t.nbytes());
  if (!bytes.empty()) std::memcpy(t.raw_data(), bytes.data(), bytes.size());  // little-endian host assumed
}

}  // namespace

Tensor tensor_from_proto(const onnx::TensorProto& p, const ExternalData& ext, const std::string& where_in) {
  const std::string where = p.name().empty() ? where_in : where_in + " tensor '" + p.name() + "'";
  if (!p.has_data_type() || !dtype_is_valid(p.data_type()))
    fail_bad_input(where, ": invalid data_type ", p.data_type());
  const DType dtype = static_cast<DType>(p.data_type());
  if (dtype == DType::kComplex64 || dtype == DType::kComplex128 || dtype == DType::kFloat8E4M3FNUZ ||
      dtype == DType::kFloat8E5M2FNUZ)
    fail_unsupported(where, ": dtype ", dtype_name(dtype), " is not supported");
  if (p.has_segment()) fail_unsupported(where, ": segmented tensors are not supported");
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  for (int64_t d : dims)
    if (d < 0) fail_bad_input(where, ": negative dimension in ", dims_to_string(dims));
  int64_t numel;
  try {
    numel = checked_numel(dims);
  } catch (const Error&) {
    fail_bad_input(where, ": element count of ", dims_to_string(dims), " overflows");
  }
  const uint64_t elem = dtype_size(dtype);
  if (dtype != DType::kString && static_cast<uint64_t>(numel) > UINT64_MAX / elem)
    fail_bad_input(where, ": shape ", dims_to_string(dims), " is too large");
  const uint64_t expected_bytes = static_cast<uint64_t>(numel) * elem;

  const bool external = p.data_location() == onnx::TensorProto::EXTERNAL;
  // Check the data present before allocating, so a tiny file cannot claim a huge tensor.
  if (dtype != DType::kString && !external) {
    const bool raw = p.has_raw_data();
    uint64_t present = 0;
    if (raw) present = p.raw_data().size();
    else present = static_cast<uint64_t>(p.float_data_size()) + static_cast<uint64_t>(p.int32_data_size()) +
                   static_cast<uint64_t>(p.int64_data_size()) + static_cast<uint64_t>(p.double_data_size()) +
                   static_cast<uint64_t>(p.uint64_data_size());
    if ((raw && present != expected_bytes) || (!raw && present != static_cast<uint64_t>(numel)))
      fail_bad_input(where, ": data holds ", present, raw ? " bytes" : " values", ", shape ", dims_to_string(dims),
                     " of ", dtype_name(dtype), " needs ", raw ? expected_bytes : static_cast<uint64_t>(numel));
  }
  if (dtype == DType::kString) {
    check_field_count(p.string_data(), numel, where, "string_data");
  }
  check_tensor_bytes(expected_bytes, where.c_str());

  Tensor t(dtype, dims);
  if (external) {
    if (!ext.load) return t;
    decode_bytes(t, read_external(p, ext, where, expected_bytes), where);
    return t;
  }
  if (dtype == DType::kString) {
    std::string* out = t.data<std::string>();
    for (int64_t i = 0; i < numel; ++i) out[i] = p.string_data(static_cast<int>(i));
    return t;
  }
  if (p.has_raw_data()) {
    decode_bytes(t, p.raw_data(), where);
    return t;
  }
  switch (dtype) {
    case DType::kFloat32:
      check_field_count(p.float_data(), numel, where, "float_data");
      std::copy(p.float_data().begin(), p.float_data().end(), t.data<float>());
      break;
    case DType::kFloat64:
      check_field_count(p.double_data(), numel, where, "double_data");
      std::copy(p.double_data().begin(), p.double_data().end(), t.data<double>());
      break;
    case DType::kInt64:
      check_field_count(p.int64_data(), numel, where, "int64_data");
      std::copy(p.int64_data().begin(), p.int64_data().end(), t.data<int64_t>());
      break;
    case DType::kUInt32:
    case DType::kUInt64: {
      check_field_count(p.uint64_data(), numel, where, "uint64_data");
      dispatch_integer(dtype, where, [&]<typename T>() {
        T* out = t.data<T>();
        for (int64_t i = 0; i < numel; ++i) out[i] = static_cast<T>(p.uint64_data(static_cast<int>(i)));
      });
      break;
    }
    case DType::kFloat16:
    case DType::kBFloat16: {
      check_field_count(p.int32_data(), numel, where, "int32_data");
      auto* out = static_cast<uint16_t*>(t.raw_data());
      for (int64_t i = 0; i < numel; ++i) out[i] = static_cast<uint16_t>(p.int32_data(static_cast<int>(i)));
      break;
    }
    case DType::kFloat8E4M3FN:
    case DType::kFloat8E5M2:
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8:
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kInt32: {
      check_field_count(p.int32_data(), numel, where, "int32_data");
      dispatch_all(dtype, where, [&]<typename T>() {
        if constexpr (std::is_same_v<T, std::string>) {
          return;
        } else {
          T* out = t.data<T>();
          for (int64_t i = 0; i < numel; ++i) {
            const int32_t v = p.int32_data(static_cast<int>(i));
            if constexpr (std::is_same_v<T, Float8E4M3FN> || std::is_same_v<T, Float8E5M2>) {
              out[i].bits = static_cast<uint8_t>(v);
            } else if constexpr (std::is_same_v<T, bool>) {
              out[i] = v != 0;
            } else {
              out[i] = static_cast<T>(v);
            }
          }
        }
      });
      break;
    }
    default:
      fail_unsupported(where, ": dtype ", dtype_name(dtype), " is not supported");
  }
  return t;
}

Tensor tensor_from_proto_moving(onnx::TensorProto& p, const ExternalData& ext, const std::string& where) {
  const bool movable = p.has_raw_data() && p.data_location() != onnx::TensorProto::EXTERNAL &&
                       p.has_data_type() && dtype_is_valid(p.data_type()) &&
                       static_cast<DType>(p.data_type()) != DType::kString && p.raw_data().size() >= 64;
  if (!movable) return tensor_from_proto(p, ext, where);
  // Anything unusual (bad shape, size mismatch, unsupported dtype) goes through the copying path, which reports
  // it with the tensor's name; the common case is checked here and moved.
  const DType dtype = static_cast<DType>(p.data_type());
  std::vector<int64_t> dims(p.dims().begin(), p.dims().end());
  int64_t numel = 0;
  try {
    numel = checked_numel(dims);
  } catch (const Error&) {
    return tensor_from_proto(p, ext, where);  // the copying path reports it with the tensor's name
  }
  if (dtype == DType::kComplex64 || dtype == DType::kComplex128 || dtype == DType::kFloat8E4M3FNUZ ||
      dtype == DType::kFloat8E5M2FNUZ || p.has_segment() ||
      static_cast<uint64_t>(numel) * dtype_size(dtype) != p.raw_data().size())
    return tensor_from_proto(p, ext, where);
  check_tensor_bytes(p.raw_data().size(), where.c_str());
  auto holder = std::make_shared<std::string>(std::move(*p.mutable_raw_data()));
  p.clear_raw_data();
  void* data = holder->data();
  if (reinterpret_cast<uintptr_t>(data) % 8 != 0) {  // not expected from the allocator; copy to be safe
    Tensor t(dtype, dims);
    std::memcpy(t.raw_data(), data, holder->size());
    return t;
  }
  return Tensor::adopt(dtype, std::move(dims), holder, data);
}

void tensor_to_proto(const Tensor& t, onnx::TensorProto* p) {
  p->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) p->add_dims(d);
  if (t.dtype() == DType::kString) {
    const std::string* s = t.data<std::string>();
    for (int64_t i = 0; i < t.numel(); ++i) p->add_string_data(s[i]);
    return;
  }
  p->set_raw_data(static_cast<const char*>(t.raw_data()), t.nbytes());
}

// ---- types ------------------------------------------------------------------------------------------------------

namespace {
Shape shape_from_proto(const onnx::TensorShapeProto& s, const std::string& where) {
  std::vector<Dim> dims;
  dims.reserve(static_cast<size_t>(s.dim_size()));
  for (const auto& d : s.dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) fail_bad_input(where, ": negative dimension ", d.dim_value());
      dims.emplace_back(d.dim_value());
    } else if (d.has_dim_param()) {
      dims.push_back(Dim::symbol(d.dim_param()));
    } else {
      dims.push_back(Dim::unknown());
    }
  }
  // A shape whose known dims multiply past int64 describes no tensor that could exist.
  uint64_t product = 1;
  for (const Dim& d : dims) {
    if (!d.is_known() || d.value() == 0) continue;
    if (product > static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(d.value()))
      fail_bad_input(where, ": dimensions of ", Shape(dims).to_string(), " multiply past the int64 range");
    product *= static_cast<uint64_t>(d.value());
  }
  return Shape(std::move(dims));
}

void shape_to_proto(const Shape& s, onnx::TensorShapeProto* p) {
  for (const Dim& d : s.dims()) {
    auto* pd = p->add_dim();
    if (d.is_known()) pd->set_dim_value(d.value());
    else if (d.is_symbolic()) pd->set_dim_param(d.symbol_name());
  }
}

DType elem_type(int32_t v, const std::string& where) {
  if (v == 0) return DType::kUndefined;
  if (!dtype_is_valid(v)) fail_bad_input(where, ": invalid element type ", v);
  return static_cast<DType>(v);
}
}  // namespace

TypeInfo type_from_proto(const onnx::TypeProto& p, const std::string& where) {
  TypeInfo t;
  t.denotation = p.denotation();
  switch (p.value_case()) {
    case onnx::TypeProto::kTensorType:
      t.kind = TypeInfo::Kind::kTensor;
      t.dtype = elem_type(p.tensor_type().elem_type(), where);
      t.has_shape = p.tensor_type().has_shape();
      t.shape = t.has_shape ? shape_from_proto(p.tensor_type().shape(), where) : Shape::unknown_rank();
      break;
    case onnx::TypeProto::kSparseTensorType:
      t.kind = TypeInfo::Kind::kSparseTensor;
      t.dtype = elem_type(p.sparse_tensor_type().elem_type(), where);
      t.has_shape = p.sparse_tensor_type().has_shape();
      t.shape = t.has_shape ? shape_from_proto(p.sparse_tensor_type().shape(), where) : Shape::unknown_rank();
      break;
    case onnx::TypeProto::kSequenceType:
      t.kind = TypeInfo::Kind::kSequence;
      t.element = std::make_shared<TypeInfo>(type_from_proto(p.sequence_type().elem_type(), where));
      break;
    case onnx::TypeProto::kOptionalType:
      t.kind = TypeInfo::Kind::kOptional;
      t.element = std::make_shared<TypeInfo>(type_from_proto(p.optional_type().elem_type(), where));
      break;
    case onnx::TypeProto::kMapType:
      t.kind = TypeInfo::Kind::kMap;
      t.dtype = elem_type(p.map_type().key_type(), where);
      t.element = std::make_shared<TypeInfo>(type_from_proto(p.map_type().value_type(), where));
      break;
    default:
      break;
  }
  return t;
}

void type_to_proto(const TypeInfo& t, onnx::TypeProto* p) {
  if (!t.denotation.empty()) p->set_denotation(t.denotation);
  switch (t.kind) {
    case TypeInfo::Kind::kTensor: {
      auto* tt = p->mutable_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.dtype));
      if (t.has_shape && t.shape.rank_known()) shape_to_proto(t.shape, tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::kSparseTensor: {
      auto* tt = p->mutable_sparse_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.dtype));
      if (t.has_shape && t.shape.rank_known()) shape_to_proto(t.shape, tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::kSequence:
      type_to_proto(t.element ? *t.element : TypeInfo{}, p->mutable_sequence_type()->mutable_elem_type());
      break;
    case TypeInfo::Kind::kOptional:
      type_to_proto(t.element ? *t.element : TypeInfo{}, p->mutable_optional_type()->mutable_elem_type());
      break;
    case TypeInfo::Kind::kMap:
      p->mutable_map_type()->set_key_type(static_cast<int32_t>(t.dtype));
      type_to_proto(t.element ? *t.element : TypeInfo{}, p->mutable_map_type()->mutable_value_type());
      break;
    case TypeInfo::Kind::kUnknown:
      break;
  }
}

// ---- sparse -----------------------------------------------------------------------------------------------------

SparseTensor sparse_from_proto(const onnx::SparseTensorProto& p, const ExternalData& ext, const std::string& where) {
  SparseTensor s;
  s.values = tensor_from_proto(p.values(), ext, where + " (sparse values)");
  s.indices = tensor_from_proto(p.indices(), ext, where + " (sparse indices)");
  s.dims.assign(p.dims().begin(), p.dims().end());
  return s;
}

void sparse_to_proto(const SparseTensor& s, onnx::SparseTensorProto* p) {
  tensor_to_proto(s.values, p->mutable_values());
  tensor_to_proto(s.indices, p->mutable_indices());
  for (int64_t d : s.dims) p->add_dims(d);
}

Tensor densify(const SparseTensor& s, const std::string& where) {
  const int64_t numel = checked_numel(s.dims);
  ONYX_CHECK(s.values.rank() == 1, where, ": sparse values must be 1-D");
  ONYX_CHECK(s.indices.dtype() == DType::kInt64, where, ": sparse indices must be int64");
  const int64_t nnz = s.values.numel();
  const size_t rank = s.dims.size();
  const bool linear = s.indices.rank() == 1;
  ONYX_CHECK((linear && s.indices.dim(0) == nnz) ||
                 (s.indices.rank() == 2 && s.indices.dim(0) == nnz && s.indices.dim(1) == static_cast<int64_t>(rank)),
             where, ": sparse indices shape ", dims_to_string(s.indices.dims()), " does not match ", nnz, " values");
  const uint64_t elem = dtype_size(s.values.dtype());
  const bool huge = elem && static_cast<uint64_t>(numel) > UINT64_MAX / elem;
  check_tensor_bytes(huge ? UINT64_MAX : static_cast<uint64_t>(numel) * elem, where.c_str());
  Tensor dense(s.values.dtype(), s.dims);
  const int64_t* idx = s.indices.data<int64_t>();
  for (int64_t k = 0; k < nnz; ++k) {
    int64_t flat = 0;
    if (linear) {
      flat = idx[k];
    } else {
      for (size_t d = 0; d < rank; ++d) {
        const int64_t i = idx[k * static_cast<int64_t>(rank) + static_cast<int64_t>(d)];
        ONYX_CHECK(i >= 0 && i < s.dims[d], where, ": sparse index ", i, " out of range for dim ", s.dims[d]);
        flat = flat * s.dims[d] + i;
      }
    }
    ONYX_CHECK(flat >= 0 && flat < numel, where, ": sparse index ", flat, " out of range");
    if (s.values.dtype() == DType::kString) {
      dense.data<std::string>()[flat] = s.values.data<std::string>()[k];
    } else {
      std::memcpy(static_cast<char*>(dense.raw_data()) + flat * static_cast<int64_t>(elem),
                  static_cast<const char*>(s.values.raw_data()) + k * static_cast<int64_t>(elem), elem);
    }
  }
  return dense;
}

}  // namespace onyx::proto

namespace onyx {

Tensor parse_tensor_pb(std::string_view bytes, const std::string& label, std::string* name) {
  onnx::TensorProto p;
  if (bytes.size() > static_cast<size_t>(INT_MAX) || !p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    fail_bad_input(label, ": not a valid ONNX TensorProto file");
  if (name) *name = p.name();
  return proto::tensor_from_proto(p, proto::ExternalData{}, label);
}

Tensor read_tensor_pb(const std::string& path, std::string* name) {
  return parse_tensor_pb(read_file_bytes(path), path, name);
}

std::string serialize_tensor_pb(const Tensor& t, const std::string& name) {
  onnx::TensorProto p;
  proto::tensor_to_proto(t, &p);
  if (!name.empty()) p.set_name(name);
  return p.SerializeAsString();
}

void write_tensor_pb(const std::string& path, const Tensor& t, const std::string& name) {
  write_file_atomic(path, serialize_tensor_pb(t, name));
}

}  // namespace onyx
