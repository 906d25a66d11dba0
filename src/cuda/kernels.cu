// onyx's own CUDA kernels (see kernels.h for the contract). Layout of this file: device helpers, elementwise
// (unary, broadcast binary), row kernels (softmax, layer norm, last-axis reductions), strided reductions, data
// movement (permute, concat, slice, gather), pooling, cast. Each public function validates on the host, then
// launches on the given stream and checks the launch.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/check.h"
#include "cuda/kernels.h"
#include "onyx/error.h"

namespace onyx::cuda {

namespace {

// ---- device helpers --------------------------------------------------------------------------------------------
__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_f(float v);
template <>
__device__ __forceinline__ float from_f<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half from_f<__half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

// Grid-stride launch shape: enough blocks to fill the device a few times over, never more than the work needs.
constexpr int kThreads = 256;
unsigned grid_for(int64_t work, int threads = kThreads) {
  const int64_t needed = (work + threads - 1) / threads;
  const int64_t cap = static_cast<int64_t>(current_device_limits().sm_count) * 16;
  return static_cast<unsigned>(std::max<int64_t>(1, std::min(needed, std::max<int64_t>(cap, 1))));
}

__device__ __forceinline__ int64_t global_thread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

std::string shape_str(const Dims& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s + "]";
}

void check_shape(const Dims& shape, const char* what) {
  ONYX_CHECK(shape.size() <= static_cast<size_t>(kMaxRank), what, ": rank ", shape.size(), " exceeds ", kMaxRank);
  for (int64_t d : shape) ONYX_CHECK(d >= 0, what, ": negative dimension in ", shape_str(shape));
}

int64_t normalize_axis(int64_t axis, size_t rank, const char* what) {
  const int64_t r = static_cast<int64_t>(rank);
  ONYX_CHECK(axis >= -r && axis < r, what, ": axis ", axis, " out of range for rank ", r);
  return axis < 0 ? axis + r : axis;
}

[[noreturn]] void unsupported_dtype(const char* what, DType t) {
  fail_unsupported(what, ": dtype ", dtype_name(t), " not supported by the CUDA kernel");
}

// Calls f(T{}) with T the device storage type of a float dtype (float, __half, __nv_bfloat16).
template <typename F>
void dispatch_float(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return;
    case DType::kFloat16: f(__half{}); return;
    case DType::kBFloat16: f(__nv_bfloat16{}); return;
    default: unsupported_dtype(what, t);
  }
}

// Bit-copy type of an element size.
template <typename F>
void dispatch_bits(DType t, const char* what, F&& f) {
  if (t == DType::kString || t == DType::kUndefined) unsupported_dtype(what, t);
  switch (dtype_size(t)) {
    case 1: f(uint8_t{}); return;
    case 2: f(uint16_t{}); return;
    case 4: f(uint32_t{}); return;
    case 8: f(uint64_t{}); return;
    default: unsupported_dtype(what, t);
  }
}

template <typename T>
constexpr int kPack = 16 / static_cast<int>(sizeof(T));
template <typename T>
struct alignas(16) Pack {
  T v[kPack<T>];
};

// ---- unary -----------------------------------------------------------------------------------------------------
__device__ __forceinline__ float sigmoid_f(float x) { return 1.f / (1.f + expf(-x)); }

__device__ __forceinline__ float apply_unary(UnaryOp op, float x, float alpha, float beta) {
  switch (op) {
    case UnaryOp::kIdentity: return x;
    case UnaryOp::kRelu: return x > 0.f ? x : (x != x ? x : 0.f);
    case UnaryOp::kLeakyRelu: return x >= 0.f ? x : alpha * x;
    case UnaryOp::kElu: return x >= 0.f ? x : alpha * expm1f(x);
    case UnaryOp::kSelu: return beta * (x > 0.f ? x : alpha * expm1f(x));
    case UnaryOp::kSigmoid: return sigmoid_f(x);
    case UnaryOp::kHardSigmoid: return fmaxf(0.f, fminf(1.f, alpha * x + beta));
    case UnaryOp::kHardSwish: return x * fmaxf(0.f, fminf(1.f, x / 6.f + 0.5f));
    case UnaryOp::kTanh: return tanhf(x);
    case UnaryOp::kGeluErf: return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
    case UnaryOp::kGeluTanh: {
      const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);
      return 0.5f * x * (1.f + tanhf(inner));
    }
    case UnaryOp::kSilu: return x * sigmoid_f(x);
    case UnaryOp::kSoftplus: return x > 20.f ? x : log1pf(expf(x));
    case UnaryOp::kExp: return expf(x);
    case UnaryOp::kLog: return logf(x);
    case UnaryOp::kSqrt: return sqrtf(x);
    case UnaryOp::kRsqrt: return 1.f / sqrtf(x);
    case UnaryOp::kReciprocal: return 1.f / x;
    case UnaryOp::kAbs: return fabsf(x);
    case UnaryOp::kNeg: return -x;
    case UnaryOp::kErf: return erff(x);
    case UnaryOp::kSin: return sinf(x);
    case UnaryOp::kCos: return cosf(x);
    case UnaryOp::kFloor: return floorf(x);
    case UnaryOp::kCeil: return ceilf(x);
    case UnaryOp::kRound: return rintf(x);
    case UnaryOp::kSign: return x > 0.f ? 1.f : (x < 0.f ? -1.f : x);
    case UnaryOp::kClip: return fminf(fmaxf(x, alpha), beta);
  }
  return x;
}

// Packs of 16 bytes where both pointers allow it; `n_packs` = 0 otherwise. The tail (n - n_packs * kPack) goes
// element by element.
template <typename T>
__global__ void unary_kernel(UnaryOp op, const T* x, T* y, int64_t n, int64_t n_packs,
                             float alpha, float beta) {
  const Pack<T>* xp = reinterpret_cast<const Pack<T>*>(x);
  Pack<T>* yp = reinterpret_cast<Pack<T>*>(y);
  for (int64_t i = global_thread(); i < n_packs; i += grid_stride()) {
    Pack<T> p = xp[i];
#pragma unroll
    for (int k = 0; k < kPack<T>; ++k) p.v[k] = from_f<T>(apply_unary(op, to_f(p.v[k]), alpha, beta));
    yp[i] = p;
  }
  for (int64_t i = n_packs * kPack<T> + global_thread(); i < n; i += grid_stride())
    y[i] = from_f<T>(apply_unary(op, to_f(x[i]), alpha, beta));
}

// ---- broadcast binary ------------------------------------------------------------------------------------------
struct BroadcastIndex {
  int rank = 0;
  int64_t dims[kMaxRank] = {};
  int64_t a_stride[kMaxRank] = {};
  int64_t b_stride[kMaxRank] = {};
};

template <typename C>
__device__ __forceinline__ C apply_binary(BinaryOp op, C a, C b) {
  if constexpr (std::is_floating_point<C>::value) {
    switch (op) {
      case BinaryOp::kAdd: return a + b;
      case BinaryOp::kSub: return a - b;
      case BinaryOp::kMul: return a * b;
      case BinaryOp::kDiv: return a / b;
      case BinaryOp::kPow: return powf(a, b);
      case BinaryOp::kMax: return (a != a || a > b) ? a : b;  // NaN propagates from either side
      case BinaryOp::kMin: return (a != a || a < b) ? a : b;
    }
  } else {
    switch (op) {
      case BinaryOp::kAdd: return a + b;
      case BinaryOp::kSub: return a - b;
      case BinaryOp::kMul: return a * b;
      case BinaryOp::kDiv: return b == 0 ? C(0) : a / b;
      case BinaryOp::kPow: return C(0);  // rejected on the host
      case BinaryOp::kMax: return a > b ? a : b;
      case BinaryOp::kMin: return a < b ? a : b;
    }
  }
  return a;
}

template <typename T>
struct ComputeOf {
  using type = float;
};
template <>
struct ComputeOf<int32_t> {
  using type = int32_t;
};
template <>
struct ComputeOf<int64_t> {
  using type = int64_t;
};
template <typename T>
__device__ __forceinline__ typename ComputeOf<T>::type load_c(T v) {
  if constexpr (std::is_integral<T>::value) {
    return v;
  } else {
    return to_f(v);
  }
}
template <typename T>
__device__ __forceinline__ T store_c(typename ComputeOf<T>::type v) {
  if constexpr (std::is_integral<T>::value) {
    return v;
  } else {
    return from_f<T>(v);
  }
}

// mode 0: same shape (flat); 1: b is one element; 2: a is one element; 3: general broadcast.
template <typename T, int kMode>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* y, int64_t n,
                              BroadcastIndex ix) {
  using C = typename ComputeOf<T>::type;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    int64_t ia = i, ib = i;
    if (kMode == 1) ib = 0;
    if (kMode == 2) ia = 0;
    if (kMode == 3) {
      int64_t rem = i;
      ia = 0;
      ib = 0;
#pragma unroll
      for (int d = kMaxRank - 1; d >= 0; --d) {
        if (d < ix.rank) {
          const int64_t c = rem % ix.dims[d];
          rem /= ix.dims[d];
          ia += c * ix.a_stride[d];
          ib += c * ix.b_stride[d];
        }
      }
    }
    y[i] = store_c<T>(apply_binary<C>(op, load_c(a[ia]), load_c(b[ib])));
  }
}

// Merges adjacent dims where every operand's strides are contiguous (including both broadcast), and drops dims of
// size 1, so that the index math runs over as few dims as possible. Strides are in elements.
void coalesce(Dims& dims, std::vector<Dims>& strides) {
  Dims nd;
  std::vector<Dims> ns(strides.size());
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    bool merge = !nd.empty();
    for (size_t k = 0; k < strides.size() && merge; ++k)
      merge = ns[k].back() == strides[k][d] * dims[d];
    if (merge) {
      nd.back() *= dims[d];
      for (size_t k = 0; k < strides.size(); ++k) ns[k].back() = strides[k][d];
    } else {
      nd.push_back(dims[d]);
      for (size_t k = 0; k < strides.size(); ++k) ns[k].push_back(strides[k][d]);
    }
  }
  dims = std::move(nd);
  strides = std::move(ns);
}

Dims contiguous_strides(const Dims& dims) {
  Dims s(dims.size(), 1);
  for (size_t d = dims.size(); d-- > 1;) s[d - 1] = s[d] * dims[d];
  return s;
}

template <typename T>
void launch_binary(BinaryOp op, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape, void* y,
                   const Dims& out, cudaStream_t stream) {
  const int64_t n = numel(out);
  if (n == 0) return;
  const T* pa = static_cast<const T*>(a);
  const T* pb = static_cast<const T*>(b);
  T* py = static_cast<T*>(y);
  const int64_t na = numel(a_shape), nb = numel(b_shape);
  BroadcastIndex ix;
  if (na == n && nb == n) {
    binary_kernel<T, 0><<<grid_for(n), kThreads, 0, stream>>>(op, pa, pb, py, n, ix);
  } else if (na == n && nb == 1) {
    binary_kernel<T, 1><<<grid_for(n), kThreads, 0, stream>>>(op, pa, pb, py, n, ix);
  } else if (na == 1 && nb == n) {
    binary_kernel<T, 2><<<grid_for(n), kThreads, 0, stream>>>(op, pa, pb, py, n, ix);
  } else {
    // Right-align both shapes to the output rank; a broadcast dim gets stride 0.
    const size_t r = out.size();
    std::vector<Dims> strides(2, Dims(r, 0));
    const Dims* shapes[2] = {&a_shape, &b_shape};
    for (int k = 0; k < 2; ++k) {
      const Dims& s = *shapes[k];
      const Dims cs = contiguous_strides(s);
      const size_t off = r - s.size();
      for (size_t d = 0; d < s.size(); ++d) strides[k][off + d] = s[d] == 1 ? 0 : cs[d];
    }
    Dims dims = out;
    coalesce(dims, strides);
    ix.rank = static_cast<int>(dims.size());
    for (size_t d = 0; d < dims.size(); ++d) {
      ix.dims[d] = dims[d];
      ix.a_stride[d] = strides[0][d];
      ix.b_stride[d] = strides[1][d];
    }
    binary_kernel<T, 3><<<grid_for(n), kThreads, 0, stream>>>(op, pa, pb, py, n, ix);
  }
  check_launch("binary_kernel");
}

// ---- row kernels: one warp per row (short rows) or one block per row ----------------------------------------
constexpr int kRowWarpMaxCols = 1024;
constexpr int kRowsPerWarpBlock = 8;  // blockDim (32, 8) in warp mode
constexpr int kRowBlockThreads = 512;

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float nan_max(float a, float b) { return (a != a || a > b) ? a : b; }
__device__ __forceinline__ float nan_min(float a, float b) { return (a != a || a < b) ? a : b; }
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = nan_max(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_min(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = nan_min(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

enum class Combine { kSum, kMax, kMin };

template <Combine kC>
__device__ __forceinline__ float warp_combine(float v) {
  if (kC == Combine::kSum) return warp_sum(v);
  if (kC == Combine::kMax) return warp_max(v);
  return warp_min(v);
}

// Combines v over the row's threads: the warp (kWarp) or the whole block (blockDim.x a multiple of 32). `smem`
// holds 32 floats. Every thread of the group gets the result.
template <bool kWarp, Combine kC>
__device__ __forceinline__ float group_combine(float v, float* smem) {
  v = warp_combine<kC>(v);
  if (kWarp) return v;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();  // smem may still be read by a previous call
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  float r = smem[0];
  for (int w = 1; w < warps; ++w) {
    if (kC == Combine::kSum) r += smem[w];
    if (kC == Combine::kMax) r = nan_max(r, smem[w]);
    if (kC == Combine::kMin) r = nan_min(r, smem[w]);
  }
  return r;
}

// Row index and the thread's lane within its row group.
template <bool kWarp>
__device__ __forceinline__ void row_coords(int64_t& row, int& lane, int& lanes) {
  if (kWarp) {
    row = static_cast<int64_t>(blockIdx.x) * blockDim.y + threadIdx.y;
    lane = threadIdx.x;
    lanes = 32;
  } else {
    row = blockIdx.x;
    lane = threadIdx.x;
    lanes = blockDim.x;
  }
}

template <typename T, bool kWarp>
__global__ void softmax_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols, bool log) {
  __shared__ float smem[32];
  int64_t row;
  int lane, lanes;
  row_coords<kWarp>(row, lane, lanes);
  // In warp mode, rows past the end still take part in nothing (whole warps exit together).
  if (row >= rows) return;
  const T* xr = x + row * cols;
  T* yr = y + row * cols;
  float m = -INFINITY;
  for (int64_t c = lane; c < cols; c += lanes) m = nan_max(m, to_f(xr[c]));
  m = group_combine<kWarp, Combine::kMax>(m, smem);
  float s = 0.f;
  for (int64_t c = lane; c < cols; c += lanes) s += expf(to_f(xr[c]) - m);
  s = group_combine<kWarp, Combine::kSum>(s, smem);
  if (log) {
    const float ls = logf(s);
    for (int64_t c = lane; c < cols; c += lanes) yr[c] = from_f<T>(to_f(xr[c]) - m - ls);
  } else {
    const float inv = 1.f / s;
    for (int64_t c = lane; c < cols; c += lanes) yr[c] = from_f<T>(expf(to_f(xr[c]) - m) * inv);
  }
}

template <typename T, bool kWarp>
__global__ void layer_norm_kernel(const T* __restrict__ x, const T* __restrict__ scale, const T* __restrict__ bias,
                                  T* __restrict__ y, int64_t rows, int64_t cols, float eps, float* mean_out,
                                  float* inv_std_out) {
  __shared__ float smem[32];
  int64_t row;
  int lane, lanes;
  row_coords<kWarp>(row, lane, lanes);
  if (row >= rows) return;
  const T* xr = x + row * cols;
  T* yr = y + row * cols;
  float s = 0.f;
  for (int64_t c = lane; c < cols; c += lanes) s += to_f(xr[c]);
  const float mean = group_combine<kWarp, Combine::kSum>(s, smem) / static_cast<float>(cols);
  float v = 0.f;
  for (int64_t c = lane; c < cols; c += lanes) {
    const float d = to_f(xr[c]) - mean;
    v += d * d;
  }
  const float var = group_combine<kWarp, Combine::kSum>(v, smem) / static_cast<float>(cols);
  const float inv_std = rsqrtf(var + eps);
  for (int64_t c = lane; c < cols; c += lanes) {
    float o = (to_f(xr[c]) - mean) * inv_std;
    if (scale) o *= to_f(scale[c]);
    if (bias) o += to_f(bias[c]);
    yr[c] = from_f<T>(o);
  }
  if (lane == 0) {
    if (mean_out) mean_out[row] = mean;
    if (inv_std_out) inv_std_out[row] = inv_std;
  }
}

// Reduction of the contiguous last axis (inner == 1): rows = outer, cols = axis length.
template <typename T, bool kWarp>
__global__ void reduce_rows_kernel(ReduceOp op, const T* __restrict__ x, T* __restrict__ y, int64_t rows,
                                   int64_t cols) {
  __shared__ float smem[32];
  int64_t row;
  int lane, lanes;
  row_coords<kWarp>(row, lane, lanes);
  if (row >= rows) return;
  const T* xr = x + row * cols;
  float r;
  if (op == ReduceOp::kSum || op == ReduceOp::kMean) {
    float s = 0.f;
    for (int64_t c = lane; c < cols; c += lanes) s += to_f(xr[c]);
    r = group_combine<kWarp, Combine::kSum>(s, smem);
    if (op == ReduceOp::kMean) r /= static_cast<float>(cols);  // 0/0 = NaN for an empty axis
  } else if (op == ReduceOp::kMax) {
    float m = -INFINITY;
    for (int64_t c = lane; c < cols; c += lanes) m = nan_max(m, to_f(xr[c]));
    r = group_combine<kWarp, Combine::kMax>(m, smem);
  } else {
    float m = INFINITY;
    for (int64_t c = lane; c < cols; c += lanes) m = nan_min(m, to_f(xr[c]));
    r = group_combine<kWarp, Combine::kMin>(m, smem);
  }
  if (lane == 0) y[row] = from_f<T>(r);
}

// Reduction of a strided axis: one thread per (outer, inner) output, looping over the axis (coalesced on inner).
template <typename T>
__global__ void reduce_strided_kernel(ReduceOp op, const T* __restrict__ x, T* __restrict__ y, int64_t outer,
                                      int64_t len, int64_t inner) {
  const int64_t n = outer * inner;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    const int64_t o = i / inner, in = i % inner;
    const T* p = x + o * len * inner + in;
    float r = op == ReduceOp::kMax ? -INFINITY : (op == ReduceOp::kMin ? INFINITY : 0.f);
    for (int64_t l = 0; l < len; ++l) {
      const float v = to_f(p[l * inner]);
      if (op == ReduceOp::kMax) {
        r = nan_max(r, v);
      } else if (op == ReduceOp::kMin) {
        r = nan_min(r, v);
      } else {
        r += v;
      }
    }
    if (op == ReduceOp::kMean) r /= static_cast<float>(len);
    y[i] = from_f<T>(r);
  }
}

// Launches a row kernel in warp mode (short rows) or block mode.
template <typename LaunchWarp, typename LaunchBlock>
void launch_rows(int64_t rows, int64_t cols, LaunchWarp&& warp, LaunchBlock&& block) {
  if (cols <= kRowWarpMaxCols) {
    const int64_t blocks = (rows + kRowsPerWarpBlock - 1) / kRowsPerWarpBlock;
    ONYX_CHECK(blocks <= std::numeric_limits<int32_t>::max(), "row kernel: too many rows (", rows, ")");
    warp(dim3(static_cast<unsigned>(blocks)), dim3(32, kRowsPerWarpBlock));
  } else {
    ONYX_CHECK(rows <= std::numeric_limits<int32_t>::max(), "row kernel: too many rows (", rows, ")");
    block(dim3(static_cast<unsigned>(rows)), dim3(kRowBlockThreads));
  }
}

// ---- data movement ---------------------------------------------------------------------------------------------
struct StridedIndex {
  int rank = 0;
  int64_t dims[kMaxRank] = {};    // output dims
  int64_t stride[kMaxRank] = {};  // input element stride per output dim (may be negative for slices)
  int64_t base = 0;               // input offset of output element 0
};

template <typename T>
__global__ void strided_copy_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, StridedIndex ix) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    int64_t rem = i, off = ix.base;
#pragma unroll
    for (int d = kMaxRank - 1; d >= 0; --d) {
      if (d < ix.rank) {
        const int64_t c = rem % ix.dims[d];
        rem /= ix.dims[d];
        off += c * ix.stride[d];
      }
    }
    y[i] = x[off];
  }
}

// Batched 2-D transpose through a shared-memory tile: x [batch, rows, cols] -> y [batch, cols, rows].
constexpr int kTile = 32;
constexpr int kTileRows = 8;
template <typename T>
__global__ void transpose_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols,
                                 int64_t tiles_r, int64_t tiles_c, int64_t total_tiles) {
  __shared__ T tile[kTile][kTile + 1];
  for (int64_t t = blockIdx.x; t < total_tiles; t += gridDim.x) {
    const int64_t b = t / (tiles_r * tiles_c);
    const int64_t rem = t % (tiles_r * tiles_c);
    const int64_t r0 = (rem / tiles_c) * kTile, c0 = (rem % tiles_c) * kTile;
    const T* xb = x + b * rows * cols;
    T* yb = y + b * rows * cols;
    __syncthreads();  // the previous tile is fully written out
    for (int k = threadIdx.y; k < kTile; k += kTileRows) {
      const int64_t r = r0 + k, c = c0 + threadIdx.x;
      if (r < rows && c < cols) tile[k][threadIdx.x] = xb[r * cols + c];
    }
    __syncthreads();
    for (int k = threadIdx.y; k < kTile; k += kTileRows) {
      const int64_t c = c0 + k, r = r0 + threadIdx.x;  // y[c][r]
      if (r < rows && c < cols) yb[c * rows + r] = tile[threadIdx.x][k];
    }
  }
}

// Copies x [outer, in_inner] into columns [offset, offset + in_inner) of y [outer, out_inner].
template <typename T>
__global__ void concat_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t outer, int64_t in_inner,
                              int64_t out_inner, int64_t offset) {
  const int64_t n = outer * in_inner;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    const int64_t o = i / in_inner, r = i % in_inner;
    y[o * out_inner + offset + r] = x[i];
  }
}

template <typename T, typename I>
__global__ void gather_kernel(const T* __restrict__ x, const I* __restrict__ idx, T* __restrict__ y, int64_t outer,
                              int64_t axis_len, int64_t n_idx, int64_t inner, int* error_flag) {
  const int64_t n = outer * n_idx * inner;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    const int64_t in = i % inner;
    const int64_t t = i / inner;
    const int64_t j = t % n_idx, o = t / n_idx;
    int64_t k = static_cast<int64_t>(idx[j]);
    if (k < 0) k += axis_len;
    if (k < 0 || k >= axis_len) {
      y[i] = T{};
      if (error_flag) atomicExch(error_flag, 1);
    } else {
      y[i] = x[(o * axis_len + k) * inner + in];
    }
  }
}

// ---- pooling ---------------------------------------------------------------------------------------------------
struct PoolGeom {
  int64_t nc, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
  bool include_pad;
};

template <typename T, bool kMax>
__global__ void pool2d_kernel(const T* __restrict__ x, T* __restrict__ y, PoolGeom g) {
  const int64_t n = g.nc * g.oh * g.ow;
  for (int64_t i = global_thread(); i < n; i += grid_stride()) {
    const int64_t ox = i % g.ow;
    const int64_t oy = (i / g.ow) % g.oh;
    const int64_t plane = i / (g.ow * g.oh);
    const T* xp = x + plane * g.h * g.w;
    const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
    float acc = kMax ? -INFINITY : 0.f;
    int64_t count = 0, padded = 0;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = y0 + ky * g.dh;
      const bool row_in_pad = iy >= -g.pt && iy < g.h + g.pb;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = x0 + kx * g.dw;
        if (row_in_pad && ix >= -g.pl && ix < g.w + g.pr) ++padded;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
        const float v = to_f(xp[iy * g.w + ix]);
        if (kMax) {
          acc = nan_max(acc, v);
        } else {
          acc += v;
        }
        ++count;
      }
    }
    if (!kMax) {
      const int64_t div = g.include_pad ? padded : count;
      acc = div > 0 ? acc / static_cast<float>(div) : NAN;
    }
    y[i] = from_f<T>(acc);
  }
}

// ---- cast ------------------------------------------------------------------------------------------------------
// Storage types: float, __half, __nv_bfloat16, int64_t, int32_t, uint8_t (bool).
template <typename T>
struct IsFloatStorage {
  static constexpr bool value = !std::is_integral<T>::value;
};

template <typename From, typename To>
__device__ __forceinline__ To convert(From v) {
  if constexpr (std::is_same<To, uint8_t>::value) {  // to bool
    if constexpr (IsFloatStorage<From>::value) {
      return to_f(v) != 0.f ? 1 : 0;
    } else {
      return v != 0 ? 1 : 0;
    }
  } else if constexpr (IsFloatStorage<To>::value) {
    if constexpr (IsFloatStorage<From>::value) {
      return from_f<To>(to_f(v));
    } else if constexpr (std::is_same<From, uint8_t>::value) {
      return from_f<To>(v ? 1.f : 0.f);
    } else if constexpr (std::is_same<To, float>::value) {
      return static_cast<float>(v);
    } else {
      return from_f<To>(static_cast<float>(v));  // int -> half/bf16 through float
    }
  } else {  // to int32 / int64
    if constexpr (IsFloatStorage<From>::value) {
      return static_cast<To>(to_f(v));  // cvt.rzi: truncates, saturates, NaN -> 0
    } else if constexpr (std::is_same<From, uint8_t>::value) {
      return v ? To(1) : To(0);
    } else {
      return static_cast<To>(v);
    }
  }
}

template <typename From, typename To>
__global__ void cast_kernel(const From* __restrict__ x, To* __restrict__ y, int64_t n) {
  for (int64_t i = global_thread(); i < n; i += grid_stride()) y[i] = convert<From, To>(x[i]);
}

template <typename F>
void dispatch_cast_type(DType t, F&& f) {
  switch (t) {
    case DType::kFloat32: f(float{}); return;
    case DType::kFloat16: f(__half{}); return;
    case DType::kBFloat16: f(__nv_bfloat16{}); return;
    case DType::kInt64: f(int64_t{}); return;
    case DType::kInt32: f(int32_t{}); return;
    case DType::kBool: f(uint8_t{}); return;
    default: unsupported_dtype("cast", t);
  }
}

}  // namespace

// =================================================================================================================
int64_t numel(const Dims& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void unary(UnaryOp op, DType dtype, const void* x, void* y, int64_t n, cudaStream_t stream, float alpha, float beta) {
  ONYX_CHECK(n >= 0, "unary: negative element count ", n);
  if (n == 0) return;
  dispatch_float(dtype, "unary", [&](auto tag) {
    using T = decltype(tag);
    const int64_t packs = aligned16(x) && aligned16(y) ? n / kPack<T> : 0;
    const int64_t work = std::max<int64_t>(packs, n - packs * kPack<T>);
    unary_kernel<T><<<grid_for(work), kThreads, 0, stream>>>(op, static_cast<const T*>(x), static_cast<T*>(y), n,
                                                             packs, alpha, beta);
    check_launch("unary_kernel");
  });
}

Dims broadcast_shapes(const Dims& a, const Dims& b) {
  check_shape(a, "broadcast");
  check_shape(b, "broadcast");
  const size_t r = std::max(a.size(), b.size());
  Dims out(r, 1);
  for (size_t i = 0; i < r; ++i) {
    const int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    const int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    ONYX_CHECK(da == db || da == 1 || db == 1, "broadcast: shapes ", shape_str(a), " and ", shape_str(b),
               " cannot broadcast (dimension ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

void binary(BinaryOp op, DType dtype, const void* a, const Dims& a_shape, const void* b, const Dims& b_shape, void* y,
            cudaStream_t stream) {
  const Dims out = broadcast_shapes(a_shape, b_shape);
  switch (dtype) {
    case DType::kInt32:
    case DType::kInt64:
      if (op == BinaryOp::kPow) fail_unsupported("binary: Pow on ", dtype_name(dtype), " is not supported on CUDA");
      if (dtype == DType::kInt32) {
        launch_binary<int32_t>(op, a, a_shape, b, b_shape, y, out, stream);
      } else {
        launch_binary<int64_t>(op, a, a_shape, b, b_shape, y, out, stream);
      }
      return;
    default:
      dispatch_float(dtype, "binary", [&](auto tag) {
        launch_binary<decltype(tag)>(op, a, a_shape, b, b_shape, y, out, stream);
      });
  }
}

void softmax_lastdim(DType dtype, const void* x, void* y, int64_t rows, int64_t cols, bool log, cudaStream_t stream) {
  ONYX_CHECK(rows >= 0 && cols >= 0, "softmax: bad shape [", rows, ", ", cols, "]");
  if (rows == 0 || cols == 0) return;
  dispatch_float(dtype, "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    launch_rows(
        rows, cols,
        [&](dim3 g, dim3 b) { softmax_kernel<T, true><<<g, b, 0, stream>>>(px, py, rows, cols, log); },
        [&](dim3 g, dim3 b) { softmax_kernel<T, false><<<g, b, 0, stream>>>(px, py, rows, cols, log); });
    check_launch("softmax_kernel");
  });
}

void layer_norm_lastdim(DType dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                        int64_t cols, float epsilon, float* mean_out, float* inv_std_out, cudaStream_t stream) {
  ONYX_CHECK(rows >= 0 && cols >= 0, "layer_norm: bad shape [", rows, ", ", cols, "]");
  if (rows == 0) return;
  ONYX_CHECK(cols > 0, "layer_norm: normalizing over an empty axis");
  dispatch_float(dtype, "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    const T* ps = static_cast<const T*>(scale);
    const T* pb = static_cast<const T*>(bias);
    T* py = static_cast<T*>(y);
    launch_rows(
        rows, cols,
        [&](dim3 g, dim3 b) {
          layer_norm_kernel<T, true><<<g, b, 0, stream>>>(px, ps, pb, py, rows, cols, epsilon, mean_out, inv_std_out);
        },
        [&](dim3 g, dim3 b) {
          layer_norm_kernel<T, false><<<g, b, 0, stream>>>(px, ps, pb, py, rows, cols, epsilon, mean_out,
                                                          inv_std_out);
        });
    check_launch("layer_norm_kernel");
  });
}

void reduce_axis(ReduceOp op, DType dtype, const void* x, const Dims& shape, int64_t axis, void* y,
                 cudaStream_t stream) {
  check_shape(shape, "reduce");
  ONYX_CHECK(!shape.empty(), "reduce: a scalar has no axis to reduce");
  const int64_t ax = normalize_axis(axis, shape.size(), "reduce");
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= shape[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(ax) + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t len = shape[static_cast<size_t>(ax)];
  if (outer * inner == 0) return;
  dispatch_float(dtype, "reduce", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    if (inner == 1 && len > 0) {
      launch_rows(
          outer, len, [&](dim3 g, dim3 b) { reduce_rows_kernel<T, true><<<g, b, 0, stream>>>(op, px, py, outer, len); },
          [&](dim3 g, dim3 b) { reduce_rows_kernel<T, false><<<g, b, 0, stream>>>(op, px, py, outer, len); });
      check_launch("reduce_rows_kernel");
    } else {
      reduce_strided_kernel<T><<<grid_for(outer * inner), kThreads, 0, stream>>>(op, px, py, outer, len, inner);
      check_launch("reduce_strided_kernel");
    }
  });
}

void permute(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& perm, void* y,
             cudaStream_t stream) {
  check_shape(shape, "permute");
  const size_t r = shape.size();
  ONYX_CHECK(perm.size() == r, "permute: perm has ", perm.size(), " entries for rank ", r);
  std::vector<bool> seen(r, false);
  for (int64_t p : perm) {
    ONYX_CHECK(p >= 0 && p < static_cast<int64_t>(r) && !seen[static_cast<size_t>(p)], "permute: perm is not a ",
               "permutation of 0..", r - 1);
    seen[static_cast<size_t>(p)] = true;
  }
  const int64_t n = numel(shape);
  if (n == 0) return;
  // Output dims and the input stride of each; then coalesce (drop size-1 dims, merge runs contiguous in both).
  const Dims in_strides = contiguous_strides(shape);
  Dims out_dims(r), strides(r);
  for (size_t i = 0; i < r; ++i) {
    out_dims[i] = shape[static_cast<size_t>(perm[i])];
    strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  std::vector<Dims> sv = {strides, contiguous_strides(out_dims)};
  coalesce(out_dims, sv);
  const Dims& st = sv[0];
  dispatch_bits(dtype, "permute", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    const size_t cr = out_dims.size();
    // After coalescing, a (batched) transpose of the last two dims, y[b][c][r] = x[b][r][c], goes through a
    // shared-memory tile so that both reads and writes are coalesced.
    bool tiled = false;
    int64_t batch = 1, rows = 0, cols = 0;
    if (cr == 2 && st[1] == out_dims[0] && st[0] == 1) {
      tiled = true;
      rows = out_dims[1];
      cols = out_dims[0];
    } else if (cr == 3 && st[2] == out_dims[1] && st[1] == 1 && st[0] == out_dims[1] * out_dims[2]) {
      tiled = true;
      batch = out_dims[0];
      rows = out_dims[2];
      cols = out_dims[1];
    }
    if (tiled) {
      const int64_t tr = (rows + kTile - 1) / kTile, tc = (cols + kTile - 1) / kTile;
      const int64_t total = batch * tr * tc;
      const unsigned blocks =
          static_cast<unsigned>(std::min<int64_t>(total, static_cast<int64_t>(current_device_limits().sm_count) * 32));
      transpose_kernel<T><<<blocks, dim3(kTile, kTileRows), 0, stream>>>(px, py, rows, cols, tr, tc, total);
      check_launch("transpose_kernel");
      return;
    }
    StridedIndex ix;
    ix.rank = static_cast<int>(cr);
    for (size_t d = 0; d < cr; ++d) {
      ix.dims[d] = out_dims[d];
      ix.stride[d] = st[d];
    }
    strided_copy_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(px, py, n, ix);
    check_launch("strided_copy_kernel (permute)");
  });
}

void concat(DType dtype, const std::vector<const void*>& inputs, const std::vector<Dims>& shapes, int64_t axis,
            void* y, cudaStream_t stream) {
  ONYX_CHECK(!inputs.empty() && inputs.size() == shapes.size(), "concat: ", inputs.size(), " inputs with ",
             shapes.size(), " shapes");
  const Dims& first = shapes[0];
  check_shape(first, "concat");
  ONYX_CHECK(!first.empty(), "concat: scalars cannot be concatenated");
  const int64_t ax = normalize_axis(axis, first.size(), "concat");
  int64_t out_axis = 0;
  for (const Dims& s : shapes) {
    check_shape(s, "concat");
    ONYX_CHECK(s.size() == first.size(), "concat: rank mismatch ", shape_str(first), " vs ", shape_str(s));
    for (size_t d = 0; d < s.size(); ++d)
      ONYX_CHECK(static_cast<int64_t>(d) == ax || s[d] == first[d], "concat: shapes ", shape_str(first), " and ",
                 shape_str(s), " differ outside axis ", ax);
    out_axis += s[static_cast<size_t>(ax)];
  }
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= first[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(ax) + 1; d < first.size(); ++d) inner *= first[d];
  dispatch_bits(dtype, "concat", [&](auto tag) {
    using T = decltype(tag);
    int64_t offset = 0;
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int64_t in_inner = shapes[k][static_cast<size_t>(ax)] * inner;
      const int64_t n = outer * in_inner;
      if (n > 0) {
        concat_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(inputs[k]), static_cast<T*>(y),
                                                               outer, in_inner, out_axis * inner, offset);
        check_launch("concat_kernel");
      }
      offset += in_inner;
    }
  });
}

void slice(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& starts,
           const std::vector<int64_t>& steps, const Dims& out_shape, void* y, cudaStream_t stream) {
  check_shape(shape, "slice");
  check_shape(out_shape, "slice");
  const size_t r = shape.size();
  ONYX_CHECK(starts.size() == r && steps.size() == r && out_shape.size() == r, "slice: rank ", r, " with ",
             starts.size(), " starts, ", steps.size(), " steps and output rank ", out_shape.size());
  const int64_t n = numel(out_shape);
  if (n == 0) return;
  const Dims in_strides = contiguous_strides(shape);
  StridedIndex ix;
  ix.rank = static_cast<int>(r);
  for (size_t d = 0; d < r; ++d) {
    ONYX_CHECK(steps[d] != 0, "slice: step 0 on axis ", d);
    const int64_t last = starts[d] + (out_shape[d] - 1) * steps[d];
    ONYX_CHECK(starts[d] >= 0 && starts[d] < shape[d] && last >= 0 && last < shape[d], "slice: axis ", d,
               " reads indices ", starts[d], "..", last, " of a dimension of ", shape[d]);
    ix.dims[d] = out_shape[d];
    ix.stride[d] = in_strides[d] * steps[d];
    ix.base += starts[d] * in_strides[d];
  }
  dispatch_bits(dtype, "slice", [&](auto tag) {
    using T = decltype(tag);
    strided_copy_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, ix);
    check_launch("strided_copy_kernel (slice)");
  });
}

void slice_axis(DType dtype, const void* x, const Dims& shape, int64_t axis, int64_t start, int64_t length, void* y,
                cudaStream_t stream) {
  check_shape(shape, "slice");
  ONYX_CHECK(!shape.empty(), "slice: a scalar has no axis");
  const size_t ax = static_cast<size_t>(normalize_axis(axis, shape.size(), "slice"));
  ONYX_CHECK(length >= 0 && start >= 0 && start + length <= shape[ax], "slice: [", start, ", ", start + length,
             ") outside axis ", ax, " of ", shape_str(shape));
  Dims out = shape;
  out[ax] = length;
  std::vector<int64_t> starts(shape.size(), 0), steps(shape.size(), 1);
  starts[ax] = length > 0 ? start : 0;
  slice(dtype, x, shape, starts, steps, out, y, stream);
}

void gather(DType dtype, const void* x, const Dims& shape, int64_t axis, const void* indices, DType indices_dtype,
            const Dims& indices_shape, void* y, int* error_flag, cudaStream_t stream) {
  check_shape(shape, "gather");
  check_shape(indices_shape, "gather");
  ONYX_CHECK(!shape.empty(), "gather: data must have rank >= 1");
  ONYX_CHECK(shape.size() + indices_shape.size() - 1 <= static_cast<size_t>(kMaxRank), "gather: output rank exceeds ",
             kMaxRank);
  if (indices_dtype != DType::kInt32 && indices_dtype != DType::kInt64)
    fail_bad_input("gather: indices must be int32 or int64, got ", dtype_name(indices_dtype));
  const size_t ax = static_cast<size_t>(normalize_axis(axis, shape.size(), "gather"));
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < ax; ++d) outer *= shape[d];
  for (size_t d = ax + 1; d < shape.size(); ++d) inner *= shape[d];
  const int64_t axis_len = shape[ax], n_idx = numel(indices_shape);
  const int64_t n = outer * n_idx * inner;
  if (n == 0) return;
  dispatch_bits(dtype, "gather", [&](auto tag) {
    using T = decltype(tag);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    if (indices_dtype == DType::kInt32) {
      gather_kernel<T, int32_t><<<grid_for(n), kThreads, 0, stream>>>(px, static_cast<const int32_t*>(indices), py,
                                                                      outer, axis_len, n_idx, inner, error_flag);
    } else {
      gather_kernel<T, int64_t><<<grid_for(n), kThreads, 0, stream>>>(px, static_cast<const int64_t*>(indices), py,
                                                                      outer, axis_len, n_idx, inner, error_flag);
    }
    check_launch("gather_kernel");
  });
}

void pool2d_output_size(const Pool2dParams& p, int64_t* out_h, int64_t* out_w) {
  ONYX_CHECK(p.n >= 0 && p.c >= 0 && p.h >= 0 && p.w >= 0, "pool2d: negative input dimension");
  ONYX_CHECK(p.kernel_h > 0 && p.kernel_w > 0 && p.stride_h > 0 && p.stride_w > 0 && p.dilation_h > 0 &&
                 p.dilation_w > 0,
             "pool2d: kernel, strides and dilations must be positive");
  ONYX_CHECK(p.pad_top >= 0 && p.pad_left >= 0 && p.pad_bottom >= 0 && p.pad_right >= 0,
             "pool2d: pads must be non-negative");
  auto dim = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
    const int64_t span = in + pb + pe - ((k - 1) * d + 1);
    ONYX_CHECK(span >= 0, "pool2d: window (kernel ", k, ", dilation ", d, ") larger than the padded input ",
               in + pb + pe);
    int64_t out;
    if (p.ceil_mode) {
      out = (span + s - 1) / s + 1;
      if ((out - 1) * s >= in + pb) --out;
    } else {
      out = span / s + 1;
    }
    return out;
  };
  *out_h = dim(p.h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom);
  *out_w = dim(p.w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right);
}

namespace {
template <bool kMax>
void pool2d(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream, const char* what) {
  int64_t oh = 0, ow = 0;
  pool2d_output_size(p, &oh, &ow);
  const PoolGeom g{p.n * p.c, p.h,        p.w,        oh,        ow,          p.kernel_h, p.kernel_w,  p.stride_h,
                   p.stride_w, p.pad_top, p.pad_left, p.pad_bottom, p.pad_right, p.dilation_h, p.dilation_w,
                   p.count_include_pad};
  const int64_t n = g.nc * oh * ow;
  if (n == 0) return;
  dispatch_float(dtype, what, [&](auto tag) {
    using T = decltype(tag);
    pool2d_kernel<T, kMax><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), g);
    check_launch(what);
  });
}
}  // namespace

void max_pool2d(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d<true>(dtype, x, p, y, stream, "max_pool2d");
}
void avg_pool2d(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d<false>(dtype, x, p, y, stream, "avg_pool2d");
}

void cast(DType from, DType to, const void* x, void* y, int64_t n, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "cast: negative element count ", n);
  dispatch_cast_type(from, [&](auto from_tag) {
    dispatch_cast_type(to, [&](auto to_tag) {
      using F = decltype(from_tag);
      using T = decltype(to_tag);
      if (n == 0) return;
      cast_kernel<F, T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const F*>(x), static_cast<T*>(y), n);
      check_launch("cast_kernel");
    });
  });
}

}  // namespace onyx::cuda
