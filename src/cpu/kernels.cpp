// The cpu target's kernels: the hot ops of CNNs and transformers, writing their outputs into the context's arena
// (no per-run allocation, no zero-fill). Anything they do not handle at run time falls back to the reference
// kernel. This file: Conv / onyx.FusedConv, MatMul / onyx.FusedMatMul, Gemm and simple elementwise ops, all
// through gemm_parallel (src/core/gemm.h) with bias / residual / activation applied per slice while it is in
// cache. Pooling, normalization, softmax and attention are in kernels_nn.cpp.
#include <algorithm>
#include <array>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <string_view>

#include "../core/gemm.h"
#include "../core/parallel.h"
#include "../ops/nn_util.h"
#include "kernels_internal.h"
#include "pgemm.h"
#include "vec_math.h"

namespace onyx::cpu {

float* scratch(size_t slot, size_t floats) {
  thread_local std::vector<float> bufs[4];
  std::vector<float>& b = bufs[slot % 4];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

Activation parse_activation(const Node& n) {
  Activation a;
  const std::string s = n.attr_string("activation", "");
  // The reference (src/ops/fused_util.h) reads both parameters with default 0.
  a.alpha = n.attr_float("activation_alpha", 0.f);
  a.beta = n.attr_float("activation_beta", 0.f);
  if (s.empty()) a.act = Act::kNone;
  else if (s == "Relu") a.act = Act::kRelu;
  else if (s == "Clip") a.act = Act::kClip;
  else if (s == "LeakyRelu") a.act = Act::kLeakyRelu;
  else if (s == "Sigmoid") a.act = Act::kSigmoid;
  else if (s == "Tanh") a.act = Act::kTanh;
  else if (s == "HardSigmoid") a.act = Act::kHardSigmoid;
  else if (s == "HardSwish") a.act = Act::kHardSwish;
  else if (s == "Gelu") a.act = Act::kGelu;
  else if (s == "GeluTanh") a.act = Act::kGeluTanh;
  else a.act = Act::kUnknown;
  return a;
}

namespace {

ONYX_CPU_CLONES void activation_loop(int act, float alpha, float beta, float* y, int64_t n) {
  switch (static_cast<Act>(act)) {
    case Act::kRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? 0.0f : y[i];
      break;
    case Act::kClip:
      for (int64_t i = 0; i < n; ++i) {
        const float v = y[i];
        y[i] = v < alpha ? alpha : (v > beta ? beta : v);
      }
      break;
    case Act::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) y[i] = y[i] < 0.0f ? alpha * y[i] : y[i];
      break;
    case Act::kSigmoid:
      for (int64_t i = 0; i < n; ++i) y[i] = vec::sigmoid(y[i]);
      break;
    case Act::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        const float v = alpha * y[i] + beta;
        y[i] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
      }
      break;
    case Act::kHardSwish:
      for (int64_t i = 0; i < n; ++i) {
        const float v = y[i] * (1.0f / 6.0f) + 0.5f;
        y[i] = y[i] * (v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v));
      }
      break;
    case Act::kGelu:
      for (int64_t i = 0; i < n; ++i) y[i] = vec::gelu(y[i]);
      break;
    case Act::kGeluTanh:
      for (int64_t i = 0; i < n; ++i) y[i] = vec::gelu_tanh(y[i]);
      break;
    default:
      break;
  }
}

}  // namespace

void apply_activation(const Activation& a, float* y, int64_t n) {
  if (a.act == Act::kNone || n <= 0) return;
  if (a.act == Act::kTanh) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(y[i]);
    return;
  }
  activation_loop(static_cast<int>(a.act), a.alpha, a.beta, y, n);
}

namespace {

// y[j] = (y[j] + b) (+ z[j]) for j in [0, n): bias then residual, the order of Conv (bias) then Add.
ONYX_CPU_CLONES void bias_residual_row(float* y, const float* z, float b, int64_t n) {
  if (z) {
    for (int64_t j = 0; j < n; ++j) y[j] = (y[j] + b) + z[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] += b;
  }
}

// y[j] += bias[j] (a row bias) or y[j] += s * c[j] (Gemm's beta * C).
ONYX_CPU_CLONES void add_row(float* y, const float* c, float s, int64_t n) {
  if (s == 1.0f) {
    for (int64_t j = 0; j < n; ++j) y[j] += c[j];
  } else {
    for (int64_t j = 0; j < n; ++j) y[j] += s * c[j];
  }
}

ONYX_CPU_CLONES void add_scalar_row(float* y, float c, int64_t n) {
  for (int64_t j = 0; j < n; ++j) y[j] += c;
}

// One output row of a depthwise 2-D conv: y[ow] = bias + sum over taps inside the input of w * x. `ih0` is the
// input row of kernel row 0 (may be outside the input).
ONYX_CPU_CLONES void depthwise_row(const float* x, int64_t W, int64_t H, int64_t ih0, int64_t dh, const float* w,
                                   int64_t KH, int64_t KW, int64_t sw, int64_t dw, int64_t pw, float bias, float* y,
                                   int64_t OW) {
  for (int64_t ow = 0; ow < OW; ++ow) y[ow] = 0.0f;
  for (int64_t kh = 0; kh < KH; ++kh) {
    const int64_t ih = ih0 + kh * dh;
    if (ih < 0 || ih >= H) continue;
    const float* xr = x + ih * W;
    for (int64_t kw = 0; kw < KW; ++kw) {
      const float wv = w[kh * KW + kw];
      const int64_t off = kw * dw - pw;  // iw = ow * sw + off
      // ow range with 0 <= iw < W.
      int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
      int64_t hi = W - 1 - off < 0 ? -1 : (W - 1 - off) / sw;
      if (hi > OW - 1) hi = OW - 1;
      if (sw == 1) {
        for (int64_t ow = lo; ow <= hi; ++ow) y[ow] += wv * xr[ow + off];
      } else {
        for (int64_t ow = lo; ow <= hi; ++ow) y[ow] += wv * xr[ow * sw + off];
      }
    }
  }
  for (int64_t ow = 0; ow < OW; ++ow) y[ow] += bias;
}

// 2-D im2col: col [C * KH * KW, OH * OW] (rows `ld` floats apart); each row copies the valid run of every output row (memcpy at stride
// 1) and zero-fills the padding around it.
void im2col_2d(const float* x, int64_t C, const nn::Geom& g, float* col, int64_t ld) {
  const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1], KH = g.k[0], KW = g.k[1];
  const int64_t sh = g.stride[0], sw = g.stride[1], dh = g.dil[0], dw = g.dil[1], pt = g.pb[0], pl = g.pb[1];
  const int64_t osz = OH * OW;
  parallel_for(C * KH * KW, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, osz)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t c = r / (KH * KW), kh = (r / KW) % KH, kw = r % KW;
      const float* xc = x + c * H * W;
      float* dst = col + r * ld;
      const int64_t off = kw * dw - pl;  // iw = ow * sw + off
      int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
      int64_t hi = W - 1 - off < 0 ? -1 : (W - 1 - off) / sw;
      if (hi > OW - 1) hi = OW - 1;
      if (lo > OW) lo = OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        float* d = dst + oh * OW;
        const int64_t ih = oh * sh - pt + kh * dh;
        if (ih < 0 || ih >= H || hi < lo) {
          std::fill(d, d + OW, 0.0f);
          continue;
        }
        const float* xr = xc + ih * W;
        std::fill(d, d + lo, 0.0f);
        if (sw == 1) {
          std::copy(xr + lo + off, xr + hi + 1 + off, d + lo);
        } else {
          for (int64_t ow = lo; ow <= hi; ++ow) d[ow] = xr[ow * sw + off];
        }
        std::fill(d + hi + 1, d + OW, 0.0f);
      }
    }
  });
}

// ---- Conv and onyx.FusedConv (Conv + residual + activation): im2col (skipped for 1x1 stride-1 convs) and one
// gemm per image and group, split over the threads; bias, residual and activation run on each slice.

bool accepts_conv(const Node& n) {
  const bool conv = is_default_domain(n) && n.op_type == "Conv";
  const bool fused = n.domain == "onyx" && n.op_type == "FusedConv";
  if (!(conv || fused) || !input_is_f32(n, 0) || !input_is_f32(n, 1)) return false;
  if (n.input(2) && !input_is_f32(n, 2)) return false;
  if (fused && n.input(3) && !input_is_f32(n, 3)) return false;
  return !fused || parse_activation(n).act != Act::kUnknown;
}

// Load-time state of a 2-D, ungrouped conv with constant float weights: the weights packed for pgemm.
struct ConvPrepared {
  std::unique_ptr<PackedA> a;
  // The weights as A^T panels for pgemm_t, packed on first use (only convs with short output rows need them).
  mutable std::once_flag at_once;
  mutable std::unique_ptr<PackedAT> at;
  const PackedAT& transposed(const float* w) const {
    std::call_once(at_once, [&] { at = std::make_unique<PackedAT>(w, a->m(), a->k(), a->k()); });
    return *at;
  }
};

// ONYX_CPU_PGEMM=0 turns the packed GEMM off (BLAS for every conv), for A/B measurements and bisecting.
bool pgemm_enabled() {
  static const bool on = [] {
    const char* e = std::getenv("ONYX_CPU_PGEMM");
    return pgemm_available() && !(e && std::string_view(e) == "0");
  }();
  return on;
}

std::shared_ptr<const void> prepare_conv(const Node& n) {
  if (!pgemm_enabled() || n.attr_int("group", 1) != 1) return nullptr;
  const Value* w = n.input(1);
  if (!w || !w->is_initializer() || w->initializer->dtype() != DType::kFloat32 || w->initializer->rank() != 4)
    return nullptr;
  const Tensor& t = *w->initializer;
  const int64_t m = t.dims()[0], k = t.dims()[1] * t.dims()[2] * t.dims()[3];
  if (m <= 0 || k <= 0) return nullptr;
  auto p = std::make_shared<ConvPrepared>();
  p->a = std::make_unique<PackedA>(t.data<float>(), m, k, k);
  return p;
}

// ONYX_CPU_CONV=packed|direct|transposed sends every conv that path can run to it (tests and A/B runs); unset or
// anything else: chosen by cost. ONYX_CPU_PGEMM=0 (above) turns all three off.
enum class ConvPath { kAuto, kPacked, kDirect, kTransposed };
ConvPath forced_conv_path() {
  static const ConvPath m = [] {
    const char* e = std::getenv("ONYX_CPU_CONV");
    const std::string_view v(e ? e : "");
    return v == "packed" ? ConvPath::kPacked
           : v == "direct" ? ConvPath::kDirect
           : v == "transposed" ? ConvPath::kTransposed
                               : ConvPath::kAuto;
  }();
  return m;
}

// Row offsets of B for pgemm_direct / pgemm_t: k = (c, ki, kj) in the weights' order -> c * plane + ki * dil_h *
// pitch + kj * dil_w (this thread's table, valid until its next call).
const int64_t* conv_row_offsets(int64_t channels, const nn::Geom& g, int64_t plane, int64_t pitch) {
  thread_local std::vector<int64_t> koff;
  const int64_t kh = g.k[0], kw = g.k[1];
  koff.resize(static_cast<size_t>(channels * kh * kw));
  size_t k = 0;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < kh; ++i)
      for (int64_t j = 0; j < kw; ++j) koff[k++] = c * plane + i * g.dil[0] * pitch + j * g.dil[1];
  return koff.data();
}

// The images with pad_top/pad_left zero rows/columns before and the rest of [hp, wp] after (this thread's scratch
// slot 1), one plane per task.
const float* zero_pad_images(const float* x, int64_t n, int64_t c, int64_t h, int64_t w, int64_t top, int64_t left,
                             int64_t hp, int64_t wp) {
  float* dst = scratch(1, static_cast<size_t>(n * c * hp * wp));
  parallel_for(n * c, std::max<int64_t>(1, 16384 / (hp * wp)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const float* src = x + p * h * w;
      float* d = dst + p * hp * wp;
      std::fill(d, d + top * wp, 0.0f);
      for (int64_t r = 0; r < h; ++r) {
        float* row = d + (top + r) * wp;
        std::fill(row, row + left, 0.0f);
        std::copy(src + r * w, src + (r + 1) * w, row + left);
        std::fill(row + left + w, row + wp, 0.0f);
      }
      std::fill(d + (top + h) * wp, d + hp * wp, 0.0f);
    }
  });
  return dst;
}

bool run_conv_impl(KernelContext& ctx, const OutputAllocator& alloc, const ConvPrepared* prep) {
  const Node& node = ctx.node();
  const bool fused = node.domain == "onyx";
  const Tensor& x = ctx.input(0);
  if (!is_f32(x) || !is_f32(ctx.input(1)) || (ctx.has_input(2) && !is_f32(ctx.input(2)))) return false;
  const nn::ConvShape s = nn::conv_shape(ctx, true);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  const bool residual = fused && ctx.has_input(3);
  if (residual && (!is_f32(ctx.input(3)) || ctx.input(3).dims() != out_dims)) return false;
  const Activation act = fused ? parse_activation(node) : Activation{};
  if (act.act == Act::kUnknown) return false;
  Tensor y = alloc(0, DType::kFloat32, out_dims);
  if (y.numel() == 0) {
    ctx.set_output(0, std::move(y));
    return true;
  }
  const nn::Geom& g = s.geom;
  const int64_t cg = s.c / s.group, mg = s.m / s.group;
  const int64_t ksz = g.k_size(), isz = g.in_size(), osz = g.out_size();
  const int64_t kdim = cg * ksz;
  bool pointwise = true;
  for (size_t d = 0; d < g.nd(); ++d)
    pointwise &= g.k[d] == 1 && g.stride[d] == 1 && g.pb[d] == 0 && g.pe[d] == 0;
  const float* xd = x.data<float>();
  const float* wd = ctx.input(1).data<float>();
  const float* bd = ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr;
  const float* zd = residual ? ctx.input(3).data<float>() : nullptr;
  float* yd = y.data<float>();
  const bool need_epilogue = bd || zd || act.act != Act::kNone;

  // One (image, group): im2col into this thread's scratch, gemm, epilogue.
  auto one = [&](int64_t n, int64_t gi, bool parallel_gemm) {
    const float* xg = xd + (n * s.c + gi * cg) * isz;
    const float* src = xg;
    if (!pointwise) {
      float* col = scratch(0, static_cast<size_t>(kdim * osz));
      if (g.nd() == 2)
        im2col_2d(xg, cg, g, col, osz);
      else
        nn::im2col(xg, cg, g, col, 0.0f);
      src = col;
    }
    const int64_t off = (n * s.m + gi * mg) * osz;
    float* yg = yd + off;
    const float* zg = zd ? zd + off : nullptr;
    const float* bg = bd ? bd + gi * mg : nullptr;
    const GemmEpilogue ep = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
      for (int64_t i = i0; i < i1; ++i) {
        float* row = yg + i * osz + j0;
        if (bg || zg) bias_residual_row(row, zg ? zg + i * osz + j0 : nullptr, bg ? bg[i] : 0.0f, j1 - j0);
        apply_activation(act, row, j1 - j0);
      }
    };
    if (parallel_gemm) {
      gemm_parallel(false, false, mg, osz, kdim, 1.0f, wd + gi * mg * kdim, kdim, src, osz, 0.0f, yg, osz,
                    need_epilogue ? &ep : nullptr);
    } else {
      gemm(false, false, mg, osz, kdim, 1.0f, wd + gi * mg * kdim, kdim, src, osz, 0.0f, yg, osz);
      if (need_epilogue) ep(0, mg, 0, osz);
    }
  };
  // Packed GEMM (weights packed at load, epilogue in the store). Three ways to feed it the activations:
  //  - packed (pgemm): every conv; the im2col is done while packing each column block, and tiles may span images.
  //  - in place (pgemm_direct): stride-1, dilation-1 convs read B straight from the (zero-padded) images through a
  //    table of row offsets, computing each output row "wide" (row pitch Wp, the Wp - OW extra columns dropped at
  //    the store). No packing; tiles stay within one image.
  //  - transposed (pgemm_t): output channels as the vector lanes, up to 8 positions of an output row broadcast from
  //    the (zero-padded) images in place; any dilation, horizontal stride 1 or 2. Nothing computed in vain however
  //    short the rows, no packing: the path for 7x7 and 14x14 outputs (ResNet's layers 3 and 4).
  // The packed and in-place paths compute 16, 32 or 48 columns a tile; the choice weighs the columns computed in
  // vain against the cost of packing. Measured on Zen 4 with 2 threads (bench/NOTES.md): transposed wins for
  // strided convs (no im2col to pack: ResNet's 7x7 stem 1.90 -> 1.47 ms at batch 1), for rows of <= 14 outputs
  // with >= 96 channels (pointwise: <= 7, or 14 at batch 1) and for 3x3 convs over 28x28 at batch 8; in place wins
  // for 3x3 convs up to 1.25x the columns computed (pointwise convs cost little to pack and go in place only when
  // that computes no more columns, i.e. unless packing lets tiles span the images of a batch). Shapes that would
  // leave more than 1/4 of the work empty stay on BLAS.
  const int64_t ncols = s.n * osz;
  const auto computed = [](int64_t cols) { return cols / kPgemmNR * kPgemmNR + (cols % kPgemmNR + 15) / 16 * 16; };
  const bool pgemm_ok = prep && s.group == 1 && g.nd() == 2 && prep->a->m() == s.m && prep->a->k() == kdim &&
                        ncols > 0;
  const int64_t packed_cost = computed(ncols);
  const bool padded = g.nd() == 2 && (g.pb[0] || g.pb[1] || g.pe[0] || g.pe[1]);
  const int64_t hp = g.nd() == 2 ? g.in[0] + g.pb[0] + g.pe[0] : 0, wp = g.nd() == 2 ? g.in[1] + g.pb[1] + g.pe[1] : 0;
  const bool unit = g.nd() == 2 && g.stride[0] == 1 && g.stride[1] == 1 && g.dil[0] == 1 && g.dil[1] == 1;
  // In place: pointwise as one row of H*W columns per image; otherwise out_h rows of pitch wp, the last row cut at
  // out_w.
  const int64_t vcols = !unit ? 0 : pointwise ? osz : (g.out[0] - 1) * wp + g.out[1];
  const int64_t direct_cost = s.n * computed(vcols);
  const ConvPath forced = forced_conv_path();
  // The in-place paths copy the images zero-padded; a model whose padding dwarfs its tensors takes the packed path
  // (which pads while packing) instead of a scratch buffer of that size.
  const bool pad_copy_ok = !padded || s.n * s.c * hp * wp <= 2 * (x.numel() + y.numel()) + (1 << 20);
  const bool can_transpose = pgemm_ok && pad_copy_ok && (g.stride[1] == 1 || g.stride[1] == 2);
  const bool can_direct = pgemm_ok && pad_copy_ok && unit;
  ConvPath path = ConvPath::kAuto;  // kAuto here: BLAS
  if (forced == ConvPath::kTransposed && can_transpose) path = ConvPath::kTransposed;
  else if (forced == ConvPath::kDirect && can_direct) path = ConvPath::kDirect;
  else if (forced == ConvPath::kPacked && pgemm_ok) path = ConvPath::kPacked;
  else if (can_transpose && ((!unit && s.m >= 32) ||
                              (s.m >= 96 && (pointwise ? g.out[1] <= 8 || (g.out[1] <= 14 && ncols <= 1024)
                                                       : g.out[1] <= 14 || (g.out[1] <= 28 && ncols > 1024)))))
    path = ConvPath::kTransposed;
  else if (can_direct && (pointwise ? direct_cost <= packed_cost : direct_cost * 4 <= packed_cost * 5) &&
           direct_cost * 7 <= ncols * 10)
    path = ConvPath::kDirect;
  else if (pgemm_ok && (packed_cost - ncols) * 3 <= ncols) path = ConvPath::kPacked;
  if (path != ConvPath::kAuto) {
    PgemmOut out;
    out.c = yd;
    out.bias = bd;
    out.z = zd;
    out.cols_per_image = osz;
    out.image_stride = s.m * osz;
    out.act = act;
    // The images as the in-place paths read them: zero-padded when the conv pads.
    const float* xin = xd;
    int64_t plane = isz, pitch = g.nd() == 2 ? g.in[1] : 0;
    if (path != ConvPath::kPacked && padded) {
      xin = zero_pad_images(xd, s.n, s.c, g.in[0], g.in[1], g.pb[0], g.pb[1], hp, wp);
      plane = hp * wp, pitch = wp;
    }
    const int64_t* koff = path == ConvPath::kPacked ? nullptr : conv_row_offsets(s.c, g, plane, pitch);
    if (path == ConvPath::kTransposed) {
      TransposedB b;
      b.x = xin, b.images = s.n, b.image_floats = s.c * plane, b.koff = koff;
      b.out_h = g.out[0], b.out_w = g.out[1], b.row_pitch = pitch, b.stride_h = g.stride[0], b.stride_w = g.stride[1];
      pgemm_t(prep->transposed(wd), b, out);
    } else if (path == ConvPath::kDirect) {
      DirectB b;
      b.x = xin, b.images = s.n, b.image_floats = s.c * plane, b.koff = koff;
      b.vcols = vcols;
      // A pointwise conv's image is one row of H*W columns (one store run per tile).
      b.row_pitch = pointwise ? osz : pitch, b.out_w = pointwise ? osz : g.out[1];
      pgemm_direct(*prep->a, b, out);
    } else {
      ConvSource src;
      src.x = xd;
      src.channels = s.c;
      src.image_floats = s.c * isz;
      src.h = g.in[0], src.w = g.in[1], src.oh = g.out[0], src.ow = g.out[1], src.kh = g.k[0], src.kw = g.k[1];
      src.stride_h = g.stride[0], src.stride_w = g.stride[1], src.dil_h = g.dil[0], src.dil_w = g.dil[1];
      src.pad_top = g.pb[0], src.pad_left = g.pb[1];
      pgemm(*prep->a, ncols, pack_conv_columns(src), out);
    }
  } else if (s.group == s.c && s.m == s.c && g.nd() == 2) {
    // Depthwise 2-D: direct, one plane per task (an im2col gemm would have M = 1).
    const int64_t H = g.in[0], W = g.in[1], OH = g.out[0], OW = g.out[1], KH = g.k[0], KW = g.k[1];
    parallel_for(s.n * s.c, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t pl = p0; pl < p1; ++pl) {
        const int64_t c = pl % s.c;
        const float* xp = xd + pl * H * W;
        const float* wp = wd + c * KH * KW;
        float* yp = yd + pl * OH * OW;
        for (int64_t oh = 0; oh < OH; ++oh) {
          float* yr = yp + oh * OW;
          depthwise_row(xp, W, H, oh * g.stride[0] - g.pb[0], g.dil[0], wp, KH, KW, g.stride[1], g.dil[1], g.pb[1],
                        bd ? bd[c] : 0.0f, yr, OW);
        }
        if (zd || act.act != Act::kNone) {
          if (zd) bias_residual_row(yp, zd + pl * OH * OW, 0.0f, OH * OW);
          apply_activation(act, yp, OH * OW);
        }
      }
    });
  } else if (s.group == 1 && s.n > 1 && osz <= 1024 && (pointwise || g.nd() == 2)) {
    // Small images in a batch: one gemm over all of them (weights packed once, not once per image). The images'
    // columns go side by side into col [kdim, N * osz]; the product [M, N * osz] is scattered back to NCHW by the
    // epilogue, which also adds bias / residual and applies the activation.
    const int64_t ncols = s.n * osz;
    float* col = scratch(0, static_cast<size_t>(kdim * ncols));
    float* prod = scratch(2, static_cast<size_t>(s.m * ncols));
    for (int64_t n = 0; n < s.n; ++n) {
      const float* xn = xd + n * s.c * isz;
      if (pointwise) {
        parallel_for(kdim, std::max<int64_t>(1, 16384 / osz), [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) std::copy(xn + r * osz, xn + (r + 1) * osz, col + r * ncols + n * osz);
        });
      } else {
        im2col_2d(xn, s.c, g, col + n * osz, ncols);
      }
    }
    const GemmEpilogue scatter = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
      for (int64_t i = i0; i < i1; ++i) {
        for (int64_t j = j0; j < j1;) {
          const int64_t n = j / osz, p = j % osz, w = std::min(j1 - j, osz - p);
          float* dst = yd + (n * s.m + i) * osz + p;
          std::copy(prod + i * ncols + j, prod + i * ncols + j + w, dst);
          if (bd || zd) bias_residual_row(dst, zd ? zd + (n * s.m + i) * osz + p : nullptr, bd ? bd[i] : 0.0f, w);
          apply_activation(act, dst, w);
          j += w;
        }
      }
    };
    gemm_parallel(false, false, s.m, ncols, kdim, 1.0f, wd, kdim, col, ncols, 0.0f, prod, ncols, &scatter);
  } else if (s.group == 1) {
    for (int64_t n = 0; n < s.n; ++n) one(n, 0, true);
  } else {
    // Grouped / depthwise: many small gemms, one (image, group) per task on a single thread.
    const int64_t work = std::max<int64_t>(1, mg * osz * kdim);
    parallel_for(s.n * s.group, std::max<int64_t>(1, (1 << 16) / work), [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) one(t / s.group, t % s.group, false);
    });
  }
  ctx.set_output(0, std::move(y));
  return true;
}

bool run_conv(KernelContext& ctx, const OutputAllocator& alloc) { return run_conv_impl(ctx, alloc, nullptr); }
bool run_conv_prepared(KernelContext& ctx, const OutputAllocator& alloc, const void* state) {
  return run_conv_impl(ctx, alloc, static_cast<const ConvPrepared*>(state));
}

// ---- MatMul and onyx.FusedMatMul (product + bias + activation)

bool accepts_matmul(const Node& n) {
  const bool mm = is_default_domain(n) && n.op_type == "MatMul";
  const bool fused = n.domain == "onyx" && n.op_type == "FusedMatMul";
  if (!(mm || fused) || !input_is_f32(n, 0) || !input_is_f32(n, 1)) return false;
  if (fused && n.input(2) && !input_is_f32(n, 2)) return false;
  return !fused || parse_activation(n).act != Act::kUnknown;
}

// How a bias adds onto an output of dims `out` viewed as [rows, cols]: per column ([cols] / [1, ..., cols]),
// per row ([rows, 1] in the Gemm form), a scalar, or element by element (same dims).
enum class BiasKind { kNone, kScalar, kColumn, kRow, kFull, kUnsupported };

BiasKind bias_kind(const Tensor* bias, const std::vector<int64_t>& out, int64_t rows, int64_t cols, bool gemm_2d) {
  if (!bias) return BiasKind::kNone;
  if (!is_f32(*bias)) return BiasKind::kUnsupported;
  const auto& bd = bias->dims();
  if (bd.size() > out.size()) return BiasKind::kUnsupported;
  if (bd == out) return BiasKind::kFull;
  bool ones_prefix = true;
  for (size_t i = 0; i + 1 < bd.size(); ++i) ones_prefix &= bd[i] == 1;
  if (bias->numel() == 1 && ones_prefix) return BiasKind::kScalar;
  if (ones_prefix && !bd.empty() && bd.back() == cols && !out.empty() && out.back() == cols) return BiasKind::kColumn;
  if (gemm_2d && bd.size() == 2 && bd[0] == rows && bd[1] == 1) return BiasKind::kRow;
  return BiasKind::kUnsupported;
}

// Adds the bias to rows [i0, i1) x cols [j0, j1) of y [rows, ld] (row index i of the whole output), then the
// activation.
void bias_act_slice(float* y, int64_t ld, int64_t i0, int64_t i1, int64_t j0, int64_t j1, BiasKind kind,
                    const float* b, float beta, const Activation& act) {
  for (int64_t i = i0; i < i1; ++i) {
    float* row = y + i * ld + j0;
    const int64_t w = j1 - j0;
    switch (kind) {
      case BiasKind::kScalar:
        add_scalar_row(row, beta * b[0], w);
        break;
      case BiasKind::kColumn:
        add_row(row, b + j0, beta, w);
        break;
      case BiasKind::kRow:
        add_scalar_row(row, beta * b[i], w);
        break;
      case BiasKind::kFull:
        add_row(row, b + i * ld + j0, beta, w);
        break;
      default:
        break;
    }
    apply_activation(act, row, w);
  }
}

bool run_matmul(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const bool fused = node.domain == "onyx";
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_f32(a) || !is_f32(b)) return false;
  const Activation act = fused ? parse_activation(node) : Activation{};
  if (act.act == Act::kUnknown) return false;
  const Tensor* bias = fused && ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const bool trans_b = fused && node.attr_int("transB", 0) != 0;
  const float alpha = fused ? node.attr_float("alpha", 1.f) : 1.f;
  if (trans_b || alpha != 1.f) {
    // Gemm form: 2-D A [M, K] and B [K, N] (or [N, K] with transB): alpha * A * B' + bias (Gemm's C).
    if (a.rank() != 2 || b.rank() != 2) return false;
    const int64_t m = a.dim(0), k = a.dim(1), n = trans_b ? b.dim(0) : b.dim(1);
    if ((trans_b ? b.dim(1) : b.dim(0)) != k) return false;
    const std::vector<int64_t> out = {m, n};
    const BiasKind kind = bias_kind(bias, out, m, n, true);
    if (kind == BiasKind::kUnsupported) return false;
    Tensor y = alloc(0, DType::kFloat32, out);
    float* yd = y.data<float>();
    const float* bd = bias ? bias->data<float>() : nullptr;
    const GemmEpilogue ep = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
      bias_act_slice(yd, n, i0, i1, j0, j1, kind, bd, 1.0f, act);
    };
    if (y.numel() > 0) {
      if (k == 0) std::fill(yd, yd + y.numel(), 0.0f);
      gemm_parallel(false, trans_b, m, n, k, alpha, a.data<float>(), k, b.data<float>(), trans_b ? k : n, 0.0f, yd, n,
                    (bias || act.act != Act::kNone) ? &ep : nullptr);
      if (k == 0 && (bias || act.act != Act::kNone)) ep(0, m, 0, n);
    }
    ctx.set_output(0, std::move(y));
    return true;
  }
  if (a.rank() == 0 || b.rank() == 0) return false;
  const nn::MatMulPlan p = nn::plan_matmul(node, a.dims(), b.dims());
  const BiasKind kind = bias_kind(bias, p.out_dims, 0, p.n, false);
  if (kind == BiasKind::kUnsupported || p.k == 0) return false;
  Tensor y = alloc(0, DType::kFloat32, p.out_dims);
  if (y.numel() == 0) {
    ctx.set_output(0, std::move(y));
    return true;
  }
  float* yd = y.data<float>();
  const float* ad = a.data<float>();
  const float* bdat = b.data<float>();
  const float* bias_d = bias ? bias->data<float>() : nullptr;
  const bool epilogue = bias || act.act != Act::kNone;
  const int64_t batch = nn::Geom::prod(p.batch);
  if (nn::Geom::prod(p.b_batch) == 1 && nn::Geom::prod(p.a_batch) == batch) {
    // B shared by every batch item: one gemm with the batch folded into M.
    const GemmEpilogue ep = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
      bias_act_slice(yd, p.n, i0, i1, j0, j1, kind, bias_d, 1.0f, act);
    };
    gemm_parallel(false, false, batch * p.m, p.n, p.k, 1.0f, ad, p.k, bdat, p.n, 0.0f, yd, p.n,
                  epilogue ? &ep : nullptr);
  } else {
    std::vector<std::array<int64_t, 3>> items;
    nn::for_each_batch(p, [&](int64_t i, int64_t ia, int64_t ib) { items.push_back({i, ia, ib}); });
    auto one = [&](const std::array<int64_t, 3>& it) {
      float* yi = yd + it[0] * p.m * p.n;
      gemm(false, false, p.m, p.n, p.k, 1.0f, ad + it[1] * p.m * p.k, p.k, bdat + it[2] * p.k * p.n, p.n, 0.0f, yi,
           p.n);
      if (epilogue) {
        // Full bias: rows of this item start at it[0] * m in the whole output.
        const float* bb = kind == BiasKind::kFull ? bias_d + it[0] * p.m * p.n : bias_d;
        bias_act_slice(yi, p.n, 0, p.m, 0, p.n, kind, bb, 1.0f, act);
      }
    };
    const double flops = 2.0 * static_cast<double>(p.m) * static_cast<double>(p.n) * static_cast<double>(p.k);
    if (flops < 4e6) {
      parallel_for(static_cast<int64_t>(items.size()), 1, [&](int64_t s0, int64_t s1) {
        for (int64_t s = s0; s < s1; ++s) one(items[static_cast<size_t>(s)]);
      });
    } else {
      for (const auto& it : items) one(it);  // each gemm splits over the threads
    }
  }
  ctx.set_output(0, std::move(y));
  return true;
}

// Load-time state of a MatMul / onyx.FusedMatMul whose right operand is a constant 2-D float matrix: the matrix
// packed for pgemm_rows (48-column panels).
struct MatMulPrepared {
  std::unique_ptr<PackedW> w;
  int64_t k = 0, n = 0;
  bool trans_b = false;
};

std::shared_ptr<const void> prepare_matmul(const Node& n) {
  if (!pgemm_enabled()) return nullptr;
  const bool fused = n.domain == "onyx";
  if (fused && n.attr_float("alpha", 1.f) != 1.f) return nullptr;
  const Value* b = n.input(1);
  if (!b || !b->is_initializer() || b->initializer->dtype() != DType::kFloat32 || b->initializer->rank() != 2)
    return nullptr;
  const Tensor& t = *b->initializer;
  auto p = std::make_shared<MatMulPrepared>();
  p->trans_b = fused && n.attr_int("transB", 0) != 0;
  p->k = p->trans_b ? t.dims()[1] : t.dims()[0];
  p->n = p->trans_b ? t.dims()[0] : t.dims()[1];
  if (p->k <= 0 || p->n <= 0) return nullptr;
  // Rows of the packed matrix are W's columns: W^T, i.e. W [K, N] read transposed (or W [N, K] as it is).
  p->w = std::make_unique<PackedW>(t.data<float>(), p->n, p->k, p->trans_b ? p->k : p->n, !p->trans_b);
  return p;
}

// X [..., K] · W: every leading dimension of X folded into the rows; bias per column (or none); otherwise the
// unprepared kernel.
bool run_matmul_prepared(KernelContext& ctx, const OutputAllocator& alloc, const void* state) {
  const auto* p = static_cast<const MatMulPrepared*>(state);
  const Node& node = ctx.node();
  const bool fused = node.domain == "onyx";
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  const std::vector<int64_t> wdims = p->trans_b ? std::vector<int64_t>{p->n, p->k} : std::vector<int64_t>{p->k, p->n};
  const Activation act = fused ? parse_activation(node) : Activation{};
  const Tensor* bias = fused && ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (!is_f32(a) || a.rank() < 1 || a.dims().back() != p->k || b.dims() != wdims || act.act == Act::kUnknown ||
      (p->trans_b && a.rank() != 2))
    return run_matmul(ctx, alloc);
  std::vector<int64_t> out(a.dims().begin(), a.dims().end() - 1);
  out.push_back(p->n);
  const BiasKind kind = bias_kind(bias, out, 0, p->n, false);
  if (kind != BiasKind::kNone && kind != BiasKind::kColumn) return run_matmul(ctx, alloc);
  Tensor y = alloc(0, DType::kFloat32, out);
  const int64_t m = a.numel() / p->k;
  RowsOut o;
  o.y = y.data<float>();
  o.ldy = p->n;
  o.bias = kind == BiasKind::kColumn ? bias->data<float>() : nullptr;
  o.act = act;
  if (y.numel() > 0) pgemm_rows(a.data<float>(), m, p->k, *p->w, o);
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- Gemm (opset 7+: C broadcast unidirectionally)

bool accepts_gemm(const Node& n) {
  return is_default_domain(n) && n.op_type == "Gemm" && n.opset >= 7 && input_is_f32(n, 0) && input_is_f32(n, 1) &&
         (!n.input(2) || input_is_f32(n, 2));
}

bool run_gemm(KernelContext& ctx, const OutputAllocator& alloc) {
  const Node& node = ctx.node();
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_f32(a) || !is_f32(b) || a.rank() != 2 || b.rank() != 2) return false;
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const float alpha = node.attr_float("alpha", 1.f), beta = node.attr_float("beta", 1.f);
  const int64_t m = ta ? a.dim(1) : a.dim(0), k = ta ? a.dim(0) : a.dim(1);
  const int64_t n = tb ? b.dim(0) : b.dim(1);
  if ((tb ? b.dim(1) : b.dim(0)) != k || k == 0) return false;
  const Tensor* c = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const std::vector<int64_t> out = {m, n};
  BiasKind kind = bias_kind(c, out, m, n, true);
  if (kind == BiasKind::kUnsupported) return false;
  if (beta == 0.f) kind = BiasKind::kNone;  // the reference skips C when beta is 0
  Tensor y = alloc(0, DType::kFloat32, out);
  float* yd = y.data<float>();
  const float* cd = c ? c->data<float>() : nullptr;
  const Activation none;
  const GemmEpilogue ep = [&](int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    bias_act_slice(yd, n, i0, i1, j0, j1, kind, cd, beta, none);
  };
  if (y.numel() > 0)
    gemm_parallel(ta, tb, m, n, k, alpha, a.data<float>(), a.dim(1), b.data<float>(), b.dim(1), 0.0f, yd, n,
                  kind != BiasKind::kNone ? &ep : nullptr);
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- elementwise

constexpr int64_t kGrain = 1 << 14;

bool accepts_relu(const Node& n) { return is_default_domain(n) && n.op_type == "Relu" && input_is_f32(n, 0); }

ONYX_CPU_CLONES void relu_loop(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

bool run_relu(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (!is_f32(x)) return false;
  Tensor y = alloc(0, DType::kFloat32, x.dims());
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) { relu_loop(xp + b, yp + b, e - b); });
  ctx.set_output(0, std::move(y));
  return true;
}

ONYX_CPU_CLONES void binary_loop(int op, const float* a, const float* b, float* y, int64_t n) {
  switch (op) {
    case 0:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
      break;
    case 1:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] - b[i];
      break;
    default:
      for (int64_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
      break;
  }
}

// Add/Sub/Mul of two float32 tensors of the same shape (opset 7+: numpy broadcasting, handled by the reference
// kernel when the shapes differ at run time).
bool run_binary_same(KernelContext& ctx, const OutputAllocator& alloc, int op) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (!is_f32(a) || !is_f32(b) || a.dims() != b.dims()) return false;
  Tensor y = alloc(0, DType::kFloat32, a.dims());
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = y.data<float>();
  parallel_for(a.numel(), kGrain, [&](int64_t s, int64_t e) { binary_loop(op, ap + s, bp + s, yp + s, e - s); });
  ctx.set_output(0, std::move(y));
  return true;
}

template <const char* kOp>
bool accepts_binary(const Node& n) {
  if (!is_default_domain(n) || n.op_type != kOp || n.opset < 7 || !input_is_f32(n, 0) || !input_is_f32(n, 1))
    return false;
  const TypeInfo& a = n.input(0)->type;
  const TypeInfo& b = n.input(1)->type;
  return a.has_shape && b.has_shape && a.shape.rank_known() && a.shape == b.shape;
}

constexpr char kAdd[] = "Add";
constexpr char kSub[] = "Sub";
constexpr char kMul[] = "Mul";

// Kernel names are stored in plans: a renamed kernel makes older plans fail to load with a clear error.
const Kernel kConv{"cpu.conv", accepts_conv, run_conv, prepare_conv, run_conv_prepared};
const Kernel kMatMul{"cpu.matmul", accepts_matmul, run_matmul, prepare_matmul, run_matmul_prepared};
const Kernel kGemm{"cpu.gemm", accepts_gemm, run_gemm};
const Kernel kRelu{"cpu.relu", accepts_relu, run_relu};
const Kernel kAddK{"cpu.add_same_shape", accepts_binary<kAdd>,
                   [](KernelContext& c, const OutputAllocator& a) { return run_binary_same(c, a, 0); }};
const Kernel kSubK{"cpu.sub_same_shape", accepts_binary<kSub>,
                   [](KernelContext& c, const OutputAllocator& a) { return run_binary_same(c, a, 1); }};
const Kernel kMulK{"cpu.mul_same_shape", accepts_binary<kMul>,
                   [](KernelContext& c, const OutputAllocator& a) { return run_binary_same(c, a, 2); }};

const std::vector<const Kernel*>& all_kernels() {
  static const std::vector<const Kernel*> k = {
      &kConv, &kMatMul, &kGemm, &kRelu, &kAddK, &kSubK, &kMulK, &kMaxPool, &kGlobalAveragePool, &kSoftmax,
      &kLayerNorm, &kAttention, &kGeluK, &kTransposeK};
  return k;
}

}  // namespace

const Kernel* choose_kernel(const Node& node) {
  for (const Kernel* k : all_kernels())
    if (k->accepts(node)) return k;
  return nullptr;
}

const Kernel* find_kernel(std::string_view name) {
  for (const Kernel* k : all_kernels())
    if (k->name == name) return k;
  return nullptr;
}

}  // namespace onyx::cpu
