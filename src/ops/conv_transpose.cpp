// ConvTranspose (opsets 1, 11, 22): the gradient of Conv. Per (batch item, group): col = W_g^T x X_g by gemm, then
// col2im scatters col into the output. Output size from output_shape, auto_pad or pads/output_padding.
#include "../core/gemm.h"
#include "nn_util.h"

namespace onyx {
namespace {

struct ConvTShape {
  int64_t n = 0, c = 0, m = 0, group = 1;
  nn::Geom geom;  // geom.in: the output image; geom.out: X's spatial dims
};

struct ConvTAttrs {
  nn::WindowAttrs w;
  std::vector<int64_t> output_padding, output_shape;
  int64_t group = 1;
};

ConvTAttrs parse_attrs(const Node& node, size_t nd, const std::vector<int64_t>& kernel) {
  ConvTAttrs a;
  a.w = nn::parse_window(node, nd, kernel, true, false);
  a.group = node.attr_int("group", 1);
  if (a.group < 1) fail_bad_input(node.describe(), ": group must be positive, got ", a.group);
  a.output_padding = node.attr_ints("output_padding", std::vector<int64_t>(nd, 0));
  if (a.output_padding.empty()) a.output_padding.assign(nd, 0);
  if (a.output_padding.size() != nd)
    fail_bad_input(node.describe(), ": output_padding has ", a.output_padding.size(), " values for ", nd,
                   " spatial dims");
  for (size_t i = 0; i < nd; ++i)
    if (a.output_padding[i] < 0 || a.output_padding[i] >= std::max(a.w.strides[i], a.w.dilations[i]))
      fail_bad_input(node.describe(), ": output_padding ", dims_to_string(a.output_padding),
                     " must be in [0, max(stride, dilation))");
  a.output_shape = node.attr_ints("output_shape");
  if (a.output_shape.size() == nd + 2) a.output_shape.erase(a.output_shape.begin(), a.output_shape.begin() + 2);
  if (!a.output_shape.empty() && a.output_shape.size() != nd)
    fail_bad_input(node.describe(), ": output_shape has ", a.output_shape.size(), " values for ", nd,
                   " spatial dims");
  return a;
}

// Output size and pads of one spatial dim.
void out_dim(const ConvTAttrs& a, size_t i, size_t nd, int64_t in, int64_t& out, int64_t& pb, int64_t& pe) {
  const int64_t s = a.w.strides[i];
  const int64_t ek = (a.w.kernel[i] - 1) * a.w.dilations[i] + 1;
  const int64_t natural = s * (in - 1) + a.output_padding[i] + ek;
  if (!a.output_shape.empty() || a.w.auto_pad == nn::AutoPad::kSameUpper ||
      a.w.auto_pad == nn::AutoPad::kSameLower) {
    out = a.output_shape.empty() ? in * s : a.output_shape[i];
    const int64_t total = natural - out;
    if (a.w.auto_pad == nn::AutoPad::kSameUpper) {
      pb = nn::floor_div(total, 2);
      pe = total - pb;
    } else {
      pe = nn::floor_div(total, 2);
      pb = total - pe;
    }
    return;
  }
  if (a.w.auto_pad == nn::AutoPad::kValid) {
    pb = pe = 0;
  } else {
    pb = a.w.pads[i];
    pe = a.w.pads[i + nd];
  }
  out = natural - pb - pe;
}

ConvTShape convt_shape(const KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  if (w.rank() != x.rank()) ctx.fail("W ", w.describe(), " must have the rank of X ", x.describe());
  if (w.dtype() != x.dtype()) ctx.fail("W dtype ", dtype_name(w.dtype()), " differs from X dtype ", dtype_name(x.dtype()));
  const size_t nd = x.rank() - 2;
  const ConvTAttrs a = parse_attrs(node, nd, std::vector<int64_t>(w.dims().begin() + 2, w.dims().end()));
  ConvTShape s;
  s.group = a.group;
  s.n = x.dim(0);
  s.c = x.dim(1);
  if (w.dim(0) != s.c) ctx.fail("W ", w.describe(), " must have X's ", s.c, " channels in its first dim");
  if (s.c % s.group != 0) ctx.fail("X's ", s.c, " channels are not divisible by group ", s.group);
  s.m = w.dim(1) * s.group;
  if (ctx.has_input(2)) {
    const Tensor& b = ctx.input(2);
    if (b.dtype() != x.dtype()) ctx.fail("B dtype ", dtype_name(b.dtype()), " differs from X dtype");
    if (b.rank() != 1 || b.dim(0) != s.m) ctx.fail("B must have shape [", s.m, "], got ", b.describe());
  }
  nn::Geom& g = s.geom;
  g.k = a.w.kernel;
  g.stride = a.w.strides;
  g.dil = a.w.dilations;
  g.out.assign(x.dims().begin() + 2, x.dims().end());
  g.in.resize(nd);
  g.pb.resize(nd);
  g.pe.resize(nd);
  for (size_t i = 0; i < nd; ++i) {
    out_dim(a, i, nd, g.out[i], g.in[i], g.pb[i], g.pe[i]);
    if (g.in[i] < 0) ctx.fail("the output's spatial dim ", i, " would be negative (", g.in[i], ")");
  }
  return s;
}

template <typename T>
void convt_kernel(const ConvTShape& s, const T* x, const T* w, const T* b, T* y) {
  const nn::Geom& g = s.geom;
  const int64_t cg = s.c / s.group, mg = s.m / s.group;
  const int64_t ksz = g.k_size(), xsz = g.out_size(), ysz = g.in_size();
  std::vector<T> col(static_cast<size_t>(mg * ksz * xsz));
  for (int64_t n = 0; n < s.n; ++n) {
    for (int64_t gi = 0; gi < s.group; ++gi) {
      const T* xg = x + (n * s.c + gi * cg) * xsz;
      const T* wg = w + gi * cg * mg * ksz;
      gemm(true, false, mg * ksz, xsz, cg, T(1), wg, mg * ksz, xg, xsz, T(0), col.data(), xsz);
      nn::col2im_add(col.data(), mg, g, y + (n * s.m + gi * mg) * ysz);
    }
  }
  if (b) {
    for (int64_t r = 0; r < s.n * s.m; ++r) {
      const T bv = b[r % s.m];
      T* yr = y + r * ysz;
      for (int64_t i = 0; i < ysz; ++i) yr[i] += bv;
    }
  }
}

void run_conv_transpose(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const ConvTShape s = convt_shape(ctx);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.in.begin(), s.geom.in.end());
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      Tensor y(x.dtype(), out_dims);
      convt_kernel<T>(s, x.data<T>(), ctx.input(1).data<T>(), ctx.has_input(2) ? ctx.input(2).data<T>() : nullptr,
                      y.data<T>());
      ctx.set_output(0, std::move(y));
    } else {
      const Tensor xf = x.cast(DType::kFloat32), wf = ctx.input(1).cast(DType::kFloat32);
      Tensor bf;
      if (ctx.has_input(2)) bf = ctx.input(2).cast(DType::kFloat32);
      Tensor y(DType::kFloat32, out_dims);
      convt_kernel<float>(s, xf.data<float>(), wf.data<float>(), bf.is_valid() ? bf.data<float>() : nullptr,
                          y.data<float>());
      ctx.set_output(0, y.cast(x.dtype()));
    }
  });
}

void infer_conv_transpose(InferContext& ctx) {
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
  const Shape& ws = ctx.input_shape(1);
  if (ws.rank_known()) {
    if (ws.rank() != xs.rank()) ctx.fail("W ", ws.to_string(), " must have the rank of X ", xs.to_string());
    if (ws[1].is_known()) out[1] = ws[1].value() * node.attr_int("group", 1);
    if (kernel.empty()) {
      bool known = true;
      for (size_t i = 2; i < ws.rank(); ++i) {
        known &= ws[i].is_known();
        kernel.push_back(ws[i].value());
      }
      if (!known) kernel.clear();
    }
  }
  if (kernel.size() != nd) {
    for (size_t i = 0; i < nd; ++i) out.push_back(Dim::unknown());
  } else {
    const ConvTAttrs a = parse_attrs(node, nd, kernel);
    for (size_t i = 0; i < nd; ++i) {
      if (!a.output_shape.empty()) {
        out.push_back(a.output_shape[i]);
        continue;
      }
      if (!xs[i + 2].is_known()) {
        out.push_back(Dim::unknown());
        continue;
      }
      int64_t o = 0, pb = 0, pe = 0;
      out_dim(a, i, nd, xs[i + 2].value(), o, pb, pe);
      if (o < 0) ctx.fail("the output's spatial dim ", i, " would be negative (", o, ")");
      out.push_back(o);
    }
  }
  ctx.set_output(0, dt, Shape(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "ConvTranspose", .since_version = 1, .inputs = {2, 3}, .infer = infer_conv_transpose,
                  .run = run_conv_transpose});
ONYX_REGISTER_OP({.op_type = "ConvTranspose", .since_version = 11, .inputs = {2, 3}, .infer = infer_conv_transpose,
                  .run = run_conv_transpose});
ONYX_REGISTER_OP({.op_type = "ConvTranspose", .since_version = 22, .inputs = {2, 3}, .infer = infer_conv_transpose,
                  .run = run_conv_transpose});

}  // namespace onyx
