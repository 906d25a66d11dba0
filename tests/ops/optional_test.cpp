#include "control_test_util.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

TEST(Optional, WrapsTensorsAndSequencesAndBuildsEmptyOptionals) {
  TestModel m(18);
  GraphBuilder g(m.graph());
  Value* x = g.input("x", TypeInfo::tensor(DType::kFloat32, Shape({2})));
  Value* wrapped = g.node1("Optional", {x});
  Value* seq = g.node1("SequenceConstruct", {x});
  Value* wrapped_seq = g.node1("Optional", {seq});
  Value* empty = g.node1("Optional", {}, {test::attr_type("type", TypeInfo::tensor(DType::kInt64))});
  for (Value* v : {wrapped, wrapped_seq, empty}) {
    g.output(g.node1("OptionalHasElement", {v}));
  }
  g.output(g.node1("OptionalGetElement", {wrapped}));
  g.output(g.node1("OptionalGetElement", {wrapped_seq}));
  g.output(empty);
  auto r = m.run({{"x", RunValue(Tensor::from_vector<float>({2}, {1, 2}))}});
  EXPECT_TRUE(r[0].second.tensor.data<bool>()[0]);
  EXPECT_TRUE(r[1].second.tensor.data<bool>()[0]);
  EXPECT_FALSE(r[2].second.tensor.data<bool>()[0]);
  EXPECT_EQ(test::values<float>(r[3].second.tensor), (std::vector<float>{1, 2}));
  EXPECT_FALSE(r[3].second.is_optional);
  EXPECT_TRUE(r[4].second.is_sequence());
  EXPECT_TRUE(r[5].second.is_none());
  EXPECT_TRUE(r[5].second.is_optional);
  EXPECT_EQ(r[5].second.type.dtype, DType::kInt64);
  EXPECT_EQ(wrapped->type.to_string(), "optional(float32[2])");
  EXPECT_EQ(empty->type.to_string(), "optional(int64[...])");
}

TEST(Optional, GetElementOfAnEmptyOptionalIsBadInput) {
  TestModel m(15);
  GraphBuilder g(m.graph());
  Value* in = g.input("maybe", TypeInfo::optional(TypeInfo::tensor(DType::kFloat32)));
  g.output(g.node1("OptionalGetElement", {in}));
  std::string msg;
  EXPECT_EQ(test::error_code([&] { m.run({}); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(Optional, Opset18AcceptsPlainTensorsAndAbsentInputs) {
  TestModel m(18);
  GraphBuilder g(m.graph());
  Value* x = g.input("x", TypeInfo::tensor(DType::kFloat32, Shape({1})));
  g.output(g.node1("OptionalHasElement", {x}));
  g.output(g.node1("OptionalHasElement", {nullptr}));
  g.output(g.node1("OptionalGetElement", {x}));
  auto r = m.run({{"x", RunValue(Tensor::from_vector<float>({1}, {3}))}});
  EXPECT_TRUE(r[0].second.tensor.data<bool>()[0]);
  EXPECT_FALSE(r[1].second.tensor.data<bool>()[0]);
  EXPECT_EQ(r[2].second.tensor.data<float>()[0], 3);
}

TEST(Optional, Opset15RequiresOptionalInputs) {
  TestModel m(15);
  GraphBuilder g(m.graph());
  Value* x = g.input("x", TypeInfo::tensor(DType::kFloat32, Shape({1})));
  g.output(g.node1("OptionalHasElement", {x}));
  EXPECT_EQ(test::error_code([&] { m.prepare(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(Optional, NeedsAnInputOrAType) {
  TestModel m(18);
  GraphBuilder g(m.graph());
  g.output(g.node1("Optional", {}));
  EXPECT_EQ(test::error_code([&] { m.prepare(); }), static_cast<int>(ErrorCode::kBadInput));
}

}  // namespace
}  // namespace onyx
