#include <limits>

#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

TEST(Slice, NegativeStepReversesWithClamping) {
  test::SingleOp op{.op_type = "Slice",
                    .inputs = {iota_f({5}), i64({kMax}), i64({kMin}), i64({0}), i64({-1})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{4, 3, 2, 1, 0}));
  op.inputs = {iota_f({5}), i64({-1}), i64({0}), i64({0}), i64({-2})};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{4, 2}));
}

TEST(Slice, OutOfBoundsStartsGiveEmpty) {
  test::SingleOp op{.op_type = "Slice", .inputs = {iota_f({2, 3}), i64({10}), i64({20}), i64({1})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{2, 0}));
  op.inputs = {iota_f({2, 3}), i64({1}), i64({kMax}), i64({-1}), i64({2})};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 4}));
}

TEST(Slice, BadParametersFail) {
  test::SingleOp op{.op_type = "Slice", .inputs = {iota_f({4}), i64({0}), i64({2}), i64({0}), i64({0})}};
  test::expect_bad_input(op, "step 0");
  op.inputs = {iota_f({4}), i64({0, 1}), i64({2}), Tensor(), Tensor()};
  test::expect_bad_input(op, "ends");
  op.inputs = {iota_f({4, 4}), i64({0, 1}), i64({2, 3}), i64({1, -1})};
  test::expect_bad_input(op, "twice");
}

TEST(Slice, Opset1AttributesAreUpgraded) {
  test::SingleOp op{.op_type = "Slice",
                    .opset = 1,
                    .inputs = {iota_f({3, 4})},
                    .attributes = {test::attr_ints("starts", {1}), test::attr_ints("ends", {3}),
                                   test::attr_ints("axes", {1})}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 2, 5, 6, 9, 10}));
}

TEST(Slice, InferenceWithSymbolsAndPartials) {
  test::SingleOp op{.op_type = "Slice",
                    .inputs = {iota_f({2, 8}), i64({0, 2}), i64({kMax, 6}), i64({0, 1})},
                    .constant_inputs = {1, 2, 3}};
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(8)}))[0], "float32[n,4]");
  // Unknown starts: the sliced axes are unknown, the others kept.
  op.constant_inputs = {3};
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(8)}))[0], "float32[?,?]");
}

}  // namespace
}  // namespace onyx

namespace onyx {
namespace {

TEST(Slice, EmptyAxisWithNegativeStep) {
  test::SingleOp op{.op_type = "Slice",
                    .inputs = {Tensor(DType::kFloat32, {0, 2}), test::i64({-1}), test::i64({kMin}),
                               test::i64({0}), test::i64({-1})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 2}));
}

}  // namespace
}  // namespace onyx
