#include "control_test_util.h"

namespace onyx {
namespace {

Tensor strings(std::vector<int64_t> dims, std::vector<std::string> v) { return Tensor::from_vector<std::string>(dims, v); }

TEST(StringNormalizer, RemovesStopwordsCaseInsensitivelyAndChangesCase) {
  test::SingleOp op{.op_type = "StringNormalizer",
                    .inputs = {strings({1, 4}, {"Monday", "tuesday", "MONDAY", "Straße"})},
                    .attributes = {test::attr_strings("stopwords", {"monday"}),
                                   test::attr_string("case_change_action", "UPPER")}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(out[0].data<std::string>()[0], "TUESDAY");
  EXPECT_EQ(op.infer()[0].to_string(), "string[1,?]");
  // Case-sensitive: only the exact word goes.
  op.attributes = {test::attr_strings("stopwords", {"monday"}), test::attr_int("is_case_sensitive", 1),
                   test::attr_string("case_change_action", "LOWER")};
  out = op.run();
  ASSERT_EQ(out[0].numel(), 4);
  EXPECT_EQ(out[0].data<std::string>()[0], "monday");
  EXPECT_EQ(out[0].data<std::string>()[2], "monday");
}

TEST(StringNormalizer, AllRemovedGivesOneEmptyString) {
  test::SingleOp op{.op_type = "StringNormalizer", .inputs = {strings({2}, {"a", "A"})},
                    .attributes = {test::attr_strings("stopwords", {"a"})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1}));
  EXPECT_EQ(out[0].data<std::string>()[0], "");
}

TEST(StringNormalizer, RejectsOtherShapesAndActions) {
  test::SingleOp op{.op_type = "StringNormalizer", .inputs = {strings({2, 1}, {"a", "b"})}};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
  op.inputs = {strings({1}, {"a"})};
  op.attributes = {test::attr_string("case_change_action", "TITLE")};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
  op.attributes = {};
  op.inputs = {Tensor::from_vector<float>({1}, {1})};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(RegexFullMatch, MatchesWholeStringsOnly) {
  test::SingleOp op{.op_type = "RegexFullMatch", .opset = 20,
                    .inputs = {strings({2, 2}, {"www.google.com", "www.facebook.com", "google.com", "www.x.org"})},
                    .attributes = {test::attr_string("pattern", R"(www\.[\w.-]+\.\bcom\b)")}};
  auto out = op.run();
  EXPECT_EQ(test::values<bool>(out[0]), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(op.infer()[0].to_string(), "bool[2,2]");
  op.attributes = {test::attr_string("pattern", "goo")};
  EXPECT_EQ(test::values<bool>(op.run()[0]), (std::vector<bool>{false, false, false, false}));
  op.attributes = {test::attr_string("pattern", "(unclosed")};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(StringConcat, BroadcastsLikeArithmetic) {
  test::SingleOp op{.op_type = "StringConcat", .opset = 20,
                    .inputs = {strings({2, 1}, {"a", "b"}), strings({3}, {"1", "2", ""})}};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(test::values<std::string>(out[0]), (std::vector<std::string>{"a1", "a2", "a", "b1", "b2", "b"}));
  op.inputs = {strings({2}, {"a", "b"}), strings({3}, {"1", "2", "3"})};
  EXPECT_EQ(test::error_code([&] { op.run(); }), static_cast<int>(ErrorCode::kBadInput));
}

TEST(StringSplit, SplitsOnADelimiterPaddingWithEmptyStrings) {
  test::SingleOp op{.op_type = "StringSplit", .opset = 20, .inputs = {strings({3}, {"a-b--c", "", "x"})},
                    .attributes = {test::attr_string("delimiter", "-")}, .num_outputs = 2};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(test::values<std::string>(out[0]),
            (std::vector<std::string>{"a", "b", "", "c", "", "", "", "", "x", "", "", ""}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{4, 1, 1}));
  op.attributes.push_back(test::attr_int("maxsplit", 1));
  out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(out[0].data<std::string>()[1], "b--c");
}

TEST(StringSplit, WithoutDelimiterSplitsOnWhitespaceRuns) {
  test::SingleOp op{.op_type = "StringSplit", .opset = 20, .inputs = {strings({1, 2}, {"  hello   world ", "   "})},
                    .num_outputs = 2};
  auto out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(test::values<std::string>(out[0]), (std::vector<std::string>{"hello", "world", "", ""}));
  EXPECT_EQ(test::values<int64_t>(out[1]), (std::vector<int64_t>{2, 0}));
  EXPECT_EQ(op.infer()[0].to_string(), "string[1,2,?]");
  // An empty input gives a trailing axis of 0.
  op.inputs = {Tensor(DType::kString, {0})};
  out = op.run();
  EXPECT_EQ(out[0].dims(), (std::vector<int64_t>{0, 0}));
}

}  // namespace
}  // namespace onyx
