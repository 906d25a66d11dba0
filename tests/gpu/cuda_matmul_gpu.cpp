// GPU tests of the cuBLASLt matmul wrapper (src/cuda/matmul.cpp) against double-precision loops on the same
// (rounded) inputs. Every candidate algorithm the heuristic returns is run and checked: a caller may pick any.
// Tolerances scale with sqrt(k) (random-sign accumulation): float32 strict 1e-5·sqrt(k) abs; TF32 inputs keep
// 10 mantissa bits: 2e-3·sqrt(k); float16 output rounding + fp32 accumulation: 2e-3·sqrt(k) abs + 2e-3 rel;
// bfloat16: 1e-2·sqrt(k) + 1.6e-2 rel.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "cuda/buffer.h"
#include "cuda/matmul.h"
#include "gpu/gpu_test_util.h"
#include "onyx/error.h"

namespace onyx::cuda::test {
namespace {

double gelu_tanh(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

// Row-major reference of one desc: returns C (batch_count * m * ldc, untouched pitch padding left 0).
std::vector<float> reference(const MatmulDesc& d, const std::vector<float>& a, const std::vector<float>& b,
                             const std::vector<float>& bias, int64_t lda, int64_t ldb, int64_t ldc, int64_t sa,
                             int64_t sb, int64_t sc) {
  std::vector<float> c(static_cast<size_t>(sc * (d.batch_count - 1) + d.m * ldc), 0.f);
  for (int64_t bt = 0; bt < d.batch_count; ++bt) {
    for (int64_t i = 0; i < d.m; ++i) {
      for (int64_t j = 0; j < d.n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < d.k; ++p) {
          const double av = a[static_cast<size_t>(bt * sa + (d.trans_a ? p * lda + i : i * lda + p))];
          const double bv = b[static_cast<size_t>(bt * sb + (d.trans_b ? j * ldb + p : p * ldb + j))];
          acc += av * bv;
        }
        acc *= d.alpha;
        if (d.bias) acc += bias[static_cast<size_t>(j)];
        if (d.epilogue == MatmulEpilogue::kRelu) acc = acc > 0 ? acc : 0;
        if (d.epilogue == MatmulEpilogue::kGelu) acc = gelu_tanh(acc);
        c[static_cast<size_t>(bt * sc + i * ldc + j)] = round_to(d.dtype, static_cast<float>(acc));
      }
    }
  }
  return c;
}

Tol matmul_tol_plain(const MatmulDesc& d, double s);

Tol matmul_tol(const MatmulDesc& d) {
  const double s = std::sqrt(static_cast<double>(d.k));
  // cuBLASLt's GELU is documented only as "GELU": allow for a fast tanh/erf approximation (~1e-3).
  if (d.epilogue == MatmulEpilogue::kGelu) {
    const Tol t = matmul_tol_plain(d, s);
    return {std::max(t.atol, 2e-3), std::max(t.rtol, 2e-3)};
  }
  return matmul_tol_plain(d, s);
}

Tol matmul_tol_plain(const MatmulDesc& d, double s) {
  if (d.dtype == DType::kFloat16) return {2e-3 * s, 2e-3};
  if (d.dtype == DType::kBFloat16) return {1e-2 * s, 1.6e-2};
  if (d.compute == MatmulCompute::kTf32) return {2e-3 * s, 1e-3};
  return {1e-5 * s, 1e-5};
}

// Runs every candidate of a plan for `d` on random data and checks each against the reference.
void check_all_algos(const BlasLtHandle& handle, MatmulDesc d, cudaStream_t stream, const std::string& label) {
  SCOPED_TRACE(label);
  MatmulPlan plan(handle, d);
  const MatmulDesc& r = plan.desc();  // pitches/strides resolved
  const int64_t a_rows = r.trans_a ? r.k : r.m, b_rows = r.trans_b ? r.n : r.k;
  const int64_t a_len = r.stride_a * (r.batch_count - 1) + a_rows * r.lda;
  const int64_t b_len = r.stride_b * (r.batch_count - 1) + b_rows * r.ldb;
  const auto a = round_all(d.dtype, random_floats(static_cast<size_t>(a_len), 21, -1.f, 1.f));
  const auto b = round_all(d.dtype, random_floats(static_cast<size_t>(b_len), 22, -1.f, 1.f));
  const auto bias = round_all(d.dtype, random_floats(static_cast<size_t>(r.n), 23, -1.f, 1.f));
  const auto want = reference(r, a, b, bias, r.lda, r.ldb, r.ldc, r.stride_a, r.stride_b, r.stride_c);
  DeviceBuffer da = upload_floats(d.dtype, a), db = upload_floats(d.dtype, b), dbias = upload_floats(d.dtype, bias);
  DeviceBuffer ws(std::max<size_t>(plan.max_workspace_bytes(), 1));
  ASSERT_GE(plan.num_algos(), 1);
  for (int i = 0; i < plan.num_algos(); ++i) {
    SCOPED_TRACE("algorithm " + std::to_string(i) + " of " + std::to_string(plan.num_algos()));
    DeviceBuffer dc = upload_floats(d.dtype, std::vector<float>(want.size(), 0.f));
    plan.run(da.data(), db.data(), dc.data(), r.bias ? dbias.data() : nullptr, ws.data(), ws.size(), stream, i);
    const auto got = download_floats(d.dtype, dc, want.size(), stream);
    ASSERT_TRUE(all_close(got, want, matmul_tol(r)));
  }
}

using CudaMatmul = CudaTest;

TEST_F(CudaMatmul, ShapesTransposesAndTypes) {
  BlasLtHandle handle;
  struct Shape3 {
    int64_t m, n, k;
  };
  const Shape3 shapes[] = {{1, 1, 1}, {7, 13, 5}, {64, 64, 64}, {129, 65, 257}, {3, 1000, 17}};
  for (const Shape3& s : shapes) {
    for (DType t : kFloatTypes) {
      for (int tr = 0; tr < 4; ++tr) {
        MatmulDesc d;
        d.dtype = t;
        d.m = s.m;
        d.n = s.n;
        d.k = s.k;
        d.trans_a = tr & 1;
        d.trans_b = tr & 2;
        // Odd inner sizes in float16 make rows 2-byte aligned only: say so, so that the plan allows it.
        d.alignment = static_cast<uint32_t>(dtype_size(t));
        check_all_algos(handle, d, stream(),
                        std::string(dtype_name(t)) + " m" + std::to_string(s.m) + " n" + std::to_string(s.n) + " k" +
                            std::to_string(s.k) + " ta" + std::to_string(d.trans_a) + " tb" +
                            std::to_string(d.trans_b));
      }
    }
  }
}

TEST_F(CudaMatmul, Fp32StrictAndTf32) {
  BlasLtHandle handle;
  for (MatmulCompute c : {MatmulCompute::kFp32Strict, MatmulCompute::kTf32, MatmulCompute::kDefault}) {
    MatmulDesc d;
    d.compute = c;
    d.m = 96;
    d.n = 80;
    d.k = 300;
    check_all_algos(handle, d, stream(), "compute " + std::to_string(static_cast<int>(c)));
  }
}

TEST_F(CudaMatmul, BiasReluGeluEpilogues) {
  BlasLtHandle handle;
  for (DType t : kFloatTypes) {
    for (bool bias : {false, true}) {
      for (MatmulEpilogue e : {MatmulEpilogue::kNone, MatmulEpilogue::kRelu, MatmulEpilogue::kGelu}) {
        MatmulDesc d;
        d.dtype = t;
        d.m = 48;
        d.n = 40;
        d.k = 64;
        d.bias = bias;
        d.epilogue = e;
        check_all_algos(handle, d, stream(),
                        std::string(dtype_name(t)) + (bias ? " bias" : "") + " epilogue " +
                            std::to_string(static_cast<int>(e)));
      }
    }
  }
}

TEST_F(CudaMatmul, BatchedStridedSharedWeightPitchesAndAlpha) {
  BlasLtHandle handle;
  for (DType t : kFloatTypes) {
    // Packed batches.
    MatmulDesc d;
    d.dtype = t;
    d.m = 33;
    d.n = 24;
    d.k = 40;
    d.batch_count = 5;
    check_all_algos(handle, d, stream(), std::string(dtype_name(t)) + " batched");
    // One B for every batch (a Linear layer's weight), transposed like Gemm(transB=1), with bias.
    d.stride_b = 0;
    d.trans_b = true;
    d.bias = true;
    check_all_algos(handle, d, stream(), std::string(dtype_name(t)) + " shared weight");
    // Row pitches wider than the rows, a batch stride with a gap, alpha = 0.5.
    MatmulDesc p;
    p.dtype = t;
    p.m = 16;
    p.n = 24;
    p.k = 32;
    p.lda = 40;
    p.ldb = 32;
    p.ldc = 32;
    p.batch_count = 3;
    p.stride_c = 16 * 32 + 64;
    p.alpha = 0.5f;
    check_all_algos(handle, p, stream(), std::string(dtype_name(t)) + " pitched");
  }
}

TEST_F(CudaMatmul, BadArgumentsThrow) {
  BlasLtHandle handle;
  auto code_of = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::kMismatch;  // "no error"
  };
  MatmulDesc d;
  d.m = 0;
  EXPECT_EQ(code_of([&] { MatmulPlan p(handle, d); }), ErrorCode::kBadInput);
  d.m = 4;
  d.n = 8;
  d.k = 8;
  d.lda = 1;  // smaller than the stored row (k)
  EXPECT_EQ(code_of([&] { MatmulPlan p(handle, d); }), ErrorCode::kBadInput);
  d.lda = 0;
  d.dtype = DType::kFloat16;
  d.compute = MatmulCompute::kTf32;
  EXPECT_EQ(code_of([&] { MatmulPlan p(handle, d); }), ErrorCode::kBadInput);
  d.dtype = DType::kInt32;
  d.compute = MatmulCompute::kDefault;
  EXPECT_EQ(code_of([&] { MatmulPlan p(handle, d); }), ErrorCode::kUnsupported);
  d.dtype = DType::kFloat32;
  d.alignment = 3;
  EXPECT_EQ(code_of([&] { MatmulPlan p(handle, d); }), ErrorCode::kBadInput);
  d.alignment = 16;
  d.bias = true;
  MatmulPlan plan(handle, d);
  DeviceBuffer a(4 * 8 * 4 + 64), b(8 * 8 * 4), c(4 * 8 * 4), bias(8 * 4);
  DeviceBuffer ws(std::max<size_t>(plan.max_workspace_bytes(), 1));
  EXPECT_EQ(code_of([&] { plan.run(a.data(), b.data(), c.data(), bias.data(), ws.data(), ws.size(), stream(), 99); }),
            ErrorCode::kBadInput);  // algorithm index
  EXPECT_EQ(code_of([&] { plan.run(a.data(), b.data(), c.data(), nullptr, ws.data(), ws.size(), stream()); }),
            ErrorCode::kBadInput);  // missing bias
  EXPECT_EQ(code_of([&] {
              plan.run(static_cast<char*>(a.data()) + 4, b.data(), c.data(), bias.data(), ws.data(), ws.size(),
                       stream());
            }),
            ErrorCode::kBadInput);  // misaligned A
  if (plan.algo(0).workspace_bytes > 0) {
    EXPECT_EQ(code_of([&] { plan.run(a.data(), b.data(), c.data(), bias.data(), nullptr, 0, stream()); }),
              ErrorCode::kBadInput);  // workspace too small
  }
  EXPECT_EQ(code_of([&] { plan.run(a.data(), b.data(), c.data(), bias.data(), ws.data(), ws.size(), stream()); }),
            ErrorCode::kMismatch);  // fine
  sync();
}

}  // namespace
}  // namespace onyx::cuda::test
