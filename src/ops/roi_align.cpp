// RoiAlign (opsets 10, 16, 22): for each region of interest (x1, y1, x2, y2 in input coordinates scaled by
// spatial_scale), an output_height x output_width grid of bins, each pooling sampling_ratio^2 bilinear samples
// (adaptive ceil(roi_size / bins) when sampling_ratio is 0). Opset 16 added coordinate_transformation_mode: the
// default half_pixel shifts coordinates by -0.5; output_half_pixel (opset 10's behaviour) does not, and forces
// regions to be at least 1x1.
// mode=max takes, per sample, the largest of the four weighted corner values, and the maximum over samples (the
// behaviour of the ONNX reference and test data).
#include "nn_util.h"

namespace onyx {
namespace {

struct RoiAttrs {
  bool max_mode = false;
  int64_t out_h = 1, out_w = 1, sampling_ratio = 0;
  float spatial_scale = 1.f;
  bool half_pixel = false;
};

RoiAttrs parse_roi(const Node& node) {
  RoiAttrs a;
  const std::string mode = node.attr_string("mode", "avg");
  if (mode != "avg" && mode != "max") fail_bad_input(node.describe(), ": mode must be avg or max, got '", mode, "'");
  a.max_mode = mode == "max";
  a.out_h = node.attr_int("output_height", 1);
  a.out_w = node.attr_int("output_width", 1);
  a.sampling_ratio = node.attr_int("sampling_ratio", 0);
  a.spatial_scale = node.attr_float("spatial_scale", 1.f);
  if (a.out_h < 1 || a.out_w < 1) fail_bad_input(node.describe(), ": output_height/output_width must be positive");
  if (a.sampling_ratio < 0) fail_bad_input(node.describe(), ": sampling_ratio must not be negative");
  if (node.opset >= 16) {
    const std::string ctm = node.attr_string("coordinate_transformation_mode", "half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      fail_bad_input(node.describe(), ": coordinate_transformation_mode must be half_pixel or output_half_pixel, got '",
                     ctm, "'");
    a.half_pixel = ctm == "half_pixel";
  }
  return a;
}

void run_roi_align(KernelContext& ctx) {
  const RoiAttrs a = parse_roi(ctx.node());
  const Tensor& x = ctx.input(0);
  const Tensor& rois = ctx.input(1);
  const Tensor& bi = ctx.input(2);
  if (x.rank() != 4) ctx.fail("X must be 4-D [N, C, H, W], got ", x.describe());
  if (rois.dtype() != x.dtype() || rois.rank() != 2 || rois.dim(1) != 4)
    ctx.fail("rois must be [num_rois, 4] of X's dtype, got ", rois.describe());
  if (bi.dtype() != DType::kInt64 || bi.rank() != 1 || bi.dim(0) != rois.dim(0))
    ctx.fail("batch_indices must be int64 [", rois.dim(0), "], got ", bi.describe());
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), nr = rois.dim(0);
  const std::vector<int64_t> batch = bi.to_int64_vector();
  for (int64_t b : batch)
    if (b < 0 || b >= n) ctx.fail("batch index ", b, " is outside [0, ", n, ")");
  dispatch_float(x.dtype(), ctx.node().describe(), [&]<typename T>() {
    Tensor y(x.dtype(), {nr, c, a.out_h, a.out_w});
    const T* xv = x.data<T>();
    const T* rv = rois.data<T>();
    T* yv = y.data<T>();
    const double offset = a.half_pixel ? 0.5 : 0.0;
    parallel_for(nr * c, 1, [&](int64_t r0, int64_t r1) {
      for (int64_t rc = r0; rc < r1; ++rc) {
        const int64_t r = rc / c, ch = rc % c;
        const double sx = static_cast<double>(rv[r * 4 + 0]) * a.spatial_scale - offset;
        const double sy = static_cast<double>(rv[r * 4 + 1]) * a.spatial_scale - offset;
        const double ex = static_cast<double>(rv[r * 4 + 2]) * a.spatial_scale - offset;
        const double ey = static_cast<double>(rv[r * 4 + 3]) * a.spatial_scale - offset;
        double rw = ex - sx, rh = ey - sy;
        if (!a.half_pixel) {
          rw = std::max(rw, 1.0);
          rh = std::max(rh, 1.0);
        }
        const double bh = rh / static_cast<double>(a.out_h), bw = rw / static_cast<double>(a.out_w);
        const int64_t gh = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<int64_t>(std::ceil(rh / static_cast<double>(a.out_h)));
        const int64_t gw = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<int64_t>(std::ceil(rw / static_cast<double>(a.out_w)));
        const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
        const T* plane = xv + (batch[static_cast<size_t>(r)] * c + ch) * h * w;
        T* out = yv + rc * a.out_h * a.out_w;
        for (int64_t ph = 0; ph < a.out_h; ++ph)
          for (int64_t pw = 0; pw < a.out_w; ++pw) {
            double acc = 0;
            bool any = false;
            for (int64_t iy = 0; iy < gh; ++iy) {
              double yy = sy + static_cast<double>(ph) * bh + (static_cast<double>(iy) + 0.5) * bh / static_cast<double>(gh);
              for (int64_t ix = 0; ix < gw; ++ix) {
                double xx = sx + static_cast<double>(pw) * bw + (static_cast<double>(ix) + 0.5) * bw / static_cast<double>(gw);
                double v = 0;
                if (!(yy < -1.0 || yy > static_cast<double>(h) || xx < -1.0 || xx > static_cast<double>(w)) && h > 0 && w > 0) {
                  double cy = std::max(yy, 0.0), cx = std::max(xx, 0.0);
                  int64_t y0 = static_cast<int64_t>(cy), x0 = static_cast<int64_t>(cx), y1, x1;
                  if (y0 >= h - 1) {
                    y0 = y1 = h - 1;
                    cy = static_cast<double>(y0);
                  } else {
                    y1 = y0 + 1;
                  }
                  if (x0 >= w - 1) {
                    x0 = x1 = w - 1;
                    cx = static_cast<double>(x0);
                  } else {
                    x1 = x0 + 1;
                  }
                  const double ly = cy - static_cast<double>(y0), lx = cx - static_cast<double>(x0);
                  const double hy = 1 - ly, hx = 1 - lx;
                  const double v1 = hy * hx * static_cast<double>(plane[y0 * w + x0]);
                  const double v2 = hy * lx * static_cast<double>(plane[y0 * w + x1]);
                  const double v3 = ly * hx * static_cast<double>(plane[y1 * w + x0]);
                  const double v4 = ly * lx * static_cast<double>(plane[y1 * w + x1]);
                  v = a.max_mode ? std::max(std::max(v1, v2), std::max(v3, v4)) : v1 + v2 + v3 + v4;
                }
                if (a.max_mode) {
                  acc = any ? std::max(acc, v) : v;
                  any = true;
                } else {
                  acc += v;
                }
              }
            }
            out[ph * a.out_w + pw] = to_storage<T>(a.max_mode ? acc : acc / count);
          }
      }
    });
    ctx.set_output(0, std::move(y));
  });
}

void infer_roi_align(InferContext& ctx) {
  const RoiAttrs a = parse_roi(ctx.node());
  const Shape& xs = ctx.input_shape(0);
  const Shape& rs = ctx.input_shape(1);
  if (xs.rank_known() && xs.rank() != 4) ctx.fail("X must be 4-D [N, C, H, W], got ", xs.to_string());
  if (rs.rank_known() && rs.rank() != 2) ctx.fail("rois must be 2-D [num_rois, 4], got ", rs.to_string());
  ctx.set_output(0, ctx.input_dtype(0),
                 Shape({rs.rank_known() ? rs[0] : Dim::unknown(), xs.rank_known() ? xs[1] : Dim::unknown(), Dim(a.out_h),
                        Dim(a.out_w)}));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "RoiAlign", .since_version = 10, .inputs = {3, 3}, .infer = infer_roi_align,
                  .run = run_roi_align});
ONYX_REGISTER_OP({.op_type = "RoiAlign", .since_version = 16, .inputs = {3, 3}, .infer = infer_roi_align,
                  .run = run_roi_align});
ONYX_REGISTER_OP({.op_type = "RoiAlign", .since_version = 22, .inputs = {3, 3}, .infer = infer_roi_align,
                  .run = run_roi_align});

}  // namespace onyx
