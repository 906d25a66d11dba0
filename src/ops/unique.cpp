// Unique: the distinct elements (or, with `axis`, distinct slices along the axis) of X, sorted ascending
// (default) or in order of first occurrence; plus the first-occurrence index of each, the index into Y of
// every input element/slice (inverse_indices), and the counts. NaNs compare equal to each other and sort
// last.
#include <cmath>
#include <numeric>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

template <typename C>
int compare_values(const C& a, const C& b) {
  if constexpr (std::is_floating_point_v<C>) {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  }
  if (a < b) return -1;
  if (b < a) return 1;
  return 0;
}

void run_unique(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const bool sorted = ctx.node().attr_int("sorted", 1) != 0;
  const bool has_axis = ctx.node().has_attr("axis");
  const std::vector<int64_t> dims = has_axis ? x.dims() : std::vector<int64_t>{x.numel()};
  const size_t axis = has_axis
                          ? static_cast<size_t>(normalize_axis(ctx.node().attr_int("axis", 0),
                                                               static_cast<int64_t>(x.rank()), ctx.node()))
                          : 0;
  const int64_t n = dims[axis];
  const int64_t outer = product(dims, 0, axis);
  const int64_t inner = product(dims, axis + 1, dims.size());
  // Item i is the slice x[outer..., i, inner...]; items compare lexicographically.
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::vector<int64_t> group_of(static_cast<size_t>(n));  // item -> group (in sorted order)
  std::vector<int64_t> group_first;                       // group -> first item
  std::vector<int64_t> group_count;
  auto group_items = [&]<typename T>() {
    using C = std::conditional_t<std::is_same_v<T, std::string> || std::is_same_v<T, bool>, T, compute_t<T>>;
    const T* p = x.data<T>();
    auto cmp = [&](int64_t a, int64_t b) {
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t base = o * n * inner + j;
          const int c =
              compare_values<C>(static_cast<C>(p[base + a * inner]), static_cast<C>(p[base + b * inner]));
          if (c != 0) return c;
        }
      return 0;
    };
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cmp(a, b) < 0; });
    for (size_t i = 0; i < order.size(); ++i) {
      if (i == 0 || cmp(order[i - 1], order[i]) != 0) {
        group_first.push_back(order[i]);  // stable sort: the first of equal items is the earliest
        group_count.push_back(0);
      }
      group_of[static_cast<size_t>(order[i])] = static_cast<int64_t>(group_first.size()) - 1;
      ++group_count.back();
    }
  };
  if (x.dtype() == DType::kString)
    group_items.template operator()<std::string>();
  else
    dispatch_numeric_bool(x.dtype(), ctx.node().describe(), group_items);
  // Output order of the groups: sorted, or by first occurrence.
  const size_t groups = group_first.size();
  std::vector<int64_t> out_order(groups);
  std::iota(out_order.begin(), out_order.end(), 0);
  if (!sorted)
    std::sort(out_order.begin(), out_order.end(), [&](int64_t a, int64_t b) {
      return group_first[static_cast<size_t>(a)] < group_first[static_cast<size_t>(b)];
    });
  std::vector<int64_t> position(groups);  // group -> output index
  for (size_t i = 0; i < groups; ++i) position[static_cast<size_t>(out_order[i])] = static_cast<int64_t>(i);

  std::vector<int64_t> y_dims = dims;
  y_dims[axis] = static_cast<int64_t>(groups);
  Tensor y(x.dtype(), y_dims);
  dispatch_storage(x.dtype(), "Unique", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(y);
    for (int64_t o = 0; o < outer; ++o)
      for (size_t g = 0; g < groups; ++g) {
        const int64_t item = group_first[static_cast<size_t>(out_order[g])];
        std::copy_n(src + (o * n + item) * inner, inner,
                    dst + (o * static_cast<int64_t>(groups) + static_cast<int64_t>(g)) * inner);
      }
  });
  const int64_t ng = static_cast<int64_t>(groups);
  Tensor first(DType::kInt64, {ng}), inverse(DType::kInt64, {n}), counts(DType::kInt64, {ng});
  for (size_t g = 0; g < groups; ++g) {
    first.data<int64_t>()[g] = group_first[static_cast<size_t>(out_order[g])];
    counts.data<int64_t>()[g] = group_count[static_cast<size_t>(out_order[g])];
  }
  for (int64_t i = 0; i < n; ++i)
    inverse.data<int64_t>()[i] = position[static_cast<size_t>(group_of[static_cast<size_t>(i)])];
  ctx.set_output(0, std::move(y));
  ctx.set_output(1, std::move(first));
  ctx.set_output(2, std::move(inverse));
  ctx.set_output(3, std::move(counts));
}

void infer_unique(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const bool has_axis = ctx.node().has_attr("axis");
  Dim items;
  if (!has_axis) {
    ctx.set_output(0, dt, unknown_dims(1));
    if (in.rank_known()) items = dim_product(in.dims(), 0, in.rank());
  } else if (in.rank_known()) {
    const size_t axis = static_cast<size_t>(
        normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(in.rank()), ctx.node()));
    std::vector<Dim> out = in.dims();
    out[axis] = Dim();
    items = in[axis];
    ctx.set_output(0, dt, Shape(std::move(out)));
  } else {
    ctx.set_output(0, dt, Shape::unknown_rank());
  }
  ctx.set_output(1, DType::kInt64, unknown_dims(1));
  ctx.set_output(2, DType::kInt64, Shape(std::vector<Dim>{items}));
  ctx.set_output(3, DType::kInt64, unknown_dims(1));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Unique",
                  .since_version = 11,
                  .inputs = {1, 1},
                  .outputs = {1, 4},
                  .infer = infer_unique,
                  .run = run_unique});

}  // namespace onyx
