// AffineGrid (opset 20): sampling grids for GridSample from affine matrices.
//
// theta [N, 2, 3] with size [N, C, H, W] → grid [N, H, W, 2]; theta [N, 3, 4] with size [N, C, D, H, W] → grid
// [N, D, H, W, 3]. The base grid holds normalized coordinates per axis: align_corners=1 spaces L points evenly from
// -1 to 1 (a single point sits at -1); align_corners=0 uses pixel centres (2i+1)/L - 1. Each output vector is
// theta[n] * (x, y[, z], 1) with x along the last axis.
#include <vector>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

bool align_corners_of(const Node& node) { return node.attr_int("align_corners", 0) != 0; }

void infer_affine_grid(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("theta must be a float tensor, got ", dtype_name(dt));
  const std::vector<Dim>* size = ctx.input_partial(1);
  if (!size) {
    const Shape& ss = ctx.input_shape(1);
    if (ss.rank_known() && ss.rank() == 1 && ss[0].is_known()) {
      const int64_t n = ss[0].value();
      if (n != 4 && n != 5) ctx.fail("size must have 4 or 5 elements, got ", n);
      std::vector<Dim> d(static_cast<size_t>(n), Dim::unknown());
      d[static_cast<size_t>(n - 1)] = n - 2;
      ctx.set_output(0, dt, Shape(d));
    } else {
      ctx.set_output_type(0, TypeInfo::tensor(dt));
    }
    return;
  }
  if (size->size() != 4 && size->size() != 5) ctx.fail("size must have 4 or 5 elements, got ", size->size());
  std::vector<Dim> out = {(*size)[0]};
  for (size_t i = 2; i < size->size(); ++i) out.push_back((*size)[i]);
  out.push_back(static_cast<int64_t>(size->size()) - 2);
  ctx.set_output(0, dt, Shape(out));
}

std::vector<double> base_coords(int64_t len, bool align_corners) {
  std::vector<double> c(static_cast<size_t>(len));
  for (int64_t i = 0; i < len; ++i) {
    if (align_corners)
      c[static_cast<size_t>(i)] = len > 1 ? -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(len - 1) : -1.0;
    else
      c[static_cast<size_t>(i)] = (2.0 * static_cast<double>(i) + 1.0) / static_cast<double>(len) - 1.0;
  }
  return c;
}

template <typename T>
void run_typed(KernelContext& ctx, const std::vector<int64_t>& size, bool align_corners) {
  const Tensor& theta = ctx.input(0);
  const int64_t r = static_cast<int64_t>(size.size()) - 2;  // 2 or 3
  const int64_t N = size[0];
  const int64_t D = r == 3 ? size[2] : 1, H = size[r == 3 ? 3 : 2], W = size[r == 3 ? 4 : 3];
  std::vector<int64_t> out_dims = {N};
  if (r == 3) out_dims.push_back(D);
  out_dims.push_back(H);
  out_dims.push_back(W);
  out_dims.push_back(r);
  Tensor out(theta.dtype(), out_dims);
  if (out.numel() == 0) {
    ctx.set_output(0, out);
    return;
  }
  const std::vector<double> xs = base_coords(W, align_corners), ys = base_coords(H, align_corners),
                            zs = base_coords(D, align_corners);
  const T* th = theta.data<T>();
  T* dst = out.data<T>();
  const int64_t cols = r + 1;
  for (int64_t n = 0; n < N; ++n) {
    std::vector<double> m(static_cast<size_t>(r * cols));
    for (int64_t i = 0; i < r * cols; ++i)
      m[static_cast<size_t>(i)] = static_cast<compute_t<T>>(th[n * r * cols + i]);
    for (int64_t d = 0; d < D; ++d)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t w = 0; w < W; ++w) {
          const double v[4] = {xs[static_cast<size_t>(w)], ys[static_cast<size_t>(h)],
                               r == 3 ? zs[static_cast<size_t>(d)] : 1.0, 1.0};
          T* o = dst + (((n * D + d) * H + h) * W + w) * r;
          for (int64_t k = 0; k < r; ++k) {
            double acc = 0;
            for (int64_t j = 0; j < cols; ++j) acc += m[static_cast<size_t>(k * cols + j)] * v[r == 3 ? j : (j < 2 ? j : 3)];
            o[k] = to_storage<T>(acc);
          }
        }
  }
  ctx.set_output(0, out);
}

void run_affine_grid(KernelContext& ctx) {
  const Tensor& theta = ctx.input(0);
  const Tensor& size_t_ = ctx.input(1);
  if (size_t_.dtype() != DType::kInt64 || size_t_.rank() != 1)
    ctx.fail("size must be a 1-D int64 tensor, got ", size_t_.describe());
  const std::vector<int64_t> size = size_t_.to_int64_vector();
  if (size.size() != 4 && size.size() != 5) ctx.fail("size must have 4 or 5 elements, got ", size.size());
  for (int64_t s : size)
    if (s < 0) ctx.fail("size values must be non-negative, got ", dims_to_string(size));
  const int64_t r = static_cast<int64_t>(size.size()) - 2;
  if (theta.rank() != 3 || theta.dim(0) != size[0] || theta.dim(1) != r || theta.dim(2) != r + 1)
    ctx.fail("theta must have shape [", size[0], ",", r, ",", r + 1, "], got ", dims_to_string(theta.dims()));
  dispatch_float(theta.dtype(), ctx.node().describe(),
                 [&]<typename T>() { run_typed<T>(ctx, size, align_corners_of(ctx.node())); });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "AffineGrid", .since_version = 20, .inputs = {2, 2}, .infer = infer_affine_grid,
                  .run = run_affine_grid});

}  // namespace onyx
