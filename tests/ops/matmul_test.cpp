#include "op_test_util.h"

namespace onyx {
namespace {

TEST(MatMul, OneDimensionalPromotion) {
  const Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  const Tensor v = Tensor::from_vector<float>({3}, {1, 0, -1});
  test::SingleOp op{.op_type = "MatMul", .inputs = {a, v}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2]");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{-2, -2}));
  const Tensor u = Tensor::from_vector<float>({2}, {1, 1});
  op.inputs = {u, a};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5, 7, 9}));
  op.inputs = {v, v};
  const Tensor s = op.run()[0];
  EXPECT_EQ(s.rank(), 0u);
  EXPECT_EQ(s.data<float>()[0], 2.f);
}

TEST(MatMul, BatchBroadcasting) {
  // A [2,1,1,2] x B [3,2,1] → [2,3,1,1]
  const Tensor a = Tensor::from_vector<double>({2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<double>({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  test::SingleOp op{.op_type = "MatMul", .inputs = {a, b}};
  EXPECT_EQ(op.infer()[0].to_string(), "float64[2,3,1,1]");
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{1, 2, 3, 3, 4, 7}));
}

TEST(MatMul, IntegersWrapAndFloat16) {
  const Tensor a = Tensor::from_vector<int32_t>({1, 2}, {2000000000, 1});
  const Tensor b = Tensor::from_vector<int32_t>({2, 1}, {2, 3});
  test::SingleOp op{.op_type = "MatMul", .inputs = {a, b}};
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{static_cast<int32_t>(4000000003u)}));
  const Tensor ah = Tensor::from_vector<float>({1, 2}, {0.5f, 2}).cast(DType::kFloat16);
  const Tensor bh = Tensor::from_vector<float>({2, 1}, {4, 8}).cast(DType::kFloat16);
  op.inputs = {ah, bh};
  const Tensor y = op.run()[0];
  EXPECT_EQ(y.dtype(), DType::kFloat16);
  EXPECT_EQ(test::values<float>(y.cast(DType::kFloat32)), (std::vector<float>{18}));
}

TEST(MatMul, EmptyAndBadInputs) {
  test::SingleOp op{.op_type = "MatMul", .inputs = {Tensor(DType::kFloat32, {0, 3}), Tensor(DType::kFloat32, {3, 4})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 4}));
  op.inputs = {Tensor(DType::kFloat32, {2, 0}), Tensor(DType::kFloat32, {0, 4})};
  EXPECT_EQ(test::values<float>(op.run()[0]), std::vector<float>(8, 0.f));
  op.inputs = {Tensor(DType::kFloat32, {2, 3}), Tensor(DType::kFloat32, {4, 2})};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {Tensor(DType::kFloat32, {2, 2, 3}), Tensor(DType::kFloat32, {3, 3, 2})};
  EXPECT_THROW(op.run(), Error);  // batch 2 vs 3
  op.inputs = {Tensor(DType::kFloat32, {2, 3}), Tensor(DType::kFloat64, {3, 2})};
  EXPECT_THROW(op.run(), Error);
  op.inputs = {Tensor::scalar<float>(1), Tensor(DType::kFloat32, {1})};
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
