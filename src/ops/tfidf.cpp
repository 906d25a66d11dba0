// TfIdfVectorizer (opset 9): counts the n-grams of a pool (int64s or strings) found in each row of X, with up to
// max_skip_count items skipped between consecutive n-gram items, and weights the counts by mode (TF: counts; IDF:
// weight where present; TFIDF: count * weight). X is [C] or [N, C]; Y is float [max(ngram_indexes) + 1] or
// [N, max + 1].
#include <algorithm>
#include <map>

#include "op.h"

namespace onyx {
namespace {

struct TfIdfAttrs {
  int64_t min_gram = 0, max_gram = 0, max_skip = 0;
  enum class Mode { kTf, kIdf, kTfIdf } mode = Mode::kTf;
  std::vector<int64_t> ngram_counts, ngram_indexes;
  std::vector<float> weights;
  bool strings = false;
  std::vector<int64_t> pool_ints;
  std::vector<std::string> pool_strings;
  int64_t out_size = 0;
  // n-gram → ordinal (index into ngram_indexes / weights)
  std::map<std::vector<int64_t>, size_t> int_grams;
  std::map<std::vector<std::string>, size_t> str_grams;
};

template <typename T>
void index_pool(const Node& node, const std::vector<T>& pool, const TfIdfAttrs& a,
                std::map<std::vector<T>, size_t>& out) {
  size_t ordinal = 0;
  for (size_t level = 0; level < a.ngram_counts.size(); ++level) {
    const int64_t n = static_cast<int64_t>(level) + 1;
    const int64_t begin = a.ngram_counts[level];
    const int64_t end = level + 1 < a.ngram_counts.size() ? a.ngram_counts[level + 1] : static_cast<int64_t>(pool.size());
    if (begin < 0 || end < begin || end > static_cast<int64_t>(pool.size()) || (end - begin) % n != 0)
      fail_bad_input(node.describe(), ": ngram_counts ", level, " (", begin, "..", end,
                     ") does not delimit whole ", n, "-grams of the pool of ", pool.size());
    for (int64_t p = begin; p < end; p += n, ++ordinal) {
      if (ordinal >= a.ngram_indexes.size())
        fail_bad_input(node.describe(), ": the pool holds more n-grams than ngram_indexes has entries (",
                       a.ngram_indexes.size(), ")");
      // Only n-grams of the lengths being extracted can match; others are kept indexed but never hit.
      out.emplace(std::vector<T>(pool.begin() + p, pool.begin() + p + n), ordinal);
    }
  }
}

TfIdfAttrs tfidf_attrs(const Node& node) {
  TfIdfAttrs a;
  a.min_gram = node.attr_int("min_gram_length");
  a.max_gram = node.attr_int("max_gram_length");
  a.max_skip = node.attr_int("max_skip_count");
  if (a.min_gram < 1 || a.max_gram < a.min_gram)
    fail_bad_input(node.describe(), ": need 1 <= min_gram_length <= max_gram_length, got ", a.min_gram, " and ",
                   a.max_gram);
  if (a.max_skip < 0) fail_bad_input(node.describe(), ": max_skip_count must not be negative, got ", a.max_skip);
  const std::string mode = node.required_attr("mode", AttrType::kString).s;
  if (mode == "TF") a.mode = TfIdfAttrs::Mode::kTf;
  else if (mode == "IDF") a.mode = TfIdfAttrs::Mode::kIdf;
  else if (mode == "TFIDF") a.mode = TfIdfAttrs::Mode::kTfIdf;
  else fail_bad_input(node.describe(), ": mode must be TF, IDF or TFIDF, got '", mode, "'");
  a.ngram_counts = node.required_attr("ngram_counts", AttrType::kInts).ints;
  a.ngram_indexes = node.required_attr("ngram_indexes", AttrType::kInts).ints;
  a.weights = node.attr_floats("weights");
  if (!a.weights.empty() && a.weights.size() != a.ngram_indexes.size())
    fail_bad_input(node.describe(), ": weights has ", a.weights.size(), " entries but ngram_indexes has ",
                   a.ngram_indexes.size());
  const bool has_ints = node.has_attr("pool_int64s"), has_strings = node.has_attr("pool_strings");
  if (has_ints == has_strings)
    fail_bad_input(node.describe(), ": exactly one of pool_int64s and pool_strings is required");
  a.strings = has_strings;
  int64_t max_index = -1;
  for (int64_t i : a.ngram_indexes) {
    if (i < 0) fail_bad_input(node.describe(), ": ngram_indexes must not be negative, got ", i);
    max_index = std::max(max_index, i);
  }
  a.out_size = max_index + 1;
  if (a.strings) {
    a.pool_strings = node.attr_strings("pool_strings");
    index_pool(node, a.pool_strings, a, a.str_grams);
  } else {
    a.pool_ints = node.attr_ints("pool_int64s");
    index_pool(node, a.pool_ints, a, a.int_grams);
  }
  return a;
}

void infer_tfidf(InferContext& ctx) {
  const TfIdfAttrs a = tfidf_attrs(ctx.node());
  const TypeInfo& t = ctx.input_type(0);
  if (t.kind == TypeInfo::Kind::kTensor && t.dtype != DType::kUndefined) {
    const bool ok = a.strings ? t.dtype == DType::kString : (t.dtype == DType::kInt32 || t.dtype == DType::kInt64);
    if (!ok) ctx.fail("input dtype ", dtype_name(t.dtype), " does not match the ", a.strings ? "string" : "int64", " pool");
  }
  const Shape& s = ctx.input_shape(0);
  if (!s.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(DType::kFloat32));
    return;
  }
  if (s.rank() == 1) ctx.set_output(0, DType::kFloat32, Shape({Dim(a.out_size)}));
  else if (s.rank() == 2) ctx.set_output(0, DType::kFloat32, Shape({s[0], Dim(a.out_size)}));
  else ctx.fail("input must be [C] or [N, C], got ", s.to_string());
}

template <typename T>
void count_row(const T* row, int64_t c, const TfIdfAttrs& a, const std::map<std::vector<T>, size_t>& grams,
               std::vector<int64_t>& counts) {
  std::vector<T> gram;
  for (int64_t start = 0; start < c; ++start) {
    for (int64_t skip = 0; skip <= a.max_skip; ++skip) {
      gram.clear();
      for (int64_t n = 1; n <= a.max_gram; ++n) {
        const int64_t pos = start + (n - 1) * (skip + 1);
        if (pos >= c) break;
        gram.push_back(row[pos]);
        // A 1-gram is the same whatever the skip: count it once.
        if (n < a.min_gram || (n == 1 && skip > 0)) continue;
        auto it = grams.find(gram);
        if (it != grams.end()) ++counts[it->second];
      }
    }
  }
}

void run_tfidf(KernelContext& ctx) {
  const TfIdfAttrs a = tfidf_attrs(ctx.node());
  const Tensor& x = ctx.input(0);
  if (x.rank() != 1 && x.rank() != 2) ctx.fail("input must be [C] or [N, C], got ", x.describe());
  const int64_t rows = x.rank() == 2 ? x.dim(0) : 1;
  const int64_t c = x.rank() == 2 ? x.dim(1) : x.dim(0);
  Tensor y(DType::kFloat32, x.rank() == 2 ? std::vector<int64_t>{rows, a.out_size} : std::vector<int64_t>{a.out_size});
  float* out = y.data<float>();
  std::vector<int64_t> counts(a.ngram_indexes.size());
  std::vector<int64_t> ints;
  if (!a.strings) {
    if (x.dtype() != DType::kInt32 && x.dtype() != DType::kInt64)
      ctx.fail("input must be int32 or int64 for pool_int64s, got ", x.describe());
    ints = x.to_int64_vector();
  } else if (x.dtype() != DType::kString) {
    ctx.fail("input must be a string tensor for pool_strings, got ", x.describe());
  }
  for (int64_t r = 0; r < rows; ++r) {
    std::fill(counts.begin(), counts.end(), 0);
    if (a.strings) count_row(x.data<std::string>() + r * c, c, a, a.str_grams, counts);
    else count_row(ints.data() + r * c, c, a, a.int_grams, counts);
    float* o = out + r * a.out_size;
    for (size_t k = 0; k < counts.size(); ++k) {
      if (counts[k] == 0) continue;
      const float w = a.weights.empty() ? 1.0f : a.weights[k];
      float v = 0;
      switch (a.mode) {
        case TfIdfAttrs::Mode::kTf: v = static_cast<float>(counts[k]); break;
        case TfIdfAttrs::Mode::kIdf: v = w; break;
        case TfIdfAttrs::Mode::kTfIdf: v = static_cast<float>(counts[k]) * w; break;
      }
      o[a.ngram_indexes[k]] += v;
    }
  }
  ctx.set_output(0, std::move(y));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "TfIdfVectorizer", .since_version = 9, .inputs = {1, 1}, .infer = infer_tfidf,
                  .run = run_tfidf});

}  // namespace onyx
