// Small tensor builders for the shape/data-movement op tests.
#pragma once

#include <numeric>

#include "op_test_util.h"

namespace onyx::test {

inline Tensor i64(std::vector<int64_t> v) {
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
}
inline Tensor i64(std::vector<int64_t> dims, std::vector<int64_t> v) {
  return Tensor::from_vector<int64_t>(dims, v);
}
inline Tensor f32(std::vector<int64_t> dims, std::vector<float> v) {
  return Tensor::from_vector<float>(dims, v);
}
// 0, 1, 2, ... as float32
inline Tensor iota_f(std::vector<int64_t> dims) {
  Tensor t(DType::kFloat32, dims);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}
// A model input's declared type with symbolic dims, then prepared: the inferred output types.
inline std::vector<std::string> infer_with(const SingleOp& op, size_t input, Shape declared) {
  auto m = op.build();
  for (Value* v : m->graph->inputs)
    if (v->name() == "in" + std::to_string(input))
      v->type = TypeInfo::tensor(v->type.dtype, std::move(declared));
  prepare_model(*m);
  std::vector<std::string> out;
  for (const Value* v : m->graph->outputs) out.push_back(v->type.to_string());
  return out;
}
// Runs and expects a kBadInput error whose message mentions `needle`.
inline void expect_bad_input(const SingleOp& op, const std::string& needle) {
  try {
    op.run();
    ADD_FAILURE() << "no error; expected one mentioning " << needle;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kBadInput) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace onyx::test
