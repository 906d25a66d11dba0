// ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp
// ReduceSumSquare.
//
// Versions: `axes` is an attribute before opset 18 (ReduceSum: before 13) and an optional int64 input after,
// with `noop_with_empty_axes`. Old versions are upgraded at import (the attribute becomes a constant input),
// so one kernel serves all. Other version bumps only add dtypes (negative axes: 11; int8/uint8 for Max/Min:
// 12; bfloat16: 13; bool for Max/Min: 20), all accepted here.
//
// Reduction over an empty set (a zero-size reduced axis): Sum/L1/L2/SumSquare 0, Prod 1, Max -inf (integers:
// the lowest value, bool: false), Min +inf (highest, true), Mean NaN (integers: 0), LogSum and LogSumExp
// -inf.
//
// Float inputs (float16/bfloat16/float32/float64) accumulate in double and round once. Integer sums and
// products wrap modulo 2^bits like the integer arithmetic of the type; L2, LogSum and LogSumExp of integers
// are computed in double and converted back with saturation.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::kIsFloat;
using reduce_detail::to_double;

enum class Kind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

struct ReduceAttrs {
  bool keepdims = true;
  bool noop_with_empty_axes = false;
};

ReduceAttrs parse_attrs(const Node& node) {
  // Old versions had their axes attribute moved to the input at import; one left here is invalid.
  if (node.has_attr("axes"))
    fail_bad_input(node.describe(), ": the axes attribute is not valid at opset ", node.opset,
                   " (axes is an input from this version on)");
  ReduceAttrs a;
  a.keepdims = node.attr_int("keepdims", 1) != 0;
  a.noop_with_empty_axes = node.attr_int("noop_with_empty_axes", 0) != 0;
  return a;
}

// Normalized, validated axes (sorted). `all` when every axis is reduced because none was given.
std::vector<int64_t> normalize_axes(const std::vector<int64_t>& raw, int64_t rank, const Node& node) {
  std::vector<int64_t> axes;
  std::vector<bool> seen(static_cast<size_t>(rank), false);
  for (int64_t a : raw) {
    const int64_t n = normalize_axis(a, rank, node);
    if (seen[static_cast<size_t>(n)])
      fail_bad_input(node.describe(), ": axis ", a, " is listed twice in axes");
    seen[static_cast<size_t>(n)] = true;
    axes.push_back(n);
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

// ---- upgrade: axes attribute → input
// -----------------------------------------------------------------------------

void upgrade_axes_to_input(Node& node) {
  const Attribute* a = node.find_attr("axes");
  if (!a) return;
  const std::vector<int64_t> axes = a->ints;
  node.remove_attr("axes");
  // An explicit empty list meant "all axes" before; an absent input means the same now (noop_with_empty_axes
  // is 0).
  if (axes.empty()) return;
  if (node.num_inputs() > 1 && node.input(1) != nullptr)
    fail_bad_input(node.describe(), ": has both an axes attribute and a second input");
  set_constant_input(node, 1, Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes),
                     "axes");
}

// ---- inference
// ---------------------------------------------------------------------------------------------------

void check_dtype(Kind kind, DType t, const Node& node) {
  if (t == DType::kUndefined) return;
  const bool numeric = dtype_is_float(t) ? (t == DType::kFloat32 || t == DType::kFloat64 ||
                                            t == DType::kFloat16 || t == DType::kBFloat16)
                                         : dtype_is_integer(t);
  const bool ok = numeric || (t == DType::kBool && (kind == Kind::kMax || kind == Kind::kMin));
  if (!ok) fail_unsupported(node.describe(), ": dtype ", dtype_name(t), " is not supported");
}

template <Kind K>
void infer_reduce(InferContext& ctx) {
  const Node& node = ctx.node();
  const ReduceAttrs attrs = parse_attrs(node);
  const DType dtype = ctx.input_dtype(0);
  check_dtype(K, dtype, node);
  const Shape& in = ctx.input_shape(0);
  if (ctx.has_input(1)) {
    const DType at = ctx.input_dtype(1);
    if (at != DType::kUndefined && at != DType::kInt64) ctx.fail("axes must be int64, got ", dtype_name(at));
  }
  if (!in.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(dtype));
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.rank());
  std::optional<std::vector<int64_t>> raw;  // the axes, when known
  if (!ctx.has_input(1)) {
    raw = std::vector<int64_t>{};
  } else if (const Tensor* c = ctx.input_constant(1)) {
    raw = c->to_int64_vector();
  } else if (const std::vector<Dim>* partial = ctx.input_partial(1)) {
    std::vector<int64_t> known;
    for (const Dim& d : *partial)
      if (d.is_known()) known.push_back(d.value());
    if (known.size() == partial->size()) raw = std::move(known);
  }
  if (!raw) {
    // Axes unknown until run time: the rank is known with keepdims, or from the axes' length when it is
    // non-zero.
    const Shape& as = ctx.input_shape(1);
    if (attrs.keepdims) {
      ctx.set_output(0, dtype, Shape(std::vector<Dim>(static_cast<size_t>(rank))));
    } else if (as.rank_known() && as.rank() == 1 && as[0].is_known() && as[0].value() > 0 &&
               as[0].value() <= rank) {
      ctx.set_output(0, dtype, Shape(std::vector<Dim>(static_cast<size_t>(rank - as[0].value()))));
    } else {
      ctx.set_output_type(0, TypeInfo::tensor(dtype));
    }
    return;
  }
  if (raw->empty() && attrs.noop_with_empty_axes) {
    ctx.set_output(0, dtype, in);
    return;
  }
  std::vector<bool> reduced(static_cast<size_t>(rank), raw->empty());
  for (int64_t a : normalize_axes(*raw, rank, node)) reduced[static_cast<size_t>(a)] = true;
  std::vector<Dim> out;
  for (size_t i = 0; i < static_cast<size_t>(rank); ++i) {
    if (!reduced[i]) {
      out.push_back(in[i]);
    } else if (attrs.keepdims) {
      out.push_back(Dim(1));
    }
  }
  ctx.set_output(0, dtype, Shape(std::move(out)));
}

// ---- the reduction plan
// --------------------------------------------------------------------------------------------

// Dims coalesced into alternating kept/reduced runs. Each output element has a base offset (from the kept
// dims); its reduced elements lie at base + table[t] + j for every table entry t and j in [0, run).
struct Plan {
  std::vector<int64_t> out_dims;   // the output's dims (keepdims applied)
  std::vector<int64_t> kept_dims;  // coalesced kept dims, outermost first
  std::vector<int64_t> kept_strides;
  std::vector<int64_t> table;  // offsets of the reduced blocks
  int64_t run = 1;             // contiguous reduced elements per table entry
  int64_t out_count = 1;
  int64_t red_count = 1;
};

Plan make_plan(const std::vector<int64_t>& dims, const std::vector<bool>& reduced, bool keepdims) {
  Plan p;
  const size_t rank = dims.size();
  for (size_t i = 0; i < rank; ++i) {
    if (!reduced[i]) {
      p.out_dims.push_back(dims[i]);
    } else if (keepdims) {
      p.out_dims.push_back(1);
    }
  }
  // Coalesce adjacent dims of the same kind (size-1 dims are dropped: they change nothing).
  struct Group {
    bool red;
    int64_t size;
    int64_t stride;
  };
  std::vector<Group> groups;
  int64_t stride = 1;
  for (size_t k = rank; k-- > 0;) {
    const int64_t d = dims[k];
    if (d != 1) {
      if (!groups.empty() && groups.back().red == reduced[k] &&
          groups.back().stride * groups.back().size == stride) {
        groups.back().size *= d;
      } else {
        groups.push_back({reduced[k], d, stride});
      }
    }
    stride *= d;
  }
  std::reverse(groups.begin(), groups.end());  // outermost first
  std::vector<Group> red_groups;
  for (const Group& g : groups) {
    if (g.red) {
      red_groups.push_back(g);
      p.red_count *= g.size;
    } else {
      p.kept_dims.push_back(g.size);
      p.kept_strides.push_back(g.stride);
      p.out_count *= g.size;
    }
  }
  if (!red_groups.empty() && red_groups.back().stride == 1) {
    p.run = red_groups.back().size;
    red_groups.pop_back();
  }
  if (p.red_count == 0) {  // nothing to visit: every output is the empty-set value
    p.run = 0;
    return p;
  }
  // Offsets of every combination of the remaining reduced groups.
  p.table = {0};
  for (const Group& g : red_groups) {
    std::vector<int64_t> next;
    next.reserve(p.table.size() * static_cast<size_t>(g.size));
    for (int64_t base : p.table)
      for (int64_t i = 0; i < g.size; ++i) next.push_back(base + i * g.stride);
    p.table = std::move(next);
  }
  return p;
}

// Calls f(value) for every reduced element of the output element whose input base pointer is `x`.
template <typename T, typename F>
inline void for_each_reduced(const T* x, const Plan& p, F&& f) {
  for (int64_t t : p.table) {
    const T* q = x + t;
    for (int64_t j = 0; j < p.run; ++j) f(q[j]);
  }
}

// ---- per-kind kernels
// -------------------------------------------------------------------------------------------

template <Kind K, typename T>
T reduce_float(const T* x, const Plan& p) {
  if constexpr (K == Kind::kMax || K == Kind::kMin) {
    double m =
        K == Kind::kMax ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    bool nan = false;
    for_each_reduced(x, p, [&](T v) {
      const double d = to_double(v);
      if (std::isnan(d)) nan = true;
      if (K == Kind::kMax ? d > m : d < m) m = d;
    });
    return from_double<T>(nan ? std::numeric_limits<double>::quiet_NaN() : m);
  } else if constexpr (K == Kind::kLogSumExp) {
    double m = -std::numeric_limits<double>::infinity();
    bool nan = false;
    for_each_reduced(x, p, [&](T v) {
      const double d = to_double(v);
      if (std::isnan(d)) nan = true;
      if (d > m) m = d;
    });
    if (nan) return from_double<T>(std::numeric_limits<double>::quiet_NaN());
    if (std::isinf(m)) return from_double<T>(m);  // empty / all -inf → -inf; any +inf → +inf
    double s = 0;
    for_each_reduced(x, p, [&](T v) { s += std::exp(to_double(v) - m); });
    return from_double<T>(m + std::log(s));
  } else if constexpr (K == Kind::kProd) {
    double r = 1;
    for_each_reduced(x, p, [&](T v) { r *= to_double(v); });
    return from_double<T>(r);
  } else {
    double s = 0;
    for_each_reduced(x, p, [&](T v) {
      const double d = to_double(v);
      if constexpr (K == Kind::kL1) {
        s += std::fabs(d);
      } else if constexpr (K == Kind::kL2 || K == Kind::kSumSquare) {
        s += d * d;
      } else {
        s += d;
      }
    });
    if constexpr (K == Kind::kMean)
      return from_double<T>(s / static_cast<double>(p.red_count));  // n == 0: NaN
    if constexpr (K == Kind::kL2) return from_double<T>(std::sqrt(s));
    if constexpr (K == Kind::kLogSum) return from_double<T>(std::log(s));
    return from_double<T>(s);
  }
}

// Integer sums and products accumulate in uint64: they wrap like the type's own arithmetic (no
// signed-overflow UB).
template <Kind K, typename T>
T reduce_integer(const T* x, const Plan& p) {
  const int64_t n = p.red_count;
  if constexpr (K == Kind::kMax || K == Kind::kMin) {
    T m = K == Kind::kMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
    for_each_reduced(x, p, [&](T v) {
      if (K == Kind::kMax ? v > m : v < m) m = v;
    });
    return m;
  } else if constexpr (K == Kind::kL2 || K == Kind::kLogSum || K == Kind::kLogSumExp) {
    if constexpr (K == Kind::kLogSumExp) {
      if (n == 0) return from_double<T>(-std::numeric_limits<double>::infinity());
      double m = -std::numeric_limits<double>::infinity();
      for_each_reduced(x, p, [&](T v) { m = std::max(m, static_cast<double>(v)); });
      double s = 0;
      for_each_reduced(x, p, [&](T v) { s += std::exp(static_cast<double>(v) - m); });
      return from_double<T>(m + std::log(s));
    } else {
      double s = 0;
      for_each_reduced(x, p, [&](T v) {
        const double d = static_cast<double>(v);
        s += K == Kind::kL2 ? d * d : d;
      });
      return from_double<T>(K == Kind::kL2 ? std::sqrt(s) : std::log(s));
    }
  } else if constexpr (K == Kind::kProd) {
    uint64_t r = 1;
    for_each_reduced(x, p, [&](T v) { r *= static_cast<uint64_t>(v); });
    return static_cast<T>(r);
  } else {
    uint64_t s = 0;
    for_each_reduced(x, p, [&](T v) {
      uint64_t u = static_cast<uint64_t>(v);
      if constexpr (K == Kind::kL1) {
        if constexpr (std::is_signed_v<T>) {
          if (v < 0) u = 0 - u;
        }
      } else if constexpr (K == Kind::kSumSquare) {
        u *= u;
      }
      s += u;
    });
    if constexpr (K == Kind::kMean) {
      if (n == 0) return T(0);
      if constexpr (std::is_signed_v<T>) {
        return static_cast<T>(static_cast<int64_t>(s) /
                              n);  // truncates toward zero like the exact mean would
      } else {
        return static_cast<T>(s / static_cast<uint64_t>(n));
      }
    }
    return static_cast<T>(s);
  }
}

template <Kind K>
bool reduce_bool(const bool* x, const Plan& p) {
  bool r = K == Kind::kMin;  // max of nothing: false; min of nothing: true
  for_each_reduced(x, p, [&](bool v) {
    if constexpr (K == Kind::kMax) {
      r = r || v;
    } else {
      r = r && v;
    }
  });
  return r;
}

template <Kind K, typename T>
void run_typed(const Tensor& x, const Plan& p, Tensor& out) {
  const T* in = x.data<T>();
  T* o = out.data<T>();
  const size_t kr = p.kept_dims.size();
  const int64_t work = std::max<int64_t>(1, p.red_count);
  const int64_t grain = std::max<int64_t>(1, 16384 / work);
  parallel_for(p.out_count, grain, [&](int64_t begin, int64_t end) {
    // Decompose `begin` into kept-dim coordinates, then walk forward like an odometer.
    std::vector<int64_t> idx(kr, 0);
    int64_t base = 0;
    int64_t rem = begin;
    for (size_t d = kr; d-- > 0;) {
      idx[d] = rem % p.kept_dims[d];
      rem /= p.kept_dims[d];
      base += idx[d] * p.kept_strides[d];
    }
    for (int64_t i = begin; i < end; ++i) {
      if constexpr (std::is_same_v<T, bool>) {
        o[i] = reduce_bool<K>(in + base, p);
      } else if constexpr (kIsFloat<T>) {
        o[i] = reduce_float<K, T>(in + base, p);
      } else {
        o[i] = reduce_integer<K, T>(in + base, p);
      }
      for (size_t d = kr; d-- > 0;) {
        base += p.kept_strides[d];
        if (++idx[d] < p.kept_dims[d]) break;
        base -= p.kept_strides[d] * p.kept_dims[d];
        idx[d] = 0;
      }
    }
  });
}

template <Kind K>
void run_reduce(KernelContext& ctx) {
  const Node& node = ctx.node();
  const ReduceAttrs attrs = parse_attrs(node);
  const Tensor& x = ctx.input(0);
  check_dtype(K, x.dtype(), node);
  const int64_t rank = static_cast<int64_t>(x.rank());
  std::vector<int64_t> raw;
  if (ctx.has_input(1)) {
    const Tensor& a = ctx.input(1);
    if (a.dtype() != DType::kInt64) ctx.fail("axes must be int64, got ", dtype_name(a.dtype()));
    if (a.rank() > 1) ctx.fail("axes must be 1-D, got ", a.describe());
    raw = a.to_int64_vector();
  }
  if (raw.empty() && attrs.noop_with_empty_axes) {
    ctx.set_output(0, x);
    return;
  }
  std::vector<bool> reduced(static_cast<size_t>(rank), raw.empty());
  for (int64_t a : normalize_axes(raw, rank, node)) reduced[static_cast<size_t>(a)] = true;
  const Plan plan = make_plan(x.dims(), reduced, attrs.keepdims);
  Tensor out(x.dtype(), plan.out_dims);
  if (x.dtype() == DType::kBool) {
    if constexpr (K == Kind::kMax || K == Kind::kMin) run_typed<K, bool>(x, plan, out);
  } else {
    dispatch_numeric(x.dtype(), node.describe(), [&]<typename T>() { run_typed<K, T>(x, plan, out); });
  }
  ctx.set_output(0, std::move(out));
}

}  // namespace

// Version 1 (axes attribute) upgrades to the version that takes axes as an input.
#define ONYX_REDUCE_OP(ID, NAME, KIND, INPUT_SINCE)                                   \
  static const OpRegistrar onyx_reduce_attr_##ID({.op_type = NAME,                    \
                                                  .since_version = 1,                 \
                                                  .inputs = {1, 1},                   \
                                                  .infer = infer_reduce<KIND>,        \
                                                  .run = run_reduce<KIND>,            \
                                                  .upgrade = upgrade_axes_to_input}); \
  static const OpRegistrar onyx_reduce_input_##ID({.op_type = NAME,                   \
                                                   .since_version = INPUT_SINCE,      \
                                                   .inputs = {1, 2},                  \
                                                   .infer = infer_reduce<KIND>,       \
                                                   .run = run_reduce<KIND>});

ONYX_REDUCE_OP(sum, "ReduceSum", Kind::kSum, 13)
ONYX_REDUCE_OP(mean, "ReduceMean", Kind::kMean, 18)
ONYX_REDUCE_OP(max, "ReduceMax", Kind::kMax, 18)
ONYX_REDUCE_OP(min, "ReduceMin", Kind::kMin, 18)
ONYX_REDUCE_OP(prod, "ReduceProd", Kind::kProd, 18)
ONYX_REDUCE_OP(l1, "ReduceL1", Kind::kL1, 18)
ONYX_REDUCE_OP(l2, "ReduceL2", Kind::kL2, 18)
ONYX_REDUCE_OP(log_sum, "ReduceLogSum", Kind::kLogSum, 18)
ONYX_REDUCE_OP(log_sum_exp, "ReduceLogSumExp", Kind::kLogSumExp, 18)
ONYX_REDUCE_OP(sum_square, "ReduceSumSquare", Kind::kSumSquare, 18)

#undef ONYX_REDUCE_OP

}  // namespace onyx
