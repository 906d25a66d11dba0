// Each fusion on a small hand-built graph: the pattern is matched (and ref(original) == ref(optimized) within
// the pass tolerance), and near-misses are left alone.
#include "pass_test_util.h"

namespace onyx::passtest {
namespace {

// Conv -> BatchNormalization -> Relu.
void conv_bn_relu(GraphBuilder& b, bool conv_out_also_output) {
  Value* x = b.input("x", {1, 3, 8, 8});
  Value* w = b.weights("w", {4, 3, 3, 3});
  Value* bias = b.weights("b", {4});
  Value* c = b.node("Conv", {x, w, bias}, {intsattr("pads", {1, 1, 1, 1})});
  Value* bn = b.node("BatchNormalization", {c, b.weights("scale", {4}, 0.5, 1.5), b.weights("shift", {4}),
                                            b.weights("mean", {4}), b.weights("var", {4}, 0.5, 2)});
  b.output(b.node("Relu", {bn}));
  if (conv_out_also_output) b.output(c);
}

TEST(PassesFusion, ConvBatchNormReluBecomesOneFusedConv) {
  auto r = optimize_and_compare([](GraphBuilder& b) { conv_bn_relu(b, false); });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedConv"), 1);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->attr_string("activation", ""), "Relu");
  // The original weights are no longer referenced and are dropped.
  EXPECT_EQ(r.optimized->graph->initializers.size(), 2u);
}

TEST(PassesFusion, BatchNormWhoseInputHasAnotherConsumerIsNotFolded) {
  auto r = optimize_and_compare([](GraphBuilder& b) { conv_bn_relu(b, true); });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "BatchNormalization"), 1);
}

TEST(PassesFusion, ConvResidualAddClipBecomesFusedConvWithFourInputs) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {1, 4, 6, 6});
    Value* c = b.node("Conv", {x, b.weights("w", {4, 4, 1, 1})});
    Value* s = b.node("Add", {x, c});
    b.output(b.node("Clip", {s, b.scalar("lo", 0.f), b.scalar("hi", 0.5f)}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  const Node& n = *r.optimized->graph->nodes()[0];
  EXPECT_EQ(n.op_type, "FusedConv");
  EXPECT_EQ(n.num_inputs(), 4u);
  EXPECT_EQ(n.attr_string("activation", ""), "Clip");
  EXPECT_FLOAT_EQ(n.attr_float("activation_beta", 0), 0.5f);
}

TEST(PassesFusion, ConvAddThatBroadcastsToALargerShapeIsNotFused) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {1, 2, 4, 4});
    Value* c = b.node("Conv", {x, b.weights("w", {2, 2, 1, 1})});
    b.output(b.node("Add", {c, b.input("z", {3, 2, 4, 4})}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedConv"), 0);
}

TEST(PassesFusion, MatMulBiasReluBecomesFusedMatMul) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {2, 5, 8});
    Value* m = b.node("MatMul", {x, b.weights("w", {8, 6})});
    Value* a = b.node("Add", {b.weights("bias", {6}), m});
    b.output(b.node("Relu", {a}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->op_type, "FusedMatMul");
  EXPECT_EQ(r.optimized->graph->nodes()[0]->num_inputs(), 3u);
}

TEST(PassesFusion, MatMulAddOfAFullMatrixIsNotABias) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {4, 8});
    Value* m = b.node("MatMul", {x, b.weights("w", {8, 6})});
    b.output(b.node("Add", {m, b.weights("full", {4, 6})}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedMatMul"), 0);
  EXPECT_EQ(count_ops(*r.optimized, "MatMul"), 1);
}

TEST(PassesFusion, GemmTransBWithActivationBecomesFusedMatMul) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {3, 8});
    Value* g = b.node("Gemm", {x, b.weights("w", {5, 8}), b.weights("c", {5})},
                      {iattr("transB", 1), fattr("alpha", 0.5f)});
    b.output(b.node("Sigmoid", {g}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->attr_int("transB", 0), 1);
}

// PyTorch's decomposed LayerNorm (opset < 17 exports).
void layer_norm(GraphBuilder& b, std::vector<int64_t> axes) {
  Value* x = b.input("x", {2, 3, 8});
  Value* mean = b.node("ReduceMean", {x}, {intsattr("axes", axes)});
  Value* d = b.node("Sub", {x, mean});
  Value* sq = b.node("Pow", {d, b.scalar("two", 2.f)});
  Value* var = b.node("ReduceMean", {sq}, {intsattr("axes", axes)});
  Value* s = b.node("Sqrt", {b.node("Add", {var, b.scalar("eps", 1e-5f)})});
  Value* y = b.node("Div", {d, s});
  b.output(b.node("Add", {b.node("Mul", {y, b.weights("gamma", {8})}), b.weights("beta", {8})}));
}

TEST(PassesFusion, LayerNormPatternAtOpset13BecomesOnyxLayerNormalization) {
  auto r = optimize_and_compare([](GraphBuilder& b) { layer_norm(b, {-1}); }, 13);
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(count_ops(*r.optimized, "onyx.LayerNormalization"), 1);
}

TEST(PassesFusion, LayerNormPatternAtOpset17BecomesStandardLayerNormalization) {
  auto r = optimize_and_compare([](GraphBuilder& b) { layer_norm(b, {2}); }, 17);
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "LayerNormalization"), 1);
}

TEST(PassesFusion, NormalizationOverAnotherAxisIsNotLayerNorm) {
  auto r = optimize_and_compare([](GraphBuilder& b) { layer_norm(b, {1}); }, 13);
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.LayerNormalization"), 0);
}

void gelu(GraphBuilder& b, bool half_first) {
  Value* x = b.input("x", {4, 6});
  Value* e = b.node("Erf", {b.node("Div", {x, b.scalar("sqrt2", 1.4142135f)})});
  Value* a = b.node("Add", {e, b.scalar("one", 1.f)});
  if (half_first) {
    b.output(b.node("Mul", {b.node("Mul", {x, b.scalar("half", 0.5f)}), a}));
  } else {
    b.output(b.node("Mul", {b.node("Mul", {x, a}), b.scalar("half", 0.5f)}));
  }
}

TEST(PassesFusion, GeluPatternsBecomeGelu) {
  for (bool half_first : {false, true}) {
    auto r = optimize_and_compare([&](GraphBuilder& b) { gelu(b, half_first); }, 13);
    EXPECT_EQ(r.mismatch, "");
    EXPECT_EQ(count_ops(*r.optimized, "onyx.Gelu"), 1) << half_first;
    EXPECT_EQ(r.optimized->graph->nodes().size(), 1u);
  }
  auto r = optimize_and_compare([&](GraphBuilder& b) { gelu(b, false); }, 20);
  EXPECT_EQ(count_ops(*r.optimized, "Gelu"), 1);
}

TEST(PassesFusion, MatMulBiasGeluBecomesOneFusedMatMul) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        Value* x = b.input("x", {3, 4});
        Value* h = b.node("Add", {b.node("MatMul", {x, b.weights("w", {4, 6})}), b.weights("bias", {6})});
        Value* e = b.node("Erf", {b.node("Mul", {h, b.scalar("isqrt2", 0.70710678f)})});
        b.output(b.node("Mul", {b.node("Mul", {h, b.node("Add", {e, b.scalar("one", 1.f)})}),
                                b.scalar("half", 0.5f)}));
      },
      13);
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->attr_string("activation", ""), "Gelu");
}

TEST(PassesFusion, GeluWithAWrongConstantIsNotGelu) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        Value* x = b.input("x", {4, 6});
        Value* e = b.node("Erf", {b.node("Div", {x, b.scalar("c", 2.f)})});
        b.output(b.node("Mul", {b.node("Mul", {x, b.node("Add", {e, b.scalar("one", 1.f)})}),
                                b.scalar("half", 0.5f)}));
      },
      13);
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.Gelu"), 0);
}

TEST(PassesFusion, ExpOverReduceSumBecomesSoftmax) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {2, 3, 5});
    Value* d = b.node("Sub", {x, b.node("ReduceMax", {x}, {intsattr("axes", {-1})})});
    Value* e = b.node("Exp", {d});
    b.output(b.node("Div", {e, b.node("ReduceSum", {e, b.constant("axes", Tensor::from_vector<int64_t>({1}, {-1}))})}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->op_type, "Softmax");
}

void attention(GraphBuilder& b, bool with_mask, int64_t softmax_axis) {
  Value* q = b.input("q", {2, 2, 5, 4});
  Value* k = b.input("k", {2, 2, 5, 4});
  Value* v = b.input("v", {2, 2, 5, 4});
  Value* kt = b.node("Transpose", {k}, {intsattr("perm", {0, 1, 3, 2})});
  Value* s = b.node("Div", {b.node("MatMul", {q, kt}), b.scalar("sqrt_d", 2.f)});
  if (with_mask) s = b.node("Add", {s, b.weights("mask", {1, 1, 1, 5}, -3, 0)});
  b.output(b.node("MatMul", {b.node("Softmax", {s}, {iattr("axis", softmax_axis)}), v}));
}

TEST(PassesFusion, ScaledMaskedAttentionBecomesOnyxAttention) {
  for (bool mask : {false, true}) {
    auto r = optimize_and_compare([&](GraphBuilder& b) { attention(b, mask, -1); });
    EXPECT_EQ(r.mismatch, "");
    EXPECT_EQ(count_ops(*r.optimized, "onyx.Attention"), 1) << mask;
    EXPECT_EQ(count_ops(*r.optimized, "Transpose"), 1);
    EXPECT_EQ(r.optimized->graph->nodes().size(), 2u);
  }
}

TEST(PassesFusion, SoftmaxOverANonLastAxisIsNotAttention) {
  auto r = optimize_and_compare([&](GraphBuilder& b) { attention(b, true, 1); });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.Attention"), 0);
}

TEST(PassesFusion, PointwiseChainBecomesFusedElementwise) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {3, 4});
    Value* y = b.input("y", {4});
    Value* t = b.node("Mul", {x, y});
    t = b.node("Add", {t, b.scalar("c", 0.25f)});
    t = b.node("Mul", {t, t});  // reads the previous step twice
    t = b.node("LeakyRelu", {b.node("Sub", {x, t})}, {fattr("alpha", 0.2f)});
    b.output(b.node("Sigmoid", {t}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  const Node& n = *r.optimized->graph->nodes()[0];
  EXPECT_EQ(n.op_type, "FusedElementwise");
  EXPECT_EQ(n.attr_strings("ops"), (std::vector<std::string>{"Mul", "Add", "Mul", "Sub", "LeakyRelu", "Sigmoid"}));
  EXPECT_EQ(n.num_inputs(), 3u);  // x, y, c
}

TEST(PassesFusion, PointwiseValueReadTwiceByDifferentNodesSplitsTheChain) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {3, 4});
    Value* t = b.node("Relu", {x});
    Value* u = b.node("Exp", {t});
    b.output(b.node("Add", {b.node("Neg", {u}), b.node("Abs", {t})}));
  });
  EXPECT_EQ(r.mismatch, "");
  // Relu's output has two readers, so Relu is its own node; Exp->Neg->Add fuse; Abs stays alone.
  EXPECT_EQ(count_ops(*r.optimized, "Relu"), 1);
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedElementwise"), 1);
}

}  // namespace
}  // namespace onyx::passtest

namespace onyx::passtest {
namespace {

TEST(PassesFusion, LayerNormWithMulSquareAndAxesInputAtOpset18) {
  auto r = optimize_and_compare(
      [](GraphBuilder& b) {
        Value* x = b.input("x", {3, 6});
        Value* axes = b.constant("axes", Tensor::from_vector<int64_t>({1}, {-1}));
        Value* d = b.node("Sub", {x, b.node("ReduceMean", {x, axes})});
        Value* var = b.node("ReduceMean", {b.node("Mul", {d, d}), axes});
        b.output(b.node("Div", {d, b.node("Sqrt", {b.node("Add", {b.scalar("eps", 1e-6f), var})})}));
      },
      18);
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  const Node& n = *r.optimized->graph->nodes()[0];
  EXPECT_EQ(n.op_type, "LayerNormalization");
  EXPECT_EQ(n.num_inputs(), 2u);  // unit scale added, no bias
  EXPECT_FLOAT_EQ(n.attr_float("epsilon", 0), 1e-6f);
}

TEST(PassesFusion, ExpWithAnotherReaderIsNotSoftmax) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* e = b.node("Exp", {b.input("x", {2, 5})});
    b.output(b.node("Div", {e, b.node("ReduceSum", {e, b.constant("axes", Tensor::from_vector<int64_t>({1}, {1}))})}));
    b.output(b.node("Neg", {e}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "Softmax"), 0);
}

TEST(PassesFusion, BareGemmIsLeftAlone) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    b.output(b.node("Gemm", {b.input("x", {3, 4}), b.weights("w", {4, 2}), b.weights("c", {2})}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "Gemm"), 1);
}

TEST(PassesFusion, ChainWithClipAndFloat16) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {4, 3});
    Value* h = b.node("Cast", {x}, {iattr("to", static_cast<int64_t>(DType::kFloat16))});
    Value* lo = b.constant("lo", Tensor::scalar<float>(-0.5f).cast(DType::kFloat16));
    Value* hi = b.constant("hi", Tensor::scalar<float>(0.75f).cast(DType::kFloat16));
    Value* t = b.node("Clip", {b.node("Mul", {h, h}), lo, hi});
    t = b.node("Tanh", {b.node("Sub", {t, h})});
    b.output(b.node("Cast", {t}, {iattr("to", 1)}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedElementwise"), 1);
  EXPECT_EQ(r.optimized->graph->nodes().size(), 3u);
}

TEST(PassesFusion, SharedConvWeightsSurviveFolding) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {1, 2, 4, 4});
    Value* w = b.weights("w", {2, 2, 1, 1});
    Value* c1 = b.node("Conv", {x, w});
    b.output(b.node("BatchNormalization", {c1, b.weights("s", {2}, 0.5, 1.5), b.weights("t", {2}),
                                           b.weights("m", {2}), b.weights("v", {2}, 0.5, 2)}));
    b.output(b.node("Conv", {x, w}));
  });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "BatchNormalization"), 0);
  EXPECT_EQ(count_ops(*r.optimized, "Conv"), 2);
}

}  // namespace
}  // namespace onyx::passtest
