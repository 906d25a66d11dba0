#include "onyx/ref.h"
#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(Reshape, ZeroCopiesInputDimAndMinusOneIsInferred) {
  test::SingleOp op{
      .op_type = "Reshape", .inputs = {iota_f({2, 3, 4}), i64({0, -1})}, .constant_inputs = {1}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 12}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,12]");
}

TEST(Reshape, AllowZeroKeepsZeroSizedDims) {
  test::SingleOp op{.op_type = "Reshape",
                    .inputs = {Tensor(DType::kFloat32, {0, 3}), i64({3, 0})},
                    .attributes = {test::attr_int("allowzero", 1)}};
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 0}));
  // allowzero with both 0 and -1 is invalid.
  op.inputs[1] = i64({0, -1});
  EXPECT_THROW(op.run(), Error);
}

TEST(Reshape, BadShapesFailNamingTheNode) {
  test::SingleOp op{.op_type = "Reshape", .inputs = {iota_f({2, 3}), i64({4, -1})}};
  try {
    op.run();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput);
    EXPECT_NE(std::string(e.what()).find("Reshape"), std::string::npos) << e.what();
  }
  op.inputs[1] = i64({-1, -1});
  EXPECT_THROW(op.run(), Error);
  op.inputs[1] = i64({7});
  EXPECT_THROW(op.run(), Error);
  op.inputs[1] = i64({2, 0, 0});  // copies a dim the input lacks
  EXPECT_THROW(op.run(), Error);
}

TEST(Reshape, Opset1ShapeAttributeIsUpgraded) {
  test::SingleOp op{.op_type = "Reshape",
                    .opset = 1,
                    .inputs = {iota_f({2, 3})},
                    .attributes = {test::attr_ints("shape", {3, 2})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(test::values<float>(out[0]), (std::vector<float>{0, 1, 2, 3, 4, 5}));
}

TEST(Reshape, SymbolicInputWithConstantShape) {
  test::SingleOp op{
      .op_type = "Reshape", .inputs = {iota_f({2, 3, 4}), i64({0, -1})}, .constant_inputs = {1}};
  auto m = op.build();
  m->graph->inputs[0]->type =
      TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(4)}));
  prepare_model(*m);
  EXPECT_EQ(m->graph->outputs[0]->type.to_string(), "float32[batch,12]");
  // [-1, 12] solves the symbol by cancelling the known factors.
  test::SingleOp op2{
      .op_type = "Reshape", .inputs = {iota_f({2, 3, 4}), i64({-1, 12})}, .constant_inputs = {1}};
  auto m2 = op2.build();
  m2->graph->inputs[0]->type =
      TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(4)}));
  prepare_model(*m2);
  EXPECT_EQ(m2->graph->outputs[0]->type.to_string(), "float32[batch,12]");
}

// Builds x[batch,3,4] -> Shape -> Gather(0) -> Unsqueeze -> Concat(.., [-1]) -> Reshape: the exporter pattern for
// "flatten but keep the batch".
std::shared_ptr<Model> batch_flatten_model(bool gather_1d) {
  test::ShapeGraphBuilder b;
  Value* x = b.input("x", DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(4)}));
  Value* shape = b.node("Shape", {x}, "shape");
  Value* batch;
  if (gather_1d) {
    batch = b.node("Gather", {shape, b.constant("idx", i64({0}))}, "batch");
  } else {
    Value* b0 = b.node("Gather", {shape, b.constant("idx", Tensor::scalar<int64_t>(0))}, "batch0");
    batch = b.node("Unsqueeze", {b0, b.constant("axes", i64({0}))}, "batch");
  }
  Value* target = b.node("Concat", {batch, b.constant("minus1", i64({-1}))}, "target", {test::attr_int("axis", 0)});
  b.output(b.node("Reshape", {x, target}, "y"));
  return b.model;
}

TEST(ShapeChain, ShapeGatherConcatReshapeKeepsSymbolicBatch) {
  for (bool gather_1d : {false, true}) {
    auto m = batch_flatten_model(gather_1d);
    prepare_model(*m);
    EXPECT_EQ(m->graph->find_value("shape")->type.to_string(), "int64[3]");
    EXPECT_EQ(m->graph->find_value("batch")->type.to_string(), "int64[1]");
    EXPECT_EQ(m->graph->find_value("target")->type.to_string(), "int64[2]");
    EXPECT_EQ(m->graph->outputs[0]->type.to_string(), "float32[batch,12]") << gather_1d;

    RefSession session(m);
    auto out = session.run({{"x", RunValue(iota_f({5, 3, 4}))}});
    EXPECT_EQ(out[0].second.tensor.dims(), (std::vector<int64_t>{5, 12}));
    EXPECT_EQ(out[0].second.tensor.data<float>()[13], 13.0f);
  }
}

TEST(ShapeChain, ReshapeWithPartialShapeAndStaticInputSolvesTheUnknown) {
  // A static input [2,3,4] with a target built from Shape: [dim0, -1] resolves fully.
  auto m = batch_flatten_model(true);
  m->graph->inputs[0]->type = TypeInfo::tensor(DType::kFloat32, Shape({2, 3, 4}));
  prepare_model(*m);
  EXPECT_EQ(m->graph->outputs[0]->type.to_string(), "float32[2,12]");
}

TEST(Reshape, UnknownShapeInputGivesRankFromItsLength) {
  test::SingleOp op{.op_type = "Reshape", .inputs = {iota_f({2, 3}), i64({3, 2})}};
  EXPECT_EQ(op.infer()[0].to_string(), "float32[?,?]");
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{3, 2}));
}

TEST(ShapeChain, ShapeSliceConcatReshapeSplitsHeads) {
  // x[batch, seq, 768] -> Reshape to Concat(Shape(x)[0:2], [12, 64]) = [batch, seq, 12, 64]
  test::ShapeGraphBuilder b;
  Value* x = b.input("x", DType::kFloat32, Shape({Dim::symbol("batch"), Dim::symbol("seq"), Dim(768)}));
  Value* shape = b.node("Shape", {x}, "shape");
  Value* lead = b.node("Slice", {shape, b.constant("s", i64({0})), b.constant("e", i64({2}))}, "lead");
  Value* heads = b.constant("heads", i64({12, 64}));
  Value* target = b.node("Concat", {lead, heads}, "target", {test::attr_int("axis", 0)});
  Value* y = b.node("Reshape", {x, target}, "y");
  b.output(y);
  // And back: [0, 0, -1] keeps the symbols and solves 768.
  b.output(b.node("Reshape", {y, b.constant("back", i64({0, 0, -1}))}, "z"));
  // Flattening everything but the last axis: [-1, 768] solves to batch*seq, which has no name.
  b.output(b.node("Reshape", {x, b.constant("flat", i64({-1, 768}))}, "w"));
  b.prepare();
  EXPECT_EQ(b.type_of("lead"), "int64[2]");
  EXPECT_EQ(b.type_of("y"), "float32[batch,seq,12,64]");
  EXPECT_EQ(b.type_of("z"), "float32[batch,seq,768]");
  EXPECT_EQ(b.type_of("w"), "float32[?,768]");
}

TEST(ShapeChain, PartialWithOneUnknownIsSolvedFromSymbols) {
  // Target [batch, ?] where ? comes from a runtime value: solved by cancelling batch against the input.
  test::ShapeGraphBuilder b;
  Value* x = b.input("x", DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(4)}));
  Value* n = b.input("n", DType::kInt64, Shape({1}));
  Value* shape = b.node("Shape", {x}, "shape");
  Value* batch = b.node("Gather", {shape, b.constant("idx", i64({0}))}, "batch");
  Value* target = b.node("Concat", {batch, n}, "target", {test::attr_int("axis", 0)});
  b.output(b.node("Reshape", {x, target}, "y"));
  b.prepare();
  EXPECT_EQ(b.type_of("target"), "int64[2]");
  EXPECT_EQ(b.type_of("y"), "float32[batch,12]");
}

}  // namespace
}  // namespace onyx
