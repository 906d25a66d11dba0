// onyx's own CUDA kernels: the building blocks of the cuda engine target for what cuBLASLt/cuDNN do not cover.
//
// Plain C++17 interface (a C++20 .cpp may include it). Conventions:
// - Tensors are dense row-major (C order) device buffers; shapes are std::vector<int64_t>, rank <= kMaxRank.
// - Floating kernels take float32, float16 and bfloat16 and compute in float32, rounding once on store.
// - Every function only enqueues work on `stream` and never synchronizes; launch failures throw onyx::Error
//   (kRuntime) naming the kernel. Bad shapes/axes/dtypes are checked on the host before launching and throw
//   kBadInput (kUnsupported for a dtype a kernel does not implement). Empty tensors launch nothing.
// - Output buffers must not overlap inputs unless a function says so (unary and binary allow y == x / y == a).
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "onyx/dtype.h"

namespace onyx::cuda {

constexpr int kMaxRank = 8;
using Dims = std::vector<int64_t>;

int64_t numel(const Dims& shape);

// ---- elementwise -----------------------------------------------------------------------------------------------
enum class UnaryOp {
  kIdentity,
  kRelu,
  kLeakyRelu,    // alpha: slope for x < 0
  kElu,          // alpha
  kSelu,         // alpha, beta = gamma
  kSigmoid,
  kHardSigmoid,  // max(0, min(1, alpha * x + beta))
  kHardSwish,
  kTanh,
  kGeluErf,      // x/2 * (1 + erf(x / sqrt 2))
  kGeluTanh,     // x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
  kSilu,         // x * sigmoid(x)
  kSoftplus,
  kExp,
  kLog,
  kSqrt,
  kRsqrt,
  kReciprocal,
  kAbs,
  kNeg,
  kErf,
  kSin,
  kCos,
  kFloor,
  kCeil,
  kRound,        // half to even, like ONNX Round
  kSign,
  kClip,         // min(max(x, alpha), beta)
};
// y[i] = op(x[i]) for n elements of `dtype` (float32/float16/bfloat16). y may equal x.
void unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream, float alpha = 0.f,
           float beta = 0.f);

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kMax, kMin };
// numpy broadcasting of a_shape and b_shape (rank <= kMaxRank); throws kBadInput when they cannot broadcast.
Dims broadcast_shapes(const Dims& a_shape, const Dims& b_shape);
// y = op(a, b) with numpy broadcasting; y has broadcast_shapes(a_shape, b_shape). dtype: float32/float16/bfloat16
// (computed in float32), int32 and int64 (computed in their own type; integer kDiv truncates toward zero and
// gives 0 for a zero divisor, kPow is unsupported). y may equal a (or b) when that input already has y's shape.
void binary(BinaryOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape, void* y,
            cudaStream_t stream);

// ---- normalization ---------------------------------------------------------------------------------------------
// Softmax (or log-softmax) over the last axis of a [rows, cols] tensor; numerically stable (max subtracted).
void softmax_lastdim(DType dtype, const void* x, void* y, int64_t rows, int64_t cols, bool log, cudaStream_t stream);
// Layer normalization over the last axis of [rows, cols]: y = (x - mean) / sqrt(var + eps) * scale + bias, with
// float32 statistics (two-pass over the row). scale and bias have `cols` elements of `dtype`, either may be null
// (1 / 0). mean_out and inv_std_out (float32, `rows` elements) are written when not null.
void layer_norm_lastdim(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                        int64_t cols, float epsilon, float* mean_out, float* inv_std_out, cudaStream_t stream);

// ---- reductions ------------------------------------------------------------------------------------------------
enum class ReduceOp { kSum, kMean, kMax, kMin };
// Reduces `axis` (negative counts from the back) of x; y has shape[axis] == 1 (dropping that dimension gives the
// same memory). Float types accumulate in float32. Max/min propagate NaN; over an empty axis: sum 0, mean NaN,
// max -inf, min +inf.
void reduce_axis(ReduceOp op, DType dtype, const void* x, const Dims& shape, int64_t axis, void* y,
                 cudaStream_t stream);

// ---- data movement (any dtype of 1, 2, 4 or 8 bytes: bits are copied) ------------------------------------------
// y = x.transpose(perm); y has shape[perm[i]] at position i. perm must be a permutation of 0..rank-1.
void permute(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& perm, void* y,
             cudaStream_t stream);
// Concatenates inputs (same rank and dtype, equal dims except `axis`) along `axis` into y.
void concat(DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes, int64_t axis,
            void* y, cudaStream_t stream);
// Strided slice: y[i_0..i_r] = x[starts[d] + i_d * steps[d]] with y's shape `out_shape`; starts are normalized
// (0 <= start < dim unless out_shape[d] == 0) and steps non-zero (negative walks backwards). Every index read is
// checked to lie inside x on the host (kBadInput otherwise).
void slice(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& starts,
           const std::vector<int64_t>& steps, const Dims& out_shape, void* y, cudaStream_t stream);
// Slice along one axis: [start, start + length) of `axis`.
void slice_axis(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t start, int64_t length, void* y,
                cudaStream_t stream);
// Gather along `axis` (ONNX Gather): y.shape = shape[:axis] + indices_shape + shape[axis+1:]. indices are int32 or
// int64 device data; negative indices count from the back. An index outside [-dim, dim) writes zeros to its output
// slice and, when error_flag (device int) is not null, sets *error_flag to 1 — the kernel cannot throw.
void gather(DType dtype, const void* x, const Dims& shape, int64_t axis, const void* indices, DType indices_dtype,
            const Dims& indices_shape, void* y, int* error_flag, cudaStream_t stream);

// ---- pooling ---------------------------------------------------------------------------------------------------
struct Pool2dParams {
  int64_t n = 1, c = 1, h = 1, w = 1;      // input NCHW
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;  // max pooling only (average needs 1)
  bool ceil_mode = false;
  bool count_include_pad = false;          // average pooling
};
// Output spatial size (ONNX MaxPool/AveragePool formula, ceil_mode included: a last window that starts in the
// bottom/right padding is dropped). Throws kBadInput for a non-positive size.
void pool2d_output_size(const Pool2dParams& p, int64_t* out_h, int64_t* out_w);
// 2-D max / average pooling, NCHW, float32/float16/bfloat16. y is [n, c, out_h, out_w].
void max_pool2d(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream);
void avg_pool2d(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream);

// ---- cast ------------------------------------------------------------------------------------------------------
// Converts n elements between float32, float16, bfloat16, int64, int32 and bool. Floats to ints truncate toward
// zero (out of range saturates, NaN gives 0: the GPU's conversion); to bool is x != 0; floats round to nearest even.
void cast(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream);

}  // namespace onyx::cuda
