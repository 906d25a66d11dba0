#include "control_test_util.h"
#include "onyx/limits.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

// Loop(M, cond, seq) whose body appends the iteration number to a loop-carried sequence, emits it as a scan output,
// and takes its next condition from an outer-scope sequence of bools indexed by the iteration number.
struct LoopModel {
  TestModel m{16};
  Node* loop = nullptr;
  LoopModel(bool with_m, bool with_cond) {
    GraphBuilder main(m.graph());
    Value* trip = with_m ? main.input("M", test::scalar_type(DType::kInt64)) : nullptr;
    Value* cond = with_cond ? main.input("cond", test::scalar_type(DType::kBool)) : nullptr;
    Value* keep_going = main.input("keep_going", TypeInfo::sequence(TypeInfo::tensor(DType::kBool, Shape())));
    Value* seq0 = main.node1("SequenceEmpty", {}, {test::attr_int("dtype", static_cast<int64_t>(DType::kInt64))});
    auto body = m.subgraph("body");
    GraphBuilder b(*body);
    Value* iter = b.input("iter", test::scalar_type(DType::kInt64));
    b.input("cond_in", test::scalar_type(DType::kBool));
    Value* seq_in = b.input("seq_in", TypeInfo::sequence(TypeInfo::tensor(DType::kInt64)));
    b.output(b.node1("SequenceAt", {keep_going, iter}));
    b.output(b.node1("SequenceInsert", {seq_in, iter}));
    b.output(b.node1("Identity", {iter}));
    auto outs = main.node("Loop", {trip, cond, seq0}, 2, {test::attr_graph("body", body)});
    main.output(outs[0]);
    main.output(outs[1]);
    loop = m.graph().nodes().back().get();
  }
};

RunValue bools(std::vector<bool> v) {
  std::vector<Tensor> items;
  for (bool b : v) items.push_back(Tensor::scalar<bool>(b));
  return RunValue::make_sequence(items, TypeInfo::tensor(DType::kBool, Shape()));
}

TEST(Loop, TripCountCarriesValuesAndStacksScanOutputs) {
  LoopModel lm(true, false);
  // Without the cond input the body's condition is ignored (the spec's "for loop").
  auto r = lm.m.run({{"M", RunValue(Tensor::scalar<int64_t>(3))}, {"keep_going", bools({false, false, false})}});
  ASSERT_TRUE(r[0].second.is_sequence());
  ASSERT_EQ(r[0].second.sequence.size(), 3u);
  EXPECT_EQ(r[0].second.sequence[2].data<int64_t>()[0], 2);
  EXPECT_EQ(r[1].second.tensor.dims(), (std::vector<int64_t>{3}));
  EXPECT_EQ(test::values<int64_t>(r[1].second.tensor), (std::vector<int64_t>{0, 1, 2}));
}

TEST(Loop, ConditionEndsTheLoopAndTheTripCountCapsIt) {
  LoopModel lm(true, true);
  auto r = lm.m.run({{"M", RunValue(Tensor::scalar<int64_t>(10))},
                     {"cond", RunValue(Tensor::scalar<bool>(true))},
                     {"keep_going", bools({true, true, false, true})}});
  EXPECT_EQ(r[0].second.sequence.size(), 3u);
  EXPECT_EQ(test::values<int64_t>(r[1].second.tensor), (std::vector<int64_t>{0, 1, 2}));
  r = RefSession(lm.m.model).run({{"M", RunValue(Tensor::scalar<int64_t>(2))},
                                  {"cond", RunValue(Tensor::scalar<bool>(true))},
                                  {"keep_going", bools({true, true, true})}});
  EXPECT_EQ(r[0].second.sequence.size(), 2u);
}

TEST(Loop, ZeroIterationsGiveTheInitialValuesAndAnEmptyScanOutput) {
  LoopModel lm(true, true);
  auto r = lm.m.run({{"M", RunValue(Tensor::scalar<int64_t>(5))},
                     {"cond", RunValue(Tensor::scalar<bool>(false))},
                     {"keep_going", bools({})}});
  EXPECT_TRUE(r[0].second.is_sequence());
  EXPECT_TRUE(r[0].second.sequence.empty());
  EXPECT_EQ(r[1].second.tensor.dtype(), DType::kInt64);
  EXPECT_EQ(r[1].second.tensor.dims(), (std::vector<int64_t>{0}));
  // A negative trip count runs nothing either.
  r = RefSession(lm.m.model).run({{"M", RunValue(Tensor::scalar<int64_t>(-4))},
                                  {"cond", RunValue(Tensor::scalar<bool>(true))},
                                  {"keep_going", bools({})}});
  EXPECT_EQ(r[1].second.tensor.numel(), 0);
}

TEST(Loop, WhileLoopWithoutTripCountIsCappedByTheLimit) {
  LoopModel lm(false, true);
  const int64_t saved = limits().max_loop_iterations;
  limits().max_loop_iterations = 5;
  std::string msg;
  const int code = test::error_code([&] {
    lm.m.run({{"cond", RunValue(Tensor::scalar<bool>(true))}, {"keep_going", bools(std::vector<bool>(8, true))}});
  }, &msg);
  limits().max_loop_iterations = saved;
  EXPECT_EQ(code, static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("(--max-loop-iterations)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("Loop"), std::string::npos) << msg;
  // Within the limit the while loop ends on its condition.
  auto r = RefSession(lm.m.model).run({{"cond", RunValue(Tensor::scalar<bool>(true))},
                                       {"keep_going", bools({true, false})}});
  EXPECT_EQ(r[0].second.sequence.size(), 2u);
}

TEST(Loop, InfersCarriedAndScanOutputTypes) {
  LoopModel lm(true, false);
  lm.m.prepare();
  EXPECT_EQ(lm.loop->output(0)->type.to_string(), "seq(int64[...])");
  EXPECT_EQ(lm.loop->output(1)->type.to_string(), "int64[?]");
}

TEST(Loop, BodyInputCountMustMatchTheNode) {
  LoopModel lm(true, false);
  Graph* body = lm.loop->attributes[0].g.get();
  GraphBuilder(*body).input("extra", test::scalar_type(DType::kInt64));
  std::string msg;
  EXPECT_EQ(test::error_code([&] { lm.m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("Loop"), std::string::npos) << msg;
  EXPECT_NE(msg.find("body has 4 inputs"), std::string::npos) << msg;
}

TEST(Loop, BodyOutputCountMustMatchTheNode) {
  LoopModel lm(true, false);
  Graph* body = lm.loop->attributes[0].g.get();
  body->outputs.pop_back();
  std::string msg;
  EXPECT_EQ(test::error_code([&] { lm.m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("outputs"), std::string::npos) << msg;
}

}  // namespace
}  // namespace onyx
