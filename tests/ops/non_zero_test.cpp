#include "shape_ops_test_util.h"

namespace onyx {
namespace {

TEST(NonZero, RowMajorCoordinates) {
  test::SingleOp op{.op_type = "NonZero", .inputs = {Tensor::from_vector<int32_t>({2, 2}, {0, 3, 4, 0})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(test::values<int64_t>(out), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(op.infer()[0].to_string(), "int64[2,?]");
}

TEST(NonZero, Float16BoolEmptyAndScalar) {
  test::SingleOp op{.op_type = "NonZero",
                    .inputs = {Tensor::from_vector<Float16>({3}, {Float16(0), Float16(-0.0f), Float16(2)})}};
  EXPECT_EQ(test::values<int64_t>(op.run()[0]), (std::vector<int64_t>{2}));
  op.inputs[0] = Tensor(DType::kBool, {0, 4});
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{2, 0}));
  op.inputs[0] = Tensor::scalar<float>(5);
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 1}));
}

}  // namespace
}  // namespace onyx
