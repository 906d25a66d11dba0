#include "pgemm.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <utility>
#include <cstdlib>
#include <cstring>
#include <new>

#include "../core/parallel.h"

namespace onyx::cpu {

namespace {

constexpr int64_t MR = kPgemmMR, NR = kPgemmNR;

float* aligned_floats(size_t n) {
  const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
  void* p = std::aligned_alloc(64, bytes == 0 ? 64 : bytes);
  if (!p) throw std::bad_alloc();
  return static_cast<float*>(p);
}
void free_floats(float* p) { std::free(p); }

// This thread's 64-byte aligned buffers (grow, never shrink): kBlock for one packed block of B, kShared (the
// calling thread's) for all packed blocks of one product when pgemm splits rows.
enum BufferSlot { kBlock, kShared };
float* thread_buffer(BufferSlot slot, size_t floats) {
  struct Buf {
    std::unique_ptr<float[], void (*)(float*)> data{nullptr, free_floats};
    size_t cap = 0;
  };
  thread_local Buf bufs[2];
  Buf& b = bufs[slot];
  if (b.cap < floats) {
    b.data.reset(aligned_floats(floats));
    b.cap = floats;
  }
  return b.data.get();
}

#define ONYX_AVX512 __attribute__((target("avx512f")))

// The first n (0..16) lanes.
inline __mmask16 first_lanes(int64_t n) {
  return static_cast<__mmask16>(n >= 16 ? 0xFFFFu : (1u << n) - 1u);
}

// The epilogue of every store: dst[0, len) = t[0, len) + bias (a scalar, or col_bias[0, len) when not null)
// (+ z[0, len)), ReLU in registers (max(0, x) keeps NaN and -0 as the reference's x < 0 ? 0 : x does). Other
// activations are the caller's, on dst while it is in L1.
ONYX_AVX512 inline void store_run(float* dst, const float* t, int64_t len, float bias, const float* col_bias,
                                  const float* z, bool relu) {
  const __m512 b = _mm512_set1_ps(bias);
  for (int64_t c = 0; c < len; c += 16) {
    const __mmask16 m = first_lanes(len - c);
    __m512 x =
        _mm512_add_ps(_mm512_maskz_loadu_ps(m, t + c), col_bias ? _mm512_maskz_loadu_ps(m, col_bias + c) : b);
    if (z) x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, z + c));
    if (relu) x = _mm512_mask_max_ps(x, static_cast<__mmask16>(0xFFFF), _mm512_setzero_ps(), x);
    _mm512_mask_storeu_ps(dst + c, m, x);
  }
}

// The one micro-kernel: tile[R][48] (rows 48 floats apart) = the sum over k steps of R broadcast values times NV
// 16-float vectors, R x NV accumulators in registers. The source says where a step's values are:
//   vectors(v[NV]) loads the step's vectors, bcast() points at its R broadcast values (Src::kStride apart),
//   next() moves to the next step.
template <int R, int NV, typename Src>
ONYX_AVX512 inline __attribute__((always_inline)) void microkernel(int64_t k, Src src, float* tile) {
  __m512 c[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) c[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 vec[NV];
    src.template vectors<NV>(vec);
    const float* bc = src.bcast();
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m512 b = _mm512_set1_ps(bc[r * Src::kStride]);
#pragma GCC unroll 3
      for (int v = 0; v < NV; ++v) c[r][v] = _mm512_fmadd_ps(b, vec[v], c[r][v]);
    }
    src.next();
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
    for (int v = 0; v < NV; ++v) _mm512_store_ps(tile + r * 48 + 16 * v, c[r][v]);
}

// A panel [k][8] broadcast; B a packed panel [k][48], aligned.
struct PackedSrc {
  static constexpr int kStride = 1;
  const float* a;
  const float* b;
  template <int NV>
  ONYX_AVX512 inline __attribute__((always_inline)) void vectors(__m512* v) const {
#pragma GCC unroll 3
    for (int i = 0; i < NV; ++i) v[i] = _mm512_load_ps(b + 16 * i);
  }
  const float* bcast() const { return a; }
  void next() { a += MR, b += NR; }
};

// A panel [k][8] broadcast; B row p read in place at b + koff[p], unaligned, its last vector under `last`
// (masked-off lanes are neither read nor faulted on: reads stay inside the source).
struct DirectSrc {
  static constexpr int kStride = 1;
  const float* a;
  const float* b;
  const int64_t* koff;
  __mmask16 last;
  template <int NV>
  ONYX_AVX512 inline __attribute__((always_inline)) void vectors(__m512* v) const {
    const float* bp = b + *koff;
#pragma GCC unroll 3
    for (int i = 0; i < NV - 1; ++i) v[i] = _mm512_loadu_ps(bp + 16 * i);
    v[NV - 1] = _mm512_maskz_loadu_ps(last, bp + 16 * (NV - 1));
  }
  const float* bcast() const { return a; }
  void next() { a += MR, ++koff; }
};

// tile[MR][NR] = A panel [k][MR] · B [k][16 * NV] over the first NV 16-float vectors of each row of B (NV = 3: the
// whole 48-column panel, 24 accumulators in registers; 1 or 2: a ragged last panel).
template <int NV, bool kDirect>
ONYX_AVX512 void kernel_8xnv(int64_t k, const float* a, const float* b, const int64_t* koff, __mmask16 last,
                             float* tile) {
  if constexpr (kDirect) microkernel<MR, NV>(k, DirectSrc{a, b, koff, last}, tile);
  else microkernel<MR, NV>(k, PackedSrc{a, b}, tile);
}

void kernel_tile(int64_t k, const float* a, const float* b, float* tile, int64_t w) {
  if (w > 32) kernel_8xnv<3, false>(k, a, b, nullptr, 0xFFFF, tile);
  else if (w > 16) kernel_8xnv<2, false>(k, a, b, nullptr, 0xFFFF, tile);
  else kernel_8xnv<1, false>(k, a, b, nullptr, 0xFFFF, tile);
}

// In-place B: w (1..48) columns starting at b, the lanes past w masked.
void kernel_tile_direct(int64_t k, const float* a, const float* b, const int64_t* koff, float* tile, int64_t w) {
  const __mmask16 last = first_lanes(w - (w - 1) / 16 * 16);  // 1..16 lanes in the last vector
  if (w > 32) kernel_8xnv<3, true>(k, a, b, koff, last, tile);
  else if (w > 16) kernel_8xnv<2, true>(k, a, b, koff, last, tile);
  else kernel_8xnv<1, true>(k, a, b, koff, last, tile);
}

// Writes `rows` x `w` of the tile to C at row i0, global column j: (acc + bias) + z, then the activation.
__attribute__((target("avx512f"))) void store_tile(const float* tile, int64_t rows, int64_t i0, int64_t j, int64_t w,
                                                   const PgemmOut& o) {
  const int64_t cpi = o.cols_per_image;
  const int64_t img = j / cpi, pos = j % cpi;
  const bool relu = o.act.act == Act::kRelu;
  const bool other_act = o.act.act != Act::kNone && !relu;
  if (pos + w <= cpi) {
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t i = i0 + r;
      const int64_t off = img * o.image_stride + i * cpi + pos;
      store_run(o.c + off, tile + r * NR, w, o.bias ? o.bias[i] : 0.0f, nullptr, o.z ? o.z + off : nullptr,
                relu);
      if (other_act) apply_activation(o.act, o.c + off, w);
    }
    return;
  }
  // The tile straddles images (a batch of small images side by side): column by column.
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = i0 + r;
    const float b = o.bias ? o.bias[i] : 0.0f;
    for (int64_t c = 0; c < w; ++c) {
      const int64_t jj = j + c, n = jj / cpi, p = jj % cpi;
      const int64_t off = n * o.image_stride + i * cpi + p;
      float v = tile[r * NR + c] + b;
      if (o.z) v += o.z[off];
      if (relu) v = v < 0.0f ? 0.0f : v;
      o.c[off] = v;
      if (other_act) apply_activation(o.act, o.c + off, 1);
    }
  }
}


// Stores columns [v0, v0 + w) of image n's virtual columns (out_h rows of row_pitch, the first out_w of each real):
// the real ones, in runs along output rows, with the same epilogue as store_tile.
__attribute__((target("avx512f"))) void store_tile_direct(const float* tile, int64_t rows, int64_t i0, int64_t n,
                                                          int64_t v0, int64_t w, const DirectB& b, const PgemmOut& o) {
  struct Run {
    int64_t t, off, len;  // tile column, offset in the output plane, length
  };
  Run runs[NR];
  int nruns = 0;
  for (int64_t v = v0; v < v0 + w;) {
    const int64_t oh = v / b.row_pitch, ow = v % b.row_pitch;
    const int64_t run = std::min(v0 + w - v, b.row_pitch - ow);
    const int64_t real = std::min(run, b.out_w - ow);
    if (real > 0) runs[nruns++] = {v - v0, oh * b.out_w + ow, real};
    v += run;
  }
  const bool relu = o.act.act == Act::kRelu;
  const bool other_act = o.act.act != Act::kNone && !relu;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t i = i0 + r;
    const int64_t plane = n * o.image_stride + i * o.cols_per_image;
    const float bias = o.bias ? o.bias[i] : 0.0f;
    for (int q = 0; q < nruns; ++q) {
      const Run& u = runs[q];
      float* dst = o.c + plane + u.off;
      store_run(dst, tile + r * NR + u.t, u.len, bias, nullptr, o.z ? o.z + plane + u.off : nullptr, relu);
      if (other_act) apply_activation(o.act, dst, u.len);
    }
  }
}

// Tiles of 48 columns a column block holds: its B rows (K x 48 floats a tile) stay in L2 (about 384 KB) while
// every A panel passes over them, 1..10 tiles, and the `groups` (images) x `tiles` split into at least two
// blocks a thread.
int64_t block_tiles(int64_t K, int64_t groups, int64_t tiles, int threads) {
  int64_t bp = std::clamp<int64_t>((384 * 1024 / 4) / (std::max<int64_t>(K, 1) * NR), 1, 10);
  while (bp > 1 && groups * ((tiles + bp - 1) / bp) < 2 * threads) --bp;
  return bp;
}

// How many chunks of row panels each column block is split into: at least one task per thread, and with few
// blocks about four tasks per thread, so that a ragged last block (16 of 48 columns, say: 7x7 images) does not
// leave one thread idle for two thirds of the product; chunks keep >= 4 panels (32 rows) where there are enough
// (in place). A packed block is packed again for every chunk: packed products split rows only when there are
// fewer than two blocks per thread.
int64_t row_chunks(int64_t nblocks, int64_t mpanels, int threads, bool packed) {
  if (threads <= 1 || nblocks >= (packed ? 2 : 4) * threads) return 1;
  int64_t m = (4 * threads + nblocks - 1) / nblocks;
  m = std::min(m, std::max<int64_t>(1, mpanels / 4));
  m = std::max(m, (threads + nblocks - 1) / nblocks);
  return std::min(m, mpanels);
}

}  // namespace

bool pgemm_available() {
  static const bool ok = __builtin_cpu_supports("avx512f");
  return ok;
}

template <int64_t P>
void pack_panels(const float* a, int64_t m, int64_t k, int64_t lda, bool transposed, float* d) {
  const int64_t panels = (m + P - 1) / P;
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t kk = 0; kk < k; ++kk)
      for (int64_t r = 0; r < P; ++r) {
        const int64_t i = p * P + r;
        *d++ = i >= m ? 0.0f : transposed ? a[kk * lda + i] : a[i * lda + kk];
      }
}

template <int64_t P>
PackedPanels<P>::PackedPanels(const float* a, int64_t m, int64_t k, int64_t lda, bool transposed) : m_(m), k_(k) {
  const int64_t panels = (m + P - 1) / P;
  data_ = std::unique_ptr<float[], void (*)(float*)>(aligned_floats(static_cast<size_t>(panels * k * P)), free_floats);
  pack_panels<P>(a, m, k, lda, transposed, data_.get());
}
template class PackedPanels<kPgemmMR>;
template class PackedPanels<kPgemmTN>;
template void pack_panels<kPgemmMR>(const float*, int64_t, int64_t, int64_t, bool, float*);
template void pack_panels<kPgemmTN>(const float*, int64_t, int64_t, int64_t, bool, float*);

namespace {

// Rows [i0, i0 + rows) x columns [j0, j0 + w) of Y from the tile: + bias[j], then the activation (ReLU in
// registers, others on the row while it is in L1).
ONYX_AVX512 void store_rows(const float* tile, int64_t rows, int64_t i0, int64_t j0, int64_t w, const RowsOut& o) {
  const bool relu = o.act.act == Act::kRelu;
  const bool other_act = o.act.act != Act::kNone && !relu;
  for (int64_t r = 0; r < rows; ++r) {
    float* dst = o.y + (i0 + r) * o.ldy + j0;
    store_run(dst, tile + r * NR, w, 0.0f, o.bias ? o.bias + j0 : nullptr, nullptr, relu);
    if (other_act) apply_activation(o.act, dst, w);
  }
}

}  // namespace

void pgemm_rows(const float* x, int64_t m, int64_t ldx, const PackedW& w, const RowsOut& out) {
  const int64_t K = w.k(), N = w.m();
  if (m == 0 || N == 0) return;
  const int64_t mpanels = (m + MR - 1) / MR, npanels = (N + NR - 1) / NR;
  // X into 8-row panels once (the caller's buffer, shared by the tasks), one panel per task.
  float* xp = thread_buffer(kShared, static_cast<size_t>(mpanels * K * MR));
  parallel_for(mpanels, std::max<int64_t>(1, 4096 / std::max<int64_t>(K, 1)), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p)
      pack_panels<MR>(x + p * MR * ldx, std::min(MR, m - p * MR), K, ldx, false, xp + p * K * MR);
  });
  // Tasks: one W panel (K x 48, kept in L2 while every row panel passes) x a chunk of row panels.
  const int threads = in_parallel_region() ? 1 : num_threads();
  const int64_t mchunks = row_chunks(npanels, mpanels, threads, false);
  parallel_tasks(npanels * mchunks, [&](int64_t t) {
    alignas(64) float tile[MR * NR];
    const int64_t q = t / mchunks, mc = t % mchunks;
    const int64_t j0 = q * NR, wcols = std::min(NR, N - j0);
    const int64_t p0 = mpanels * mc / mchunks, p1 = mpanels * (mc + 1) / mchunks;
    for (int64_t p = p0; p < p1; ++p) {
      kernel_tile(K, xp + p * K * MR, w.panel(q), tile, wcols);
      store_rows(tile, std::min(MR, m - p * MR), p * MR, j0, wcols, out);
    }
  });
}

void pgemm(const PackedA& a, int64_t n, const PackB& pack_b, const PgemmOut& out) {
  const int64_t M = a.m(), K = a.k();
  if (M == 0 || n == 0) return;
  const int64_t mpanels = (M + MR - 1) / MR, npanels = (n + NR - 1) / NR;
  // Column blocks of bp packed panels (block_tiles).
  const int threads = in_parallel_region() ? 1 : num_threads();
  const int64_t bp = block_tiles(K, 1, npanels, threads);
  const int64_t nblocks = (npanels + bp - 1) / bp;
  const int64_t mchunks = row_chunks(nblocks, mpanels, threads, true);
  const int64_t block_floats = bp * K * NR;
  // With several row chunks per block, every block is packed once, up front, into one buffer shared by the tasks
  // (a 3x3 conv's im2col of 7x7 images costs more to pack than a chunk of rows takes to multiply).
  float* shared = nullptr;
  if (mchunks > 1) {
    shared = thread_buffer(kShared, static_cast<size_t>(nblocks * block_floats));
    parallel_for(nblocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t nb = b0; nb < b1; ++nb) {
        const int64_t j0 = nb * bp * NR;
        pack_b(j0, std::min(n - j0, bp * NR), shared + nb * block_floats);
      }
    });
  }
  parallel_tasks(nblocks * mchunks, [&](int64_t t) {
    alignas(64) float tile[MR * NR];
    const int64_t nb = t / mchunks, mc = t % mchunks;
    const int64_t j0 = nb * bp * NR, nc = std::min(n - j0, bp * NR);
    const int64_t panels = (nc + NR - 1) / NR;
    float* bbuf;
    if (shared) {
      bbuf = shared + nb * block_floats;
    } else {
      bbuf = thread_buffer(kBlock, static_cast<size_t>(panels * K * NR));
      pack_b(j0, nc, bbuf);
    }
    const int64_t p0 = mpanels * mc / mchunks, p1 = mpanels * (mc + 1) / mchunks;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t rows = std::min(MR, M - p * MR);
      for (int64_t q = 0; q < panels; ++q) {
        const int64_t w = std::min(NR, nc - q * NR);
        kernel_tile(K, a.panel(p), bbuf + q * K * NR, tile, w);
        store_tile(tile, rows, p * MR, j0 + q * NR, w, out);
      }
    }
  });
}

void pgemm_direct(const PackedA& a, const DirectB& b, const PgemmOut& out) {
  const int64_t M = a.m(), K = a.k();
  if (M == 0 || b.images == 0 || b.vcols == 0) return;
  const int64_t mpanels = (M + MR - 1) / MR, tiles = (b.vcols + NR - 1) / NR;
  // Column blocks of bp tiles of one image (block_tiles).
  const int threads = in_parallel_region() ? 1 : num_threads();
  const int64_t bp = block_tiles(K, b.images, tiles, threads);
  const int64_t blocks_per_image = (tiles + bp - 1) / bp, nblocks = b.images * blocks_per_image;
  const int64_t mchunks = row_chunks(nblocks, mpanels, threads, false);
  parallel_tasks(nblocks * mchunks, [&](int64_t t) {
    alignas(64) float tile[MR * NR];
    const int64_t blk = t / mchunks, mc = t % mchunks;
    const int64_t n = blk / blocks_per_image, q0 = blk % blocks_per_image * bp;
    const int64_t q1 = std::min(tiles, q0 + bp);
    const float* x = b.x + n * b.image_floats;
    const int64_t p0 = mpanels * mc / mchunks, p1 = mpanels * (mc + 1) / mchunks;
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t rows = std::min(MR, M - p * MR);
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t v0 = q * NR, w = std::min(NR, b.vcols - v0);
        kernel_tile_direct(K, a.panel(p), x + v0, b.koff, tile, w);
        store_tile_direct(tile, rows, p * MR, n, v0, w, b, out);
      }
    }
  });
}

// ---- Transposed product (pgemm_t) ----

namespace {

constexpr int64_t TN = kPgemmTN;

// A^T panel [k][48] as the vectors, aligned; R positions of an output row broadcast from x + koff[p], SW apart.
template <int SW>
struct TransposedSrc {
  static constexpr int kStride = SW;
  const float* at;
  const float* x;
  const int64_t* koff;
  template <int NV>
  ONYX_AVX512 inline __attribute__((always_inline)) void vectors(__m512* v) const {
#pragma GCC unroll 3
    for (int i = 0; i < NV; ++i) v[i] = _mm512_load_ps(at + 16 * i);
  }
  const float* bcast() const { return x + *koff; }
  void next() { at += TN, ++koff; }
};

// tile[R][48] = positions [R] x channels [16 * NV].
template <int R, int NV, int SW>
ONYX_AVX512 void kernel_t(int64_t k, const float* at, const float* x, const int64_t* koff, float* tile) {
  microkernel<R, NV>(k, TransposedSrc<SW>{at, x, koff}, tile);
}

using KernelT = void (*)(int64_t, const float*, const float*, const int64_t*, float*);

template <int SW, int NV, int... Rs>
constexpr std::array<KernelT, 8> kernels_t_row(std::integer_sequence<int, Rs...>) {
  return {&kernel_t<Rs + 1, NV, SW>...};
}
template <int SW>
KernelT kernel_t_for(int64_t r, int64_t nv) {
  static constexpr std::array<KernelT, 8> k1 = kernels_t_row<SW, 1>(std::make_integer_sequence<int, 8>{});
  static constexpr std::array<KernelT, 8> k2 = kernels_t_row<SW, 2>(std::make_integer_sequence<int, 8>{});
  static constexpr std::array<KernelT, 8> k3 = kernels_t_row<SW, 3>(std::make_integer_sequence<int, 8>{});
  return (nv == 1 ? k1 : nv == 2 ? k2 : k3)[r - 1];
}

// Channels [i0, i0 + chs) x positions [pos, pos + R) of one output row (R <= 8), from tile[8][48] (rows >= R hold
// anything finite): per 16 channels an 8x16 -> 16x8 transpose in registers (unpack, shuffle, 128-bit block
// shuffles), after which each 512-bit vector holds two channels' 8 positions, one per 256-bit half; then bias,
// residual and activation as in store_tile, and two masked stores (the upper half stored from 8 floats before its
// row, a masked-off address range that is never touched).
// (GCC 12 warns that the intrinsics' internal _mm512_undefined_ps() may be used uninitialized: it is not.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
__attribute__((target("avx512f"))) void store_tile_t(const float* tile, int64_t R, int64_t chs, int64_t i0,
                                                     int64_t base, const PgemmOut& o) {
  const __mmask16 lo = first_lanes(R), hi = static_cast<__mmask16>(lo << 8);
  const bool relu = o.act.act == Act::kRelu;
  const bool other_act = o.act.act != Act::kNone && !relu;
  const int64_t plane = o.cols_per_image;
  for (int64_t g = 0; g * 16 < chs; ++g) {
    __m512 a[8];
    for (int r = 0; r < 8; ++r) a[r] = _mm512_load_ps(tile + r * TN + 16 * g);
    __m512 t[8], u[8];
    for (int r = 0; r < 8; r += 2) {
      t[r] = _mm512_unpacklo_ps(a[r], a[r + 1]);      // per 4 channels: (r, r+1) of channels 0 and 1
      t[r + 1] = _mm512_unpackhi_ps(a[r], a[r + 1]);  // channels 2 and 3
    }
    for (int h = 0; h < 2; ++h) {  // rows 0-3 (h = 0) and 4-7 (h = 1)
      const __m512 *p = t + 4 * h;
      u[4 * h + 0] = _mm512_shuffle_ps(p[0], p[2], 0x44);  // channel 4b + 0: rows 4h..4h+3
      u[4 * h + 1] = _mm512_shuffle_ps(p[0], p[2], 0xEE);  // 4b + 1
      u[4 * h + 2] = _mm512_shuffle_ps(p[1], p[3], 0x44);  // 4b + 2
      u[4 * h + 3] = _mm512_shuffle_ps(p[1], p[3], 0xEE);  // 4b + 3
    }
    for (int j = 0; j < 4; ++j) {  // channels 4b + j, two 128-bit blocks b at a time
      for (int b = 0; b < 4; b += 2) {
        // [u_j.b, u_j.b+1, u_4+j.b, u_4+j.b+1] (the immediate must be a constant: b | (b+1) << 2 | b << 4 | ...)
        const __m512 m =
            b == 0 ? _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44) : _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
        const __m512 x0 = _mm512_shuffle_f32x4(m, m, 0xD8);           // [u_j.b, u_4+j.b, u_j.b+1, u_4+j.b+1]
        const int64_t c_lo = 16 * g + 4 * b + j, c_hi = c_lo + 4;
        if (c_lo >= chs) continue;
        const bool has_hi = c_hi < chs;
        const int64_t i_lo = i0 + c_lo, i_hi = i0 + c_hi;
        const float b_lo = o.bias ? o.bias[i_lo] : 0.0f, b_hi = o.bias && has_hi ? o.bias[i_hi] : 0.0f;
        __m512 x = _mm512_add_ps(x0, _mm512_mask_blend_ps(static_cast<__mmask16>(0xFF00), _mm512_set1_ps(b_lo),
                                                          _mm512_set1_ps(b_hi)));
        float* d_lo = o.c + base + i_lo * plane;
        float* d_hi = o.c + base + i_hi * plane;
        const __mmask16 m_hi = has_hi ? hi : static_cast<__mmask16>(0);
        if (o.z) {
          const float* z_lo = o.z + base + i_lo * plane;
          __m512 z = _mm512_maskz_loadu_ps(lo, z_lo);
          if (has_hi) z = _mm512_mask_loadu_ps(z, m_hi, o.z + base + i_hi * plane - 8);
          x = _mm512_add_ps(x, z);
        }
        if (relu) x = _mm512_mask_max_ps(x, static_cast<__mmask16>(0xFFFF), _mm512_setzero_ps(), x);
        _mm512_mask_storeu_ps(d_lo, lo, x);
        if (has_hi) _mm512_mask_storeu_ps(d_hi - 8, m_hi, x);
        if (other_act) {
          apply_activation(o.act, d_lo, R);
          if (has_hi) apply_activation(o.act, d_hi, R);
        }
      }
    }
  }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

}  // namespace

int64_t pgemm_t_positions(int64_t out_w) {
  if (out_w <= 8) return std::max<int64_t>(out_w, 1);
  for (int64_t r = 8; r >= 5; --r)
    if (out_w % r == 0) return r;
  return 8;
}

void pgemm_t(const PackedAT& a, const TransposedB& b, const PgemmOut& out) {
  const int64_t M = a.m(), K = a.k();
  if (M == 0 || b.images == 0 || b.out_h == 0 || b.out_w == 0) return;
  const int64_t R = pgemm_t_positions(b.out_w), per_row = (b.out_w + R - 1) / R;
  const int64_t rows = b.images * b.out_h, ptiles = rows * per_row;  // position tiles
  const int64_t cpanels = (M + TN - 1) / TN;
  // Tasks: chunks of channel panels x blocks of position tiles. A block's image rows (C x KH rows of the input)
  // stay in L2 while each channel panel (K x 48 floats) passes over them; few position tiles (7x7 images at
  // batch 1) make one block, so that every panel of weights is read from memory once.
  const int threads = in_parallel_region() ? 1 : num_threads();
  const int64_t pblock = std::max<int64_t>(1, std::min<int64_t>(ptiles, 16));
  const int64_t pblocks = (ptiles + pblock - 1) / pblock;
  int64_t cchunks = 1;
  if (pblocks < 4 * threads) cchunks = std::min(cpanels, (4 * threads + pblocks - 1) / pblocks);
  parallel_tasks(pblocks * cchunks, [&](int64_t t) {
    alignas(64) float tile[8 * TN] = {};  // rows past a tile's R are transposed too (and never stored)
    const int64_t pb = t / cchunks, cc = t % cchunks;
    const int64_t q0 = pb * pblock, q1 = std::min(ptiles, q0 + pblock);
    const int64_t c0 = cpanels * cc / cchunks, c1 = cpanels * (cc + 1) / cchunks;
    for (int64_t cp = c0; cp < c1; ++cp) {
      const int64_t chs = std::min(TN, M - cp * TN), nv = (chs + 15) / 16;
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t row = q / per_row, ow0 = q % per_row * R, r = std::min(R, b.out_w - ow0);
        const int64_t n = row / b.out_h, oh = row % b.out_h;
        const float* x = b.x + n * b.image_floats + oh * b.stride_h * b.row_pitch + ow0 * b.stride_w;
        const KernelT kern = b.stride_w == 1 ? kernel_t_for<1>(r, nv) : kernel_t_for<2>(r, nv);
        kern(K, a.panel(cp), x, b.koff, tile);
        store_tile_t(tile, r, chs, cp * TN, n * out.image_stride + oh * b.out_w + ow0, out);
      }
    }
  });
}

namespace {

// dst[0, l) = src[0, l) (l small: one masked load/store per 16 floats, no call).
ONYX_AVX512 inline void copy_floats(float* dst, const float* src, int64_t l) {
  for (; l >= 16; l -= 16, dst += 16, src += 16) _mm512_storeu_ps(dst, _mm512_loadu_ps(src));
  if (l > 0) {
    const __mmask16 m = first_lanes(l);
    _mm512_mask_storeu_ps(dst, m, _mm512_maskz_loadu_ps(m, src));
  }
}

ONYX_AVX512 inline void zero_floats(float* dst, int64_t l) {
  for (; l >= 16; l -= 16, dst += 16) _mm512_storeu_ps(dst, _mm512_setzero_ps());
  if (l > 0) _mm512_mask_storeu_ps(dst, first_lanes(l), _mm512_setzero_ps());
}

// Writes one row k of B, column by column in runs, straight into the panel layout ([K][NR] per panel).
class PanelRow {
 public:
  PanelRow(float* dst, int64_t k, int64_t K) : base_(dst + k * NR), panel_stride_(K * NR) {}
  ONYX_AVX512 void copy(const float* src, int64_t len) {
    while (len > 0) {
      const int64_t l = std::min(len, NR - lane_);
      copy_floats(base_ + q_ * panel_stride_ + lane_, src, l);
      advance(l);
      src += l;
      len -= l;
    }
  }
  ONYX_AVX512 void strided(const float* src, int64_t stride, int64_t len) {
    while (len > 0) {
      const int64_t l = std::min(len, NR - lane_);
      float* d = base_ + q_ * panel_stride_ + lane_;
      for (int64_t t = 0; t < l; ++t) d[t] = src[t * stride];
      advance(l);
      src += l * stride;
      len -= l;
    }
  }
  ONYX_AVX512 void zeros(int64_t len) {
    while (len > 0) {
      const int64_t l = std::min(len, NR - lane_);
      zero_floats(base_ + q_ * panel_stride_ + lane_, l);
      advance(l);
      len -= l;
    }
  }

 private:
  void advance(int64_t l) {
    lane_ += l;
    if (lane_ == NR) lane_ = 0, ++q_;
  }
  float* base_;
  int64_t panel_stride_;
  int64_t q_ = 0, lane_ = 0;
};

ONYX_AVX512 void pack_conv_block(const ConvSource& s, int64_t j0, int64_t nc, float* dst) {
  const int64_t khw = s.kh * s.kw, K = s.channels * khw, osz = s.oh * s.ow;
  const int64_t panels = (nc + NR - 1) / NR, pad = panels * NR - nc;
  const bool pointwise = khw == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
                         s.oh == s.h && s.ow == s.w;
  const int64_t end = j0 + nc;
  for (int64_t k = 0; k < K; ++k) {
    const int64_t c = k / khw, ki = (k % khw) / s.kw, kj = k % s.kw;
    PanelRow row(dst, k, K);
    int64_t j = j0;
    if (pointwise) {
      while (j < end) {
        const int64_t img = j / osz, p = j % osz, len = std::min(end - j, osz - p);
        row.copy(s.x + img * s.image_floats + c * osz + p, len);
        j += len;
      }
    } else {
      const int64_t off = kj * s.dil_w - s.pad_left;  // iw = ow * stride_w + off
      const int64_t lo = off >= 0 ? 0 : (-off + s.stride_w - 1) / s.stride_w;
      const int64_t hi = std::min(s.w - 1 - off < 0 ? -1 : (s.w - 1 - off) / s.stride_w, s.ow - 1);
      while (j < end) {
        const int64_t img = j / osz, p = j % osz, oh = p / s.ow, ow0 = p % s.ow;
        const int64_t len = std::min(end - j, s.ow - ow0), ow1 = ow0 + len;  // [ow0, ow1)
        const int64_t ih = oh * s.stride_h - s.pad_top + ki * s.dil_h;
        if (ih < 0 || ih >= s.h || hi < lo) {
          row.zeros(len);
        } else {
          const float* xr = s.x + img * s.image_floats + (c * s.h + ih) * s.w;
          const int64_t a = std::clamp(lo, ow0, ow1), b = std::max(a, std::clamp(hi + 1, ow0, ow1));  // valid [a, b)
          row.zeros(a - ow0);
          if (s.stride_w == 1)
            row.copy(xr + a + off, b - a);
          else
            row.strided(xr + a * s.stride_w + off, s.stride_w, b - a);
          row.zeros(ow1 - b);
        }
        j += len;
      }
    }
    row.zeros(pad);
  }
}

}  // namespace

PackB pack_conv_columns(const ConvSource& s) {
  return [s](int64_t j0, int64_t nc, float* dst) { pack_conv_block(s, j0, nc, dst); };
}

}  // namespace onyx::cpu
