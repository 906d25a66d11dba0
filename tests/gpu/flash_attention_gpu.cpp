// GPU tests of the fused attention kernels (src/cuda/flash_attention.cu) against a double-precision host reference
// on the same (rounded) inputs, fresh random data per case, outputs poisoned (NaN bytes) before each run so an
// unwritten element fails.
//
// Tolerances (elementwise |got - want| <= atol + rtol·|want|, and ‖got - want‖ / ‖want‖ below the norm bound):
// - float16: P is rounded to fp16 before P·V (relative 2^-11 per probability, so at most 2^-11·max|V| = 1e-3 absolute
//   for |V| <= 2) and Y is rounded once (2^-11 relative): atol 2e-3, rtol 2e-3, norm 2e-3.
// - bfloat16: the same with 2^-8: atol 1.6e-2, rtol 8e-3, norm 1e-2.
// - float32 (simple kernel, fp32 throughout): atol 2e-5, rtol 1e-4, norm 1e-5.
//
// FlashAttentionBench.* time the kernel against the two-GEMM path (cuBLASLt Q·KT with the scale as alpha, mask add,
// softmax_lastdim, cuBLASLt P·V) with CUDA events (medians); they run only with ONYX_BENCH_ATTENTION=1.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/flash_attention.h"
#include "cuda/kernels.h"
#include "cuda/matmul.h"
#include "gpu/gpu_test_util.h"

namespace onyx::cuda::test {
namespace {

using Dims = std::vector<int64_t>;

enum class MaskKind { kNone, kPadding, kCausalAdditive, kCausalFlag, kFull };

struct Case {
  DType dtype = DType::kFloat16;
  int64_t b = 1, h = 1, s = 1, l = 1, d = 64, dv = 64;
  MaskKind mask = MaskKind::kNone;
  bool divisor = false;
  bool k_view = false;  // KT passed as a transposed view of K stored [.., L, D]
  bool allow_simple = false;
};

std::string describe(const Case& c) {
  const char* masks[] = {"none", "padding", "causal-additive", "causal-flag", "full[S,L]"};
  return std::string(dtype_name(c.dtype)) + " b" + std::to_string(c.b) + " h" + std::to_string(c.h) + " s" +
         std::to_string(c.s) + " l" + std::to_string(c.l) + " d" + std::to_string(c.d) + " dv" +
         std::to_string(c.dv) + " mask=" + masks[static_cast<int>(c.mask)] + (c.divisor ? " divisor" : "") +
         (c.k_view ? " k-view" : "");
}

struct Tols {
  double atol, rtol, norm;
};
Tols tols(DType t) {
  switch (t) {
    case DType::kFloat16: return {2e-3, 2e-3, 2e-3};
    case DType::kBFloat16: return {1.6e-2, 8e-3, 1e-2};
    default: return {2e-5, 1e-4, 1e-5};
  }
}

// Host tensors (already rounded to the dtype) for one case.
struct Data {
  std::vector<float> q, k, v, mask;  // q [B,H,S,D], k [B,H,L,D] (logical K), v [B,H,L,Dv], mask per kind
  Dims mask_dims;
};

Data make_data(const Case& c, uint32_t seed) {
  Data d;
  d.q = round_all(c.dtype, random_floats(static_cast<size_t>(c.b * c.h * c.s * c.d), seed));
  d.k = round_all(c.dtype, random_floats(static_cast<size_t>(c.b * c.h * c.l * c.d), seed + 1));
  d.v = round_all(c.dtype, random_floats(static_cast<size_t>(c.b * c.h * c.l * c.dv), seed + 2));
  std::mt19937 rng(seed + 3);
  switch (c.mask) {
    case MaskKind::kPadding: {  // [B,1,1,L]: 0 for the first n_b keys, -10000 after (n_b >= 1)
      d.mask_dims = {c.b, 1, 1, c.l};
      d.mask.assign(static_cast<size_t>(c.b * c.l), 0.f);
      for (int64_t bi = 0; bi < c.b; ++bi) {
        const int64_t keep = 1 + static_cast<int64_t>(rng() % static_cast<uint32_t>(c.l));
        for (int64_t j = keep; j < c.l; ++j) d.mask[static_cast<size_t>(bi * c.l + j)] = -10000.f;
      }
      break;
    }
    case MaskKind::kCausalAdditive: {  // [1,1,S,L]: -inf above the diagonal
      d.mask_dims = {1, 1, c.s, c.l};
      d.mask.assign(static_cast<size_t>(c.s * c.l), 0.f);
      for (int64_t i = 0; i < c.s; ++i)
        for (int64_t j = i + 1; j < c.l; ++j)
          d.mask[static_cast<size_t>(i * c.l + j)] = -std::numeric_limits<float>::infinity();
      break;
    }
    case MaskKind::kFull: {  // [B,H,S,L] random additive values
      d.mask_dims = {c.b, c.h, c.s, c.l};
      d.mask = round_all(c.dtype, random_floats(static_cast<size_t>(c.b * c.h * c.s * c.l), seed + 4, -3.f, 3.f));
      break;
    }
    default: break;
  }
  return d;
}

// Double-precision reference: Y [B,H,S,Dv].
std::vector<float> reference(const Case& c, const Data& d, float scale) {
  std::vector<float> y(static_cast<size_t>(c.b * c.h * c.s * c.dv));
  std::vector<double> sc(static_cast<size_t>(c.l));
  for (int64_t bi = 0; bi < c.b; ++bi) {
    for (int64_t hi = 0; hi < c.h; ++hi) {
      const int64_t bh = bi * c.h + hi;
      for (int64_t i = 0; i < c.s; ++i) {
        double mx = -std::numeric_limits<double>::infinity();
        for (int64_t j = 0; j < c.l; ++j) {
          double dot = 0;
          for (int64_t p = 0; p < c.d; ++p)
            dot += static_cast<double>(d.q[static_cast<size_t>((bh * c.s + i) * c.d + p)]) *
                   d.k[static_cast<size_t>((bh * c.l + j) * c.d + p)];
          double x = c.divisor ? dot / scale : dot * scale;
          switch (c.mask) {
            case MaskKind::kPadding: x += d.mask[static_cast<size_t>(bi * c.l + j)]; break;
            case MaskKind::kCausalAdditive: x += d.mask[static_cast<size_t>(i * c.l + j)]; break;
            case MaskKind::kCausalFlag:
              if (j > i) x = -std::numeric_limits<double>::infinity();
              break;
            case MaskKind::kFull: x += d.mask[static_cast<size_t>((bh * c.s + i) * c.l + j)]; break;
            default: break;
          }
          sc[static_cast<size_t>(j)] = x;
          mx = std::max(mx, x);
        }
        double sum = 0;
        for (int64_t j = 0; j < c.l; ++j) {
          sc[static_cast<size_t>(j)] = std::exp(sc[static_cast<size_t>(j)] - mx);
          sum += sc[static_cast<size_t>(j)];
        }
        for (int64_t e = 0; e < c.dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < c.l; ++j)
            acc += sc[static_cast<size_t>(j)] * d.v[static_cast<size_t>((bh * c.l + j) * c.dv + e)];
          y[static_cast<size_t>((bh * c.s + i) * c.dv + e)] = static_cast<float>(acc / sum);
        }
      }
    }
  }
  return y;
}

// KT [B,H,D,L] from K [B,H,L,D].
std::vector<float> transpose_k(const Case& c, const std::vector<float>& k) {
  std::vector<float> kt(k.size());
  for (int64_t bh = 0; bh < c.b * c.h; ++bh)
    for (int64_t j = 0; j < c.l; ++j)
      for (int64_t p = 0; p < c.d; ++p)
        kt[static_cast<size_t>((bh * c.d + p) * c.l + j)] = k[static_cast<size_t>((bh * c.l + j) * c.d + p)];
  return kt;
}

DeviceBuffer poisoned(size_t bytes) {
  DeviceBuffer buf(std::max<size_t>(bytes, 1));
  if (cudaMemset(buf.data(), 0xff, buf.size()) != cudaSuccess) ADD_FAILURE() << "cudaMemset failed";
  check_cuda_sync();
  return buf;
}

::testing::AssertionResult close_enough(const std::vector<float>& got, const std::vector<float>& want, Tols t) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double g = got[i], w = want[i];
    if (std::isnan(w) && std::isnan(g)) continue;
    if (!(std::fabs(g - w) <= t.atol + t.rtol * std::fabs(w)))
      return ::testing::AssertionFailure() << "element " << i << ": got " << g << ", want " << w;
    num += (g - w) * (g - w);
    den += w * w;
  }
  if (den > 0 && !(std::sqrt(num / den) <= t.norm))
    return ::testing::AssertionFailure() << "relative norm error " << std::sqrt(num / den) << " > " << t.norm;
  return ::testing::AssertionSuccess();
}

class FlashAttentionGpu : public CudaTest {
 protected:
  // Runs one case; returns the kernel name used (empty when the launcher declined).
  std::string run_case(const Case& c, uint32_t seed, bool expect_accept = true) {
    SCOPED_TRACE(describe(c));
    const Data data = make_data(c, seed);
    const float scale = c.divisor ? std::sqrt(static_cast<float>(c.d)) : 1.f / std::sqrt(static_cast<float>(c.d));
    const std::vector<float> want = reference(c, data, scale);
    DeviceBuffer q = upload_floats(c.dtype, data.q);
    DeviceBuffer k = upload_floats(c.dtype, c.k_view ? data.k : transpose_k(c, data.k));
    DeviceBuffer v = upload_floats(c.dtype, data.v);
    DeviceBuffer m;
    const bool has_mask = c.mask != MaskKind::kNone && c.mask != MaskKind::kCausalFlag;
    if (has_mask) m = upload_floats(c.dtype, data.mask);
    const size_t y_count = static_cast<size_t>(c.b * c.h * c.s * c.dv);
    DeviceBuffer y = poisoned(y_count * dtype_size(c.dtype));

    FlashAttentionParams p;
    const Dims kt_dims = {c.b, c.h, c.d, c.l};
    EXPECT_TRUE(attention_params_dense(c.dtype, q.data(), {c.b, c.h, c.s, c.d}, k.data(), kt_dims, v.data(),
                                       {c.b, c.h, c.l, c.dv}, has_mask ? m.data() : nullptr, data.mask_dims,
                                       y.data(), {c.b, c.h, c.s, c.dv}, &p));
    if (c.k_view) {  // K stored [B,H,L,D]: KT's (d, l) element is at l*D + d
      p.kt_layout.row_stride = 1;
      p.kt_layout.col_stride = c.d;
    }
    p.scale = scale;
    p.scale_is_divisor = c.divisor;
    p.causal = c.mask == MaskKind::kCausalFlag;
    p.allow_simple = c.allow_simple;
    const char* name = flash_attention_kernel_name(p);
    const bool ok = flash_attention(p, stream());
    EXPECT_EQ(ok, name != nullptr);
    EXPECT_EQ(ok, expect_accept);
    if (!ok) return "";
    sync();
    const std::vector<float> got = download_floats(c.dtype, y, y_count, stream());
    EXPECT_TRUE(close_enough(got, want, tols(c.dtype))) << "kernel " << name;
    return name;
  }
};

const DType kHalfTypes[] = {DType::kFloat16, DType::kBFloat16};

TEST_F(FlashAttentionGpu, SequenceLengthsNoMask) {
  uint32_t seed = 100;
  for (DType t : kHalfTypes) {
    for (int64_t s : {1, 7, 64, 128, 130, 512}) {
      Case c;
      c.dtype = t;
      c.b = 2;
      c.h = 3;
      c.s = c.l = s;
      EXPECT_EQ(run_case(c, seed += 10).rfind("flash_", 0), 0u);
    }
  }
}

TEST_F(FlashAttentionGpu, QueryAndKeyLengthsDiffer) {
  uint32_t seed = 200;
  for (DType t : kHalfTypes) {
    for (auto [s, l] : {std::pair<int64_t, int64_t>{1, 77}, {100, 77}, {33, 200}, {128, 1}, {65, 64}}) {
      Case c;
      c.dtype = t;
      c.h = 2;
      c.s = s;
      c.l = l;
      EXPECT_EQ(run_case(c, seed += 10).rfind("flash_", 0), 0u);
    }
  }
}

TEST_F(FlashAttentionGpu, PaddingMask) {
  uint32_t seed = 300;
  for (DType t : kHalfTypes) {
    for (int64_t s : {7, 128, 200}) {
      Case c;
      c.dtype = t;
      c.b = 3;
      c.h = 4;
      c.s = c.l = s;
      c.mask = MaskKind::kPadding;
      c.divisor = s == 128;  // BERT divides by sqrt(d)
      EXPECT_EQ(run_case(c, seed += 10).rfind("flash_", 0), 0u);
    }
  }
}

TEST_F(FlashAttentionGpu, CausalMaskAdditiveAndFlag) {
  uint32_t seed = 400;
  for (DType t : kHalfTypes) {
    for (MaskKind mk : {MaskKind::kCausalAdditive, MaskKind::kCausalFlag}) {
      for (int64_t s : {1, 7, 128, 512, 300}) {
        Case c;
        c.dtype = t;
        c.b = 2;
        c.h = 2;
        c.s = c.l = s;
        c.mask = mk;
        EXPECT_EQ(run_case(c, seed += 10).rfind("flash_", 0), 0u);
      }
    }
  }
}

TEST_F(FlashAttentionGpu, FullMaskPerHead) {
  uint32_t seed = 500;
  for (DType t : kHalfTypes) {
    Case c;
    c.dtype = t;
    c.b = 2;
    c.h = 3;
    c.s = 70;
    c.l = 96;
    c.mask = MaskKind::kFull;
    EXPECT_EQ(run_case(c, seed += 10).rfind("flash_", 0), 0u);
  }
}

TEST_F(FlashAttentionGpu, HeadDims) {
  uint32_t seed = 600;
  for (DType t : kHalfTypes) {
    for (int64_t d : {32, 96, 128}) {
      for (MaskKind mk : {MaskKind::kNone, MaskKind::kCausalFlag}) {
        Case c;
        c.dtype = t;
        c.b = 1;
        c.h = 3;
        c.s = c.l = 150;
        c.d = c.dv = d;
        c.mask = mk;
        EXPECT_EQ(run_case(c, seed += 10), std::string("flash_") + (t == DType::kFloat16 ? "f16" : "bf16") + "_d" +
                                               std::to_string(d));
      }
    }
  }
}

TEST_F(FlashAttentionGpu, KeyViewLayout) {
  uint32_t seed = 700;
  for (DType t : kHalfTypes) {
    for (int64_t d : {64, 128}) {
      Case c;
      c.dtype = t;
      c.b = 2;
      c.h = 2;
      c.s = 100;
      c.l = 131;
      c.d = c.dv = d;
      c.k_view = true;
      c.mask = MaskKind::kPadding;
      EXPECT_EQ(run_case(c, seed += 10),
                std::string("flash_") + (t == DType::kFloat16 ? "f16" : "bf16") + "_d" + std::to_string(d) + "_kld");
    }
  }
}

TEST_F(FlashAttentionGpu, Float32SimpleKernel) {
  uint32_t seed = 800;
  for (MaskKind mk : {MaskKind::kNone, MaskKind::kPadding, MaskKind::kCausalAdditive, MaskKind::kCausalFlag}) {
    for (int64_t s : {1, 7, 128}) {
      Case c;
      c.dtype = DType::kFloat32;
      c.b = 2;
      c.h = 2;
      c.s = c.l = s;
      c.mask = mk;
      c.divisor = s == 7;
      EXPECT_EQ(run_case(c, seed += 10), "simple");
    }
  }
  Case c;  // unusual dims and a view of K
  c.dtype = DType::kFloat32;
  c.h = 2;
  c.s = 19;
  c.l = 45;
  c.d = 80;
  c.dv = 40;
  c.k_view = true;
  EXPECT_EQ(run_case(c, seed + 1), "simple");
}

TEST_F(FlashAttentionGpu, UnsupportedConfigsDeclineOrUseSimpleKernel) {
  Case c;
  c.h = 2;
  c.s = c.l = 33;
  c.d = c.dv = 80;  // no tensor-core instantiation
  run_case(c, 900, /*expect_accept=*/false);
  c.allow_simple = true;
  EXPECT_EQ(run_case(c, 901), "simple");
  c.d = 64;
  c.dv = 32;  // Dv != D
  c.allow_simple = false;
  run_case(c, 902, false);
  c.dtype = DType::kBFloat16;
  c.allow_simple = true;
  c.mask = MaskKind::kPadding;
  EXPECT_EQ(run_case(c, 903), "simple");

  FlashAttentionParams p;  // L == 0 and null pointers: declined
  p.s = 4;
  p.l = 0;
  p.d = p.dv = 64;
  EXPECT_FALSE(flash_attention(p, stream()));
  p.l = 4;
  EXPECT_FALSE(flash_attention(p, stream()));
}

TEST_F(FlashAttentionGpu, FullyMaskedRowIsNaNLikeSoftmax) {
  for (DType t : {DType::kFloat16, DType::kFloat32}) {
    const int64_t s = 5, l = 70, d = 64;
    const std::vector<float> q = round_all(t, random_floats(static_cast<size_t>(s * d), 1000));
    const std::vector<float> kt = round_all(t, random_floats(static_cast<size_t>(d * l), 1001));
    const std::vector<float> v = round_all(t, random_floats(static_cast<size_t>(l * d), 1002));
    std::vector<float> mask(static_cast<size_t>(s * l), 0.f);
    for (int64_t j = 0; j < l; ++j) mask[static_cast<size_t>(2 * l + j)] = -INFINITY;  // row 2 fully masked
    DeviceBuffer dq = upload_floats(t, q), dk = upload_floats(t, kt), dvv = upload_floats(t, v),
                 dm = upload_floats(t, mask);
    DeviceBuffer y = poisoned(static_cast<size_t>(s * d) * dtype_size(t));
    FlashAttentionParams p;
    ASSERT_TRUE(attention_params_dense(t, dq.data(), {s, d}, dk.data(), {d, l}, dvv.data(), {l, d}, dm.data(),
                                       {s, l}, y.data(), {s, d}, &p));
    ASSERT_TRUE(flash_attention(p, stream()));
    sync();
    const std::vector<float> got = download_floats(t, y, static_cast<size_t>(s * d), stream());
    for (int64_t i = 0; i < s; ++i)
      for (int64_t e = 0; e < d; ++e)
        EXPECT_EQ(std::isnan(got[static_cast<size_t>(i * d + e)]), i == 2) << dtype_name(t) << " " << i << "," << e;
  }
}

TEST(FlashAttentionParamsDense, BroadcastAndMerge) {
  int dummy = 0;
  FlashAttentionParams p;
  // Q [2,12,128,64], KT [2,12,64,128], V [2,12,128,64], mask [2,1,1,128]: batch dims stay (2,12), mask's head
  // stride 0, its row stride 0.
  ASSERT_TRUE(attention_params_dense(DType::kFloat16, &dummy, {2, 12, 128, 64}, &dummy, {2, 12, 64, 128}, &dummy,
                                     {2, 12, 128, 64}, &dummy, {2, 1, 1, 128}, &dummy, {2, 12, 128, 64}, &p));
  EXPECT_EQ(p.batch[0], 1);
  EXPECT_EQ(p.batch[1], 2);
  EXPECT_EQ(p.batch[2], 12);
  EXPECT_EQ(p.q_layout.batch_stride[1], 12 * 128 * 64);
  EXPECT_EQ(p.q_layout.batch_stride[2], 128 * 64);
  EXPECT_EQ(p.mask_layout.batch_stride[1], 128);
  EXPECT_EQ(p.mask_layout.batch_stride[2], 0);
  EXPECT_EQ(p.mask_layout.row_stride, 0);
  EXPECT_EQ(p.mask_layout.col_stride, 1);
  EXPECT_EQ(p.kt_layout.row_stride, 128);
  // Without a mask, (2,12) merge into one batch dim of 24.
  ASSERT_TRUE(attention_params_dense(DType::kFloat16, &dummy, {2, 12, 128, 64}, &dummy, {2, 12, 64, 128}, &dummy,
                                     {2, 12, 128, 64}, nullptr, {}, &dummy, {2, 12, 128, 64}, &p));
  EXPECT_EQ(p.batch[2], 24);
  EXPECT_EQ(p.batch[1], 1);
  // Shared K/V across heads ([1,1,...]) and 5 batch dims that merge.
  ASSERT_TRUE(attention_params_dense(DType::kFloat16, &dummy, {2, 3, 4, 5, 6, 8, 64}, &dummy, {64, 16}, &dummy,
                                     {16, 64}, nullptr, {}, &dummy, {2, 3, 4, 5, 6, 8, 64}, &p));
  EXPECT_EQ(p.batch[2], 720);
  EXPECT_EQ(p.kt_layout.batch_stride[2], 0);
  // Inconsistent dims are declined.
  EXPECT_FALSE(attention_params_dense(DType::kFloat16, &dummy, {2, 8, 64}, &dummy, {2, 32, 8}, &dummy, {2, 8, 64},
                                      nullptr, {}, &dummy, {2, 8, 64}, &p));
}

// ---- micro-benchmark -------------------------------------------------------------------------------------------
struct BenchShape {
  const char* name;
  int64_t b, h, s, d;
  MaskKind mask;
};

// Median of `reps` event-timed batches of `inner` calls, in microseconds per call.
template <typename F>
double time_us(F&& f, cudaStream_t stream, int inner, int reps) {
  cudaEvent_t e0, e1;
  cudaEventCreate(&e0);
  cudaEventCreate(&e1);
  for (int i = 0; i < 3; ++i) f();
  cudaStreamSynchronize(stream);
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    cudaEventRecord(e0, stream);
    for (int i = 0; i < inner; ++i) f();
    cudaEventRecord(e1, stream);
    cudaEventSynchronize(e1);
    float ms = 0;
    cudaEventElapsedTime(&ms, e0, e1);
    t.push_back(1000.0 * ms / inner);
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

TEST_F(FlashAttentionGpu, Benchmark) {
  const char* env = std::getenv("ONYX_BENCH_ATTENTION");
  if (env == nullptr || std::string(env) != "1") GTEST_SKIP() << "set ONYX_BENCH_ATTENTION=1 to run";
  const BenchShape shapes[] = {
      {"BERT-base B=1 S=128 padding", 1, 12, 128, 64, MaskKind::kPadding},
      {"BERT-base B=128 S=128 padding", 128, 12, 128, 64, MaskKind::kPadding},
      {"BERT-base B=128 S=128 no mask", 128, 12, 128, 64, MaskKind::kNone},
      {"GPT-2 B=8 S=512 causal flag", 8, 12, 512, 64, MaskKind::kCausalFlag},
      {"GPT-2 B=8 S=512 causal additive", 8, 12, 512, 64, MaskKind::kCausalAdditive},
      {"ViT-B/16 B=64 S=197 no mask", 64, 12, 197, 64, MaskKind::kNone},
  };
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("\n[attention bench] device: %s\n", prop.name);
  std::printf("%-34s %9s %9s %9s %9s %8s %10s %10s\n", "shape (fp16)", "fused us", "again us", "K[L,D] us",
              "2-GEMM us", "speedup", "fused TF/s", "fused GB/s");
  BlasLtHandle blaslt;
  for (const BenchShape& sh : shapes) {
    const DType t = DType::kFloat16;
    Case c;
    c.dtype = t;
    c.b = sh.b;
    c.h = sh.h;
    c.s = c.l = sh.s;
    c.d = c.dv = sh.d;
    c.mask = sh.mask;
    const Data data = make_data(c, 4242);
    DeviceBuffer q = upload_floats(t, data.q), kt = upload_floats(t, transpose_k(c, data.k)),
                 v = upload_floats(t, data.v);
    DeviceBuffer m;
    const bool has_mask = c.mask == MaskKind::kPadding || c.mask == MaskKind::kCausalAdditive;
    if (has_mask) m = upload_floats(t, data.mask);
    const int64_t bh = c.b * c.h;
    DeviceBuffer y(static_cast<size_t>(bh * c.s * c.d) * 2), y2(static_cast<size_t>(bh * c.s * c.d) * 2);
    const float scale = 1.f / std::sqrt(static_cast<float>(c.d));

    FlashAttentionParams p;
    ASSERT_TRUE(attention_params_dense(t, q.data(), {c.b, c.h, c.s, c.d}, kt.data(), {c.b, c.h, c.d, c.l}, v.data(),
                                       {c.b, c.h, c.l, c.d}, has_mask ? m.data() : nullptr, data.mask_dims, y.data(),
                                       {c.b, c.h, c.s, c.d}, &p));
    p.scale = scale;
    p.causal = c.mask == MaskKind::kCausalFlag;
    const double fused = time_us([&] { ASSERT_TRUE(flash_attention(p, stream())); }, stream(), 20, 21);
    // The same with K stored [B,H,L,D] (KT as a view: what skipping the K transpose would give the layer).
    DeviceBuffer k_ld = upload_floats(t, data.k);
    FlashAttentionParams pk = p;
    pk.kt = k_ld.data();
    pk.kt_layout.row_stride = 1;
    pk.kt_layout.col_stride = c.d;
    const double fused_kld = time_us([&] { ASSERT_TRUE(flash_attention(pk, stream())); }, stream(), 20, 21);

    // Two-GEMM path, as AttentionLayer runs it.
    MatmulDesc d1;
    d1.dtype = t;
    d1.m = c.s;
    d1.n = c.l;
    d1.k = c.d;
    d1.batch_count = bh;
    d1.alpha = scale;
    MatmulDesc d2;
    d2.dtype = t;
    d2.m = c.s;
    d2.n = c.d;
    d2.k = c.l;
    d2.batch_count = bh;
    MatmulPlan p1(blaslt, d1), p2(blaslt, d2);
    const size_t ws_bytes = std::max(p1.algo(0).workspace_bytes, p2.algo(0).workspace_bytes);
    DeviceBuffer ws(std::max<size_t>(ws_bytes, 1));
    DeviceBuffer scores(static_cast<size_t>(bh * c.s * c.l) * 2), probs(static_cast<size_t>(bh * c.s * c.l) * 2);
    const Dims s_dims = {c.b, c.h, c.s, c.l};
    const bool add_causal_in_two_gemm = c.mask == MaskKind::kCausalFlag;  // the layer would see an additive mask
    DeviceBuffer causal_mask;
    if (add_causal_in_two_gemm) {
      Case cc = c;
      cc.mask = MaskKind::kCausalAdditive;
      causal_mask = upload_floats(t, make_data(cc, 1).mask);
    }
    auto two_gemm = [&] {
      p1.run(q.data(), kt.data(), scores.data(), nullptr, ws.data(), ws_bytes, stream());
      if (has_mask)
        binary(BinaryOp::kAdd, t, scores.data(), s_dims, m.data(), data.mask_dims, scores.data(), stream());
      if (add_causal_in_two_gemm)
        binary(BinaryOp::kAdd, t, scores.data(), s_dims, causal_mask.data(), {1, 1, c.s, c.l}, scores.data(),
               stream());
      softmax_lastdim(t, scores.data(), probs.data(), bh * c.s, c.l, false, stream());
      p2.run(probs.data(), v.data(), y2.data(), nullptr, ws.data(), ws_bytes, stream());
    };
    const double unfused = time_us(two_gemm, stream(), 20, 21);
    const double fused_again = time_us([&] { ASSERT_TRUE(flash_attention(p, stream())); }, stream(), 20, 21);
    sync();
    // Same answer both ways (fp16 scores in the two-GEMM path: a looser bound than the reference tests).
    const std::vector<float> a = download_floats(t, y, static_cast<size_t>(bh * c.s * c.d), stream());
    const std::vector<float> b = download_floats(t, y2, static_cast<size_t>(bh * c.s * c.d), stream());
    EXPECT_TRUE(close_enough(a, b, {1e-2, 1e-2, 5e-3})) << sh.name;

    const bool causal = c.mask == MaskKind::kCausalFlag || c.mask == MaskKind::kCausalAdditive;
    const double flops = 4.0 * static_cast<double>(bh) * c.s * c.l * c.d * (causal ? 0.5 : 1.0);
    const double bytes = 2.0 * static_cast<double>(bh) * (2 * c.s * c.d + 2 * c.l * c.d);
    std::printf("%-34s %9.2f %9.2f %9.2f %9.2f %7.2fx %10.1f %10.0f\n", sh.name, fused, fused_again, fused_kld,
                unfused, unfused / fused, flops / fused * 1e-6, bytes / fused * 1e-3);
  }
}

}  // namespace
}  // namespace onyx::cuda::test
