#include "op_test_util.h"

namespace onyx {
namespace {

const Tensor kA = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
const Tensor kB = Tensor::from_vector<float>({3, 2}, {1, 0, 0, 1, 1, 1});

TEST(Gemm, TransposesAlphaBetaAndBroadcastC) {
  test::SingleOp op{.op_type = "Gemm",
                    .inputs = {kA, kB, Tensor::from_vector<float>({2}, {10, 20})},
                    .attributes = {test::attr_float("alpha", 2), test::attr_float("beta", 0.5f)}};
  // A*B = [[4,5],[10,11]]
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{13, 20, 25, 32}));
  op.inputs[2] = Tensor::from_vector<float>({2, 1}, {2, 4});
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{9, 11, 22, 24}));
  // transA and transB: (A^T)^T... use A^T as input with transA=1
  test::SingleOp t{.op_type = "Gemm",
                   .inputs = {Tensor::from_vector<float>({3, 2}, {1, 4, 2, 5, 3, 6}),
                              Tensor::from_vector<float>({2, 3}, {1, 0, 1, 0, 1, 1})},
                   .attributes = {test::attr_int("transA", 1), test::attr_int("transB", 1)}};
  EXPECT_EQ(t.infer()[0].to_string(), "float32[2,2]");
  EXPECT_EQ(test::values<float>(t.run()[0]), (std::vector<float>{4, 5, 10, 11}));
}

TEST(Gemm, IntegerAndDouble) {
  test::SingleOp op{.op_type = "Gemm",
                    .inputs = {kA.cast(DType::kInt64), kB.cast(DType::kInt64), Tensor::scalar<int64_t>(1)}};
  EXPECT_EQ(test::values<int64_t>(op.run()[0]), (std::vector<int64_t>{5, 6, 11, 12}));
  op.inputs = {kA.cast(DType::kFloat64), kB.cast(DType::kFloat64)};
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{4, 5, 10, 11}));
}

TEST(Gemm, OldOpsetBroadcastAttribute) {
  test::SingleOp op{.op_type = "Gemm", .opset = 6, .inputs = {kA, kB, Tensor::from_vector<float>({2}, {1, 1})}};
  EXPECT_THROW(op.run(), Error);  // broadcast=0 needs C of shape [M, N]
  op.attributes = {test::attr_int("broadcast", 1)};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5, 6, 11, 12}));
  op.inputs.pop_back();
  EXPECT_THROW(op.run(), Error);  // C required before opset 11
}

TEST(Gemm, BadInputs) {
  test::SingleOp op{.op_type = "Gemm", .inputs = {kA, kA}};
  EXPECT_THROW(op.run(), Error);  // inner dims
  op.inputs = {kA, kB, Tensor(DType::kFloat32, {3})};
  EXPECT_THROW(op.run(), Error);  // C cannot broadcast
  op.inputs = {Tensor(DType::kFloat32, {6}), kB};
  EXPECT_THROW(op.run(), Error);  // rank
}

}  // namespace
}  // namespace onyx
