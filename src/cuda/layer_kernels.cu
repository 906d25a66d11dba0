// Broadcast copy and Where (see layer_kernels.h).
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
