// Shared helpers of the NN ops (Conv, ConvTranspose, ConvInteger, QLinearConv, the pools, Col2Im): the geometry
// of a sliding window over N spatial dims (kernel, strides, dilations, pads, auto_pad, ceil_mode), im2col/col2im,
// and small dtype helpers. Private to the files of the NN ops.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "../core/gemm.h"
#include "../core/parallel.h"
#include "onyx/dtype_dispatch.h"
#include "broadcast.h"
#include "op.h"

namespace onyx::nn {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

inline AutoPad parse_auto_pad(const Node& node) {
  const std::string s = node.attr_string("auto_pad", "NOTSET");
  if (s == "NOTSET" || s.empty()) return AutoPad::kNotSet;
  if (s == "SAME_UPPER") return AutoPad::kSameUpper;
  if (s == "SAME_LOWER") return AutoPad::kSameLower;
  if (s == "VALID") return AutoPad::kValid;
  fail_bad_input(node.describe(), ": auto_pad '", s, "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
}

inline int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
inline int64_t ceil_div(int64_t a, int64_t b) { return -floor_div(-a, b); }

// Window attributes of a conv/pool node, checked against the number of spatial dims.
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel;     // may be empty for Conv (taken from W)
  std::vector<int64_t> strides;    // filled with 1 when absent
  std::vector<int64_t> dilations;  // filled with 1 when absent
  std::vector<int64_t> pads;       // 2*nd, zeros when absent
  bool ceil_mode = false;
};

// Reads kernel_shape/strides/dilations/pads/auto_pad/ceil_mode for `nd` spatial dims. `kernel` overrides the
// kernel_shape attribute when non-empty (Conv takes it from W); `use_dilations` false ignores dilations (old pools).
inline WindowAttrs parse_window(const Node& node, size_t nd, std::vector<int64_t> kernel, bool use_dilations = true,
                                bool use_ceil = true) {
  WindowAttrs a;
  a.auto_pad = parse_auto_pad(node);
  const std::vector<int64_t> ks = node.attr_ints("kernel_shape");
  if (!ks.empty()) {
    if (ks.size() != nd)
      fail_bad_input(node.describe(), ": kernel_shape has ", ks.size(), " values for ", nd, " spatial dims");
    if (!kernel.empty() && ks != kernel)
      fail_bad_input(node.describe(), ": kernel_shape ", dims_to_string(ks), " does not match the weights' ",
                     dims_to_string(kernel));
    kernel = ks;
  }
  a.kernel = std::move(kernel);
  if (a.kernel.size() != nd) fail_bad_input(node.describe(), ": kernel_shape is required");
  for (int64_t k : a.kernel)
    if (k < 1) fail_bad_input(node.describe(), ": kernel_shape ", dims_to_string(a.kernel), " must be positive");
  a.strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  if (a.strides.empty()) a.strides.assign(nd, 1);
  if (a.strides.size() != nd) fail_bad_input(node.describe(), ": strides has ", a.strides.size(), " values for ", nd, " spatial dims");
  for (int64_t s : a.strides)
    if (s < 1) fail_bad_input(node.describe(), ": strides ", dims_to_string(a.strides), " must be positive");
  a.dilations = use_dilations ? node.attr_ints("dilations", std::vector<int64_t>(nd, 1)) : std::vector<int64_t>(nd, 1);
  if (a.dilations.empty()) a.dilations.assign(nd, 1);
  if (a.dilations.size() != nd)
    fail_bad_input(node.describe(), ": dilations has ", a.dilations.size(), " values for ", nd, " spatial dims");
  for (int64_t d : a.dilations)
    if (d < 1) fail_bad_input(node.describe(), ": dilations ", dims_to_string(a.dilations), " must be positive");
  a.pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (a.pads.empty()) a.pads.assign(2 * nd, 0);
  if (a.pads.size() != 2 * nd)
    fail_bad_input(node.describe(), ": pads has ", a.pads.size(), " values for ", nd, " spatial dims");
  for (int64_t p : a.pads)
    if (p < 0) fail_bad_input(node.describe(), ": pads ", dims_to_string(a.pads), " must not be negative");
  a.ceil_mode = use_ceil && node.attr_int("ceil_mode", 0) != 0;
  return a;
}

// Concrete geometry of a window sliding over `in` (spatial dims only).
struct Geom {
  std::vector<int64_t> in, k, stride, dil, pb, pe, out;
  size_t nd() const { return in.size(); }
  int64_t in_size() const { return prod(in); }
  int64_t k_size() const { return prod(k); }
  int64_t out_size() const { return prod(out); }
  static int64_t prod(const std::vector<int64_t>& v) {
    int64_t p = 1;
    for (int64_t x : v) p *= x;
    return p;
  }
};

// Output size of one spatial dim, and its begin/end pads (auto_pad resolved). Returns false when the window does
// not fit (the padded input is smaller than the dilated kernel).
inline bool window_dim(int64_t in, int64_t k, int64_t s, int64_t d, AutoPad ap, int64_t pads_b, int64_t pads_e,
                       bool ceil_mode, int64_t& out, int64_t& pb, int64_t& pe) {
  const int64_t ek = (k - 1) * d + 1;
  switch (ap) {
    case AutoPad::kSameUpper:
    case AutoPad::kSameLower: {
      out = ceil_div(in, s);
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + ek - in);
      pb = ap == AutoPad::kSameUpper ? total / 2 : total - total / 2;
      pe = total - pb;
      return true;
    }
    case AutoPad::kValid:
      pb = pe = 0;
      break;
    case AutoPad::kNotSet:
      pb = pads_b;
      pe = pads_e;
      break;
  }
  const int64_t span = in + pb + pe - ek;
  if (span < 0) return false;
  if (ceil_mode) {
    out = ceil_div(span, s) + 1;
    // The last window must start inside the input or its begin padding.
    if ((out - 1) * s >= in + pb) --out;
  } else {
    out = span / s + 1;
  }
  return true;
}

// Builds the geometry for input spatial dims `in`; fails naming the node when the window does not fit.
inline Geom make_geom(const Node& node, const std::vector<int64_t>& in, const WindowAttrs& a) {
  const size_t nd = in.size();
  Geom g;
  g.in = in;
  g.k = a.kernel;
  g.stride = a.strides;
  g.dil = a.dilations;
  g.pb.resize(nd);
  g.pe.resize(nd);
  g.out.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    if (!window_dim(in[i], a.kernel[i], a.strides[i], a.dilations[i], a.auto_pad, a.pads[i], a.pads[i + nd],
                    a.ceil_mode, g.out[i], g.pb[i], g.pe[i]))
      fail_bad_input(node.describe(), ": the kernel ", dims_to_string(a.kernel), " (dilations ",
                     dims_to_string(a.dilations), ") does not fit the padded input ", dims_to_string(in));
  }
  return g;
}

// Symbolic output spatial dims for inference: unknown where the input dim is unknown.
inline std::vector<Dim> infer_window_dims(const Node& node, const std::vector<Dim>& in, const WindowAttrs& a) {
  std::vector<Dim> out;
  const size_t nd = in.size();
  for (size_t i = 0; i < nd; ++i) {
    if (!in[i].is_known()) {
      out.push_back(Dim::unknown());
      continue;
    }
    int64_t o = 0, pb = 0, pe = 0;
    if (!window_dim(in[i].value(), a.kernel[i], a.strides[i], a.dilations[i], a.auto_pad, a.pads[i], a.pads[i + nd],
                    a.ceil_mode, o, pb, pe))
      fail_bad_input(node.describe(), ": the kernel ", dims_to_string(a.kernel), " does not fit the padded input");
    out.push_back(o);
  }
  return out;
}

// im2col: x holds `channels` planes of g.in; col gets [channels * k_size, out_size] with `pad` outside the input.
template <typename T>
void im2col(const T* x, int64_t channels, const Geom& g, T* col, T pad) {
  const size_t nd = g.nd();
  const int64_t ksz = g.k_size(), osz = g.out_size(), isz = g.in_size();
  const int64_t rows = channels * ksz;
  const int64_t out_last = nd ? g.out[nd - 1] : 1;
  const int64_t outer = out_last ? osz / out_last : 0;
  std::vector<int64_t> in_stride(nd, 1);
  for (size_t d = nd; d-- > 1;) in_stride[d - 1] = in_stride[d] * g.in[d];
  parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, osz)), [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> kk(nd), oc(nd);
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / ksz;
      int64_t kr = r % ksz;
      for (size_t d = nd; d-- > 0;) {
        kk[d] = kr % g.k[d];
        kr /= g.k[d];
      }
      const T* xc = x + c * isz;
      T* dst = col + r * osz;
      std::fill(oc.begin(), oc.end(), 0);
      const size_t L = nd - 1;
      const int64_t koff = kk[L] * g.dil[L] - g.pb[L];
      const int64_t s = g.stride[L], n_in = g.in[L];
      for (int64_t o = 0; o < outer; ++o) {
        int64_t base = 0;
        bool valid = true;
        for (size_t d = 0; d < L; ++d) {
          const int64_t i = oc[d] * g.stride[d] + kk[d] * g.dil[d] - g.pb[d];
          if (i < 0 || i >= g.in[d]) valid = false;
          base += i * in_stride[d];
        }
        if (!valid) {
          std::fill(dst, dst + out_last, pad);
        } else {
          const T* xr = xc + base;
          for (int64_t ow = 0; ow < out_last; ++ow) {
            const int64_t i = ow * s + koff;
            dst[ow] = (i >= 0 && i < n_in) ? xr[i] : pad;
          }
        }
        dst += out_last;
        for (size_t d = L; d-- > 0;) {
          if (++oc[d] < g.out[d]) break;
          oc[d] = 0;
        }
      }
    }
  });
}

// col2im: adds col [channels * k_size, out_size] into y (`channels` planes of g.in), skipping padded positions.
template <typename T>
void col2im_add(const T* col, int64_t channels, const Geom& g, T* y) {
  const size_t nd = g.nd();
  const int64_t ksz = g.k_size(), osz = g.out_size(), isz = g.in_size();
  const int64_t out_last = nd ? g.out[nd - 1] : 1;
  const int64_t outer = out_last ? osz / out_last : 0;
  std::vector<int64_t> in_stride(nd, 1);
  for (size_t d = nd; d-- > 1;) in_stride[d - 1] = in_stride[d] * g.in[d];
  parallel_for(channels, 1, [&](int64_t c0, int64_t c1) {
    std::vector<int64_t> kk(nd), oc(nd);
    for (int64_t c = c0; c < c1; ++c) {
      T* yc = y + c * isz;
      for (int64_t kr0 = 0; kr0 < ksz; ++kr0) {
        int64_t kr = kr0;
        for (size_t d = nd; d-- > 0;) {
          kk[d] = kr % g.k[d];
          kr /= g.k[d];
        }
        const T* src = col + (c * ksz + kr0) * osz;
        std::fill(oc.begin(), oc.end(), 0);
        const size_t L = nd - 1;
        const int64_t koff = kk[L] * g.dil[L] - g.pb[L];
        const int64_t s = g.stride[L], n_in = g.in[L];
        for (int64_t o = 0; o < outer; ++o) {
          int64_t base = 0;
          bool valid = true;
          for (size_t d = 0; d < L; ++d) {
            const int64_t i = oc[d] * g.stride[d] + kk[d] * g.dil[d] - g.pb[d];
            if (i < 0 || i >= g.in[d]) valid = false;
            base += i * in_stride[d];
          }
          if (valid) {
            T* yr = yc + base;
            for (int64_t ow = 0; ow < out_last; ++ow) {
              const int64_t i = ow * s + koff;
              if (i >= 0 && i < n_in) yr[i] += src[ow];
            }
          }
          src += out_last;
          for (size_t d = L; d-- > 0;) {
            if (++oc[d] < g.out[d]) break;
            oc[d] = 0;
          }
        }
      }
    }
  });
}

// Round half to even, as ONNX quantization specifies.
inline double round_half_even(double v) { return std::nearbyint(v); }

// Saturating conversion of a rounded value to integer type Q.
template <typename Q>
Q saturate_int(double v) {
  constexpr double lo = static_cast<double>(std::numeric_limits<Q>::lowest());
  constexpr double hi = static_cast<double>(std::numeric_limits<Q>::max());
  if (std::isnan(v)) return Q(0);
  return static_cast<Q>(std::min(hi, std::max(lo, v)));
}

// The int8/uint8 dtypes of the integer conv/matmul ops.
template <typename F>
decltype(auto) dispatch_int8(DType t, std::string_view what, F&& f) {
  switch (t) {
    case DType::kInt8:
      return f.template operator()<int8_t>();
    case DType::kUInt8:
      return f.template operator()<uint8_t>();
    default:
      fail_dtype(what, t);
  }
}

// Checks that input i of a kernel is a 0-D or one-element 1-D tensor and returns its value as int32 (zero points).
inline int32_t scalar_zero_point(const KernelContext& ctx, size_t i, DType expect) {
  if (!ctx.has_input(i)) return 0;
  const Tensor& t = ctx.input(i);
  if (t.dtype() != expect)
    ctx.fail("input ", i, " (zero point) has dtype ", dtype_name(t.dtype()), ", expected ", dtype_name(expect));
  if (t.numel() != 1 || t.rank() > 1) ctx.fail("input ", i, " (zero point) must be a scalar, got ", t.describe());
  return static_cast<int32_t>(t.get_int(0));
}

// numpy matmul of A x B: 1-D promotion and batch broadcasting.
struct MatMulPlan {
  int64_t m = 0, k = 0, n = 0;
  std::vector<int64_t> batch;                // broadcast batch dims
  std::vector<int64_t> a_batch, b_batch;     // each operand's batch dims
  std::vector<int64_t> out_dims;
};

inline MatMulPlan plan_matmul(const Node& node, const std::vector<int64_t>& ad, const std::vector<int64_t>& bd) {
  if (ad.empty() || bd.empty())
    fail_bad_input(node.describe(), ": MatMul operands must have rank >= 1, got ", dims_to_string(ad), " and ",
                   dims_to_string(bd));
  MatMulPlan p;
  const bool a1 = ad.size() == 1, b1 = bd.size() == 1;
  p.m = a1 ? 1 : ad[ad.size() - 2];
  p.k = ad.back();
  const int64_t kb = b1 ? bd[0] : bd[bd.size() - 2];
  p.n = b1 ? 1 : bd.back();
  if (p.k != kb)
    fail_bad_input(node.describe(), ": inner dimensions differ: ", dims_to_string(ad), " x ", dims_to_string(bd));
  p.a_batch.assign(ad.begin(), ad.end() - (a1 ? 1 : 2));
  p.b_batch.assign(bd.begin(), bd.end() - (b1 ? 1 : 2));
  p.batch = broadcast_dims({p.a_batch, p.b_batch}, node);
  p.out_dims = p.batch;
  if (!a1) p.out_dims.push_back(p.m);
  if (!b1) p.out_dims.push_back(p.n);
  return p;
}

// Calls f(batch index, a matrix index, b matrix index) for every broadcast batch item.
template <typename F>
void for_each_batch(const MatMulPlan& p, F&& f) {
  if (p.batch.empty()) {
    f(int64_t{0}, int64_t{0}, int64_t{0});
    return;
  }
  for_each_broadcast<2>(p.batch, {p.a_batch, p.b_batch}, [&](int64_t i, int64_t ia, int64_t ib) { f(i, ia, ib); });
}

// Symbolic numpy-matmul output shape of inputs ia x ib (unknown rank when either rank is unknown).
inline Shape infer_matmul_shape(InferContext& ctx, size_t ia, size_t ib) {
  const Shape& as = ctx.input_shape(ia);
  const Shape& bs = ctx.input_shape(ib);
  if (!as.rank_known() || !bs.rank_known()) return Shape::unknown_rank();
  if (as.rank() == 0 || bs.rank() == 0)
    ctx.fail("MatMul operands must have rank >= 1, got ", as.to_string(), " and ", bs.to_string());
  const bool a1 = as.rank() == 1, b1 = bs.rank() == 1;
  const Dim& ka = as[as.rank() - 1];
  const Dim& kb = b1 ? bs[0] : bs[bs.rank() - 2];
  if (ka.is_known() && kb.is_known() && ka.value() != kb.value())
    ctx.fail("inner dimensions differ: ", as.to_string(), " x ", bs.to_string());
  Shape ab(std::vector<Dim>(as.dims().begin(), as.dims().end() - (a1 ? 1 : 2)));
  Shape bb(std::vector<Dim>(bs.dims().begin(), bs.dims().end() - (b1 ? 1 : 2)));
  Shape out = broadcast_shapes({ab, bb}, ctx.node());
  if (!a1) out.dims().push_back(as[as.rank() - 2]);
  if (!b1) out.dims().push_back(bs[bs.rank() - 1]);
  return out;
}


// ---- integer (quantized) conv/matmul helpers ----

// t - zero_point as doubles (exact for 8/16-bit values; gemm in double then sums exactly). A zero point with more
// than one element is per slice: element e uses zp[(e / inner) % count], which must have `count` elements.
inline std::vector<double> shift_to_double(const Node& node, const Tensor& t, const Tensor* zp, int64_t inner,
                                           int64_t count, const char* what) {
  std::vector<double> out(static_cast<size_t>(t.numel()));
  const Tensor td = t.cast(DType::kFloat64);
  const double* v = td.data<double>();
  std::vector<double> z = {0.0};
  if (zp) {
    if (zp->dtype() != t.dtype())
      fail_bad_input(node.describe(), ": ", what, " zero point dtype ", dtype_name(zp->dtype()), " differs from ",
                     dtype_name(t.dtype()));
    const bool scalar = zp->numel() == 1 && zp->rank() <= 1;
    if (!scalar && (zp->rank() != 1 || zp->numel() != count))
      fail_bad_input(node.describe(), ": ", what, " zero point must be a scalar or 1-D of length ", count, ", got ",
                     zp->describe());
    z = zp->cast(DType::kFloat64).to_double_vector();
  }
  if (z.size() == 1) {
    for (size_t e = 0; e < out.size(); ++e) out[e] = v[e] - z[0];
  } else {
    for (size_t e = 0; e < out.size(); ++e) out[e] = v[e] - z[static_cast<size_t>((static_cast<int64_t>(e) / inner) % count)];
  }
  return out;
}

// A float scale input: a scalar, or 1-D of length `count` (per channel / row / column).
inline std::vector<double> scale_vector(const Node& node, const Tensor& s, int64_t count, const char* what) {
  if (!dtype_is_float(s.dtype()))
    fail_bad_input(node.describe(), ": ", what, " must be a float tensor, got ", s.describe());
  const bool scalar = s.numel() == 1 && s.rank() <= 1;
  if (!scalar && (s.rank() != 1 || s.numel() != count))
    fail_bad_input(node.describe(), ": ", what, " must be a scalar or 1-D of length ", count, ", got ", s.describe());
  return s.cast(DType::kFloat64).to_double_vector();
}

// ---- convolution: im2col + one gemm per (batch item, group) ----

struct ConvShape {
  int64_t n = 0, c = 0, m = 0, group = 1;
  Geom geom;
};

// Validates X/W/B of a Conv-like node (inputs 0, 1 and `bias_input` when present) and resolves the geometry.
inline ConvShape conv_shape(const KernelContext& ctx, bool check_dtypes, size_t w_input = 1, int bias_input = 2) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(w_input);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  if (w.rank() != x.rank()) ctx.fail("W ", w.describe(), " must have the rank of X ", x.describe());
  if (check_dtypes && w.dtype() != x.dtype()) ctx.fail("W dtype ", dtype_name(w.dtype()), " differs from X dtype ", dtype_name(x.dtype()));
  ConvShape s;
  s.group = node.attr_int("group", 1);
  s.n = x.dim(0);
  s.c = x.dim(1);
  s.m = w.dim(0);
  if (s.group < 1) ctx.fail("group must be positive, got ", s.group);
  if (s.c != w.dim(1) * s.group)
    ctx.fail("X has ", s.c, " channels but W ", w.describe(), " with group ", s.group, " expects ", w.dim(1) * s.group);
  if (s.m % s.group != 0) ctx.fail("W's ", s.m, " output channels are not divisible by group ", s.group);
  if (bias_input >= 0 && ctx.has_input(static_cast<size_t>(bias_input))) {
    const Tensor& b = ctx.input(static_cast<size_t>(bias_input));
    if (check_dtypes && b.dtype() != x.dtype()) ctx.fail("B dtype ", dtype_name(b.dtype()), " differs from X dtype");
    if (b.rank() != 1 || b.dim(0) != s.m) ctx.fail("B must have shape [", s.m, "], got ", b.describe());
  }
  const size_t nd = x.rank() - 2;
  std::vector<int64_t> kernel(w.dims().begin() + 2, w.dims().end());
  const WindowAttrs a = parse_window(node, nd, kernel);
  s.geom = make_geom(node, std::vector<int64_t>(x.dims().begin() + 2, x.dims().end()), a);
  return s;
}

// Output shape of a Conv-like node whose X is input 0 and W is input `w_input`.
inline Shape infer_conv_shape(InferContext& ctx, size_t w_input) {
  const Node& node = ctx.node();
  const Shape& xs = ctx.input_shape(0);
  if (!xs.rank_known()) return Shape::unknown_rank();
  if (xs.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", xs.to_string());
  const size_t nd = xs.rank() - 2;
  std::vector<Dim> out = {xs[0], Dim::unknown()};
  std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (ctx.has_input(w_input)) {
    const Shape& ws = ctx.input_shape(w_input);
    if (ws.rank_known()) {
      if (ws.rank() != xs.rank()) ctx.fail("W ", ws.to_string(), " must have the rank of X ", xs.to_string());
      out[1] = ws[0];
      const int64_t group = node.attr_int("group", 1);
      if (xs[1].is_known() && ws[1].is_known() && xs[1].value() != ws[1].value() * group)
        ctx.fail("X has ", xs[1].value(), " channels but W ", ws.to_string(), " with group ", group, " expects ",
                 ws[1].value() * group);
      if (kernel.empty()) {
        bool known = true;
        for (size_t i = 2; i < ws.rank(); ++i) {
          known &= ws[i].is_known();
          kernel.push_back(ws[i].value());
        }
        if (!known) kernel.clear();
      }
    }
  }
  if (kernel.size() != nd) {
    for (size_t i = 0; i < nd; ++i) out.push_back(Dim::unknown());
  } else {
    const WindowAttrs a = parse_window(node, nd, kernel);
    auto sp = infer_window_dims(node, std::vector<Dim>(xs.dims().begin() + 2, xs.dims().end()), a);
    out.insert(out.end(), sp.begin(), sp.end());
  }
  return Shape(out);
}

template <typename T>  // float or double
void conv_gemm(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const Geom& g = s.geom;
  const int64_t cg = s.c / s.group, mg = s.m / s.group;
  const int64_t ksz = g.k_size(), isz = g.in_size(), osz = g.out_size();
  const int64_t kdim = cg * ksz;
  bool pointwise = true;
  for (size_t d = 0; d < g.nd(); ++d)
    pointwise &= g.k[d] == 1 && g.stride[d] == 1 && g.pb[d] == 0 && g.pe[d] == 0;
  std::vector<T> col;
  if (!pointwise) col.resize(static_cast<size_t>(kdim * osz));
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t gi = 0; gi < s.group; ++gi) {
      const T* xg = x + (n * s.c + gi * cg) * isz;
      const T* src = xg;
      if (!pointwise) {
        im2col(xg, cg, g, col.data(), T(0));
        src = col.data();
      }
      T* yg = y + (n * s.m + gi * mg) * osz;
      gemm(false, false, mg, osz, kdim, T(1), w + gi * mg * kdim, kdim, src, osz, T(0), yg, osz);
    }
  }
  if (b) {
    parallel_for(s.n * s.m, std::max<int64_t>(1, 65536 / std::max<int64_t>(1, osz)), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T bv = b[r % s.m];
        T* yr = y + r * osz;
        for (int64_t i = 0; i < osz; ++i) yr[i] += bv;
      }
    });
  }
}

// numpy matmul through gemm (T float or double).
template <typename T>  // float or double
void matmul_gemm(const MatMulPlan& p, const T* a, const T* b, T* y) {
  const int64_t batch = Geom::prod(p.batch);
  const int64_t b_count = Geom::prod(p.b_batch);
  // B shared by every batch item and A not broadcast: one gemm with the batch folded into M.
  if (b_count == 1 && Geom::prod(p.a_batch) == batch) {
    gemm(false, false, batch * p.m, p.n, p.k, T(1), a, p.k, b, p.n, T(0), y, p.n);
    return;
  }
  for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) {
    gemm(false, false, p.m, p.n, p.k, T(1), a + ia * p.m * p.k, p.k, b + ib * p.k * p.n, p.n, T(0),
         y + i * p.m * p.n, p.n);
  });
}

}  // namespace onyx::nn
