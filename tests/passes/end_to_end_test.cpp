// optimize() keeps results: ref(original) vs ref(optimized) on the bundled default model and on every model of
// the ONNX backend test data (suites node, pytorch-converted, pytorch-operator, simple), within the documented
// pass tolerance (kPassRtol, kPassAtol in pass_test_util.h).
#include <filesystem>

#include "onyx/onnx.h"
#include "pass_test_util.h"

namespace onyx::passtest {
namespace {

namespace fs = std::filesystem;

TEST(PassesEndToEnd, DefaultModelKeepsItsResults) {
  const std::string path = std::string(ONYX_BUILD_DIR) + "/models/default.onnx";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not built";
  auto original = std::make_shared<Model>(load_model(path));
  auto optimized = std::make_shared<Model>(load_model(path));
  prepare_model(*original);
  prepare_model(*optimized);
  const PassReport report = optimize(*optimized);
  EXPECT_GT(report.total_rewrites, 0);
  EXPECT_GT(count_ops(*optimized, "onyx.FusedConv"), 0);
  EXPECT_LT(optimized->graph->nodes().size(), original->graph->nodes().size());
  const NamedValues feeds = make_inputs(*original);
  EXPECT_EQ(compare_runs(RefSession(original).run(feeds), RefSession(optimized).run(feeds)), "");
  // And after a trip through the ONNX file format.
  auto back = std::make_shared<Model>(parse_model(serialize_model(*optimized), "", "optimized"));
  prepare_model(*back);
  EXPECT_EQ(compare_runs(RefSession(original).run(feeds), RefSession(back).run(feeds)), "");
}

// Graph inputs (not initializers) fed from test_data_set_0/input_*.pb, by name when the file names one.
bool load_feeds(const Model& m, const fs::path& dir, NamedValues& feeds) {
  std::vector<const Value*> ins;
  for (const Value* v : m.graph->inputs)
    if (!v->is_initializer()) ins.push_back(v);
  for (size_t i = 0;; ++i) {
    const fs::path p = dir / ("input_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    std::string name;
    Tensor t;
    try {
      t = read_tensor_pb(p.string(), &name);
    } catch (const Error&) {
      return false;  // sequences/optionals: not covered here
    }
    if (name.empty()) {
      if (i >= ins.size()) return false;
      name = ins[i]->name();
    }
    feeds.emplace_back(name, RunValue(std::move(t)));
  }
  return !feeds.empty() || ins.empty();
}

TEST(PassesEndToEnd, BackendTestDataModelsKeepTheirResults) {
  const fs::path root = ONYX_TEST_DATA_DIR;
  if (!fs::exists(root)) GTEST_SKIP() << root << " not installed";
  int compared = 0, rewritten = 0;
  std::vector<std::string> failures;
  for (const char* suite : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    if (!fs::exists(root / suite)) continue;
    for (const auto& entry : fs::directory_iterator(root / suite)) {
      const fs::path model_path = entry.path() / "model.onnx";
      const fs::path data = entry.path() / "test_data_set_0";
      if (!fs::exists(model_path) || !fs::exists(data)) continue;
      std::shared_ptr<Model> original, optimized;
      NamedValues feeds, expected;
      try {
        original = std::make_shared<Model>(load_model(model_path.string()));
        prepare_model(*original);
        if (!load_feeds(*original, data, feeds)) continue;
        expected = RefSession(original).run(feeds);
        // Random ops (Bernoulli, RandomNormal without a seed) differ from run to run: nothing to compare.
        if (!compare_runs(expected, RefSession(original).run(feeds)).empty()) continue;
      } catch (const Error&) {
        continue;  // not supported by ref: nothing to compare against
      }
      const std::string label = std::string(suite) + "/" + entry.path().filename().string();
      try {
        optimized = std::make_shared<Model>(load_model(model_path.string()));
        prepare_model(*optimized);
        const PassReport report = optimize(*optimized);
        if (report.total_rewrites > 0) ++rewritten;
        const std::string diff = compare_runs(expected, RefSession(optimized).run(feeds));
        if (!diff.empty()) failures.push_back(label + ": " + diff);
      } catch (const Error& e) {
        failures.push_back(label + ": " + e.what());
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, 100);
  EXPECT_GT(rewritten, 10);
  std::string all;
  for (const std::string& f : failures) all += f + "\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << compared << " models differ:\n" << all;
  std::cout << "[passes] compared " << compared << " models, " << rewritten << " rewritten\n";
}

}  // namespace
}  // namespace onyx::passtest
