// Bad models that are valid protobuf: each op-level error exits 2 (3 for an op onyx does not know) with one line
// naming the node and its op.
#include <gtest/gtest.h>

#include "cli/cli_util.h"

namespace onyx::test {
namespace {

onnx::ModelProto model_with(int opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  auto* g = m.mutable_graph();
  g->set_name("g");
  set_tensor_type(g->add_input(), "x", onnx::TensorProto::FLOAT, {2, 3});
  return m;
}

onnx::TensorProto* add_int64_initializer(onnx::GraphProto* g, const std::string& name,
                                          const std::vector<int64_t>& dims, const std::vector<int64_t>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
  return t;
}

void expect_node_error(const onnx::ModelProto& m, const std::string& node, const std::string& fragment,
                       int rc = 2) {
  TempDir dir;
  const std::string path = write_model(dir, m);
  CliResult r = run_onyx({"run", path, "--backends", "ref"});
  EXPECT_EQ(r.rc, rc) << r.err;
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find(node), std::string::npos) << "stderr does not name " << node << ": " << r.err;
  EXPECT_NE(r.err.find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << r.err;
}

TEST(OpErrors, MissingRequiredAttribute) {
  auto m = model_with();
  add_node(m.mutable_graph(), "Cast", {"x"}, {"y"}, "cast");
  m.mutable_graph()->add_output()->set_name("y");
  expect_node_error(m, "node 'cast' (Cast)", "'to'");
}

TEST(OpErrors, WrongInputCount) {
  auto m = model_with();
  add_node(m.mutable_graph(), "Add", {"x"}, {"y"}, "add");
  m.mutable_graph()->add_output()->set_name("y");
  expect_node_error(m, "node 'add' (Add)", "inputs");
}

TEST(OpErrors, WrongDtype) {
  auto m = model_with();
  auto* g = m.mutable_graph();
  set_tensor_type(g->add_input(), "i", onnx::TensorProto::INT64, {2});
  add_node(g, "Sqrt", {"i"}, {"y"}, "sqrt");
  g->add_output()->set_name("y");
  TempDir dir;
  const std::string path = write_model(dir, m);
  CliResult r = run_onyx({"run", path, "--backends", "ref"});
  EXPECT_TRUE(r.rc == 2 || r.rc == 3) << r.err;  // a dtype the spec does not allow is bad input
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("node 'sqrt' (Sqrt)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("int64"), std::string::npos) << r.err;
}

TEST(OpErrors, ShapesThatCannotBroadcast) {
  auto m = model_with();
  auto* g = m.mutable_graph();
  add_float_initializer(g, "b", {4}, {1, 2, 3, 4});
  add_node(g, "Add", {"x", "b"}, {"y"}, "add");
  g->add_output()->set_name("y");
  expect_node_error(m, "node 'add' (Add)", "broadcast");
}

TEST(OpErrors, ReshapeToAnImpossibleShape) {
  auto m = model_with();
  auto* g = m.mutable_graph();
  add_int64_initializer(g, "shape", {2}, {4, 2});
  add_node(g, "Reshape", {"x", "shape"}, {"y"}, "reshape");
  g->add_output()->set_name("y");
  expect_node_error(m, "node 'reshape' (Reshape)", "6");
}

TEST(OpErrors, OutOfRangeGatherIndex) {
  auto m = model_with();
  auto* g = m.mutable_graph();
  add_int64_initializer(g, "idx", {1}, {5});
  add_node(g, "Gather", {"x", "idx"}, {"y"}, "gather");
  g->add_output()->set_name("y");
  expect_node_error(m, "node 'gather' (Gather)", "5");
}

TEST(OpErrors, LoopWhoseBodyDoesNotMatch) {
  auto m = model_with();
  auto* g = m.mutable_graph();
  add_int64_initializer(g, "trip", {}, {3});
  auto* loop = add_node(g, "Loop", {"trip", "", "x"}, {"y"}, "loop");
  auto* a = loop->add_attribute();
  a->set_name("body");
  a->set_type(onnx::AttributeProto::GRAPH);
  auto* body = a->mutable_g();
  body->set_name("body");
  // The body should take (iteration, cond, x) and return (cond, x); it takes only one input.
  set_tensor_type(body->add_input(), "iter", onnx::TensorProto::INT64, {});
  add_node(body, "Identity", {"iter"}, {"out"}, "inner");
  body->add_output()->set_name("out");
  g->add_output()->set_name("y");
  expect_node_error(m, "node 'loop' (Loop)", "body");
}

TEST(OpErrors, UnknownOpIsUnsupported) {
  auto m = model_with();
  add_node(m.mutable_graph(), "FrobnicateTensor", {"x"}, {"y"}, "frob");
  m.mutable_graph()->add_output()->set_name("y");
  expect_node_error(m, "node 'frob' (FrobnicateTensor)", "not supported", 3);
}

}  // namespace
}  // namespace onyx::test
