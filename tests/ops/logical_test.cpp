#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

Tensor run2(const std::string& op, Tensor a, Tensor b, std::vector<Attribute> attrs = {}, int64_t opset = 18) {
  return SingleOp{.op_type = op, .opset = opset, .inputs = {std::move(a), std::move(b)},
                  .attributes = std::move(attrs)}
      .run()[0];
}

TEST(Logical, AndOrXorBroadcast) {
  auto a = test::b8({2, 2}, {true, true, false, false});
  auto b = test::b8({2}, {true, false});
  EXPECT_EQ(test::bools(run2("And", a, b)), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(test::bools(run2("Or", a, b)), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(test::bools(run2("Xor", a, b)), (std::vector<bool>{false, true, true, false}));
}

TEST(Logical, AndRejectsNumbers) {
  EXPECT_EQ(test::error_code_of([] { run2("And", test::i32({1}, {1}), test::i32({1}, {1})); }), test::kBadInput);
}

TEST(Logical, LegacyOrWithAxis) {
  auto a = test::b8({2, 3}, {false, false, false, false, false, false});
  auto y = run2("Or", a, test::b8({2}, {true, false}), {test::attr_int("broadcast", 1), test::attr_int("axis", 0)}, 1);
  EXPECT_EQ(test::bools(y), (std::vector<bool>{true, true, true, false, false, false}));
}

TEST(Logical, BitwiseOpsOnSignedAndUnsigned) {
  auto a = test::i32({3}, {0b1100, -1, 5});
  auto b = test::i32({3}, {0b1010, 7, 0});
  EXPECT_EQ(test::values<int32_t>(run2("BitwiseAnd", a, b)), (std::vector<int32_t>{0b1000, 7, 0}));
  EXPECT_EQ(test::values<int32_t>(run2("BitwiseOr", a, b)), (std::vector<int32_t>{0b1110, -1, 5}));
  EXPECT_EQ(test::values<int32_t>(run2("BitwiseXor", a, b)), (std::vector<int32_t>{0b0110, -8, 5}));
  auto u = Tensor::from_vector<uint8_t>({2}, {0, 0xf0});
  auto n = SingleOp{.op_type = "BitwiseNot", .inputs = {u}}.run()[0];
  EXPECT_EQ(test::values<uint8_t>(n), (std::vector<uint8_t>{0xff, 0x0f}));
  EXPECT_EQ(test::error_code_of([] { run2("BitwiseAnd", test::f32({1}, {1}), test::f32({1}, {1})); }),
            test::kBadInput);
}

}  // namespace
}  // namespace onyx
