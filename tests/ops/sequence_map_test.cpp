#include "control_test_util.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

// SequenceMap(seq, extra) with body (x, y) -> (SequenceConstruct(x, y) concatenated, Identity(y)).
struct MapModel {
  TestModel m{17};
  Node* map = nullptr;
  explicit MapModel(TypeInfo extra_type) {
    GraphBuilder main(m.graph());
    Value* seq = main.input("seq", TypeInfo::sequence(TypeInfo::tensor(DType::kFloat32)));
    Value* extra = main.input("extra", extra_type);
    auto body = m.subgraph("body");
    GraphBuilder b(*body);
    Value* x = b.input("x", TypeInfo::tensor(DType::kFloat32));
    Value* y = b.input("y", TypeInfo::tensor(DType::kFloat32));
    Value* pair = b.node1("SequenceConstruct", {x, y});
    b.output(b.node1("ConcatFromSequence", {pair}, {test::attr_int("axis", 0)}));
    b.output(b.node1("Identity", {y}));
    auto outs = main.node("SequenceMap", {seq, extra}, 2, {test::attr_graph("body", body)});
    main.output(outs[0]);
    main.output(outs[1]);
    map = m.graph().nodes().back().get();
  }
};

RunValue seq_of(std::vector<std::vector<float>> items) {
  std::vector<Tensor> ts;
  for (auto& v : items) ts.push_back(Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v));
  return RunValue::make_sequence(ts, TypeInfo::tensor(DType::kFloat32));
}

TEST(SequenceMap, PassesTensorsWholeAndSequencesElementwise) {
  MapModel tensor_extra(TypeInfo::tensor(DType::kFloat32, Shape({1})));
  auto r = tensor_extra.m.run({{"seq", seq_of({{1, 2}, {3}})}, {"extra", RunValue(Tensor::from_vector<float>({1}, {9}))}});
  ASSERT_EQ(r[0].second.sequence.size(), 2u);
  EXPECT_EQ(test::values<float>(r[0].second.sequence[0]), (std::vector<float>{1, 2, 9}));
  EXPECT_EQ(test::values<float>(r[0].second.sequence[1]), (std::vector<float>{3, 9}));
  EXPECT_EQ(tensor_extra.map->output(1)->type.to_string(), "seq(float32[1])");

  MapModel seq_extra(TypeInfo::sequence(TypeInfo::tensor(DType::kFloat32)));
  r = seq_extra.m.run({{"seq", seq_of({{1}, {2}})}, {"extra", seq_of({{5}, {6, 7}})}});
  EXPECT_EQ(test::values<float>(r[0].second.sequence[1]), (std::vector<float>{2, 6, 7}));
  std::string msg;
  EXPECT_EQ(test::error_code([&] {
              RefSession(seq_extra.m.model).run({{"seq", seq_of({{1}, {2}})}, {"extra", seq_of({{5}})}});
            }, &msg),
            static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("SequenceMap"), std::string::npos) << msg;
}

TEST(SequenceMap, EmptySequenceGivesEmptyOutputs) {
  MapModel mm(TypeInfo::tensor(DType::kFloat32, Shape({1})));
  auto r = mm.m.run({{"seq", seq_of({})}, {"extra", RunValue(Tensor::from_vector<float>({1}, {9}))}});
  EXPECT_TRUE(r[0].second.is_sequence());
  EXPECT_TRUE(r[0].second.sequence.empty());
  EXPECT_EQ(r[1].second.type.dtype, DType::kFloat32);
}

TEST(SequenceMap, BodyArityMustMatch) {
  MapModel mm(TypeInfo::tensor(DType::kFloat32, Shape({1})));
  mm.map->attributes[0].g->outputs.pop_back();
  EXPECT_EQ(test::error_code([&] { mm.m.prepare(); }), static_cast<int>(ErrorCode::kBadInput));
}

}  // namespace
}  // namespace onyx
