#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Gather, NegativeIndicesAndAxis) {
  test::SingleOp op{.op_type = "Gather",
                    .inputs = {iota_f({2, 3}), i64({2}, {-1, 0})},
                    .attributes = {test::attr_int("axis", -1)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{2, 0, 5, 3}));
}

TEST(Gather, ScalarIndexDropsTheAxis) {
  test::SingleOp op{.op_type = "Gather", .inputs = {iota_f({2, 3}), Tensor::scalar<int32_t>(1)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{3, 4, 5}));
}

TEST(Gather, OutOfRangeIndexNamesTheNode) {
  test::SingleOp op{.op_type = "Gather", .inputs = {iota_f({2, 3}), i64({1}, {2})}};
  test::expect_bad_input(op, "node 'node' (Gather): index 2 is out of range [-2, 1]");
  op.inputs[1] = i64({1}, {-3});
  test::expect_bad_input(op, "out of range");
  op.inputs[1] = Tensor::from_vector<float>({1}, {0});
  test::expect_bad_input(op, "int32 or int64");
}

TEST(Gather, EmptyIndicesAndSymbolicShape) {
  test::SingleOp op{.op_type = "Gather",
                    .inputs = {iota_f({2, 3}), i64({0, 2}, {})},
                    .attributes = {test::attr_int("axis", 1)}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{2, 0, 2}));
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("b"), Dim(3)}))[0], "float32[b,0,2]");
}

TEST(GatherElements, PicksAlongAxisAndChecksRange) {
  test::SingleOp op{.op_type = "GatherElements",
                    .inputs = {iota_f({2, 2}), i64({2, 2}, {1, -2, 0, 1})},
                    .attributes = {test::attr_int("axis", 1)}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1, 0, 2, 3}));
  op.inputs[1] = i64({1, 2}, {0, 2});
  test::expect_bad_input(op, "out of range");
  op.inputs[1] = i64({2}, {0, 1});
  test::expect_bad_input(op, "rank");
}

TEST(GatherND, BatchDimsAndNegativeIndices) {
  // data [2,2,2], batch_dims 1, indices [2,1] -> out [2,2]
  test::SingleOp op{.op_type = "GatherND",
                    .inputs = {iota_f({2, 2, 2}), i64({2, 1}, {1, -2})},
                    .attributes = {test::attr_int("batch_dims", 1)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{2, 3, 4, 5}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,2]");
  op.inputs[1] = i64({2, 1}, {2, 0});
  test::expect_bad_input(op, "out of range");
  op.inputs[1] = i64({2, 3}, {0, 0, 0, 0, 0, 0});
  test::expect_bad_input(op, "last indices dimension");
}

TEST(GatherND, FullTuplesGiveElements) {
  test::SingleOp op{.op_type = "GatherND", .inputs = {iota_f({2, 3}), i64({2, 2}, {1, 2, 0, 1})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{5, 1}));
}

}  // namespace
}  // namespace onyx
