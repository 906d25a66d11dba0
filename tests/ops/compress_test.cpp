#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::iota_f;

Tensor cond(std::vector<bool> v) {
  return Tensor::from_vector<bool>({static_cast<int64_t>(v.size())}, v);
}

TEST(Compress, AxisAndShortCondition) {
  test::SingleOp op{.op_type = "Compress",
                    .inputs = {iota_f({2, 3}), cond({false, true})},
                    .attributes = {test::attr_int("axis", -1)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 4}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,?]");
}

TEST(Compress, FlattenedWithoutAxis) {
  test::SingleOp op{.op_type = "Compress", .inputs = {iota_f({2, 2}), cond({false, false, false, true})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{3}));
}

TEST(Compress, BadConditionFails) {
  test::SingleOp op{.op_type = "Compress", .inputs = {iota_f({2}), cond({false, false, true})}};
  test::expect_bad_input(op, "past the axis");
  op.inputs[1] = Tensor::from_vector<int64_t>({2}, {1, 0});
  test::expect_bad_input(op, "bool");
}

}  // namespace
}  // namespace onyx
