// Channels-last pooling kernels (layout_kernels.h). One thread per output element, channels fastest, so a
// warp reads 32 consecutive channels of one input pixel (coalesced).
#include <cmath>

#include "cuda/layout_kernels.h"
#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

struct NhwcPoolGeom {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw;
  bool include_pad;
};

__device__ __forceinline__ float max_keep_nan(float a, float b) {
  return (a != a || a > b) ? a : b;
}

template <typename T, bool kMax>
__global__ void pool2d_nhwc_kernel(const T* __restrict__ x, T* __restrict__ y, NhwcPoolGeom g) {
  const int64_t total = g.n * g.oh * g.ow * g.c;
  for (int64_t i = gtid(); i < total; i += gstride()) {
    const int64_t c = i % g.c;
    int64_t t = i / g.c;
    const int64_t ox = t % g.ow;
    t /= g.ow;
    const int64_t oy = t % g.oh;
    const int64_t n = t / g.oh;
    const T* xp = x + n * g.h * g.w * g.c + c;
    const int64_t y0 = oy * g.sh - g.pt, x0 = ox * g.sw - g.pl;
    float acc = kMax ? -INFINITY : 0.f;
    int64_t count = 0, padded = 0;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = y0 + ky * g.dh;
      const bool row_in_pad = iy >= -g.pt && iy < g.h + g.pb;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = x0 + kx * g.dw;
        if (row_in_pad && ix >= -g.pl && ix < g.w + g.pr) ++padded;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
        const float v = static_cast<float>(ld(xp[(iy * g.w + ix) * g.c]));
        if (kMax) {
          acc = max_keep_nan(acc, v);
        } else {
          acc += v;
        }
        ++count;
      }
    }
    if (!kMax) {
      const int64_t div = g.include_pad ? padded : count;
      acc = div > 0 ? acc / static_cast<float>(div) : NAN;
    }
    y[i] = st<T>(acc);
  }
}

// 16 bytes of channels per thread (8 halves / 4 floats), 32-bit index math: the common case (C a multiple of
// the vector width, every offset below 2^31). Same window semantics as pool2d_nhwc_kernel.
template <typename T, bool kMax>
__global__ void pool2d_nhwc_vec_kernel(const T* __restrict__ x, T* __restrict__ y, NhwcPoolGeom g32,
                                       int total) {
  constexpr int V = 16 / sizeof(T);
  const int c = static_cast<int>(g32.c), cv = c / V, h = static_cast<int>(g32.h), w = static_cast<int>(g32.w);
  const int oh = static_cast<int>(g32.oh), ow = static_cast<int>(g32.ow);
  const int kh = static_cast<int>(g32.kh), kw = static_cast<int>(g32.kw), sh = static_cast<int>(g32.sh),
            sw = static_cast<int>(g32.sw), pt = static_cast<int>(g32.pt), pl = static_cast<int>(g32.pl),
            pb = static_cast<int>(g32.pb), pr = static_cast<int>(g32.pr), dh = static_cast<int>(g32.dh),
            dw = static_cast<int>(g32.dw);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < total; i += gridDim.x * blockDim.x) {
    const int cg = i % cv;
    int t = i / cv;
    const int ox = t % ow;
    t /= ow;
    const int oy = t % oh;
    const int n = t / oh;
    const T* xp = x + static_cast<size_t>(n) * h * w * c + cg * V;
    const int y0 = oy * sh - pt, x0 = ox * sw - pl;
    float acc[V];
#pragma unroll
    for (int j = 0; j < V; ++j) acc[j] = kMax ? -INFINITY : 0.f;
    int count = 0, padded = 0;
    for (int ky = 0; ky < kh; ++ky) {
      const int iy = y0 + ky * dh;
      const bool row_in_pad = iy >= -pt && iy < h + pb;
      for (int kx = 0; kx < kw; ++kx) {
        const int ix = x0 + kx * dw;
        if (row_in_pad && ix >= -pl && ix < w + pr) ++padded;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        const uint4 raw = *reinterpret_cast<const uint4*>(xp + (iy * w + ix) * c);
        const T* v = reinterpret_cast<const T*>(&raw);
#pragma unroll
        for (int j = 0; j < V; ++j) {
          const float f = static_cast<float>(ld(v[j]));
          acc[j] = kMax ? max_keep_nan(acc[j], f) : acc[j] + f;
        }
        ++count;
      }
    }
    uint4 out;
    T* o = reinterpret_cast<T*>(&out);
    const int div = g32.include_pad ? padded : count;
#pragma unroll
    for (int j = 0; j < V; ++j)
      o[j] = st<T>(kMax ? acc[j] : (div > 0 ? acc[j] / static_cast<float>(div) : NAN));
    *reinterpret_cast<uint4*>(y + static_cast<size_t>(i) * V) = out;
  }
}

// Global pooling of [n, hw, c]: a block of 32 x 32 threads covers 32 channels of one image; threadIdx.y
// strides over the pixels, then the 32 partial results per channel are combined in shared memory.
template <typename T, bool kMax>
__global__ void global_pool_nhwc_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t hw, int64_t c) {
  __shared__ float part[32][33];
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * 32 + threadIdx.x;
  const int64_t n = blockIdx.y;
  float acc = kMax ? -INFINITY : 0.f;
  if (ch < c) {
    const T* xp = x + n * hw * c + ch;
#pragma unroll 4
    for (int64_t s = threadIdx.y; s < hw; s += 32) {
      const float v = static_cast<float>(ld(xp[s * c]));
      acc = kMax ? max_keep_nan(acc, v) : acc + v;
    }
  }
  part[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && ch < c) {
    float r = part[0][threadIdx.x];
    for (int k = 1; k < 32; ++k) r = kMax ? max_keep_nan(r, part[k][threadIdx.x]) : r + part[k][threadIdx.x];
    y[n * c + ch] = st<T>(kMax ? r : r / static_cast<float>(hw));
  }
}

// NCHW (type I) -> NHWC (type O), one thread per pixel looping over the (few) channels: reads coalesced
// across the warp for every channel, each thread writes its C values contiguously.
template <typename I, typename O>
__global__ void nchw_to_nhwc_pixels_kernel(const I* __restrict__ x, O* __restrict__ y, int64_t pixels,
                                           int64_t hw, int64_t c) {
  for (int64_t p = gtid(); p < pixels; p += gstride()) {
    const int64_t n = p / hw, s = p - n * hw;
    const I* xp = x + n * c * hw + s;
    O* yp = y + p * c;
    for (int64_t k = 0; k < c; ++k) yp[k] = st<O>(ld(xp[k * hw]));
  }
}

template <typename F>
void dispatch_f3(DType t, const char* what, F&& f) {
  switch (t) {
    case DType::kFloat32:
      f(float{});
      return;
    case DType::kFloat16:
      f(__half{});
      return;
    case DType::kBFloat16:
      f(__nv_bfloat16{});
      return;
    default:
      unsupported(what, t);
  }
}

template <bool kMax>
void pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream,
                 const char* what) {
  int64_t oh = 0, ow = 0;
  pool2d_output_size(p, &oh, &ow);
  const NhwcPoolGeom g{p.n,
                       p.c,
                       p.h,
                       p.w,
                       oh,
                       ow,
                       p.kernel_h,
                       p.kernel_w,
                       p.stride_h,
                       p.stride_w,
                       p.pad_top,
                       p.pad_left,
                       p.pad_bottom,
                       p.pad_right,
                       p.dilation_h,
                       p.dilation_w,
                       p.count_include_pad};
  const int64_t total = p.n * oh * ow * p.c;
  if (total == 0) return;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(dtype));
  const bool fits32 = p.n * p.h * p.w * p.c < (int64_t{1} << 31) && total < (int64_t{1} << 31);
  if (fits32 && (dtype == DType::kFloat32 || dtype == DType::kFloat16 || dtype == DType::kBFloat16) &&
      p.c % vec == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0 &&
      reinterpret_cast<uintptr_t>(y) % 16 == 0) {
    const int threads = static_cast<int>(total / vec);
    dispatch_f3(dtype, what, [&](auto tag) {
      using T = decltype(tag);
      pool2d_nhwc_vec_kernel<T, kMax><<<grid_for(threads), kThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<T*>(y), g, threads);
    });
    check_cuda(cudaGetLastError(), what);
    return;
  }
  switch (dtype) {
    case DType::kFloat32:
      pool2d_nhwc_kernel<float, kMax>
          <<<grid_for(total), kThreads, 0, stream>>>(static_cast<const float*>(x), static_cast<float*>(y), g);
      break;
    case DType::kFloat16:
      pool2d_nhwc_kernel<__half, kMax><<<grid_for(total), kThreads, 0, stream>>>(
          static_cast<const __half*>(x), static_cast<__half*>(y), g);
      break;
    case DType::kBFloat16:
      pool2d_nhwc_kernel<__nv_bfloat16, kMax><<<grid_for(total), kThreads, 0, stream>>>(
          static_cast<const __nv_bfloat16*>(x), static_cast<__nv_bfloat16*>(y), g);
      break;
    default:
      unsupported(what, dtype);
  }
  check_cuda(cudaGetLastError(), what);
}

}  // namespace

void global_pool_nhwc(DType dtype, bool max, const void* x, int64_t n, int64_t hw, int64_t c, void* y,
                      cudaStream_t stream) {
  if (n == 0 || c == 0) return;
  ONYX_CHECK(n < 65536, "global_pool_nhwc: batch ", n, " exceeds the grid limit");
  const dim3 grid(static_cast<unsigned>((c + 31) / 32), static_cast<unsigned>(n)), block(32, 32);
  dispatch_f3(dtype, "global_pool_nhwc", [&](auto tag) {
    using T = decltype(tag);
    if (max)
      global_pool_nhwc_kernel<T, true>
          <<<grid, block, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), hw, c);
    else
      global_pool_nhwc_kernel<T, false>
          <<<grid, block, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), hw, c);
  });
  check_cuda(cudaGetLastError(), "global_pool_nhwc");
}

void nchw_to_nhwc(DType from, DType to, const void* x, const Dims& nchw, void* y, cudaStream_t stream) {
  ONYX_CHECK(nchw.size() == 4, "nchw_to_nhwc: rank ", nchw.size());
  const int64_t hw = nchw[2] * nchw[3], pixels = nchw[0] * hw;
  if (pixels == 0 || nchw[1] == 0) return;
  dispatch_f3(from, "nchw_to_nhwc", [&](auto in_tag) {
    using I = decltype(in_tag);
    dispatch_f3(to, "nchw_to_nhwc", [&](auto out_tag) {
      using O = decltype(out_tag);
      nchw_to_nhwc_pixels_kernel<I, O><<<grid_for(pixels), kThreads, 0, stream>>>(
          static_cast<const I*>(x), static_cast<O*>(y), pixels, hw, nchw[1]);
    });
  });
  check_cuda(cudaGetLastError(), "nchw_to_nhwc");
}

void max_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d_nhwc<true>(dtype, x, p, y, stream, "max_pool2d_nhwc");
}
void avg_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d_nhwc<false>(dtype, x, p, y, stream, "avg_pool2d_nhwc");
}

}  // namespace onyx::cuda
