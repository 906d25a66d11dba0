// Packed single-precision GEMM of the cpu target with the epilogue fused into the store:
//   C[M, N] = A[M, K] · B[K, N]  (+ bias[i] per row)  (+ Z[i, j])  then the activation,
// where A (the weights: conv filters as [M, C·KH·KW]) is packed once, when the engine is loaded, and B (the
// activations, or the im2col of an image computed on the fly) is packed per block of columns by the caller's
// packer. Every element of C is written exactly once, from registers, with bias, residual and ReLU already applied
// (other activations run on the tile while it is in L1). Compared with BLAS + a separate epilogue pass this saves
// the zeroing pass BLAS makes for beta = 0, the re-read of C for the epilogue, the im2col buffer, and repacking
// the weights on every call: the layers that are memory-bound on a 2-core machine (ResNet's 1x1 convs with
// K = 64..256 over 56x56 images) stop being so.
//
// Columns may span several images laid side by side (a batch of small images as one product): column j is image
// j / cols_per_image, position j % cols_per_image, and row i of image n lives at
// C + n * image_stride + i * cols_per_image + position (the NCHW layout of a conv output). A single image is the
// case cols_per_image = N.
//
// AVX-512F only (pgemm_available()); callers keep their BLAS path for other machines.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "kernels_internal.h"

namespace onyx::cpu {

inline constexpr int64_t kPgemmMR = 8;   // rows of a register tile (one broadcast each)
inline constexpr int64_t kPgemmNR = 48;  // columns of a register tile (three 16-float vectors)

// Whether this machine runs the packed GEMM (AVX-512F).
bool pgemm_available();

// A matrix [m, k] (row-major, row pitch lda; or stored transposed, as [k, m] with row pitch lda) packed in panels
// of P rows: panel p holds rows [p*P, p*P + P) as [k][P] (rows past m are zero), 64-byte aligned.
template <int64_t P>
void pack_panels(const float* a, int64_t m, int64_t k, int64_t lda, bool transposed, float* dst);
template <int64_t P>
class PackedPanels {
 public:
  PackedPanels(const float* a, int64_t m, int64_t k, int64_t lda, bool transposed = false);
  int64_t m() const { return m_; }
  int64_t k() const { return k_; }
  const float* panel(int64_t p) const { return data_.get() + p * k_ * P; }

 private:
  int64_t m_ = 0, k_ = 0;
  std::unique_ptr<float[], void (*)(float*)> data_{nullptr, nullptr};
};

// A (the weights) for pgemm and pgemm_direct: panels of 8 rows, broadcast by the micro-kernel.
using PackedA = PackedPanels<kPgemmMR>;

// Writes columns [j0, j0 + nc) of rows [0, K) of B into dst as ceil(nc / NR) panels of [K][NR] floats, padding
// the columns past nc with zeros.
using PackB = std::function<void(int64_t j0, int64_t nc, float* dst)>;

struct PgemmOut {
  float* c = nullptr;
  const float* bias = nullptr;  // [M] or null
  const float* z = nullptr;     // residual laid out like C, or null
  int64_t cols_per_image = 0;   // N for one image
  int64_t image_stride = 0;     // floats between images of C (and Z)
  Activation act;
};

// C = epilogue(A · B) over all N columns, split over the onyx pool.
void pgemm(const PackedA& a, int64_t n, const PackB& pack_b, const PgemmOut& out);

// B read in place, without packing: row k of B at virtual column v of image n is x[n * image_floats + koff[k] + v].
// A stride-1, dilation-1 convolution over a zero-padded image of row pitch Wp has this form (koff[(c, ki, kj)] =
// c * plane + ki * Wp + kj) once its output is computed "wide": out_h rows of Wp virtual columns, of which the first
// out_w are real and the rest are discarded when stored. A pointwise conv is one row of H*W columns. Reads never
// go past x[n * image_floats + koff[k] + vcols - 1] (the last vector of a row is loaded under a mask). Tiles never
// span images; C is laid out as in PgemmOut with cols_per_image = out_h * out_w.
struct DirectB {
  const float* x = nullptr;
  int64_t images = 0, image_floats = 0;
  const int64_t* koff = nullptr;  // [K]
  int64_t vcols = 0;              // virtual columns per image: out_h * row_pitch
  int64_t row_pitch = 0, out_w = 0;
};
void pgemm_direct(const PackedA& a, const DirectB& b, const PgemmOut& out);

// The transposed product, for convolutions whose output rows are short (7x7 and 14x14 images): output channels are
// the vector lanes (A^T packed in panels of 48 channels, [K][48]) and up to 8 output positions of one output row
// are broadcast from the image in place, so no position is computed in vain whatever the image width. Positions:
// output (oh, ow) of image n reads B row k at x[n * image_floats + koff[k] + oh * stride_h * row_pitch + ow *
// stride_w]; any stride, any padding already applied to x. C as in PgemmOut (cols_per_image = out_h * out_w).
inline constexpr int64_t kPgemmTN = 48;  // channels of a transposed panel
using PackedAT = PackedPanels<kPgemmTN>;
struct TransposedB {
  const float* x = nullptr;
  int64_t images = 0, image_floats = 0;
  const int64_t* koff = nullptr;  // [K]
  int64_t out_h = 0, out_w = 0, row_pitch = 0, stride_h = 1, stride_w = 1;  // stride_w 1 or 2
};
void pgemm_t(const PackedAT& a, const TransposedB& b, const PgemmOut& out);
// Positions per broadcast tile for an output row of out_w (<= 8; a divisor of out_w when one is >= 5).
int64_t pgemm_t_positions(int64_t out_w);

// Y[m, n] = X[m, K] · W[K, n] (+ bias[j] per column) then the activation, for a MatMul whose right operand W is
// constant: W packed once as 48-column panels (PackedW: the rows of W^T), X packed per call into 8-row panels
// (rows pitch ldx apart), each 8x48 tile stored straight into Y's rows (row pitch ldy).
using PackedW = PackedPanels<kPgemmNR>;
struct RowsOut {
  float* y = nullptr;
  int64_t ldy = 0;
  const float* bias = nullptr;  // [n] or null
  Activation act;
};
void pgemm_rows(const float* x, int64_t m, int64_t ldx, const PackedW& w, const RowsOut& out);

// Helpers to build PackB for the common sources. Rows of B are k = (c, kh, kw) of a 2-D convolution's im2col
// (c only, for a pointwise conv); images are NCHW with `image_floats` floats apart.
struct ConvSource {
  const float* x = nullptr;
  int64_t channels = 0, image_floats = 0;
  int64_t h = 0, w = 0, oh = 0, ow = 0, kh = 1, kw = 1;
  int64_t stride_h = 1, stride_w = 1, dil_h = 1, dil_w = 1, pad_top = 0, pad_left = 0;
};
PackB pack_conv_columns(const ConvSource& s);

}  // namespace onyx::cpu
