// ScatterElements (and the deprecated Scatter, its opset-9 name): a copy of `data` with `updates` written at
// the positions `indices` give along `axis`. ScatterND: slices written at index tuples. `reduction` (opset
// 16: add, mul; opset 18: max, min) combines the update with the existing value instead of replacing it.
// Duplicate indices with reduction "none" take the last update.
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

Reduction parse_reduction(const Node& node) {
  const std::string r = node.attr_string("reduction", "none");
  const int64_t opset = node.op_type == "Scatter" ? 9 : node.opset;
  if (r == "none") return Reduction::kNone;
  if (opset >= 16 && r == "add") return Reduction::kAdd;
  if (opset >= 16 && r == "mul") return Reduction::kMul;
  if (opset >= 18 && r == "max") return Reduction::kMax;
  if (opset >= 18 && r == "min") return Reduction::kMin;
  fail_bad_input(node.describe(), ": reduction '", r, "' is not supported at opset ", opset);
}

// Applies `apply(dst_offset, src_offset, count)` writes: copies, or reduces in the compute type.
template <typename Writes>
void scatter_into(KernelContext& ctx, Tensor& out, const Tensor& updates, Reduction red, const char* op,
                  Writes&& writes) {
  if (red == Reduction::kNone) {
    dispatch_storage(out.dtype(), op, [&]<typename S>() {
      S* dst = elems<S>(out);
      const S* src = elems<S>(updates);
      writes([&](int64_t d, int64_t s, int64_t n) { std::copy_n(src + s, n, dst + d); });
    });
    return;
  }
  auto reduce = [&]<typename T>() {
    using C = compute_t<T>;
    T* dst = out.data<T>();
    const T* src = updates.data<T>();
    writes([&](int64_t d, int64_t s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) {
        const C a = static_cast<C>(dst[d + i]);
        const C b = static_cast<C>(src[s + i]);
        C r;
        switch (red) {
          case Reduction::kAdd:
            r = static_cast<C>(a + b);
            break;
          case Reduction::kMul:
            r = static_cast<C>(a * b);
            break;
          case Reduction::kMax:
            r = b > a ? b : a;
            break;
          default:
            r = b < a ? b : a;
            break;
        }
        dst[d + i] = to_storage<T>(r);
      }
    });
  };
  if (out.dtype() == DType::kBool) {
    if (red == Reduction::kAdd || red == Reduction::kMax) {
      bool* dst = out.data<bool>();
      const bool* src = updates.data<bool>();
      writes([&](int64_t d, int64_t s, int64_t n) {
        for (int64_t i = 0; i < n; ++i) dst[d + i] = dst[d + i] || src[s + i];
      });
    } else {
      bool* dst = out.data<bool>();
      const bool* src = updates.data<bool>();
      writes([&](int64_t d, int64_t s, int64_t n) {
        for (int64_t i = 0; i < n; ++i) dst[d + i] = dst[d + i] && src[s + i];
      });
    }
    return;
  }
  dispatch_numeric(out.dtype(), ctx.node().describe(), reduce);
}

// ---- ScatterElements / Scatter ----

void run_scatter_elements(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  if (indices.dtype() != DType::kInt64 && indices.dtype() != DType::kInt32)
    ctx.fail("indices must be int32 or int64, got ", dtype_name(indices.dtype()));
  if (updates.dtype() != data.dtype())
    ctx.fail("updates dtype ", dtype_name(updates.dtype()), " differs from data dtype ",
             dtype_name(data.dtype()));
  if (updates.dims() != indices.dims())
    ctx.fail("updates ", dims_to_string(updates.dims()), " must have the shape of indices ",
             dims_to_string(indices.dims()));
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
  const Reduction red = parse_reduction(ctx.node());
  // Target offsets, all checked before writing.
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const std::vector<int64_t> idx = indices.to_int64_vector();
  const int64_t dim = data.dim(axis);
  std::vector<int64_t> targets(idx.size());
  std::vector<int64_t> counter(rank, 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    int64_t v = idx[k];
    if (v < -dim || v >= dim)
      ctx.fail("index ", v, " is out of range [", -dim, ", ", dim - 1, "] for axis ", axis, " of size ", dim);
    if (v < 0) v += dim;
    int64_t off = 0;
    for (size_t d = 0; d < rank; ++d) off += (d == axis ? v : counter[d]) * strides[d];
    targets[k] = off;
    for (size_t d = rank; d-- > 0;) {
      if (++counter[d] < indices.dim(d)) break;
      counter[d] = 0;
    }
  }
  Tensor out = data.clone();
  scatter_into(ctx, out, updates, red, "ScatterElements", [&](auto&& write) {
    for (size_t k = 0; k < targets.size(); ++k) write(targets[k], static_cast<int64_t>(k), 1);
  });
  ctx.set_output(0, std::move(out));
}

void infer_scatter(InferContext& ctx) {
  parse_reduction(ctx.node());
  ctx.set_output_type(0, ctx.input_type(0));
}

// ---- ScatterND ----

void run_scatter_nd(KernelContext& ctx) {
  const Tensor& data = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  const Tensor& updates = ctx.input(2);
  if (indices.dtype() != DType::kInt64) ctx.fail("indices must be int64, got ", dtype_name(indices.dtype()));
  if (updates.dtype() != data.dtype())
    ctx.fail("updates dtype ", dtype_name(updates.dtype()), " differs from data dtype ",
             dtype_name(data.dtype()));
  const int64_t r = static_cast<int64_t>(data.rank());
  if (r < 1 || indices.rank() < 1) ctx.fail("data and indices must have rank >= 1");
  const int64_t k = indices.dims().back();
  if (k < 1 || k > r) ctx.fail("the last indices dimension ", k, " must be in [1, ", r, "]");
  std::vector<int64_t> expect(indices.dims().begin(), indices.dims().end() - 1);
  expect.insert(expect.end(), data.dims().begin() + k, data.dims().end());
  if (updates.dims() != expect)
    ctx.fail("updates ", dims_to_string(updates.dims()), " must have shape ", dims_to_string(expect),
             " for data ", dims_to_string(data.dims()), " and indices ", dims_to_string(indices.dims()));
  const Reduction red = parse_reduction(ctx.node());
  const std::vector<int64_t> strides = row_major_strides(data.dims());
  const int64_t slice = product(data.dims(), static_cast<size_t>(k), data.rank());
  const int64_t tuples = product(indices.dims(), 0, indices.rank() - 1);
  const int64_t* idx = indices.data<int64_t>();
  std::vector<int64_t> targets(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; ++j) {
      const size_t axis = static_cast<size_t>(j);
      const int64_t dim = data.dim(axis);
      int64_t v = idx[t * k + j];
      if (v < -dim || v >= dim)
        ctx.fail("index ", v, " is out of range [", -dim, ", ", dim - 1, "] for axis ", axis, " of size ",
                 dim);
      if (v < 0) v += dim;
      off += v * strides[axis];
    }
    targets[static_cast<size_t>(t)] = off;
  }
  Tensor out = data.clone();
  scatter_into(ctx, out, updates, red, "ScatterND", [&](auto&& write) {
    for (size_t t = 0; t < targets.size(); ++t) write(targets[t], static_cast<int64_t>(t) * slice, slice);
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Scatter",
                  .since_version = 9,
                  .inputs = {3, 3},
                  .infer = infer_scatter,
                  .run = run_scatter_elements});
ONYX_REGISTER_OP({.op_type = "ScatterElements",
                  .since_version = 11,
                  .inputs = {3, 3},
                  .infer = infer_scatter,
                  .run = run_scatter_elements});
ONYX_REGISTER_OP({.op_type = "ScatterND",
                  .since_version = 11,
                  .inputs = {3, 3},
                  .infer = infer_scatter,
                  .run = run_scatter_nd});

}  // namespace onyx
