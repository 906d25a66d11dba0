#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Concat, MiddleAxisWithEmptyInput) {
  test::SingleOp op{.op_type = "Concat",
                    .inputs = {iota_f({2, 1}), Tensor(DType::kFloat32, {2, 0}), iota_f({2, 2})},
                    .attributes = {test::attr_int("axis", -1)}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{0, 0, 1, 1, 2, 3}));
}

TEST(Concat, MismatchedShapesAndDtypesFail) {
  test::SingleOp op{.op_type = "Concat",
                    .inputs = {iota_f({2, 1}), iota_f({3, 1})},
                    .attributes = {test::attr_int("axis", 1)}};
  test::expect_bad_input(op, "cannot concatenate");
  op.inputs[1] = i64({2, 1}, {1, 2});
  test::expect_bad_input(op, "dtype");
  op.attributes.clear();
  op.inputs[1] = iota_f({2, 1});
  test::expect_bad_input(op, "axis");
}

TEST(Concat, InfersSymbolicDims) {
  test::SingleOp op{.op_type = "Concat",
                    .inputs = {iota_f({2, 3}), iota_f({2, 4})},
                    .attributes = {test::attr_int("axis", 1)}};
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("b"), Dim(3)}))[0], "float32[2,7]");
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim(2), Dim::symbol("s")}))[0], "float32[2,?]");
}

TEST(Concat, Strings) {
  test::SingleOp op{.op_type = "Concat",
                    .inputs = {Tensor::from_vector<std::string>({1}, {"x"}),
                               Tensor::from_vector<std::string>({2}, {"y", "z"})},
                    .attributes = {test::attr_int("axis", 0)}};
  EXPECT_EQ(test::values<std::string>(op.run()[0]), (std::vector<std::string>{"x", "y", "z"}));
}

}  // namespace
}  // namespace onyx
