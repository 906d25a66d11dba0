// Expand: broadcasts the input to `shape` (numpy rules both ways: a 1 in `shape` keeps the input's size).
#include "broadcast.h"
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void run_expand(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> shape = int_input(ctx, 1, "shape");
  for (int64_t d : shape)
    if (d < 0) ctx.fail("shape ", dims_to_string(shape), " has a negative dimension");
  const std::vector<int64_t> out_dims = broadcast_dims({x.dims(), shape}, ctx.node());
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), "Expand", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    std::vector<int64_t> in_dims = x.dims();
    for_each_broadcast<1>(out_dims, {in_dims}, [&](int64_t o, int64_t i) { dst[o] = src[i]; });
  });
  ctx.set_output(0, std::move(out));
}

void infer_expand(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (auto dims = known_dims(ctx, 1)) {
    for (const Dim& d : *dims)
      if (d.is_known() && d.value() < 0) ctx.fail("shape has a negative dimension");
    ctx.set_output(0, dt, broadcast_shapes({in, Shape(*dims)}, ctx.node()));
    return;
  }
  if (auto n = known_length(ctx, 1); n && in.rank_known()) {
    ctx.set_output(0, dt, unknown_dims(std::max<size_t>(static_cast<size_t>(*n), in.rank())));
    return;
  }
  ctx.set_output(0, dt, Shape::unknown_rank());
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Expand", .since_version = 8, .inputs = {2, 2}, .infer = infer_expand, .run = run_expand});

}  // namespace onyx
