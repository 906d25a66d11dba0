#include <cmath>

#include "op_test_util.h"

namespace onyx {

namespace {
// log-probabilities [N=2, C=3].
const Tensor logp = Tensor::from_vector<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
}  // namespace

TEST(Losses, NllWeightsIgnoreIndexAndReductions) {
  const Tensor target = Tensor::from_vector<int64_t>({2}, {2, 0});
  const Tensor w = Tensor::from_vector<float>({3}, {0.5f, 1, 2});
  test::SingleOp none{.op_type = "NegativeLogLikelihoodLoss",
                      .opset = 13,
                      .inputs = {logp, target, w},
                      .attributes = {test::attr_string("reduction", "none")}};
  EXPECT_EQ(test::values<float>(none.run()[0]), (std::vector<float>{6, 2}));
  EXPECT_EQ(none.infer()[0].to_string(), "float32[2]");
  test::SingleOp mean{.op_type = "NegativeLogLikelihoodLoss", .opset = 13, .inputs = {logp, target, w}};
  EXPECT_FLOAT_EQ(test::values<float>(mean.run()[0])[0], 8 / 2.5f);
  EXPECT_EQ(mean.infer()[0].to_string(), "float32[]");
  test::SingleOp ii{.op_type = "NegativeLogLikelihoodLoss",
                    .opset = 13,
                    .inputs = {logp, target},
                    .attributes = {test::attr_int("ignore_index", 2)}};
  EXPECT_FLOAT_EQ(test::values<float>(ii.run()[0])[0], 4);
  test::SingleOp all_ignored{
      .op_type = "NegativeLogLikelihoodLoss",
      .opset = 13,
      .inputs = {logp, Tensor::from_vector<int32_t>({2}, {-1, -1})},
      .attributes = {test::attr_int("ignore_index", -1), test::attr_string("reduction", "sum")}};
  EXPECT_EQ(test::values<float>(all_ignored.run()[0])[0], 0);
}

TEST(Losses, NllBadTargetsFail) {
  test::SingleOp range{.op_type = "NegativeLogLikelihoodLoss",
                       .opset = 13,
                       .inputs = {logp, Tensor::from_vector<int64_t>({2}, {3, 0})}};
  EXPECT_THROW(range.run(), Error);
  test::SingleOp shape{.op_type = "NegativeLogLikelihoodLoss",
                       .opset = 13,
                       .inputs = {logp, Tensor::from_vector<int64_t>({1}, {0})}};
  EXPECT_THROW(shape.run(), Error);
  test::SingleOp red{.op_type = "NegativeLogLikelihoodLoss",
                     .opset = 13,
                     .inputs = {logp, Tensor::from_vector<int64_t>({2}, {0, 0})},
                     .attributes = {test::attr_string("reduction", "max")}};
  EXPECT_THROW(red.run(), Error);
}

TEST(Losses, SoftmaxCrossEntropyWithLogProb) {
  const Tensor scores = Tensor::from_vector<float>({1, 2, 2}, {0, 0, 1, 3});  // [N=1, C=2, d=2]
  const Tensor labels = Tensor::from_vector<int64_t>({1, 2}, {1, 0});
  test::SingleOp o{.op_type = "SoftmaxCrossEntropyLoss",
                   .opset = 13,
                   .inputs = {scores, labels},
                   .attributes = {test::attr_string("reduction", "none")},
                   .num_outputs = 2};
  auto out = o.run();
  const double a = std::log(1 + std::exp(1.0)), b = std::log(1 + std::exp(3.0));
  const auto loss = test::values<float>(out[0]);
  EXPECT_NEAR(loss[0], a - 1, 1e-6);
  EXPECT_NEAR(loss[1], b, 1e-6);
  const auto lp = test::values<float>(out[1]);
  EXPECT_NEAR(lp[0], -a, 1e-6);
  EXPECT_NEAR(lp[3], 3 - b, 1e-6);
  const auto types = o.infer();
  EXPECT_EQ(types[0].to_string(), "float32[1,2]");
  EXPECT_EQ(types[1].to_string(), "float32[1,2,2]");
}

}  // namespace onyx
