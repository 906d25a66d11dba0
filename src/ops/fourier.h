// One-dimensional discrete Fourier transform shared by DFT and STFT (private to those two op files).
//
//   X[k] = sum_n x[n] * exp(-+2*pi*i*k*n/N)   (minus: forward; plus: inverse, which also divides by N)
//
// A recursive mixed-radix (Cooley-Tukey) transform: N splits by its smallest prime factor p into p interleaved
// transforms of N/p, combined with twiddles; prime lengths use the direct sum. Twiddles come from one exact table
// exp(-+2*pi*i*m/N), all in double precision. Cost O(N * sum of prime factors).
#pragma once

#include <cmath>
#include <complex>
#include <cstdint>
#include <numbers>
#include <vector>

namespace onyx::fourier {

class Plan {
 public:
  Plan(int64_t n, bool inverse) : n_(n), inverse_(inverse) {
    const size_t sn = static_cast<size_t>(n);
    twiddle_.resize(sn);
    const double sign = inverse ? 1.0 : -1.0;
    for (size_t m = 0; m < sn; ++m) {
      const double ang = sign * 2.0 * std::numbers::pi * static_cast<double>(m) / static_cast<double>(n);
      twiddle_[m] = {std::cos(ang), std::sin(ang)};
    }
    scratch_.resize(sn);
    input_.resize(sn);
  }

  int64_t size() const { return n_; }

  // In place on `data` (n values). Inverse transforms are divided by n.
  void run(std::complex<double>* data) {
    if (n_ <= 1) return;
    const size_t n = static_cast<size_t>(n_);
    for (size_t i = 0; i < n; ++i) input_[i] = data[i];
    transform(input_.data(), 1, n, data);
    if (inverse_) {
      const double s = 1.0 / static_cast<double>(n_);
      for (size_t k = 0; k < n; ++k) data[k] *= s;
    }
  }

 private:
  static size_t smallest_factor(size_t n) {
    if (n % 2 == 0) return 2;
    for (size_t f = 3; f * f <= n; f += 2)
      if (n % f == 0) return f;
    return n;
  }

  // out[0..n) = DFT_n of in[0], in[stride], ..., in[(n-1)*stride]. W_n^j is twiddle_[j * (N / n)].
  void transform(const std::complex<double>* in, size_t stride, size_t n, std::complex<double>* out) {
    if (n == 1) {
      out[0] = in[0];
      return;
    }
    const size_t step = static_cast<size_t>(n_) / n;
    const size_t p = smallest_factor(n);
    if (p == n) {  // prime: direct sum
      for (size_t k = 0; k < n; ++k) {
        std::complex<double> acc = 0;
        size_t m = 0;  // j*k mod n
        for (size_t j = 0; j < n; ++j) {
          acc += in[j * stride] * twiddle_[m * step];
          m += k;
          if (m >= n) m -= n;
        }
        scratch_[k] = acc;
      }
      for (size_t k = 0; k < n; ++k) out[k] = scratch_[k];
      return;
    }
    const size_t m = n / p;
    for (size_t r = 0; r < p; ++r) transform(in + r * stride, stride * p, m, out + r * m);
    // X[k + q*m] = sum_r W_n^{r (k + q m)} Y_r[k]; the children are done, so the shared scratch is free.
    for (size_t k = 0; k < m; ++k)
      for (size_t q = 0; q < p; ++q) {
        const size_t idx = k + q * m;
        std::complex<double> acc = 0;
        for (size_t r = 0; r < p; ++r) acc += out[r * m + k] * twiddle_[((r * idx) % n) * step];
        scratch_[idx] = acc;
      }
    for (size_t k = 0; k < n; ++k) out[k] = scratch_[k];
  }

  int64_t n_;
  bool inverse_;
  std::vector<std::complex<double>> twiddle_;
  std::vector<std::complex<double>> scratch_;
  std::vector<std::complex<double>> input_;
};

}  // namespace onyx::fourier
