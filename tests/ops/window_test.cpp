#include <cmath>

#include "op_test_util.h"

namespace onyx {
namespace {

test::SingleOp window(const std::string& op, Tensor size, std::vector<Attribute> attrs = {}) {
  return test::SingleOp{.op_type = op, .opset = 17, .inputs = {std::move(size)}, .attributes = std::move(attrs),
                        .constant_inputs = {0}};
}

TEST(Windows, PeriodicAndSymmetricHann) {
  auto op = window("HannWindow", Tensor::scalar<int64_t>(4));
  auto v = test::values<float>(op.run()[0]);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v[0], 0, 1e-7);
  EXPECT_NEAR(v[1], 0.5, 1e-7);
  EXPECT_NEAR(v[2], 1, 1e-7);
  EXPECT_NEAR(v[3], 0.5, 1e-7);
  EXPECT_EQ(op.infer()[0].to_string(), "float32[4]");
  op.attributes = {test::attr_int("periodic", 0)};
  v = test::values<float>(op.run()[0]);
  EXPECT_NEAR(v[1], 0.75, 1e-7);
  EXPECT_NEAR(v[3], 0, 1e-7);
}

TEST(Windows, HammingAndBlackmanEndpoints) {
  auto v = test::values<double>(window("HammingWindow", Tensor::scalar<int32_t>(3),
                                       {test::attr_int("periodic", 0),
                                        test::attr_int("output_datatype", static_cast<int64_t>(DType::kFloat64))})
                                    .run()[0]);
  EXPECT_NEAR(v[0], 4.0 / 46.0, 1e-12);
  EXPECT_NEAR(v[1], 1, 1e-12);
  v = test::values<double>(window("BlackmanWindow", Tensor::scalar<int32_t>(3),
                                  {test::attr_int("periodic", 0),
                                   test::attr_int("output_datatype", static_cast<int64_t>(DType::kFloat64))})
                               .run()[0]);
  EXPECT_NEAR(v[0], 0, 1e-12);
  EXPECT_NEAR(v[1], 1, 1e-12);
}

TEST(Windows, EdgeSizesAndDtypes) {
  EXPECT_EQ(window("HannWindow", Tensor::scalar<int64_t>(0)).run()[0].numel(), 0);
  EXPECT_EQ(test::values<float>(window("HannWindow", Tensor::scalar<int64_t>(1), {test::attr_int("periodic", 0)}).run()[0]),
            (std::vector<float>{1}));
  auto op = window("HannWindow", Tensor::scalar<int64_t>(4),
                   {test::attr_int("output_datatype", static_cast<int64_t>(DType::kInt32))});
  EXPECT_EQ(test::values<int32_t>(op.run()[0]), (std::vector<int32_t>{0, 0, 1, 0}));
  EXPECT_THROW(window("HannWindow", Tensor::scalar<int64_t>(-1)).run(), Error);
  EXPECT_THROW(window("HannWindow", Tensor::scalar<float>(4)).run(), Error);
  EXPECT_THROW(window("HannWindow", Tensor::scalar<int64_t>(4),
                      {test::attr_int("output_datatype", static_cast<int64_t>(DType::kString))})
                   .run(),
               Error);
}

}  // namespace
}  // namespace onyx
