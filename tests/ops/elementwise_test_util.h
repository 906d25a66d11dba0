// Small helpers shared by the elementwise op tests.
#pragma once

#include <cmath>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/op.h"

namespace onyx::test {

// The code of the onyx::Error `f` throws; 0 when it throws nothing.
inline int error_code_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return static_cast<int>(e.code());
  }
  return 0;
}
inline constexpr int kBadInput = static_cast<int>(ErrorCode::kBadInput);
inline constexpr int kUnsupported = static_cast<int>(ErrorCode::kUnsupported);

// Elements of a float-like tensor as doubles.
inline std::vector<double> doubles(const Tensor& t) { return t.to_double_vector(); }

// Expects `actual` to match `expected` within a relative tolerance (NaN matches NaN).
inline void expect_near_all(const std::vector<double>& actual, const std::vector<double>& expected,
                            double rtol = 1e-6, double atol = 1e-7) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "element " << i << ": " << actual[i];
      continue;
    }
    if (std::isinf(expected[i])) {
      EXPECT_EQ(actual[i], expected[i]) << "element " << i;
      continue;
    }
    EXPECT_NEAR(actual[i], expected[i], atol + rtol * std::abs(expected[i])) << "element " << i;
  }
}

inline Tensor f32(std::vector<int64_t> dims, std::vector<float> v) { return Tensor::from_vector<float>(dims, v); }
inline Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(dims, v); }
inline Tensor i32(std::vector<int64_t> dims, std::vector<int32_t> v) { return Tensor::from_vector<int32_t>(dims, v); }
inline Tensor b8(std::vector<int64_t> dims, std::vector<bool> v) {
  Tensor t(DType::kBool, dims);
  for (size_t i = 0; i < v.size(); ++i) t.data<bool>()[i] = v[i];
  return t;
}
inline std::vector<bool> bools(const Tensor& t) {
  std::vector<bool> out;
  for (int64_t i = 0; i < t.numel(); ++i) out.push_back(t.data<bool>()[i]);
  return out;
}

// Runs the `infer` of op_type at `opset` directly on inputs given by type and partial value (as the inference
// driver would see them after Shape ops); returns output 0's partial value.
struct InferInput {
  TypeInfo type;
  std::optional<std::vector<Dim>> partial;
};
inline std::optional<std::vector<Dim>> infer_partial(const std::string& op_type, int64_t opset,
                                                     std::vector<InferInput> ins, std::vector<Attribute> attrs = {}) {
  Graph g;
  std::vector<Value*> vals;
  for (size_t i = 0; i < ins.size(); ++i) vals.push_back(g.add_value("in" + std::to_string(i)));
  Node* n = g.add_node(op_type, "", vals, {g.add_value("out")}, "node");
  n->attributes = std::move(attrs);
  n->opset = opset;
  std::vector<InferContext::Input> inputs;
  for (auto& in : ins) inputs.push_back({&in.type, nullptr, in.partial ? &*in.partial : nullptr});
  InferContext ctx(*n, inputs);
  OpRegistry::instance().find("", op_type, opset)->infer(ctx);
  return ctx.output_partials()[0];
}
inline std::string dims_string(const std::optional<std::vector<Dim>>& dims) {
  if (!dims) return "none";
  std::string s;
  for (const Dim& d : *dims) s += (s.empty() ? "" : ",") + d.to_string();
  return s;
}

}  // namespace onyx::test
