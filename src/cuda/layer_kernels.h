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

// Pad (ONNX Pad): mode 0 constant (value as the element's bits, elem_size bytes), 1 reflect, 2 edge. pads_begin
// may be negative (crop). y_shape[d] = x_shape[d] + begin[d] + end[d].
void pad(size_t elem_size, const void* x, const std::vector<int64_t>& x_shape, const std::vector<int64_t>& begin,
         int mode, uint64_t value_bits, void* y, const std::vector<int64_t>& y_shape, cudaStream_t stream);
// Tile: y[i] = x[i mod x_shape] per dimension.
void tile(size_t elem_size, const void* x, const std::vector<int64_t>& x_shape, void* y,
          const std::vector<int64_t>& y_shape, cudaStream_t stream);

// dtype codes for the typed kernels below: 0 float32, 1 float16, 2 bfloat16, 3 int32, 4 int64, 5 bool.
enum class CmpOp { kEqual, kLess, kGreater, kLessEqual, kGreaterEqual, kAnd, kOr, kXor };
// y (bool) = a op b with numpy broadcasting to y_shape. kAnd/kOr/kXor take bool inputs (code 5).
void compare(CmpOp op, int code, const void* a, const std::vector<int64_t>& a_shape, const void* b,
             const std::vector<int64_t>& b_shape, void* y, const std::vector<int64_t>& y_shape, cudaStream_t stream);
// y = !x (bool).
void logical_not(const void* x, void* y, int64_t n, cudaStream_t stream);
// PRelu: y = x < 0 ? slope * x : x, slope broadcast to y_shape; float codes 0-2.
void prelu(int code, const void* x, const void* slope, const std::vector<int64_t>& s_shape, void* y,
           const std::vector<int64_t>& y_shape, cudaStream_t stream);
// ArgMax / ArgMin over `axis` of x (viewed as [outer, axis, inner]) → int64 [outer, inner]; codes 0-4. Ties give the
// first index (last with select_last).
void arg_reduce(bool is_max, bool select_last, int code, const void* x, int64_t outer, int64_t axis, int64_t inner,
                void* y, cudaStream_t stream);

}  // namespace onyx::cuda
