// Dense matrix multiply used by the reference kernels (MatMul, Gemm, Conv via im2col): BLAS when onyx was built
// with one, a plain loop otherwise. Row-major: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C.
#pragma once

#include <cstdint>
#include <functional>

namespace onyx {

void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// The rows [i0, i1) x columns [j0, j1) of C that one slice of a gemm has just written (while they are still in
// that thread's cache): the cpu kernels add bias / residual / activation there.
using GemmEpilogue = std::function<void(int64_t i0, int64_t i1, int64_t j0, int64_t j1)>;

// gemm (float) split into one slice per thread: along N when N >= M, else along M (each thread packs the
// whole of the other operand, so the larger dimension is split). `epilogue` (optional) runs on each slice after
// its product. Called from inside a parallel region it runs on the calling thread alone. BLAS itself runs
// single-threaded: onyx's pool is the only source of threads, so exactly num_threads() threads work.
void gemm_parallel(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                   int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
                   const GemmEpilogue* epilogue = nullptr);

}  // namespace onyx
