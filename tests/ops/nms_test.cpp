#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

std::vector<int64_t> nms(std::vector<Tensor> inputs, int64_t center_point_box = 0) {
  test::SingleOp op{.op_type = "NonMaxSuppression",
                    .opset = 11,
                    .inputs = std::move(inputs),
                    .attributes = {test::attr_int("center_point_box", center_point_box)}};
  auto out = op.run();
  EXPECT_EQ(out[0].dim(1), 3);
  return test::values<int64_t>(out[0]);
}

TEST(NonMaxSuppression, SuppressesOverlapsByScoreOrder) {
  // Box 1 overlaps box 0 (IoU 0.81), box 2 is apart; corners given in either diagonal order.
  const Tensor boxes = f32({1, 3, 4}, {0, 0, 1, 1, 1, 1, 0.1f, 0.1f, 2, 2, 3, 3});
  const Tensor scores = f32({1, 1, 3}, {0.8f, 0.9f, 0.1f});
  EXPECT_EQ(nms({boxes, scores, Tensor::from_vector<int64_t>({1}, {5}), f32({1}, {0.5f})}),
            (std::vector<int64_t>{0, 0, 1, 0, 0, 2}));
  // iou_threshold above the overlap keeps both; max_output limits the count.
  EXPECT_EQ(nms({boxes, scores, Tensor::from_vector<int64_t>({1}, {2}), f32({1}, {0.9f})}),
            (std::vector<int64_t>{0, 0, 1, 0, 0, 0}));
  // score_threshold drops box 2; no max_output means no boxes.
  EXPECT_EQ(nms({boxes, scores, Tensor::from_vector<int64_t>({1}, {5}), f32({1}, {0.5f}), f32({1}, {0.2f})}),
            (std::vector<int64_t>{0, 0, 1}));
  EXPECT_TRUE(nms({boxes, scores}).empty());
}

TEST(NonMaxSuppression, CenterPointBoxesAndBatchesAndClasses) {
  // The same boxes as centre/size: [xc, yc, w, h].
  const Tensor boxes = f32({2, 2, 4}, {0.5f, 0.5f, 1, 1, 0.55f, 0.55f, 1, 1, 5, 5, 1, 1, 9, 9, 1, 1});
  const Tensor scores = f32({2, 2, 2}, {0.3f, 0.4f, 0.9f, 0.1f, 0.5f, 0.6f, 0.7f, 0.8f});
  EXPECT_EQ(nms({boxes, scores, Tensor::from_vector<int64_t>({1}, {3}), f32({1}, {0.5f})}, 1),
            (std::vector<int64_t>{0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0}));
}

TEST(NonMaxSuppression, RejectsBadShapes) {
  test::SingleOp op{.op_type = "NonMaxSuppression",
                    .opset = 10,
                    .inputs = {f32({1, 2, 3}, {0, 0, 1, 1, 2, 2}), f32({1, 1, 2}, {1, 1})}};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {f32({1, 2, 4}, {0, 0, 1, 1, 0, 0, 1, 1}), f32({1, 1, 3}, {1, 1, 1})};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {test::attr_int("center_point_box", 2)};
  EXPECT_THROW(op.infer(), Error);
}

}  // namespace
}  // namespace onyx
