#include "op_test_util.h"

namespace onyx {
namespace {

TEST(Det, BatchedWithPivotingAndSingular) {
  // [[0,1],[1,0]] needs a row swap (det -1); [[1,2],[2,4]] is singular; 3x3 identity-ish.
  const Tensor x = Tensor::from_vector<double>({2, 2, 2}, {0, 1, 1, 0, 1, 2, 2, 4});
  test::SingleOp op{.op_type = "Det", .inputs = {x}};
  EXPECT_EQ(op.infer()[0].to_string(), "float64[2]");
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{-1, 0}));
  const Tensor m = Tensor::from_vector<float>({3, 3}, {2, 0, 0, 0, 3, 0, 1, 1, 4});
  op.inputs = {m};
  const Tensor y = op.run()[0];
  EXPECT_EQ(y.rank(), 0u);
  EXPECT_FLOAT_EQ(y.data<float>()[0], 24);
  op.inputs = {m.cast(DType::kFloat16)};
  EXPECT_EQ(op.run()[0].cast(DType::kFloat32).data<float>()[0], 24.f);
}

TEST(Det, EmptyAndBadInputs) {
  test::SingleOp op{.op_type = "Det", .inputs = {Tensor(DType::kFloat32, {0, 3, 3})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0}));
  op.inputs = {Tensor(DType::kFloat32, {2, 0, 0})};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 1}));  // empty matrix: det 1
  op.inputs = {Tensor(DType::kFloat32, {2, 3})};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {Tensor(DType::kFloat32, {3})};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {Tensor(DType::kInt32, {2, 2})};
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
