#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

TEST(PRelu, UnidirectionalBroadcast) {
  auto x = test::f32({2, 3}, {-1, -2, 3, -4, 5, -6});
  auto slope = test::f32({3}, {0.5f, 1, 2});
  auto out = SingleOp{.op_type = "PRelu", .opset = 16, .inputs = {x, slope}}.run()[0];
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{-0.5f, -2, 3, -2, 5, -12}));
}

TEST(PRelu, SlopeMustNotGrowX) {
  auto x = test::f32({3}, {-1, -2, 3});
  auto slope = test::f32({2, 3}, {1, 1, 1, 1, 1, 1});
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "PRelu", .inputs = {x, slope}}.run(); }), test::kBadInput);
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "PRelu", .inputs = {x, slope}}.infer(); }),
            test::kBadInput);
}

TEST(PRelu, LegacyPerChannelSlope) {
  // Opset 6: slope [C] applies along axis 1 of [N, C, W].
  auto x = test::f32({1, 2, 2}, {-1, -1, -1, 1});
  auto slope = test::f32({2}, {0.1f, 0.2f});
  auto out = SingleOp{.op_type = "PRelu", .opset = 6, .inputs = {x, slope}}.run()[0];
  test::expect_near_all(test::doubles(out), {-0.1, -0.1, -0.2, 1}, 1e-6);
  // Opset 7 broadcasts numpy-style: the same slope now runs along the last axis.
  auto out7 = SingleOp{.op_type = "PRelu", .opset = 7, .inputs = {x, slope}}.run()[0];
  test::expect_near_all(test::doubles(out7), {-0.1, -0.2, -0.1, 1}, 1e-6);
}

TEST(PRelu, IntegerInputs) {
  auto x = test::i32({3}, {-4, 0, 4});
  auto slope = test::i32({}, {3});
  EXPECT_EQ(test::values<int32_t>(SingleOp{.op_type = "PRelu", .inputs = {x, slope}}.run()[0]),
            (std::vector<int32_t>{-12, 0, 4}));
}

}  // namespace
}  // namespace onyx
