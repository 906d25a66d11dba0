// Small helpers shared by the reduction, softmax and normalization ops (reduce.cpp, arg_reduce.cpp,
// softmax.cpp,
// *_norm.cpp, mvn.cpp, losses.cpp): element ↔ double conversion, the (outer, n, inner) split of a tensor
// around one axis, and saturating float → integer conversion.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "broadcast.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx::reduce_detail {

template <typename T>
inline constexpr bool kIsReducedFloat = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;

template <typename T>
inline constexpr bool kIsFloat = kIsReducedFloat<T> || std::is_floating_point_v<T>;

// An element as double (exact for every float type; integers beyond 2^53 round).
template <typename T>
inline double to_double(T v) {
  if constexpr (kIsReducedFloat<T>) {
    return static_cast<double>(static_cast<float>(v));
  } else {
    return static_cast<double>(v);
  }
}

// Converts a double result to storage type T: floats round once (to float first for the 16-bit types),
// integers saturate (NaN → 0) so no out-of-range float → int conversion (undefined behaviour) ever happens.
template <typename T>
inline T from_double(double v) {
  if constexpr (kIsReducedFloat<T>) {
    return T(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0;
  } else {
    if (std::isnan(v)) return T(0);
    const double lo = static_cast<double>(std::numeric_limits<T>::lowest());
    const double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::lowest();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(v);
  }
}

// A tensor seen as [outer, n, inner] around `axis` (or, with `coerce_2d`, as [outer, n] with n the product of
// dims[axis:], the pre-opset-13 softmax layout).
struct AxisSplit {
  int64_t outer = 1;
  int64_t n = 1;
  int64_t inner = 1;
};

inline AxisSplit split_at_axis(const std::vector<int64_t>& dims, int64_t axis, bool coerce_2d = false) {
  AxisSplit s;
  for (int64_t i = 0; i < static_cast<int64_t>(dims.size()); ++i) {
    const int64_t d = dims[static_cast<size_t>(i)];
    if (i < axis) {
      s.outer *= d;
    } else if (i == axis || coerce_2d) {
      s.n *= d;
    } else {
      s.inner *= d;
    }
  }
  return s;
}

// The product of dims[from:] (normalized-axes element count for LayerNormalization-style ops).
inline int64_t product_from(const std::vector<int64_t>& dims, size_t from) {
  int64_t p = 1;
  for (size_t i = from; i < dims.size(); ++i) p *= dims[i];
  return p;
}

// infer: output 0 has input 0's dtype and shape; the dtype must be a float type when known.
inline void infer_float_same_as_input(InferContext& ctx) {
  const DType t = ctx.input_dtype(0);
  if (t != DType::kUndefined &&
      !(t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16))
    ctx.fail("input 0 must be a float tensor, got ", dtype_name(t));
  ctx.set_output_type(0, ctx.input_type(0));
}

// A scale/bias input unidirectionally broadcast to X (LayerNormalization, RMSNormalization), as doubles. When
// it varies only within the normalized block X.dims[axis:] (the usual case: shape X.dims[axis:]) it is
// indexed by the position in the block; otherwise by the flat element index of X.
struct NormParam {
  std::vector<double> v;
  bool per_element = false;
  double at(int64_t flat, int64_t in_block) const {
    return v[static_cast<size_t>(per_element ? flat : in_block)];
  }
};

inline NormParam broadcast_param(const Tensor& p, const std::vector<int64_t>& x_dims, size_t axis,
                                 const Node& node, const char* what) {
  const size_t xr = x_dims.size(), pr = p.rank();
  if (pr > xr) fail_bad_input(node.describe(), ": ", what, " ", p.describe(), " has a higher rank than X");
  bool block_only = true;
  for (size_t k = 0; k < pr; ++k) {
    const size_t xi = xr - pr + k;
    const int64_t pd = p.dim(k);
    if (pd != 1 && pd != x_dims[xi])
      fail_bad_input(node.describe(), ": ", what, " ", p.describe(), " does not broadcast to X ",
                     dims_to_string(x_dims));
    if (xi < axis && pd != 1) block_only = false;
  }
  const std::vector<double> src = p.to_double_vector();
  NormParam out;
  out.per_element = !block_only;
  std::vector<int64_t> target, pdims = p.dims();
  if (block_only) {
    target.assign(x_dims.begin() + static_cast<std::ptrdiff_t>(axis), x_dims.end());
    if (pdims.size() > target.size())
      pdims.erase(pdims.begin(), pdims.end() - static_cast<std::ptrdiff_t>(target.size()));
  } else {
    target = x_dims;
  }
  out.v.assign(static_cast<size_t>(checked_numel(target)), 0.0);
  for_each_broadcast<1>(target, {pdims}, [&](int64_t o, int64_t i) {
    out.v[static_cast<size_t>(o)] = src[static_cast<size_t>(i)];
  });
  return out;
}

// The float dtype a `stash_type` attribute names (1 float32, 10 float16, 11 float64, 16 bfloat16).
inline DType stash_dtype(const Node& node) {
  const int64_t s = node.attr_int("stash_type", 1);
  if (s == 1 || s == 10 || s == 11 || s == 16) return static_cast<DType>(s);
  fail_bad_input(node.describe(), ": stash_type ", s, " is not a float type");
}

}  // namespace onyx::reduce_detail
