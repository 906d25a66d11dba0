// Pooling: AveragePool (1, 7: count_include_pad, 10: ceil_mode, 11, 19: dilations, 22), MaxPool (1, 8: Indices and
// storage_order, 10: ceil_mode and dilations, 11, 12: int8/uint8, 22), LpPool (1: float p, 2: int p, 11, 18:
// ceil_mode and dilations, 22), GlobalAveragePool / GlobalMaxPool (1, 22), GlobalLpPool (1: float p, 2, 22).
//
// Each (n, c) plane is pooled independently (in parallel). Per spatial dim, the taps of an output position that
// fall inside the input form an arithmetic progression (start, count, step = dilation); the window is their product.
#include "nn_util.h"

namespace onyx {
namespace {

enum class PoolKind { kAverage, kMax, kLp };

struct PoolAttrs {
  nn::WindowAttrs w;
  bool count_include_pad = false;
  int64_t storage_order = 0;
  double p = 2;
};

PoolAttrs parse_pool(const Node& node, PoolKind kind, size_t nd) {
  const int64_t v = node.opset;
  PoolAttrs a;
  bool dilations = false, ceil = false;
  switch (kind) {
    case PoolKind::kAverage:
      dilations = v >= 19;
      ceil = v >= 10;
      a.count_include_pad = v >= 7 && node.attr_int("count_include_pad", 0) != 0;
      break;
    case PoolKind::kMax:
      dilations = ceil = v >= 10;
      if (v >= 8) a.storage_order = node.attr_int("storage_order", 0);
      if (a.storage_order != 0 && a.storage_order != 1)
        fail_bad_input(node.describe(), ": storage_order must be 0 or 1, got ", a.storage_order);
      break;
    case PoolKind::kLp:
      dilations = ceil = v >= 18;
      a.p = v >= 2 ? static_cast<double>(node.attr_int("p", 2)) : node.attr_float("p", 2.f);
      if (!(a.p > 0)) fail_bad_input(node.describe(), ": p must be positive, got ", a.p);
      break;
  }
  a.w = nn::parse_window(node, nd, {}, dilations, ceil);
  return a;
}

// Per spatial dim and output index: first input index inside the input, tap count inside it, and tap count inside
// the padded input (for count_include_pad).
struct DimTaps {
  std::vector<int64_t> begin, count, padded;
};

std::vector<DimTaps> dim_taps(const nn::Geom& g) {
  std::vector<DimTaps> taps(g.nd());
  for (size_t d = 0; d < g.nd(); ++d) {
    DimTaps& t = taps[d];
    for (int64_t o = 0; o < g.out[d]; ++o) {
      const int64_t start = o * g.stride[d] - g.pb[d];
      int64_t first = -1, n = 0, np = 0;
      for (int64_t k = 0; k < g.k[d]; ++k) {
        const int64_t i = start + k * g.dil[d];
        if (i >= -g.pb[d] && i < g.in[d] + g.pe[d]) ++np;
        if (i < 0 || i >= g.in[d]) continue;
        if (first < 0) first = i;
        ++n;
      }
      t.begin.push_back(std::max<int64_t>(first, 0));
      t.count.push_back(n);
      t.padded.push_back(np);
    }
  }
  return taps;
}

// Pools one plane. `visit(offset)` is called for every tap inside the input; the caller's `emit(out_index, taps,
// padded_taps)` finishes an output position.
template <typename Visit, typename Emit>
void pool_plane(const nn::Geom& g, const std::vector<DimTaps>& taps, const std::vector<int64_t>& in_stride, Visit&& visit,
                Emit&& emit) {
  const size_t nd = g.nd();
  const int64_t osz = g.out_size();
  std::vector<int64_t> oc(nd, 0), kc(nd, 0);
  for (int64_t o = 0; o < osz; ++o) {
    int64_t n_taps = 1, n_padded = 1, base = 0;
    for (size_t d = 0; d < nd; ++d) {
      const size_t od = static_cast<size_t>(oc[d]);
      n_taps *= taps[d].count[od];
      n_padded *= taps[d].padded[od];
      base += taps[d].begin[od] * in_stride[d];
    }
    if (n_taps > 0) {
      std::fill(kc.begin(), kc.end(), 0);
      const size_t L = nd - 1;
      const int64_t last_n = taps[L].count[static_cast<size_t>(oc[L])], last_step = g.dil[L];
      const int64_t outer = n_taps / last_n;
      for (int64_t w = 0; w < outer; ++w) {
        int64_t off = base;
        for (size_t d = 0; d < L; ++d) off += kc[d] * g.dil[d] * in_stride[d];
        for (int64_t k = 0; k < last_n; ++k) visit(off + k * last_step);
        for (size_t d = L; d-- > 0;) {
          if (++kc[d] < taps[d].count[static_cast<size_t>(oc[d])]) break;
          kc[d] = 0;
        }
      }
    }
    emit(o, n_taps, n_padded);
    for (size_t d = nd; d-- > 0;) {
      if (++oc[d] < g.out[d]) break;
      oc[d] = 0;
    }
  }
}

struct PoolRun {
  nn::Geom geom;
  int64_t planes = 0;  // N * C
  std::vector<int64_t> out_dims;
};

PoolRun plan_pool(const KernelContext& ctx, const nn::WindowAttrs& w) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  PoolRun r;
  r.geom = nn::make_geom(ctx.node(), std::vector<int64_t>(x.dims().begin() + 2, x.dims().end()), w);
  r.planes = x.dim(0) * x.dim(1);
  r.out_dims = {x.dim(0), x.dim(1)};
  r.out_dims.insert(r.out_dims.end(), r.geom.out.begin(), r.geom.out.end());
  return r;
}

std::vector<int64_t> row_major_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

void run_average_or_lp(KernelContext& ctx, PoolKind kind) {
  const Tensor& x = ctx.input(0);
  const PoolAttrs a = parse_pool(ctx.node(), kind, x.rank() >= 3 ? x.rank() - 2 : 0);
  const PoolRun r = plan_pool(ctx, a.w);
  const std::vector<DimTaps> taps = dim_taps(r.geom);
  const std::vector<int64_t> in_stride = row_major_strides(r.geom.in);
  const int64_t isz = r.geom.in_size(), osz = r.geom.out_size();
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    Tensor y(x.dtype(), r.out_dims);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    const double p = a.p;
    parallel_for(r.planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const T* xp = xd + pl * isz;
        T* yp = yd + pl * osz;
        double acc = 0;
        if (kind == PoolKind::kAverage) {
          pool_plane(
              r.geom, taps, in_stride, [&](int64_t off) { acc += static_cast<double>(xp[off]); },
              [&](int64_t o, int64_t n, int64_t np) {
                const int64_t div = a.count_include_pad ? np : n;
                yp[o] = to_storage<T>(div > 0 ? acc / static_cast<double>(div) : std::nan(""));
                acc = 0;
              });
        } else if (p == 2) {
          pool_plane(
              r.geom, taps, in_stride,
              [&](int64_t off) {
                const double v = static_cast<double>(xp[off]);
                acc += v * v;
              },
              [&](int64_t o, int64_t, int64_t) {
                yp[o] = to_storage<T>(std::sqrt(acc));
                acc = 0;
              });
        } else {
          pool_plane(
              r.geom, taps, in_stride, [&](int64_t off) { acc += std::pow(std::abs(static_cast<double>(xp[off])), p); },
              [&](int64_t o, int64_t, int64_t) {
                yp[o] = to_storage<T>(std::pow(acc, 1.0 / p));
                acc = 0;
              });
        }
      }
    });
    ctx.set_output(0, std::move(y));
  });
}

void run_average_pool(KernelContext& ctx) { run_average_or_lp(ctx, PoolKind::kAverage); }
void run_lp_pool(KernelContext& ctx) { run_average_or_lp(ctx, PoolKind::kLp); }

template <typename F>
decltype(auto) dispatch_maxpool(DType t, std::string_view what, F&& f) {
  switch (t) {
    case DType::kInt8:
      return f.template operator()<int8_t>();
    case DType::kUInt8:
      return f.template operator()<uint8_t>();
    default:
      return dispatch_float(t, what, std::forward<F>(f));
  }
}

void run_max_pool(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const PoolAttrs a = parse_pool(ctx.node(), PoolKind::kMax, x.rank() >= 3 ? x.rank() - 2 : 0);
  const PoolRun r = plan_pool(ctx, a.w);
  const std::vector<DimTaps> taps = dim_taps(r.geom);
  const std::vector<int64_t> in_stride = row_major_strides(r.geom.in);
  const int64_t isz = r.geom.in_size(), osz = r.geom.out_size();
  const bool want_indices = ctx.output_wanted(1);
  // Column-major spatial strides for storage_order = 1.
  std::vector<int64_t> col_stride(r.geom.nd(), 1);
  for (size_t d = 1; d < r.geom.nd(); ++d) col_stride[d] = col_stride[d - 1] * r.geom.in[d - 1];
  dispatch_maxpool(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    using C = compute_t<T>;
    Tensor y(x.dtype(), r.out_dims);
    Tensor ind;
    if (want_indices) ind = Tensor(DType::kInt64, r.out_dims);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    int64_t* id = want_indices ? ind.data<int64_t>() : nullptr;
    parallel_for(r.planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const T* xp = xd + pl * isz;
        T* yp = yd + pl * osz;
        C best = std::numeric_limits<C>::lowest();
        if constexpr (std::numeric_limits<C>::has_infinity) best = -std::numeric_limits<C>::infinity();
        int64_t best_off = -1;
        pool_plane(
            r.geom, taps, in_stride,
            [&](int64_t off) {
              const C v = static_cast<C>(xp[off]);
              if (best_off < 0 || v > best) {
                best = v;
                best_off = off;
              }
            },
            [&](int64_t o, int64_t, int64_t) {
              yp[o] = to_storage<T>(best);
              if (id) {
                int64_t idx = best_off;
                if (a.storage_order == 1 && best_off >= 0) {
                  idx = 0;
                  int64_t rem = best_off;
                  for (size_t d = 0; d < r.geom.nd(); ++d) {
                    idx += (rem / in_stride[d]) * col_stride[d];
                    rem %= in_stride[d];
                  }
                }
                id[pl * osz + o] = best_off < 0 ? -1 : pl * isz + idx;
              }
              best = std::numeric_limits<C>::lowest();
              if constexpr (std::numeric_limits<C>::has_infinity) best = -std::numeric_limits<C>::infinity();
              best_off = -1;
            });
      }
    });
    ctx.set_output(0, std::move(y));
    if (want_indices) ctx.set_output(1, std::move(ind));
  });
}

void infer_pool_common(InferContext& ctx, PoolKind kind) {
  const DType dt = ctx.input_dtype(0);
  const Shape& xs = ctx.input_shape(0);
  Shape out = Shape::unknown_rank();
  if (xs.rank_known()) {
    if (xs.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", xs.to_string());
    const PoolAttrs a = parse_pool(ctx.node(), kind, xs.rank() - 2);
    std::vector<Dim> dims = {xs[0], xs[1]};
    auto sp = nn::infer_window_dims(ctx.node(), std::vector<Dim>(xs.dims().begin() + 2, xs.dims().end()), a.w);
    dims.insert(dims.end(), sp.begin(), sp.end());
    out = Shape(dims);
  }
  ctx.set_output(0, dt, out);
  if (ctx.num_outputs() > 1 && ctx.node().output(1)) ctx.set_output(1, DType::kInt64, out);
}

void infer_average_pool(InferContext& ctx) { infer_pool_common(ctx, PoolKind::kAverage); }
void infer_max_pool(InferContext& ctx) { infer_pool_common(ctx, PoolKind::kMax); }
void infer_lp_pool(InferContext& ctx) { infer_pool_common(ctx, PoolKind::kLp); }

// ---- global pools --------------------------------------------------------------------------------------------

void run_global(KernelContext& ctx, PoolKind kind) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, spatial...), got ", x.describe());
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t sz = planes ? x.numel() / planes : 0;
  if (kind == PoolKind::kMax && sz == 0 && planes > 0) ctx.fail("GlobalMaxPool of an empty spatial extent");
  double p = 2;
  if (kind == PoolKind::kLp) {
    p = ctx.node().opset >= 2 ? static_cast<double>(ctx.node().attr_int("p", 2)) : ctx.node().attr_float("p", 2.f);
    if (!(p > 0)) ctx.fail("p must be positive, got ", p);
  }
  std::vector<int64_t> out_dims = {x.dim(0), x.dim(1)};
  out_dims.resize(x.rank(), 1);
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    Tensor y(x.dtype(), out_dims);
    const T* xd = x.data<T>();
    T* yd = y.data<T>();
    parallel_for(planes, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const T* xp = xd + pl * sz;
        double acc = 0;
        if (kind == PoolKind::kMax) {
          acc = static_cast<double>(xp[0]);
          for (int64_t i = 1; i < sz; ++i) acc = std::max(acc, static_cast<double>(xp[i]));
        } else if (kind == PoolKind::kAverage) {
          for (int64_t i = 0; i < sz; ++i) acc += static_cast<double>(xp[i]);
          acc /= static_cast<double>(sz);
        } else {
          for (int64_t i = 0; i < sz; ++i) acc += std::pow(std::abs(static_cast<double>(xp[i])), p);
          acc = std::pow(acc, 1.0 / p);
        }
        yd[pl] = to_storage<T>(acc);
      }
    });
    ctx.set_output(0, std::move(y));
  });
}

void run_global_average_pool(KernelContext& ctx) { run_global(ctx, PoolKind::kAverage); }
void run_global_max_pool(KernelContext& ctx) { run_global(ctx, PoolKind::kMax); }
void run_global_lp_pool(KernelContext& ctx) { run_global(ctx, PoolKind::kLp); }

void infer_global(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& xs = ctx.input_shape(0);
  if (!xs.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (xs.rank() < 2) ctx.fail("X must have rank >= 2 (N, C, spatial...), got ", xs.to_string());
  std::vector<Dim> dims = {xs[0], xs[1]};
  dims.resize(xs.rank(), Dim(1));
  ctx.set_output(0, dt, Shape(dims));
}

}  // namespace

#define ONYX_POOL(OP, V, OUTS, INFER, RUN) \
  ONYX_REGISTER_OP({.op_type = OP, .since_version = V, .inputs = {1, 1}, .outputs = OUTS, .infer = INFER, .run = RUN});

ONYX_POOL("AveragePool", 1, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("AveragePool", 7, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("AveragePool", 10, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("AveragePool", 11, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("AveragePool", 19, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("AveragePool", 22, Arity({1, 1}), infer_average_pool, run_average_pool)
ONYX_POOL("MaxPool", 1, Arity({1, 1}), infer_max_pool, run_max_pool)
ONYX_POOL("MaxPool", 8, Arity({1, 2}), infer_max_pool, run_max_pool)
ONYX_POOL("MaxPool", 10, Arity({1, 2}), infer_max_pool, run_max_pool)
ONYX_POOL("MaxPool", 11, Arity({1, 2}), infer_max_pool, run_max_pool)
ONYX_POOL("MaxPool", 12, Arity({1, 2}), infer_max_pool, run_max_pool)
ONYX_POOL("MaxPool", 22, Arity({1, 2}), infer_max_pool, run_max_pool)
ONYX_POOL("LpPool", 1, Arity({1, 1}), infer_lp_pool, run_lp_pool)
ONYX_POOL("LpPool", 2, Arity({1, 1}), infer_lp_pool, run_lp_pool)
ONYX_POOL("LpPool", 11, Arity({1, 1}), infer_lp_pool, run_lp_pool)
ONYX_POOL("LpPool", 18, Arity({1, 1}), infer_lp_pool, run_lp_pool)
ONYX_POOL("LpPool", 22, Arity({1, 1}), infer_lp_pool, run_lp_pool)
ONYX_POOL("GlobalAveragePool", 1, Arity({1, 1}), infer_global, run_global_average_pool)
ONYX_POOL("GlobalAveragePool", 22, Arity({1, 1}), infer_global, run_global_average_pool)
ONYX_POOL("GlobalMaxPool", 1, Arity({1, 1}), infer_global, run_global_max_pool)
ONYX_POOL("GlobalMaxPool", 22, Arity({1, 1}), infer_global, run_global_max_pool)
ONYX_POOL("GlobalLpPool", 1, Arity({1, 1}), infer_global, run_global_lp_pool)
ONYX_POOL("GlobalLpPool", 2, Arity({1, 1}), infer_global, run_global_lp_pool)
ONYX_POOL("GlobalLpPool", 22, Arity({1, 1}), infer_global, run_global_lp_pool)

#undef ONYX_POOL

}  // namespace onyx
