// Compress: the slices along `axis` (or the elements of the flattened input, without axis) where the 1-D bool
// `condition` is true. A condition shorter than the axis selects nothing past its end.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void run_compress(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& cond = ctx.input(1);
  if (cond.dtype() != DType::kBool) ctx.fail("condition must be bool, got ", dtype_name(cond.dtype()));
  if (cond.rank() != 1) ctx.fail("condition must be 1-D, got ", dims_to_string(cond.dims()));
  const bool has_axis = ctx.node().has_attr("axis");
  std::vector<int64_t> dims = has_axis ? x.dims() : std::vector<int64_t>{x.numel()};
  const size_t axis = has_axis
                          ? static_cast<size_t>(normalize_axis(ctx.node().attr_int("axis", 0),
                                                               static_cast<int64_t>(x.rank()), ctx.node()))
                          : 0;
  const int64_t dim = dims[axis];
  const bool* c = cond.data<bool>();
  std::vector<int64_t> picked;
  for (int64_t i = 0; i < cond.numel(); ++i) {
    if (!c[i]) continue;
    if (i >= dim) ctx.fail("condition selects position ", i, " past the axis of size ", dim);
    picked.push_back(i);
  }
  const int64_t outer = product(dims, 0, axis);
  const int64_t inner = product(dims, axis + 1, dims.size());
  std::vector<int64_t> out_dims = dims;
  out_dims[axis] = static_cast<int64_t>(picked.size());
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), "Compress", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t p : picked) {
        std::copy_n(src + (o * dim + p) * inner, inner, dst);
        dst += inner;
      }
  });
  ctx.set_output(0, std::move(out));
}

void infer_compress(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!ctx.node().has_attr("axis")) {
    ctx.set_output(0, dt, unknown_dims(1));
    return;
  }
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(in.rank()), ctx.node()));
  std::vector<Dim> out = in.dims();
  out[axis] = Dim();
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Compress",
                  .since_version = 9,
                  .inputs = {2, 2},
                  .infer = infer_compress,
                  .run = run_compress});

}  // namespace onyx
