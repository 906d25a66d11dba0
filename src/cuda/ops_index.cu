// Indexing and data-movement kernels of ops_kernels.h: GatherElements, ScatterElements, GatherND, ScatterND, Trilu,
// Range, OneHot, EyeLike, Tile, Expand, Pad, ReverseSequence.
#include <cmath>
#include <cstring>

#include "cuda/ops_common.cuh"

namespace onyx::cuda {

using namespace opsdetail;

namespace {

__device__ __forceinline__ void flag(int* error_flag) {
  if (error_flag) atomicExch(error_flag, 1);
}

// Coordinates of flat index i in a Geom's dims (strides unused).
__device__ __forceinline__ void coords(const Geom& g, int64_t i, int64_t* c) {
  for (int d = g.rank - 1; d >= 0; --d) {
    c[d] = i % g.dims[d];
    i /= g.dims[d];
  }
}

// GatherElements: y[c] = x[c with c[axis] = idx[c]]. g: indices dims with x's strides.
template <typename T, typename I>
__global__ void gather_elements_kernel(const T* x, const I* idx, T* y, int64_t n, Geom g, int axis, int64_t dim,
                                       int* error_flag) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    int64_t c[kMaxRank];
    coords(g, i, c);
    int64_t k = static_cast<int64_t>(idx[i]);
    if (k < 0) k += dim;
    if (k < 0 || k >= dim) {
      flag(error_flag);
      y[i] = T{};
      continue;
    }
    int64_t off = 0;
    for (int d = 0; d < g.rank; ++d) off += (d == axis ? k : c[d]) * g.strides[d];
    y[i] = x[off];
  }
}

template <typename T>
__device__ __forceinline__ T reduce_into(ScatterReduce r, T old, T v) {
  if constexpr (std::is_same<T, bool>::value) {
    return v;
  } else {
    using V = C<T>;
    const V a = ld(old), b = ld(v);
    switch (r) {
      case ScatterReduce::kNone: return v;
      case ScatterReduce::kAdd: return st<T>(static_cast<V>(a + b));
      case ScatterReduce::kMul: return st<T>(static_cast<V>(a * b));
      case ScatterReduce::kMax: return st<T>(a > b ? a : b);
      case ScatterReduce::kMin: return st<T>(a < b ? a : b);
    }
    return v;
  }
}

// ScatterElements: one thread per position of updates with the axis coordinate removed (lg: updates dims with the
// axis dim 1, updates strides); it walks the axis in order so duplicates apply deterministically, and positions of
// different threads never collide. ystrides: data strides.
template <typename T, typename I>
__global__ void scatter_elements_kernel(const I* idx, const T* upd, T* y, int64_t n_lines, Geom lg, Geom yg, int axis,
                                        int64_t len, ScatterReduce r, int* error_flag) {
  const int64_t dim = yg.dims[axis];
  for (int64_t l = gtid(); l < n_lines; l += gstride()) {
    int64_t c[kMaxRank];
    coords(lg, l, c);
    int64_t uoff = 0, yoff = 0;
    for (int d = 0; d < lg.rank; ++d) {
      uoff += c[d] * lg.strides[d];
      if (d != axis) yoff += c[d] * yg.strides[d];
    }
    for (int64_t j = 0; j < len; ++j) {
      const int64_t u = uoff + j * lg.strides[axis];
      int64_t k = static_cast<int64_t>(idx[u]);
      if (k < 0) k += dim;
      if (k < 0 || k >= dim) {
        flag(error_flag);
        continue;
      }
      T* dst = y + yoff + k * yg.strides[axis];
      *dst = reduce_into(r, *dst, upd[u]);
    }
  }
}

struct NdIndex {
  int q = 0;
  int64_t dims[kMaxRank] = {};
  int64_t strides[kMaxRank] = {};
};

// GatherND: one thread per output element.
template <typename T, typename I>
__global__ void gather_nd_kernel(const T* x, const I* idx, T* y, int64_t n, int64_t slice, int64_t per_batch,
                                 int64_t batch_stride, NdIndex nd, int* error_flag) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t t = e / slice, s = e % slice;
    int64_t off = (t / per_batch) * batch_stride;
    bool ok = true;
    for (int j = 0; j < nd.q; ++j) {
      int64_t k = static_cast<int64_t>(idx[t * nd.q + j]);
      if (k < 0) k += nd.dims[j];
      if (k < 0 || k >= nd.dims[j]) ok = false;
      off += k * nd.strides[j];
    }
    if (!ok) {
      flag(error_flag);
      y[e] = T{};
      continue;
    }
    y[e] = x[off + s];
  }
}

// ScatterND: one thread per slice element, walking the index tuples in order.
template <typename T, typename I>
__global__ void scatter_nd_kernel(const I* idx, const T* upd, T* y, int64_t tuples, int64_t slice, NdIndex nd,
                                  ScatterReduce r, int* error_flag) {
  for (int64_t s = gtid(); s < slice; s += gstride()) {
    for (int64_t t = 0; t < tuples; ++t) {
      int64_t off = 0;
      bool ok = true;
      for (int j = 0; j < nd.q; ++j) {
        int64_t k = static_cast<int64_t>(idx[t * nd.q + j]);
        if (k < 0) k += nd.dims[j];
        if (k < 0 || k >= nd.dims[j]) ok = false;
        off += k * nd.strides[j];
      }
      if (!ok) {
        if (s == 0) flag(error_flag);
        continue;
      }
      y[off + s] = reduce_into(r, y[off + s], upd[t * slice + s]);
    }
  }
}

template <typename T>
__global__ void trilu_kernel(const T* x, T* y, int64_t n, int64_t rows, int64_t cols, int64_t k, bool upper) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t j = e % cols, i = (e / cols) % rows;
    const bool keep = upper ? (j - i >= k) : (j - i <= k);
    y[e] = keep ? x[e] : T{};
  }
}

template <typename T>
__global__ void range_kernel(const T* start, const T* delta, T* y, int64_t n) {
  for (int64_t i = gtid(); i < n; i += gstride()) {
    using V = C<T>;
    y[i] = st<T>(static_cast<V>(ld(start[0]) + static_cast<V>(i) * ld(delta[0])));
  }
}

template <typename I, typename T>
__global__ void one_hot_kernel(const I* idx, const T* values, T* y, int64_t n, int64_t depth, int64_t inner) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t in = e % inner, d = (e / inner) % depth, o = e / (inner * depth);
    int64_t v = static_cast<int64_t>(as_double(idx[o * inner + in]));
    if (v < 0) v += depth;
    y[e] = v == d ? values[1] : values[0];
  }
}

template <typename T>
__global__ void eye_kernel(T* y, int64_t n, int64_t cols, int64_t k) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    const int64_t i = e / cols, j = e % cols;
    y[e] = st<T>(j - i == k ? 1 : 0);
  }
}

// Tile: og = output dims with input strides; in_dims for the modulo.
template <typename T>
__global__ void tile_kernel(const T* x, T* y, int64_t n, Geom og, Geom ig) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    int64_t c[kMaxRank];
    coords(og, e, c);
    int64_t off = 0;
    for (int d = 0; d < og.rank; ++d) off += (c[d] % ig.dims[d]) * og.strides[d];
    y[e] = x[off];
  }
}

template <typename T>
__global__ void expand_kernel(const T* x, T* y, int64_t n, Geom g) {
  for (int64_t e = gtid(); e < n; e += gstride()) y[e] = x[offset_of(g, e)];
}

// Pad: og = output dims with input strides, ig = input dims, begin = leading pads.
template <typename T>
__global__ void pad_kernel(const T* x, T* y, int64_t n, Geom og, Geom ig, Geom begin, PadMode mode, const T* value) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    int64_t c[kMaxRank];
    coords(og, e, c);
    int64_t off = 0;
    bool inside = true;
    for (int d = 0; d < og.rank; ++d) {
      const int64_t dim = ig.dims[d];
      int64_t ci = c[d] - begin.dims[d];
      if (ci < 0 || ci >= dim) {
        switch (mode) {
          case PadMode::kConstant: inside = false; break;
          case PadMode::kEdge: ci = ci < 0 ? 0 : dim - 1; break;
          case PadMode::kWrap: ci = ((ci % dim) + dim) % dim; break;
          case PadMode::kReflect: {
            const int64_t period = 2 * (dim - 1);
            ci = ((ci % period) + period) % period;
            if (ci >= dim) ci = period - ci;
            break;
          }
        }
      }
      off += ci * og.strides[d];
    }
    y[e] = inside ? x[off] : (value ? value[0] : T{});
  }
}

template <typename T>
__global__ void reverse_sequence_kernel(const T* x, T* y, int64_t n, Geom g, int time_axis, int batch_axis,
                                        const int64_t* lens) {
  for (int64_t e = gtid(); e < n; e += gstride()) {
    int64_t c[kMaxRank];
    coords(g, e, c);
    int64_t len = lens[c[batch_axis]];
    const int64_t t_dim = g.dims[time_axis];
    len = len < 0 ? 0 : (len > t_dim ? t_dim : len);
    const int64_t t = c[time_axis];
    if (t < len) c[time_axis] = len - 1 - t;
    int64_t off = 0;
    for (int d = 0; d < g.rank; ++d) off += c[d] * g.strides[d];
    y[e] = x[off];
  }
}

template <typename T>
__global__ void fill_kernel(T* y, int64_t n, T v) {
  for (int64_t e = gtid(); e < n; e += gstride()) y[e] = v;
}

}  // namespace

void fill_bits(DType dtype, uint64_t bits, int64_t n, void* y, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "fill: negative element count");
  if (n == 0) return;
  dispatch_bits(dtype, "fill", [&](auto t) {
    using T = decltype(t);
    T v;
    std::memcpy(&v, &bits, sizeof(T));  // little-endian: the low bytes
    fill_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<T*>(y), n, v);
  });
  check_launch("fill");
}

void gather_elements(DType dtype, const void* x, const Dims& shape, const void* indices, DType indices_dtype,
                     const Dims& indices_shape, int64_t axis, void* y, int* error_flag, cudaStream_t stream) {
  check_shape(shape, "gather_elements");
  check_shape(indices_shape, "gather_elements");
  ONYX_CHECK(!shape.empty() && shape.size() == indices_shape.size(), "gather_elements: indices rank ",
             indices_shape.size(), " must equal data rank ", shape.size(), " (>= 1)");
  axis = norm_axis(axis, shape.size(), "gather_elements");
  for (size_t d = 0; d < shape.size(); ++d)
    ONYX_CHECK(static_cast<int64_t>(d) == axis || indices_shape[d] <= shape[d], "gather_elements: indices shape ",
               shape_str(indices_shape), " exceeds data shape ", shape_str(shape), " off the axis");
  const int64_t n = count(indices_shape);
  if (n == 0) return;
  const Geom g = geom_of(indices_shape, strides_of(shape));
  dispatch_bits(dtype, "gather_elements", [&](auto t) {
    using T = decltype(t);
    dispatch_index(indices_dtype, "gather_elements", [&](auto i) {
      using I = decltype(i);
      gather_elements_kernel<T, I><<<grid_for(n), kThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<const I*>(indices), static_cast<T*>(y), n, g, static_cast<int>(axis),
          shape[axis], error_flag);
    });
  });
  check_launch("gather_elements");
}

namespace {
template <typename F>
void dispatch_scatter(DType dtype, ScatterReduce r, const char* what, F&& f) {
  if (r == ScatterReduce::kNone) {
    dispatch_bits(dtype, what, f);
  } else {
    if (dtype == DType::kBool) unsupported(what, dtype);
    dispatch_numeric(dtype, what, f);
  }
}
}  // namespace

void scatter_elements(DType dtype, const void* data, const Dims& shape, const void* indices, DType indices_dtype,
                      const void* updates, const Dims& updates_shape, int64_t axis, ScatterReduce reduction, void* y,
                      int* error_flag, cudaStream_t stream) {
  check_shape(shape, "scatter_elements");
  check_shape(updates_shape, "scatter_elements");
  ONYX_CHECK(!shape.empty() && shape.size() == updates_shape.size(), "scatter_elements: updates rank ",
             updates_shape.size(), " must equal data rank ", shape.size(), " (>= 1)");
  axis = norm_axis(axis, shape.size(), "scatter_elements");
  for (size_t d = 0; d < shape.size(); ++d)
    ONYX_CHECK(static_cast<int64_t>(d) == axis || updates_shape[d] <= shape[d], "scatter_elements: updates shape ",
               shape_str(updates_shape), " exceeds data shape ", shape_str(shape), " off the axis");
  const int64_t n = count(shape);
  if (n == 0) return;
  check_cuda(cudaMemcpyAsync(y, data, static_cast<size_t>(n) * dtype_size(dtype), cudaMemcpyDeviceToDevice, stream),
             "scatter_elements: cudaMemcpyAsync");
  if (count(updates_shape) == 0) return;
  Dims line_dims = updates_shape;
  line_dims[axis] = 1;
  const int64_t n_lines = count(line_dims);
  const Geom lg = geom_of(line_dims, strides_of(updates_shape));
  const Geom yg = geom_of(shape, strides_of(shape));
  dispatch_scatter(dtype, reduction, "scatter_elements", [&](auto t) {
    using T = decltype(t);
    dispatch_index(indices_dtype, "scatter_elements", [&](auto i) {
      using I = decltype(i);
      scatter_elements_kernel<T, I><<<grid_for(n_lines), kThreads, 0, stream>>>(
          static_cast<const I*>(indices), static_cast<const T*>(updates), static_cast<T*>(y), n_lines, lg, yg,
          static_cast<int>(axis), updates_shape[axis], reduction, error_flag);
    });
  });
  check_launch("scatter_elements");
}

Dims gather_nd_shape(const Dims& shape, const Dims& indices_shape, int64_t batch_dims) {
  check_shape(shape, "gather_nd");
  check_shape(indices_shape, "gather_nd");
  const int64_t r = static_cast<int64_t>(shape.size()), q = static_cast<int64_t>(indices_shape.size());
  ONYX_CHECK(r >= 1 && q >= 1, "gather_nd: data and indices need rank >= 1");
  ONYX_CHECK(batch_dims >= 0 && batch_dims < std::min(r, q), "gather_nd: batch_dims ", batch_dims,
             " must be below both ranks");
  const int64_t last = indices_shape.back();
  ONYX_CHECK(last >= 1 && last <= r - batch_dims, "gather_nd: indices last dim ", last, " must be in [1, ",
             r - batch_dims, "]");
  for (int64_t d = 0; d < batch_dims; ++d)
    ONYX_CHECK(shape[d] == indices_shape[d], "gather_nd: batch dim ", d, " differs between data ", shape_str(shape),
               " and indices ", shape_str(indices_shape));
  Dims out(indices_shape.begin(), indices_shape.end() - 1);
  for (int64_t d = batch_dims + last; d < r; ++d) out.push_back(shape[d]);
  return out;
}

void gather_nd(DType dtype, const void* x, const Dims& shape, const void* indices, DType indices_dtype,
               const Dims& indices_shape, int64_t batch_dims, void* y, int* error_flag, cudaStream_t stream) {
  const Dims out = gather_nd_shape(shape, indices_shape, batch_dims);
  check_shape(out, "gather_nd");
  const int64_t n = count(out);
  if (n == 0) return;
  const int64_t q = indices_shape.back();
  const Dims st = strides_of(shape);
  NdIndex nd;
  nd.q = static_cast<int>(q);
  for (int64_t j = 0; j < q; ++j) {
    nd.dims[j] = shape[batch_dims + j];
    nd.strides[j] = st[batch_dims + j];
  }
  int64_t slice = 1;
  for (size_t d = batch_dims + q; d < shape.size(); ++d) slice *= shape[d];
  int64_t per_batch = 1;
  for (size_t d = batch_dims; d + 1 < indices_shape.size(); ++d) per_batch *= indices_shape[d];
  int64_t batch_stride = 1;
  for (size_t d = batch_dims; d < shape.size(); ++d) batch_stride *= shape[d];
  if (per_batch == 0 || slice == 0) return;
  dispatch_bits(dtype, "gather_nd", [&](auto t) {
    using T = decltype(t);
    dispatch_index(indices_dtype, "gather_nd", [&](auto i) {
      using I = decltype(i);
      gather_nd_kernel<T, I><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                    static_cast<const I*>(indices), static_cast<T*>(y),
                                                                    n, slice, per_batch, batch_stride, nd, error_flag);
    });
  });
  check_launch("gather_nd");
}

void scatter_nd(DType dtype, const void* data, const Dims& shape, const void* indices, DType indices_dtype,
                const Dims& indices_shape, const void* updates, ScatterReduce reduction, void* y, int* error_flag,
                cudaStream_t stream) {
  gather_nd_shape(shape, indices_shape, 0);  // validates ranks and the last index dim
  const int64_t n = count(shape);
  if (n == 0) return;
  check_cuda(cudaMemcpyAsync(y, data, static_cast<size_t>(n) * dtype_size(dtype), cudaMemcpyDeviceToDevice, stream),
             "scatter_nd: cudaMemcpyAsync");
  const int64_t q = indices_shape.back();
  const int64_t tuples = count(indices_shape) / q;
  if (tuples == 0) return;
  const Dims st = strides_of(shape);
  NdIndex nd;
  nd.q = static_cast<int>(q);
  for (int64_t j = 0; j < q; ++j) {
    nd.dims[j] = shape[j];
    nd.strides[j] = st[j];
  }
  int64_t slice = 1;
  for (size_t d = q; d < shape.size(); ++d) slice *= shape[d];
  if (slice == 0) return;
  dispatch_scatter(dtype, reduction, "scatter_nd", [&](auto t) {
    using T = decltype(t);
    dispatch_index(indices_dtype, "scatter_nd", [&](auto i) {
      using I = decltype(i);
      scatter_nd_kernel<T, I><<<grid_for(slice), kThreads, 0, stream>>>(static_cast<const I*>(indices),
                                                                         static_cast<const T*>(updates),
                                                                         static_cast<T*>(y), tuples, slice, nd,
                                                                         reduction, error_flag);
    });
  });
  check_launch("scatter_nd");
}

void trilu(DType dtype, const void* x, const Dims& shape, int64_t k, bool upper, void* y, cudaStream_t stream) {
  check_shape(shape, "trilu");
  ONYX_CHECK(shape.size() >= 2, "trilu: input needs rank >= 2, got ", shape.size());
  const int64_t n = count(shape);
  if (n == 0) return;
  const int64_t rows = shape[shape.size() - 2], cols = shape.back();
  dispatch_bits(dtype, "trilu", [&](auto t) {
    using T = decltype(t);
    trilu_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, rows, cols,
                                                           k, upper);
  });
  check_launch("trilu");
}

void range_fill(DType dtype, const void* start, const void* delta, int64_t n, void* y, cudaStream_t stream) {
  ONYX_CHECK(n >= 0, "range: negative element count");
  if (n == 0) return;
  dispatch_numeric(dtype, "range", [&](auto t) {
    using T = decltype(t);
    range_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(start), static_cast<const T*>(delta),
                                                           static_cast<T*>(y), n);
  });
  check_launch("range");
}

void one_hot(DType indices_dtype, const void* indices, const Dims& indices_shape, int64_t depth, int64_t axis,
             DType dtype, const void* values, void* y, cudaStream_t stream) {
  check_shape(indices_shape, "one_hot");
  ONYX_CHECK(depth >= 1, "one_hot: depth must be >= 1, got ", depth);
  const int64_t r = static_cast<int64_t>(indices_shape.size());
  ONYX_CHECK(axis >= 0 && axis <= r, "one_hot: axis ", axis, " out of range [0, ", r, "]");
  ONYX_CHECK(r < kMaxRank, "one_hot: output rank exceeds ", kMaxRank);
  int64_t inner = 1;
  for (int64_t d = axis; d < r; ++d) inner *= indices_shape[d];
  const int64_t n = count(indices_shape) * depth;
  if (n == 0) return;
  dispatch_numeric(indices_dtype, "one_hot", [&](auto i) {
    using I = decltype(i);
    dispatch_bits(dtype, "one_hot", [&](auto t) {
      using T = decltype(t);
      one_hot_kernel<I, T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const I*>(indices),
                                                                  static_cast<const T*>(values), static_cast<T*>(y), n,
                                                                  depth, inner);
    });
  });
  check_launch("one_hot");
}

void eye_like(DType dtype, int64_t rows, int64_t cols, int64_t k, void* y, cudaStream_t stream) {
  ONYX_CHECK(rows >= 0 && cols >= 0, "eye_like: negative dims");
  const int64_t n = rows * cols;
  if (n == 0) return;
  dispatch_all(dtype, "eye_like", [&](auto t) {
    using T = decltype(t);
    eye_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<T*>(y), n, cols, k);
  });
  check_launch("eye_like");
}

void tile(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& repeats, void* y,
          cudaStream_t stream) {
  check_shape(shape, "tile");
  ONYX_CHECK(repeats.size() == shape.size(), "tile: ", repeats.size(), " repeats for rank ", shape.size());
  Dims out = shape;
  for (size_t d = 0; d < shape.size(); ++d) {
    ONYX_CHECK(repeats[d] >= 0, "tile: negative repeat ", repeats[d]);
    out[d] = shape[d] * repeats[d];
  }
  const int64_t n = count(out);
  if (n == 0) return;
  const Geom og = geom_of(out, strides_of(shape)), ig = geom_of(shape, strides_of(shape));
  dispatch_bits(dtype, "tile", [&](auto t) {
    using T = decltype(t);
    tile_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, og, ig);
  });
  check_launch("tile");
}

void expand_any(DType dtype, const void* x, const Dims& shape, const Dims& out, void* y, cudaStream_t stream) {
  check_shape(shape, "expand");
  check_shape(out, "expand");
  ONYX_CHECK(shape.size() <= out.size() && broadcast_shapes(shape, out) == out, "expand: shape ", shape_str(shape),
             " does not broadcast to ", shape_str(out));
  const int64_t n = count(out);
  if (n == 0) return;
  const Geom g = geom_of(out, bcast_strides(shape, out.size()));
  dispatch_bits(dtype, "expand", [&](auto t) {
    using T = decltype(t);
    expand_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, g);
  });
  check_launch("expand");
}

void pad(DType dtype, const void* x, const Dims& shape, const std::vector<int64_t>& pads, PadMode mode,
         const void* value, void* y, cudaStream_t stream) {
  check_shape(shape, "pad");
  const size_t r = shape.size();
  ONYX_CHECK(pads.size() == 2 * r, "pad: ", pads.size(), " pads for rank ", r, " (need ", 2 * r, ")");
  Dims out(r);
  Dims begin(r);
  for (size_t d = 0; d < r; ++d) {
    out[d] = shape[d] + pads[d] + pads[d + r];
    ONYX_CHECK(out[d] >= 0, "pad: pads ", pads[d], ", ", pads[d + r], " crop more than dim ", d, " (", shape[d], ")");
    begin[d] = pads[d];
    const bool padded = pads[d] > 0 || pads[d + r] > 0;
    if (padded && mode == PadMode::kReflect)
      ONYX_CHECK(shape[d] >= 2, "pad: reflect mode needs dim ", d, " >= 2, got ", shape[d]);
    if (padded && (mode == PadMode::kEdge || mode == PadMode::kWrap))
      ONYX_CHECK(shape[d] >= 1, "pad: edge/wrap mode cannot pad the empty dim ", d);
  }
  const int64_t n = count(out);
  if (n == 0) return;
  const Geom og = geom_of(out, strides_of(shape)), ig = geom_of(shape, strides_of(shape));
  const Geom bg = geom_of(begin, begin);
  dispatch_bits(dtype, "pad", [&](auto t) {
    using T = decltype(t);
    pad_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, og, ig, bg,
                                                         mode, static_cast<const T*>(value));
  });
  check_launch("pad");
}

void reverse_sequence(DType dtype, const void* x, const Dims& shape, const int64_t* lens, int64_t time_axis,
                      int64_t batch_axis, void* y, cudaStream_t stream) {
  check_shape(shape, "reverse_sequence");
  ONYX_CHECK(shape.size() >= 2, "reverse_sequence: input needs rank >= 2");
  ONYX_CHECK((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0),
             "reverse_sequence: time_axis/batch_axis must be 0/1 or 1/0");
  const int64_t n = count(shape);
  if (n == 0) return;
  const Geom g = geom_of(shape, strides_of(shape));
  dispatch_bits(dtype, "reverse_sequence", [&](auto t) {
    using T = decltype(t);
    reverse_sequence_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n,
                                                                      g, static_cast<int>(time_axis),
                                                                      static_cast<int>(batch_axis), lens);
  });
  check_launch("reverse_sequence");
}

}  // namespace onyx::cuda
