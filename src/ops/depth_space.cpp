// DepthToSpace (moves channel blocks into blocksize x blocksize spatial tiles; mode DCR (default) or CRD from
// opset 11) and SpaceToDepth (the inverse of DCR). Both are a 6-D reshape + transpose, done as one strided
// copy.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

int64_t blocksize(const Node& node) {
  const int64_t b = node.attr_int("blocksize");
  if (b < 1) fail_bad_input(node.describe(), ": blocksize must be >= 1, got ", b);
  return b;
}

bool crd_mode(const Node& node) {
  const std::string m = node.attr_string("mode", "DCR");
  if (m == "DCR") return false;
  if (m == "CRD") return true;
  fail_bad_input(node.describe(), ": mode '", m, "' must be DCR or CRD");
}

// Copies x viewed as `view` (6-D) transposed by `perm` into a tensor of `out_dims`.
Tensor permuted_copy(const Tensor& x, const std::vector<int64_t>& view, const std::vector<int64_t>& perm,
                     const std::vector<int64_t>& out_dims, const char* op) {
  const std::vector<int64_t> strides = row_major_strides(view);
  std::vector<int64_t> dims(6), src_strides(6);
  for (size_t i = 0; i < 6; ++i) {
    dims[i] = view[static_cast<size_t>(perm[i])];
    src_strides[i] = strides[static_cast<size_t>(perm[i])];
  }
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), op, [&]<typename S>() {
    copy_strided(elems<S>(x), 0, src_strides, elems<S>(out), 0, row_major_strides(dims), dims);
  });
  return out;
}

void run_depth_to_space(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) ctx.fail("input must be 4-D [N,C,H,W], got ", dims_to_string(x.dims()));
  const int64_t b = blocksize(ctx.node());
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t bb = checked_mul(b, b, ctx.node());
  if (c % bb != 0) ctx.fail("channels ", c, " are not divisible by blocksize^2 = ", bb);
  const int64_t oc = c / bb;
  const std::vector<int64_t> out_dims{n, oc, checked_mul(h, b, ctx.node()), checked_mul(w, b, ctx.node())};
  if (crd_mode(ctx.node()))
    ctx.set_output(0, permuted_copy(x, {n, oc, b, b, h, w}, {0, 1, 4, 2, 5, 3}, out_dims, "DepthToSpace"));
  else
    ctx.set_output(0, permuted_copy(x, {n, b, b, oc, h, w}, {0, 3, 4, 1, 5, 2}, out_dims, "DepthToSpace"));
}

void run_space_to_depth(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) ctx.fail("input must be 4-D [N,C,H,W], got ", dims_to_string(x.dims()));
  const int64_t b = blocksize(ctx.node());
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  if (h % b != 0 || w % b != 0) ctx.fail("spatial size ", h, "x", w, " is not divisible by blocksize ", b);
  ctx.set_output(0,
                 permuted_copy(x, {n, c, h / b, b, w / b, b}, {0, 3, 5, 1, 2, 4},
                               {n, checked_mul(c, checked_mul(b, b, ctx.node()), ctx.node()), h / b, w / b},
                               "SpaceToDepth"));
}

Dim scaled(const Dim& d, int64_t mul, int64_t div, const InferContext& ctx, const char* what) {
  if (!d.is_known()) return Dim();
  if (d.value() % div != 0) ctx.fail(what, " ", d.value(), " is not divisible by ", div);
  return Dim(checked_mul(d.value() / div, mul, ctx.node()));
}

void infer_depth_to_space(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const int64_t b = blocksize(ctx.node());
  crd_mode(ctx.node());
  if (!in.rank_known()) return ctx.set_output(0, dt, unknown_dims(4));
  if (in.rank() != 4) ctx.fail("input must be 4-D [N,C,H,W], got ", in.to_string());
  ctx.set_output(
      0, dt,
      Shape(std::vector<Dim>{in[0], scaled(in[1], 1, checked_mul(b, b, ctx.node()), ctx, "channels"),
                             scaled(in[2], b, 1, ctx, "height"), scaled(in[3], b, 1, ctx, "width")}));
}

void infer_space_to_depth(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const int64_t b = blocksize(ctx.node());
  if (!in.rank_known()) return ctx.set_output(0, dt, unknown_dims(4));
  if (in.rank() != 4) ctx.fail("input must be 4-D [N,C,H,W], got ", in.to_string());
  ctx.set_output(
      0, dt,
      Shape(std::vector<Dim>{in[0], scaled(in[1], checked_mul(b, b, ctx.node()), 1, ctx, "channels"),
                             scaled(in[2], 1, b, ctx, "height"), scaled(in[3], 1, b, ctx, "width")}));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "DepthToSpace",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_depth_to_space,
                  .run = run_depth_to_space});
ONYX_REGISTER_OP({.op_type = "DepthToSpace",
                  .since_version = 11,
                  .inputs = {1, 1},
                  .infer = infer_depth_to_space,
                  .run = run_depth_to_space});
ONYX_REGISTER_OP({.op_type = "SpaceToDepth",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_space_to_depth,
                  .run = run_space_to_depth});

}  // namespace onyx
