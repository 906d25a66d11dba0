// Fused scaled-dot-product attention for the cuda target (onyx.Attention):
//   Y[b] = softmax(Q[b] · KT[b] * scale + mask[b]) · V[b]      (scale_is_divisor: Q·KT / scale)
// in one kernel, flash-attention style: scores never reach device memory; each block keeps a tile of query rows
// and streams key/value tiles through shared memory with an online (running max / running sum) softmax.
//
// Kernels:
// - float16 / bfloat16, head dims 32, 64, 96, 128 (Dv == D): tensor cores through mma.sync m16n8k16 (fp32
//   accumulation, P rounded to the input dtype for the second product, the softmax and the final division in fp32),
//   64 query rows per block (4 warps of 16 rows), 64-key tiles double-buffered with cp.async.
// - any float dtype, any D, Dv <= 256, any strides: a simple kernel (one warp per query row, fp32 throughout).
//   It is the float32 path; float16/bfloat16 use it only when FlashAttentionParams::allow_simple is set.
//
// Plain C++17 interface (a C++20 .cpp may include it). Operands are strided views: each has a base pointer, strides
// (in elements) for up to kAttnBatchDims leading batch dims (0 = broadcast) and for its two matrix dims. The
// tensor-core kernel needs unit stride on the innermost dim of Q, V and Y, either unit stride on KT's L dim (KT
// stored [.., D, L], the layout onyx.Attention's KT input has) or on its D dim (K stored [.., L, D] and KT viewed
// as its transpose), 16-byte aligned base pointers and row strides that are multiples of 8 elements.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "onyx/dtype.h"

namespace onyx::cuda {

constexpr int kAttnBatchDims = 3;

// Strides (in elements) of one operand: element (b0, b1, b2, r, c) is at
// base + b0*batch_stride[0] + b1*batch_stride[1] + b2*batch_stride[2] + r*row_stride + c*col_stride.
struct AttnLayout {
  int64_t batch_stride[kAttnBatchDims] = {0, 0, 0};
  int64_t row_stride = 0;
  int64_t col_stride = 1;
};

struct FlashAttentionParams {
  DType dtype = DType::kFloat16;               // every operand and Y: float16, bfloat16 or float32
  int64_t batch[kAttnBatchDims] = {1, 1, 1};   // the output's batch dims (leading ones padded with 1)
  int64_t s = 0, l = 0, d = 0, dv = 0;         // query rows, keys, head dim, value dim
  const void* q = nullptr;     AttnLayout q_layout;     // [S, D]
  const void* kt = nullptr;    AttnLayout kt_layout;    // [D, L]
  const void* v = nullptr;     AttnLayout v_layout;     // [L, Dv]
  const void* mask = nullptr;  AttnLayout mask_layout;  // [S, L], additive, same dtype; null: no mask
  void* y = nullptr;           AttnLayout y_layout;     // [S, Dv], written
  float scale = 1.f;
  bool scale_is_divisor = false;  // scores are Q·KT / scale
  bool causal = false;            // additionally mask key l > query row i (top-left aligned)
  bool allow_simple = false;      // float16/bfloat16 configs the tensor-core kernel does not take run on the
                                  // simple kernel instead of returning false
};

// Which kernel flash_attention() would run, or null when it returns false ("flash_f16_d64", "simple").
const char* flash_attention_kernel_name(const FlashAttentionParams& p);

// Enqueues the attention on `stream` and returns true, or returns false (launching nothing) when no kernel takes
// the configuration (dtype, head dim, strides, alignment, L == 0): the caller falls back to another path. Empty
// outputs (S, Dv or a batch dim 0) return true and launch nothing. Launch failures throw onyx::Error (kRuntime).
bool flash_attention(const FlashAttentionParams& p, cudaStream_t stream);

// Convenience for dense row-major tensors with numpy-broadcast batch dims, as onyx.Attention's inputs come:
// q [..., S, D], kt [..., D, L], v [..., L, Dv], mask (may be null) broadcastable to [..., S, L], y [..., S, Dv]
// with y_dims the broadcast result. Fills `p` (dtype, shapes, strides; scale/causal/allow_simple are left as they
// are) and returns false when the shapes do not fit (more than kAttnBatchDims batch dims that cannot be merged,
// inconsistent dims).
bool attention_params_dense(DType dtype, const void* q, const std::vector<int64_t>& q_dims, const void* kt,
                            const std::vector<int64_t>& kt_dims, const void* v, const std::vector<int64_t>& v_dims,
                            const void* mask, const std::vector<int64_t>& mask_dims, void* y,
                            const std::vector<int64_t>& y_dims, FlashAttentionParams* p);

}  // namespace onyx::cuda
