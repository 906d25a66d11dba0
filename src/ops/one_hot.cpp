// OneHot: for indices of shape S, a tensor of shape S with a new axis of size `depth` inserted at `axis`,
// holding values[1] where the position equals the index and values[0] elsewhere. Negative indices count from
// depth (opset 11); indices outside [-depth, depth) give an all-off row.
#include <cmath>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

int64_t read_depth(const KernelContext& ctx) {
  const Tensor& d = ctx.input(1);
  if (d.numel() != 1) ctx.fail("depth must hold one element, got ", dims_to_string(d.dims()));
  const double v = d.get_double(0);
  if (!(v >= 1) || v > 9.0e18) ctx.fail("depth must be positive, got ", v);
  return static_cast<int64_t>(v);
}

void run_one_hot(KernelContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& values = ctx.input(2);
  if (values.numel() != 2)
    ctx.fail("values must hold 2 elements [off, on], got ", dims_to_string(values.dims()));
  const int64_t depth = read_depth(ctx);
  const int64_t rank = static_cast<int64_t>(indices.rank());
  const size_t axis =
      static_cast<size_t>(normalize_axis(ctx.node().attr_int("axis", -1), rank + 1, ctx.node()));
  std::vector<int64_t> out_dims = indices.dims();
  out_dims.insert(out_dims.begin() + static_cast<int64_t>(axis), depth);
  const std::vector<double> idx = indices.to_double_vector();
  Tensor out(values.dtype(), out_dims);
  const int64_t outer = product(indices.dims(), 0, axis);
  const int64_t inner = product(indices.dims(), axis, indices.rank());
  dispatch_storage(values.dtype(), "OneHot", [&]<typename S>() {
    const S off = elems<S>(values)[0];
    const S on = elems<S>(values)[1];
    S* o = elems<S>(out);
    std::fill_n(o, out.numel(), off);
    for (int64_t a = 0; a < outer; ++a) {
      for (int64_t b = 0; b < inner; ++b) {
        const double raw = idx[static_cast<size_t>(a * inner + b)];
        if (!std::isfinite(raw)) continue;
        int64_t v = static_cast<int64_t>(std::trunc(std::clamp(raw, -9.0e18, 9.0e18)));
        if (v < 0) v += depth;
        if (v >= 0 && v < depth) o[(a * depth + v) * inner + b] = on;
      }
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_one_hot(InferContext& ctx) {
  const DType dt = ctx.input_dtype(2);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  const int64_t rank = static_cast<int64_t>(in.rank());
  const size_t axis =
      static_cast<size_t>(normalize_axis(ctx.node().attr_int("axis", -1), rank + 1, ctx.node()));
  Dim depth;
  if (const Tensor* d = ctx.input_constant(1); d && d->numel() == 1 && d->dtype() != DType::kString) {
    const double v = d->get_double(0);
    if (v >= 1 && v <= 9.0e18) depth = Dim(static_cast<int64_t>(v));
  } else if (const auto* p = ctx.input_partial(1); p && p->size() == 1) {
    depth = (*p)[0];
  }
  std::vector<Dim> out = in.dims();
  out.insert(out.begin() + static_cast<int64_t>(axis), depth);
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "OneHot", .since_version = 9, .inputs = {3, 3}, .infer = infer_one_hot, .run = run_one_hot});

}  // namespace onyx
