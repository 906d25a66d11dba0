#include <cmath>
#include <limits>

#include "elementwise_test_util.h"

namespace onyx {
namespace {

using test::SingleOp;

TEST(Clip, InputsBoundsOptional) {
  auto x = test::f32({5}, {-3, -1, 0, 1, 3});
  auto lo = test::f32({}, {-1.5f});
  auto hi = test::f32({}, {2});
  EXPECT_EQ(test::values<float>(SingleOp{.op_type = "Clip", .inputs = {x, lo, hi}}.run()[0]),
            (std::vector<float>{-1.5f, -1, 0, 1, 2}));
  EXPECT_EQ(test::values<float>(SingleOp{.op_type = "Clip", .inputs = {x, Tensor(), hi}}.run()[0]),
            (std::vector<float>{-3, -1, 0, 1, 2}));
  EXPECT_EQ(test::values<float>(SingleOp{.op_type = "Clip", .inputs = {x, lo}}.run()[0]),
            (std::vector<float>{-1.5f, -1, 0, 1, 3}));
  EXPECT_EQ(test::values<float>(SingleOp{.op_type = "Clip", .inputs = {x}}.run()[0]),
            (std::vector<float>{-3, -1, 0, 1, 3}));
}

TEST(Clip, MinAboveMaxGivesMaxAndNaNStays) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto x = test::f32({3}, {-3, 0, nan});
  auto out = SingleOp{.op_type = "Clip", .inputs = {x, test::f32({}, {2}), test::f32({}, {1})}}.run()[0];
  EXPECT_EQ(out.data<float>()[0], 1);
  EXPECT_EQ(out.data<float>()[1], 1);
  EXPECT_TRUE(std::isnan(out.data<float>()[2]));
}

TEST(Clip, IntegersFromOpset12) {
  auto x = Tensor::from_vector<int8_t>({4}, {-128, -5, 5, 127});
  auto lo = Tensor::from_vector<int8_t>({}, {-10});
  auto out = SingleOp{.op_type = "Clip", .opset = 12, .inputs = {x, lo}}.run()[0];
  EXPECT_EQ(test::values<int8_t>(out), (std::vector<int8_t>{-10, -5, 5, 127}));
}

TEST(Clip, AttributesBeforeOpset11) {
  auto x = test::f32({3}, {-3, 0, 3});
  auto out = SingleOp{.op_type = "Clip", .opset = 6, .inputs = {x},
                      .attributes = {test::attr_float("min", -1), test::attr_float("max", 2)}}
                 .run()[0];
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{-1, 0, 2}));
  auto only_max = SingleOp{.op_type = "Clip", .opset = 6, .inputs = {x}, .attributes = {test::attr_float("max", 1)}}
                      .run()[0];
  EXPECT_EQ(test::values<float>(only_max), (std::vector<float>{-3, 0, 1}));
}

TEST(Clip, BadBounds) {
  auto x = test::f32({2}, {1, 2});
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "Clip", .inputs = {x, test::f32({2}, {0, 1})}}.run(); }),
            test::kBadInput);
  EXPECT_EQ(test::error_code_of([&] { SingleOp{.op_type = "Clip", .inputs = {x, test::i64({}, {0})}}.run(); }),
            test::kBadInput);
}

}  // namespace
}  // namespace onyx
