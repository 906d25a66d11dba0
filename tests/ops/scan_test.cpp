#include "control_test_util.h"

namespace onyx {
namespace {

using test::GraphBuilder;
using test::TestModel;

// Scan with one state and one scan input; the body returns (elem, elem): the state ends as the last element scanned
// and the scan output collects every element.
struct ScanModel {
  TestModel m;
  Node* scan = nullptr;
  ScanModel(int64_t opset, std::vector<int64_t> state_dims, std::vector<int64_t> x_dims, std::vector<Attribute> attrs,
            std::vector<int64_t> elem_dims) : m(opset) {
    GraphBuilder main(m.graph());
    Value* lens = opset < 9 ? main.input("lens", TypeInfo::tensor(DType::kInt64, Shape({x_dims[0]}))) : nullptr;
    Value* s = main.input("s", TypeInfo::tensor(DType::kFloat32, Shape::from_dims(state_dims)));
    Value* x = main.input("x", TypeInfo::tensor(DType::kFloat32, Shape::from_dims(x_dims)));
    auto body = m.subgraph("body");
    GraphBuilder b(*body);
    b.input("s_in", TypeInfo::tensor(DType::kFloat32));
    Value* e = b.input("e", TypeInfo::tensor(DType::kFloat32));
    b.output(b.node1("Identity", {e}));
    b.output(b.node1("Identity", {e}));
    (void)elem_dims;
    attrs.push_back(test::attr_graph("body", body));
    attrs.push_back(test::attr_int("num_scan_inputs", 1));
    std::vector<Value*> ins = {s, x};
    if (opset < 9) ins.insert(ins.begin(), lens);
    auto outs = main.node("Scan", ins, 2, attrs);
    main.output(outs[0]);
    main.output(outs[1]);
    scan = m.graph().nodes().back().get();
  }
};

const Tensor kX = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});

TEST(Scan, Opset9ScansTheGivenAxisAndStacksOnTheOutputAxis) {
  ScanModel sm(11, {2}, {2, 3}, {test::attr_ints("scan_input_axes", {-1}), test::attr_ints("scan_output_axes", {1})},
               {2});
  auto r = sm.m.run({{"s", RunValue(Tensor::from_vector<float>({2}, {0, 0}))}, {"x", RunValue(kX)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{3, 6}));
  EXPECT_EQ(r[1].second.tensor.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(sm.scan->output(1)->type.to_string(), "float32[2,3]");
}

TEST(Scan, Opset9DirectionsReverseInputsAndPrependOutputs) {
  ScanModel rev_in(9, {3}, {2, 3}, {test::attr_ints("scan_input_directions", {1})}, {3});
  auto r = rev_in.m.run({{"s", RunValue(Tensor::from_vector<float>({3}, {0, 0, 0}))}, {"x", RunValue(kX)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{1, 2, 3}));  // last scanned: row 0
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{4, 5, 6, 1, 2, 3}));
  ScanModel both(9, {3}, {2, 3},
                 {test::attr_ints("scan_input_directions", {1}), test::attr_ints("scan_output_directions", {1})}, {3});
  r = both.m.run({{"s", RunValue(Tensor::from_vector<float>({3}, {0, 0, 0}))}, {"x", RunValue(kX)}});
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{1, 2, 3, 4, 5, 6}));
}

TEST(Scan, Opset9EmptySequenceKeepsTheStateAndGivesAnEmptyScanOutput) {
  ScanModel sm(9, {3}, {0, 3}, {}, {3});
  auto r = sm.m.run({{"s", RunValue(Tensor::from_vector<float>({3}, {7, 8, 9}))},
                     {"x", RunValue(Tensor(DType::kFloat32, {0, 3}))}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(r[1].second.tensor.dims(), (std::vector<int64_t>{0, 3}));
}

TEST(Scan, Opset8BatchesWithSequenceLengthsAndZeroPadding) {
  ScanModel sm(8, {2, 2}, {2, 3, 2}, {}, {2});
  const Tensor x = Tensor::from_vector<float>({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto r = sm.m.run({{"lens", RunValue(Tensor::from_vector<int64_t>({2}, {3, 1}))},
                     {"s", RunValue(Tensor::from_vector<float>({2, 2}, {0, 0, 0, 0}))},
                     {"x", RunValue(x)}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{5, 6, 7, 8}));
  EXPECT_EQ(r[1].second.tensor.dims(), (std::vector<int64_t>{2, 3, 2}));
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0}));
  EXPECT_EQ(sm.scan->output(1)->type.to_string(), "float32[2,3,2]");
}

TEST(Scan, Opset8DirectionsReverseWithinEachSequenceLength) {
  ScanModel sm(8, {1, 1}, {1, 3, 1}, {test::attr_ints("directions", {1})}, {1});
  auto r = sm.m.run({{"lens", RunValue(Tensor::from_vector<int64_t>({1}, {2}))},
                     {"s", RunValue(Tensor::from_vector<float>({1, 1}, {0}))},
                     {"x", RunValue(Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3}))}});
  EXPECT_EQ(test::values<float>(r[0].second.tensor), (std::vector<float>{1}));
  EXPECT_EQ(test::values<float>(r[1].second.tensor), (std::vector<float>{2, 1, 0}));
}

TEST(Scan, BadAttributesAndBodiesAreBadInput) {
  ScanModel axis(9, {3}, {2, 3}, {test::attr_ints("scan_input_axes", {2})}, {3});
  std::string msg;
  EXPECT_EQ(test::error_code([&] { axis.m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("axis 2"), std::string::npos) << msg;
  ScanModel dirs(9, {3}, {2, 3}, {test::attr_ints("scan_input_directions", {1, 0})}, {3});
  EXPECT_EQ(test::error_code([&] { dirs.m.prepare(); }), static_cast<int>(ErrorCode::kBadInput));
  ScanModel body(9, {3}, {2, 3}, {}, {3});
  body.scan->attributes[0].g->outputs.pop_back();
  EXPECT_EQ(test::error_code([&] { body.m.prepare(); }, &msg), static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("body has 1 outputs"), std::string::npos) << msg;
}

TEST(Scan, Opset8SequenceLengthOutOfRangeIsBadInput) {
  ScanModel sm(8, {1, 1}, {1, 3, 1}, {}, {1});
  std::string msg;
  EXPECT_EQ(test::error_code([&] {
              sm.m.run({{"lens", RunValue(Tensor::from_vector<int64_t>({1}, {4}))},
                        {"s", RunValue(Tensor::from_vector<float>({1, 1}, {0}))},
                        {"x", RunValue(Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3}))}});
            }, &msg),
            static_cast<int>(ErrorCode::kBadInput));
  EXPECT_NE(msg.find("sequence_lens"), std::string::npos) << msg;
}

}  // namespace
}  // namespace onyx
