// RunValue: what flows along a graph edge at run time — a tensor, a sequence of tensors, or an optional that may
// be empty. Most edges carry tensors.
#pragma once

#include <vector>

#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx {

struct RunValue {
  enum class Kind { kNone, kTensor, kSequence };
  Kind kind = Kind::kNone;  // kNone: an absent input, or an empty optional
  Tensor tensor;
  std::vector<Tensor> sequence;
  // Set when the value is of an optional type (Optional op output, optional graph input).
  bool is_optional = false;
  // Element type of an empty sequence / empty optional (so its type survives without elements).
  TypeInfo type;

  RunValue() = default;
  RunValue(Tensor t) : kind(Kind::kTensor), tensor(std::move(t)) {}  // NOLINT: tensors are the common case
  static RunValue make_sequence(std::vector<Tensor> items, TypeInfo elem_type = {}) {
    RunValue v;
    v.kind = Kind::kSequence;
    v.sequence = std::move(items);
    v.type = std::move(elem_type);
    return v;
  }
  static RunValue none(TypeInfo type = {}) {
    RunValue v;
    v.is_optional = true;
    v.type = std::move(type);
    return v;
  }
  bool is_tensor() const { return kind == Kind::kTensor; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_none() const { return kind == Kind::kNone; }
  // "float32[2,3]", "seq(3 x ...)", "none".
  std::string describe() const;
};

}  // namespace onyx
