// QuantizeLinear / DequantizeLinear (opsets 10; 13: per-axis; 19: float16/bfloat16 scales, float8 and `saturate`;
// 21: blocked quantization, int16/uint16, QuantizeLinear's output_dtype; 23) and DynamicQuantizeLinear (11).
//
//   quantize:   y = saturate(round_half_even(x / scale) + zero_point)   (float8: y = cast(x / scale + zero_point))
//   dequantize: y = (x - zero_point) * scale
//
// Scale and zero point are per tensor (one element), per axis (1-D, x.dim(axis) long) or blocked (x's rank, with
// ceil(x.dim(axis) / block_size) along axis).
#include "nn_util.h"

namespace onyx {
namespace {

bool is_float8(DType t) { return t == DType::kFloat8E4M3FN || t == DType::kFloat8E5M2; }

// The quantized dtypes onyx stores (int4/uint4 and the FNUZ float8s have no onyx storage type).
template <typename F>
decltype(auto) dispatch_quantized(DType t, std::string_view what, F&& f) {
  switch (t) {
    case DType::kInt8:
      return f.template operator()<int8_t>();
    case DType::kUInt8:
      return f.template operator()<uint8_t>();
    case DType::kInt16:
      return f.template operator()<int16_t>();
    case DType::kUInt16:
      return f.template operator()<uint16_t>();
    case DType::kInt32:
      return f.template operator()<int32_t>();
    case DType::kFloat8E4M3FN:
      return f.template operator()<Float8E4M3FN>();
    case DType::kFloat8E5M2:
      return f.template operator()<Float8E5M2>();
    default:
      fail_dtype(what, t);
  }
}

// How scale/zero point map onto x: element (o, a, i) of x viewed as [outer, dim, inner] uses parameter
// (o * param_dim + a / block) * param_inner + i, or a single value.
struct ParamLayout {
  int64_t outer = 1, dim = 1, inner = 1;
  int64_t param_dim = 1, block = 1;
  bool per_tensor = true;
  bool per_axis = false;  // 1-D parameter indexed by a
  int64_t index(int64_t o, int64_t a, int64_t i) const {
    if (per_tensor) return 0;
    if (per_axis) return a;
    return (o * param_dim + a / block) * inner + i;
  }
};

ParamLayout param_layout(const Node& node, const Tensor& x, const Tensor& scale, const Tensor* zp) {
  ParamLayout l;
  const int64_t rank = static_cast<int64_t>(x.rank());
  const int64_t block_size = node.opset >= 21 ? node.attr_int("block_size", 0) : 0;
  if (block_size < 0) fail_bad_input(node.describe(), ": block_size must not be negative, got ", block_size);
  if (zp && zp->dims() != scale.dims())
    fail_bad_input(node.describe(), ": zero point ", zp->describe(), " and scale ", scale.describe(),
                   " must have the same shape");
  if (scale.numel() == 1 && scale.rank() <= 1 && block_size == 0) {
    l.inner = x.numel();
    return l;
  }
  if (node.opset < 13)
    fail_bad_input(node.describe(), ": scale must be a scalar before opset 13, got ", scale.describe());
  const int64_t axis = normalize_axis(node.attr_int("axis", 1), rank, node);
  l.per_tensor = false;
  for (int64_t d = 0; d < axis; ++d) l.outer *= x.dim(static_cast<size_t>(d));
  l.dim = x.dim(static_cast<size_t>(axis));
  for (int64_t d = axis + 1; d < rank; ++d) l.inner *= x.dim(static_cast<size_t>(d));
  if (block_size == 0) {
    if (scale.rank() != 1 || scale.dim(0) != l.dim)
      fail_bad_input(node.describe(), ": per-axis scale must be 1-D of length ", l.dim, " (axis ", axis, "), got ",
                     scale.describe());
    l.per_axis = true;
    return l;
  }
  l.block = block_size;
  l.param_dim = nn::ceil_div(l.dim, block_size);
  bool ok = scale.rank() == x.rank();
  for (int64_t d = 0; ok && d < rank; ++d)
    ok = scale.dim(static_cast<size_t>(d)) == (d == axis ? l.param_dim : x.dim(static_cast<size_t>(d)));
  if (!ok)
    fail_bad_input(node.describe(), ": blocked scale ", scale.describe(), " does not match x ", x.describe(),
                   " with block_size ", block_size, " on axis ", axis);
  return l;
}

std::vector<float> scale_values(const Node& node, const Tensor& s) {
  if (!dtype_is_float(s.dtype()) || is_float8(s.dtype()))
    fail_bad_input(node.describe(), ": scale must be float32, float16 or bfloat16, got ", dtype_name(s.dtype()));
  std::vector<float> v(static_cast<size_t>(s.numel()));
  for (int64_t i = 0; i < s.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(s.get_double(i));
  return v;
}

// ---- QuantizeLinear ---------------------------------------------------------------------------------------------

DType quantize_output_dtype(const Node& node, const Tensor* zp, DType zp_type_hint) {
  const int64_t od = node.opset >= 21 ? node.attr_int("output_dtype", 0) : 0;
  DType from_attr = DType::kUndefined;
  if (od != 0) {
    if (!dtype_is_valid(static_cast<int32_t>(od)))
      fail_bad_input(node.describe(), ": output_dtype ", od, " is not a valid dtype");
    from_attr = static_cast<DType>(od);
  }
  const DType from_zp = zp ? zp->dtype() : zp_type_hint;
  if (from_zp != DType::kUndefined && from_attr != DType::kUndefined && from_zp != from_attr)
    fail_bad_input(node.describe(), ": output_dtype ", dtype_name(from_attr), " differs from the zero point's ",
                   dtype_name(from_zp));
  if (from_zp != DType::kUndefined) return from_zp;
  if (from_attr != DType::kUndefined) return from_attr;
  return DType::kUInt8;
}

void run_quantize(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  const ParamLayout l = param_layout(node, x, scale, zp);
  const std::vector<float> sv = scale_values(node, scale);
  const DType out_t = quantize_output_dtype(node, zp, DType::kUndefined);
  if (out_t == DType::kInt32) ctx.fail("int32 is not a QuantizeLinear output type");
  if ((out_t == DType::kInt16 || out_t == DType::kUInt16) && node.opset < 21)
    ctx.fail(dtype_name(out_t), " output needs opset 21");
  if (is_float8(out_t) && node.opset < 19) ctx.fail(dtype_name(out_t), " output needs opset 19");
  const bool saturate = node.attr_int("saturate", 1) != 0;
  const bool x_int = x.dtype() == DType::kInt32;
  if (!x_int && (!dtype_is_float(x.dtype()) || is_float8(x.dtype())))
    ctx.fail("x must be float32, float16, bfloat16 or int32, got ", dtype_name(x.dtype()));
  // x as float (int32 goes through double like numpy's int32 / float32).
  const Tensor xd = x.cast(DType::kFloat64);
  const double* xv = xd.data<double>();
  dispatch_quantized(out_t, node.describe(), [&]<typename Q>() {
    Tensor y(out_t, x.dims());
    Q* yv = y.data<Q>();
    std::vector<double> zv(sv.size(), 0.0);
    if (zp) {
      const Tensor zd = zp->cast(DType::kFloat64);
      for (int64_t i = 0; i < zp->numel(); ++i) zv[static_cast<size_t>(i)] = zd.data<double>()[i];
    }
    int64_t e = 0;
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t a = 0; a < l.dim; ++a)
        for (int64_t i = 0; i < l.inner && e < x.numel(); ++i, ++e) {
          const size_t p = static_cast<size_t>(l.index(o, a, i));
          if constexpr (std::is_integral_v<Q>) {
            const double q = x_int ? xv[e] / static_cast<double>(sv[p])
                                   : static_cast<double>(static_cast<float>(xv[e]) / sv[p]);
            yv[e] = nn::saturate_int<Q>(nn::round_half_even(q) + zv[p]);
          } else {
            const float q = static_cast<float>(xv[e]) / sv[p] + static_cast<float>(zv[p]);
            yv[e] = Q(q, saturate);
          }
        }
    ctx.set_output(0, std::move(y));
  });
}

void infer_quantize(InferContext& ctx) {
  const Node& node = ctx.node();
  const DType zt = ctx.has_input(2) ? ctx.input_dtype(2) : DType::kUndefined;
  const DType out_t = quantize_output_dtype(node, nullptr, zt);
  ctx.set_output(0, out_t, ctx.input_shape(0));
}

// ---- DequantizeLinear -------------------------------------------------------------------------------------------

void run_dequantize(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& scale = ctx.input(1);
  const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  if (zp && zp->dtype() != x.dtype())
    ctx.fail("zero point dtype ", dtype_name(zp->dtype()), " differs from x's ", dtype_name(x.dtype()));
  const ParamLayout l = param_layout(node, x, scale, zp);
  const std::vector<float> sv = scale_values(node, scale);
  if (x.dtype() == DType::kInt32 && zp)
    for (int64_t i = 0; i < zp->numel(); ++i)
      if (zp->get_int(i) != 0) ctx.fail("int32 input needs a zero point of 0");
  if (is_float8(x.dtype()) && node.opset < 19) ctx.fail(dtype_name(x.dtype()), " input needs opset 19");
  if ((x.dtype() == DType::kInt16 || x.dtype() == DType::kUInt16) && node.opset < 21)
    ctx.fail(dtype_name(x.dtype()), " input needs opset 21");
  const DType out_t = node.opset >= 19 ? scale.dtype() : DType::kFloat32;
  if (node.opset < 19 && scale.dtype() != DType::kFloat32) ctx.fail("scale must be float32 before opset 19");
  dispatch_quantized(x.dtype(), node.describe(), [&]<typename Q>() {
    const Q* xv = x.data<Q>();
    std::vector<float> zv(sv.size(), 0.f);
    if (zp) {
      const Tensor zd = zp->cast(DType::kFloat64);
      for (int64_t i = 0; i < zp->numel(); ++i) zv[static_cast<size_t>(i)] = static_cast<float>(zd.data<double>()[i]);
    }
    dispatch_float(out_t, node.describe(), [&]<typename T>() {
      Tensor y(out_t, x.dims());
      T* yv = y.data<T>();
      int64_t e = 0;
      for (int64_t o = 0; o < l.outer; ++o)
        for (int64_t a = 0; a < l.dim; ++a)
          for (int64_t i = 0; i < l.inner && e < x.numel(); ++i, ++e) {
            const size_t p = static_cast<size_t>(l.index(o, a, i));
            float v;
            if constexpr (std::is_integral_v<Q>)
              v = static_cast<float>(static_cast<int64_t>(xv[e]) - static_cast<int64_t>(zv[p])) * sv[p];
            else
              v = (static_cast<float>(xv[e]) - zv[p]) * sv[p];
            yv[e] = to_storage<T>(v);
          }
      ctx.set_output(0, std::move(y));
    });
  });
}

void infer_dequantize(InferContext& ctx) {
  const DType out_t = ctx.node().opset >= 19 ? ctx.input_dtype(1) : DType::kFloat32;
  ctx.set_output(0, out_t, ctx.input_shape(0));
}

// ---- DynamicQuantizeLinear --------------------------------------------------------------------------------------

void run_dynamic_quantize(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) ctx.fail("x must be float32, got ", dtype_name(x.dtype()));
  const float* xv = x.data<float>();
  float lo = 0.f, hi = 0.f;
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(xv[i])) ctx.fail("x contains NaN");
    lo = std::min(lo, xv[i]);
    hi = std::max(hi, xv[i]);
  }
  const float scale = (hi - lo) / 255.f;
  uint8_t zp = 0;
  if (scale > 0) zp = nn::saturate_int<uint8_t>(nn::round_half_even(static_cast<double>(0.f - lo / scale)));
  Tensor y(DType::kUInt8, x.dims());
  uint8_t* yv = y.data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i)
    yv[i] = scale > 0 ? nn::saturate_int<uint8_t>(nn::round_half_even(static_cast<double>(xv[i] / scale)) + zp) : zp;
  ctx.set_output(0, std::move(y));
  ctx.set_output(1, Tensor::scalar<float>(scale));
  ctx.set_output(2, Tensor::scalar<uint8_t>(zp));
}

void infer_dynamic_quantize(InferContext& ctx) {
  if (ctx.input_dtype(0) != DType::kFloat32) ctx.fail("x must be float32, got ", dtype_name(ctx.input_dtype(0)));
  ctx.set_output(0, DType::kUInt8, ctx.input_shape(0));
  ctx.set_output(1, DType::kFloat32, Shape());
  ctx.set_output(2, DType::kUInt8, Shape());
}

}  // namespace

#define ONYX_Q(OP, V, INFER, RUN) \
  ONYX_REGISTER_OP({.op_type = OP, .since_version = V, .inputs = {2, 3}, .infer = INFER, .run = RUN});
ONYX_Q("QuantizeLinear", 10, infer_quantize, run_quantize)
ONYX_Q("QuantizeLinear", 13, infer_quantize, run_quantize)
ONYX_Q("QuantizeLinear", 19, infer_quantize, run_quantize)
ONYX_Q("QuantizeLinear", 21, infer_quantize, run_quantize)
ONYX_Q("QuantizeLinear", 23, infer_quantize, run_quantize)
ONYX_Q("DequantizeLinear", 10, infer_dequantize, run_dequantize)
ONYX_Q("DequantizeLinear", 13, infer_dequantize, run_dequantize)
ONYX_Q("DequantizeLinear", 19, infer_dequantize, run_dequantize)
ONYX_Q("DequantizeLinear", 21, infer_dequantize, run_dequantize)
ONYX_Q("DequantizeLinear", 23, infer_dequantize, run_dequantize)
#undef ONYX_Q
ONYX_REGISTER_OP({.op_type = "DynamicQuantizeLinear", .since_version = 11, .inputs = {1, 1}, .outputs = {3, 3},
                  .infer = infer_dynamic_quantize, .run = run_dynamic_quantize});

}  // namespace onyx
