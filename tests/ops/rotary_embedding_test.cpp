#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(std::move(dims), v); }

void expect_near(const Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(want.size())) << t.describe();
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(t.get_double(static_cast<int64_t>(i)), want[i], tol) << i;
}

TEST(RotaryEmbedding, RotatesHalvesOrInterleavedPairs) {
  // One head of size 4, one token; angles with (cos, sin) = (0, 1) and (0.6, 0.8).
  const Tensor x = f32({1, 1, 1, 4}, {1, 2, 3, 4});
  const Tensor c = f32({1, 1, 2}, {0, 0.6f}), s = f32({1, 1, 2}, {1, 0.8f});
  test::SingleOp op{.op_type = "RotaryEmbedding", .opset = 23, .inputs = {x, c, s}};
  // halves: pairs (1, 3) and (2, 4)
  expect_near(op.run()[0], {1 * 0 - 3 * 1, 2 * 0.6 - 4 * 0.8, 3 * 0 + 1 * 1, 4 * 0.6 + 2 * 0.8});
  op.attributes = {test::attr_int("interleaved", 1)};
  // pairs (1, 2) and (3, 4)
  expect_near(op.run()[0], {1 * 0 - 2 * 1, 2 * 0 + 1 * 1, 3 * 0.6 - 4 * 0.8, 4 * 0.6 + 3 * 0.8});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,1,1,4]");
}

TEST(RotaryEmbedding, PositionIdsPartialRotationAnd3D) {
  // 3-D input [B=1, S=2, H*D = 2*4], rotary dim 2: only elements 0, 1 of each head turn; rows picked by position.
  const Tensor x = f32({1, 2, 8}, {1, 2, 3, 4, 5, 6, 7, 8, -1, -2, -3, -4, -5, -6, -7, -8});
  const Tensor c = f32({3, 1}, {1, 0, -1}), s = f32({3, 1}, {0, 1, 0});
  const Tensor pos = Tensor::from_vector<int64_t>({1, 2}, {1, 2});
  test::SingleOp op{.op_type = "RotaryEmbedding",
                    .opset = 23,
                    .inputs = {x, c, s, pos},
                    .attributes = {test::attr_int("num_heads", 2), test::attr_int("rotary_embedding_dim", 2)}};
  // token 0 uses row 1 (cos 0, sin 1): (a, b) → (-b, a); token 1 uses row 2 (cos -1, sin 0): (a, b) → (-a, -b).
  expect_near(op.run()[0], {-2, 1, 3, 4, -6, 5, 7, 8, 1, 2, -3, -4, 5, 6, -7, -8});
}

TEST(RotaryEmbedding, RejectsBadCachesAndPositions) {
  const Tensor x = f32({1, 1, 1, 4}, {1, 2, 3, 4});
  test::SingleOp op{.op_type = "RotaryEmbedding",
                    .opset = 23,
                    .inputs = {x, f32({1, 1, 1}, {1}), f32({1, 1, 1}, {0})}};
  EXPECT_THROW(op.run(), Error);  // caches must be [1, 1, 2]
  op.inputs = {x, f32({2, 2}, {1, 1, 1, 1}), f32({2, 2}, {0, 0, 0, 0}), Tensor::from_vector<int64_t>({1, 1}, {2})};
  EXPECT_THROW(op.run(), Error);  // position 2 outside a 2-row cache
  op.inputs = {f32({1, 1, 4}, {1, 2, 3, 4}), f32({1, 1, 2}, {1, 1}), f32({1, 1, 2}, {0, 0})};
  EXPECT_THROW(op.run(), Error);  // 3-D input without num_heads
  op.attributes = {test::attr_int("num_heads", 1), test::attr_int("rotary_embedding_dim", 3)};
  EXPECT_THROW(op.run(), Error);  // odd rotary dimension
}

}  // namespace
}  // namespace onyx
