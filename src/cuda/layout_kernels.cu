// Channels-last pooling kernels (layout_kernels.h). One thread per output element, channels fastest, so a warp
// reads 32 consecutive channels of one input pixel (coalesced).
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

__device__ __forceinline__ float max_keep_nan(float a, float b) { return (a != a || a > b) ? a : b; }

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

template <bool kMax>
void pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream, const char* what) {
  int64_t oh = 0, ow = 0;
  pool2d_output_size(p, &oh, &ow);
  const NhwcPoolGeom g{p.n,          p.c,          p.h,        p.w,         oh,          ow,
                       p.kernel_h,   p.kernel_w,   p.stride_h, p.stride_w,  p.pad_top,   p.pad_left,
                       p.pad_bottom, p.pad_right,  p.dilation_h, p.dilation_w, p.count_include_pad};
  const int64_t total = p.n * oh * ow * p.c;
  if (total == 0) return;
  switch (dtype) {
    case DType::kFloat32:
      pool2d_nhwc_kernel<float, kMax><<<grid_for(total), kThreads, 0, stream>>>(static_cast<const float*>(x),
                                                                                static_cast<float*>(y), g);
      break;
    case DType::kFloat16:
      pool2d_nhwc_kernel<__half, kMax><<<grid_for(total), kThreads, 0, stream>>>(static_cast<const __half*>(x),
                                                                                 static_cast<__half*>(y), g);
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

void max_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d_nhwc<true>(dtype, x, p, y, stream, "max_pool2d_nhwc");
}
void avg_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream) {
  pool2d_nhwc<false>(dtype, x, p, y, stream, "avg_pool2d_nhwc");
}

}  // namespace onyx::cuda
