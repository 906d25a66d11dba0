// Tile: repeats the input `repeats[i]` times along each axis i. Opset 1 took (input, tiles, axis) and
// repeated along one axis.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

Tensor tile(const KernelContext& ctx, const Tensor& x, const std::vector<int64_t>& repeats) {
  if (repeats.size() != x.rank())
    ctx.fail("repeats ", dims_to_string(repeats), " must have one entry per input axis (rank ", x.rank(),
             ")");
  std::vector<int64_t> out_dims(x.rank());
  for (size_t i = 0; i < x.rank(); ++i) {
    if (repeats[i] < 0) ctx.fail("repeats ", dims_to_string(repeats), " has a negative entry");
    // Checked before the product exists (signed overflow is undefined; found by fuzz_plan).
    if (__builtin_mul_overflow(x.dim(i), repeats[i], &out_dims[i]))
      ctx.fail("output is too large (axis ", i, ": ", x.dim(i), " x ", repeats[i], ")");
  }
  Tensor out(x.dtype(), out_dims);
  if (out.numel() == 0) return out;
  if (x.rank() == 0) return x.clone();
  const size_t rank = x.rank();
  const std::vector<int64_t> in_strides = row_major_strides(x.dims());
  dispatch_storage(x.dtype(), "Tile", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    const int64_t inner = x.dim(rank - 1);
    const int64_t rows = out.numel() / out_dims[rank - 1];
    std::vector<int64_t> counter(rank, 0);  // output coordinates of the current row (last axis unused)
    for (int64_t row = 0; row < rows; ++row) {
      int64_t in_off = 0;
      for (size_t d = 0; d + 1 < rank; ++d) in_off += (counter[d] % x.dim(d)) * in_strides[d];
      S* o = dst + row * out_dims[rank - 1];
      for (int64_t r = 0; r < repeats[rank - 1]; ++r) std::copy_n(src + in_off, inner, o + r * inner);
      for (size_t d = rank - 1; d-- > 0;) {
        if (++counter[d] < out_dims[d]) break;
        counter[d] = 0;
      }
    }
  });
  return out;
}

void run_tile(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  ctx.set_output(0, tile(ctx, x, int_input(ctx, 1, "repeats")));
}

void infer_tile(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (auto reps = known_dims(ctx, 1)) {
    if (reps->size() != in.rank())
      ctx.fail("repeats has ", reps->size(), " entries for an input of rank ", in.rank());
    std::vector<Dim> out;
    for (size_t i = 0; i < in.rank(); ++i) out.push_back(dim_mul(in[i], (*reps)[i]));
    ctx.set_output(0, dt, Shape(std::move(out)));
    return;
  }
  ctx.set_output(0, dt, unknown_dims(in.rank()));
}

// Tile-1: inputs (input, tiles, axis), both scalars.
void run_tile_1(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto tiles = int_input(ctx, 1, "tiles");
  const auto axis_v = int_input(ctx, 2, "axis");
  if (tiles.size() != 1 || axis_v.size() != 1) ctx.fail("tiles and axis must be scalars");
  const size_t axis =
      static_cast<size_t>(normalize_axis(axis_v[0], static_cast<int64_t>(x.rank()), ctx.node()));
  std::vector<int64_t> repeats(x.rank(), 1);
  repeats[axis] = tiles[0];
  ctx.set_output(0, tile(ctx, x, repeats));
}

void infer_tile_1(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  ctx.set_output(0, ctx.input_dtype(0), in.rank_known() ? unknown_dims(in.rank()) : Shape::unknown_rank());
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Tile", .since_version = 1, .inputs = {3, 3}, .infer = infer_tile_1, .run = run_tile_1});
ONYX_REGISTER_OP(
    {.op_type = "Tile", .since_version = 6, .inputs = {2, 2}, .infer = infer_tile, .run = run_tile});

}  // namespace onyx
