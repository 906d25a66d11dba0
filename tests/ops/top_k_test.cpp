#include <cmath>
#include <limits>

#include "op_test_util.h"

namespace onyx {

namespace {
Tensor k(int64_t v) {
  return Tensor::from_vector<int64_t>({1}, {v});
}
}  // namespace

TEST(TopK, TiesKeepLowerIndexFirst) {
  const Tensor x = Tensor::from_vector<float>({6}, {3, 1, 3, 2, 1, 3});
  test::SingleOp o{
      .op_type = "TopK", .opset = 11, .inputs = {x, k(4)}, .num_outputs = 2, .constant_inputs = {1}};
  auto out = o.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{3, 3, 3, 2}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{0, 2, 5, 3}));
  EXPECT_EQ(o.infer()[1].to_string(), "int64[4]");
  test::SingleOp small{.op_type = "TopK",
                       .opset = 11,
                       .inputs = {x, k(3)},
                       .attributes = {test::attr_int("largest", 0)},
                       .num_outputs = 2};
  out = small.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{1, 1, 2}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{1, 4, 3}));
  EXPECT_EQ(small.infer()[0].to_string(), "float32[?]");
}

TEST(TopK, KAttributeBeforeOpset10) {
  const Tensor x = Tensor::from_vector<int32_t>({2, 3}, {1, 5, 2, 9, 7, 8});
  test::SingleOp o{
      .op_type = "TopK", .opset = 1, .inputs = {x}, .attributes = {test::attr_int("k", 2)}, .num_outputs = 2};
  auto out = o.run();
  EXPECT_EQ(test::values<int32_t>(out[0]), (std::vector<int32_t>{5, 2, 9, 8}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{1, 2, 0, 2}));
  EXPECT_EQ(o.infer()[0].to_string(), "int32[2,2]");
}

TEST(TopK, InnerAxisAndNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const Tensor x = Tensor::from_vector<float>({3, 2}, {1, nan, 4, 0, 2, 5});
  test::SingleOp o{.op_type = "TopK",
                   .opset = 11,
                   .inputs = {x, k(2)},
                   .attributes = {test::attr_int("axis", 0)},
                   .num_outputs = 2};
  auto out = o.run();
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{1, 0, 2, 2}));
  const auto v = test::values<float>(out[0]);
  EXPECT_EQ(v[0], 4);
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 2);
  EXPECT_EQ(v[3], 5);
}

TEST(TopK, ZeroKAndBadK) {
  const Tensor x = Tensor::from_vector<float>({3}, {1, 2, 3});
  test::SingleOp zero{.op_type = "TopK", .opset = 11, .inputs = {x, k(0)}, .num_outputs = 2};
  EXPECT_EQ(zero.run()[0].dims(), (std::vector<int64_t>{0}));
  test::SingleOp big{.op_type = "TopK", .opset = 11, .inputs = {x, k(4)}, .num_outputs = 2};
  EXPECT_THROW(big.run(), Error);
  test::SingleOp neg{.op_type = "TopK", .opset = 11, .inputs = {x, k(-1)}, .num_outputs = 2};
  EXPECT_THROW(neg.run(), Error);
  test::SingleOp big_const{
      .op_type = "TopK", .opset = 11, .inputs = {x, k(5)}, .num_outputs = 2, .constant_inputs = {1}};
  EXPECT_THROW(big_const.infer(), Error);
}

}  // namespace onyx
