// Concat: joins tensors of one dtype and rank along `axis` (required from opset 4; opset 1 defaulted to 1).
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

int64_t concat_axis(const Node& node, int64_t rank) {
  if (!node.has_attr("axis") && node.opset >= 4)
    fail_bad_input(node.describe(), ": attribute 'axis' is required");
  return normalize_axis(node.attr_int("axis", 1), rank, node);
}

void run_concat(KernelContext& ctx) {
  std::vector<const Tensor*> ins;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) ins.push_back(&ctx.input(i));
  if (ins.empty()) ctx.fail("needs at least one input");
  const Tensor& first = *ins[0];
  const size_t rank = first.rank();
  if (rank == 0) ctx.fail("inputs must have rank >= 1, got a scalar");
  const size_t axis = static_cast<size_t>(concat_axis(ctx.node(), static_cast<int64_t>(rank)));
  std::vector<int64_t> out_dims = first.dims();
  out_dims[axis] = 0;
  for (const Tensor* t : ins) {
    if (t->dtype() != first.dtype())
      ctx.fail("inputs have different dtypes ", dtype_name(first.dtype()), " and ", dtype_name(t->dtype()));
    bool ok = t->rank() == rank;
    for (size_t d = 0; ok && d < rank; ++d) ok = d == axis || t->dim(d) == first.dim(d);
    if (!ok)
      ctx.fail("cannot concatenate shapes ", dims_to_string(first.dims()), " and ", dims_to_string(t->dims()),
               " on axis ", axis);
    out_dims[axis] += t->dim(axis);
  }
  Tensor out(first.dtype(), out_dims);
  const int64_t outer = product(out_dims, 0, axis);
  const int64_t inner = product(out_dims, axis + 1, rank);
  const int64_t out_row = out_dims[axis] * inner;
  dispatch_storage(first.dtype(), "Concat", [&]<typename S>() {
    S* dst = elems<S>(out);
    int64_t offset = 0;
    for (const Tensor* t : ins) {
      const S* src = elems<S>(*t);
      const int64_t chunk = t->dim(axis) * inner;
      if (chunk == 0) continue;
      for (int64_t o = 0; o < outer; ++o) std::copy_n(src + o * chunk, chunk, dst + o * out_row + offset);
      offset += chunk;
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_concat(InferContext& ctx) {
  DType dt = DType::kUndefined;
  std::optional<size_t> rank;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const DType d = ctx.input_dtype(i);
    if (d != DType::kUndefined) {
      if (dt != DType::kUndefined && d != dt)
        ctx.fail("inputs have different dtypes ", dtype_name(dt), " and ", dtype_name(d));
      dt = d;
    }
    const Shape& s = ctx.input_shape(i);
    if (s.rank_known()) {
      if (rank && *rank != s.rank()) ctx.fail("inputs have different ranks ", *rank, " and ", s.rank());
      rank = s.rank();
    }
  }
  if (!rank) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (*rank == 0) ctx.fail("inputs must have rank >= 1, got a scalar");
  const size_t axis = static_cast<size_t>(concat_axis(ctx.node(), static_cast<int64_t>(*rank)));
  std::vector<Dim> out(*rank);
  Dim total(0);
  bool total_known = true;
  bool first = true;
  std::vector<Dim> partial;
  bool partial_ok = true;
  bool any_partial = false;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    const Shape& s = ctx.input_shape(i);
    // Elements of shape-like inputs; an input of known length without a partial adds unknown elements.
    if (const auto* p = ctx.input_partial(i)) {
      partial.insert(partial.end(), p->begin(), p->end());
      any_partial = true;
    } else if (auto len = known_length(ctx, i); len && s.rank() == 1 && *len <= 64) {
      partial.insert(partial.end(), static_cast<size_t>(*len), Dim());
    } else {
      partial_ok = false;
    }
    if (!s.rank_known()) {
      total_known = false;
      continue;
    }
    for (size_t d = 0; d < *rank; ++d) {
      if (d == axis) continue;
      if (!first && out[d].is_known() && s[d].is_known() && out[d].value() != s[d].value())
        ctx.fail("cannot concatenate dimension ", d, " of sizes ", out[d].value(), " and ", s[d].value());
      out[d] = first ? s[d] : merge_dim(out[d], s[d]);
    }
    first = false;
    if (s[axis].is_known() && total_known)
      total = Dim(total.value() + s[axis].value());
    else
      total_known = false;
  }
  out[axis] = total_known ? total : Dim();
  // A single input keeps a symbolic axis size.
  if (!total_known) {
    size_t count = 0;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) count += ctx.has_input(i);
    for (size_t i = 0; count == 1 && i < ctx.num_inputs(); ++i)
      if (ctx.has_input(i) && ctx.input_shape(i).rank_known()) out[axis] = ctx.input_shape(i)[axis];
  }
  ctx.set_output(0, dt, Shape(std::move(out)));
  if (partial_ok && any_partial && *rank == 1) ctx.set_output_partial(0, std::move(partial));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Concat",
                  .since_version = 1,
                  .inputs = {1, INT_MAX},
                  .infer = infer_concat,
                  .run = run_concat});
ONYX_REGISTER_OP({.op_type = "Concat",
                  .since_version = 4,
                  .inputs = {1, INT_MAX},
                  .infer = infer_concat,
                  .run = run_concat});

}  // namespace onyx
