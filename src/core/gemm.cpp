#include "gemm.h"

#include <algorithm>
#include <climits>
#include <vector>

#include "parallel.h"

#if defined(ONYX_HAVE_BLAS)
extern "C" {
// The CBLAS interface (OpenBLAS and the reference BLAS both provide it).
enum CBLAS_ORDER_ { kRowMajor = 101 };
enum CBLAS_TRANSPOSE_ { kNoTrans = 111, kTrans = 112 };
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc);
void cblas_dgemm(int order, int ta, int tb, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc);
void cblas_sgemv(int order, int trans, int m, int n, float alpha, const float* a, int lda, const float* x, int incx,
                 float beta, float* y, int incy);
// OpenBLAS only (weak: absent with another BLAS). onyx splits gemms over its own pool instead.
__attribute__((weak)) void openblas_set_num_threads(int);
}
#endif

namespace onyx {

namespace {

template <typename T>
void naive_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
                int64_t ldb, T beta, T* c, int64_t ldc) {
  parallel_for(m, 4, [&](int64_t i0, int64_t i1) {
    std::vector<T> row(static_cast<size_t>(n));
    for (int64_t i = i0; i < i1; ++i) {
      std::fill(row.begin(), row.end(), T(0));
      for (int64_t p = 0; p < k; ++p) {
        const T av = ta ? a[p * lda + i] : a[i * lda + p];
        if (av == T(0)) continue;
        if (!tb) {
          const T* brow = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += av * brow[j];
        } else {
          for (int64_t j = 0; j < n; ++j) row[static_cast<size_t>(j)] += av * b[j * ldb + p];
        }
      }
      T* crow = c + i * ldc;
      for (int64_t j = 0; j < n; ++j)
        crow[j] = alpha * row[static_cast<size_t>(j)] + (beta == T(0) ? T(0) : beta * crow[j]);
    }
  });
}

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

// BLAS runs on the calling thread only (set once, before the first BLAS call): onyx's parallel_for / the gemm
// slices below are the only threads, so BLAS worker threads never compete with the pool's for the cores.
void blas_single_threaded() {
#if defined(ONYX_HAVE_BLAS)
  static const bool done = [] {
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    return true;
  }();
  (void)done;
#endif
}

void sgemm_serial(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
#if defined(ONYX_HAVE_BLAS)
  if (k > 0 && fits_int(m) && fits_int(n) && fits_int(k) && fits_int(lda) && fits_int(ldb) && fits_int(ldc)) {
    if (m == 1) {
      // A single row (a fully connected layer at batch 1): a matrix-vector product, which streams op(B) once;
      // sgemm would first copy all of B into its packed layout. c = op(B)^T a, a's elements lda apart when ta.
      const int incx = ta ? static_cast<int>(lda) : 1;
      if (tb)
        cblas_sgemv(kRowMajor, kNoTrans, static_cast<int>(n), static_cast<int>(k), alpha, b, static_cast<int>(ldb), a,
                    incx, beta, c, 1);
      else
        cblas_sgemv(kRowMajor, kTrans, static_cast<int>(k), static_cast<int>(n), alpha, b, static_cast<int>(ldb), a,
                    incx, beta, c, 1);
      return;
    }
    cblas_sgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
                static_cast<int>(ldc));
    return;
  }
#endif
  naive_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_parallel(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nullptr);
}

void gemm_parallel(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                   const float* b, int64_t ldb, float beta, float* c, int64_t ldc, const GemmEpilogue* epilogue) {
  if (m == 0 || n == 0) return;
  blas_single_threaded();
  // Slices: one per thread, at least ~2 Mflop each, boundaries on multiples of 16 columns / 8 rows.
  const double flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  int parts = in_parallel_region() ? 1 : num_threads();
  while (parts > 1 && flops / parts < 2e6) --parts;
  const bool split_n = n >= m;
  const int64_t dim = split_n ? n : m, unit = split_n ? 16 : 8;
  const int64_t units = (dim + unit - 1) / unit;
  if (units < parts) parts = static_cast<int>(std::max<int64_t>(1, units));
  auto slice = [&](int t) {
    const int64_t u0 = units * t / parts, u1 = units * (t + 1) / parts;
    const int64_t s0 = std::min(dim, u0 * unit), s1 = std::min(dim, u1 * unit);
    if (s0 >= s1) return;
    if (split_n) {
      sgemm_serial(ta, tb, m, s1 - s0, k, alpha, a, lda, tb ? b + s0 * ldb : b + s0, ldb, beta, c + s0, ldc);
      if (epilogue) (*epilogue)(0, m, s0, s1);
    } else {
      sgemm_serial(ta, tb, s1 - s0, n, k, alpha, ta ? a + s0 : a + s0 * lda, lda, b, ldb, beta, c + s0 * ldc, ldc);
      if (epilogue) (*epilogue)(s0, s1, 0, n);
    }
  };
  if (parts <= 1) {
    slice(0);
    return;
  }
  parallel_parts(parts, slice);
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
          const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  blas_single_threaded();
#if defined(ONYX_HAVE_BLAS)
  if (k > 0 && fits_int(m) && fits_int(n) && fits_int(k) && fits_int(lda) && fits_int(ldb) && fits_int(ldc)) {
    cblas_dgemm(kRowMajor, ta ? kTrans : kNoTrans, tb ? kTrans : kNoTrans, static_cast<int>(m), static_cast<int>(n),
                static_cast<int>(k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
                static_cast<int>(ldc));
    return;
  }
#endif
  naive_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace onyx
