#include "op_test_util.h"

namespace onyx {
namespace {

test::SingleOp einsum(const std::string& eq, std::vector<Tensor> inputs) {
  return test::SingleOp{.op_type = "Einsum", .inputs = std::move(inputs), .attributes = {test::attr_string("equation", eq)}};
}

const Tensor kM = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});

TEST(Einsum, ImplicitOutputIsSortedSingleLabels) {
  // "ji" implicit output is "ij": a transpose.
  auto op = einsum("ji", {kM});
  EXPECT_EQ(op.infer()[0].to_string(), "float32[3,2]");
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  // "ij,ij" implicit: full contraction to a scalar
  op = einsum("ij,ij", {kM, kM});
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{91}));
}

TEST(Einsum, DiagonalTraceAndOuterProduct) {
  const Tensor sq = Tensor::from_vector<int64_t>({2, 2}, {1, 2, 3, 4});
  EXPECT_EQ(test::values<int64_t>(einsum("ii->i", {sq}).run()[0]), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(test::values<int64_t>(einsum("ii", {sq}).run()[0]), (std::vector<int64_t>{5}));
  const Tensor v = Tensor::from_vector<int64_t>({2}, {1, 10});
  EXPECT_EQ(test::values<int64_t>(einsum("i,j->ij", {v, v}).run()[0]), (std::vector<int64_t>{1, 10, 10, 100}));
}

TEST(Einsum, EllipsisBroadcastAndSummedEllipsis) {
  // A [2,1,2] ... broadcast against B [3,2,1]: "...ij,...jk->...ik" gives [2,3,1,1]
  const Tensor a = Tensor::from_vector<double>({2, 1, 1, 2}, {1, 2, 3, 4});
  const Tensor b = Tensor::from_vector<double>({3, 2, 1}, {1, 0, 0, 1, 1, 1});
  auto op = einsum("...ij,...jk->...ik", {a, b});
  EXPECT_EQ(op.infer()[0].to_string(), "float64[2,3,1,1]");
  EXPECT_EQ(test::values<double>(op.run()[0]), (std::vector<double>{1, 2, 3, 3, 4, 7}));
  // Explicit output without the ellipsis sums the ellipsis dims.
  EXPECT_EQ(test::values<float>(einsum("...j->j", {kM}).run()[0]), (std::vector<float>{5, 7, 9}));
  // Spaces are ignored, upper-case labels allowed.
  EXPECT_EQ(test::values<float>(einsum("A j -> A", {kM}).run()[0]), (std::vector<float>{6, 15}));
}

TEST(Einsum, EmptyAndBadInputs) {
  EXPECT_EQ(einsum("ij,jk->ik", {Tensor(DType::kFloat32, {2, 0}), Tensor(DType::kFloat32, {0, 3})}).run()[0].numel(), 6);
  EXPECT_THROW(einsum("ij,jk->ik", {kM, kM}).run(), Error);     // j: 3 vs 2
  EXPECT_THROW(einsum("ijk", {kM}).run(), Error);               // rank mismatch
  EXPECT_THROW(einsum("ij->ik", {kM}).run(), Error);            // unknown output label
  EXPECT_THROW(einsum("ij->ii", {kM}).run(), Error);            // repeated output label
  EXPECT_THROW(einsum("ij,jk", {kM}).run(), Error);             // operand count
  EXPECT_THROW(einsum("i$", {kM}).run(), Error);                // bad character
}

}  // namespace
}  // namespace onyx
