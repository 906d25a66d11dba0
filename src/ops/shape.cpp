// Shape (the input's dimensions as int64 [rank], sliced by start/end from opset 15) and Size (the element
// count as an int64 scalar). Both publish their values as partials so symbolic dims flow into Reshape & co.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

// [start, end) of the dims Shape returns, clamped like a slice.
std::pair<int64_t, int64_t> shape_range(const Node& node, int64_t rank) {
  int64_t start = node.attr_int("start", 0);
  int64_t end = node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  return {start, std::max(start, end)};
}

void run_shape(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  auto [start, end] = shape_range(ctx.node(), static_cast<int64_t>(x.rank()));
  std::vector<int64_t> dims(x.dims().begin() + start, x.dims().begin() + end);
  ctx.set_output(0, Tensor::from_vector<int64_t>({end - start}, dims));
}

void infer_shape(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, DType::kInt64, unknown_dims(1));
    return;
  }
  auto [start, end] = shape_range(ctx.node(), static_cast<int64_t>(in.rank()));
  ctx.set_output(0, DType::kInt64, Shape({end - start}));
  ctx.set_output_partial(0, std::vector<Dim>(in.dims().begin() + start, in.dims().begin() + end));
}

void run_size(KernelContext& ctx) {
  ctx.set_output(0, Tensor::scalar<int64_t>(ctx.input(0).numel()));
}

void infer_size(InferContext& ctx) {
  ctx.set_output(0, DType::kInt64, Shape());
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) return;
  const Dim n = dim_product(in.dims(), 0, in.rank());
  if (n.is_known() || n.is_symbolic()) ctx.set_output_partial(0, {n});
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Shape", .since_version = 1, .inputs = {1, 1}, .infer = infer_shape, .run = run_shape});
ONYX_REGISTER_OP(
    {.op_type = "Shape", .since_version = 15, .inputs = {1, 1}, .infer = infer_shape, .run = run_shape});
ONYX_REGISTER_OP(
    {.op_type = "Size", .since_version = 1, .inputs = {1, 1}, .infer = infer_size, .run = run_size});

}  // namespace onyx
