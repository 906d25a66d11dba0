// RNN / GRU / LSTM of ops_kernels.h: one block per (direction, batch row) walks the sequence; threads split the
// hidden units, and the states live in shared memory (float64), double-buffered across each step.
#include <cmath>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

__device__ __forceinline__ double act(RnnAct a, double x, double alpha, double beta) {
  switch (a) {
    case RnnAct::kRelu: return x > 0 ? x : 0;
    case RnnAct::kTanh: return tanh(x);
    case RnnAct::kSigmoid: return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
    case RnnAct::kAffine: return alpha * x + beta;
    case RnnAct::kLeakyRelu: return x >= 0 ? x : alpha * x;
    case RnnAct::kThresholdedRelu: return x > alpha ? x : 0;
    case RnnAct::kScaledTanh: return alpha * tanh(beta * x);
    case RnnAct::kHardSigmoid: return fmin(1.0, fmax(0.0, alpha * x + beta));
    case RnnAct::kElu: return x >= 0 ? x : alpha * (exp(x) - 1);
    case RnnAct::kSoftsign: return x / (1 + fabs(x));
    case RnnAct::kSoftplus: return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
  }
  return x;
}

template <typename T>
__global__ void rnn_kernel(RnnParams p, const T* x, const T* w, const T* r, const T* bias, const int32_t* lens,
                           const T* h0, const T* c0, const T* peep, T* y, T* y_h, T* y_c) {
  extern __shared__ double sm[];
  const int64_t H = p.hidden, I = p.input, B = p.batch, S = p.seq;
  const int gates = p.cell == RnnCell::kRnn ? 1 : (p.cell == RnnCell::kGru ? 3 : 4);
  const int64_t GH = gates * H;
  double* h = sm;
  double* c = sm + H;
  double* rh = sm + 2 * H;
  double* hn = sm + 3 * H;
  double* cn = sm + 4 * H;
  const int d = blockIdx.x / static_cast<int>(B);
  const int64_t b = blockIdx.x % B;
  const bool fwd = p.dirs == 2 ? d == 0 : p.forward;
  const T* wd = w + d * GH * I;
  const T* rd = r + d * GH * H;
  const T* wb = bias ? bias + d * 2 * GH : nullptr;
  const T* rb = bias ? wb + GH : nullptr;
  const T* pd = peep ? peep + d * 3 * H : nullptr;
  const int a0 = d * 3;
  auto A = [&](int k, double v) { return act(p.acts[a0 + k], v, p.alpha[a0 + k], p.beta[a0 + k]); };
  auto clip = [&](double v) { return p.has_clip ? fmin(fmax(v, -static_cast<double>(p.clip)), static_cast<double>(p.clip)) : v; };
  // state index of (d, b) in layout 0 [D, B, H] or layout 1 [B, D, H]
  const int64_t st_off = p.layout == 0 ? (d * B + b) * H : (b * p.dirs + d) * H;
  for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
    h[j] = h0 ? static_cast<double>(ld(h0[st_off + j])) : 0.0;
    c[j] = c0 ? static_cast<double>(ld(c0[st_off + j])) : 0.0;
  }
  __syncthreads();
  const int64_t len = lens ? (lens[b] < 0 ? 0 : (lens[b] > S ? S : static_cast<int64_t>(lens[b]))) : S;
  // pre-activation of gate g, unit j at time t: x_t W_g^T + Wb + [h R_g^T + Rb]
  auto xw = [&](int64_t t, int g, int64_t j) {
    const T* xt = x + (p.layout == 0 ? (t * B + b) * I : (b * S + t) * I);
    const T* wr = wd + (g * H + j) * I;
    double s = wb ? static_cast<double>(ld(wb[g * H + j])) : 0.0;
    for (int64_t i = 0; i < I; ++i) s += static_cast<double>(ld(xt[i])) * static_cast<double>(ld(wr[i]));
    return s;
  };
  auto hr = [&](const double* v, int g, int64_t j) {
    const T* rr = rd + (g * H + j) * H;
    double s = 0;
    for (int64_t i = 0; i < H; ++i) s += v[i] * static_cast<double>(ld(rr[i]));
    return s;
  };
  auto rbias = [&](int g, int64_t j) { return rb ? static_cast<double>(ld(rb[g * H + j])) : 0.0; };
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = fwd ? step : len - 1 - step;
    if (p.cell == RnnCell::kGru && !p.linear_before_reset) {
      for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
        const double rg = A(0, clip(xw(t, 1, j) + hr(h, 1, j) + rbias(1, j)));
        rh[j] = rg * h[j];
      }
      __syncthreads();
    }
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
      double hv = 0, cv = 0;
      switch (p.cell) {
        case RnnCell::kRnn: hv = A(0, clip(xw(t, 0, j) + hr(h, 0, j) + rbias(0, j))); break;
        case RnnCell::kGru: {
          const double z = A(0, clip(xw(t, 0, j) + hr(h, 0, j) + rbias(0, j)));
          double hh;
          if (p.linear_before_reset) {
            const double rg = A(0, clip(xw(t, 1, j) + hr(h, 1, j) + rbias(1, j)));
            hh = A(1, clip(xw(t, 2, j) + rg * (hr(h, 2, j) + rbias(2, j))));
          } else {
            hh = A(1, clip(xw(t, 2, j) + hr(rh, 2, j) + rbias(2, j)));
          }
          hv = (1 - z) * hh + z * h[j];
          break;
        }
        case RnnCell::kLstm: {
          const double cp = c[j];
          const double pi = pd ? static_cast<double>(ld(pd[j])) : 0.0;
          const double po = pd ? static_cast<double>(ld(pd[H + j])) : 0.0;
          const double pf = pd ? static_cast<double>(ld(pd[2 * H + j])) : 0.0;
          const double ig = A(0, clip(xw(t, 0, j) + hr(h, 0, j) + rbias(0, j) + pi * cp));
          double fg = A(0, clip(xw(t, 2, j) + hr(h, 2, j) + rbias(2, j) + pf * cp));
          if (p.input_forget) fg = 1 - ig;
          const double cg = A(1, clip(xw(t, 3, j) + hr(h, 3, j) + rbias(3, j)));
          cv = fg * cp + ig * cg;
          const double og = A(0, clip(xw(t, 1, j) + hr(h, 1, j) + rbias(1, j) + po * cv));
          hv = og * A(2, cv);
          break;
        }
      }
      hn[j] = hv;
      cn[j] = cv;
      if (y) {
        const int64_t yo = p.layout == 0 ? ((t * p.dirs + d) * B + b) * H : ((b * S + t) * p.dirs + d) * H;
        y[yo + j] = st<T>(hv);
      }
    }
    __syncthreads();
    for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
      h[j] = hn[j];
      if (p.cell == RnnCell::kLstm) c[j] = cn[j];
    }
    __syncthreads();
  }
  for (int64_t j = threadIdx.x; j < H; j += blockDim.x) {
    if (y_h) y_h[st_off + j] = st<T>(h[j]);
    if (y_c) y_c[st_off + j] = st<T>(c[j]);
  }
}

}  // namespace

void rnn_forward(DType dtype, const RnnParams& p, const void* x, const void* w, const void* r, const void* b,
                 const int32_t* lens, const void* h0, const void* c0, const void* peep, void* y, void* y_h, void* y_c,
                 cudaStream_t stream) {
  ONYX_CHECK(p.seq >= 0 && p.batch >= 0 && p.input >= 0 && p.hidden >= 0, "rnn: negative dims");
  ONYX_CHECK(p.dirs == 1 || p.dirs == 2, "rnn: 1 or 2 directions");
  if (p.hidden > 1024) fail_unsupported("rnn: hidden size ", p.hidden, " above 1024 (the cuda kernel's limit)");
  const size_t elem = dtype_size(dtype);
  if (y) {
    check_cuda(cudaMemsetAsync(y, 0, static_cast<size_t>(p.seq * p.dirs * p.batch * p.hidden) * elem, stream),
               "rnn: cudaMemsetAsync");
  }
  const int64_t blocks = p.dirs * p.batch;
  if (blocks == 0 || p.hidden == 0) return;
  const size_t shared = static_cast<size_t>(5 * p.hidden) * sizeof(double);
  const int threads = static_cast<int>(std::min<int64_t>(256, ((p.hidden + 31) / 32) * 32));
  dispatch_float(dtype, "rnn", [&](auto t) {
    using T = decltype(t);
    rnn_kernel<T><<<static_cast<unsigned>(blocks), threads, shared, stream>>>(
        p, static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(r), static_cast<const T*>(b),
        lens, static_cast<const T*>(h0), static_cast<const T*>(c0), static_cast<const T*>(peep), static_cast<T*>(y),
        static_cast<T*>(y_h), static_cast<T*>(y_c));
  });
  check_launch("rnn");
}

}  // namespace onyx::cuda
