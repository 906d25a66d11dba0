#include <cmath>
#include <limits>

#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;

TEST(Unique, SortedAndUnsortedAllOutputs) {
  test::SingleOp op{.op_type = "Unique",
                    .inputs = {f32({6}, {2, 1, 1, 3, 4, 3})},
                    .attributes = {test::attr_int("sorted", 0)},
                    .num_outputs = 4};
  auto out = op.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(test::values<int64_t>(out[2]), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(test::values<int64_t>(out[3]), (std::vector<int64_t>{1, 2, 2, 1}));
  op.attributes.clear();
  out = op.run();
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{1, 0, 3, 4}));
  EXPECT_EQ(test::values<int64_t>(out[2]), (std::vector<int64_t>{1, 0, 0, 2, 3, 2}));
  EXPECT_EQ(test::values<int64_t>(out[3]), (std::vector<int64_t>{2, 1, 2, 1}));
  auto types = op.infer();
  EXPECT_EQ(types[0].to_string(), "float32[?]");
  EXPECT_EQ(types[2].to_string(), "int64[6]");
}

TEST(Unique, RowsAlongAxisStringsAndNaN) {
  test::SingleOp op{.op_type = "Unique",
                    .inputs = {f32({3, 2}, {1, 0, 0, 1, 1, 0})},
                    .attributes = {test::attr_int("axis", 0)},
                    .num_outputs = 4};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{0, 1, 1, 0}));
  EXPECT_EQ(test::values<int64_t>(out[2]), (std::vector<int64_t>{1, 0, 1}));
  op = {.op_type = "Unique", .inputs = {Tensor::from_vector<std::string>({3}, {"b", "a", "b"})}};
  EXPECT_EQ(test::values<std::string>(op.run()[0]), (std::vector<std::string>{"a", "b"}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  op = {.op_type = "Unique", .inputs = {f32({4}, {nan, 1, nan, 0})}, .num_outputs = 4};
  out = op.run();
  EXPECT_EQ(out[0].numel(), 3);
  EXPECT_TRUE(std::isnan(out[0].data<float>()[2]));
  EXPECT_EQ(test::values<int64_t>(out[3]), (std::vector<int64_t>{1, 1, 2}));
}

TEST(Unique, EmptyInput) {
  test::SingleOp op{.op_type = "Unique", .inputs = {Tensor(DType::kInt32, {0})}, .num_outputs = 4};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{0}));
  EXPECT_EQ(out[3].dims(), (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace onyx
