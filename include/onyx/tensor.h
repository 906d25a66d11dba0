// Tensor: a dtype, concrete dimensions and storage. Storage is either owned (shared between copies of the
// Tensor, like a numpy array's buffer) or borrowed (a caller's memory that must outlive the Tensor).
//
// Tensors are cheap to copy (copies share storage); clone() makes a deep copy. String tensors hold std::string
// elements.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "onyx/dtype.h"
#include "onyx/error.h"
#include "onyx/shape.h"

namespace onyx {

class Tensor {
 public:
  Tensor() = default;  // an empty, undefined tensor (is_valid() == false)

  // Allocates zero-initialized owned storage. Throws kBadInput when the size exceeds limits().
  Tensor(DType dtype, std::vector<int64_t> dims);
  // Wraps caller memory (not copied, not freed).
  static Tensor borrow(DType dtype, std::vector<int64_t> dims, void* data);
  // Uses `data`, kept alive by `owner` (e.g. the buffer a file was parsed into), as owned storage: no copy.
  // `data` must be aligned for the dtype and hold numel * dtype_size bytes. Not for strings.
  static Tensor adopt(DType dtype, std::vector<int64_t> dims, std::shared_ptr<void> owner, void* data);

  template <typename T>
  static Tensor from_vector(std::vector<int64_t> dims, const std::vector<T>& values);
  template <typename T>
  static Tensor scalar(T value) {
    return from_vector<T>({}, {value});
  }

  bool is_valid() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const std::vector<int64_t>& dims() const { return dims_; }
  size_t rank() const { return dims_.size(); }
  int64_t dim(size_t i) const { return dims_[i]; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return static_cast<size_t>(numel_) * dtype_size(dtype_); }
  Shape shape() const { return Shape::from_dims(dims_); }
  bool is_borrowed() const { return borrowed_ != nullptr; }

  void* raw_data();
  const void* raw_data() const;

  // Typed access; throws kBadInput if T does not match dtype().
  template <typename T>
  T* data() {
    check_type(dtype_of<T>);
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    check_type(dtype_of<T>);
    return static_cast<const T*>(raw_data());
  }
  template <typename T>
  std::span<T> span() {
    return {data<T>(), static_cast<size_t>(numel_)};
  }
  template <typename T>
  std::span<const T> span() const {
    return {data<T>(), static_cast<size_t>(numel_)};
  }

  // Element i converted to double (numeric/bool dtypes) or to int64 (integers/bool, exact).
  double get_double(int64_t i) const;
  int64_t get_int(int64_t i) const;
  // All elements as int64 (integer/bool tensors only): for shapes, axes, indices held in tensors.
  std::vector<int64_t> to_int64_vector() const;
  std::vector<double> to_double_vector() const;

  // Same storage, new dims (numel must match).
  Tensor reshaped(std::vector<int64_t> dims) const;
  // Deep copy into owned storage.
  Tensor clone() const;
  // Element type conversion (numeric/bool/float8/string as Cast defines), always to owned storage.
  Tensor cast(DType to, bool saturate = true) const;

  // Exact equality of dtype, dims and bytes (NaN payloads compared bitwise).
  bool bitwise_equal(const Tensor& other) const;
  // Short description: "float32[1,3,224,224]".
  std::string describe() const;

 private:
  void check_type(DType t) const;

  DType dtype_ = DType::kUndefined;
  std::vector<int64_t> dims_;
  int64_t numel_ = 0;
  std::shared_ptr<void> owned_;  // numeric storage (bytes) or std::vector<std::string> for strings
  void* borrowed_ = nullptr;
};

template <typename T>
Tensor Tensor::from_vector(std::vector<int64_t> dims, const std::vector<T>& values) {
  Tensor t(dtype_of<T>, std::move(dims));
  ONYX_CHECK(static_cast<int64_t>(values.size()) == t.numel(), "Tensor::from_vector: ", values.size(),
             " values for shape ", t.describe());
  T* out = t.data<T>();
  for (size_t i = 0; i < values.size(); ++i) out[i] = values[i];
  return t;
}

}  // namespace onyx
