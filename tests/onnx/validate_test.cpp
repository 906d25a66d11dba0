// validate_graph: each structural invariant of the IR, broken on purpose in a graph built in memory.
#include "onyx/validate.h"

#include <gtest/gtest.h>

#include "onyx/error.h"
#include "onyx/limits.h"

namespace onyx {

namespace {

// x -> Relu -> a -> Neg -> y
struct Chain {
  Graph g;
  Value* x;
  Value* a;
  Value* y;
  Chain() {
    g.name = "main";
    x = g.add_value("x");
    x->type = TypeInfo::tensor(DType::kFloat32, Shape{2});
    g.inputs.push_back(x);
    a = g.add_value("a");
    y = g.add_value("y");
    g.add_node("Relu", "", {x}, {a}, "relu");
    g.add_node("Neg", "", {a}, {y}, "neg");
    g.outputs.push_back(y);
  }
};

std::string error_of(const Graph& g) {
  try {
    validate_graph(g, "m.onnx");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    return e.what();
  }
  return "";
}

Attribute graph_attr(const std::string& name, std::shared_ptr<Graph> g) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kGraph;
  a.g = std::move(g);
  return a;
}

}  // namespace

TEST(Validate, AcceptsAValidGraph) {
  Chain c;
  EXPECT_EQ(error_of(c.g), "");
}

TEST(Validate, AcceptsAnInitializerThatIsAlsoAGraphInput) {
  Chain c;
  c.x->initializer = Tensor::from_vector<float>({2}, {1, 2});
  c.g.initializers.push_back(c.x);
  EXPECT_EQ(error_of(c.g), "");
}

TEST(Validate, NodesOutOfOrder) {
  Graph g;
  g.name = "main";
  Value* x = g.add_value("x");
  g.inputs.push_back(x);
  Value* a = g.add_value("a");
  Value* y = g.add_value("y");
  g.add_node("Neg", "", {a}, {y}, "reader");  // reads `a` before it is produced
  g.add_node("Relu", "", {x}, {a}, "writer");
  g.outputs.push_back(y);
  EXPECT_EQ(
      error_of(g),
      "m.onnx: graph 'main': node 'reader' (Neg) input 0 'a' is read before node 'writer' (Relu) produces it "
      "(nodes out of order, or a cycle)");
  g.sort_topologically();
  EXPECT_EQ(error_of(g), "");
}

TEST(Validate, InputNothingProduces) {
  Chain c;
  Value* ghost = c.g.add_value("ghost");
  Value* z = c.g.add_value("z");
  c.g.add_node("Relu", "", {ghost}, {z}, "reader");
  EXPECT_EQ(
      error_of(c.g),
      "m.onnx: graph 'main': node 'reader' (Relu) input 0 'ghost' is not produced by any node, input or "
      "initializer");
}

TEST(Validate, GraphOutputNothingProduces) {
  Chain c;
  c.g.outputs.push_back(c.g.add_value("dangling"));
  EXPECT_EQ(
      error_of(c.g),
      "m.onnx: graph 'main': graph output 'dangling' is not produced by any node, input or initializer");
}

TEST(Validate, GraphInputThatANodeAlsoProduces) {
  Chain c;
  c.g.add_node("Relu", "", {c.y}, {c.x}, "overwrite");
  EXPECT_NE(error_of(c.g).find("graph input 'x' is also produced by node 'overwrite' (Relu)"),
            std::string::npos);
}

TEST(Validate, StaleUseListFromANodeOutsideTheModel) {
  Chain c;
  Graph other;
  Value* z = other.add_value("z");
  other.add_node("Relu", "", {c.a}, {z}, "stranger");  // records a use of `a` by a node outside c.g
  EXPECT_NE(error_of(c.g).find("value 'a' has a use by a node that is not in the model (stale use list)"),
            std::string::npos);
}

TEST(Validate, DuplicateAttribute) {
  Chain c;
  Node* n = c.g.nodes()[0].get();
  Attribute a;
  a.name = "alpha";
  a.type = AttrType::kFloat;
  n->attributes.push_back(a);
  n->attributes.push_back(a);
  EXPECT_EQ(error_of(c.g), "m.onnx: graph 'main': node 'relu' (Relu) has attribute 'alpha' twice");
}

TEST(Validate, SubgraphCaptureOfAnEarlierOuterValueIsFine) {
  Chain c;
  auto sub = std::make_shared<Graph>(&c.g);
  sub->name = "body";
  Value* out = sub->add_value("body_out");
  sub->add_node("Identity", "", {c.a}, {out}, "capture");
  sub->outputs.push_back(out);
  Value* r = c.g.add_value("r");
  Node* holder = c.g.add_node("If", "", {c.x}, {r}, "if");
  holder->attributes.push_back(graph_attr("then_branch", sub));
  EXPECT_EQ(error_of(c.g), "");
}

TEST(Validate, SubgraphCaptureOfAnOuterValueProducedLater) {
  Chain c;
  auto sub = std::make_shared<Graph>(&c.g);
  sub->name = "body";
  Value* late = c.g.add_value("late");
  Value* out = sub->add_value("body_out");
  sub->add_node("Identity", "", {late}, {out}, "capture");
  sub->outputs.push_back(out);
  Value* r = c.g.add_value("r");
  Node* holder = c.g.add_node("If", "", {c.x}, {r}, "if");
  holder->attributes.push_back(graph_attr("then_branch", sub));
  c.g.add_node("Relu", "", {c.x}, {late}, "late_producer");
  EXPECT_EQ(
      error_of(c.g),
      "m.onnx: graph 'body': node 'capture' (Identity) input 0 'late' is read before node 'late_producer' "
      "(Relu) produces it (nodes out of order, or a cycle)");
}

TEST(Validate, SubgraphReadingTheOutputOfItsOwnHolder) {
  Chain c;
  auto sub = std::make_shared<Graph>(&c.g);
  sub->name = "body";
  Value* r = c.g.add_value("r");
  Value* out = sub->add_value("body_out");
  sub->add_node("Identity", "", {r}, {out}, "capture");
  sub->outputs.push_back(out);
  Node* holder = c.g.add_node("If", "", {c.x}, {r}, "if");
  holder->attributes.push_back(graph_attr("then_branch", sub));
  EXPECT_NE(error_of(c.g).find("input 0 'r' is read before node 'if' (If) produces it"), std::string::npos);
}

TEST(Validate, SubgraphReadingASiblingsValue) {
  Chain c;
  auto then_g = std::make_shared<Graph>(&c.g);
  then_g->name = "then";
  Value* hidden = then_g->add_value("hidden");
  then_g->add_node("Relu", "", {c.a}, {hidden}, "then_relu");
  then_g->outputs.push_back(hidden);
  auto else_g = std::make_shared<Graph>(&c.g);
  else_g->name = "else";
  Value* e = else_g->add_value("e");
  else_g->add_node("Identity", "", {hidden}, {e}, "peeker");
  else_g->outputs.push_back(e);
  Value* r = c.g.add_value("r");
  Node* holder = c.g.add_node("If", "", {c.x}, {r}, "if");
  holder->attributes.push_back(graph_attr("then_branch", then_g));
  holder->attributes.push_back(graph_attr("else_branch", else_g));
  EXPECT_EQ(
      error_of(c.g),
      "m.onnx: graph 'else': node 'peeker' (Identity) input 0 'hidden' is a value of a graph that does not "
      "enclose this one");
}

TEST(Validate, SubgraphWithAWrongParent) {
  Chain c;
  auto sub = std::make_shared<Graph>(nullptr);  // should point at c.g
  sub->name = "orphan";
  Value* r = c.g.add_value("r");
  Node* holder = c.g.add_node("If", "", {c.x}, {r}, "if");
  holder->attributes.push_back(graph_attr("then_branch", sub));
  EXPECT_NE(error_of(c.g).find("subgraph 'orphan' does not point at its enclosing graph"), std::string::npos);
}

TEST(Validate, SubgraphDepthLimit) {
  Chain c;
  Graph* cur = &c.g;
  std::vector<std::shared_ptr<Graph>> keep;
  for (int d = 0; d < 6; ++d) {
    auto sub = std::make_shared<Graph>(cur);
    sub->name = "level" + std::to_string(d + 1);
    Value* r = cur->add_value("r" + std::to_string(d));
    Node* holder = cur->add_node("If", "", {c.x}, {r}, "if" + std::to_string(d));
    holder->attributes.push_back(graph_attr("then_branch", sub));
    cur = sub.get();
    keep.push_back(sub);
  }
  EXPECT_EQ(error_of(c.g), "");
  const int saved = limits().max_subgraph_depth;
  limits().max_subgraph_depth = 3;
  EXPECT_EQ(error_of(c.g), "m.onnx: graph 'level4': subgraphs nested deeper than 3 levels");
  limits().max_subgraph_depth = saved;
}

TEST(Validate, RemoveNodeLeavesConsistentUseLists) {
  Chain c;
  Node* neg = c.g.nodes()[1].get();
  c.g.remove_node(neg);
  // `y` is now produced by nothing.
  EXPECT_EQ(error_of(c.g),
            "m.onnx: graph 'main': graph output 'y' is not produced by any node, input or initializer");
  c.g.outputs = {c.a};
  EXPECT_EQ(error_of(c.g), "");
  EXPECT_TRUE(c.a->uses().empty());
}

TEST(Validate, ModelChecksFunctionBodies) {
  Model m;
  m.path = "f.onnx";
  m.graph = std::make_shared<Graph>();
  Function f;
  f.name = "F";
  f.body = std::make_shared<Graph>();
  Value* in = f.body->add_value("a");
  f.body->inputs.push_back(in);
  f.body->outputs.push_back(f.body->add_value("never"));
  m.functions.push_back(f);
  try {
    validate_model(m);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "f.onnx: function 'F': graph '': graph output 'never' is not produced by any node, input or "
              "initializer");
  }
}

}  // namespace onyx
