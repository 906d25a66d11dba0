// Transpose: permutes the axes (default: reverses them). Output dim i is input dim perm[i].
#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

std::vector<int64_t> transpose_perm(const Node& node, size_t rank) {
  std::vector<int64_t> perm;
  if (node.has_attr("perm")) {
    perm = node.attr_ints("perm");
    if (perm.size() != rank)
      fail_bad_input(node.describe(), ": perm ", dims_to_string(perm), " has ", perm.size(),
                     " entries for an input of rank ", rank);
    std::vector<bool> seen(rank, false);
    for (int64_t& p : perm) {
      p = normalize_axis(p, static_cast<int64_t>(rank), node);
      if (seen[static_cast<size_t>(p)])
        fail_bad_input(node.describe(), ": perm ", dims_to_string(node.attr_ints("perm")),
                       " is not a permutation");
      seen[static_cast<size_t>(p)] = true;
    }
  } else {
    for (size_t i = rank; i-- > 0;) perm.push_back(static_cast<int64_t>(i));
  }
  return perm;
}

void run_transpose(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> perm = transpose_perm(ctx.node(), x.rank());
  const std::vector<int64_t> in_strides = row_major_strides(x.dims());
  std::vector<int64_t> out_dims(x.rank()), src_strides(x.rank());
  for (size_t i = 0; i < x.rank(); ++i) {
    out_dims[i] = x.dim(static_cast<size_t>(perm[i]));
    src_strides[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), "Transpose", [&]<typename S>() {
    copy_strided(elems<S>(x), 0, src_strides, elems<S>(out), 0, row_major_strides(out_dims), out_dims);
  });
  ctx.set_output(0, std::move(out));
}

void infer_transpose(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    const auto perm = ctx.node().attr_ints("perm");
    ctx.set_output(0, dt, ctx.node().has_attr("perm") ? unknown_dims(perm.size()) : Shape::unknown_rank());
    return;
  }
  const std::vector<int64_t> perm = transpose_perm(ctx.node(), in.rank());
  std::vector<Dim> out;
  for (int64_t p : perm) out.push_back(in[static_cast<size_t>(p)]);
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Transpose",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_transpose,
                  .run = run_transpose});

}  // namespace onyx
