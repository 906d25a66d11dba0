#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::iota_f;

TEST(Trilu, UpperLowerWithK) {
  test::SingleOp op{.op_type = "Trilu", .inputs = {iota_f({2, 3})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 1, 2, 0, 4, 5}));
  op.inputs.push_back(Tensor::scalar<int64_t>(-1));
  op.attributes = {test::attr_int("upper", 0)};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 0, 0, 3, 0, 0}));
  op.inputs[1] = Tensor::scalar<int64_t>(10);
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(Trilu, BatchedBoolEmptyAndBadInputs) {
  Tensor b = Tensor::from_vector<bool>({2, 2, 2}, {true, true, true, true, true, true, true, true});
  test::SingleOp op{.op_type = "Trilu", .inputs = {b}};
  EXPECT_EQ(test::values<bool>(op.run()[0]),
            (std::vector<bool>{true, true, false, true, true, true, false, true}));
  op.inputs[0] = Tensor(DType::kFloat32, {0, 3});
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{0, 3}));
  op.inputs[0] = iota_f({3});
  test::expect_bad_input(op, "rank");
  op.inputs = {iota_f({2, 2}), Tensor::scalar<int32_t>(1)};
  test::expect_bad_input(op, "int64");
}

}  // namespace
}  // namespace onyx
