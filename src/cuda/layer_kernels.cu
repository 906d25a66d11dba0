// Broadcast copy and Where (see layer_kernels.h).
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "check.h"
#include "layer_kernels.h"

namespace onyx::cuda {
namespace {

constexpr int kRank = 8;

struct Bcast {
  int rank = 0;
  int64_t dims[kRank];        // y's dims
  int64_t strides[3][kRank];  // per operand: element stride per y dim (0 where broadcast)
};

void fill_strides(Bcast& b, int op, const std::vector<int64_t>& shape, const std::vector<int64_t>& y) {
  const int r = static_cast<int>(y.size());
  const int xr = static_cast<int>(shape.size());
  if (xr > r) fail_bad_input("cannot broadcast rank ", xr, " to rank ", r);
  int64_t stride = 1;
  for (int i = r - 1; i >= 0; --i) {
    const int xi = i - (r - xr);
    int64_t s = 0;
    if (xi >= 0) {
      const int64_t d = shape[static_cast<size_t>(xi)];
      if (d != 1 && d != y[static_cast<size_t>(i)]) fail_bad_input("shapes cannot broadcast");
      s = d == 1 ? 0 : stride;
      stride *= d;
    }
    b.strides[op][i] = s;
  }
}

Bcast make(const std::vector<int64_t>& y) {
  if (y.size() > static_cast<size_t>(kRank)) fail_unsupported("rank ", y.size(), " > 8");
  Bcast b;
  b.rank = static_cast<int>(y.size());
  for (int i = 0; i < b.rank; ++i) b.dims[i] = y[static_cast<size_t>(i)];
  return b;
}

__device__ __forceinline__ void offsets(const Bcast& b, int64_t i, int n_ops, int64_t* off) {
  for (int k = 0; k < n_ops; ++k) off[k] = 0;
  for (int d = b.rank - 1; d >= 0; --d) {
    const int64_t idx = i % b.dims[d];
    i /= b.dims[d];
    for (int k = 0; k < n_ops; ++k) off[k] += idx * b.strides[k][d];
  }
}

template <typename T>
__global__ void bcast_kernel(const T* x, T* y, int64_t n, Bcast b) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[1];
    offsets(b, i, 1, off);
    y[i] = x[off[0]];
  }
}

template <typename T>
__global__ void where_kernel(const bool* c, const T* a, const T* bb, T* y, int64_t n, Bcast b) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[3];
    offsets(b, i, 3, off);
    y[i] = c[off[0]] ? a[off[1]] : bb[off[2]];
  }
}

int64_t count(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t x : d) n *= x;
  return n;
}

unsigned blocks_for(int64_t n) {
  const int64_t b = (n + 255) / 256;
  return static_cast<unsigned>(b < 65535 * 8 ? b : 65535 * 8);
}

template <typename T>
void launch_bcast(const void* x, void* y, int64_t n, const Bcast& b, cudaStream_t s) {
  bcast_kernel<T><<<blocks_for(n), 256, 0, s>>>(static_cast<const T*>(x), static_cast<T*>(y), n, b);
}

template <typename T>
void launch_where(const void* c, const void* a, const void* bb, void* y, int64_t n, const Bcast& b, cudaStream_t s) {
  where_kernel<T><<<blocks_for(n), 256, 0, s>>>(static_cast<const bool*>(c), static_cast<const T*>(a),
                                                  static_cast<const T*>(bb), static_cast<T*>(y), n, b);
}

__device__ __forceinline__ float to_f(float v) { return v; }
__device__ __forceinline__ float to_f(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_f(__nv_bfloat16 v) { return __bfloat162float(v); }
__device__ __forceinline__ int32_t to_f(int32_t v) { return v; }
__device__ __forceinline__ int64_t to_f(int64_t v) { return v; }
__device__ __forceinline__ bool to_f(bool v) { return v; }
template <typename T>
__device__ __forceinline__ T from_f(float v);
template <>
__device__ __forceinline__ float from_f<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

struct PadArgs {
  int rank;
  int64_t ydims[kRank], xdims[kRank], begin[kRank];
};

template <typename T>
__global__ void pad_kernel(const T* x, T* y, int64_t n, PadArgs a, int mode, T value) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, off = 0, stride = 1;
    bool inside = true;
    for (int d = a.rank - 1; d >= 0; --d) {
      int64_t idx = rem % a.ydims[d] - a.begin[d];
      rem /= a.ydims[d];
      const int64_t xd = a.xdims[d];
      if (idx < 0 || idx >= xd) {
        if (mode == 0 || xd == 0) {
          inside = false;
        } else if (mode == 2) {
          idx = idx < 0 ? 0 : xd - 1;
        } else if (xd == 1) {
          idx = 0;
        } else {
          const int64_t period = 2 * (xd - 1);
          idx = idx < 0 ? -idx : idx;
          idx %= period;
          if (idx >= xd) idx = period - idx;
        }
      }
      off += idx * stride;
      stride *= xd;
    }
    y[i] = inside ? x[off] : value;
  }
}

template <typename T>
__global__ void tile_kernel(const T* x, T* y, int64_t n, PadArgs a) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, off = 0, stride = 1;
    for (int d = a.rank - 1; d >= 0; --d) {
      const int64_t idx = (rem % a.ydims[d]) % a.xdims[d];
      rem /= a.ydims[d];
      off += idx * stride;
      stride *= a.xdims[d];
    }
    y[i] = x[off];
  }
}

template <typename T>
__global__ void compare_kernel(CmpOp op, const T* a, const T* b, bool* y, int64_t n, Bcast bc) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[2];
    offsets(bc, i, 2, off);
    const auto u = to_f(a[off[0]]);
    const auto v = to_f(b[off[1]]);
    bool r = false;
    switch (op) {
      case CmpOp::kEqual: r = u == v; break;
      case CmpOp::kLess: r = u < v; break;
      case CmpOp::kGreater: r = u > v; break;
      case CmpOp::kLessEqual: r = u <= v; break;
      case CmpOp::kGreaterEqual: r = u >= v; break;
      case CmpOp::kAnd: r = u && v; break;
      case CmpOp::kOr: r = u || v; break;
      case CmpOp::kXor: r = (u != 0) != (v != 0); break;
    }
    y[i] = r;
  }
}

__global__ void not_kernel(const bool* x, bool* y, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    y[i] = !x[i];
}

template <typename T>
__global__ void prelu_kernel(const T* x, const T* s, T* y, int64_t n, Bcast bc) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t off[1];
    offsets(bc, i, 1, off);
    const float v = to_f(x[i]);
    y[i] = v < 0.f ? from_f<T>(v * to_f(s[off[0]])) : x[i];
  }
}

template <typename T>
__global__ void arg_kernel(bool is_max, bool last, const T* x, int64_t outer, int64_t axis, int64_t inner, int64_t* y) {
  const int64_t n = outer * inner;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t o = i / inner, in = i % inner;
    const T* p = x + o * axis * inner + in;
    int64_t best = 0;
    auto bv = to_f(p[0]);
    for (int64_t k = 1; k < axis; ++k) {
      const auto v = to_f(p[k * inner]);
      const bool better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
      if (better) {
        bv = v;
        best = k;
      }
    }
    y[i] = best;
  }
}

PadArgs pad_args(const std::vector<int64_t>& x, const std::vector<int64_t>& y, const std::vector<int64_t>* begin) {
  if (y.size() > static_cast<size_t>(kRank) || x.size() != y.size()) fail_bad_input("pad/tile: bad ranks");
  PadArgs a{};
  a.rank = static_cast<int>(y.size());
  for (int d = 0; d < a.rank; ++d) {
    a.xdims[d] = x[static_cast<size_t>(d)];
    a.ydims[d] = y[static_cast<size_t>(d)];
    a.begin[d] = begin ? (*begin)[static_cast<size_t>(d)] : 0;
  }
  return a;
}

}  // namespace

void pad(size_t es, const void* x, const std::vector<int64_t>& x_shape, const std::vector<int64_t>& begin, int mode,
         uint64_t bits, void* y, const std::vector<int64_t>& y_shape, cudaStream_t s) {
  const PadArgs a = pad_args(x_shape, y_shape, &begin);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (es) {
    case 1: pad_kernel<uint8_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), n, a, mode, static_cast<uint8_t>(bits)); break;
    case 2: pad_kernel<uint16_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y), n, a, mode, static_cast<uint16_t>(bits)); break;
    case 4: pad_kernel<uint32_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y), n, a, mode, static_cast<uint32_t>(bits)); break;
    case 8: pad_kernel<uint64_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y), n, a, mode, bits); break;
    default: fail_unsupported("element size ", es);
  }
  check_launch("pad");
}

void tile(size_t es, const void* x, const std::vector<int64_t>& x_shape, void* y, const std::vector<int64_t>& y_shape,
          cudaStream_t s) {
  const PadArgs a = pad_args(x_shape, y_shape, nullptr);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (es) {
    case 1: tile_kernel<uint8_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint8_t*>(x), static_cast<uint8_t*>(y), n, a); break;
    case 2: tile_kernel<uint16_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint16_t*>(x), static_cast<uint16_t*>(y), n, a); break;
    case 4: tile_kernel<uint32_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint32_t*>(x), static_cast<uint32_t*>(y), n, a); break;
    case 8: tile_kernel<uint64_t><<<blocks_for(n), 256, 0, s>>>(static_cast<const uint64_t*>(x), static_cast<uint64_t*>(y), n, a); break;
    default: fail_unsupported("element size ", es);
  }
  check_launch("tile");
}

template <typename T>
void launch_compare(CmpOp op, const void* a, const void* b, void* y, int64_t n, const Bcast& bc, cudaStream_t s) {
  compare_kernel<T><<<blocks_for(n), 256, 0, s>>>(op, static_cast<const T*>(a), static_cast<const T*>(b),
                                                  static_cast<bool*>(y), n, bc);
}

void compare(CmpOp op, int code, const void* a, const std::vector<int64_t>& a_shape, const void* b,
             const std::vector<int64_t>& b_shape, void* y, const std::vector<int64_t>& y_shape, cudaStream_t s) {
  Bcast bc = make(y_shape);
  fill_strides(bc, 0, a_shape, y_shape);
  fill_strides(bc, 1, b_shape, y_shape);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (code) {
    case 0: launch_compare<float>(op, a, b, y, n, bc, s); break;
    case 1: launch_compare<__half>(op, a, b, y, n, bc, s); break;
    case 2: launch_compare<__nv_bfloat16>(op, a, b, y, n, bc, s); break;
    case 3: launch_compare<int32_t>(op, a, b, y, n, bc, s); break;
    case 4: launch_compare<int64_t>(op, a, b, y, n, bc, s); break;
    case 5: launch_compare<bool>(op, a, b, y, n, bc, s); break;
    default: fail_unsupported("compare dtype code ", code);
  }
  check_launch("compare");
}

void logical_not(const void* x, void* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  not_kernel<<<blocks_for(n), 256, 0, s>>>(static_cast<const bool*>(x), static_cast<bool*>(y), n);
  check_launch("not");
}

void prelu(int code, const void* x, const void* slope, const std::vector<int64_t>& s_shape, void* y,
           const std::vector<int64_t>& y_shape, cudaStream_t s) {
  Bcast bc = make(y_shape);
  fill_strides(bc, 0, s_shape, y_shape);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (code) {
    case 0: prelu_kernel<float><<<blocks_for(n), 256, 0, s>>>(static_cast<const float*>(x), static_cast<const float*>(slope), static_cast<float*>(y), n, bc); break;
    case 1: prelu_kernel<__half><<<blocks_for(n), 256, 0, s>>>(static_cast<const __half*>(x), static_cast<const __half*>(slope), static_cast<__half*>(y), n, bc); break;
    case 2: prelu_kernel<__nv_bfloat16><<<blocks_for(n), 256, 0, s>>>(static_cast<const __nv_bfloat16*>(x), static_cast<const __nv_bfloat16*>(slope), static_cast<__nv_bfloat16*>(y), n, bc); break;
    default: fail_unsupported("prelu dtype code ", code);
  }
  check_launch("prelu");
}

template <typename T>
void launch_arg(bool mx, bool last, const void* x, int64_t outer, int64_t axis, int64_t inner, void* y, cudaStream_t s) {
  const int64_t n = outer * inner;
  arg_kernel<T><<<blocks_for(n), 256, 0, s>>>(mx, last, static_cast<const T*>(x), outer, axis, inner, static_cast<int64_t*>(y));
}

void arg_reduce(bool is_max, bool last, int code, const void* x, int64_t outer, int64_t axis, int64_t inner, void* y,
                cudaStream_t s) {
  if (outer * inner == 0) return;
  if (axis == 0) fail_bad_input("ArgMax/ArgMin over an empty axis");
  switch (code) {
    case 0: launch_arg<float>(is_max, last, x, outer, axis, inner, y, s); break;
    case 1: launch_arg<__half>(is_max, last, x, outer, axis, inner, y, s); break;
    case 2: launch_arg<__nv_bfloat16>(is_max, last, x, outer, axis, inner, y, s); break;
    case 3: launch_arg<int32_t>(is_max, last, x, outer, axis, inner, y, s); break;
    case 4: launch_arg<int64_t>(is_max, last, x, outer, axis, inner, y, s); break;
    default: fail_unsupported("arg dtype code ", code);
  }
  check_launch("arg_reduce");
}

namespace {
}  // namespace

void broadcast_to(size_t es, const void* x, const std::vector<int64_t>& x_shape, void* y,
                  const std::vector<int64_t>& y_shape, cudaStream_t stream) {
  Bcast b = make(y_shape);
  fill_strides(b, 0, x_shape, y_shape);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (es) {
    case 1: launch_bcast<uint8_t>(x, y, n, b, stream); break;
    case 2: launch_bcast<uint16_t>(x, y, n, b, stream); break;
    case 4: launch_bcast<uint32_t>(x, y, n, b, stream); break;
    case 8: launch_bcast<uint64_t>(x, y, n, b, stream); break;
    default: fail_unsupported("element size ", es);
  }
  check_launch("broadcast_to");
}

void where(size_t es, const void* cond, const std::vector<int64_t>& c_shape, const void* a,
           const std::vector<int64_t>& a_shape, const void* bp, const std::vector<int64_t>& b_shape, void* y,
           const std::vector<int64_t>& y_shape, cudaStream_t stream) {
  Bcast b = make(y_shape);
  fill_strides(b, 0, c_shape, y_shape);
  fill_strides(b, 1, a_shape, y_shape);
  fill_strides(b, 2, b_shape, y_shape);
  const int64_t n = count(y_shape);
  if (n == 0) return;
  switch (es) {
    case 1: launch_where<uint8_t>(cond, a, bp, y, n, b, stream); break;
    case 2: launch_where<uint16_t>(cond, a, bp, y, n, b, stream); break;
    case 4: launch_where<uint32_t>(cond, a, bp, y, n, b, stream); break;
    case 8: launch_where<uint64_t>(cond, a, bp, y, n, b, stream); break;
    default: fail_unsupported("element size ", es);
  }
  check_launch("where");
}

}  // namespace onyx::cuda
