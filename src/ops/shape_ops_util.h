// Helpers shared by the shape and data-movement ops (reshape.cpp, transpose.cpp, gather.cpp, pad.cpp, ...):
// element moves by storage size (no arithmetic, so one instantiation serves every dtype of that width),
// strided copies, reading integer inputs, and the shape-inference helpers for shape-like (partial) values.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx::shape_ops {

struct Bytes16 {
  uint64_t lo = 0, hi = 0;
};

// Calls f.template operator()<S>() with a storage type S of dtype t's element size (strings: std::string).
// Kernels that only move elements use it so every dtype, float8 and complex included, shares one code path.
template <typename F>
decltype(auto) dispatch_storage(DType t, std::string_view what, F&& f) {
  if (t == DType::kString) return f.template operator()<std::string>();
  switch (dtype_size(t)) {
    case 1:
      return f.template operator()<uint8_t>();
    case 2:
      return f.template operator()<uint16_t>();
    case 4:
      return f.template operator()<uint32_t>();
    case 8:
      return f.template operator()<uint64_t>();
    case 16:
      return f.template operator()<Bytes16>();
    default:
      fail_dtype(what, t);
  }
}

template <typename S>
const S* elems(const Tensor& t) {
  return static_cast<const S*>(t.raw_data());
}
template <typename S>
S* elems(Tensor& t) {
  return static_cast<S*>(t.raw_data());
}

// Copies the block `dims` from src (element src_base + sum(i_k * src_strides[k])) to dst (likewise). Strides
// may be negative (reversed slices) or zero (broadcast).
template <typename S>
void copy_strided(const S* src, int64_t src_base, const std::vector<int64_t>& src_strides, S* dst,
                  int64_t dst_base, const std::vector<int64_t>& dst_strides,
                  const std::vector<int64_t>& dims) {
  const size_t rank = dims.size();
  for (int64_t d : dims)
    if (d == 0) return;
  if (rank == 0) {
    dst[dst_base] = src[src_base];
    return;
  }
  const int64_t inner = dims[rank - 1];
  const int64_t si = src_strides[rank - 1];
  const int64_t di = dst_strides[rank - 1];
  std::vector<int64_t> counter(rank, 0);
  int64_t so = src_base;
  int64_t dof = dst_base;
  for (;;) {
    if (si == 1 && di == 1) {
      std::copy_n(src + so, inner, dst + dof);
    } else {
      for (int64_t j = 0; j < inner; ++j) dst[dof + j * di] = src[so + j * si];
    }
    int64_t d = static_cast<int64_t>(rank) - 2;
    for (; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      ++counter[du];
      so += src_strides[du];
      dof += dst_strides[du];
      if (counter[du] < dims[du]) break;
      so -= src_strides[du] * dims[du];
      dof -= dst_strides[du] * dims[du];
      counter[du] = 0;
    }
    if (d < 0) break;
  }
}

inline std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) s[i - 1] = s[i] * dims[i];
  return s;
}

inline int64_t product(const std::vector<int64_t>& dims, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < dims.size(); ++i) p *= dims[i];
  return p;
}

// a * b, failing naming the node on int64 overflow.
inline int64_t checked_mul(int64_t a, int64_t b, const Node& node) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r))
    fail_bad_input(node.describe(), ": size ", a, " x ", b, " overflows int64");
  return r;
}

// The elements of integer input i (int32/int64 only), failing naming the node otherwise.
inline std::vector<int64_t> int_input(const KernelContext& ctx, size_t i, const char* what) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    ctx.fail(what, " must be int32 or int64, got ", dtype_name(t.dtype()));
  if (t.rank() > 1) ctx.fail(what, " must be a 1-D tensor, got shape ", dims_to_string(t.dims()));
  return t.to_int64_vector();
}

// ---- inference helpers
// ------------------------------------------------------------------------------------------

// Integer values of input i when they are all known at inference time (a constant, or a partial of numbers).
// Negative values are only exact when the input is a constant: partials cannot represent -1.
inline std::optional<std::vector<int64_t>> known_ints(const InferContext& ctx, size_t i) {
  if (const Tensor* c = ctx.input_constant(i)) {
    if (c->dtype() == DType::kInt64 || c->dtype() == DType::kInt32) return c->to_int64_vector();
    return std::nullopt;
  }
  if (const auto* p = ctx.input_partial(i)) {
    std::vector<int64_t> out;
    for (const Dim& d : *p) {
      if (!d.is_known()) return std::nullopt;
      out.push_back(d.value());
    }
    return out;
  }
  return std::nullopt;
}

// Elements of a shape-like input as Dims (numbers or symbols), when known.
inline std::optional<std::vector<Dim>> known_dims(const InferContext& ctx, size_t i) {
  if (const Tensor* c = ctx.input_constant(i)) {
    if ((c->dtype() != DType::kInt64 && c->dtype() != DType::kInt32) || c->rank() > 1) return std::nullopt;
    std::vector<Dim> out;
    for (int64_t v : c->to_int64_vector()) out.emplace_back(v);
    return out;
  }
  if (const auto* p = ctx.input_partial(i)) return *p;
  return std::nullopt;
}

// The number of elements of a 1-D input when its shape is known (e.g. a shape tensor [4] gives rank 4).
// The length comes from a declared type, not from data, so it is untrusted: above kMaxKnownLength (no real
// tensor has that rank; see InferContext::set_output_type) it counts as unknown rather than sizing an output
// rank (found by fuzz_onnx_model).
inline constexpr int64_t kMaxKnownLength = 1024;
inline std::optional<int64_t> known_length(const InferContext& ctx, size_t i) {
  if (!ctx.has_input(i)) return std::nullopt;
  const Shape& s = ctx.input_shape(i);
  if (!s.rank_known()) return std::nullopt;
  if (s.rank() == 0) return 1;
  if (s.rank() == 1 && s[0].is_known() && s[0].value() <= kMaxKnownLength) return s[0].value();
  return std::nullopt;
}

inline Shape unknown_dims(size_t rank) {
  return Shape(std::vector<Dim>(rank));
}

// Product of Dims: a number when all are known, a symbol when exactly one is symbolic and the rest multiply
// to 1, unknown otherwise.
inline Dim dim_product(const std::vector<Dim>& dims, size_t begin, size_t end) {
  int64_t known = 1;
  const Dim* symbol = nullptr;
  for (size_t i = begin; i < end && i < dims.size(); ++i) {
    const Dim& d = dims[i];
    if (d.is_known()) {
      if (d.value() == 0) return Dim(0);
      if (known > std::numeric_limits<int64_t>::max() / d.value()) return Dim();
      known *= d.value();
    } else if (d.is_symbolic() && !symbol) {
      symbol = &d;
    } else {
      // A second symbol or an unknown dim; a later 0 would still make the product 0.
      for (size_t j = i; j < end && j < dims.size(); ++j)
        if (dims[j].is_known() && dims[j].value() == 0) return Dim(0);
      return Dim();
    }
  }
  if (!symbol) return Dim(known);
  return known == 1 ? *symbol : Dim();
}

// Product of two Dims (for Tile and friends).
inline Dim dim_mul(const Dim& a, const Dim& b) {
  if (a.is_known() && b.is_known()) {
    if (a.value() != 0 && b.value() > std::numeric_limits<int64_t>::max() / a.value()) return Dim();
    return Dim(a.value() * b.value());
  }
  if (a.is_known() && a.value() == 1) return b;
  if (b.is_known() && b.value() == 1) return a;
  if ((a.is_known() && a.value() == 0) || (b.is_known() && b.value() == 0)) return Dim(0);
  return Dim();
}

// The more informative of two Dims that must be equal (known > symbolic > unknown).
inline Dim merge_dim(const Dim& a, const Dim& b) {
  if (a.is_known()) return a;
  if (b.is_known()) return b;
  if (a.is_symbolic()) return a;
  return b;
}

}  // namespace onyx::shape_ops
