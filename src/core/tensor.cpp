#include "onyx/tensor.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "onyx/dtype_dispatch.h"
#include "onyx/limits.h"

namespace onyx {

namespace {

constexpr size_t kAlignment = 64;

std::shared_ptr<void> allocate_bytes(size_t bytes) {
  const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* p = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!p) fail(ErrorCode::kRuntime, "out of memory allocating ", bytes, " bytes");
  std::memset(p, 0, rounded == 0 ? kAlignment : rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

// Converts one element between storage types, going through the widest exact type.
template <typename To, typename From>
To convert_element(const From& v, bool saturate) {
  if constexpr (std::is_same_v<To, std::string>) {
    if constexpr (std::is_same_v<From, std::string>) {
      return v;
    } else if constexpr (std::is_same_v<From, bool>) {
      return v ? "1" : "0";
    } else if constexpr (std::is_integral_v<From>) {
      return std::to_string(v);
    } else {
      const auto c = static_cast<compute_t<From>>(v);
      if (std::isnan(c)) return "NaN";
      if (std::isinf(c)) return c > 0 ? "INF" : "-INF";
      // Shortest text that reads back to the same value ("0.9767611", not "0.976761103"), as numpy prints it.
      char buf[64];
      const auto res = std::to_chars(buf, buf + sizeof buf, c);
      return std::string(buf, res.ptr);
    }
  } else if constexpr (std::is_same_v<From, std::string>) {
    if constexpr (std::is_same_v<To, bool>) {
      return std::strtod(v.c_str(), nullptr) != 0.0;
    } else if constexpr (std::is_integral_v<To>) {
      if constexpr (std::is_signed_v<To>) return static_cast<To>(std::strtoll(v.c_str(), nullptr, 10));
      else return static_cast<To>(std::strtoull(v.c_str(), nullptr, 10));
    } else {
      return convert_element<To>(std::strtod(v.c_str(), nullptr), saturate);
    }
  } else if constexpr (std::is_same_v<To, Float8E4M3FN> || std::is_same_v<To, Float8E5M2>) {
    return To(static_cast<float>(static_cast<compute_t<From>>(v)), saturate);
  } else if constexpr (std::is_same_v<To, Float16> || std::is_same_v<To, BFloat16>) {
    return To(static_cast<float>(static_cast<compute_t<From>>(v)));
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<compute_t<From>>(v) != 0;
  } else if constexpr (std::is_integral_v<To> && !std::is_integral_v<From> && !std::is_same_v<From, bool>) {
    // float → int: truncation; out-of-range values are undefined in C++, so clamp first (NaN → 0).
    const double d = static_cast<double>(static_cast<compute_t<From>>(v));
    if (std::isnan(d)) return To(0);
    if (d <= static_cast<double>(std::numeric_limits<To>::lowest())) return std::numeric_limits<To>::lowest();
    if (d >= static_cast<double>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(static_cast<compute_t<From>>(v));
  }
}

}  // namespace

Tensor::Tensor(DType dtype, std::vector<int64_t> dims) : dtype_(dtype), dims_(std::move(dims)) {
  ONYX_CHECK(dtype != DType::kUndefined, "cannot create a tensor of undefined dtype");
  numel_ = checked_numel(dims_);
  const size_t elem = dtype_size(dtype);
  ONYX_CHECK(elem > 0, "unsupported tensor dtype ", dtype_name(dtype));
  if (static_cast<uint64_t>(numel_) > std::numeric_limits<uint64_t>::max() / elem)
    fail_bad_input("tensor ", dims_to_string(dims_), " is too large");
  check_tensor_bytes(static_cast<uint64_t>(numel_) * elem, "tensor allocation");
  if (dtype == DType::kString) {
    owned_ = std::make_shared<std::vector<std::string>>(static_cast<size_t>(numel_));
  } else {
    owned_ = allocate_bytes(static_cast<size_t>(numel_) * elem);
  }
}

Tensor Tensor::borrow(DType dtype, std::vector<int64_t> dims, void* data) {
  ONYX_CHECK(dtype != DType::kString, "string tensors cannot borrow memory");
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = checked_numel(t.dims_);
  ONYX_CHECK(data != nullptr || t.numel_ == 0, "borrowed tensor with null data");
  t.borrowed_ = data;
  return t;
}

Tensor Tensor::adopt(DType dtype, std::vector<int64_t> dims, std::shared_ptr<void> owner, void* data) {
  ONYX_CHECK(dtype != DType::kString && dtype != DType::kUndefined, "Tensor::adopt: unsupported dtype");
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = checked_numel(t.dims_);
  ONYX_CHECK(data != nullptr || t.numel_ == 0, "Tensor::adopt: null data");
  ONYX_CHECK(reinterpret_cast<uintptr_t>(data) % std::min<size_t>(dtype_size(dtype), 8) == 0,
             "Tensor::adopt: misaligned data");
  t.owned_ = std::shared_ptr<void>(std::move(owner), data);  // aliasing: `owner` lives as long as the tensor
  return t;
}

void* Tensor::raw_data() {
  if (borrowed_) return borrowed_;
  if (!owned_) return nullptr;
  if (dtype_ == DType::kString) return static_cast<std::vector<std::string>*>(owned_.get())->data();
  return owned_.get();
}

const void* Tensor::raw_data() const { return const_cast<Tensor*>(this)->raw_data(); }

void Tensor::check_type(DType t) const {
  if (t != dtype_) fail_bad_input("tensor is ", dtype_name(dtype_), ", accessed as ", dtype_name(t));
}

double Tensor::get_double(int64_t i) const {
  return dispatch_numeric_bool(dtype_, "Tensor::get_double", [&]<typename T>() -> double {
    return static_cast<double>(static_cast<compute_t<T>>(data<T>()[i]));
  });
}

int64_t Tensor::get_int(int64_t i) const {
  if (dtype_ == DType::kBool) return data<bool>()[i] ? 1 : 0;
  return dispatch_integer(dtype_, "integer tensor", [&]<typename T>() -> int64_t {
    return static_cast<int64_t>(data<T>()[i]);
  });
}

std::vector<int64_t> Tensor::to_int64_vector() const {
  std::vector<int64_t> out(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) out[static_cast<size_t>(i)] = get_int(i);
  return out;
}

std::vector<double> Tensor::to_double_vector() const {
  std::vector<double> out(static_cast<size_t>(numel_));
  for (int64_t i = 0; i < numel_; ++i) out[static_cast<size_t>(i)] = get_double(i);
  return out;
}

Tensor Tensor::reshaped(std::vector<int64_t> dims) const {
  ONYX_CHECK(checked_numel(dims) == numel_, "cannot reshape ", describe(), " to ", dims_to_string(dims));
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

Tensor Tensor::clone() const {
  if (!is_valid()) return {};
  Tensor t(dtype_, dims_);
  if (dtype_ == DType::kString) {
    const std::string* src = data<std::string>();
    std::string* dst = t.data<std::string>();
    for (int64_t i = 0; i < numel_; ++i) dst[i] = src[i];
  } else if (numel_ > 0) {
    std::memcpy(t.raw_data(), raw_data(), nbytes());
  }
  return t;
}

Tensor Tensor::cast(DType to, bool saturate) const {
  Tensor out(to, dims_);
  dispatch_all(dtype_, "Cast input", [&]<typename From>() {
    dispatch_all(to, "Cast output", [&]<typename To>() {
      const From* src = data<From>();
      To* dst = out.data<To>();
      for (int64_t i = 0; i < numel_; ++i) dst[i] = convert_element<To, From>(src[i], saturate);
    });
  });
  return out;
}

bool Tensor::bitwise_equal(const Tensor& other) const {
  if (dtype_ != other.dtype_ || dims_ != other.dims_) return false;
  if (dtype_ == DType::kString) {
    for (int64_t i = 0; i < numel_; ++i)
      if (data<std::string>()[i] != other.data<std::string>()[i]) return false;
    return true;
  }
  return numel_ == 0 || std::memcmp(raw_data(), other.raw_data(), nbytes()) == 0;
}

std::string Tensor::describe() const {
  return std::string(dtype_name(dtype_)) + dims_to_string(dims_);
}

}  // namespace onyx
