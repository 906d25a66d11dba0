#include "onyx/limits.h"
#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::f32;
using test::i64;

std::vector<float> pad1d(const std::string& mode, std::vector<int64_t> pads, int64_t opset = 19) {
  test::SingleOp op{.op_type = "Pad",
                    .opset = opset,
                    .inputs = {f32({3}, {1, 2, 3}), i64(pads)},
                    .attributes = {test::attr_string("mode", mode)}};
  return test::values<float>(op.run()[0]);
}

TEST(Pad, ModesWithPadsWiderThanTheInput) {
  EXPECT_EQ(pad1d("constant", {2, 1}), (std::vector<float>{0, 0, 1, 2, 3, 0}));
  EXPECT_EQ(pad1d("edge", {2, 1}), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(pad1d("reflect", {4, 3}), (std::vector<float>{1, 2, 3, 2, 1, 2, 3, 2, 1, 2}));
  EXPECT_EQ(pad1d("wrap", {4, 2}), (std::vector<float>{3, 1, 2, 3, 1, 2, 3, 1, 2}));
}

TEST(Pad, IndexTableCountsAgainstTheTensorLimit) {
  // A uint8 output of 1000 bytes is under a 4000-byte limit, but the kernel's index table of the last axis
  // (8 bytes per position) is not: refused, not allocated.
  const uint64_t saved = limits().max_tensor_bytes;
  limits().max_tensor_bytes = 4000;
  Tensor x(DType::kUInt8, {4});
  test::SingleOp op{.op_type = "Pad", .opset = 19, .inputs = {x, i64({0, 996})}};
  test::expect_bad_input(op, "");
  limits().max_tensor_bytes = 1 << 20;
  EXPECT_EQ(op.run()[0].dims(), (std::vector<int64_t>{1000}));
  limits().max_tensor_bytes = saved;
}

TEST(Pad, NegativePadsCrop) {
  EXPECT_EQ(pad1d("constant", {-1, 1}), (std::vector<float>{2, 3, 0}));
  EXPECT_EQ(pad1d("edge", {-2, 2}), (std::vector<float>{3, 3, 3}));
  test::SingleOp op{.op_type = "Pad", .inputs = {f32({3}, {1, 2, 3}), i64({-2, -2})}};
  test::expect_bad_input(op, "remove more");
}

TEST(Pad, WrapNeedsOpset19) {
  test::SingleOp op{.op_type = "Pad",
                    .opset = 18,
                    .inputs = {f32({3}, {1, 2, 3}), i64({1, 1})},
                    .attributes = {test::attr_string("mode", "wrap")}};
  test::expect_bad_input(op, "wrap");
}

TEST(Pad, ConstantValueAndAxesInput) {
  test::SingleOp op{.op_type = "Pad",
                    .inputs = {f32({2, 2}, {1, 2, 3, 4}), i64({1, 0}), Tensor::scalar<float>(9), i64({-1})},
                    .constant_inputs = {1, 3}};
  auto out = op.run()[0];
  EXPECT_EQ(out.dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<float>(out), (std::vector<float>{9, 1, 2, 9, 3, 4}));
  EXPECT_EQ(test::infer_with(op, 0, Shape({Dim::symbol("n"), Dim(2)}))[0], "float32[n,3]");
  op.inputs[1] = i64({1, 0, 0, 0});
  test::expect_bad_input(op, "entries");
}

TEST(Pad, Opset2AttributesIncludingValue) {
  test::SingleOp op{.op_type = "Pad",
                    .opset = 2,
                    .inputs = {f32({2}, {1, 2})},
                    .attributes = {test::attr_ints("pads", {1, 1}), test::attr_float("value", 1.5f)}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1.5f, 1, 2, 1.5f}));
  op.opset = 1;
  op.attributes[0].name = "paddings";
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{1.5f, 1, 2, 1.5f}));
}

TEST(Pad, EmptyAxisInReflectModeFails) {
  test::SingleOp op{.op_type = "Pad",
                    .inputs = {Tensor(DType::kFloat32, {0}), i64({1, 1})},
                    .attributes = {test::attr_string("mode", "reflect")}};
  test::expect_bad_input(op, "empty axis");
  op.attributes.clear();
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 0}));
}

}  // namespace
}  // namespace onyx
