// Shared pieces of the cpu kernels (kernels.cpp: conv/matmul/gemm; kernels_nn.cpp: pooling, normalization,
// softmax, attention).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels.h"

namespace onyx::cpu {

inline bool is_default_domain(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

inline bool input_is_f32(const Node& n, size_t i) {
  const Value* v = n.input(i);
  return v && v->type.is_tensor() && v->type.dtype == DType::kFloat32;
}

inline bool is_f32(const Tensor& t) { return t.dtype() == DType::kFloat32; }

// Per-thread scratch memory that grows to the largest request and is then reused (no allocation per run).
float* scratch(size_t slot, size_t floats);

// Activation epilogues of the fused ops (attribute `activation`, parameters activation_alpha/_beta).
enum class Act { kNone, kRelu, kClip, kLeakyRelu, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kGelu, kGeluTanh, kUnknown };
struct Activation {
  Act act = Act::kNone;
  float alpha = 0, beta = 0;
};
Activation parse_activation(const Node& n);
// y[i] = act(y[i]) for i in [0, n), with the reference kernels' semantics (NaN stays NaN).
void apply_activation(const Activation& a, float* y, int64_t n);

// Kernels defined in kernels_nn.cpp.
extern const Kernel kMaxPool, kGlobalAveragePool, kSoftmax, kLayerNorm, kAttention, kGeluK,
    kTransposeK;

}  // namespace onyx::cpu
