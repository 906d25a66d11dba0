#include "control_test_util.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

// If(cond) then: Identity(x) (an outer-scope capture) else: a constant of shape `else_dims`.
struct IfModel {
  TestModel m{16};
  Value* out = nullptr;
  explicit IfModel(std::vector<int64_t> else_dims = {2}, bool const_cond = false, bool cond_value = true) {
    GraphBuilder main(m.graph());
    Value* cond = const_cond ? main.constant("cond", Tensor::scalar<bool>(cond_value))
                             : main.input("cond", test::scalar_type(DType::kBool));
    Value* x = main.input("x", TypeInfo::tensor(DType::kFloat32, Shape({2})));
    auto then_g = m.subgraph("then");
    GraphBuilder t(*then_g);
    t.output(t.node1("Identity", {x}));
    auto else_g = m.subgraph("else");
    GraphBuilder e(*else_g);
    std::vector<float> vals(static_cast<size_t>(checked_numel(else_dims)), 7.0f);
    e.output(e.node1("Constant", {}, {test::attr_tensor("value", Tensor::from_vector<float>(else_dims, vals))}));
    out = main.node1("If", {cond}, {test::attr_graph("then_branch", then_g), test::attr_graph("else_branch", else_g)});
    main.output(out);
  }
};

TEST(If, RunsTheBranchTheConditionSelectsWithOuterScopeCaptures) {
  IfModel im;
  const Tensor x = Tensor::from_vector<float>({2}, {1.5f, -2});
  auto r = im.m.run({{"cond", RunValue(Tensor::scalar<bool>(true))}, {"x", RunValue(x)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{1.5f, -2}));
  r = RefSession(im.m.model).run({{"cond", RunValue(Tensor::scalar<bool>(false))}, {"x", RunValue(x)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{7, 7}));
}

TEST(If, AcceptsOneElementConditionsOfAnyRankAndRejectsSeveralElements) {
  IfModel im;
  im.m.graph().inputs[0]->type = TypeInfo::tensor(DType::kBool);
  const Tensor x = Tensor::from_vector<float>({2}, {1, 2});
  auto r = im.m.run({{"cond", RunValue(Tensor::from_vector<bool>({1, 1}, {false}))}, {"x", RunValue(x)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{7, 7}));
  std::string msg;
  EXPECT_EQ(test::error_code([&] {
              RefSession(im.m.model).run(
                  {{"cond", RunValue(Tensor::from_vector<bool>({2}, {true, false}))}, {"x", RunValue(x)}});
            }, &msg),
            static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("If"), std::string::npos) << msg;
}

TEST(If, InfersTheUnionOfBothBranchesOrTheConstantBranch) {
  IfModel same;
  same.m.prepare();
  EXPECT_EQ(same.out->type.to_string(), "float32[2]");
  IfModel differ({3});
  differ.m.prepare();
  EXPECT_EQ(differ.out->type.to_string(), "float32[?]");
  IfModel known_false({3}, true, false);
  known_false.m.prepare();
  EXPECT_EQ(known_false.out->type.to_string(), "float32[3]");
}

TEST(If, BranchesWithDifferentOutputCountsAreBadInput) {
  IfModel im;
  Graph& main = im.m.graph();
  Graph* else_g = main.nodes().back()->attributes[1].g.get();
  else_g->outputs.push_back(else_g->outputs[0]);
  std::string msg;
  EXPECT_EQ(test::error_code([&] { im.m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("If0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("else_branch has 2"), std::string::npos) << msg;
}

TEST(If, ConditionMustBeBool) {
  IfModel im;
  im.m.graph().inputs[0]->type = test::scalar_type(DType::kInt64);
  EXPECT_EQ(test::error_code([&] { im.m.prepare(); }), static_cast<int>(ErrorCode::kBadInput));
}

}  // namespace
}  // namespace onyx

namespace onyx {
namespace {

// A branch may return an outer-scope value directly (no node inside reads it). The value must stay alive until the
// If has run even when nothing after it uses the value.
TEST(If, BranchOutputThatIsAnOuterValueStaysAlive) {
  test::TestModel m(16);
  test::GraphBuilder main(m.graph());
  Value* cond = main.input("cond", test::scalar_type(DType::kBool));
  Value* x = main.input("x", TypeInfo::tensor(DType::kFloat32, Shape({1})));
  Value* y = main.node1("Identity", {x});
  main.output(main.node1("Identity", {y}));  // y's last use by a node of the main graph
  auto then_g = m.subgraph("then");
  then_g->outputs.push_back(y);
  auto else_g = m.subgraph("else");
  else_g->outputs.push_back(y);
  main.output(main.node1("If", {cond}, {test::attr_graph("then_branch", then_g), test::attr_graph("else_branch", else_g)}));
  auto r = m.run({{"cond", RunValue(Tensor::scalar<bool>(true))}, {"x", RunValue(Tensor::from_vector<float>({1}, {4}))}});
  EXPECT_EQ(r[1].second.tensor.data<float>()[0], 4);
}

}  // namespace
}  // namespace onyx
