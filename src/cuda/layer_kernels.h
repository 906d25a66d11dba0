// Small CUDA kernels used by the cuda layers beyond kernels.h: broadcast copy (Expand) and Where. Plain C++17
// (included by .cu and .cpp files); same conventions as kernels.h (enqueue only; host-side checks throw).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace onyx::cuda {

// y (y_shape) = x broadcast numpy-style from x_shape (x_shape right-aligned, each dim 1 or equal). Elements of
// elem_size bytes (1, 2, 4 or 8).
void broadcast_to(size_t elem_size, const void* x, const std::vector<int64_t>& x_shape, void* y,
                  const std::vector<int64_t>& y_shape, cudaStream_t stream);
// y = cond ? a : b with numpy broadcasting of the three to y_shape; cond is bool (1 byte).
void where(size_t elem_size, const void* cond, const std::vector<int64_t>& c_shape, const void* a,
           const std::vector<int64_t>& a_shape, const void* b, const std::vector<int64_t>& b_shape, void* y,
           const std::vector<int64_t>& y_shape, cudaStream_t stream);

}  // namespace onyx::cuda
