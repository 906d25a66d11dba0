// Dim and Shape: tensor shapes whose dimensions may be known numbers or named symbols ("batch", "seq"), as ONNX
// models declare them, or entirely unknown.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onyx {

// One dimension: a known non-negative size, a named symbolic size, or unknown (no value, no name).
class Dim {
 public:
  Dim() = default;
  Dim(int64_t value) : value_(value) {}  // NOLINT: implicit from integers is the natural spelling
  static Dim symbol(std::string name) {
    Dim d;
    d.symbol_ = std::move(name);
    return d;
  }
  static Dim unknown() { return Dim(); }

  bool is_known() const { return value_ >= 0; }
  bool is_symbolic() const { return value_ < 0 && !symbol_.empty(); }
  int64_t value() const { return value_; }  // -1 when not known
  const std::string& symbol_name() const { return symbol_; }
  // "3", "batch", or "?".
  std::string to_string() const;

  bool operator==(const Dim& other) const { return value_ == other.value_ && symbol_ == other.symbol_; }

 private:
  int64_t value_ = -1;
  std::string symbol_;
};

// A shape of known rank (a list of Dims), or of unknown rank.
class Shape {
 public:
  Shape() = default;  // rank 0 (a scalar)
  Shape(std::vector<Dim> dims) : dims_(std::move(dims)) {}  // NOLINT
  Shape(std::initializer_list<int64_t> dims);
  static Shape from_dims(const std::vector<int64_t>& dims);
  static Shape unknown_rank() {
    Shape s;
    s.rank_known_ = false;
    return s;
  }

  bool rank_known() const { return rank_known_; }
  size_t rank() const { return dims_.size(); }
  const std::vector<Dim>& dims() const { return dims_; }
  std::vector<Dim>& dims() { return dims_; }
  const Dim& operator[](size_t i) const { return dims_[i]; }
  Dim& operator[](size_t i) { return dims_[i]; }
  // True when the rank and every dimension are known numbers.
  bool is_static() const;
  // The numbers, when is_static(); std::nullopt otherwise.
  std::optional<std::vector<int64_t>> static_dims() const;
  // True when concrete `dims` can have this shape: the same rank (when known) and equal wherever a dimension is
  // a known number (symbols and unknown dimensions accept any value).
  bool fits(const std::vector<int64_t>& dims) const;
  // Element count when static and representable; std::nullopt otherwise (also on int64 overflow).
  std::optional<int64_t> numel() const;
  // "[1,3,224,224]", "[batch,3,?,?]", or "[...]" for unknown rank.
  std::string to_string() const;

  bool operator==(const Shape& other) const {
    return rank_known_ == other.rank_known_ && dims_ == other.dims_;
  }

 private:
  std::vector<Dim> dims_;
  bool rank_known_ = true;
};

// Element count of concrete dims; throws kBadInput on negative dims or int64 overflow.
int64_t checked_numel(const std::vector<int64_t>& dims);
// "[1,3,224,224]"
std::string dims_to_string(const std::vector<int64_t>& dims);

}  // namespace onyx
