// ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along time_axis (the
// rest is copied). time_axis and batch_axis are 0 and 1 in either order.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

std::pair<size_t, size_t> rs_axes(const Node& node) {
  const int64_t t = node.attr_int("time_axis", 0);
  const int64_t b = node.attr_int("batch_axis", 1);
  if (!((t == 0 && b == 1) || (t == 1 && b == 0)))
    fail_bad_input(node.describe(), ": time_axis and batch_axis must be 0 and 1, got ", t, " and ", b);
  return {static_cast<size_t>(t), static_cast<size_t>(b)};
}

void run_reverse_sequence(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& lens_t = ctx.input(1);
  auto [taxis, baxis] = rs_axes(ctx.node());
  if (x.rank() < 2) ctx.fail("input must have rank >= 2, got ", dims_to_string(x.dims()));
  if (lens_t.dtype() != DType::kInt64)
    ctx.fail("sequence_lens must be int64, got ", dtype_name(lens_t.dtype()));
  const int64_t steps = x.dim(taxis), batch = x.dim(baxis);
  if (lens_t.rank() != 1 || lens_t.dim(0) != batch)
    ctx.fail("sequence_lens ", dims_to_string(lens_t.dims()), " must be [", batch, "]");
  const std::vector<int64_t> lens = lens_t.to_int64_vector();
  for (int64_t l : lens)
    if (l < 0 || l > steps) ctx.fail("sequence length ", l, " is outside [0, ", steps, "]");
  const int64_t inner = product(x.dims(), 2, x.rank());
  const std::vector<int64_t> strides = row_major_strides(x.dims());
  const int64_t tstride = strides[taxis], bstride = strides[baxis];
  Tensor out(x.dtype(), x.dims());
  dispatch_storage(x.dtype(), "ReverseSequence", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t t = 0; t < steps; ++t) {
        const int64_t from = t < len ? len - 1 - t : t;
        std::copy_n(src + b * bstride + from * tstride, inner, dst + b * bstride + t * tstride);
      }
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_reverse_sequence(InferContext& ctx) {
  rs_axes(ctx.node());
  ctx.set_output_type(0, ctx.input_type(0));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "ReverseSequence",
                  .since_version = 10,
                  .inputs = {2, 2},
                  .infer = infer_reverse_sequence,
                  .run = run_reverse_sequence});

}  // namespace onyx
