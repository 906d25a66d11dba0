#include <cmath>

#include "op_test_util.h"

namespace onyx {

namespace {
void expect_near(const std::vector<float>& got, const std::vector<double>& want, double tol = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
const Tensor x223 = Tensor::from_vector<float>({2, 2, 3}, {0, 1, 2, 3, 4, 5, 1, 1, 1, 1, 1, 1});
}  // namespace

TEST(Softmax, Opset11CoercesTo2D) {
  // axis 1 of [2,2,3] → rows of 6 elements.
  test::SingleOp o{.op_type = "Softmax", .opset = 11, .inputs = {x223}};
  const auto y = test::values<float>(o.run()[0]);
  double z = 0;
  for (int i = 0; i < 6; ++i) z += std::exp(i);
  std::vector<double> want;
  for (int i = 0; i < 6; ++i) want.push_back(std::exp(i) / z);
  for (int i = 0; i < 6; ++i) want.push_back(1.0 / 6);
  expect_near(y, want);
}

TEST(Softmax, Opset13UsesOneAxis) {
  test::SingleOp o{
      .op_type = "Softmax", .opset = 13, .inputs = {x223}, .attributes = {test::attr_int("axis", 1)}};
  const auto y = test::values<float>(o.run()[0]);
  const double a = 1 / (1 + std::exp(3.0)), b = 1 - a;
  expect_near(y, {a, a, a, b, b, b, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
}

TEST(Softmax, LogSoftmaxOfLargeNumbers) {
  const Tensor x = Tensor::from_vector<float>({1, 2}, {10000, 10000});
  test::SingleOp o{.op_type = "LogSoftmax", .opset = 13, .inputs = {x}};
  expect_near(test::values<float>(o.run()[0]), {-std::log(2.0), -std::log(2.0)});
  test::SingleOp old{.op_type = "LogSoftmax", .opset = 1, .inputs = {x}};
  expect_near(test::values<float>(old.run()[0]), {-std::log(2.0), -std::log(2.0)});
}

TEST(Softmax, HardmaxFirstMaximumInEitherLayout) {
  const Tensor x = Tensor::from_vector<float>({2, 2}, {3, 1, 3, 3});
  test::SingleOp v13{
      .op_type = "Hardmax", .opset = 13, .inputs = {x}, .attributes = {test::attr_int("axis", 0)}};
  EXPECT_EQ(test::values<float>(v13.run()[0]), (std::vector<float>{1, 0, 0, 1}));
  test::SingleOp v11{
      .op_type = "Hardmax", .opset = 11, .inputs = {x}, .attributes = {test::attr_int("axis", 0)}};
  EXPECT_EQ(test::values<float>(v11.run()[0]), (std::vector<float>{1, 0, 0, 0}));
}

TEST(Softmax, Float16EmptyAndErrors) {
  const Tensor h = Tensor::from_vector<Float16>({2}, {Float16(0), Float16(0)});
  test::SingleOp o{.op_type = "Softmax", .opset = 13, .inputs = {h}};
  EXPECT_EQ(static_cast<float>(o.run()[0].data<Float16>()[1]), 0.5f);
  test::SingleOp empty{.op_type = "Softmax", .opset = 13, .inputs = {Tensor(DType::kFloat32, {0, 4})}};
  EXPECT_EQ(empty.run()[0].dims(), (std::vector<int64_t>{0, 4}));
  test::SingleOp axis{
      .op_type = "Softmax", .opset = 13, .inputs = {x223}, .attributes = {test::attr_int("axis", 3)}};
  EXPECT_THROW(axis.infer(), Error);
  test::SingleOp ints{.op_type = "Softmax", .opset = 13, .inputs = {Tensor(DType::kInt32, {2})}};
  EXPECT_THROW(ints.run(), Error);
}

}  // namespace onyx
