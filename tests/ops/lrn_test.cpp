#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

TEST(LRN, ChannelWindow) {
  // 3 channels, size 2: window(c) = [c, c + 1].
  const Tensor x = Tensor::from_vector<float>({1, 3, 1, 1}, {1, 2, 3});
  test::SingleOp op{.op_type = "LRN",
                    .inputs = {x},
                    .attributes = {test::attr_int("size", 2), test::attr_float("alpha", 2), test::attr_float("beta", 1),
                                   test::attr_float("bias", 1)}};
  const auto y = test::values<float>(op.run()[0]);
  EXPECT_FLOAT_EQ(y[0], 1.f / (1 + 1 * 5));
  EXPECT_FLOAT_EQ(y[1], 2.f / (1 + 1 * 13));
  EXPECT_FLOAT_EQ(y[2], 3.f / (1 + 1 * 9));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[1,3,1,1]");
}

TEST(LRN, BadInputs) {
  test::SingleOp op{.op_type = "LRN", .inputs = {Tensor(DType::kFloat32, {1, 3, 2})}};
  EXPECT_THROW(op.run(), Error);  // size is required
  op.attributes = {test::attr_int("size", 0)};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {test::attr_int("size", 3)};
  op.inputs = {Tensor(DType::kFloat32, {3, 2})};
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
