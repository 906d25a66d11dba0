// More of onyx's own CUDA kernels: the ops of the ONNX operator set beyond what real models use most (those are in
// kernels.h). Same conventions as kernels.h:
// - Dense row-major device buffers, shapes as Dims (rank <= kMaxRank), every function only enqueues on `stream`
//   and never synchronizes; host-side checks throw onyx::Error kBadInput (bad shape/axis/attribute) or
//   kUnsupported (a dtype the kernel does not implement); launch failures throw kRuntime. Empty tensors launch
//   nothing.
// - "float types" are float32, float16, bfloat16 (computed in float32, rounded once on store) and float64
//   (computed in float64). "numeric types" add int8..int64 and uint8..uint64 (computed in their own type).
// - Index inputs are int32 or int64 device data. An index out of range cannot throw on the device: the kernel
//   skips it (writes zeros where it would have read) and sets *error_flag (a device int, may be null) to 1.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <string>
#include <vector>

#include "cuda/kernels.h"
#include "onyx/dtype.h"

namespace onyx::cuda {

// ---- elementwise -----------------------------------------------------------------------------------------------
enum class MathOp {
  kTan, kAsin, kAcos, kAtan, kSinh, kCosh, kAsinh, kAcosh, kAtanh,
  kSoftsign,          // x / (1 + |x|)
  kCelu,              // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
  kMish,              // x * tanh(softplus(x))
  kThresholdedRelu,   // x > alpha ? x : 0
  kShrink,            // lambd = alpha, bias = beta: x < -lambd ? x + bias : (x > lambd ? x - bias : 0)
  kExp, kLog, kSqrt, kReciprocal, kSin, kCos, kTanh, kSigmoid, kErf, kFloor, kCeil, kRound, kRelu,
  kSoftplus, kElu, kSelu, kLeakyRelu, kHardSigmoid, kHardSwish,
  kAbs, kNeg, kSign,  // also for integer types
  kIdentity,
};
// y[i] = op(x[i]) for the float types; kAbs, kNeg, kSign and kIdentity also for integer types (Abs of an unsigned
// value is the value). alpha/beta as named above (Elu alpha, Selu alpha/gamma, LeakyRelu alpha, HardSigmoid
// alpha/beta). y may equal x.
void math_unary(MathOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream, float alpha = 0.f,
                float beta = 0.f);
// IsNaN (nan = true) or IsInf (detect_positive / detect_negative) of a float tensor into bool.
void is_nan_inf(DType dtype, const void* x, bool* y, int64_t n, bool nan, bool detect_positive, bool detect_negative,
                cudaStream_t stream);
// Not of bool, or bitwise not of an integer type.
void bit_not(DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream);
// Conversion between any numeric types and bool (Cast, CastLike): float to integer truncates toward zero (NaN and
// out of range as C++ on the device), to bool is x != 0, float16/bfloat16 round to nearest even. y must not overlap x
// unless the types have equal size.
void convert(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream);

// Same-type binary ops with numpy broadcasting (y has broadcast_shapes(a_shape, b_shape)).
enum class ArithOp {
  kAdd, kSub, kMul, kDiv, kPow, kMax, kMin,
  kMod,         // Mod fmod=0: result has the sign of the divisor (integers; floats too)
  kFmod,        // Mod fmod=1: C fmod, sign of the dividend
  kShiftLeft, kShiftRight,                // BitShift: unsigned integer types
  kBitAnd, kBitOr, kBitXor,               // integer types
  kPRelu,       // a < 0 ? a * b : a
};
// Numeric types (bitwise/shift ops integers only; bool allowed for kBitAnd/Or/Xor = And/Or/Xor). Integer division
// and modulo by zero give 0. y may equal a or b when that input already has y's shape.
void arith(ArithOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape, void* y,
           cudaStream_t stream);
// Pow with a base and exponent of different types (Pow-15): y has the base's type; computed in float64.
void pow_mixed(DType base_dtype, const void* a, const Dims& a_shape, DType exp_dtype, const void* b,
               const Dims& b_shape, void* y, cudaStream_t stream);
enum class CompareOp { kEqual, kLess, kLessOrEqual, kGreater, kGreaterOrEqual };
// y (bool) = a op b with broadcasting; numeric types and bool.
void compare(CompareOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape,
             bool* y, cudaStream_t stream);
// Variadic Sum / Mean / Max / Min of up to 8 inputs with multidirectional broadcasting into y (shape `out`).
enum class VariadicOp { kSum, kMean, kMax, kMin };
void variadic(VariadicOp op, DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes,
              void* y, const Dims& out, cudaStream_t stream);
// Where with any element type (cond bool), broadcasting all three.
void where_any(DType dtype, const bool* cond, const Dims& c_shape, const void* x, const Dims& x_shape, const void* y,
               const Dims& y_shape, void* out, const Dims& out_shape, cudaStream_t stream);

// ---- reductions ------------------------------------------------------------------------------------------------
enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };
// Reduces the axes listed (normalized, distinct) of x; y has x's shape with those axes set to 1. Numeric types
// (integers accumulate in their own type; kMean of integers divides truncating; kL2/kLogSum/kLogSumExp integers
// are computed in float64 and converted). An empty reduction gives the identity: sum 0, prod 1, max lowest
// (-inf), min highest (+inf), logsum/logsumexp -inf, mean NaN.
void reduce(ReduceKind kind, DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& axes, void* y,
            cudaStream_t stream);
// ArgMax / ArgMin along `axis` (int64 output with that axis of size 1); first or last index of the extreme
// (comparisons with > / <, so a NaN is picked only as the first element of its row).
void arg_reduce(bool max, DType dtype, const void* x, const Dims& shape, int64_t axis, bool select_last, int64_t* y,
                cudaStream_t stream);
// CumSum along `axis` (exclusive / reverse as ONNX); numeric types.
void cumsum(DType dtype, const void* x, const Dims& shape, int64_t axis, bool exclusive, bool reverse, void* y,
            cudaStream_t stream);
// Hardmax along `axis` (1 at the first maximum, 0 elsewhere); float types.
void hardmax(DType dtype, const void* x, const Dims& shape, int64_t axis, void* y, cudaStream_t stream);
// Softmax / LogSoftmax along any axis (stable, float32/float64 accumulation); float types.
void softmax_axis(DType dtype, const void* x, const Dims& shape, int64_t axis, bool log, void* y,
                  cudaStream_t stream);
// TopK along `axis`: values (x's dtype) and int64 indices with that axis of size k. Ties go to the smaller index.
// Numeric types. k must lie in [0, dim].
void topk(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t k, bool largest, void* values,
          int64_t* indices, cudaStream_t stream);

// ---- indexing and data movement (any dtype: bits are copied, unless stated) -------------------------------------
void gather_elements(DType dtype, const void* x, const Dims& shape, const void* indices, DType indices_dtype,
                     const Dims& indices_shape, int64_t axis, void* y, int* error_flag, cudaStream_t stream);
enum class ScatterReduce { kNone, kAdd, kMul, kMax, kMin };
// y = data, then updates scattered along `axis` at `indices` (same shape as updates). Duplicate indices are applied
// in order (deterministic). Reductions other than kNone need a numeric dtype. y must not overlap data.
void scatter_elements(DType dtype, const void* data, const Dims& shape, const void* indices, DType indices_dtype,
                      const void* updates, const Dims& updates_shape, int64_t axis, ScatterReduce reduction, void* y,
                      int* error_flag, cudaStream_t stream);
// GatherND with batch_dims; y's shape: indices_shape[:-1] + shape[batch_dims + indices_shape[-1]:].
Dims gather_nd_shape(const Dims& shape, const Dims& indices_shape, int64_t batch_dims);
void gather_nd(DType dtype, const void* x, const Dims& shape, const void* indices, DType indices_dtype,
               const Dims& indices_shape, int64_t batch_dims, void* y, int* error_flag, cudaStream_t stream);
// ScatterND: y = data, then y[indices[i]] (a slice) = updates[i] (or reduced into it), applied in order.
void scatter_nd(DType dtype, const void* data, const Dims& shape, const void* indices, DType indices_dtype,
                const Dims& indices_shape, const void* updates, ScatterReduce reduction, void* y, int* error_flag,
                cudaStream_t stream);
// Trilu: keeps the upper (j - i >= k) or lower (j - i <= k) triangle of the last two dims, zeros elsewhere.
void trilu(DType dtype, const void* x, const Dims& shape, int64_t k, bool upper, void* y, cudaStream_t stream);
// Range: y[i] = start + i * delta for n elements; start and delta are device scalars of `dtype` (numeric).
void range_fill(DType dtype, const void* start, const void* delta, int64_t n, void* y, cudaStream_t stream);
// OneHot: indices (any numeric type, device) of shape `indices_shape`; y gets a new axis of size depth at `axis`
// (normalized into [0, rank]); values is a device pair [off, on] of the output dtype. Negative indices count from
// the back (index + depth); out-of-range indices give an all-off row.
void one_hot(DType indices_dtype, const void* indices, const Dims& indices_shape, int64_t depth, int64_t axis,
             DType dtype, const void* values, void* y, cudaStream_t stream);
// EyeLike: rows x cols with ones on diagonal k (numeric types and bool).
void eye_like(DType dtype, int64_t rows, int64_t cols, int64_t k, void* y, cudaStream_t stream);
// Tile: y.shape[d] = shape[d] * repeats[d].
void tile(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& repeats, void* y,
          cudaStream_t stream);
// Expand to `out` (numpy broadcasting of shape against out).
void expand_any(DType dtype, const void* x, const Dims& shape, const Dims& out, void* y, cudaStream_t stream);
enum class PadMode { kConstant, kReflect, kEdge, kWrap };
// Pad (pads: begin_0..begin_r-1, end_0..end_r-1, may be negative = crop). value: device scalar of dtype for
// kConstant (null = 0). Reflect needs dim >= 2 for a padded axis (kBadInput otherwise), edge/wrap dim >= 1.
void pad(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& pads, PadMode mode,
         const void* value, void* y, cudaStream_t stream);
// ReverseSequence: x [time, batch, ...] (time_axis 0) or [batch, time, ...] (time_axis 1); lens int64 device [batch].
void reverse_sequence(DType dtype, const void* x, const Dims& shape, const int64_t* lens, int64_t time_axis,
                      int64_t batch_axis, void* y, cudaStream_t stream);

// Fills n elements of `dtype` with one value given as its bit pattern (the low dtype_size bytes of `bits`).
void fill_bits(DType dtype, uint64_t bits, int64_t n, void* y, cudaStream_t stream);

// ---- resize ----------------------------------------------------------------------------------------------------
enum class ResizeMode { kNearest, kLinear, kCubic };
enum class ResizeCoord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfCropAndResize, kTfHalfPixelForNN,
                         kHalfPixelSymmetric };
enum class ResizeNearest { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
struct ResizeParams {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  float cubic_coeff_a = -0.75f;
  bool exclude_outside = false;
  float extrapolation_value = 0.f;
  std::vector<double> scales;  // per dim (output / input), as ONNX uses them in the coordinate transform
  std::vector<double> roi;     // 2 * rank (starts then ends), for kTfCropAndResize; empty otherwise
  // The scales came from the (float32) scales input: the coordinate mapping then runs in float32 arithmetic, as ONNX
  // Runtime and the ONNX reference compute it (it decides floor/round ties); otherwise in float64.
  bool float_math = false;
};
// N-D resize of x (float types) into y of shape `out` (nearest also for integer types). align_corners, crop and
// pytorch_half_pixel divide by the real-valued resized length in * scale (as ONNX does), not the integer output.
void resize(DType dtype, const void* x, const Dims& shape, const Dims& out, const ResizeParams& p, void* y,
            cudaStream_t stream);

// ---- normalization ---------------------------------------------------------------------------------------------
// Group normalization of x [n, channels, spatial...] (spatial = product of the rest) over `groups` groups (instance
// normalization: groups == channels). scale/bias have `channels` elements (per_channel) or `groups` elements, may be
// null (1 / 0). Float types, statistics in float32/float64.
void group_norm(DType dtype, const void* x, int64_t n, int64_t channels, int64_t spatial, int64_t groups,
                const void* scale, const void* bias, bool per_channel, float epsilon, void* y, cudaStream_t stream);
// LpNormalization (p 1 or 2) along `axis`.
void lp_norm(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t p, void* y, cudaStream_t stream);
// LRN over channels of x [n, c, spatial...].
void lrn(DType dtype, const void* x, int64_t n, int64_t c, int64_t spatial, int64_t size, float alpha, float beta,
         float bias, void* y, cudaStream_t stream);
// MeanVarianceNormalization over `axes` (normalized): (x - mean) / (sqrt(var) + 1e-9).
void mean_variance_norm(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& axes, void* y,
                        cudaStream_t stream);

// ---- losses ----------------------------------------------------------------------------------------------------
enum class LossReduction { kNone, kSum, kMean };
// NegativeLogLikelihoodLoss: input [n, c, d...] (float types), target [n, d...] (int32/int64), weight [c] or null.
// y: [n, d...] for kNone, a scalar otherwise. Targets equal to ignore_index (when has_ignore) contribute 0 (and 0
// weight); other targets outside [0, c) set *error_flag and contribute 0. kMean divides by the sum of weights.
void nll_loss(DType dtype, const void* input, const Dims& shape, const void* target, DType target_dtype,
              const void* weight, LossReduction reduction, bool has_ignore, int64_t ignore_index, void* y,
              int* error_flag, cudaStream_t stream);
// SoftmaxCrossEntropyLoss = NLL of log_softmax(scores, axis 1). log_prob (scores' shape) is written when not null.
void softmax_cross_entropy(DType dtype, const void* scores, const Dims& shape, const void* labels, DType labels_dtype,
                           const void* weight, LossReduction reduction, bool has_ignore, int64_t ignore_index,
                           void* y, void* log_prob, int* error_flag, cudaStream_t stream);

// ---- convolution-like ------------------------------------------------------------------------------------------
struct ConvTransposeParams {
  Dims x_shape;                 // [n, c_in, spatial...] (1 to 3 spatial dims)
  Dims w_shape;                 // [c_in, c_out / group, kernel...]
  Dims y_shape;                 // [n, c_out, spatial...]
  std::vector<int64_t> strides, dilations, pads_begin;  // per spatial dim
  int64_t group = 1;
};
// Direct (gather-form) transposed convolution, float types, float32/float64 accumulation. bias [c_out] or null.
void conv_transpose(DType dtype, const void* x, const void* w, const void* bias, const ConvTransposeParams& p,
                    void* y, cudaStream_t stream);

// Geometry of a sliding window over 1 to 3 spatial dims, right-aligned into 3 (unused leading dims have size 1).
struct WindowGeom {
  int nd = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  int64_t pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
};
// Builds a WindowGeom from per-spatial-dim lists (all of one size, 1 to 3).
WindowGeom window_geom(const std::vector<int64_t>& in, const std::vector<int64_t>& out,
                       const std::vector<int64_t>& kernel, const std::vector<int64_t>& strides,
                       const std::vector<int64_t>& dilations, const std::vector<int64_t>& pads_begin,
                       const std::vector<int64_t>& pads_end);
// Direct convolution, x [n, ci, spatial...], w [co, ci / group, kernel...], bias [co] or null; float types with
// float32/float64 accumulation (the fallback for what cuDNN does not take, e.g. 3-D).
void conv_nd(DType dtype, const void* x, const void* w, const void* bias, int64_t n, int64_t ci, int64_t co,
             int64_t group, const WindowGeom& g, void* y, cudaStream_t stream);
// Max or average pooling of `planes` (n * c) planes; max also for int8/uint8 and with int64 indices (flattened over
// the whole input, spatial part row-major or column-major), average with or without the pads in the divisor.
void pool_nd(bool max, DType dtype, const void* x, int64_t planes, const WindowGeom& g, bool count_include_pad,
             void* y, int64_t* indices, bool column_major_indices, cudaStream_t stream);
// Integer convolution (ConvInteger, QLinearConv): x and w uint8/int8, zero points x: 1 value, w: 1 or co values (null:
// 0), int32 accumulation plus bias (int32 [co], may be null). Without requantization (quant null) y is int32; with
// it, y = saturate(rint(acc * x_scale * w_scale[oc] / y_scale) + y_zero_point) in y_dtype (uint8/int8).
struct ConvQuant {
  const float* x_scale = nullptr;
  const float* w_scale = nullptr;
  int64_t w_scale_count = 1;
  const float* y_scale = nullptr;
  const void* y_zero_point = nullptr;
};
void conv_integer(DType x_dtype, const void* x, const void* x_zero_point, DType w_dtype, const void* w,
                  const void* w_zero_point, int64_t w_zp_count, const int32_t* bias, int64_t n, int64_t ci,
                  int64_t co, int64_t group, const WindowGeom& g, const ConvQuant* quant, DType y_dtype, void* y,
                  cudaStream_t stream);
// Inference batch normalization with per-channel parameters in device memory (x [n, c, spatial...]).
void batch_norm_device(DType dtype, const void* x, const void* scale, const void* bias, const void* mean,
                       const void* var, int64_t n, int64_t c, int64_t spatial, float epsilon, void* y,
                       cudaStream_t stream);

// Einsum of 1 to 3 operands given as label strings (letters, ellipsis already expanded by the caller into labels of
// its own) per operand and the output labels; a label repeated within an operand takes the diagonal. Float and
// integer types. y has out_labels' dims.
void einsum(DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes,
            const std::vector<std::string>& labels, const std::string& out_labels, void* y, cudaStream_t stream);
// Parses an ONNX Einsum equation against the operands' ranks into per-operand label strings and the output labels.
// Ellipsis dims become labels '0'..'7' (right-aligned across operands, broadcast like numpy); an implicit output is
// the ellipsis labels followed by the letters seen exactly once, in alphabetical order. Throws kBadInput on a
// malformed equation or a rank mismatch.
void einsum_parse(const std::string& equation, const std::vector<size_t>& ranks, std::vector<std::string>* labels,
                  std::string* out_labels);

// ---- quantization ----------------------------------------------------------------------------------------------
// QuantizeLinear: y = saturate(rint(x / scale) + zero_point) into y_dtype (uint8, int8, uint16, int16). scale (float
// types, dtype scale_dtype) and zero_point (y_dtype, may be null = 0) hold 1 value (per tensor) or shape[axis]
// values (per axis). Computed in float32 (float64 for float64 inputs).
void quantize_linear(DType x_dtype, const void* x, const Dims& shape, int64_t axis, DType scale_dtype,
                     const void* scale, int64_t scale_count, const void* zero_point, DType y_dtype, void* y,
                     cudaStream_t stream);
// DequantizeLinear: y = (x - zero_point) * scale with x int8/uint8/int16/uint16/int32; y has scale_dtype.
void dequantize_linear(DType x_dtype, const void* x, const Dims& shape, int64_t axis, DType scale_dtype,
                       const void* scale, int64_t scale_count, const void* zero_point, void* y, cudaStream_t stream);
// DynamicQuantizeLinear of float32 x (n elements): y uint8, y_scale (float32 scalar) and y_zero_point (uint8 scalar)
// from the range of x extended to include 0.
void dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* y_scale, uint8_t* y_zero_point,
                             cudaStream_t stream);

// Integer matmul (MatMulInteger / QLinearMatMul): a [..., M, K] and b [..., K, N] of uint8/int8 (ranks >= 2, batch
// dims broadcast), zero points per tensor (count 1) or per row of a (M) / column of b (N), may be null. Without
// requantization y is int32 (MatMulInteger); with it (QLinearMatMul: a_scale 1 or M values, b_scale 1 or N, y_scale
// 1, float32 device data; y_zero_point of y_dtype or null) y = saturate(rint(acc * a_scale * b_scale / y_scale) + y_zp)
// in y_dtype (uint8/int8), the multiplier in float64.
struct IntMatmulQuant {
  const float* a_scale = nullptr;
  int64_t a_scale_count = 1;
  const float* b_scale = nullptr;
  int64_t b_scale_count = 1;
  const float* y_scale = nullptr;
  const void* y_zero_point = nullptr;
};
void matmul_integer(DType a_dtype, const void* a, const Dims& a_shape, const void* a_zero_point, int64_t a_zp_count,
                    DType b_dtype, const void* b, const Dims& b_shape, const void* b_zero_point, int64_t b_zp_count,
                    const IntMatmulQuant* quant, DType y_dtype, void* y, cudaStream_t stream);

// Direct Gemm: y [m, n] = alpha * op(a) op(b) + beta * c, op = transpose when trans_*, c broadcast to [m, n] (null:
// none). Float types with float32/float64 accumulation (the fallback for what the cuBLASLt layer does not take).
void gemm_direct(DType dtype, const void* a, bool trans_a, const void* b, bool trans_b, const void* c,
                 const Dims& c_shape, int64_t m, int64_t n, int64_t k, float alpha, float beta, void* y,
                 cudaStream_t stream);
// Determinants of the `batch` square n x n matrices of x (float types), by LU with partial pivoting in float64.
// workspace: batch * n * n doubles of device memory.
void determinant(DType dtype, const void* x, int64_t batch, int64_t n, void* y, double* workspace,
                 cudaStream_t stream);

// ---- GridSample ------------------------------------------------------------------------------------------------
enum class GridMode { kLinear, kNearest, kCubic };
enum class GridPadding { kZeros, kBorder, kReflection };
// x [n, c, spatial...] (2 or 3 spatial dims), grid [n, out spatial..., r] with normalized coordinates (last index
// is the first spatial axis... as ONNX: (x, y[, z]) = (W, H[, D])); y [n, c, out spatial...]. Float types (grid
// of the same dtype).
void grid_sample(DType dtype, const void* x, const Dims& x_shape, const void* grid, const Dims& grid_shape,
                 GridMode mode, GridPadding padding, bool align_corners, void* y, cudaStream_t stream);

// ---- training optimizers (ai.onnx.preview.training) -------------------------------------------------------------
enum class OptimizerKind { kAdagrad, kMomentum, kNesterov, kAdam };
struct OptimizerParams {
  double alpha = 0, beta = 0, epsilon = 0, decay_factor = 0, norm_coefficient = 0, norm_coefficient_post = 0;
};
// One tensor of an optimizer step, computed in float64: r (learning rate, device scalar of r_dtype float32/64) and t
// (int64 device scalar). Inputs x, g and the states s1 (H for Adagrad, V for Momentum/Adam), s2 (H for Adam);
// outputs x_new and the new states. Float32/float64 tensors of n elements.
void optimizer_step(OptimizerKind kind, DType dtype, DType r_dtype, const void* r, const int64_t* t, int64_t n,
                    const void* x, const void* g, const void* s1, const void* s2, void* x_new, void* s1_new,
                    void* s2_new, const OptimizerParams& p, cudaStream_t stream);

// ---- recurrent ---------------------------------------------------------------------------------------------------
enum class RnnCell { kRnn, kGru, kLstm };
enum class RnnAct { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
                    kSoftsign, kSoftplus };
struct RnnParams {
  RnnCell cell = RnnCell::kRnn;
  int64_t seq = 0, batch = 0, input = 0, hidden = 0;
  int dirs = 1;
  bool forward = true;  // with one direction: forward or reverse
  int layout = 0;       // 0: X [seq, batch, input], Y [seq, dirs, batch, hidden]; 1: batch first
  bool has_clip = false;
  float clip = 0;
  bool linear_before_reset = false;  // GRU
  bool input_forget = false;         // LSTM
  // Per direction: RNN f; GRU f, g; LSTM f, g, h (3 slots per direction).
  RnnAct acts[6] = {};
  float alpha[6] = {}, beta[6] = {};
};
// One-layer RNN / GRU / LSTM (ONNX gate orders: GRU z r h, LSTM i o f c; B = Wb then Rb; P = i o f peepholes).
// One block per (direction, batch row) walks the time steps; hidden <= 1024. x/w/r/b/h0/c0/p/y/y_h/y_c of the float
// dtype (b, lens, h0, c0, p, y, y_h, y_c may be null); lens int32 [batch]. Y gets zeros past a row's length.
void rnn_forward(DType dtype, const RnnParams& p, const void* x, const void* w, const void* r, const void* b,
                 const int32_t* lens, const void* h0, const void* c0, const void* peep, void* y, void* y_h, void* y_c,
                 cudaStream_t stream);

// ---- signal ----------------------------------------------------------------------------------------------------
enum class WindowKind { kHann, kHamming, kBlackman };
// Window function of `size` samples (periodic or symmetric), float types.
void window(WindowKind kind, DType dtype, int64_t size, bool periodic, void* y, cudaStream_t stream);

}  // namespace onyx::cuda
