#include "op_test_util.h"

namespace onyx {
namespace {

// Pool: 1-grams {2, 3, 5, 4} and 2-grams {(5, 6), (7, 8), (6, 7)}, mapped to outputs 0..6.
test::SingleOp tfidf(Tensor x, std::string mode, int64_t min_gram, int64_t max_gram, int64_t skip,
                     std::vector<float> weights = {}) {
  test::SingleOp op{.op_type = "TfIdfVectorizer", .opset = 9, .inputs = {std::move(x)},
                    .attributes = {test::attr_string("mode", mode), test::attr_int("min_gram_length", min_gram),
                                   test::attr_int("max_gram_length", max_gram),
                                   test::attr_int("max_skip_count", skip), test::attr_ints("ngram_counts", {0, 4}),
                                   test::attr_ints("ngram_indexes", {0, 1, 2, 3, 4, 5, 6}),
                                   test::attr_ints("pool_int64s", {2, 3, 5, 4, 5, 6, 7, 8, 6, 7})}};
  if (!weights.empty()) op.attributes.push_back(test::attr_floats("weights", weights));
  return op;
}

TEST(TfIdfVectorizer, CountsUnigramsAndSkipBigrams) {
  const Tensor x = Tensor::from_vector<int32_t>({2, 6}, {1, 1, 3, 3, 3, 7, 8, 6, 7, 5, 6, 8});
  auto op = tfidf(x, "TF", 1, 2, 0);
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1}));
  EXPECT_EQ(op.infer()[0].to_string(), "float32[2,7]");
  // With up to 2 skips, (7, 8) is also found in row 1 (7 _ _ 8), and unigrams are still counted once.
  op = tfidf(x, "TF", 1, 2, 2);
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1, 1}));
  op = tfidf(Tensor::from_vector<int64_t>({4}, {7, 1, 1, 8}), "TF", 2, 2, 2);
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 0, 0, 0, 0, 1, 0}));
}

TEST(TfIdfVectorizer, IdfAndTfIdfWeight) {
  const Tensor x = Tensor::from_vector<int64_t>({5}, {3, 3, 5, 6, 3});
  const std::vector<float> w = {1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(test::values<float>(tfidf(x, "IDF", 1, 2, 0, w).run()[0]), (std::vector<float>{0, 2, 3, 0, 5, 0, 0}));
  EXPECT_EQ(test::values<float>(tfidf(x, "TFIDF", 1, 2, 0, w).run()[0]), (std::vector<float>{0, 6, 3, 0, 5, 0, 0}));
}

TEST(TfIdfVectorizer, StringPool) {
  test::SingleOp op{.op_type = "TfIdfVectorizer", .opset = 9,
                    .inputs = {Tensor::from_vector<std::string>({4}, {"a", "b", "a", "b"})},
                    .attributes = {test::attr_string("mode", "TF"), test::attr_int("min_gram_length", 2),
                                   test::attr_int("max_gram_length", 2), test::attr_int("max_skip_count", 0),
                                   test::attr_ints("ngram_counts", {0, 0}), test::attr_ints("ngram_indexes", {1}),
                                   test::attr_ints("pool_int64s", {})}};
  op.attributes.pop_back();
  Attribute pool;
  pool.name = "pool_strings";
  pool.type = AttrType::kStrings;
  pool.strings = {"a", "b"};
  op.attributes.push_back(pool);
  EXPECT_EQ(test::values<float>(op.run()[0]), (std::vector<float>{0, 2}));
}

TEST(TfIdfVectorizer, BadAttributesAndInputs) {
  auto op = tfidf(Tensor::from_vector<int64_t>({1}, {1}), "BM25", 1, 2, 0);
  EXPECT_THROW(op.run(), Error);
  op = tfidf(Tensor::from_vector<int64_t>({1}, {1}), "TF", 3, 2, 0);
  EXPECT_THROW(op.run(), Error);
  op = tfidf(Tensor::from_vector<float>({1}, {1}), "TF", 1, 2, 0);
  EXPECT_THROW(op.run(), Error);
  op = tfidf(Tensor::from_vector<int64_t>({1, 1, 1}, {1}), "TF", 1, 2, 0);
  EXPECT_THROW(op.run(), Error);
}

}  // namespace
}  // namespace onyx
