// The fused onyx-domain ops against the standard ops they replace, for every activation they absorb and the
// variants the fusions produce (Mul vs Div attention scale, batched FusedMatMul, Gelu tanh).
#include "onyx/error.h"
#include "pass_test_util.h"

namespace onyx::passtest {
namespace {

Attribute sattr(const std::string& name, const std::string& v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kString;
  a.s = v;
  return a;
}

// Appends the activation `act` after `v` as standard ops.
Value* activation(GraphBuilder& b, const std::string& act, Value* v) {
  if (act == "LeakyRelu") return b.node(act, {v}, {fattr("alpha", 0.3f)});
  if (act == "HardSigmoid") return b.node(act, {v}, {fattr("alpha", 0.25f), fattr("beta", 0.4f)});
  if (act == "Clip") return b.node(act, {v, b.scalar("lo", -0.2f), b.scalar("hi", 0.3f)});
  if (act == "ClipMinOnly") return b.node("Clip", {v, b.scalar("lo", 0.1f)});
  if (act == "GeluTanh") return b.node("Gelu", {v}, {sattr("approximate", "tanh")});
  return b.node(act, {v});
}

const char* kActivations[] = {"Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish",
                              "Clip", "ClipMinOnly", "Gelu", "GeluTanh"};

TEST(PassesFusedOps, FusedConvMatchesEveryActivation) {
  for (const char* act : kActivations) {
    auto r = optimize_and_compare(
        [&](GraphBuilder& b) {
          Value* x = b.input("x", {1, 4, 5, 5});
          Value* c = b.node("Conv", {x, b.weights("w", {4, 2, 3, 3}), b.weights("b", {4})},
                            {iattr("group", 2), intsattr("pads", {1, 1, 1, 1}), intsattr("strides", {1, 1})});
          b.output(activation(b, act, b.node("Add", {c, x})));
        },
        20);
    EXPECT_EQ(r.mismatch, "") << act;
    EXPECT_EQ(r.optimized->graph->nodes().size(), 1u) << act;
  }
}

TEST(PassesFusedOps, FusedMatMulMatchesEveryActivationBatched) {
  for (const char* act : kActivations) {
    auto r = optimize_and_compare(
        [&](GraphBuilder& b) {
          Value* m = b.node("MatMul", {b.input("x", {2, 3, 4}), b.weights("w", {4, 5})});
          b.output(activation(b, act, b.node("Add", {m, b.weights("bias", {1, 5})})));
        },
        20);
    EXPECT_EQ(r.mismatch, "") << act;
    EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedMatMul"), 1) << act;
  }
}

TEST(PassesFusedOps, AttentionWithMulScaleOnTheLeft) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* q = b.input("q", {3, 4, 8});
    Value* kt = b.input("kt", {3, 8, 6});
    Value* s = b.node("Mul", {b.scalar("scale", 0.35f), b.node("MatMul", {q, kt})});
    b.output(b.node("MatMul", {b.node("Softmax", {s}), b.input("v", {3, 6, 2})}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_FLOAT_EQ(r.optimized->graph->nodes()[0]->attr_float("scale", 1), 0.35f);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->attr_int("scale_is_divisor", 0), 0);
}

TEST(PassesFusedOps, AttentionAtOpset11UsesTheCoercedSoftmaxAxis) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        Value* s = b.node("MatMul", {b.input("q", {5, 3}), b.input("kt", {3, 5})});
        b.output(b.node("MatMul", {b.node("Softmax", {s}), b.input("v", {5, 2})}));
      },
      11);
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.Attention"), 1);
}

TEST(PassesFusedOps, FusedConvRejectsAResidualOfAnotherDtype) {
  GraphBuilder b;
  Value* out = b.g().add_value("y");
  Node* n = b.g().add_node(
      "FusedConv", "onyx",
      {b.input("x", {1, 1, 3, 3}), b.weights("w", {1, 1, 1, 1}), nullptr, b.input("z", {1, 1, 3, 3}, DType::kFloat64)},
      {out}, "bad");
  (void)n;
  b.output(out);
  EXPECT_THROW(prepare_model(*b.model), Error);
}

}  // namespace
}  // namespace onyx::passtest
