// MaxUnpool (opsets 9, 11, 22): scatters X into a zero tensor at the positions I that MaxPool reported. I holds flat
// indices into the default output shape [N, C, (in - 1) * stride + kernel - pads]; with an explicit output_shape
// each index keeps its (n, c, spatial) coordinates in the larger output.
#include "nn_util.h"

namespace onyx {
namespace {

std::vector<int64_t> default_dims(const Node& node, const std::vector<int64_t>& x_dims) {
  const size_t nd = x_dims.size() - 2;
  const nn::WindowAttrs a = nn::parse_window(node, nd, {}, false, false);
  std::vector<int64_t> out = {x_dims[0], x_dims[1]};
  for (size_t i = 0; i < nd; ++i) {
    const int64_t d = (x_dims[i + 2] - 1) * a.strides[i] + a.kernel[i] - a.pads[i] - a.pads[i + nd];
    if (d < 0) fail_bad_input(node.describe(), ": the output's spatial dim ", i, " would be negative");
    out.push_back(d);
  }
  return out;
}

void run_max_unpool(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const Tensor& ind = ctx.input(1);
  if (x.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", x.describe());
  if (ind.dtype() != DType::kInt64 || ind.dims() != x.dims())
    ctx.fail("I must be int64 with X's shape ", dims_to_string(x.dims()), ", got ", ind.describe());
  const std::vector<int64_t> def = default_dims(node, x.dims());
  std::vector<int64_t> out = def;
  if (ctx.has_input(2)) {
    const Tensor& os = ctx.input(2);
    if (os.dtype() != DType::kInt64 || os.rank() != 1 || os.numel() != static_cast<int64_t>(x.rank()))
      ctx.fail("output_shape must be 1-D int64 with ", x.rank(), " values, got ", os.describe());
    out = os.to_int64_vector();
    if (out[0] != x.dim(0) || out[1] != x.dim(1))
      ctx.fail("output_shape ", dims_to_string(out), " must keep X's batch and channel dims");
    for (size_t d = 2; d < out.size(); ++d)
      if (out[d] < def[d])
        ctx.fail("output_shape ", dims_to_string(out), " is smaller than the default ", dims_to_string(def));
  }
  const int64_t def_numel = checked_numel(def);
  const std::vector<int64_t> def_strides = contiguous_strides(def), out_strides = contiguous_strides(out);
  const int64_t* iv = ind.data<int64_t>();
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    Tensor y(x.dtype(), out);
    const T* xv = x.data<T>();
    T* yv = y.data<T>();
    for (int64_t e = 0; e < x.numel(); ++e) {
      int64_t idx = iv[e];
      if (idx < 0 || idx >= def_numel) ctx.fail("index ", idx, " is outside the output (", def_numel, " elements)");
      int64_t o = 0;
      for (size_t d = 0; d < def.size(); ++d) {
        o += (idx / def_strides[d]) * out_strides[d];
        idx %= def_strides[d];
      }
      yv[o] = xv[e];
    }
    ctx.set_output(0, std::move(y));
  });
}

void infer_max_unpool(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& xs = ctx.input_shape(0);
  if (ctx.has_input(2)) {
    if (const Tensor* os = ctx.input_constant(2)) {
      ctx.set_output(0, dt, Shape::from_dims(os->to_int64_vector()));
      return;
    }
    ctx.set_output(0, dt, xs.rank_known() ? Shape(std::vector<Dim>(xs.rank(), Dim::unknown())) : Shape::unknown_rank());
    return;
  }
  if (!xs.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (xs.rank() < 3) ctx.fail("X must have rank >= 3 (N, C, spatial...), got ", xs.to_string());
  const size_t nd = xs.rank() - 2;
  const nn::WindowAttrs a = nn::parse_window(ctx.node(), nd, {}, false, false);
  std::vector<Dim> out = {xs[0], xs[1]};
  for (size_t i = 0; i < nd; ++i) {
    if (!xs[i + 2].is_known()) {
      out.push_back(Dim::unknown());
      continue;
    }
    out.push_back((xs[i + 2].value() - 1) * a.strides[i] + a.kernel[i] - a.pads[i] - a.pads[i + nd]);
  }
  ctx.set_output(0, dt, Shape(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "MaxUnpool", .since_version = 9, .inputs = {2, 3}, .infer = infer_max_unpool,
                  .run = run_max_unpool});
ONYX_REGISTER_OP({.op_type = "MaxUnpool", .since_version = 11, .inputs = {2, 3}, .infer = infer_max_unpool,
                  .run = run_max_unpool});
ONYX_REGISTER_OP({.op_type = "MaxUnpool", .since_version = 22, .inputs = {2, 3}, .infer = infer_max_unpool,
                  .run = run_max_unpool});

}  // namespace onyx
