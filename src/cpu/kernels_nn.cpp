// cpu kernels for pooling, normalization, softmax, attention, Gelu and Transpose (float32, writing into the
// arena). Each returns false (the reference kernel runs) for the run-time cases it does not handle.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../core/gemm.h"
#include "../core/parallel.h"
#include "../ops/nn_util.h"
#include "kernels_internal.h"
#include "vec_math.h"

namespace onyx::cpu {

namespace {

bool only_output0(const Node& n) {
  for (size_t i = 1; i < n.num_outputs(); ++i)
    if (n.output(i)) return false;
  return true;
}

// ---- MaxPool (2-D, no Indices output)

// One output row: taps visited in the reference's order (kernel row, then column); the first tap inside the input
// initializes an output, later ones replace it when greater (so NaN behaves as in the reference). An output with no
// tap inside the input is -inf.
ONYX_CPU_CLONES void maxpool_row(const float* x, int64_t H, int64_t W, int64_t ih0, int64_t dh, int64_t KH, int64_t KW,
                                 int64_t sw, int64_t dw, int64_t pw, float* y, float* seen, int64_t OW) {
  for (int64_t ow = 0; ow < OW; ++ow) {
    y[ow] = -std::numeric_limits<float>::infinity();
    seen[ow] = 0.0f;
  }
  for (int64_t kh = 0; kh < KH; ++kh) {
    const int64_t ih = ih0 + kh * dh;
    if (ih < 0 || ih >= H) continue;
    const float* xr = x + ih * W;
    for (int64_t kw = 0; kw < KW; ++kw) {
      const int64_t off = kw * dw - pw;  // iw = ow * sw + off
      int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
      int64_t hi = W - 1 - off < 0 ? -1 : (W - 1 - off) / sw;
      if (hi > OW - 1) hi = OW - 1;
      for (int64_t ow = lo; ow <= hi; ++ow) {
        const float v = xr[ow * sw + off];
        y[ow] = (seen[ow] == 0.0f || v > y[ow]) ? v : y[ow];
        seen[ow] = 1.0f;
      }
    }
  }
}

bool accepts_maxpool(const Node& n) {
  return is_default_domain(n) && n.op_type == "MaxPool" && input_is_f32(n, 0) && only_output0(n);
}

bool run_maxpool(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_f32(x) || x.rank() != 4) return false;
  const bool v10 = node.opset >= 10;  // dilations and ceil_mode, as the reference reads them
  const nn::WindowAttrs w = nn::parse_window(node, 2, {}, v10, v10);
  const nn::Geom g = nn::make_geom(node, {x.dim(2), x.dim(3)}, w);
  const std::vector<int64_t> out = {x.dim(0), x.dim(1), g.out[0], g.out[1]};
  Tensor y = alloc(0, DType::kFloat32, out);
  const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1];
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  parallel_for(x.dim(0) * x.dim(1), 1, [&](int64_t p0, int64_t p1) {
    float* seen = scratch(3, static_cast<size_t>(OW));
    for (int64_t pl = p0; pl < p1; ++pl) {
      const float* xp = xd + pl * H * W;
      float* yp = yd + pl * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        maxpool_row(xp, H, W, oh * g.stride[0] - g.pb[0], g.dil[0], g.k[0], g.k[1], g.stride[1], g.dil[1], g.pb[1],
                    yp + oh * OW, seen, OW);
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- GlobalAveragePool

bool accepts_global_avgpool(const Node& n) {
  return is_default_domain(n) && n.op_type == "GlobalAveragePool" && input_is_f32(n, 0);
}

bool run_global_avgpool(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (!is_f32(x) || x.rank() < 3) return false;
  std::vector<int64_t> out = {x.dim(0), x.dim(1)};
  int64_t isz = 1;
  for (size_t d = 2; d < x.rank(); ++d) {
    out.push_back(1);
    isz *= x.dim(d);
  }
  if (isz == 0) return false;
  Tensor y = alloc(0, DType::kFloat32, out);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  parallel_for(x.dim(0) * x.dim(1), std::max<int64_t>(1, 4096 / isz), [&](int64_t p0, int64_t p1) {
    for (int64_t pl = p0; pl < p1; ++pl) {
      const float* xp = xd + pl * isz;
      double acc = 0;
      for (int64_t i = 0; i < isz; ++i) acc += static_cast<double>(xp[i]);
      yd[pl] = static_cast<float>(acc / static_cast<double>(isz));
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- Softmax over the last axis

// In place: y = softmax(y) over n values.
ONYX_CPU_CLONES void softmax_row(float* y, int64_t n) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) mx = y[j] > mx ? y[j] : mx;
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    const float e = vec::exp(y[j] - mx);
    y[j] = e;
    sum += e;
  }
  for (int64_t j = 0; j < n; ++j) y[j] = y[j] / sum;
}

ONYX_CPU_CLONES void copy_row(const float* x, float* y, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] = x[j];
}

bool accepts_softmax(const Node& n) {
  return is_default_domain(n) && n.op_type == "Softmax" && input_is_f32(n, 0);
}

bool run_softmax(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_f32(x) || x.rank() == 0) return false;
  const int64_t rank = static_cast<int64_t>(x.rank());
  const bool coerce = node.opset < 13;  // opset < 13: the input is flattened to 2-D at `axis` (default 1)
  const int64_t axis = normalize_axis(node.attr_int("axis", coerce ? 1 : -1), rank, node);
  if (axis != rank - 1) return false;
  const int64_t n = x.dim(static_cast<size_t>(rank - 1));
  Tensor y = alloc(0, DType::kFloat32, x.dims());
  if (n == 0 || y.numel() == 0) {
    ctx.set_output(0, std::move(y));
    return true;
  }
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  const int64_t rows = x.numel() / n;
  parallel_for(rows, std::max<int64_t>(1, 8192 / n), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      if (xd != yd) copy_row(xd + r * n, yd + r * n, n);
      softmax_row(yd + r * n, n);
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- LayerNormalization (standard 17 and onyx.LayerNormalization) over trailing axes, output 0 only

bool accepts_layer_norm(const Node& n) {
  const bool std_op = is_default_domain(n) && n.op_type == "LayerNormalization";
  const bool onyx_op = n.domain == "onyx" && n.op_type == "LayerNormalization";
  return (std_op || onyx_op) && input_is_f32(n, 0) && input_is_f32(n, 1) && (!n.input(2) || input_is_f32(n, 2)) &&
         only_output0(n);
}

ONYX_CPU_CLONES void layer_norm_row(const float* x, float* y, const float* scale, const float* bias, int64_t n,
                                    float eps) {
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) sum += x[j];
  const float mean = sum / static_cast<float>(n);
  float sq = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    const float d = x[j] - mean;
    sq += d * d;
  }
  const float inv = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
  if (bias) {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) * inv * scale[j] + bias[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - mean) * inv * scale[j];
  }
}

bool run_layer_norm(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  if (!is_f32(x) || x.rank() == 0 || !is_f32(ctx.input(1)) || (ctx.has_input(2) && !is_f32(ctx.input(2))))
    return false;
  const int64_t rank = static_cast<int64_t>(x.rank());
  const size_t axis = static_cast<size_t>(normalize_axis(node.attr_int("axis", -1), rank, node));
  const std::vector<int64_t> trailing(x.dims().begin() + static_cast<std::ptrdiff_t>(axis), x.dims().end());
  auto param_ok = [&](const Tensor& t) {
    if (t.dims() == trailing) return true;
    // A 1-D parameter over a single normalized axis.
    return t.rank() == 1 && trailing.size() == 1 && t.dim(0) == trailing[0];
  };
  if (!param_ok(ctx.input(1)) || (ctx.has_input(2) && !param_ok(ctx.input(2)))) return false;
  int64_t inner = 1;
  for (int64_t d : trailing) inner *= d;
  Tensor y = alloc(0, DType::kFloat32, x.dims());
  if (inner == 0 || y.numel() == 0) {
    ctx.set_output(0, std::move(y));
    return true;
  }
  // The reference computes in double from the float attribute; so does the epsilon here.
  const float eps = static_cast<float>(static_cast<double>(node.attr_float("epsilon", 1e-5f)));
  const float* xd = x.data<float>();
  const float* sd = ctx.input(1).data<float>();
  const float* bd = ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr;
  float* yd = y.data<float>();
  const int64_t rows = x.numel() / inner;
  parallel_for(rows, std::max<int64_t>(1, 8192 / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) layer_norm_row(xd + r * inner, yd + r * inner, sd, bd, inner, eps);
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- onyx.Attention: per batch item, scores = Q K^T (scaled, + mask), softmax per row, times V

bool accepts_attention(const Node& n) {
  return n.domain == "onyx" && n.op_type == "Attention" && input_is_f32(n, 0) && input_is_f32(n, 1) &&
         input_is_f32(n, 2) && (!n.input(3) || input_is_f32(n, 3));
}

ONYX_CPU_CLONES void scale_mask_row(float* s, const float* mask, int64_t mask_step, float scale, bool divide,
                                    bool scaled, int64_t n) {
  if (scaled) {
    if (divide) {
      for (int64_t j = 0; j < n; ++j) s[j] = s[j] / scale;
    } else {
      for (int64_t j = 0; j < n; ++j) s[j] = s[j] * scale;
    }
  }
  if (mask) {
    if (mask_step == 1) {
      for (int64_t j = 0; j < n; ++j) s[j] += mask[j];
    } else {
      for (int64_t j = 0; j < n; ++j) s[j] += mask[0];
    }
  }
}

bool run_attention(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const Tensor& q = ctx.input(0);
  const Tensor& kt = ctx.input(1);
  const Tensor& v = ctx.input(2);
  const Tensor* mask = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  if (!is_f32(q) || !is_f32(kt) || !is_f32(v) || (mask && !is_f32(*mask))) return false;
  const size_t r = q.rank();
  if (r < 2 || kt.rank() != r || v.rank() != r) return false;
  for (size_t d = 0; d + 2 < r; ++d)
    if (kt.dim(d) != q.dim(d) || v.dim(d) != q.dim(d)) return false;
  const int64_t S = q.dim(r - 2), D = q.dim(r - 1), L = kt.dim(r - 1), Dv = v.dim(r - 1);
  if (kt.dim(r - 2) != D || v.dim(r - 2) != L || S == 0 || L == 0 || D == 0) return false;
  // The mask broadcasts onto the scores [batch..., S, L] (never the other way round).
  std::vector<int64_t> score_dims(q.dims().begin(), q.dims().end() - 1);
  score_dims.push_back(L);
  std::vector<int64_t> mstride(r, 0);
  if (mask) {
    if (mask->rank() > r) return false;
    const size_t off = r - mask->rank();
    int64_t stride = 1;
    for (size_t d = r; d-- > off;) {
      const int64_t md = mask->dim(d - off);
      if (md != 1 && md != score_dims[d]) return false;
      mstride[d] = md == 1 ? 0 : stride;
      stride *= md;
    }
  }
  std::vector<int64_t> out_dims(q.dims().begin(), q.dims().end() - 1);
  out_dims.push_back(Dv);
  Tensor y = alloc(0, DType::kFloat32, out_dims);
  int64_t batch = 1;
  for (size_t d = 0; d + 2 < r; ++d) batch *= q.dim(d);
  const float scale = node.attr_float("scale", 1.f);
  const bool scaled = scale != 1.f;
  const bool divide = node.attr_int("scale_is_divisor", 0) != 0;
  const float* qd = q.data<float>();
  const float* kd = kt.data<float>();
  const float* vd = v.data<float>();
  const float* md = mask ? mask->data<float>() : nullptr;
  float* yd = y.data<float>();
  parallel_for(batch, 1, [&](int64_t b0, int64_t b1) {
    float* sc = scratch(1, static_cast<size_t>(S * L));
    for (int64_t b = b0; b < b1; ++b) {
      gemm(false, false, S, L, D, 1.0f, qd + b * S * D, D, kd + b * D * L, L, 0.0f, sc, L);
      int64_t mbase = 0;
      if (md) {
        int64_t rem = b;
        for (size_t d = r - 2; d-- > 0;) {
          mbase += (rem % q.dim(d)) * mstride[d];
          rem /= q.dim(d);
        }
      }
      for (int64_t i = 0; i < S; ++i) {
        float* row = sc + i * L;
        scale_mask_row(row, md ? md + mbase + i * mstride[r - 2] : nullptr, mstride[r - 1], scale, divide, scaled, L);
        softmax_row(row, L);
      }
      gemm(false, false, S, Dv, L, 1.0f, sc, L, vd + b * L * Dv, Dv, 0.0f, yd + b * S * Dv, Dv);
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- Gelu (standard Gelu-20 and onyx.Gelu)

bool accepts_gelu(const Node& n) {
  const bool std_op = is_default_domain(n) && n.op_type == "Gelu";
  const bool onyx_op = n.domain == "onyx" && n.op_type == "Gelu";
  return (std_op || onyx_op) && input_is_f32(n, 0);
}

bool run_gelu(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (!is_f32(x)) return false;
  const std::string approx = ctx.node().attr_string("approximate", "none");
  if (approx != "none" && approx != "tanh") return false;  // the reference reports the bad attribute
  Activation act;
  act.act = approx == "tanh" ? Act::kGeluTanh : Act::kGelu;
  Tensor y = alloc(0, DType::kFloat32, x.dims());
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  parallel_for(x.numel(), 1 << 13, [&](int64_t b, int64_t e) {
    if (xd != yd) std::copy(xd + b, xd + e, yd + b);
    apply_activation(act, yd + b, e - b);
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- Transpose (any 4-byte dtype, rank <= 8)

bool accepts_transpose(const Node& n) {
  if (!is_default_domain(n) || n.op_type != "Transpose") return false;
  const Value* v = n.input(0);
  return v && v->type.is_tensor() && v->type.dtype != DType::kString && v->type.dtype != DType::kUndefined &&
         dtype_size(v->type.dtype) == 4;
}

bool run_transpose(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() == DType::kString || dtype_size(x.dtype()) != 4 || x.rank() == 0 || x.rank() > 8) return false;
  const size_t r = x.rank();
  std::vector<int64_t> perm = ctx.node().attr_ints("perm");
  if (perm.empty())
    for (size_t i = 0; i < r; ++i) perm.push_back(static_cast<int64_t>(r - 1 - i));
  if (perm.size() != r) return false;
  std::vector<bool> seen(r, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= static_cast<int64_t>(r) || seen[static_cast<size_t>(p)]) return false;  // reference reports
    seen[static_cast<size_t>(p)] = true;
  }
  std::vector<int64_t> in_stride(r, 1), out_dims(r), src_stride(r);
  for (size_t d = r - 1; d-- > 0;) in_stride[d] = in_stride[d + 1] * x.dim(d + 1);
  for (size_t d = 0; d < r; ++d) {
    out_dims[d] = x.dim(static_cast<size_t>(perm[d]));
    src_stride[d] = in_stride[static_cast<size_t>(perm[d])];
  }
  Tensor y = alloc(0, x.dtype(), out_dims);
  if (y.numel() == 0) {
    ctx.set_output(0, std::move(y));
    return true;
  }
  const uint32_t* xd = static_cast<const uint32_t*>(x.raw_data());
  uint32_t* yd = static_cast<uint32_t*>(y.raw_data());
  const int64_t inner = out_dims[r - 1], inner_stride = src_stride[r - 1];
  const int64_t rows = y.numel() / inner;
  parallel_for(rows, std::max<int64_t>(1, 16384 / inner), [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; ++row) {
      int64_t rem = row, src = 0;
      for (size_t d = r - 1; d-- > 0;) {
        src += (rem % out_dims[d]) * src_stride[d];
        rem /= out_dims[d];
      }
      uint32_t* dst = yd + row * inner;
      const uint32_t* s = xd + src;
      if (inner_stride == 1) {
        std::copy(s, s + inner, dst);
      } else {
        for (int64_t j = 0; j < inner; ++j) dst[j] = s[j * inner_stride];
      }
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

}  // namespace

const Kernel kMaxPool{"cpu.maxpool2d", accepts_maxpool, run_maxpool};
const Kernel kGlobalAveragePool{"cpu.global_avgpool", accepts_global_avgpool, run_global_avgpool};
const Kernel kSoftmax{"cpu.softmax_last_axis", accepts_softmax, run_softmax};
const Kernel kLayerNorm{"cpu.layer_norm", accepts_layer_norm, run_layer_norm};
const Kernel kAttention{"cpu.attention", accepts_attention, run_attention};
const Kernel kGeluK{"cpu.gelu", accepts_gelu, run_gelu};
const Kernel kTransposeK{"cpu.transpose", accepts_transpose, run_transpose};

}  // namespace onyx::cpu
