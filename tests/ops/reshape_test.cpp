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

// Builds x[batch,3,4] -> Shape -> Gather(0) -> Unsqueeze -> Concat(.., [-1]) -> Reshape: the exporter pattern
// for "flatten but keep the batch".
std::shared_ptr<Model> batch_flatten_model(bool gather_1d) {
  auto m = std::make_shared<Model>();
  m->ir_version = 8;
  m->opset_imports = {{"", 18}};
  m->graph = std::make_shared<Graph>();
  Graph& g = *m->graph;
  auto constant = [&](const std::string& name, Tensor t) {
    Value* v = g.add_value(name);
    v->type = TypeInfo::tensor(t.dtype(), t.shape());
    v->initializer = t;
    g.initializers.push_back(v);
    return v;
  };
  auto node = [&](const std::string& op, std::vector<Value*> ins, const std::string& out) {
    Value* v = g.add_value(out);
    g.add_node(op, "", std::move(ins), {v}, out);
    return v;
  };
  Value* x = g.add_value("x");
  x->type = TypeInfo::tensor(DType::kFloat32, Shape({Dim::symbol("batch"), Dim(3), Dim(4)}));
  g.inputs.push_back(x);
  Value* shape = node("Shape", {x}, "shape");
  Value* batch;
  if (gather_1d) {
    batch = node("Gather", {shape, constant("idx", i64({0}))}, "batch");
  } else {
    Value* b = node("Gather", {shape, constant("idx", Tensor::scalar<int64_t>(0))}, "batch0");
    batch = node("Unsqueeze", {b, constant("axes", i64({0}))}, "batch");
  }
  Value* target = node("Concat", {batch, constant("minus1", i64({-1}))}, "target");
  g.nodes().back()->attributes.push_back(test::attr_int("axis", 0));
  Value* y = node("Reshape", {x, target}, "y");
  g.outputs.push_back(y);
  return m;
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

}  // namespace
}  // namespace onyx
