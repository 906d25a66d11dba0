// Col2Im (opset 18): rearranges column blocks [N, C * prod(block_shape), L] back into images [N, C, image_shape...],
// summing overlapping values (the inverse of im2col).
#include "nn_util.h"

namespace onyx {
namespace {

std::vector<int64_t> shape_input(const Node& node, const Tensor& t, const char* what) {
  if (t.dtype() != DType::kInt64 || t.rank() != 1)
    fail_bad_input(node.describe(), ": ", what, " must be a 1-D int64 tensor, got ", t.describe());
  return t.to_int64_vector();
}

nn::Geom col2im_geom(const Node& node, const std::vector<int64_t>& image, const std::vector<int64_t>& block) {
  const size_t nd = image.size();
  if (nd == 0) fail_bad_input(node.describe(), ": image_shape must not be empty");
  if (block.size() != nd)
    fail_bad_input(node.describe(), ": block_shape has ", block.size(), " values, image_shape ", nd);
  for (int64_t v : image)
    if (v < 0) fail_bad_input(node.describe(), ": image_shape ", dims_to_string(image), " must not be negative");
  // Col2Im has no auto_pad / kernel_shape / ceil_mode attributes.
  nn::WindowAttrs a;
  a.kernel = block;
  for (int64_t k : block)
    if (k < 1) fail_bad_input(node.describe(), ": block_shape ", dims_to_string(block), " must be positive");
  a.strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  a.dilations = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
  a.pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  if (a.strides.size() != nd || a.dilations.size() != nd || a.pads.size() != 2 * nd)
    fail_bad_input(node.describe(), ": strides/dilations/pads do not match the ", nd, " spatial dims");
  for (size_t i = 0; i < nd; ++i)
    if (a.strides[i] < 1 || a.dilations[i] < 1 || a.pads[i] < 0 || a.pads[i + nd] < 0)
      fail_bad_input(node.describe(), ": strides and dilations must be positive, pads non-negative");
  return nn::make_geom(node, image, a);
}

void run_col2im(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const nn::Geom g = col2im_geom(node, shape_input(node, ctx.input(1), "image_shape"),
                                 shape_input(node, ctx.input(2), "block_shape"));
  if (x.rank() != 3) ctx.fail("input must have rank 3 [N, C * prod(block_shape), L], got ", x.describe());
  const int64_t ksz = g.k_size();
  if (x.dim(1) % ksz != 0)
    ctx.fail("input dim 1 (", x.dim(1), ") is not a multiple of prod(block_shape) = ", ksz);
  if (x.dim(2) != g.out_size())
    ctx.fail("input has ", x.dim(2), " blocks but image_shape and block_shape give ", g.out_size());
  const int64_t n = x.dim(0), c = x.dim(1) / ksz;
  std::vector<int64_t> out_dims = {n, c};
  out_dims.insert(out_dims.end(), g.in.begin(), g.in.end());
  dispatch_numeric(x.dtype(), node.describe(), [&]<typename T>() {
    using C = compute_t<T>;
    const Tensor xc = std::is_same_v<C, T> ? x : x.cast(dtype_of<C>);
    Tensor y(dtype_of<C>, out_dims);
    const C* src = xc.data<C>();
    C* dst = y.data<C>();
    for (int64_t i = 0; i < n; ++i) nn::col2im_add(src + i * c * ksz * g.out_size(), c, g, dst + i * c * g.in_size());
    ctx.set_output(0, std::is_same_v<C, T> ? y : y.cast(x.dtype()));
  });
}

void infer_col2im(InferContext& ctx) {
  const Node& node = ctx.node();
  const DType dt = ctx.input_dtype(0);
  const Shape& xs = ctx.input_shape(0);
  if (xs.rank_known() && xs.rank() != 3)
    ctx.fail("input must have rank 3 [N, C * prod(block_shape), L], got ", xs.to_string());
  const Tensor* image = ctx.input_constant(1);
  const Tensor* block = ctx.input_constant(2);
  if (!image) {
    const Shape& is = ctx.input_shape(1);
    if (is.rank_known() && is.rank() == 1 && is[0].is_known()) {
      std::vector<Dim> out(static_cast<size_t>(is[0].value() + 2), Dim::unknown());
      if (xs.rank_known()) out[0] = xs[0];
      ctx.set_output(0, dt, Shape(out));
    } else {
      ctx.set_output(0, dt, Shape::unknown_rank());
    }
    return;
  }
  const std::vector<int64_t> img = shape_input(node, *image, "image_shape");
  std::vector<Dim> out = {xs.rank_known() ? xs[0] : Dim::unknown(), Dim::unknown()};
  if (block && xs.rank_known() && xs[1].is_known()) {
    const nn::Geom g = col2im_geom(node, img, shape_input(node, *block, "block_shape"));
    if (xs[1].value() % g.k_size() != 0)
      ctx.fail("input dim 1 (", xs[1].value(), ") is not a multiple of prod(block_shape) = ", g.k_size());
    out[1] = xs[1].value() / g.k_size();
  }
  for (int64_t v : img) out.push_back(v);
  ctx.set_output(0, dt, Shape(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Col2Im", .since_version = 18, .inputs = {3, 3}, .infer = infer_col2im,
                  .run = run_col2im});

}  // namespace onyx
