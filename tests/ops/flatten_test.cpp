#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Flatten, AxesIncludingNegativeAndSymbolic) {
  test::SingleOp op{
      .op_type = "Flatten", .inputs = {iota_f({2, 3, 4})}, .attributes = {test::attr_int("axis", -1)}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{6, 4}));
  op.attributes = {test::attr_int("axis", 0)};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1, 24}));
  op.attributes = {test::attr_int("axis", 3)};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{24, 1}));
  op.attributes = {test::attr_int("axis", 4)};
  EXPECT_THROW(op.run(), Error);
  op.attributes = {};
  auto m = op.build();
  m->graph->inputs[0]->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("n"), Dim(3), Dim(4)}));
  prepare_model(*m);
  EXPECT_EQ(m->graph->outputs[0]->type.to_string(), "float32[n,12]");
}

TEST(Flatten, ScalarAndStrings) {
  test::SingleOp op{.op_type = "Flatten", .inputs = {Tensor::scalar<std::string>("a")}};
  op.attributes = {test::attr_int("axis", 0)};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(out[0].data<std::string>()[0], "a");
}

}  // namespace
}  // namespace onyx
