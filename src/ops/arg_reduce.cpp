// ArgMax, ArgMin: the int64 index of the largest / smallest element along one axis.
//
// Versions: 1 (non-negative axis), 11 (negative axis), 12 (select_last_index), 13 (bfloat16): one kernel,
// which honours each attribute from the version that introduced it. NaN counts as the extreme value (like
// numpy: the first NaN wins, or the last with select_last_index). Reducing along a zero-size axis is an error
// (there is no index to return).
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

struct ArgAttrs {
  int64_t axis = 0;
  bool keepdims = true;
  bool select_last_index = false;
};

ArgAttrs parse_attrs(const Node& node, int64_t rank) {
  ArgAttrs a;
  const int64_t axis = node.attr_int("axis", 0);
  if (node.opset < 11 && axis < 0)
    fail_bad_input(node.describe(), ": negative axis ", axis, " needs opset 11 or later");
  a.axis = normalize_axis(axis, rank, node);
  a.keepdims = node.attr_int("keepdims", 1) != 0;
  a.select_last_index = node.opset >= 12 && node.attr_int("select_last_index", 0) != 0;
  return a;
}

void infer_arg(InferContext& ctx) {
  const DType t = ctx.input_dtype(0);
  if (t != DType::kUndefined && !(dtype_is_integer(t) || t == DType::kFloat32 || t == DType::kFloat64 ||
                                  t == DType::kFloat16 || t == DType::kBFloat16))
    fail_unsupported(ctx.node().describe(), ": dtype ", dtype_name(t), " is not supported");
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(DType::kInt64));
    return;
  }
  const ArgAttrs a = parse_attrs(ctx.node(), static_cast<int64_t>(in.rank()));
  std::vector<Dim> out;
  for (size_t i = 0; i < in.rank(); ++i) {
    if (static_cast<int64_t>(i) != a.axis) {
      out.push_back(in[i]);
    } else if (a.keepdims) {
      out.push_back(Dim(1));
    }
  }
  ctx.set_output(0, DType::kInt64, Shape(std::move(out)));
}

template <bool kMax>
void run_arg(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const ArgAttrs a = parse_attrs(node, static_cast<int64_t>(x.rank()));
  std::vector<int64_t> out_dims;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (static_cast<int64_t>(i) != a.axis) {
      out_dims.push_back(x.dim(i));
    } else if (a.keepdims) {
      out_dims.push_back(1);
    }
  }
  const auto s = reduce_detail::split_at_axis(x.dims(), a.axis);
  if (s.n == 0 && s.outer * s.inner > 0) ctx.fail("cannot take the arg of a zero-size axis ", a.axis);
  Tensor out(DType::kInt64, out_dims);
  int64_t* o = out.data<int64_t>();
  dispatch_numeric(x.dtype(), node.describe(), [&]<typename T>() {
    using C = compute_t<T>;
    const T* in = x.data<T>();
    // Whether candidate v replaces the current best b (ties: only with select_last_index).
    auto better = [&](C v, C b) {
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(b)) return a.select_last_index && std::isnan(v);
        if (std::isnan(v)) return true;
      }
      if (kMax ? v > b : v < b) return true;
      return a.select_last_index && v == b;
    };
    parallel_for(s.outer * s.inner, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, s.n)),
                 [&](int64_t begin, int64_t end) {
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t outer = r / s.inner, inner = r % s.inner;
                     const T* p = in + outer * s.n * s.inner + inner;
                     int64_t best = 0;
                     C bv = static_cast<C>(p[0]);
                     for (int64_t k = 1; k < s.n; ++k) {
                       const C v = static_cast<C>(p[k * s.inner]);
                       if (better(v, bv)) {
                         bv = v;
                         best = k;
                       }
                     }
                     o[r] = best;
                   }
                 });
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "ArgMax", .since_version = 1, .inputs = {1, 1}, .infer = infer_arg, .run = run_arg<true>});
ONYX_REGISTER_OP(
    {.op_type = "ArgMin", .since_version = 1, .inputs = {1, 1}, .infer = infer_arg, .run = run_arg<false>});

}  // namespace onyx
