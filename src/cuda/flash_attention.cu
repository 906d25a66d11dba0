// Fused attention kernels (see flash_attention.h for the contract).
//
// Tensor-core kernel (float16/bfloat16), per block: 64 query rows of one batch index, 4 warps of 16 rows each.
// Q's tile is loaded once (cp.async into shared memory, then ldmatrix into A fragments kept in registers); key and
// value tiles of 64 keys stream through two shared-memory buffers (cp.async, next tile in flight while this one is
// computed). Per key tile each warp computes its 16x64 scores with mma.sync m16n8k16 (fp32 accumulators), applies
// scale (folded with log2 e for exp2), mask, key-bounds and causal limits, updates the running row max and sum
// (online softmax, rows reduced across the 4 lanes of a quad), rescales its output accumulators, converts the
// probabilities to the input dtype in registers (the accumulator layout of S is the A-fragment layout of P) and
// accumulates P·V with mma.sync. The output is divided by the row sum once at the end. Shared-memory rows are padded
// by 16 bytes so ldmatrix's 8 row addresses fall in distinct banks.
//
// B fragments come from ldmatrix: KT stored [D][L] (L contiguous) and V stored [L][Dv] are [k][n] row-major, read
// with ldmatrix .trans; K stored [L][D] (KT viewed with unit D stride) is [n][k], read without .trans.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cuda/check.h"
#include "cuda/flash_attention.h"
#include "onyx/error.h"

namespace onyx::cuda {

namespace {

constexpr float kLog2e = 1.4426950408889634f;

// Kernel-side copy of the parameters (plain data, passed by value).
struct KernelArgs {
  const void* q;
  const void* kt;
  const void* v;
  const void* mask;
  void* y;
  int64_t qb[kAttnBatchDims], ktb[kAttnBatchDims], vb[kAttnBatchDims], mb[kAttnBatchDims], yb[kAttnBatchDims];
  int64_t q_row, kt_row, kt_col, v_row, m_row, m_col, y_row;  // strides (col strides of q, v, y are 1)
  int64_t q_col, v_col, y_col;                                  // used by the simple kernel only
  int64_t batch1, batch2;                                       // batch dims 1 and 2 (dim 0 is implied)
  int s, l, d, dv;
  float scale;       // multiplies the raw score (1/scale for a divisor, in the tensor-core kernel)
  float divisor;     // the simple kernel divides by it when scale_is_divisor (1 otherwise)
  bool has_mask, causal;
  bool kt_scalar;  // KT's tiles are read element by element (strides unfit for 16-byte copies)
};

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

// Packs two floats into a 32-bit pair of T (lo in the low half: the lower k / column index).
template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi);
template <>
__device__ __forceinline__ uint32_t pack2<__half>(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}
template <>
__device__ __forceinline__ uint32_t pack2<__nv_bfloat16>(float lo, float hi) {
  __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

__device__ __forceinline__ void batch_offsets(const KernelArgs& a, int64_t bz, int64_t* q, int64_t* kt, int64_t* v,
                                              int64_t* m, int64_t* y) {
  const int64_t b2 = bz % a.batch2;
  const int64_t b1 = (bz / a.batch2) % a.batch1;
  const int64_t b0 = bz / (a.batch2 * a.batch1);
  *q = b0 * a.qb[0] + b1 * a.qb[1] + b2 * a.qb[2];
  *kt = b0 * a.ktb[0] + b1 * a.ktb[1] + b2 * a.ktb[2];
  *v = b0 * a.vb[0] + b1 * a.vb[1] + b2 * a.vb[2];
  *m = b0 * a.mb[0] + b1 * a.mb[1] + b2 * a.mb[2];
  *y = b0 * a.yb[0] + b1 * a.yb[1] + b2 * a.yb[2];
}

// ---- PTX wrappers ----------------------------------------------------------------------------------------------
__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}
// 16-byte async copy global -> shared; `bytes` (0..16) are read, the rest of the 16 zero-filled.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, int bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr(p)));
}
// c += a·b for one m16n8k16 tile (row-major A, column-major B, fp32 accumulators).
template <typename T>
__device__ __forceinline__ void mma16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1);
template <>
__device__ __forceinline__ void mma16816<__half>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}
template <>
__device__ __forceinline__ void mma16816<__nv_bfloat16>(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                                        uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// ---- tensor-core kernel ----------------------------------------------------------------------------------------
constexpr int kBr = 64;       // query rows per block
constexpr int kBc = 64;       // keys per tile
constexpr int kWarps = kBr / 16;
constexpr int kThreads = kWarps * 32;
constexpr int kPad = 8;       // elements of padding per shared-memory row (16 bytes)

template <int D, bool kKtLContig>
struct Smem {
  static constexpr int kQPitch = D + kPad;
  static constexpr int kVPitch = D + kPad;
  static constexpr int kKPitch = kKtLContig ? kBc + kPad : D + kPad;
  static constexpr int kQElems = kBr * kQPitch;
  static constexpr int kKElems = kKtLContig ? D * kKPitch : kBc * kKPitch;
  static constexpr int kVElems = kBc * kVPitch;
  static constexpr int kElems = kQElems + 2 * (kKElems + kVElems);
};

// Copies a rows x cols tile (cols a multiple of 8) from global memory (row stride g_row, unit column stride) into
// shared memory (row pitch `pitch`), zero-filling rows >= valid_rows and columns >= valid_cols.
template <typename T, int kRows, int kCols>
__device__ __forceinline__ void load_tile(T* dst, int pitch, const T* src, int64_t g_row, int valid_rows,
                                          int valid_cols) {
  constexpr int kChunksPerRow = kCols / 8;
  constexpr int kChunks = kRows * kChunksPerRow;
#pragma unroll
  for (int i = threadIdx.x; i < kChunks; i += kThreads) {
    const int r = i / kChunksPerRow, c = (i % kChunksPerRow) * 8;
    int bytes = 0;
    const T* g = src;
    if (r < valid_rows && c < valid_cols) {
      bytes = min(8, valid_cols - c) * 2;
      g = src + r * g_row + c;
    }
    cp_async16(dst + r * pitch + c, g, bytes);
  }
}

template <typename T, int D, bool kKtLContig>
__global__ void __launch_bounds__(kThreads) flash_attn_tc_kernel(KernelArgs a) {
  using S = Smem<D, kKtLContig>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  T* const sq = reinterpret_cast<T*>(smem_raw);
  T* const sk0 = sq + S::kQElems;
  T* const sv0 = sk0 + S::kKElems;  // buffer b: sk0 + b * (kKElems + kVElems), sv likewise

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane / 4, c = lane % 4;
  const int64_t bz = blockIdx.x;
  const int q0 = (gridDim.y - 1 - blockIdx.y) * kBr;  // heavy (causal) blocks first
  int64_t oq, okt, ov, om, oy;
  batch_offsets(a, bz, &oq, &okt, &ov, &om, &oy);
  const T* const q = static_cast<const T*>(a.q) + oq;
  const T* const kt = static_cast<const T*>(a.kt) + okt;
  const T* const v = static_cast<const T*>(a.v) + ov;
  const T* const mask = a.has_mask ? static_cast<const T*>(a.mask) + om : nullptr;
  T* const y = static_cast<T*>(a.y) + oy;

  int n_tiles = (a.l + kBc - 1) / kBc;
  if (a.causal) n_tiles = min(n_tiles, (min(q0 + kBr, a.s) - 1) / kBc + 1);

  auto load_kv = [&](int tile, int buf) {
    const int l0 = tile * kBc;
    T* sk = sk0 + buf * (S::kKElems + S::kVElems);
    T* sv = sv0 + buf * (S::kKElems + S::kVElems);
    if constexpr (kKtLContig) {
      if (a.kt_scalar) {
        // Plain loads (visible after the __syncthreads that precedes the tile's use).
        for (int i = threadIdx.x; i < D * kBc; i += kThreads) {
          const int dd = i / kBc, ll = i % kBc;
          sk[dd * S::kKPitch + ll] =
              l0 + ll < a.l ? kt[dd * a.kt_row + static_cast<int64_t>(l0 + ll) * a.kt_col] : from_f<T>(0.f);
        }
      } else {
        load_tile<T, D, kBc>(sk, S::kKPitch, kt + l0, a.kt_row, D, a.l - l0);
      }
    } else {
      load_tile<T, kBc, D>(sk, S::kKPitch, kt + static_cast<int64_t>(l0) * a.kt_col, a.kt_col, a.l - l0, D);
    }
    load_tile<T, kBc, D>(sv, S::kVPitch, v + static_cast<int64_t>(l0) * a.v_row, a.v_row, a.l - l0, D);
  };

  load_tile<T, kBr, D>(sq, S::kQPitch, q + static_cast<int64_t>(q0) * a.q_row, a.q_row, a.s - q0, D);
  if (n_tiles > 0) load_kv(0, 0);
  cp_async_commit();

  uint32_t qf[D / 16][4];
  float o[D / 8][4];
#pragma unroll
  for (int n = 0; n < D / 8; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.f;
  float m_run[2] = {-INFINITY, -INFINITY};  // running max (log2 domain) of rows g and g + 8
  float l_run[2] = {0.f, 0.f};              // this thread's part of the running sums

  const int row_a = q0 + warp * 16 + g, row_b = row_a + 8;
  const float mask_k = kLog2e;

  for (int j = 0; j < n_tiles; ++j) {
    const int buf = j & 1;
    if (j + 1 < n_tiles) {
      load_kv(j + 1, buf ^ 1);
      cp_async_commit();
      cp_async_wait<1>();
    } else {
      cp_async_wait<0>();
    }
    __syncthreads();
    if (j == 0) {
#pragma unroll
      for (int ks = 0; ks < D / 16; ++ks) {
        const int r = warp * 16 + (lane % 8) + 8 * ((lane / 8) & 1);
        const int col = ks * 16 + 8 * (lane / 16);
        ldmatrix_x4(qf[ks], sq + r * S::kQPitch + col);
      }
    }
    const T* sk = sk0 + buf * (S::kKElems + S::kVElems);
    const T* sv = sv0 + buf * (S::kKElems + S::kVElems);

    // S = Q·KT for this warp's 16 rows and the tile's 64 keys.
    float s[kBc / 8][4];
#pragma unroll
    for (int n = 0; n < kBc / 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
#pragma unroll
      for (int p = 0; p < kBc / 16; ++p) {
        uint32_t b[4];
        if constexpr (kKtLContig) {
          const int dd = ks * 16 + (lane % 8) + 8 * ((lane / 8) & 1);
          const int ll = p * 16 + 8 * (lane / 16);
          ldmatrix_x4_trans(b, sk + dd * S::kKPitch + ll);
        } else {
          const int ll = p * 16 + (lane % 8) + 8 * (lane / 16);
          const int dd = ks * 16 + 8 * ((lane / 8) & 1);
          ldmatrix_x4(b, sk + ll * S::kKPitch + dd);
        }
        mma16816<T>(s[2 * p], qf[ks], b[0], b[1]);
        mma16816<T>(s[2 * p + 1], qf[ks], b[2], b[3]);
      }
    }

    // Scale, mask, limits; the tile's row max.
    const int l0 = j * kBc;
    const bool edge = l0 + kBc > a.l || (a.causal && l0 + kBc - 1 > q0);
    float tmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
    for (int n = 0; n < kBc / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int col = l0 + n * 8 + 2 * c + (e & 1);
        const int row = e < 2 ? row_a : row_b;
        float x = s[n][e] * a.scale;
        if (mask != nullptr && row < a.s && col < a.l)
          x += to_f(mask[row * a.m_row + col * a.m_col]) * mask_k;
        if (edge && (col >= a.l || (a.causal && col > row))) x = -INFINITY;
        s[n][e] = x;
        tmax[e >> 1] = fmaxf(tmax[e >> 1], x);
      }
    }
    float corr[2], m_use[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      tmax[h] = fmaxf(tmax[h], __shfl_xor_sync(0xffffffffu, tmax[h], 1));
      tmax[h] = fmaxf(tmax[h], __shfl_xor_sync(0xffffffffu, tmax[h], 2));
      const float m_new = fmaxf(m_run[h], tmax[h]);
      m_use[h] = m_new == -INFINITY ? 0.f : m_new;
      corr[h] = exp2f(m_run[h] - m_use[h]);
      m_run[h] = m_new;
      l_run[h] *= corr[h];
    }
#pragma unroll
    for (int n = 0; n < D / 8; ++n) {
      o[n][0] *= corr[0];
      o[n][1] *= corr[0];
      o[n][2] *= corr[1];
      o[n][3] *= corr[1];
    }
    // P = exp2(s - max), kept as A fragments of T.
    uint32_t pf[kBc / 16][4];
#pragma unroll
    for (int n = 0; n < kBc / 8; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        s[n][e] = exp2f(s[n][e] - m_use[e >> 1]);
        l_run[e >> 1] += s[n][e];
      }
    }
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
      pf[kk][0] = pack2<T>(s[2 * kk][0], s[2 * kk][1]);
      pf[kk][1] = pack2<T>(s[2 * kk][2], s[2 * kk][3]);
      pf[kk][2] = pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pf[kk][3] = pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
    }
    // O += P·V.
#pragma unroll
    for (int kk = 0; kk < kBc / 16; ++kk) {
#pragma unroll
      for (int p = 0; p < D / 16; ++p) {
        uint32_t b[4];
        const int ll = kk * 16 + (lane % 8) + 8 * ((lane / 8) & 1);
        const int dd = p * 16 + 8 * (lane / 16);
        ldmatrix_x4_trans(b, sv + ll * S::kVPitch + dd);
        mma16816<T>(o[2 * p], pf[kk], b[0], b[1]);
        mma16816<T>(o[2 * p + 1], pf[kk], b[2], b[3]);
      }
    }
    __syncthreads();
  }
  if (n_tiles == 0) cp_async_wait<0>();

  // Row sums across the quad; Y = O / sum (0/0 = NaN for a row whose every score is -inf, like softmax).
  float inv[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    float t = l_run[h];
    t += __shfl_xor_sync(0xffffffffu, t, 1);
    t += __shfl_xor_sync(0xffffffffu, t, 2);
    inv[h] = 1.f / t;
  }
#pragma unroll
  for (int n = 0; n < D / 8; ++n) {
    const int col = n * 8 + 2 * c;
    if (row_a < a.s)
      *reinterpret_cast<uint32_t*>(y + row_a * a.y_row + col) = pack2<T>(o[n][0] * inv[0], o[n][1] * inv[0]);
    if (row_b < a.s)
      *reinterpret_cast<uint32_t*>(y + row_b * a.y_row + col) = pack2<T>(o[n][2] * inv[1], o[n][3] * inv[1]);
  }
}

// ---- simple kernel (any dtype and strides; fp32 throughout) -----------------------------------------------------
constexpr int kSimpleWarps = 4;
constexpr int kSimpleMaxDv = 256;

template <typename T>
__global__ void __launch_bounds__(kSimpleWarps * 32) simple_attention_kernel(KernelArgs a) {
  extern __shared__ float sqf[];  // kSimpleWarps rows of d floats
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t row = static_cast<int64_t>(blockIdx.y) * kSimpleWarps + warp;
  if (row >= a.s) return;  // whole warp leaves together; no block-wide barrier below
  int64_t oq, okt, ov, om, oy;
  batch_offsets(a, blockIdx.x, &oq, &okt, &ov, &om, &oy);
  const T* q = static_cast<const T*>(a.q) + oq + row * a.q_row;
  const T* kt = static_cast<const T*>(a.kt) + okt;
  const T* v = static_cast<const T*>(a.v) + ov;
  const T* mask = a.has_mask ? static_cast<const T*>(a.mask) + om + row * a.m_row : nullptr;
  T* y = static_cast<T*>(a.y) + oy + row * a.y_row;
  float* qs = sqf + warp * a.d;
  for (int i = lane; i < a.d; i += 32) qs[i] = to_f(q[i * a.q_col]);
  __syncwarp();

  constexpr int kPer = kSimpleMaxDv / 32;
  float acc[kPer];
#pragma unroll
  for (int k = 0; k < kPer; ++k) acc[k] = 0.f;
  float m = -INFINITY, sum = 0.f;
  for (int l0 = 0; l0 < a.l; l0 += 32) {
    const int l = l0 + lane;
    float x = -INFINITY;
    if (l < a.l && !(a.causal && l > row)) {
      float dot = 0.f;
      for (int i = 0; i < a.d; ++i) dot = fmaf(qs[i], to_f(kt[i * a.kt_row + l * a.kt_col]), dot);
      x = dot * a.scale / a.divisor;
      if (mask != nullptr) x += to_f(mask[l * a.m_col]);
    }
    float tmax = x;
#pragma unroll
    for (int off = 16; off > 0; off /= 2) tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, off));
    const float m_new = fmaxf(m, tmax);
    const float m_use = m_new == -INFINITY ? 0.f : m_new;
    const float corr = expf(m - m_use);
    const float p = expf(x - m_use);
    float psum = p;
#pragma unroll
    for (int off = 16; off > 0; off /= 2) psum += __shfl_xor_sync(0xffffffffu, psum, off);
    sum = sum * corr + psum;
    m = m_new;
#pragma unroll
    for (int k = 0; k < kPer; ++k) acc[k] *= corr;
    const int n = min(32, a.l - l0);
    for (int t = 0; t < n; ++t) {
      const float pt = __shfl_sync(0xffffffffu, p, t);
      const T* vrow = v + static_cast<int64_t>(l0 + t) * a.v_row;
#pragma unroll
      for (int k = 0; k < kPer; ++k) {
        const int dv = lane + 32 * k;
        if (dv < a.dv) acc[k] = fmaf(pt, to_f(vrow[dv * a.v_col]), acc[k]);
      }
    }
  }
  const float inv = 1.f / sum;
#pragma unroll
  for (int k = 0; k < kPer; ++k) {
    const int dv = lane + 32 * k;
    if (dv < a.dv) y[dv * a.y_col] = from_f<T>(acc[k] * inv);
  }
}

// ---- host side -------------------------------------------------------------------------------------------------
bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

bool mult8(const AttnLayout& t, int64_t row_stride) {
  for (int64_t b : t.batch_stride)
    if (b % 8 != 0) return false;
  return row_stride % 8 == 0;
}

bool tensor_core_ok(const FlashAttentionParams& p) {
  if (p.dtype != DType::kFloat16 && p.dtype != DType::kBFloat16) return false;
  if (p.d != p.dv || (p.d != 32 && p.d != 64 && p.d != 96 && p.d != 128)) return false;
  if (p.s > (int64_t{1} << 30) || p.l > (int64_t{1} << 30)) return false;
  if (p.q_layout.col_stride != 1 || p.v_layout.col_stride != 1 || p.y_layout.col_stride != 1) return false;
  if (!aligned16(p.q) || !aligned16(p.v) || !aligned16(p.y)) return false;
  return mult8(p.q_layout, p.q_layout.row_stride) && mult8(p.v_layout, p.v_layout.row_stride) &&
         mult8(p.y_layout, p.y_layout.row_stride);
}

// KT's tiles go through 16-byte copies (else element loads): unit stride on L or D, aligned rows.
bool kt_vector_ok(const FlashAttentionParams& p) {
  if (!aligned16(p.kt)) return false;
  if (p.kt_layout.col_stride == 1) return mult8(p.kt_layout, p.kt_layout.row_stride);
  if (p.kt_layout.row_stride == 1) return mult8(p.kt_layout, p.kt_layout.col_stride);
  return false;
}
// The kernel instantiation's KT layout: L contiguous unless D is (and 16-byte copies work).
bool kt_l_contig(const FlashAttentionParams& p) { return p.kt_layout.col_stride == 1 || !kt_vector_ok(p); }

bool simple_ok(const FlashAttentionParams& p) {
  if (p.dtype != DType::kFloat16 && p.dtype != DType::kBFloat16 && p.dtype != DType::kFloat32) return false;
  return p.dv <= kSimpleMaxDv && p.d <= 8192;
}

// Which path runs: 0 none, 1 tensor cores, 2 simple.
int choose(const FlashAttentionParams& p) {
  if (p.l <= 0 || p.s < 0 || p.d < 0 || p.dv < 0) return 0;
  for (int64_t b : p.batch)
    if (b < 0) return 0;
  if (p.q == nullptr || p.kt == nullptr || p.v == nullptr || p.y == nullptr) return 0;
  if (tensor_core_ok(p)) return 1;
  if ((p.dtype == DType::kFloat32 || p.allow_simple) && simple_ok(p)) return 2;
  return 0;
}

KernelArgs make_args(const FlashAttentionParams& p) {
  KernelArgs a{};
  a.q = p.q;
  a.kt = p.kt;
  a.v = p.v;
  a.mask = p.mask;
  a.y = p.y;
  for (int i = 0; i < kAttnBatchDims; ++i) {
    a.qb[i] = p.q_layout.batch_stride[i];
    a.ktb[i] = p.kt_layout.batch_stride[i];
    a.vb[i] = p.v_layout.batch_stride[i];
    a.mb[i] = p.mask != nullptr ? p.mask_layout.batch_stride[i] : 0;
    a.yb[i] = p.y_layout.batch_stride[i];
  }
  a.q_row = p.q_layout.row_stride;
  a.q_col = p.q_layout.col_stride;
  a.kt_row = p.kt_layout.row_stride;
  a.kt_col = p.kt_layout.col_stride;
  a.v_row = p.v_layout.row_stride;
  a.v_col = p.v_layout.col_stride;
  a.m_row = p.mask_layout.row_stride;
  a.m_col = p.mask_layout.col_stride;
  a.y_row = p.y_layout.row_stride;
  a.y_col = p.y_layout.col_stride;
  a.batch1 = p.batch[1];
  a.batch2 = p.batch[2];
  a.s = static_cast<int>(p.s);
  a.l = static_cast<int>(p.l);
  a.d = static_cast<int>(p.d);
  a.dv = static_cast<int>(p.dv);
  a.has_mask = p.mask != nullptr;
  a.causal = p.causal;
  a.kt_scalar = !kt_vector_ok(p);
  return a;
}

int optin_smem() {
  int dev = 0, bytes = 0;
  check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
  check_cuda(cudaDeviceGetAttribute(&bytes, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev), "cudaDeviceGetAttribute");
  return bytes;
}

template <typename T, int D, bool kKtLContig>
bool launch_tc(const FlashAttentionParams& p, KernelArgs a, int64_t batch_count, cudaStream_t stream) {
  const size_t smem = sizeof(T) * Smem<D, kKtLContig>::kElems;
  auto kernel = flash_attn_tc_kernel<T, D, kKtLContig>;
  if (smem > 48 * 1024) {
    // Raised once per process and device (the attribute is per device; not a stream operation, so it may run
    // during graph capture too).
    static std::atomic<unsigned> raised_mask{0};
    int dev = 0;
    check_cuda(cudaGetDevice(&dev), "cudaGetDevice");
    const unsigned bit = dev < 32 ? 1u << dev : 0u;
    if (bit == 0 || !(raised_mask.load() & bit)) {
      if (static_cast<size_t>(optin_smem()) < smem) return false;
      check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
                 "cudaFuncSetAttribute(flash_attn_tc_kernel)");
      raised_mask.fetch_or(bit);
    }
  }
  a.scale = (p.scale_is_divisor ? 1.f / p.scale : p.scale) * kLog2e;
  const dim3 grid(static_cast<unsigned>(batch_count), static_cast<unsigned>((p.s + kBr - 1) / kBr));
  kernel<<<grid, kThreads, smem, stream>>>(a);
  check_launch("flash_attn_tc_kernel");
  return true;
}

template <typename T>
bool launch_tc_dtype(const FlashAttentionParams& p, const KernelArgs& a, int64_t bc, cudaStream_t stream) {
  const bool lc = kt_l_contig(p);
  switch (p.d) {
    case 32: return lc ? launch_tc<T, 32, true>(p, a, bc, stream) : launch_tc<T, 32, false>(p, a, bc, stream);
    case 64: return lc ? launch_tc<T, 64, true>(p, a, bc, stream) : launch_tc<T, 64, false>(p, a, bc, stream);
    case 96: return lc ? launch_tc<T, 96, true>(p, a, bc, stream) : launch_tc<T, 96, false>(p, a, bc, stream);
    case 128: return lc ? launch_tc<T, 128, true>(p, a, bc, stream) : launch_tc<T, 128, false>(p, a, bc, stream);
    default: return false;
  }
}

template <typename T>
void launch_simple(const FlashAttentionParams& p, KernelArgs a, int64_t batch_count, cudaStream_t stream) {
  a.scale = p.scale_is_divisor ? 1.f : p.scale;
  a.divisor = p.scale_is_divisor ? p.scale : 1.f;
  const size_t smem = sizeof(float) * kSimpleWarps * static_cast<size_t>(std::max<int64_t>(p.d, 1));
  auto kernel = simple_attention_kernel<T>;
  if (smem > 48 * 1024)
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem)),
               "cudaFuncSetAttribute(simple_attention_kernel)");
  const dim3 grid(static_cast<unsigned>(batch_count), static_cast<unsigned>((p.s + kSimpleWarps - 1) / kSimpleWarps));
  kernel<<<grid, kSimpleWarps * 32, smem, stream>>>(a);
  check_launch("simple_attention_kernel");
}

}  // namespace

const char* flash_attention_kernel_name(const FlashAttentionParams& p) {
  static const char* const kNames[2][2][4] = {
      {{"flash_f16_d32_kld", "flash_f16_d64_kld", "flash_f16_d96_kld", "flash_f16_d128_kld"},
       {"flash_f16_d32", "flash_f16_d64", "flash_f16_d96", "flash_f16_d128"}},
      {{"flash_bf16_d32_kld", "flash_bf16_d64_kld", "flash_bf16_d96_kld", "flash_bf16_d128_kld"},
       {"flash_bf16_d32", "flash_bf16_d64", "flash_bf16_d96", "flash_bf16_d128"}}};
  switch (choose(p)) {
    case 1: {
      const int h = p.dtype == DType::kFloat16 ? 0 : 1, lc = kt_l_contig(p) ? 1 : 0;
      return kNames[h][lc][p.d / 32 - 1];
    }
    case 2: return "simple";
    default: return nullptr;
  }
}

bool flash_attention(const FlashAttentionParams& p, cudaStream_t stream) {
  const int path = choose(p);
  if (path == 0) return false;
  const int64_t batch_count = p.batch[0] * p.batch[1] * p.batch[2];
  if (batch_count == 0 || p.s == 0 || p.dv == 0) return true;
  if (batch_count > std::numeric_limits<int32_t>::max() || (p.s + kBr - 1) / kBr > 65535) return false;
  KernelArgs a = make_args(p);
  if (path == 1) {
    if (p.dtype == DType::kFloat16) return launch_tc_dtype<__half>(p, a, batch_count, stream);
    return launch_tc_dtype<__nv_bfloat16>(p, a, batch_count, stream);
  }
  if ((p.s + kSimpleWarps - 1) / kSimpleWarps > 65535) return false;
  switch (p.dtype) {
    case DType::kFloat16: launch_simple<__half>(p, a, batch_count, stream); break;
    case DType::kBFloat16: launch_simple<__nv_bfloat16>(p, a, batch_count, stream); break;
    default: launch_simple<float>(p, a, batch_count, stream); break;
  }
  return true;
}

bool attention_params_dense(DType dtype, const void* q, const std::vector<int64_t>& q_dims, const void* kt,
                            const std::vector<int64_t>& kt_dims, const void* v, const std::vector<int64_t>& v_dims,
                            const void* mask, const std::vector<int64_t>& mask_dims, void* y,
                            const std::vector<int64_t>& y_dims, FlashAttentionParams* p) {
  if (q_dims.size() < 2 || kt_dims.size() < 2 || v_dims.size() < 2 || y_dims.size() < 2) return false;
  const size_t rb = y_dims.size() - 2;  // output batch rank
  const int64_t s = q_dims[q_dims.size() - 2], d = q_dims.back();
  const int64_t l = kt_dims.back(), dv = v_dims.back();
  if (kt_dims[kt_dims.size() - 2] != d || v_dims[v_dims.size() - 2] != l) return false;
  if (y_dims[rb] != s || y_dims[rb + 1] != dv) return false;
  if (mask != nullptr && mask_dims.size() > rb + 2) return false;

  // Per operand: dims right-aligned to [batch..., r, c] and dense strides; broadcast dims get stride 0.
  struct Op {
    std::vector<int64_t> dims, strides;
  };
  auto make = [&](const std::vector<int64_t>& dims, Op* op) {
    const size_t rank = rb + 2;
    if (dims.size() > rank) return false;
    op->dims.assign(rank - dims.size(), 1);
    op->dims.insert(op->dims.end(), dims.begin(), dims.end());
    op->strides.assign(rank, 0);
    int64_t st = 1;
    for (size_t i = rank; i-- > 0;) {
      op->strides[i] = op->dims[i] == 1 ? 0 : st;
      st *= op->dims[i];
    }
    for (size_t i = 0; i < rb; ++i)
      if (op->dims[i] != 1 && op->dims[i] != y_dims[i]) return false;
    return true;
  };
  Op oq, okt, ov, om, oy;
  if (!make(q_dims, &oq) || !make(kt_dims, &okt) || !make(v_dims, &ov) || !make(y_dims, &oy)) return false;
  if (mask != nullptr) {
    if (!make(mask_dims, &om)) return false;
    const int64_t mr = om.dims[rb], mc = om.dims[rb + 1];
    if ((mr != 1 && mr != s) || (mc != 1 && mc != l)) return false;
  }
  // Matrix dims: dense strides; a mask's broadcast matrix dim gets stride 0.
  auto matrix_strides = [&](const Op& op, AttnLayout* lay, bool broadcast) {
    lay->row_stride = broadcast && op.dims[rb] == 1 ? 0 : op.dims[rb + 1];
    lay->col_stride = broadcast && op.dims[rb + 1] == 1 ? 0 : 1;
  };
  matrix_strides(oq, &p->q_layout, false);
  matrix_strides(okt, &p->kt_layout, false);
  matrix_strides(ov, &p->v_layout, false);
  matrix_strides(oy, &p->y_layout, false);
  if (mask != nullptr) matrix_strides(om, &p->mask_layout, true);

  // Batch dims: drop the output's 1s, merge neighbours every operand steps through contiguously, pad to 3.
  std::vector<int64_t> bd;
  std::vector<std::vector<int64_t>> bs(5);  // q, kt, v, mask, y
  const Op* ops[5] = {&oq, &okt, &ov, mask != nullptr ? &om : nullptr, &oy};
  for (size_t i = 0; i < rb; ++i) {
    if (y_dims[i] == 1) continue;
    bool merged = false;
    if (!bd.empty()) {
      merged = true;
      for (int k = 0; k < 5; ++k) {
        if (ops[k] == nullptr) continue;
        if (bs[k].back() != ops[k]->strides[i] * y_dims[i]) merged = false;
      }
    }
    if (merged) {
      bd.back() *= y_dims[i];
      for (int k = 0; k < 5; ++k)
        if (ops[k] != nullptr) bs[k].back() = ops[k]->strides[i];
    } else {
      bd.push_back(y_dims[i]);
      for (int k = 0; k < 5; ++k) bs[k].push_back(ops[k] != nullptr ? ops[k]->strides[i] : 0);
    }
  }
  if (bd.size() > static_cast<size_t>(kAttnBatchDims)) return false;
  const size_t pad = kAttnBatchDims - bd.size();
  AttnLayout* lays[5] = {&p->q_layout, &p->kt_layout, &p->v_layout, &p->mask_layout, &p->y_layout};
  for (int i = 0; i < kAttnBatchDims; ++i) {
    const bool real = static_cast<size_t>(i) >= pad;
    p->batch[i] = real ? bd[i - pad] : 1;
    for (int k = 0; k < 5; ++k) lays[k]->batch_stride[i] = real ? bs[k][i - pad] : 0;
  }
  p->dtype = dtype;
  p->s = s;
  p->l = l;
  p->d = d;
  p->dv = dv;
  p->q = q;
  p->kt = kt;
  p->v = v;
  p->mask = mask;
  p->y = y;
  return true;
}

}  // namespace onyx::cuda
