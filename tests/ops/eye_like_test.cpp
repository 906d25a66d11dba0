#include "shape_ops_test_util.h"

namespace onyx {
namespace {

TEST(EyeLike, OffDiagonalAndDtype) {
  test::SingleOp op{.op_type = "EyeLike",
                    .inputs = {Tensor(DType::kInt32, {2, 3})},
                    .attributes = {test::attr_int("k", 1)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kInt32);
  EXPECT_EQ(test::values<int32_t>(out), (std::vector<int32_t>{0, 1, 0, 0, 0, 1}));
  op.attributes = {test::attr_int("k", -5), test::attr_int("dtype", static_cast<int64_t>(DType::kFloat16))};
  out = op.run()[0];
  EXPECT_EQ(out.dtype(), DType::kFloat16);
  EXPECT_EQ(op.infer()[0].to_string(), "float16[2,3]");
  for (int64_t i = 0; i < out.numel(); ++i) EXPECT_EQ(static_cast<float>(out.data<Float16>()[i]), 0.0f);
}

TEST(EyeLike, BoolAndBadInputs) {
  test::SingleOp op{.op_type = "EyeLike",
                    .inputs = {Tensor(DType::kFloat32, {2, 2})},
                    .attributes = {test::attr_int("dtype", static_cast<int64_t>(DType::kBool))}};
  EXPECT_EQ(test::values<bool>(op.run()[0]), (std::vector<bool>{true, false, false, true}));
  op.inputs[0] = Tensor(DType::kFloat32, {2});
  test::expect_bad_input(op, "2-D");
  op.inputs[0] = Tensor(DType::kFloat32, {2, 2});
  op.attributes = {test::attr_int("dtype", 99)};
  test::expect_bad_input(op, "dtype");
}

}  // namespace
}  // namespace onyx
