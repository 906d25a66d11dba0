// Channels-last (NHWC) kernels of the cuda engine's layout region (src/cuda/layout.h): 2-D max / average
// pooling and global pooling over [n, h, w, c] data. Plain C++17 launchers (the kernels are in
// layout_kernels.cu).
#pragma once

#include <cuda_runtime_api.h>

#include "cuda/kernels.h"

namespace onyx::cuda {

// Same semantics as max_pool2d / avg_pool2d (kernels.h: ceil_mode, count_include_pad, NaN propagation), on x
// [p.n, p.h, p.w, p.c] giving y [p.n, out_h, out_w, p.c]. float32/float16/bfloat16.
void max_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream);
void avg_pool2d_nhwc(DType dtype, const void* x, const Pool2dParams& p, void* y, cudaStream_t stream);

// Global average (max = false) or max pooling of x [n, hw, c] into y [n, c].
void global_pool_nhwc(DType dtype, bool max, const void* x, int64_t n, int64_t hw, int64_t c, void* y,
                      cudaStream_t stream);
// y [N, H, W, C] (dtype `to`) = x [N, C, H, W] (dtype `from`), converting float32/float16/bfloat16 on the
// way: one pass for the region's entry from a graph input (few channels; for many channels permute() is
// faster).
void nchw_to_nhwc(DType from, DType to, const void* x, const Dims& nchw, void* y, cudaStream_t stream);

}  // namespace onyx::cuda
