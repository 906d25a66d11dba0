// Det (opsets 11, 22): determinant of square matrices [..., M, M], by LU decomposition with partial pivoting in
// double precision (float16/bfloat16/float32 results rounded once).
#include "nn_util.h"

namespace onyx {
namespace {

double determinant(std::vector<double>& a, int64_t n) {
  double det = 1;
  for (int64_t c = 0; c < n; ++c) {
    int64_t piv = c;
    for (int64_t r = c + 1; r < n; ++r)
      if (std::abs(a[static_cast<size_t>(r * n + c)]) > std::abs(a[static_cast<size_t>(piv * n + c)])) piv = r;
    const double pv = a[static_cast<size_t>(piv * n + c)];
    if (pv == 0) return 0;
    if (piv != c) {
      for (int64_t k = 0; k < n; ++k) std::swap(a[static_cast<size_t>(piv * n + k)], a[static_cast<size_t>(c * n + k)]);
      det = -det;
    }
    det *= pv;
    for (int64_t r = c + 1; r < n; ++r) {
      const double f = a[static_cast<size_t>(r * n + c)] / pv;
      if (f == 0) continue;
      for (int64_t k = c; k < n; ++k) a[static_cast<size_t>(r * n + k)] -= f * a[static_cast<size_t>(c * n + k)];
    }
  }
  return det;
}

void run_det(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() < 2) ctx.fail("input must have rank >= 2 [..., M, M], got ", x.describe());
  const int64_t n = x.dim(x.rank() - 1);
  if (x.dim(x.rank() - 2) != n) ctx.fail("matrices must be square, got ", x.describe());
  const std::vector<int64_t> out_dims(x.dims().begin(), x.dims().end() - 2);
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    Tensor y(x.dtype(), out_dims);
    const T* xv = x.data<T>();
    T* yv = y.data<T>();
    const int64_t count = y.numel(), sz = n * n;
    parallel_for(count, 16, [&](int64_t b0, int64_t b1) {
      std::vector<double> a(static_cast<size_t>(sz));
      for (int64_t b = b0; b < b1; ++b) {
        for (int64_t i = 0; i < sz; ++i) a[static_cast<size_t>(i)] = static_cast<double>(xv[b * sz + i]);
        yv[b] = to_storage<T>(determinant(a, n));
      }
    });
    ctx.set_output(0, std::move(y));
  });
}

void infer_det(InferContext& ctx) {
  const Shape& s = ctx.input_shape(0);
  if (!s.rank_known()) {
    ctx.set_output(0, ctx.input_dtype(0), Shape::unknown_rank());
    return;
  }
  if (s.rank() < 2) ctx.fail("input must have rank >= 2 [..., M, M], got ", s.to_string());
  const Dim& a = s[s.rank() - 2];
  const Dim& b = s[s.rank() - 1];
  if (a.is_known() && b.is_known() && a.value() != b.value()) ctx.fail("matrices must be square, got ", s.to_string());
  ctx.set_output(0, ctx.input_dtype(0), Shape(std::vector<Dim>(s.dims().begin(), s.dims().end() - 2)));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Det", .since_version = 11, .inputs = {1, 1}, .infer = infer_det, .run = run_det});
ONYX_REGISTER_OP({.op_type = "Det", .since_version = 22, .inputs = {1, 1}, .infer = infer_det, .run = run_det});

}  // namespace onyx
