// The pass manager and the simplification passes: validation names the pass, --disable-pass, --max-rewrites
// bisection, the dump hook, folding/cleanup, and export of the fused onyx-domain ops.
#include <set>

#include "onyx/error.h"
#include "onyx/onnx.h"
#include "pass_test_util.h"

namespace onyx::passtest {
namespace {

// Three independent Conv->Relu branches: three fusions available.
void three_convs(GraphBuilder& b) {
  Value* x = b.input("x", {1, 2, 5, 5});
  for (int i = 0; i < 3; ++i)
    b.output(b.node("Relu", {b.node("Conv", {x, b.weights("w" + std::to_string(i), {2, 2, 3, 3})})}));
}

TEST(PassesManager, PassNamesAreInRunOrderAndUnique) {
  const auto names = pass_names();
  ASSERT_FALSE(names.empty());
  EXPECT_EQ(names.front(), "fold-shapes");
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
}

TEST(PassesManager, ValidatorFailureNamesThePass) {
  GraphBuilder b;
  three_convs(b);
  prepare_model(*b.model);
  std::vector<Pass> passes = {
      {"harmless", "", [](Model&, PassContext&) { return false; }},
      {"breaker", "", [](Model& m, PassContext& ctx) {
         ctx.try_rewrite();
         m.graph->outputs.push_back(m.graph->add_value("dangling"));  // an output nothing produces
         return true;
       }}};
  try {
    run_passes(*b.model, passes, {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("after pass 'breaker'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("dangling"), std::string::npos) << e.what();
  }
}

TEST(PassesManager, DisabledPassDoesNotRun) {
  PassOptions opts;
  opts.disabled = {"fuse-conv-activation"};
  auto r = optimize_and_compare(three_convs, 17, opts);
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedConv"), 0);
  bool seen = false;
  for (const auto& e : r.report.passes)
    if (e.pass == "fuse-conv-activation") {
      seen = true;
      EXPECT_FALSE(e.ran);
    }
  EXPECT_TRUE(seen);
}

TEST(PassesManager, UnknownPassNamesAreErrors) {
  GraphBuilder b;
  three_convs(b);
  prepare_model(*b.model);
  PassOptions opts;
  opts.disabled = {"fuse-everything"};
  EXPECT_THROW(optimize(*b.model, opts), Error);
  opts.disabled = {};
  opts.dump_after = "nope";
  EXPECT_THROW(optimize(*b.model, opts), Error);
}

TEST(PassesManager, MaxRewritesBisects) {
  auto full = optimize_and_compare(three_convs);
  EXPECT_EQ(full.report.total_rewrites, 3);
  EXPECT_FALSE(full.report.budget_exhausted);
  for (int64_t n = 0; n <= 3; ++n) {
    PassOptions opts;
    opts.max_rewrites = n;
    auto r = optimize_and_compare(three_convs, 17, opts);
    EXPECT_EQ(r.mismatch, "") << n;
    EXPECT_EQ(r.report.total_rewrites, n);
    EXPECT_EQ(count_ops(*r.optimized, "onyx.FusedConv"), n);
    EXPECT_EQ(r.report.budget_exhausted, n < 4);
  }
}

TEST(PassesManager, DumpHookSeesTheGraphAfterThePass) {
  PassOptions opts;
  opts.dump_after = "fuse-conv-activation";
  int calls = 0;
  size_t nodes = 0;
  opts.on_dump = [&](const std::string& pass, const Model& m) {
    ++calls;
    EXPECT_EQ(pass, "fuse-conv-activation");
    nodes = m.graph->nodes().size();
  };
  auto r = optimize_and_compare(three_convs, 17, opts);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(nodes, 3u);
}

TEST(PassesSimplify, ShapeChainsFoldIntoAConstantReshape) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {2, 3, 4});
    Value* shape = b.node("Shape", {x});
    Value* d0 = b.node("Gather", {shape, b.constant("i0", Tensor::from_vector<int64_t>({1}, {0}))});
    Value* target = b.node("Concat", {d0, b.constant("m1", Tensor::from_vector<int64_t>({1}, {-1}))},
                           {iattr("axis", 0)});
    b.output(b.node("Reshape", {x, target}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->op_type, "Reshape");
  const Tensor* t = &*r.optimized->graph->nodes()[0]->input(1)->initializer;
  EXPECT_EQ(t->to_int64_vector(), (std::vector<int64_t>{2, -1}));
}

TEST(PassesSimplify, ShapeOfASymbolicDimIsKept) {
  GraphBuilder b;
  Value* x = b.g().add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape(std::vector<Dim>{Dim::symbol("batch"), Dim(3)}));
  b.g().inputs.push_back(x);
  Value* s = b.node("Shape", {x});
  b.output(b.node("Gather", {s, b.constant("i", Tensor::scalar<int64_t>(0))}));
  b.output(b.node("Gather", {s, b.constant("j", Tensor::scalar<int64_t>(1))}));
  prepare_model(*b.model);
  optimize(*b.model);
  // dim 1 (3) folds, dim 0 (batch) stays computed.
  EXPECT_EQ(count_ops(*b.model, "Gather"), 1);
  EXPECT_EQ(count_ops(*b.model, "Shape"), 1);
  EXPECT_TRUE(b.g().outputs[1]->is_initializer());
}

TEST(PassesSimplify, IdentitiesAndDeadCodeAreRemoved) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {2, 3});
    Value* t = b.node("Identity", {x});
    t = b.node("Cast", {t}, {iattr("to", 1)});
    t = b.node("Transpose", {t}, {intsattr("perm", {0, 1})});
    t = b.node("Dropout", {t});
    b.node("Exp", {b.node("Neg", {x})});  // dead
    b.weights("unused", {100});
    b.output(b.node("Relu", {t}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->input(0)->name(), "x");
  EXPECT_TRUE(r.optimized->graph->initializers.empty());
}

TEST(PassesSimplify, IdentityProducingAGraphOutputIsKept) {
  auto r = optimize_and_compare([](GraphBuilder& b) { b.output(b.node("Identity", {b.input("x", {2})})); });
  EXPECT_EQ(r.mismatch, "");
  EXPECT_EQ(count_ops(*r.optimized, "Identity"), 1);
  EXPECT_EQ(r.optimized->graph->outputs[0]->name(), r.original->graph->outputs[0]->name());
}

TEST(PassesSimplify, ConstantSubgraphsAreEvaluated) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* c = b.node("Mul", {b.weights("a", {4}), b.scalar("two", 2.f)});
    c = b.node("Sqrt", {b.node("Abs", {c})});
    b.output(b.node("Add", {b.input("x", {3, 4}), c}));
  });
  EXPECT_EQ(r.mismatch, "");
  ASSERT_EQ(r.optimized->graph->nodes().size(), 1u);
  EXPECT_EQ(r.optimized->graph->nodes()[0]->op_type, "Add");
}

TEST(PassesExport, FusedModelRoundTripsThroughOnnx) {
  auto r = optimize_and_compare([](GraphBuilder& b) {
    Value* x = b.input("x", {1, 2, 5, 5});
    Value* c = b.node("Relu", {b.node("Conv", {x, b.weights("w", {2, 2, 1, 1})})});
    b.output(b.node("Sigmoid", {b.node("Mul", {c, b.scalar("k", 3.f)})}));
  });
  ASSERT_EQ(r.mismatch, "");
  EXPECT_EQ(r.optimized->opset("onyx"), 1);
  Model back = parse_model(serialize_model(*r.optimized), "", "roundtrip");
  EXPECT_EQ(back.opset("onyx"), 1);
  // Drop the import: onyx-domain nodes still resolve (version 1).
  std::erase_if(back.opset_imports, [](const OpsetImport& o) { return o.domain == "onyx"; });
  prepare_model(back);
  auto shared = std::make_shared<Model>(std::move(back));
  EXPECT_EQ(count_ops(*shared, "onyx.FusedConv"), 1);
  EXPECT_EQ(count_ops(*shared, "onyx.FusedElementwise"), 1);
  const NamedValues feeds = make_inputs(*r.original);
  EXPECT_EQ(compare_runs(RefSession(r.original).run(feeds), RefSession(shared).run(feeds)), "");
}

TEST(PassesFusedOps, MalformedFusedElementwiseIsRejected) {
  GraphBuilder b;
  Value* x = b.input("x", {2});
  Value* out = b.g().add_value("y");
  Node* n = b.g().add_node("FusedElementwise", "onyx", {x}, {out}, "bad");
  Attribute ops;
  ops.name = "ops";
  ops.type = AttrType::kStrings;
  ops.strings = {"Relu"};
  n->attributes = {ops, intsattr("opsets", {14}), intsattr("arity", {1}), intsattr("operands", {5})};
  b.output(out);
  try {
    prepare_model(*b.model);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("out of range"), std::string::npos) << e.what();
  }
}

TEST(PassesFusedOps, UnknownActivationIsRejected) {
  GraphBuilder b;
  Value* x = b.input("x", {2, 3});
  Value* out = b.g().add_value("y");
  Node* n = b.g().add_node("FusedMatMul", "onyx", {x, b.weights("w", {3, 2})}, {out}, "bad");
  Attribute act;
  act.name = "activation";
  act.type = AttrType::kString;
  act.s = "Swish3000";
  n->attributes = {act};
  b.output(out);
  EXPECT_THROW(prepare_model(*b.model), Error);
}

}  // namespace
}  // namespace onyx::passtest
