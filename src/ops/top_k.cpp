// TopK: the k largest (or smallest) elements along an axis and their int64 indices.
//
// Versions: 1 (k is an attribute; upgraded at import to the input form of 10), 10 (k is a 1-element int64
// input), 11 (largest, sorted, negative axis). Equal values keep their order along the axis (the lower index
// first), as the spec requires; NaN counts as larger than every number. Results are always sorted: with
// sorted=0 the order is unspecified, so sorted order is a valid answer.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

void upgrade_k_to_input(Node& node) {
  const int64_t k = node.attr_int("k");
  node.remove_attr("k");
  set_constant_input(node, 1, Tensor::from_vector<int64_t>({1}, {k}), "k");
}

struct TopKAttrs {
  int64_t axis = -1;
  bool largest = true;
};

TopKAttrs parse_attrs(const Node& node, int64_t rank) {
  TopKAttrs a;
  const int64_t axis = node.attr_int("axis", -1);
  a.axis = normalize_axis(axis, rank, node);
  a.largest = node.opset < 11 || node.attr_int("largest", 1) != 0;
  return a;
}

void check_dtype(DType t, const Node& node) {
  if (t == DType::kUndefined) return;
  if (dtype_is_integer(t) || t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 ||
      t == DType::kBFloat16)
    return;
  fail_unsupported(node.describe(), ": dtype ", dtype_name(t), " is not supported");
}

int64_t k_value(const Tensor& k, const Node& node) {
  if (k.dtype() != DType::kInt64)
    fail_bad_input(node.describe(), ": K must be int64, got ", dtype_name(k.dtype()));
  if (k.numel() != 1 || k.rank() > 1)
    fail_bad_input(node.describe(), ": K must hold one value, got ", k.describe());
  const int64_t v = k.get_int(0);
  if (v < 0) fail_bad_input(node.describe(), ": K must be non-negative, got ", v);
  return v;
}

void infer_top_k(InferContext& ctx) {
  const Node& node = ctx.node();
  const DType t = ctx.input_dtype(0);
  check_dtype(t, node);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(t));
    ctx.set_output_type(1, TypeInfo::tensor(DType::kInt64));
    return;
  }
  const TopKAttrs a = parse_attrs(node, static_cast<int64_t>(in.rank()));
  Shape out = in;
  Dim kd;
  if (const Tensor* k = ctx.input_constant(1)) {
    const int64_t kv = k_value(*k, node);
    const Dim& d = in[static_cast<size_t>(a.axis)];
    if (d.is_known() && kv > d.value())
      ctx.fail("K = ", kv, " is larger than axis ", a.axis, " of size ", d.value());
    kd = Dim(kv);
  } else if (const auto* partial = ctx.input_partial(1); partial && partial->size() == 1) {
    kd = (*partial)[0];
  }
  out[static_cast<size_t>(a.axis)] = kd;
  ctx.set_output(0, t, out);
  ctx.set_output(1, DType::kInt64, out);
}

void run_top_k(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  check_dtype(x.dtype(), node);
  const TopKAttrs a = parse_attrs(node, static_cast<int64_t>(x.rank()));
  const int64_t k = k_value(ctx.input(1), node);
  const auto s = reduce_detail::split_at_axis(x.dims(), a.axis);
  if (k > s.n) ctx.fail("K = ", k, " is larger than axis ", a.axis, " of size ", s.n);
  std::vector<int64_t> out_dims = x.dims();
  out_dims[static_cast<size_t>(a.axis)] = k;
  Tensor values(x.dtype(), out_dims);
  Tensor indices(DType::kInt64, out_dims);
  int64_t* oi = indices.data<int64_t>();
  dispatch_numeric(x.dtype(), node.describe(), [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = x.data<T>();
    T* ov = values.data<T>();
    // Strict "comes before" order: larger (or smaller) first, NaN largest, ties by lower index.
    auto before = [&](C va, int64_t ia, C vb, int64_t ib) {
      if constexpr (std::is_floating_point_v<C>) {
        const bool na = std::isnan(va), nb = std::isnan(vb);
        if (na || nb) {
          if (na && nb) return ia < ib;
          return a.largest ? na : nb;
        }
      }
      if (va != vb) return a.largest ? va > vb : va < vb;
      return ia < ib;
    };
    parallel_for(s.outer * s.inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, s.n)),
                 [&](int64_t begin, int64_t end) {
                   std::vector<int64_t> order(static_cast<size_t>(s.n));
                   std::vector<C> keys(static_cast<size_t>(s.n));
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t outer = r / s.inner, inner = r % s.inner;
                     const T* p = in + outer * s.n * s.inner + inner;
                     for (int64_t j = 0; j < s.n; ++j)
                       keys[static_cast<size_t>(j)] = static_cast<C>(p[j * s.inner]);
                     std::iota(order.begin(), order.end(), 0);
                     auto cmp = [&](int64_t i, int64_t j) {
                       return before(keys[static_cast<size_t>(i)], i, keys[static_cast<size_t>(j)], j);
                     };
                     std::partial_sort(order.begin(), order.begin() + k, order.end(), cmp);
                     const int64_t obase = outer * k * s.inner + inner;
                     for (int64_t j = 0; j < k; ++j) {
                       const int64_t idx = order[static_cast<size_t>(j)];
                       ov[obase + j * s.inner] = p[idx * s.inner];
                       oi[obase + j * s.inner] = idx;
                     }
                   }
                 });
  });
  ctx.set_output(0, std::move(values));
  ctx.set_output(1, std::move(indices));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "TopK",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .outputs = {2, 2},
                  .infer = infer_top_k,
                  .run = run_top_k,
                  .upgrade = upgrade_k_to_input});
ONYX_REGISTER_OP({.op_type = "TopK",
                  .since_version = 10,
                  .inputs = {2, 2},
                  .outputs = {2, 2},
                  .infer = infer_top_k,
                  .run = run_top_k});
ONYX_REGISTER_OP({.op_type = "TopK",
                  .since_version = 11,
                  .inputs = {2, 2},
                  .outputs = {2, 2},
                  .infer = infer_top_k,
                  .run = run_top_k});

}  // namespace onyx
