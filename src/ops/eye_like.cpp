// EyeLike: a 2-D tensor shaped like the input with ones on the k-th diagonal (k > 0 above the main diagonal)
// and zeros elsewhere; dtype from the `dtype` attribute or the input.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

DType eye_dtype(const Node& node, DType input) {
  if (!node.has_attr("dtype")) return input;
  const int64_t d = node.attr_int("dtype", 0);
  if (d > INT32_MAX || !dtype_is_valid(static_cast<int32_t>(d)))
    fail_bad_input(node.describe(), ": dtype ", d, " is not a valid ONNX dtype");
  return static_cast<DType>(d);
}

void run_eye_like(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() != 2) ctx.fail("input must be 2-D, got ", dims_to_string(x.dims()));
  const DType dt = eye_dtype(ctx.node(), x.dtype());
  const int64_t k = ctx.node().attr_int("k", 0);
  Tensor out(dt, x.dims());
  const int64_t rows = x.dim(0), cols = x.dim(1);
  dispatch_numeric_bool(dt, ctx.node().describe(), [&]<typename T>() {
    T* o = out.data<T>();
    const T one = to_storage<T>(1);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k;
      if (j >= 0 && j < cols) o[i * cols + j] = one;
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_eye_like(InferContext& ctx) {
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known() && in.rank() != 2) ctx.fail("input must be 2-D, got ", in.to_string());
  const DType in_dt = ctx.input_dtype(0);
  DType dt = eye_dtype(ctx.node(), in_dt);
  ctx.set_output(0, dt, in.rank_known() ? in : unknown_dims(2));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "EyeLike",
                  .since_version = 9,
                  .inputs = {1, 1},
                  .infer = infer_eye_like,
                  .run = run_eye_like});

}  // namespace onyx
