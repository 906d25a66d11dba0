// Private helpers of the control-flow and sequence ops (loop.cpp, scan.cpp, sequence.cpp, sequence_map.cpp,
// if.cpp): copying slabs of tensors along an axis (concat, stack, slice) for any dtype, and merging types of values
// whose shape may differ between iterations or branches.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "onyx/graph.h"
#include "onyx/tensor.h"
#include "op.h"

namespace onyx::control {

// Copies `n` elements from src[src_off..] to dst[dst_off..] (dtypes must match; strings are copied by value).
inline void copy_elements(const Tensor& src, int64_t src_off, Tensor& dst, int64_t dst_off, int64_t n) {
  if (n <= 0) return;
  if (src.dtype() == DType::kString) {
    const std::string* s = src.data<std::string>() + src_off;
    std::string* d = dst.data<std::string>() + dst_off;
    for (int64_t i = 0; i < n; ++i) d[i] = s[i];
    return;
  }
  const size_t es = dtype_size(src.dtype());
  std::memcpy(static_cast<char*>(dst.raw_data()) + static_cast<size_t>(dst_off) * es,
              static_cast<const char*>(src.raw_data()) + static_cast<size_t>(src_off) * es,
              static_cast<size_t>(n) * es);
}

// Product of dims[from, to).
inline int64_t dims_product(const std::vector<int64_t>& dims, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to && i < dims.size(); ++i) p *= dims[i];
  return p;
}

// Concatenates tensors of equal rank and dtype along `axis` (already normalized). All other dims must agree;
// `what` names the node in errors.
inline Tensor concat(const std::vector<Tensor>& items, size_t axis, const std::string& what) {
  if (items.empty()) fail_bad_input(what, ": nothing to concatenate");
  const Tensor& first = items[0];
  std::vector<int64_t> out_dims = first.dims();
  if (axis >= out_dims.size()) fail_bad_input(what, ": axis ", axis, " is out of range for rank ", out_dims.size());
  int64_t total_axis = 0;
  for (const Tensor& t : items) {
    if (t.dtype() != first.dtype())
      fail_bad_input(what, ": cannot concatenate ", dtype_name(t.dtype()), " with ", dtype_name(first.dtype()));
    bool ok = t.rank() == first.rank();
    for (size_t d = 0; ok && d < t.rank(); ++d) ok = d == axis || t.dim(d) == first.dim(d);
    if (!ok)
      fail_bad_input(what, ": cannot concatenate shapes ", dims_to_string(first.dims()), " and ",
                     dims_to_string(t.dims()), " on axis ", axis);
    total_axis += t.dim(axis);
  }
  out_dims[axis] = total_axis;
  Tensor out(first.dtype(), out_dims);
  const int64_t outer = dims_product(out_dims, 0, axis);
  const int64_t inner = dims_product(out_dims, axis + 1, out_dims.size());
  int64_t dst_off_in_row = 0;
  for (const Tensor& t : items) {
    const int64_t chunk = t.dim(axis) * inner;
    for (int64_t o = 0; o < outer; ++o)
      copy_elements(t, o * chunk, out, o * total_axis * inner + dst_off_in_row, chunk);
    dst_off_in_row += chunk;
  }
  return out;
}

// Stacks tensors of identical shape along a new axis (in [0, rank]).
inline Tensor stack(const std::vector<Tensor>& items, size_t axis, const std::string& what) {
  if (items.empty()) fail_bad_input(what, ": nothing to stack");
  std::vector<Tensor> expanded;
  expanded.reserve(items.size());
  for (const Tensor& t : items) {
    if (t.dims() != items[0].dims())
      fail_bad_input(what, ": values to stack differ in shape: ", dims_to_string(items[0].dims()), " vs ",
                     dims_to_string(t.dims()));
    std::vector<int64_t> d = t.dims();
    if (axis > d.size()) fail_bad_input(what, ": axis ", axis, " is out of range for rank ", d.size() + 1);
    d.insert(d.begin() + static_cast<std::ptrdiff_t>(axis), 1);
    expanded.push_back(t.reshaped(d));
  }
  return concat(expanded, axis, what);
}

// The slab [start, start + len) of `t` along `axis` (already normalized and in range); `keep_axis` false removes
// the axis (len must be 1).
inline Tensor slice_axis(const Tensor& t, size_t axis, int64_t start, int64_t len, bool keep_axis = true) {
  std::vector<int64_t> out_dims = t.dims();
  out_dims[axis] = len;
  Tensor out(t.dtype(), out_dims);
  const int64_t outer = dims_product(t.dims(), 0, axis);
  const int64_t inner = dims_product(t.dims(), axis + 1, t.rank());
  const int64_t in_row = t.dim(axis) * inner;
  for (int64_t o = 0; o < outer; ++o) copy_elements(t, o * in_row + start * inner, out, o * len * inner, len * inner);
  if (!keep_axis) {
    out_dims.erase(out_dims.begin() + static_cast<std::ptrdiff_t>(axis));
    return out.reshaped(out_dims);
  }
  return out;
}

// A type that holds both `a` and `b` (values of a loop-carried variable or of an If's two branches): dtype kept
// when equal, dims kept where equal, everything else unknown.
inline TypeInfo union_type(const TypeInfo& a, const TypeInfo& b) {
  if (!a.is_known() || !b.is_known() || a.kind != b.kind) return {};
  if (a.kind == TypeInfo::Kind::kTensor) {
    const DType dt = a.dtype == b.dtype ? a.dtype : DType::kUndefined;
    if (!a.shape.rank_known() || !b.shape.rank_known() || a.shape.rank() != b.shape.rank())
      return TypeInfo::tensor(dt);
    std::vector<Dim> dims;
    for (size_t i = 0; i < a.shape.rank(); ++i) dims.push_back(a.shape[i] == b.shape[i] ? a.shape[i] : Dim());
    return TypeInfo::tensor(dt, Shape(dims));
  }
  if (a.kind == TypeInfo::Kind::kSequence || a.kind == TypeInfo::Kind::kOptional) {
    TypeInfo e;
    if (a.element && b.element) e = union_type(*a.element, *b.element);
    return a.kind == TypeInfo::Kind::kSequence ? TypeInfo::sequence(e) : TypeInfo::optional(e);
  }
  return a == b ? a : TypeInfo{};
}

// The type with every tensor dim made unknown (rank and dtype kept): what a loop-carried variable may hold in a
// later iteration.
inline TypeInfo relax_dims(const TypeInfo& t) {
  if (t.kind == TypeInfo::Kind::kTensor) {
    if (!t.shape.rank_known()) return TypeInfo::tensor(t.dtype);
    return TypeInfo::tensor(t.dtype, Shape(std::vector<Dim>(t.shape.rank())));
  }
  if ((t.kind == TypeInfo::Kind::kSequence || t.kind == TypeInfo::Kind::kOptional) && t.element) {
    TypeInfo e = relax_dims(*t.element);
    return t.kind == TypeInfo::Kind::kSequence ? TypeInfo::sequence(e) : TypeInfo::optional(e);
  }
  return t;
}

// The TypeInfo of a run-time value (for the element type of sequences built at run time).
inline TypeInfo type_of(const RunValue& v) {
  if (v.is_tensor()) return TypeInfo::tensor(v.tensor.dtype(), v.tensor.shape());
  if (v.is_sequence()) {
    if (!v.sequence.empty()) return TypeInfo::sequence(TypeInfo::tensor(v.sequence[0].dtype()));
    return TypeInfo::sequence(v.type);
  }
  return v.type;
}

// A value of type `t` with no iterations behind it: an empty tensor [0, elem dims...] for a scan output whose
// element type is known (dims unknown become 0). `axis` is where the iteration axis goes.
inline Tensor empty_scan_output(const TypeInfo& elem, size_t axis, const std::string& what) {
  if (elem.kind != TypeInfo::Kind::kTensor || elem.dtype == DType::kUndefined)
    fail_bad_input(what, ": cannot build an empty scan output: its element type is unknown");
  std::vector<int64_t> dims;
  if (elem.shape.rank_known())
    for (const Dim& d : elem.shape.dims()) dims.push_back(d.is_known() ? d.value() : 0);
  if (axis > dims.size()) axis = dims.size();
  dims.insert(dims.begin() + static_cast<std::ptrdiff_t>(axis), 0);
  return Tensor(elem.dtype, dims);
}

}  // namespace onyx::control
