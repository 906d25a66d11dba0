#include "onyx/shape.h"

#include <limits>

#include "onyx/error.h"

namespace onyx {

std::string Dim::to_string() const {
  if (is_known()) return std::to_string(value_);
  if (!symbol_.empty()) return symbol_;
  return "?";
}

Shape::Shape(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) dims_.emplace_back(d);
}

Shape Shape::from_dims(const std::vector<int64_t>& dims) {
  Shape s;
  s.dims_.reserve(dims.size());
  for (int64_t d : dims) s.dims_.emplace_back(d);
  return s;
}

bool Shape::is_static() const {
  if (!rank_known_) return false;
  for (const Dim& d : dims_)
    if (!d.is_known()) return false;
  return true;
}

std::optional<std::vector<int64_t>> Shape::static_dims() const {
  if (!is_static()) return std::nullopt;
  std::vector<int64_t> out;
  out.reserve(dims_.size());
  for (const Dim& d : dims_) out.push_back(d.value());
  return out;
}

bool Shape::fits(const std::vector<int64_t>& dims) const {
  if (!rank_known_) return true;
  if (dims_.size() != dims.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims_[i].is_known() && dims_[i].value() != dims[i]) return false;
  return true;
}

std::optional<int64_t> Shape::numel() const {
  auto dims = static_dims();
  if (!dims) return std::nullopt;
  int64_t n = 1;
  for (int64_t d : *dims) {
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return std::nullopt;
    n *= d;
  }
  return n;
}

std::string Shape::to_string() const {
  if (!rank_known_) return "[...]";
  std::string out = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i) out += ',';
    out += dims_[i].to_string();
  }
  return out + "]";
}

int64_t checked_numel(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    ONYX_CHECK(d >= 0, "negative dimension ", d, " in shape ", dims_to_string(dims));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d)
      fail_bad_input("element count of shape ", dims_to_string(dims), " overflows int64");
    n *= d;
  }
  return n;
}

std::string dims_to_string(const std::vector<int64_t>& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(dims[i]);
  }
  return out + "]";
}

}  // namespace onyx
