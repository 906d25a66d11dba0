// Split: cuts a tensor along `axis` into pieces of the sizes given by `split` (an attribute before opset 13,
// an input from 13), or into equal parts (one per output; from opset 18 `num_outputs` with a smaller last
// piece).
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

// Split-1/2/11: `split` as an attribute (opset 1 also accepted it as input 1, which is kept).
void upgrade_split(Node& node) {
  if (const Attribute* a = node.find_attr("split")) {
    std::vector<int64_t> split = a->ints;
    set_constant_input(node, 1, Tensor::from_vector<int64_t>({static_cast<int64_t>(split.size())}, split),
                       "split");
    node.remove_attr("split");
  }
}

// The piece sizes along an axis of size `dim`, for `outputs` outputs.
std::vector<int64_t> split_sizes(const Node& node, int64_t dim,
                                 const std::optional<std::vector<int64_t>>& split, size_t outputs) {
  if (split) {
    if (split->size() != outputs)
      fail_bad_input(node.describe(), ": split ", dims_to_string(*split), " has ", split->size(),
                     " entries for ", outputs, " outputs");
    int64_t sum = 0;
    for (int64_t s : *split) {
      if (s < 0 || s > dim)
        fail_bad_input(node.describe(), ": split ", dims_to_string(*split), " has a size outside [0, ", dim,
                       "]");
      sum += s;
    }
    if (sum != dim)
      fail_bad_input(node.describe(), ": split ", dims_to_string(*split), " sums to ", sum,
                     ", the axis has size ", dim);
    return *split;
  }
  int64_t n = static_cast<int64_t>(outputs);
  if (node.has_attr("num_outputs")) {
    n = node.attr_int("num_outputs", 0);
    if (n < 1 || n != static_cast<int64_t>(outputs))
      fail_bad_input(node.describe(), ": num_outputs ", n, " does not match the ", outputs, " outputs");
  }
  if (n < 1) fail_bad_input(node.describe(), ": needs at least one output");
  std::vector<int64_t> sizes;
  if (node.has_attr("num_outputs")) {
    // Opset 18: pieces of ceil(dim / n), the last one smaller.
    const int64_t chunk = (dim + n - 1) / n;
    int64_t left = dim;
    for (int64_t i = 0; i < n; ++i) {
      sizes.push_back(std::min(chunk, left));
      left -= sizes.back();
    }
    return sizes;
  }
  if (dim % n != 0)
    fail_bad_input(node.describe(), ": axis of size ", dim, " cannot be split into ", n, " equal parts");
  return std::vector<int64_t>(static_cast<size_t>(n), dim / n);
}

std::optional<std::vector<int64_t>> split_input(const KernelContext& ctx) {
  if (!ctx.has_input(1)) return std::nullopt;
  return int_input(ctx, 1, "split");
}

void run_split(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (x.rank() == 0) ctx.fail("cannot split a scalar");
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(x.rank()), ctx.node()));
  const std::vector<int64_t> sizes =
      split_sizes(ctx.node(), x.dim(axis), split_input(ctx), ctx.num_outputs());
  const int64_t outer = product(x.dims(), 0, axis);
  const int64_t inner = product(x.dims(), axis + 1, x.rank());
  const int64_t in_row = x.dim(axis) * inner;
  int64_t offset = 0;
  for (size_t k = 0; k < sizes.size(); ++k) {
    std::vector<int64_t> dims = x.dims();
    dims[axis] = sizes[k];
    const int64_t chunk = sizes[k] * inner;
    if (ctx.output_wanted(k)) {
      Tensor out(x.dtype(), dims);
      dispatch_storage(x.dtype(), "Split", [&]<typename S>() {
        const S* src = elems<S>(x);
        S* dst = elems<S>(out);
        if (chunk > 0)
          for (int64_t o = 0; o < outer; ++o) std::copy_n(src + o * in_row + offset, chunk, dst + o * chunk);
      });
      ctx.set_output(k, std::move(out));
    }
    offset += chunk;
  }
}

void infer_split(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const size_t n = ctx.num_outputs();
  if (!in.rank_known()) {
    for (size_t k = 0; k < n; ++k) ctx.set_output(k, dt, Shape::unknown_rank());
    return;
  }
  if (in.rank() == 0) ctx.fail("cannot split a scalar");
  const size_t axis = static_cast<size_t>(
      normalize_axis(ctx.node().attr_int("axis", 0), static_cast<int64_t>(in.rank()), ctx.node()));
  std::optional<std::vector<int64_t>> split;
  bool sizes_known = true;
  if (ctx.has_input(1)) {
    split = known_ints(ctx, 1);
    sizes_known = split.has_value();
  }
  std::vector<Dim> piece(n);  // unknown unless computable
  if (sizes_known && (split || in[axis].is_known())) {
    if (split && !in[axis].is_known()) {
      for (size_t k = 0; k < n && k < split->size(); ++k) piece[k] = (*split)[k];
    } else {
      const auto sizes = split_sizes(ctx.node(), in[axis].value(), split, n);
      for (size_t k = 0; k < n; ++k) piece[k] = sizes[k];
    }
  } else if (!split && n == 1) {
    piece[0] = in[axis];
  }
  for (size_t k = 0; k < n; ++k) {
    std::vector<Dim> dims = in.dims();
    dims[axis] = piece[k];
    ctx.set_output(k, dt, Shape(std::move(dims)));
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Split",
                  .since_version = 1,
                  .inputs = {1, 2},
                  .outputs = {1, INT_MAX},
                  .infer = infer_split,
                  .run = run_split,
                  .upgrade = upgrade_split});
ONYX_REGISTER_OP({.op_type = "Split",
                  .since_version = 13,
                  .inputs = {1, 2},
                  .outputs = {1, INT_MAX},
                  .infer = infer_split,
                  .run = run_split});
ONYX_REGISTER_OP({.op_type = "Split",
                  .since_version = 18,
                  .inputs = {1, 2},
                  .outputs = {1, INT_MAX},
                  .infer = infer_split,
                  .run = run_split});

}  // namespace onyx
