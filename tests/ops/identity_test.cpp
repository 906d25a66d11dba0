#include "op_test_util.h"

namespace onyx {

TEST(Identity, PassesTensorThroughAndInfersItsType) {
  test::SingleOp op{.op_type = "Identity", .inputs = {Tensor::from_vector<float>({2}, {1.5f, -2})}};
  auto out = op.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{1.5f, -2}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2]");
}

TEST(Constant, RequiresExactlyOneValueAttribute) {
  test::SingleOp op{.op_type = "Constant"};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {test::attr_ints("value_ints", {3, 4})};
  EXPECT_EQ(test::values<int64_t>(op.run()[0]), (std::vector<int64_t>{3, 4}));
}

}  // namespace onyx
