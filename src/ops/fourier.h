// One-dimensional discrete Fourier transform shared by DFT and STFT (private to those two op files).
//
//   X[k] = sum_n x[n] * exp(-+2*pi*i*k*n/N)   (minus: forward; plus: inverse, which also divides by N)
//
// Power-of-two lengths use an iterative radix-2 FFT; other lengths a direct O(N^2) sum with an exact twiddle table
// (exp(-2*pi*i*m/N) for m = k*n mod N), both in double precision.
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
    pow2_ = n > 0 && (n & (n - 1)) == 0;
    tmp_.resize(sn);
  }

  int64_t size() const { return n_; }

  // In place on `data` (n values). Inverse transforms are divided by n.
  void run(std::complex<double>* data) {
    if (n_ <= 1) return;
    if (pow2_) {
      fft(data);
    } else {
      const size_t n = static_cast<size_t>(n_);
      for (size_t k = 0; k < n; ++k) {
        std::complex<double> acc = 0;
        size_t m = 0;  // k*j mod n, advanced incrementally
        for (size_t j = 0; j < n; ++j) {
          acc += data[j] * twiddle_[m];
          m += k;
          if (m >= n) m -= n;
        }
        tmp_[k] = acc;
      }
      for (size_t k = 0; k < n; ++k) data[k] = tmp_[k];
    }
    if (inverse_) {
      const double s = 1.0 / static_cast<double>(n_);
      for (int64_t k = 0; k < n_; ++k) data[k] *= s;
    }
  }

 private:
  void fft(std::complex<double>* a) const {
    const size_t n = static_cast<size_t>(n_);
    for (size_t i = 1, j = 0; i < n; ++i) {  // bit reversal
      size_t bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(a[i], a[j]);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
      const size_t step = n / len;
      for (size_t i = 0; i < n; i += len) {
        for (size_t j = 0; j < len / 2; ++j) {
          const std::complex<double> w = twiddle_[j * step];
          const std::complex<double> u = a[i + j];
          const std::complex<double> v = a[i + j + len / 2] * w;
          a[i + j] = u + v;
          a[i + j + len / 2] = u - v;
        }
      }
    }
  }

  int64_t n_;
  bool inverse_;
  bool pow2_ = false;
  std::vector<std::complex<double>> twiddle_;
  std::vector<std::complex<double>> tmp_;
};

}  // namespace onyx::fourier
