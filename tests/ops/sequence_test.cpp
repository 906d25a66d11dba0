#include "control_test_util.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

RunValue floats_seq(std::vector<std::vector<float>> items) {
  std::vector<Tensor> ts;
  for (auto& v : items) ts.push_back(Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v));
  return RunValue::make_sequence(ts, TypeInfo::tensor(DType::kFloat32));
}

// One node over a sequence input "s" and tensor inputs, returning output 0.
struct SeqOp {
  TestModel m{18};
  Value* out = nullptr;
  SeqOp(const std::string& op, std::vector<TypeInfo> tensor_inputs, std::vector<Attribute> attrs = {},
        bool seq_input = true) {
    GraphBuilder g(m.graph());
    std::vector<Value*> ins;
    if (seq_input) ins.push_back(g.input("s", TypeInfo::sequence(TypeInfo::tensor(DType::kFloat32))));
    for (size_t i = 0; i < tensor_inputs.size(); ++i)
      ins.push_back(g.input("t" + std::to_string(i), tensor_inputs[i]));
    out = g.node1(op, ins, attrs);
    g.output(out);
  }
  RunValue run(NamedValues feeds) { return m.run(feeds)[0].second; }
};

TypeInfo f32(Shape s) { return TypeInfo::tensor(DType::kFloat32, std::move(s)); }
TypeInfo i64_scalar() { return test::scalar_type(DType::kInt64); }

TEST(Sequence, ConstructInsertAtEraseLength) {
  TestModel m;
  GraphBuilder g(m.graph());
  Value* a = g.input("a", f32(Shape({2})));
  Value* b = g.input("b", f32(Shape({3})));
  Value* seq = g.node1("SequenceConstruct", {a, b});                                 // [a, b]
  Value* front = g.constant("front", Tensor::scalar<int64_t>(0));
  Value* seq2 = g.node1("SequenceInsert", {seq, b, front});                          // [b, a, b]
  Value* minus1 = g.constant("minus1", Tensor::from_vector<int32_t>({}, {-1}));
  Value* last = g.node1("SequenceAt", {seq2, minus1});                               // b
  Value* seq3 = g.node1("SequenceErase", {seq2});                                    // [b, a]
  Value* len = g.node1("SequenceLength", {seq3});                                    // 2
  Value* first = g.node1("SequenceAt", {seq3, g.constant("one", Tensor::scalar<int64_t>(1))});  // a
  for (Value* v : {seq2, last, seq3, len, first}) g.output(v);
  auto r = m.run({{"a", RunValue(Tensor::from_vector<float>({2}, {1, 2}))},
                  {"b", RunValue(Tensor::from_vector<float>({3}, {3, 4, 5}))}});
  ASSERT_TRUE(r[0].second.is_sequence());
  EXPECT_EQ(r[0].second.sequence.size(), 3u);
  EXPECT_EQ(r[0].second.sequence[0].numel(), 3);
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(r[2].second.sequence.size(), 2u);
  EXPECT_EQ(r[3].second.tensor.data<int64_t>()[0], 2);
  EXPECT_EQ(test::values<float>(r[4].second.tensor), (std::vector<float>{1, 2}));
  EXPECT_EQ(seq->type.to_string(), "seq(float32[?])");
  EXPECT_EQ(len->type.to_string(), "int64[]");
}

TEST(Sequence, EmptyHasItsDtypeAndInsertChecksIt) {
  TestModel m;
  GraphBuilder g(m.graph());
  Value* e = g.node1("SequenceEmpty", {}, {test::attr_int("dtype", static_cast<int64_t>(DType::kInt32))});
  Value* x = g.input("x", TypeInfo::tensor(DType::kFloat32, Shape({1})));
  g.output(g.node1("SequenceInsert", {e, x}));
  std::string msg;
  EXPECT_EQ(test::error_code([&] { m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("does not match"), std::string::npos) << msg;
  SeqOp empty("SequenceEmpty", {}, {}, false);
  const RunValue r = empty.run({});
  EXPECT_TRUE(r.is_sequence());
  EXPECT_TRUE(r.sequence.empty());
  EXPECT_EQ(r.type.dtype, DType::kFloat32);
}

TEST(Sequence, PositionsOutOfRangeAreBadInputNamingTheNode) {
  SeqOp at("SequenceAt", {i64_scalar()});
  std::string msg;
  EXPECT_EQ(test::error_code([&] {
              at.run({{"s", floats_seq({{1}, {2}})}, {"t0", RunValue(Tensor::scalar<int64_t>(2))}});
            }, &msg),
            static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("SequenceAt0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of range"), std::string::npos) << msg;
  EXPECT_EQ(test::values<float>(RefSession(at.m.model)
                                    .run({{"s", floats_seq({{1}, {2}})}, {"t0", RunValue(Tensor::scalar<int64_t>(-2))}})[0]
                                    .second.tensor),
            (std::vector<float>{1}));
  EXPECT_EQ(test::error_code([&] {
              RefSession(at.m.model).run({{"s", floats_seq({{1}, {2}})}, {"t0", RunValue(Tensor::scalar<int64_t>(-3))}});
            }),
            static_cast<int>(ErrorCode::kBadInput));
  SeqOp insert("SequenceInsert", {f32(Shape({1})), i64_scalar()});
  EXPECT_EQ(test::error_code([&] {
              insert.run({{"s", floats_seq({{1}})},
                          {"t0", RunValue(Tensor::from_vector<float>({1}, {5}))},
                          {"t1", RunValue(Tensor::scalar<int64_t>(2))}});
            }),
            static_cast<int>(ErrorCode::kBadInput));
  // Position n (the end) is accepted by insert.
  const RunValue r = RefSession(insert.m.model)
                         .run({{"s", floats_seq({{1}})},
                               {"t0", RunValue(Tensor::from_vector<float>({1}, {5}))},
                               {"t1", RunValue(Tensor::scalar<int64_t>(1))}})[0]
                         .second;
  EXPECT_EQ(r.sequence[1].data<float>()[0], 5);
  SeqOp erase("SequenceErase", {});
  EXPECT_EQ(test::error_code([&] { erase.run({{"s", floats_seq({})}}); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(ConcatFromSequence, ConcatenatesOrStacksOnANewAxis) {
  SeqOp cat("ConcatFromSequence", {}, {test::attr_int("axis", -1)});
  RunValue r = cat.run({{"s", floats_seq({{1, 2}, {3}})}});
  EXPECT_EQ(test::values<float>(r.tensor), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(cat.out->type.to_string(), "float32[...]");
  SeqOp stack("ConcatFromSequence", {}, {test::attr_int("axis", -1), test::attr_int("new_axis", 1)});
  r = stack.run({{"s", floats_seq({{1, 2}, {3, 4}, {5, 6}})}});
  EXPECT_EQ(r.tensor.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(r.tensor), (std::vector<float>{1, 3, 5, 2, 4, 6}));
  // Stacking needs equal shapes; axis out of range and empty sequences are bad input.
  EXPECT_EQ(test::error_code([&] { RefSession(stack.m.model).run({{"s", floats_seq({{1, 2}, {3}})}}); }),
            static_cast<int>(ErrorCode::kBadInput));
  EXPECT_EQ(test::error_code([&] { RefSession(stack.m.model).run({{"s", floats_seq({})}}); }),
            static_cast<int>(ErrorCode::kBadInput));
  SeqOp bad_axis("ConcatFromSequence", {}, {test::attr_int("axis", 1)});
  EXPECT_EQ(test::error_code([&] { bad_axis.run({{"s", floats_seq({{1}})}}); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(SplitToSequence, SplitsEquallyByListOrIntoSingles) {
  const Tensor x = Tensor::from_vector<float>({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  // Scalar split: chunks of 2 on axis 1, the last one shorter.
  SeqOp chunks("SplitToSequence", {TypeInfo::tensor(DType::kFloat32, Shape({2, 5})), i64_scalar()},
               {test::attr_int("axis", 1)}, false);
  RunValue r = chunks.run({{"t0", RunValue(x)}, {"t1", RunValue(Tensor::scalar<int64_t>(2))}});
  ASSERT_EQ(r.sequence.size(), 3u);
  EXPECT_EQ(r.sequence[2].dims(), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(test::values<float>(r.sequence[0]), (std::vector<float>{0, 1, 5, 6}));
  // List split.
  SeqOp list("SplitToSequence", {TypeInfo::tensor(DType::kFloat32, Shape({2, 5})),
                                 TypeInfo::tensor(DType::kInt32, Shape({2}))},
             {test::attr_int("axis", -1)}, false);
  r = list.run({{"t0", RunValue(x)}, {"t1", RunValue(Tensor::from_vector<int32_t>({2}, {4, 1}))}});
  ASSERT_EQ(r.sequence.size(), 2u);
  EXPECT_EQ(test::values<float>(r.sequence[1]), (std::vector<float>{4, 9}));
  EXPECT_EQ(test::error_code([&] {
              RefSession(list.m.model).run({{"t0", RunValue(x)}, {"t1", RunValue(Tensor::from_vector<int32_t>({2}, {4, 2}))}});
            }),
            static_cast<int>(ErrorCode::kBadInput));
  // No split: one element each, keepdims=0 removes the axis.
  SeqOp singles("SplitToSequence", {TypeInfo::tensor(DType::kFloat32, Shape({2, 5}))}, {test::attr_int("keepdims", 0)},
                false);
  r = singles.run({{"t0", RunValue(x)}});
  ASSERT_EQ(r.sequence.size(), 2u);
  EXPECT_EQ(r.sequence[1].dims(), (std::vector<int64_t>{5}));
  EXPECT_EQ(singles.out->type.to_string(), "seq(float32[5])");
}

TEST(SplitToSequence, ZeroSizedAxisGivesAnEmptySequence) {
  SeqOp singles("SplitToSequence", {TypeInfo::tensor(DType::kString, Shape({0, 2}))}, {}, false);
  const RunValue r = singles.run({{"t0", RunValue(Tensor(DType::kString, {0, 2}))}});
  EXPECT_TRUE(r.is_sequence());
  EXPECT_TRUE(r.sequence.empty());
}

}  // namespace
}  // namespace onyx
