#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor run2(const std::string& op, Tensor a, Tensor b, std::vector<Attribute> attrs = {}, int64_t opset = 19) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = {std::move(a), std::move(b)},
                  .attributes = std::move(attrs)}
      .run()[0];
}

TEST(Compare, AllFiveWithBroadcasting) {
  auto a = test::i32({2, 2}, {1, 2, 3, 4});
  auto b = test::i32({2}, {2, 3});
  EXPECT_EQ(test::bools(run2("Equal", a, b)), (std::vector<bool>{false, false, false, false}));
  EXPECT_EQ(test::bools(run2("Greater", a, b)), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(test::bools(run2("GreaterOrEqual", a, b)), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(test::bools(run2("Less", a, b)), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(test::bools(run2("LessOrEqual", a, test::i32({}, {2}))), (std::vector<bool>{true, true, false, false}));
}

TEST(Compare, NaNComparesFalse) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto a = test::f32({2}, {nan, 1});
  EXPECT_EQ(test::bools(run2("Equal", a, a)), (std::vector<bool>{false, true}));
  EXPECT_EQ(test::bools(run2("GreaterOrEqual", a, a)), (std::vector<bool>{false, true}));
}

TEST(Compare, EqualOnStringsAndBools) {
  auto s = Tensor::from_vector<std::string>({3}, {"a", "bc", ""});
  auto t = Tensor::from_vector<std::string>({3}, {"a", "b", ""});
  EXPECT_EQ(test::bools(run2("Equal", s, t)), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(test::bools(run2("Equal", test::b8({2}, {true, false}), test::b8({1}, {false}))),
            (std::vector<bool>{false, true}));
}

TEST(Compare, GreaterRejectsBoolAndInfersBool) {
  EXPECT_EQ(test::error_code_of([] { run2("Greater", test::b8({1}, {true}), test::b8({1}, {false})); }),
            test::kBadInput);
  SingleOp op{.op_type = "Less", .opset = 13, .inputs = {Tensor(DType::kFloat64, {3, 1}), Tensor(DType::kFloat64, {4})}};
  EXPECT_EQ(op.infer()[0].to_string(), "bool[3,4]");
}

TEST(Compare, LegacyBroadcastAtOpset1) {
  auto a = test::f32({2, 2}, {1, 2, 3, 4});
  auto y = run2("Greater", a, test::f32({2}, {1, 3}), {test::attr_int("broadcast", 1), test::attr_int("axis", 0)}, 1);
  EXPECT_EQ(test::bools(y), (std::vector<bool>{false, true, false, true}));
}

}  // namespace
}  // namespace onyx
