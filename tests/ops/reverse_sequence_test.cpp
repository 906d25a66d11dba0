#include "shape_ops_test_util.h"

namespace onyx {
namespace {

using test::i64;
using test::iota_f;

TEST(ReverseSequence, BatchMajorAndTimeMajor) {
  // batch_axis 0, time_axis 1: rows are sequences.
  test::SingleOp op{.op_type = "ReverseSequence",
                    .inputs = {iota_f({2, 3}), i64({2}, {3, 0})},
                    .attributes = {test::attr_int("batch_axis", 0), test::attr_int("time_axis", 1)}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{2, 1, 0, 3, 4, 5}));
  // Default: time_axis 0, batch_axis 1 (columns are sequences), with a trailing feature axis.
  op = {.op_type = "ReverseSequence", .inputs = {iota_f({3, 2, 1}), i64({2}, {2, 3})}};
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{2, 5, 0, 3, 4, 1}));
}

TEST(ReverseSequence, BadInputs) {
  test::SingleOp op{.op_type = "ReverseSequence", .inputs = {iota_f({3, 2}), i64({2}, {4, 1})}};
  test::expect_bad_input(op, "outside");
  op.inputs[1] = i64({3}, {1, 1, 1});
  test::expect_bad_input(op, "sequence_lens");
  op.inputs[1] = i64({2}, {1, 1});
  op.attributes = {test::attr_int("time_axis", 1)};
  test::expect_bad_input(op, "time_axis");
}

}  // namespace
}  // namespace onyx
