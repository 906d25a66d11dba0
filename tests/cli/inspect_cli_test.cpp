// `onyx inspect model`: the layout users of polygraphy expect, --json, and the bad-input contract (exit code
// 2, one line on stderr naming the file) for files that are not models at all.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_util.h"

namespace onyx::test {

namespace {

// A model with a symbolic batch dim, an initializer, an unnamed node, attributes of several types and an If
// whose branches are subgraphs.
onnx::ModelProto rich_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("onyx-test");
  m.set_producer_version("1.2");
  auto* op = m.add_opset_import();
  op->set_version(13);
  auto* ms = m.add_opset_import();
  ms->set_domain("com.example");
  ms->set_version(2);
  auto* g = m.mutable_graph();
  g->set_name("rich");
  auto* x = g->add_input();
  x->set_name("x");
  auto* tt = x->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(4);
  auto* c = g->add_input();
  set_tensor_type(c, "cond", onnx::TensorProto::BOOL, {});
  add_float_initializer(g, "w", {4}, {1.5f, 2.0f, -3.0f, 4.0f});
  add_node(g, "Add", {"x", "w"}, {"sum"});  // unnamed
  auto* lrelu = add_node(g, "LeakyRelu", {"sum"}, {"act"}, "lrelu");
  auto* alpha = lrelu->add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(onnx::AttributeProto::FLOAT);
  alpha->set_f(0.25f);
  auto* iff = add_node(g, "If", {"cond"}, {"res"}, "branch");
  for (const char* branch : {"then_branch", "else_branch"}) {
    auto* a = iff->add_attribute();
    a->set_name(branch);
    a->set_type(onnx::AttributeProto::GRAPH);
    auto* sg = a->mutable_g();
    sg->set_name(std::string(branch) + "_graph");
    auto* inner =
        add_node(sg, "Identity", {"act"}, {std::string(branch) + "_out"}, std::string(branch) + "_id");
    (void)inner;
    set_tensor_type(sg->add_output(), std::string(branch) + "_out", onnx::TensorProto::FLOAT, {});
    sg->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  }
  auto* tr = add_node(g, "Transpose", {"res"}, {"y"}, "tr");
  auto* perm = tr->add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  perm->add_ints(1);
  perm->add_ints(0);
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return m;
}

}  // namespace

TEST(InspectCli, SummaryShowsOpsetsIrProducerIoParametersAndHistogram) {
  TempDir dir;
  const std::string path = write_model(dir, rich_model());
  const CliResult r = run_onyx({"inspect", "model", path});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find("[I] ==== ONNX Model ===="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Name: rich | ONNX Opset: 13 | Other Opsets: {'com.example': 2}"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("IR Version: 8 | Producer: onyx-test 1.2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("---- 2 Graph Input(s) ----\n    {x [dtype=float32, shape=('batch', 4)],\n"
                       "     cond [dtype=bool, shape=()]}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("---- 1 Graph Output(s) ----\n    {y [dtype=float32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("---- 1 Initializer(s) ----"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("---- 4 Node(s) ----"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("4 parameters in 1 initializer(s), 16 B"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(6 node(s) incl. subgraphs)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    Identity: 2\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("    If: 1\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Node 0"), std::string::npos) << "layers only with --show layers";
}

TEST(InspectCli, ShowLayersListsNodesAttributesAndIndentedSubgraphs) {
  TempDir dir;
  const std::string path = write_model(dir, rich_model());
  // As the file states the types (independent of which ops onyx can infer yet).
  const CliResult r = run_onyx({"inspect", "model", path, "--show", "layers", "--no-shape-inference"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.find("}}"), std::string::npos) << "doubled braces:\n" << r.out;
  EXPECT_NE(r.out.find("    Node 0    | <unnamed> [Op: Add]\n"
                       "        {x [dtype=float32, shape=('batch', 4)],\n"
                       "         Initializer | w [dtype=float32, shape=(4,)]}\n"
                       "         -> {sum}\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("    Node 1    | lrelu [Op: LeakyRelu]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("        ---- Attributes ----\n        lrelu.alpha = 0.25\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("        tr.perm = [1, 0]\n"), std::string::npos) << r.out;
  // The subgraph is printed under the attribute, 8 columns further in.
  EXPECT_NE(r.out.find("        branch.then_branch =\n"
                       "                ---- 0 Subgraph Input(s) ----\n"
                       "                {}\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("                Node 0    | then_branch_id [Op: Identity]\n"
                       "                    {act}\n"
                       "                     -> {then_branch_out [dtype=float32]}\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("---- 1 Initializer(s) ----\n    {w [dtype=float32, shape=(4,)]}"), std::string::npos)
      << r.out;
}

TEST(InspectCli, ShowWeightsListsInitializersWithValues) {
  TempDir dir;
  const std::string path = write_model(dir, rich_model());
  const CliResult r = run_onyx({"inspect", "model", path, "--show", "weights"});
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("    Initializer | w [dtype=float32, shape=(4,)] | Values:\n"
                       "        [1.5, 2.0, -3.0, 4.0]\n"),
            std::string::npos)
      << r.out;
  // Space-separated items work like polygraphy's `--show layers attrs weights`.
  const CliResult both = run_onyx({"inspect", "model", path, "--show", "layers", "weights"});
  ASSERT_EQ(both.rc, 0) << both.err;
  EXPECT_NE(both.out.find("Node 3    | tr [Op: Transpose]"), std::string::npos) << both.out;
  EXPECT_NE(both.out.find("| Values:"), std::string::npos) << both.out;
}

TEST(InspectCli, JsonIsMachineReadable) {
  TempDir dir;
  const std::string path = write_model(dir, rich_model());
  const CliResult r = run_onyx({"inspect", "model", path, "--json", "--show", "layers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ir_version"], 8);
  EXPECT_EQ(j["producer_name"], "onyx-test");
  EXPECT_EQ(j["opset_imports"]["ai.onnx"], 13);
  EXPECT_EQ(j["opset_imports"]["com.example"], 2);
  const auto& g = j["graph"];
  ASSERT_EQ(g["inputs"].size(), 2u);
  EXPECT_EQ(g["inputs"][0]["name"], "x");
  EXPECT_EQ(g["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(g["inputs"][0]["shape"], nlohmann::json::parse(R"(["batch", 4])"));
  ASSERT_EQ(g["initializers"].size(), 1u);
  EXPECT_EQ(g["initializers"][0]["name"], "w");
  EXPECT_EQ(g["initializers"][0]["shape"], nlohmann::json::parse("[4]"));
  EXPECT_EQ(j["parameters"]["count"], 4);
  EXPECT_EQ(j["parameters"]["bytes"], 16);
  EXPECT_EQ(j["op_histogram"]["Identity"], 2);
  EXPECT_EQ(j["num_nodes_recursive"], 6);
  ASSERT_EQ(g["nodes"].size(), 4u);
  EXPECT_EQ(g["nodes"][1]["attributes"]["alpha"], 0.25);
  EXPECT_EQ(g["nodes"][3]["attributes"]["perm"], nlohmann::json::parse("[1, 0]"));
  EXPECT_EQ(g["nodes"][2]["attributes"]["then_branch"]["nodes"][0]["op_type"], "Identity");
}

TEST(InspectCli, UnsupportedOpsAreANoteNotAnError) {
  TempDir dir;
  onnx::ModelProto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("NoSuchOpAnywhere");
  const std::string path = write_model(dir, m);
  const CliResult r = run_onyx({"inspect", "model", path});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("Note: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NoSuchOpAnywhere"), std::string::npos) << r.out;
}

TEST(InspectCli, HugeTensorDescribedByAFewConstantsIsNotAllocated) {
  // ConstantOfShape([100000, 100000, 100000]) is a valid model of a 4 PB tensor: inspecting it must neither
  // allocate nor fail (shape inference may not fold it into a constant).
  TempDir dir;
  onnx::ModelProto m = relu_model();
  auto* g = m.mutable_graph();
  g->clear_node();
  g->clear_input();
  g->clear_output();
  auto* shape = g->add_initializer();
  shape->set_name("shape");
  shape->set_data_type(onnx::TensorProto::INT64);
  shape->add_dims(3);
  for (int i = 0; i < 3; ++i) shape->add_int64_data(100000);
  add_node(g, "ConstantOfShape", {"shape"}, {"y"}, "fill");
  auto* y = g->add_output();
  y->set_name("y");
  y->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  const std::string path = write_model(dir, m);
  const CliResult r = run_onyx({"--max-tensor-bytes", "100000000", "inspect", "model", path});
  EXPECT_EQ(r.rc, 0) << r.err;
}

TEST(InspectCli, JsonSurvivesNamesThatAreNotUtf8) {
  TempDir dir;
  onnx::ModelProto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_name("bad\xff\xfename");
  const std::string path = write_model(dir, m);
  const CliResult r = run_onyx({"inspect", "model", path, "--json", "--show", "layers"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["graph"]["nodes"].size(), 1u);
}

TEST(InspectCli, UnknownShowItemIsAUsageError) {
  TempDir dir;
  const std::string path = write_model(dir, relu_model());
  const CliResult r = run_onyx({"inspect", "model", path, "--show", "everything"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(count_lines(r.err), 1u) << r.err;
  EXPECT_NE(r.err.find("everything"), std::string::npos) << r.err;
}

// ---- files that are not models
// ----------------------------------------------------------------------------------

TEST(InspectCliBadInput, MissingFile) {
  TempDir dir;
  const std::string path = dir.file("nope.onnx");
  expect_bad_input(run_onyx({"inspect", "model", path}), path, "No such file or directory");
}

TEST(InspectCliBadInput, Directory) {
  TempDir dir;
  expect_bad_input(run_onyx({"inspect", "model", dir.path()}), dir.path(), "is a directory");
}

TEST(InspectCliBadInput, EmptyFile) {
  TempDir dir;
  const std::string path = dir.file("empty.onnx");
  write_bytes(path, "");
  expect_bad_input(run_onyx({"inspect", "model", path}), path, "file is empty");
}

TEST(InspectCliBadInput, RandomBytes) {
  TempDir dir;
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 5; ++trial) {
    std::string bytes(1000 + trial * 777, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    const std::string path = dir.file("random" + std::to_string(trial) + ".onnx");
    write_bytes(path, bytes);
    const CliResult r = run_onyx({"inspect", "model", path});
    expect_bad_input(r, path, "not a valid ONNX model");
  }
}

TEST(InspectCliBadInput, TextFile) {
  TempDir dir;
  const std::string path = dir.file("model.onnx");
  write_bytes(path, "this is not a model, it is a sentence\n");
  expect_bad_input(run_onyx({"inspect", "model", path}), path, "not a valid ONNX model");
}

TEST(InspectCliBadInput, TruncatedModel) {
  TempDir dir;
  onnx::ModelProto m = relu_model();
  std::vector<float> big(1000, 1.0f);
  add_float_initializer(m.mutable_graph(), "big", {1000}, big);
  const std::string full = m.SerializeAsString();
  // Cut inside the graph (which holds the initializer's 4000 bytes): protobuf sees a length that runs past
  // the end.
  for (size_t cut : {full.size() / 2, full.size() - 10, size_t{40}}) {
    const std::string path = dir.file("cut" + std::to_string(cut) + ".onnx");
    write_bytes(path, full.substr(0, cut));
    expect_bad_input(run_onyx({"inspect", "model", path}), path, "not a valid ONNX model");
  }
}

TEST(InspectCliBadInput, ATestDataModelTruncated) {
  const std::string src = std::string(ONYX_TEST_DATA_DIR) + "/node/test_conv_with_strides_padding/model.onnx";
  if (!std::filesystem::exists(src)) GTEST_SKIP() << src << " not present";
  const std::string full = slurp(src);
  TempDir dir;
  const std::string path = dir.file("model.onnx");
  write_bytes(path, full.substr(0, full.size() * 2 / 3));
  expect_bad_input(run_onyx({"inspect", "model", path}), path, "not a valid ONNX model");
}

// ---- every model of the ONNX backend test data
// -------------------------------------------------------------------

namespace {
std::vector<std::string> test_data_models() {
  std::vector<std::string> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(ONYX_TEST_DATA_DIR, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(ONYX_TEST_DATA_DIR, ec))
    if (e.is_regular_file() && e.path().filename() == "model.onnx") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST(InspectCliTestData, EveryModelInspectsWithLayersAndJson) {
  const auto models = test_data_models();
  if (models.empty()) GTEST_SKIP() << "no test data under " << ONYX_TEST_DATA_DIR;
  EXPECT_GT(models.size(), 1000u) << "expected all suites of the backend test data";
  // One onyx process per model and mode, four at a time: a shell script keeps this to a single system() call.
  TempDir dir;
  std::string list;
  for (const std::string& m : models) list += m + "\n";
  write_bytes(dir.file("models.txt"), list);
  write_bytes(dir.file("check.sh"),
              "#!/bin/sh\n"
              "m=\"$1\"; onyx=\"$2\"\n"
              "out=$(timeout 120 \"$onyx\" inspect model \"$m\" --show layers,weights 2>&1 >/dev/null) || "
              "{ echo \"$m: text: $out\"; exit 0; }\n"
              "[ -z \"$out\" ] || echo \"$m: text: stderr: $out\"\n"
              "timeout 120 \"$onyx\" inspect model \"$m\" --json --show layers >/dev/null 2>&1 || "
              "echo \"$m: json: exit $?\"\n");
  const std::string cmd = "xargs -d '\\n' -P 4 -I{} sh " + shell_quote(dir.file("check.sh")) + " {} " +
                          shell_quote(ONYX_BINARY) + " <" + shell_quote(dir.file("models.txt")) + " >" +
                          shell_quote(dir.file("failures.txt")) + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string failures = slurp(dir.file("failures.txt"));
  EXPECT_TRUE(failures.empty()) << failures;

  // The JSON of a few models parses and holds the summary.
  for (size_t i = 0; i < models.size(); i += models.size() / 8 + 1) {
    const CliResult js = run_onyx({"inspect", "model", models[i], "--json", "--show", "layers"});
    ASSERT_EQ(js.rc, 0) << models[i] << ": " << js.err;
    const auto j = nlohmann::json::parse(js.out);
    EXPECT_TRUE(j.contains("graph") && j.contains("op_histogram") && j.contains("opset_imports"))
        << models[i];
  }
}

}  // namespace onyx::test
