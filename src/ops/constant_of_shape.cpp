// ConstantOfShape: a tensor of the given shape filled with `value` (a one-element tensor attribute; default
// float 0).
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

Tensor fill_value(const Node& node) {
  const Tensor* v = node.attr_tensor("value");
  if (!v) return Tensor::scalar<float>(0.0f);
  if (v->numel() != 1) fail_bad_input(node.describe(), ": value must hold one element, got ", v->describe());
  return *v;
}

void run_constant_of_shape(KernelContext& ctx) {
  const Tensor& shape_t = ctx.input(0);
  if (shape_t.dtype() != DType::kInt64) ctx.fail("input must be int64, got ", dtype_name(shape_t.dtype()));
  const std::vector<int64_t> shape = int_input(ctx, 0, "input");
  for (int64_t d : shape)
    if (d < 0) ctx.fail("shape ", dims_to_string(shape), " has a negative dimension");
  const Tensor value = fill_value(ctx.node());
  Tensor out(value.dtype(), shape);
  dispatch_storage(value.dtype(), "ConstantOfShape",
                   [&]<typename S>() { std::fill_n(elems<S>(out), out.numel(), elems<S>(value)[0]); });
  ctx.set_output(0, std::move(out));
}

void infer_constant_of_shape(InferContext& ctx) {
  const DType dt = fill_value(ctx.node()).dtype();
  if (auto dims = known_dims(ctx, 0)) {
    for (const Dim& d : *dims)
      if (d.is_known() && d.value() < 0) ctx.fail("shape has a negative dimension");
    ctx.set_output(0, dt, Shape(*dims));
  } else if (auto n = known_length(ctx, 0)) {
    ctx.set_output(0, dt, unknown_dims(static_cast<size_t>(*n)));
  } else {
    ctx.set_output(0, dt, Shape::unknown_rank());
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "ConstantOfShape",
                  .since_version = 9,
                  .inputs = {1, 1},
                  .infer = infer_constant_of_shape,
                  .run = run_constant_of_shape});

}  // namespace onyx
