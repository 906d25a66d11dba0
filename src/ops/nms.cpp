// NonMaxSuppression (opset 10; 11 is the same): greedy per-(batch, class) selection.
//
// boxes [B, S, 4] ([y1, x1, y2, x2] any diagonal corners, or [xc, yc, w, h] with center_point_box=1); scores
// [B, C, S]. Candidates with score > score_threshold (when given) are visited by descending score (ties: lower box
// index first); a candidate is kept unless its IoU with an already kept box of the same class exceeds
// iou_threshold; at most max_output_boxes_per_class (default 0: none) are kept. Output int64 [K, 3] rows
// (batch, class, box) in batch, class, selection order.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "op.h"

namespace onyx {
namespace {

struct Box {
  double y1, x1, y2, x2;  // normalized: y1 <= y2, x1 <= x2
};

double iou(const Box& a, const Box& b) {
  const double area_a = (a.y2 - a.y1) * (a.x2 - a.x1);
  const double area_b = (b.y2 - b.y1) * (b.x2 - b.x1);
  if (area_a <= 0 || area_b <= 0) return 0;
  const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const double iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return 0;
  const double inter = ih * iw;
  return inter / (area_a + area_b - inter);
}

void infer_nms(InferContext& ctx) {
  const int64_t cpb = ctx.node().attr_int("center_point_box", 0);
  if (cpb != 0 && cpb != 1) ctx.fail("center_point_box must be 0 or 1, got ", cpb);
  ctx.set_output(0, DType::kInt64, Shape({Dim::unknown(), Dim(3)}));
}

double scalar_float(const Tensor& t, const Node& node, const char* what) {
  if (t.dtype() != DType::kFloat32) fail_bad_input(node.describe(), ": ", what, " must be float32");
  if (t.numel() != 1) fail_bad_input(node.describe(), ": ", what, " must hold one value, got ", t.describe());
  return t.data<float>()[0];
}

void run_nms(KernelContext& ctx) {
  const Node& node = ctx.node();
  const int64_t cpb = node.attr_int("center_point_box", 0);
  if (cpb != 0 && cpb != 1) ctx.fail("center_point_box must be 0 or 1, got ", cpb);
  const Tensor& boxes = ctx.input(0);
  const Tensor& scores = ctx.input(1);
  if (boxes.dtype() != DType::kFloat32 || scores.dtype() != DType::kFloat32)
    ctx.fail("boxes and scores must be float32");
  if (boxes.rank() != 3 || boxes.dim(2) != 4)
    ctx.fail("boxes must have shape [batches, boxes, 4], got ", dims_to_string(boxes.dims()));
  if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(2) != boxes.dim(1))
    ctx.fail("scores must have shape [", boxes.dim(0), ", classes, ", boxes.dim(1), "], got ",
             dims_to_string(scores.dims()));
  int64_t max_out = 0;
  if (ctx.has_input(2)) {
    const Tensor& t = ctx.input(2);
    if (t.dtype() != DType::kInt64 || t.numel() != 1)
      ctx.fail("max_output_boxes_per_class must be one int64 value, got ", t.describe());
    max_out = std::max<int64_t>(0, t.data<int64_t>()[0]);
  }
  const double iou_threshold = ctx.has_input(3) ? scalar_float(ctx.input(3), node, "iou_threshold") : 0.0;
  const bool has_score_threshold = ctx.has_input(4);
  const double score_threshold = has_score_threshold ? scalar_float(ctx.input(4), node, "score_threshold") : 0.0;
  if (iou_threshold < 0 || iou_threshold > 1) ctx.fail("iou_threshold must be in [0, 1], got ", iou_threshold);

  const int64_t B = boxes.dim(0), S = boxes.dim(1), C = scores.dim(1);
  const float* bp = boxes.data<float>();
  const float* sp = scores.data<float>();
  std::vector<int64_t> selected;  // flattened triples
  std::vector<Box> norm(static_cast<size_t>(S));
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t s = 0; s < S; ++s) {
      const float* v = bp + (b * S + s) * 4;
      Box& box = norm[static_cast<size_t>(s)];
      if (cpb == 0) {
        box = {std::min<double>(v[0], v[2]), std::min<double>(v[1], v[3]), std::max<double>(v[0], v[2]),
               std::max<double>(v[1], v[3])};
      } else {
        const double xc = v[0], yc = v[1], w = v[2], h = v[3];
        box = {yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2};
        if (box.y1 > box.y2) std::swap(box.y1, box.y2);
        if (box.x1 > box.x2) std::swap(box.x1, box.x2);
      }
    }
    for (int64_t c = 0; c < C && max_out > 0; ++c) {
      const float* sc = sp + (b * C + c) * S;
      std::vector<int64_t> order;
      for (int64_t s = 0; s < S; ++s)
        if (!std::isnan(sc[s]) && (!has_score_threshold || sc[s] > score_threshold)) order.push_back(s);
      std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) { return sc[i] > sc[j]; });
      std::vector<int64_t> kept;
      for (int64_t cand : order) {
        if (static_cast<int64_t>(kept.size()) >= max_out) break;
        bool keep = true;
        for (int64_t k : kept)
          if (iou(norm[static_cast<size_t>(cand)], norm[static_cast<size_t>(k)]) > iou_threshold) {
            keep = false;
            break;
          }
        if (!keep) continue;
        kept.push_back(cand);
        selected.insert(selected.end(), {b, c, cand});
      }
    }
  }
  Tensor out(DType::kInt64, {static_cast<int64_t>(selected.size() / 3), 3});
  std::copy(selected.begin(), selected.end(), out.data<int64_t>());
  ctx.set_output(0, out);
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "NonMaxSuppression", .since_version = 10, .inputs = {2, 5},
                  .infer = infer_nms, .run = run_nms});

}  // namespace onyx
