// CenterCropPad (opset 18): crops (window start rounded down) or zero-pads (the odd extra element on the
// right) the given axes to the target `shape`, keeping the content centered. Other axes are unchanged.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

// Target size per axis (-1: unchanged) for an input of `rank`.
std::vector<int64_t> targets(const Node& node, size_t rank, const std::vector<int64_t>& shape) {
  std::vector<int64_t> axes;
  if (node.has_attr("axes")) {
    for (int64_t a : node.attr_ints("axes"))
      axes.push_back(normalize_axis(a, static_cast<int64_t>(rank), node));
  } else {
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (shape.size() != axes.size())
    fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " has ", shape.size(), " entries for ",
                   axes.size(), " axes");
  std::vector<int64_t> out(rank, -1);
  for (size_t i = 0; i < axes.size(); ++i) {
    if (shape[i] < 0)
      fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " has a negative size");
    if (out[static_cast<size_t>(axes[i])] >= 0)
      fail_bad_input(node.describe(), ": axis ", axes[i], " is repeated");
    out[static_cast<size_t>(axes[i])] = shape[i];
  }
  return out;
}

void run_center_crop_pad(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> target = targets(ctx.node(), x.rank(), int_input(ctx, 1, "shape"));
  const size_t rank = x.rank();
  std::vector<int64_t> out_dims(rank), copy_dims(rank);
  int64_t src_base = 0, dst_base = 0;
  for (size_t i = 0; i < rank; ++i) out_dims[i] = target[i] < 0 ? x.dim(i) : target[i];
  const std::vector<int64_t> src_strides = row_major_strides(x.dims());
  const std::vector<int64_t> dst_strides = row_major_strides(out_dims);
  for (size_t i = 0; i < rank; ++i) {
    const int64_t d = x.dim(i), s = out_dims[i];
    copy_dims[i] = std::min(d, s);
    if (d > s)
      src_base += (d - s) / 2 * src_strides[i];
    else
      dst_base += (s - d) / 2 * dst_strides[i];
  }
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), "CenterCropPad", [&]<typename S>() {
    copy_strided(elems<S>(x), src_base, src_strides, elems<S>(out), dst_base, dst_strides, copy_dims);
  });
  ctx.set_output(0, std::move(out));
}

void infer_center_crop_pad(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  auto shape = known_ints(ctx, 1);
  std::vector<Dim> out = in.dims();
  if (shape) {
    const std::vector<int64_t> target = targets(ctx.node(), in.rank(), *shape);
    for (size_t i = 0; i < in.rank(); ++i)
      if (target[i] >= 0) out[i] = target[i];
  } else if (ctx.node().has_attr("axes")) {
    for (int64_t a : ctx.node().attr_ints("axes"))
      out[static_cast<size_t>(normalize_axis(a, static_cast<int64_t>(in.rank()), ctx.node()))] = Dim();
  } else {
    out = unknown_dims(in.rank()).dims();
  }
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "CenterCropPad",
                  .since_version = 18,
                  .inputs = {2, 2},
                  .infer = infer_center_crop_pad,
                  .run = run_center_crop_pad});

}  // namespace onyx
