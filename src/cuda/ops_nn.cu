// Neural-network kernels of ops_kernels.h: group/instance normalization, LpNormalization, LRN,
// MeanVarianceNormalization, NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, ConvTranspose (direct), Einsum
// (generic contraction), window functions.
#include <cctype>
#include <cmath>
#include <map>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

template <typename T>
using Acc = std::conditional_t<std::is_same<T, double>::value, double, float>;

// Block-wide sum (blockDim.x a multiple of 32, at most 1024). Every thread gets the result.
template <typename V>
__device__ V block_sum(V v) {
  __shared__ V part[32];
  for (int d = 16; d > 0; d >>= 1) v += __shfl_down_sync(0xffffffffu, v, d);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) part[warp] = v;
  __syncthreads();
  V total = V(0);
  const int warps = blockDim.x >> 5;
  for (int i = 0; i < warps; ++i) total += part[i];
  return total;
}

// One block per (n, group): mean, then variance (two passes), then the affine output.
template <typename T>
__global__ void group_norm_kernel(const T* x, const T* scale, const T* bias, T* y, int64_t channels, int64_t spatial,
                                  int64_t groups, bool per_channel, float eps) {
  using V = Acc<T>;
  const int64_t ng = blockIdx.x;
  const int64_t g = ng % groups;
  const int64_t cpg = channels / groups;
  const int64_t len = cpg * spatial;
  const T* px = x + ng * len;
  T* py = y + ng * len;
  V s = 0;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x) s += static_cast<V>(ld(px[i]));
  const V mean = block_sum(s) / static_cast<V>(len);
  V q = 0;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
    const V d = static_cast<V>(ld(px[i])) - mean;
    q += d * d;
  }
  const V var = block_sum(q) / static_cast<V>(len);
  const V inv = V(1) / sqrt(var + static_cast<V>(eps));
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
    const int64_t c = g * cpg + i / spatial;
    const int64_t pi = per_channel ? c : g;
    const V sc = scale ? static_cast<V>(ld(scale[pi])) : V(1);
    const V bi = bias ? static_cast<V>(ld(bias[pi])) : V(0);
    py[i] = st<T>((static_cast<V>(ld(px[i])) - mean) * inv * sc + bi);
  }
}

template <typename T>
__global__ void lp_norm_kernel(const T* x, T* y, int64_t outer, int64_t dim, int64_t inner, int p) {
  using V = Acc<T>;
  for (int64_t i = gtid(); i < outer * inner; i += gstride()) {
    const int64_t base = (i / inner) * dim * inner + i % inner;
    V s = 0;
    for (int64_t j = 0; j < dim; ++j) {
      const V v = static_cast<V>(ld(x[base + j * inner]));
      s += p == 1 ? fabs(v) : v * v;
    }
    const V norm = p == 1 ? s : sqrt(s);
    for (int64_t j = 0; j < dim; ++j) y[base + j * inner] = st<T>(static_cast<V>(ld(x[base + j * inner])) / norm);
  }
}

template <typename T>
__global__ void lrn_kernel(const T* x, T* y, int64_t n, int64_t c, int64_t spatial, int64_t size, float alpha,
                           float beta, float bias) {
  using V = Acc<T>;
  const int64_t lo_off = (size - 1) / 2, hi_off = size - 1 - lo_off;
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t s = e % spatial, ch = (e / spatial) % c, b = e / (spatial * c);
    const int64_t lo = ch - lo_off < 0 ? 0 : ch - lo_off;
    const int64_t hi = ch + hi_off > c - 1 ? c - 1 : ch + hi_off;
    V sq = 0;
    for (int64_t k = lo; k <= hi; ++k) {
      const V v = static_cast<V>(ld(x[(b * c + k) * spatial + s]));
      sq += v * v;
    }
    const V den = pow(static_cast<V>(bias) + static_cast<V>(alpha) / static_cast<V>(size) * sq, static_cast<V>(beta));
    y[e] = st<T>(static_cast<V>(ld(x[e])) / den);
  }
}

template <typename T>
__global__ void mvn_kernel(const T* x, T* y, int64_t n_out, Geom outer, Geom inner, int64_t r) {
  using V = Acc<T>;
  for (int64_t o = gtid(); o < n_out; o += gstride()) {
    const int64_t base = offset_of(outer, o);
    V s = 0;
    for (int64_t i = 0; i < r; ++i) s += static_cast<V>(ld(x[base + offset_of(inner, i)]));
    const V mean = s / static_cast<V>(r);
    V q = 0;
    for (int64_t i = 0; i < r; ++i) {
      const V d = static_cast<V>(ld(x[base + offset_of(inner, i)])) - mean;
      q += d * d;
    }
    const V sd = sqrt(q / static_cast<V>(r));
    for (int64_t i = 0; i < r; ++i) {
      const int64_t off = base + offset_of(inner, i);
      y[off] = st<T>((static_cast<V>(ld(x[off])) - mean) / (sd + static_cast<V>(1e-9)));
    }
  }
}

// Loss of one (n, j) element: returns loss and its weight; softmax: log-softmax over the class dim on the fly.
template <typename T, typename I>
__device__ __forceinline__ void loss_one(const T* in, const I* target, const T* weight, int64_t c, int64_t dd,
                                         int64_t e, bool has_ignore, int64_t ignore, bool softmax, double* loss,
                                         double* wt, int* error_flag) {
  const int64_t nb = e / dd, j = e % dd;
  const int64_t t = static_cast<int64_t>(target[e]);
  *loss = 0;
  *wt = 0;
  if (has_ignore && t == ignore) return;
  if (t < 0 || t >= c) {
    if (error_flag) atomicExch(error_flag, 1);
    return;
  }
  const T* base = in + nb * c * dd + j;
  double v = static_cast<double>(ld(base[t * dd]));
  if (softmax) {
    double m = -INFINITY;
    for (int64_t k = 0; k < c; ++k) m = fmax(m, static_cast<double>(ld(base[k * dd])));
    double s = 0;
    for (int64_t k = 0; k < c; ++k) s += exp(static_cast<double>(ld(base[k * dd])) - m);
    v = v - m - log(s);
  }
  const double w = weight ? static_cast<double>(ld(weight[t])) : 1.0;
  *loss = -v * w;
  *wt = w;
}

template <typename T, typename I>
__global__ void loss_none_kernel(const T* in, const I* target, const T* weight, T* y, int64_t n, int64_t c, int64_t dd,
                                 bool has_ignore, int64_t ignore, bool softmax, int* error_flag) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    double l, w;
    loss_one(in, target, weight, c, dd, e, has_ignore, ignore, softmax, &l, &w, error_flag);
    y[e] = st<T>(l);
  }
}

// One block: sum (and for mean the weighted mean) of every element's loss.
template <typename T, typename I>
__global__ void loss_reduce_kernel(const T* in, const I* target, const T* weight, T* y, int64_t n, int64_t c,
                                   int64_t dd, bool has_ignore, int64_t ignore, bool softmax, bool mean,
                                   int* error_flag) {
  double ls = 0, ws = 0;
  for (int64_t e = threadIdx.x; e < n; e += blockDim.x) {
    double l, w;
    loss_one(in, target, weight, c, dd, e, has_ignore, ignore, softmax, &l, &w, error_flag);
    ls += l;
    ws += w;
  }
  ls = block_sum(ls);
  ws = block_sum(ws);
  if (threadIdx.x == 0) y[0] = st<T>(mean ? ls / ws : ls);
}

// ConvTranspose, gather form: one thread per output element.
struct CtGeom {
  int64_t n, ci, co, group;
  int64_t in[3], out[3], k[3], stride[3], dil[3], pad[3];
};

template <typename T>
__global__ void conv_transpose_kernel(const T* x, const T* w, const T* bias, T* y, int64_t total, CtGeom g) {
  using V = Acc<T>;
  const int64_t ci_g = g.ci / g.group, co_g = g.co / g.group;
  const int64_t in_sp = g.in[0] * g.in[1] * g.in[2], k_sp = g.k[0] * g.k[1] * g.k[2];
  const int64_t out_sp = g.out[0] * g.out[1] * g.out[2];
  for (int64_t e = gtid(); e < total; e += gstride()) {
    const int64_t o2 = e % g.out[2], o1 = (e / g.out[2]) % g.out[1], o0 = (e / (g.out[2] * g.out[1])) % g.out[0];
    const int64_t oc = (e / out_sp) % g.co, b = e / (out_sp * g.co);
    const int64_t grp = oc / co_g, ocl = oc % co_g;
    V acc = bias ? static_cast<V>(ld(bias[oc])) : V(0);
    for (int64_t k0 = 0; k0 < g.k[0]; ++k0) {
      const int64_t t0 = o0 + g.pad[0] - k0 * g.dil[0];
      if (t0 < 0 || t0 % g.stride[0] != 0) continue;
      const int64_t i0 = t0 / g.stride[0];
      if (i0 >= g.in[0]) continue;
      for (int64_t k1 = 0; k1 < g.k[1]; ++k1) {
        const int64_t t1 = o1 + g.pad[1] - k1 * g.dil[1];
        if (t1 < 0 || t1 % g.stride[1] != 0) continue;
        const int64_t i1 = t1 / g.stride[1];
        if (i1 >= g.in[1]) continue;
        for (int64_t k2 = 0; k2 < g.k[2]; ++k2) {
          const int64_t t2 = o2 + g.pad[2] - k2 * g.dil[2];
          if (t2 < 0 || t2 % g.stride[2] != 0) continue;
          const int64_t i2 = t2 / g.stride[2];
          if (i2 >= g.in[2]) continue;
          const int64_t in_off = (i0 * g.in[1] + i1) * g.in[2] + i2;
          const int64_t k_off = (k0 * g.k[1] + k1) * g.k[2] + k2;
          for (int64_t icl = 0; icl < ci_g; ++icl) {
            const int64_t ic = grp * ci_g + icl;
            acc += static_cast<V>(ld(x[(b * g.ci + ic) * in_sp + in_off])) *
                   static_cast<V>(ld(w[(ic * co_g + ocl) * k_sp + k_off]));
          }
        }
      }
    }
    y[e] = st<T>(acc);
  }
}

constexpr int kMaxEinsumOps = 3;
struct EinsumGeom {
  int n_ops = 0;
  int n_out = 0, n_con = 0;
  int64_t out_dims[kMaxRank] = {};
  int64_t con_dims[kMaxRank] = {};
  int64_t out_stride[kMaxEinsumOps][kMaxRank] = {};
  int64_t con_stride[kMaxEinsumOps][kMaxRank] = {};
  int64_t con_total = 1;
};
struct EinsumPtrs {
  const void* p[kMaxEinsumOps] = {};
};

template <typename T>
__global__ void einsum_kernel(EinsumPtrs in, T* y, int64_t n, EinsumGeom g) {
  using V = C<T>;
  for (int64_t e = gtid(); e < n; e += gstride()) {
    int64_t base[kMaxEinsumOps] = {};
    int64_t r = e;
    for (int d = g.n_out - 1; d >= 0; --d) {
      const int64_t c = r % g.out_dims[d];
      r /= g.out_dims[d];
      for (int k = 0; k < g.n_ops; ++k) base[k] += c * g.out_stride[k][d];
    }
    V acc = V(0);
    for (int64_t t = 0; t < g.con_total; ++t) {
      int64_t off[kMaxEinsumOps];
      for (int k = 0; k < g.n_ops; ++k) off[k] = base[k];
      int64_t q = t;
      for (int d = g.n_con - 1; d >= 0; --d) {
        const int64_t c = q % g.con_dims[d];
        q /= g.con_dims[d];
        for (int k = 0; k < g.n_ops; ++k) off[k] += c * g.con_stride[k][d];
      }
      V prod = ld(static_cast<const T*>(in.p[0])[off[0]]);
      for (int k = 1; k < g.n_ops; ++k) prod = static_cast<V>(prod * ld(static_cast<const T*>(in.p[k])[off[k]]));
      acc = static_cast<V>(acc + prod);
    }
    y[e] = st<T>(acc);
  }
}

template <typename T>
__global__ void window_kernel(T* y, int64_t n, WindowKind kind, double denom) {
  const double pi = 3.14159265358979323846;
  for (int64_t i = gtid(); i < n; i += gstride()) {
    const double a = 2 * pi * static_cast<double>(i) / denom;
    double v = 0;
    switch (kind) {
      case WindowKind::kHann: v = 0.5 - 0.5 * cos(a); break;
      case WindowKind::kHamming: v = 25.0 / 46.0 - 21.0 / 46.0 * cos(a); break;
      case WindowKind::kBlackman: v = 0.42 - 0.5 * cos(a) + 0.08 * cos(2 * a); break;
    }
    y[i] = st<T>(v);
  }
}

}  // namespace

void group_norm(DType dtype, const void* x, int64_t n, int64_t channels, int64_t spatial, int64_t groups,
                const void* scale, const void* bias, bool per_channel, float epsilon, void* y, cudaStream_t stream) {
  ONYX_CHECK(n >= 0 && channels >= 0 && spatial >= 0, "group_norm: negative dims");
  ONYX_CHECK(groups >= 1 && channels % groups == 0, "group_norm: ", channels, " channels do not split into ", groups,
             " groups");
  if (n * channels * spatial == 0) return;
  ONYX_CHECK(n * groups <= 0x7fffffff, "group_norm: too many groups");
  dispatch_float(dtype, "group_norm", [&](auto t) {
    using T = decltype(t);
    group_norm_kernel<T><<<static_cast<unsigned>(n * groups), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(scale), static_cast<const T*>(bias), static_cast<T*>(y),
        channels, spatial, groups, per_channel, epsilon);
  });
  check_launch("group_norm");
}

void lp_norm(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t p, void* y, cudaStream_t stream) {
  check_shape(shape, "lp_norm");
  ONYX_CHECK(p == 1 || p == 2, "lp_norm: p must be 1 or 2, got ", p);
  const Dims s = shape.empty() ? Dims{1} : shape;
  axis = norm_axis(axis, s.size(), "lp_norm");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  if (outer * inner * s[axis] == 0) return;
  dispatch_float(dtype, "lp_norm", [&](auto t) {
    using T = decltype(t);
    lp_norm_kernel<T><<<grid_for(outer * inner), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y),
                                                                         outer, s[axis], inner, static_cast<int>(p));
  });
  check_launch("lp_norm");
}

void lrn(DType dtype, const void* x, int64_t n, int64_t c, int64_t spatial, int64_t size, float alpha, float beta,
         float bias, void* y, cudaStream_t stream) {
  ONYX_CHECK(size >= 1, "lrn: size must be >= 1, got ", size);
  ONYX_CHECK(n >= 0 && c >= 0 && spatial >= 0, "lrn: negative dims");
  const int64_t total = n * c * spatial;
  if (total == 0) return;
  dispatch_float(dtype, "lrn", [&](auto t) {
    using T = decltype(t);
    lrn_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), total, c,
                                                             spatial, size, alpha, beta, bias);
  });
  check_launch("lrn");
}

void mean_variance_norm(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& axes, void* y,
                        cudaStream_t stream) {
  check_shape(shape, "mean_variance_norm");
  std::vector<bool> red(shape.size(), false);
  for (int64_t a : axes) {
    ONYX_CHECK(a >= 0 && a < static_cast<int64_t>(shape.size()) && !red[a], "mean_variance_norm: bad axis ", a);
    red[a] = true;
  }
  if (count(shape) == 0) return;
  const Dims st = strides_of(shape);
  Dims od, os, id, is;
  for (size_t d = 0; d < shape.size(); ++d) {
    (red[d] ? id : od).push_back(shape[d]);
    (red[d] ? is : os).push_back(st[d]);
  }
  const int64_t n_out = count(od), r = count(id);
  const Geom outer = geom_of(od, os), inner = geom_of(id, is);
  dispatch_float(dtype, "mean_variance_norm", [&](auto t) {
    using T = decltype(t);
    mvn_kernel<T><<<grid_for(n_out), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n_out, outer,
                                                             inner, r);
  });
  check_launch("mean_variance_norm");
}

namespace {
void launch_loss(DType dtype, const void* input, const Dims& shape, const void* target, DType target_dtype,
                 const void* weight, LossReduction reduction, bool has_ignore, int64_t ignore_index, void* y,
                 int* error_flag, bool softmax, cudaStream_t stream, const char* what) {
  check_shape(shape, what);
  ONYX_CHECK(shape.size() >= 2, what, ": input needs rank >= 2 ([N, C, ...]), got ", shape.size());
  const int64_t c = shape[1];
  int64_t dd = 1;
  for (size_t d = 2; d < shape.size(); ++d) dd *= shape[d];
  const int64_t n = shape[0] * dd;
  dispatch_float(dtype, what, [&](auto t) {
    using T = decltype(t);
    dispatch_index(target_dtype, what, [&](auto i) {
      using I = decltype(i);
      if (reduction == LossReduction::kNone) {
        if (n == 0) return;
        loss_none_kernel<T, I><<<grid_for(n), kThreads, 0, stream>>>(
            static_cast<const T*>(input), static_cast<const I*>(target), static_cast<const T*>(weight),
            static_cast<T*>(y), n, c, dd, has_ignore, ignore_index, softmax, error_flag);
      } else {
        loss_reduce_kernel<T, I><<<1, kThreads, 0, stream>>>(
            static_cast<const T*>(input), static_cast<const I*>(target), static_cast<const T*>(weight),
            static_cast<T*>(y), n, c, dd, has_ignore, ignore_index, softmax, reduction == LossReduction::kMean,
            error_flag);
      }
    });
  });
  check_launch(what);
}
}  // namespace

void nll_loss(DType dtype, const void* input, const Dims& shape, const void* target, DType target_dtype,
              const void* weight, LossReduction reduction, bool has_ignore, int64_t ignore_index, void* y,
              int* error_flag, cudaStream_t stream) {
  launch_loss(dtype, input, shape, target, target_dtype, weight, reduction, has_ignore, ignore_index, y, error_flag,
              false, stream, "nll_loss");
}

void softmax_cross_entropy(DType dtype, const void* scores, const Dims& shape, const void* labels, DType labels_dtype,
                           const void* weight, LossReduction reduction, bool has_ignore, int64_t ignore_index,
                           void* y, void* log_prob, int* error_flag, cudaStream_t stream) {
  launch_loss(dtype, scores, shape, labels, labels_dtype, weight, reduction, has_ignore, ignore_index, y, error_flag,
              true, stream, "softmax_cross_entropy");
  if (log_prob) softmax_axis(dtype, scores, shape, 1, true, log_prob, stream);
}

void conv_transpose(DType dtype, const void* x, const void* w, const void* bias, const ConvTransposeParams& p,
                    void* y, cudaStream_t stream) {
  const size_t r = p.x_shape.size();
  ONYX_CHECK(r >= 3 && r <= 5, "conv_transpose: input rank must be 3 to 5, got ", r);
  ONYX_CHECK(p.w_shape.size() == r && p.y_shape.size() == r, "conv_transpose: weight/output rank must be ", r);
  const size_t sp = r - 2;
  ONYX_CHECK(p.strides.size() == sp && p.dilations.size() == sp && p.pads_begin.size() == sp,
             "conv_transpose: strides/dilations/pads need ", sp, " values");
  ONYX_CHECK(p.group >= 1 && p.x_shape[1] % p.group == 0 && p.x_shape[1] == p.w_shape[0],
             "conv_transpose: input channels ", p.x_shape[1], " must equal weight dim 0 (", p.w_shape[0],
             ") and divide by group ", p.group);
  ONYX_CHECK(p.y_shape[0] == p.x_shape[0] && p.y_shape[1] == p.w_shape[1] * p.group,
             "conv_transpose: output shape ", shape_str(p.y_shape), " does not match batch/channels");
  CtGeom g{};
  g.n = p.x_shape[0];
  g.ci = p.x_shape[1];
  g.co = p.y_shape[1];
  g.group = p.group;
  for (int d = 0; d < 3; ++d) {
    const bool has = static_cast<size_t>(d) < sp;
    g.in[d] = has ? p.x_shape[2 + d] : 1;
    g.out[d] = has ? p.y_shape[2 + d] : 1;
    g.k[d] = has ? p.w_shape[2 + d] : 1;
    g.stride[d] = has ? p.strides[d] : 1;
    g.dil[d] = has ? p.dilations[d] : 1;
    g.pad[d] = has ? p.pads_begin[d] : 0;
    ONYX_CHECK(g.stride[d] >= 1 && g.dil[d] >= 1, "conv_transpose: strides and dilations must be >= 1");
  }
  const int64_t total = count(p.y_shape);
  if (total == 0) return;
  dispatch_float(dtype, "conv_transpose", [&](auto t) {
    using T = decltype(t);
    conv_transpose_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias), static_cast<T*>(y), total, g);
  });
  check_launch("conv_transpose");
}

void einsum_parse(const std::string& equation, const std::vector<size_t>& ranks, std::vector<std::string>* labels,
                  std::string* out_labels) {
  std::string eq;
  for (char ch : equation)
    if (ch != ' ') eq += ch;
  const size_t arrow = eq.find("->");
  const std::string lhs = arrow == std::string::npos ? eq : eq.substr(0, arrow);
  std::vector<std::string> terms;
  size_t startp = 0;
  while (true) {
    const size_t comma = lhs.find(',', startp);
    terms.push_back(lhs.substr(startp, comma == std::string::npos ? std::string::npos : comma - startp));
    if (comma == std::string::npos) break;
    startp = comma + 1;
  }
  ONYX_CHECK(terms.size() == ranks.size(), "einsum: equation '", equation, "' has ", terms.size(),
             " operands, got ", ranks.size(), " inputs");
  // Ellipsis width: rank minus letters, per operand; the widest sets the ellipsis labels.
  std::vector<int64_t> ell(terms.size(), -1);
  int64_t ell_max = 0;
  for (size_t k = 0; k < terms.size(); ++k) {
    const std::string& t = terms[k];
    const size_t dots = t.find("...");
    int64_t letters = 0, periods = 0;
    for (char ch : t) {
      if (ch == '.') {
        ++periods;
        continue;
      }
      ONYX_CHECK(std::isalpha(static_cast<unsigned char>(ch)), "einsum: bad character '", ch, "' in '", equation,
                 "'");
      ++letters;
    }
    ONYX_CHECK(periods == (dots == std::string::npos ? 0 : 3), "einsum: bad ellipsis in '", equation, "'");
    if (dots != std::string::npos) {
      ell[k] = static_cast<int64_t>(ranks[k]) - letters;
      ONYX_CHECK(ell[k] >= 0, "einsum: operand ", k, " has rank ", ranks[k], " below its ", letters, " labels");
      ell_max = std::max(ell_max, ell[k]);
    } else {
      ONYX_CHECK(letters == static_cast<int64_t>(ranks[k]), "einsum: operand ", k, " has rank ", ranks[k], " but ",
                 letters, " labels in '", equation, "'");
    }
  }
  ONYX_CHECK(ell_max <= kMaxRank, "einsum: ellipsis covers more than ", kMaxRank, " dims");
  auto ell_labels = [&](int64_t width) {
    std::string s;
    for (int64_t i = ell_max - width; i < ell_max; ++i) s += static_cast<char>('0' + i);
    return s;
  };
  labels->clear();
  std::map<char, int> seen;
  for (size_t k = 0; k < terms.size(); ++k) {
    std::string l;
    const std::string& t = terms[k];
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '.') {
        l += ell_labels(ell[k]);
        i += 2;
      } else {
        l += t[i];
        ++seen[t[i]];
      }
    }
    labels->push_back(l);
  }
  out_labels->clear();
  if (arrow != std::string::npos) {
    const std::string rhs = eq.substr(arrow + 2);
    for (size_t i = 0; i < rhs.size(); ++i) {
      if (rhs[i] == '.') {
        ONYX_CHECK(rhs.compare(i, 3, "...") == 0, "einsum: bad ellipsis in output of '", equation, "'");
        *out_labels += ell_labels(ell_max);
        i += 2;
      } else {
        ONYX_CHECK(std::isalpha(static_cast<unsigned char>(rhs[i])) && seen.count(rhs[i]),
                   "einsum: output label '", rhs[i], "' not among the inputs of '", equation, "'");
        ONYX_CHECK(out_labels->find(rhs[i]) == std::string::npos, "einsum: output label '", rhs[i], "' repeated");
        *out_labels += rhs[i];
      }
    }
  } else {
    *out_labels = ell_labels(ell_max);
    for (const auto& [ch, n] : seen)
      if (n == 1) *out_labels += ch;
  }
}

void einsum(DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes,
            const std::vector<std::string>& labels, const std::string& out_labels, void* y, cudaStream_t stream) {
  const size_t nops = inputs.size();
  ONYX_CHECK(nops >= 1 && nops <= static_cast<size_t>(kMaxEinsumOps) && shapes.size() == nops &&
                 labels.size() == nops,
             "einsum: 1 to ", kMaxEinsumOps, " operands with shapes and labels");
  std::map<char, int64_t> dim;
  for (size_t k = 0; k < nops; ++k) {
    check_shape(shapes[k], "einsum");
    ONYX_CHECK(labels[k].size() == shapes[k].size(), "einsum: operand ", k, " has ", labels[k].size(),
               " labels for rank ", shapes[k].size());
    for (size_t d = 0; d < shapes[k].size(); ++d) {
      const char l = labels[k][d];
      auto it = dim.find(l);
      if (it == dim.end() || it->second == 1) {
        dim[l] = shapes[k][d];
      } else {
        ONYX_CHECK(shapes[k][d] == it->second || shapes[k][d] == 1, "einsum: label '", l, "' has sizes ", it->second,
                   " and ", shapes[k][d]);
      }
    }
  }
  std::string con;
  for (const auto& [l, n] : dim)
    if (out_labels.find(l) == std::string::npos) con += l;
  ONYX_CHECK(out_labels.size() <= static_cast<size_t>(kMaxRank) && con.size() <= static_cast<size_t>(kMaxRank),
             "einsum: more than ", kMaxRank, " output or contracted labels");
  EinsumGeom g;
  g.n_ops = static_cast<int>(nops);
  g.n_out = static_cast<int>(out_labels.size());
  g.n_con = static_cast<int>(con.size());
  for (size_t d = 0; d < out_labels.size(); ++d) {
    ONYX_CHECK(dim.count(out_labels[d]), "einsum: output label '", out_labels[d], "' not among the inputs");
    g.out_dims[d] = dim[out_labels[d]];
  }
  for (size_t d = 0; d < con.size(); ++d) {
    g.con_dims[d] = dim[con[d]];
    g.con_total *= g.con_dims[d];
  }
  for (size_t k = 0; k < nops; ++k) {
    const Dims st = strides_of(shapes[k]);
    for (size_t d = 0; d < shapes[k].size(); ++d) {
      const char l = labels[k][d];
      const int64_t s = (shapes[k][d] == 1 && dim[l] != 1) ? 0 : st[d];
      const size_t o = out_labels.find(l);
      if (o != std::string::npos) {
        g.out_stride[k][o] += s;
      } else {
        g.con_stride[k][con.find(l)] += s;
      }
    }
  }
  int64_t n = 1;
  for (int d = 0; d < g.n_out; ++d) n *= g.out_dims[d];
  if (n == 0) return;
  if (g.con_total == 0) {
    check_cuda(cudaMemsetAsync(y, 0, static_cast<size_t>(n) * dtype_size(dtype), stream), "einsum: cudaMemsetAsync");
    return;
  }
  EinsumPtrs p;
  for (size_t k = 0; k < nops; ++k) p.p[k] = inputs[k];
  dispatch_numeric(dtype, "einsum", [&](auto t) {
    using T = decltype(t);
    einsum_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(p, static_cast<T*>(y), n, g);
  });
  check_launch("einsum");
}

void window(WindowKind kind, DType dtype, int64_t size, bool periodic, void* y, cudaStream_t stream) {
  ONYX_CHECK(size >= 0, "window: negative size ", size);
  if (size == 0) return;
  const double denom = periodic ? static_cast<double>(size) : static_cast<double>(size - 1);
  dispatch_float(dtype, "window", [&](auto t) {
    using T = decltype(t);
    window_kernel<T><<<grid_for(size), kThreads, 0, stream>>>(static_cast<T*>(y), size, kind,
                                                              denom == 0 ? 1.0 : denom);
  });
  check_launch("window");
}

}  // namespace onyx::cuda
