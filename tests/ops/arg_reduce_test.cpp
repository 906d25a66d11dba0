#include <cmath>
#include <limits>

#include "op_test_util.h"

namespace onyx {

TEST(ArgReduce, TiesPickFirstOrLastIndex) {
  const Tensor x = Tensor::from_vector<int32_t>({2, 3}, {5, 9, 9, 1, 1, 0});
  test::SingleOp first{
      .op_type = "ArgMax", .opset = 13, .inputs = {x}, .attributes = {test::attr_int("axis", 1)}};
  EXPECT_EQ(test::values<int64_t>(first.run()[0]), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(first.infer()[0].to_string(), "int64[2,1]");
  test::SingleOp last{.op_type = "ArgMax",
                      .opset = 13,
                      .inputs = {x},
                      .attributes = {test::attr_int("axis", 1), test::attr_int("select_last_index", 1)}};
  EXPECT_EQ(test::values<int64_t>(last.run()[0]), (std::vector<int64_t>{2, 1}));
  test::SingleOp amin{.op_type = "ArgMin",
                      .opset = 13,
                      .inputs = {x},
                      .attributes = {test::attr_int("axis", -1), test::attr_int("keepdims", 0),
                                     test::attr_int("select_last_index", 1)}};
  EXPECT_EQ(test::values<int64_t>(amin.run()[0]), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(amin.infer()[0].to_string(), "int64[2]");
}

TEST(ArgReduce, SelectLastIndexIsIgnoredBeforeOpset12) {
  const Tensor x = Tensor::from_vector<float>({3}, {2, 2, 1});
  test::SingleOp o{.op_type = "ArgMax",
                   .opset = 11,
                   .inputs = {x},
                   .attributes = {test::attr_int("select_last_index", 1)}};
  EXPECT_EQ(test::values<int64_t>(o.run()[0]), (std::vector<int64_t>{0}));
}

TEST(ArgReduce, NaNWinsLikeNumpy) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from_vector<float>({4}, {1, nan, 7, nan});
  test::SingleOp mx{.op_type = "ArgMax", .opset = 13, .inputs = {x}};
  EXPECT_EQ(test::values<int64_t>(mx.run()[0]), (std::vector<int64_t>{1}));
  test::SingleOp mn{.op_type = "ArgMin", .opset = 13, .inputs = {x}};
  EXPECT_EQ(test::values<int64_t>(mn.run()[0]), (std::vector<int64_t>{1}));
}

TEST(ArgReduce, Float16AndAxis0) {
  const Tensor x = Tensor::from_vector<Float16>({2, 2}, {Float16(1), Float16(4), Float16(3), Float16(2)});
  test::SingleOp o{.op_type = "ArgMax", .opset = 13, .inputs = {x}};
  EXPECT_EQ(test::values<int64_t>(o.run()[0]), (std::vector<int64_t>{1, 0}));
}

TEST(ArgReduce, BadInputsFail) {
  test::SingleOp empty{.op_type = "ArgMax",
                       .opset = 13,
                       .inputs = {Tensor(DType::kFloat32, {2, 0})},
                       .attributes = {test::attr_int("axis", 1)}};
  EXPECT_THROW(empty.run(), Error);
  test::SingleOp axis{.op_type = "ArgMin",
                      .opset = 13,
                      .inputs = {Tensor(DType::kFloat32, {2})},
                      .attributes = {test::attr_int("axis", 1)}};
  EXPECT_THROW(axis.run(), Error);
  test::SingleOp neg{.op_type = "ArgMin",
                     .opset = 1,
                     .inputs = {Tensor(DType::kFloat32, {2})},
                     .attributes = {test::attr_int("axis", -1)}};
  EXPECT_THROW(neg.run(), Error);
}

}  // namespace onyx
