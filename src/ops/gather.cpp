// Gather (slices of `data` along `axis` picked by `indices`), GatherElements (elements picked per position
// along `axis`) and GatherND (slices picked by index tuples, after `batch_dims` leading batch axes). Negative
// indices count from the end (opset 11); an index out of range is an error naming the node.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

const Tensor& index_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    ctx.fail("indices must be int32 or int64, got ", dtype_name(t.dtype()));
  return t;
}

// Index k of `indices` (int32/int64) checked against [-dim, dim) and made non-negative.
inline int64_t checked_index(const Tensor& indices, int64_t k, int64_t dim, const KernelContext& ctx,
                             size_t axis) {
  const int64_t raw =
      indices.dtype() == DType::kInt64 ? indices.data<int64_t>()[k] : indices.data<int32_t>()[k];
  if (raw < -dim || raw >= dim)
    ctx.fail("index ", raw, " is out of range [", -dim, ", ", dim - 1, "] for axis ", axis, " of size ", dim);
  return raw < 0 ? raw + dim : raw;
}

void check_index_dtype(const InferContext& ctx, size_t i) {
  const DType d = ctx.input_dtype(i);
  if (d != DType::kUndefined && d != DType::kInt64 && d != DType::kInt32)
    ctx.fail("indices must be int32 or int64, got ", dtype_name(d));
}

// ---- Gather ----

void run_gather(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = index_input(ctx, 1);
  if (data.rank() == 0) ctx.fail("data must have rank >= 1");
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(data.rank()), ctx.node()));
  std::vector<int64_t> out_dims(data.dims().begin(), data.dims().begin() + static_cast<int64_t>(axis));
  out_dims.insert(out_dims.end(), indices.dims().begin(), indices.dims().end());
  out_dims.insert(out_dims.end(), data.dims().begin() + static_cast<int64_t>(axis) + 1, data.dims().end());
  const int64_t dim = data.dim(axis);
  std::vector<int64_t> idx(static_cast<size_t>(indices.numel()));
  for (int64_t k = 0; k < indices.numel(); ++k)
    idx[static_cast<size_t>(k)] = checked_index(indices, k, dim, ctx, axis);
  Tensor out(data.dtype(), out_dims);
  const int64_t outer = product(data.dims(), 0, axis);
  const int64_t inner = product(data.dims(), axis + 1, data.rank());
  const int64_t n = indices.numel();
  dispatch_storage(data.dtype(), "Gather", [&]<typename S>() {
    const S* src = elems<S>(data);
    S* dst = elems<S>(out);
    if (inner == 0) return;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < n; ++k)
        std::copy_n(src + (o * dim + idx[static_cast<size_t>(k)]) * inner, inner, dst + (o * n + k) * inner);
  });
  ctx.set_output(0, std::move(out));
}

void infer_gather(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  check_index_dtype(ctx, 1);
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  if (!data.rank_known() || !indices.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (data.rank() == 0) ctx.fail("data must have rank >= 1");
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(data.rank()), ctx.node()));
  std::vector<Dim> out(data.dims().begin(), data.dims().begin() + static_cast<int64_t>(axis));
  out.insert(out.end(), indices.dims().begin(), indices.dims().end());
  out.insert(out.end(), data.dims().begin() + static_cast<int64_t>(axis) + 1, data.dims().end());
  ctx.set_output(0, dt, Shape(std::move(out)));
  // Gathering from a shape-like value picks its elements (Shape -> Gather(axis 0) -> ...).
  const auto* part = ctx.input_partial(0);
  const Tensor* idx = ctx.input_constant(1);
  if (part && idx && data.rank() == 1 && indices.rank() <= 1) {
    const int64_t n = static_cast<int64_t>(part->size());
    std::vector<Dim> picked;
    for (int64_t v : idx->to_int64_vector()) {
      if (v < -n || v >= n)
        ctx.fail("index ", v, " is out of range [", -n, ", ", n - 1, "] for axis 0 of size ", n);
      picked.push_back((*part)[static_cast<size_t>(v < 0 ? v + n : v)]);
    }
    ctx.set_output_partial(0, std::move(picked));
  }
}

// ---- GatherElements ----

void run_gather_elements(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = index_input(ctx, 1);
  const size_t rank = data.rank();
  if (rank == 0) ctx.fail("data must have rank >= 1");
  if (indices.rank() != rank)
    ctx.fail("indices ", dims_to_string(indices.dims()), " must have the rank of data ",
             dims_to_string(data.dims()));
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(rank), ctx.node()));
  for (size_t d = 0; d < rank; ++d)
    if (d != axis && indices.dim(d) > data.dim(d))
      ctx.fail("indices ", dims_to_string(indices.dims()), " exceed data ", dims_to_string(data.dims()),
               " on axis ", d);
  Tensor out(data.dtype(), indices.dims());
  const std::vector<int64_t> data_strides = row_major_strides(data.dims());
  const int64_t dim = data.dim(axis);
  dispatch_storage(data.dtype(), "GatherElements", [&]<typename S>() {
    const S* src = elems<S>(data);
    S* dst = elems<S>(out);
    std::vector<int64_t> counter(rank, 0);
    for (int64_t k = 0; k < indices.numel(); ++k) {
      int64_t off = 0;
      for (size_t d = 0; d < rank; ++d)
        off += (d == axis ? checked_index(indices, k, dim, ctx, axis) : counter[d]) * data_strides[d];
      dst[k] = src[off];
      for (size_t d = rank; d-- > 0;) {
        if (++counter[d] < indices.dim(d)) break;
        counter[d] = 0;
      }
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_gather_elements(InferContext& ctx) {
  check_index_dtype(ctx, 1);
  ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(1));
}

// ---- GatherND ----

struct NDLayout {
  int64_t batch = 1;   // product of the batch dims
  int64_t tuples = 1;  // index tuples per batch
  int64_t k = 0;       // tuple length
  int64_t slice = 1;   // elements per picked slice
  std::vector<int64_t> out_dims;
};

NDLayout nd_layout(const std::vector<int64_t>& data, const std::vector<int64_t>& indices, int64_t b,
                   const Node& node) {
  const int64_t r = static_cast<int64_t>(data.size());
  const int64_t q = static_cast<int64_t>(indices.size());
  if (r < 1 || q < 1) fail_bad_input(node.describe(), ": data and indices must have rank >= 1");
  if (b < 0 || b >= std::min(r, q))
    fail_bad_input(node.describe(), ": batch_dims ", b, " must be in [0, ", std::min(r, q) - 1, "]");
  NDLayout l;
  l.k = indices.back();
  if (l.k < 1 || l.k > r - b)
    fail_bad_input(node.describe(), ": the last indices dimension ", l.k, " must be in [1, ", r - b, "]");
  for (int64_t i = 0; i < b; ++i) {
    if (data[static_cast<size_t>(i)] != indices[static_cast<size_t>(i)])
      fail_bad_input(node.describe(), ": batch dimensions of data ", dims_to_string(data), " and indices ",
                     dims_to_string(indices), " differ");
    l.batch *= data[static_cast<size_t>(i)];
  }
  for (int64_t i = b; i < q - 1; ++i) l.tuples *= indices[static_cast<size_t>(i)];
  for (int64_t i = b + l.k; i < r; ++i) l.slice *= data[static_cast<size_t>(i)];
  l.out_dims.assign(indices.begin(), indices.end() - 1);
  l.out_dims.insert(l.out_dims.end(), data.begin() + b + l.k, data.end());
  return l;
}

void run_gather_nd(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  if (indices.dtype() != DType::kInt64) ctx.fail("indices must be int64, got ", dtype_name(indices.dtype()));
  const int64_t b = ctx.node().attr_int("batch_dims", 0);
  const NDLayout l = nd_layout(data.dims(), indices.dims(), b, ctx.node());
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const int64_t batch_stride = product(data.dims(), static_cast<size_t>(b), data.rank());
  // Data offsets of every picked slice, checked before any copy.
  std::vector<int64_t> offsets(static_cast<size_t>(l.batch * l.tuples));
  const int64_t* idx = indices.data<int64_t>();
  for (int64_t t = 0; t < l.batch * l.tuples; ++t) {
    int64_t off = (t / std::max<int64_t>(l.tuples, 1)) * batch_stride;
    for (int64_t j = 0; j < l.k; ++j) {
      const size_t axis = static_cast<size_t>(b + j);
      const int64_t dim = data.dim(axis);
      int64_t v = idx[t * l.k + j];
      if (v < -dim || v >= dim)
        ctx.fail("index ", v, " is out of range [", -dim, ", ", dim - 1, "] for axis ", axis, " of size ",
                 dim);
      if (v < 0) v += dim;
      off += v * strides[axis];
    }
    offsets[static_cast<size_t>(t)] = off;
  }
  Tensor out(data.dtype(), l.out_dims);
  dispatch_storage(data.dtype(), "GatherND", [&]<typename S>() {
    const S* src = elems<S>(data);
    S* dst = elems<S>(out);
    for (size_t t = 0; t < offsets.size(); ++t)
      std::copy_n(src + offsets[t], l.slice, dst + static_cast<int64_t>(t) * l.slice);
  });
  ctx.set_output(0, std::move(out));
}

void infer_gather_nd(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& data = ctx.input_shape(0);
  const Shape& indices = ctx.input_shape(1);
  if (!data.rank_known() || !indices.rank_known() || indices.rank() == 0 ||
      !indices.dims().back().is_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  const int64_t k = indices.dims().back().value();
  const int64_t b = ctx.node().attr_int("batch_dims", 0);
  const int64_t r = static_cast<int64_t>(data.rank());
  const int64_t q = static_cast<int64_t>(indices.rank());
  if (b < 0 || b >= std::min(r, q)) ctx.fail("batch_dims ", b, " must be in [0, ", std::min(r, q) - 1, "]");
  if (k < 1 || k > r - b) ctx.fail("the last indices dimension ", k, " must be in [1, ", r - b, "]");
  std::vector<Dim> out(indices.dims().begin(), indices.dims().end() - 1);
  out.insert(out.end(), data.dims().begin() + b + k, data.dims().end());
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP(
    {.op_type = "Gather", .since_version = 1, .inputs = {2, 2}, .infer = infer_gather, .run = run_gather});
ONYX_REGISTER_OP({.op_type = "GatherElements",
                  .since_version = 11,
                  .inputs = {2, 2},
                  .infer = infer_gather_elements,
                  .run = run_gather_elements});
ONYX_REGISTER_OP({.op_type = "GatherND",
                  .since_version = 11,
                  .inputs = {2, 2},
                  .infer = infer_gather_nd,
                  .run = run_gather_nd});
ONYX_REGISTER_OP({.op_type = "GatherND",
                  .since_version = 12,
                  .inputs = {2, 2},
                  .infer = infer_gather_nd,
                  .run = run_gather_nd});

}  // namespace onyx
