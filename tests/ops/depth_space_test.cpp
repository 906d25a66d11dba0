#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::iota_f;

TEST(DepthToSpace, DcrAndCrdOrder) {
  test::SingleOp op{.op_type = "DepthToSpace",
                    .inputs = {iota_f({1, 4, 1, 1})},
                    .attributes = {test::attr_int("blocksize", 2)}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{0, 1, 2, 3}));
  // 8 channels, blocksize 2: DCR takes channel blocks depth-first, CRD column-row first.
  op.inputs[0] = iota_f({1, 8, 1, 1});
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  op.attributes.push_back(test::attr_string("mode", "CRD"));
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(DepthToSpace, BadInputs) {
  test::SingleOp op{.op_type = "DepthToSpace",
                    .inputs = {iota_f({1, 3, 1, 1})},
                    .attributes = {test::attr_int("blocksize", 2)}};
  test::expect_bad_input(op, "divisible");
  op.attributes = {};
  test::expect_bad_input(op, "blocksize");
  op.attributes = {test::attr_int("blocksize", 1), test::attr_string("mode", "XYZ")};
  test::expect_bad_input(op, "mode");
}

TEST(SpaceToDepth, InvertsDepthToSpaceDcr) {
  test::SingleOp d2s{.op_type = "DepthToSpace",
                     .inputs = {iota_f({2, 8, 2, 3})},
                     .attributes = {test::attr_int("blocksize", 2)}};
  Tensor spatial = d2s.run()[0];
  test::SingleOp s2d{
      .op_type = "SpaceToDepth", .inputs = {spatial}, .attributes = {test::attr_int("blocksize", 2)}};
  auto back = s2d.run()[0];
  EXPECT_EQ(back.dims(), (std::vector<int64_t>{2, 8, 2, 3}));
  EXPECT_EQ(test::values<float>(back), test::values<float>(iota_f({2, 8, 2, 3})));
  EXPECT_EQ(test::infer_with(s2d, 0, Shape({Dim::symbol("n"), Dim(2), Dim(4), Dim(6)}))[0],
            "float32[n,8,2,3]");
  s2d.inputs[0] = iota_f({1, 1, 3, 2});
  test::expect_bad_input(s2d, "divisible");
}

}  // namespace
}  // namespace onyx
