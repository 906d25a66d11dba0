// Conv (opsets 1, 11, 22): N-D convolution with groups, strides, dilations, pads and auto_pad. Each (batch item,
// group) is one gemm: W_g [M/g, C/g * k] x im2col(X_g) [C/g * k, out]; a 1x1 stride-1 unpadded conv skips im2col.
// float16/bfloat16 compute in float32 and round once.
#include "../core/gemm.h"
#include "nn_util.h"

namespace onyx {
namespace {

struct ConvShape {
  int64_t n = 0, c = 0, m = 0, group = 1;
  nn::Geom geom;
};

// Validates X/W/B and resolves the geometry.
ConvShape conv_shape(const KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  if (w.rank() != x.rank()) ctx.fail("W ", w.describe(), " must have the rank of X ", x.describe());
  if (w.dtype() != x.dtype()) ctx.fail("W dtype ", dtype_name(w.dtype()), " differs from X dtype ", dtype_name(x.dtype()));
  ConvShape s;
  s.group = node.attr_int("group", 1);
  s.n = x.dim(0);
  s.c = x.dim(1);
  s.m = w.dim(0);
  if (s.group < 1) ctx.fail("group must be positive, got ", s.group);
  if (s.c != w.dim(1) * s.group)
    ctx.fail("X has ", s.c, " channels but W ", w.describe(), " with group ", s.group, " expects ", w.dim(1) * s.group);
  if (s.m % s.group != 0) ctx.fail("W's ", s.m, " output channels are not divisible by group ", s.group);
  if (ctx.has_input(2)) {
    const Tensor& b = ctx.input(2);
    if (b.dtype() != x.dtype()) ctx.fail("B dtype ", dtype_name(b.dtype()), " differs from X dtype");
    if (b.rank() != 1 || b.dim(0) != s.m) ctx.fail("B must have shape [", s.m, "], got ", b.describe());
  }
  const size_t nd = x.rank() - 2;
  std::vector<int64_t> kernel(w.dims().begin() + 2, w.dims().end());
  const nn::WindowAttrs a = nn::parse_window(node, nd, kernel);
  s.geom = nn::make_geom(node, std::vector<int64_t>(x.dims().begin() + 2, x.dims().end()), a);
  return s;
}

template <typename T>  // float or double
void conv_kernel(const ConvShape& s, const T* x, const T* w, const T* b, T* y) {
  const nn::Geom& g = s.geom;
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
        nn::im2col(xg, cg, g, col.data(), T(0));
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

void run_conv(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const ConvShape s = conv_shape(ctx);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      Tensor y(x.dtype(), out_dims);
      conv_kernel<T>(s, x.data<T>(), ctx.input(1).data<T>(), ctx.has_input(2) ? ctx.input(2).data<T>() : nullptr,
                     y.data<T>());
      ctx.set_output(0, std::move(y));
    } else {
      const Tensor xf = x.cast(DType::kFloat32), wf = ctx.input(1).cast(DType::kFloat32);
      Tensor bf;
      if (ctx.has_input(2)) bf = ctx.input(2).cast(DType::kFloat32);
      Tensor y(DType::kFloat32, out_dims);
      conv_kernel<float>(s, xf.data<float>(), wf.data<float>(), bf.is_valid() ? bf.data<float>() : nullptr,
                         y.data<float>());
      ctx.set_output(0, y.cast(x.dtype()));
    }
  });
}

void infer_conv(InferContext& ctx) {
  const Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const Shape& xs = ctx.input_shape(0);
  if (!xs.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (xs.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", xs.to_string());
  const size_t nd = xs.rank() - 2;
  std::vector<Dim> out = {xs[0], Dim::unknown()};
  std::vector<int64_t> kernel = node.attr_ints("kernel_shape");
  if (ctx.has_input(1)) {
    const Shape& ws = ctx.input_shape(1);
    if (ws.rank_known()) {
      if (ws.rank() != xs.rank()) ctx.fail("W ", ws.to_string(), " must have the rank of X ", xs.to_string());
      out[1] = ws[0];
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
    const nn::WindowAttrs a = nn::parse_window(node, nd, kernel);
    auto sp = nn::infer_window_dims(node, std::vector<Dim>(xs.dims().begin() + 2, xs.dims().end()), a);
    out.insert(out.end(), sp.begin(), sp.end());
  }
  ctx.set_output(0, dt, Shape(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 1, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});
ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 11, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});
ONYX_REGISTER_OP({.op_type = "Conv", .since_version = 22, .inputs = {2, 3}, .infer = infer_conv, .run = run_conv});

}  // namespace onyx
