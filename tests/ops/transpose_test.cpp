#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::iota_f;

TEST(Transpose, DefaultReversesAxes) {
  test::SingleOp op{.op_type = "Transpose", .inputs = {iota_f({2, 3})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Transpose, PermOnStringsAndFloat16) {
  Tensor s = Tensor::from_vector<std::string>({1, 2, 2}, {"a", "b", "c", "d"});
  test::SingleOp op{
      .op_type = "Transpose", .inputs = {s}, .attributes = {test::attr_ints("perm", {2, 0, 1})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 1, 2}));
  EXPECT_EQ(test::values<std::string>(out[0]), (std::vector<std::string>{"a", "c", "b", "d"}));
  Tensor h = Tensor::from_vector<Float16>({2, 2}, {Float16(1), Float16(2), Float16(3), Float16(4)});
  op = {.op_type = "Transpose", .inputs = {h}};
  auto ho = op.run()[0];
  EXPECT_EQ(static_cast<float>(ho.data<Float16>()[1]), 3.0f);
}

TEST(Transpose, BadPermFails) {
  test::SingleOp op{
      .op_type = "Transpose", .inputs = {iota_f({2, 3})}, .attributes = {test::attr_ints("perm", {0, 0})}};
  test::expect_bad_input(op, "permutation");
  op.attributes = {test::attr_ints("perm", {0})};
  test::expect_bad_input(op, "perm");
  op.attributes = {test::attr_ints("perm", {0, 2})};
  test::expect_bad_input(op, "out of range");
}

TEST(Transpose, EmptyAndSymbolic) {
  test::SingleOp op{.op_type = "Transpose", .inputs = {Tensor(DType::kFloat32, {0, 3})}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 0}));
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(3)}))[0], "float32[3,n]");
}

}  // namespace
}  // namespace onyx
