// Flatten: the input as a 2-D matrix [prod(dims[:axis]), prod(dims[axis:])]. Negative axes from opset 11.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

int64_t flatten_axis(const Node& node, int64_t rank) {
  // [-rank, rank]; negative counts from the end like any axis.
  const int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank)
    fail_bad_input(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

void run_flatten(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const size_t axis = static_cast<size_t>(flatten_axis(ctx.node(), static_cast<int64_t>(x.rank())));
  ctx.set_output(0, x.reshaped({product(x.dims(), 0, axis), product(x.dims(), axis, x.rank())}));
}

void infer_flatten(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, unknown_dims(2));
    return;
  }
  const size_t axis = static_cast<size_t>(flatten_axis(ctx.node(), static_cast<int64_t>(in.rank())));
  ctx.set_output(
      0, dt,
      Shape(std::vector<Dim>{dim_product(in.dims(), 0, axis), dim_product(in.dims(), axis, in.rank())}));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Flatten", .since_version = 1, .inputs = {1, 1}, .infer = infer_flatten, .run = run_flatten});

}  // namespace onyx
