// Where(condition, X, Y): X where condition is true, else Y; the three inputs broadcast numpy-style.
// Where-9 and Where-16 differ only in dtypes (16 adds bfloat16); X and Y may be any numeric, bool or string type.
#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

void infer_where(InferContext& ctx) {
  const DType c = elementwise::known_dtype(ctx, 0);
  const DType x = elementwise::known_dtype(ctx, 1);
  const DType y = elementwise::known_dtype(ctx, 2);
  elementwise::check_dtype(ctx.node(), "condition", c, Family::kBool);
  elementwise::check_dtype(ctx.node(), "X", x, Family::kAny);
  elementwise::check_dtype(ctx.node(), "Y", y, Family::kAny);
  elementwise::check_same_dtype(ctx.node(), x, y, "X", "Y");
  ctx.set_output(0, x != DType::kUndefined ? x : y,
                 broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2)}, ctx.node()));
}

void run_where(KernelContext& ctx) {
  const Tensor& cond = ctx.input(0);
  const Tensor& x = ctx.input(1);
  const Tensor& y = ctx.input(2);
  elementwise::check_dtype(ctx.node(), "condition", cond.dtype(), Family::kBool);
  elementwise::check_dtype(ctx.node(), "X", x.dtype(), Family::kAny);
  elementwise::check_same_dtype(ctx.node(), x.dtype(), y.dtype(), "X", "Y");
  const std::vector<int64_t> dims = broadcast_dims({cond.dims(), x.dims(), y.dims()}, ctx.node());
  Tensor out(x.dtype(), dims);
  elementwise::dispatch_family<Family::kAny>(x.dtype(), "Where", [&]<typename T>() {
    const bool* pc = cond.data<bool>();
    const T* px = x.data<T>();
    const T* py = y.data<T>();
    T* po = out.data<T>();
    const int64_t n = out.numel();
    if (cond.numel() == n && x.numel() == n && y.numel() == n) {
      elementwise::parallel_range(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) po[i] = pc[i] ? px[i] : py[i];
      });
    } else {
      for_each_broadcast<3>(dims, {cond.dims(), x.dims(), y.dims()},
                            [&](int64_t i, int64_t ic, int64_t ix, int64_t iy) { po[i] = pc[ic] ? px[ix] : py[iy]; });
    }
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Where", .since_version = 9, .inputs = {3, 3}, .infer = infer_where, .run = run_where});

}  // namespace onyx
