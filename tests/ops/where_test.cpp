#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

TEST(Where, ThreeWayBroadcast) {
  auto c = test::b8({2, 1}, {true, false});
  auto x = test::f32({3}, {1, 2, 3});
  auto y = test::f32({}, {-1});
  auto out = SingleOp{.op_type = "Where", .inputs = {c, x, y}}.run()[0];
  ASSERT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{1, 2, 3, -1, -1, -1}));
}

TEST(Where, SameShapesAndStrings) {
  auto c = test::b8({3}, {true, false, true});
  auto x = Tensor::from_vector<std::string>({3}, {"a", "b", "c"});
  auto y = Tensor::from_vector<std::string>({3}, {"x", "y", "z"});
  auto out = SingleOp{.op_type = "Where", .inputs = {c, x, y}}.run()[0];
  EXPECT_EQ(test::values<std::string>(out), (std::vector<std::string>{"a", "y", "c"}));
}

TEST(Where, BadInputs) {
  auto x = test::f32({2}, {1, 2});
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "Where", .inputs = {x, x, x}}.run(); }), test::kBadInput);
  auto c = test::b8({2}, {true, false});
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "Where", .inputs = {c, x, test::i64({2}, {1, 2})}}.run(); }),
            test::kBadInput);
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "Where", .inputs = {test::b8({3}, {1, 1, 1}), x, x}}.run(); }),
            test::kBadInput);
}

TEST(Where, InfersBroadcastShape) {
  SingleOp op{.op_type = "Where",
              .inputs = {Tensor(DType::kBool, {4, 1}), Tensor(DType::kInt64, {1, 3}), Tensor(DType::kInt64, {})}};
  EXPECT_EQ(op.infer()[0].to_string(), "int64[4,3]");
}

}  // namespace
}  // namespace onyx
