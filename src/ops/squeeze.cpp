// Squeeze (removes size-1 axes: the given ones, or all of them) and Unsqueeze (inserts size-1 axes at the
// given positions of the output). Before opset 13 `axes` was an attribute (upgraded to the input form);
// negative axes from opset 11.
#include <set>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

// Moves the `axes` attribute of an old version to input 1.
void upgrade_axes_attr(Node& node) {
  if (const Attribute* a = node.find_attr("axes")) {
    std::vector<int64_t> axes = a->ints;
    set_constant_input(node, 1, Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes),
                       "axes");
    node.remove_attr("axes");
  }
}

void upgrade_unsqueeze(Node& node) {
  if (!node.has_attr("axes")) fail_bad_input(node.describe(), ": attribute 'axes' is required");
  upgrade_axes_attr(node);
}

// Normalized, duplicate-free axes.
std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const Node& node) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    const int64_t n = normalize_axis(a, rank, node);
    if (!seen.insert(n).second) fail_bad_input(node.describe(), ": axis ", a, " is repeated");
    out.push_back(n);
  }
  return out;
}

// ---- Squeeze ----

std::vector<int64_t> squeeze_dims(const std::vector<int64_t>& in,
                                  const std::optional<std::vector<int64_t>>& axes, const Node& node) {
  std::vector<bool> drop(in.size(), false);
  if (axes) {
    for (int64_t a : normalize_axes(*axes, static_cast<int64_t>(in.size()), node)) {
      if (in[static_cast<size_t>(a)] != 1)
        fail_bad_input(node.describe(), ": cannot squeeze axis ", a, " of shape ", dims_to_string(in),
                       ": its size is not 1");
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  return out;
}

void run_squeeze(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.has_input(1)) axes = int_input(ctx, 1, "axes");
  if (axes && axes->empty()) axes.reset();  // an empty list squeezes every size-1 axis, like no list
  ctx.set_output(0, x.reshaped(squeeze_dims(x.dims(), axes, ctx.node())));
}

void infer_squeeze(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  std::optional<std::vector<int64_t>> axes;
  if (ctx.has_input(1)) {
    axes = known_ints(ctx, 1);
    if (!axes || !in.rank_known()) {
      // The rank drops by the number of axes when that is known.
      auto n = known_length(ctx, 1);
      if (in.rank_known() && n && *n <= static_cast<int64_t>(in.rank()))
        ctx.set_output(0, dt, unknown_dims(in.rank() - static_cast<size_t>(*n)));
      else
        ctx.set_output(0, dt, Shape::unknown_rank());
      return;
    }
    if (axes->empty()) axes.reset();
  }
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  std::vector<bool> drop(in.rank(), false);
  if (axes) {
    for (int64_t a : normalize_axes(*axes, static_cast<int64_t>(in.rank()), ctx.node())) {
      const Dim& d = in[static_cast<size_t>(a)];
      if (d.is_known() && d.value() != 1)
        ctx.fail("cannot squeeze axis ", a, " of shape ", in.to_string(), ": its size is not 1");
      drop[static_cast<size_t>(a)] = true;
    }
  } else {
    for (size_t i = 0; i < in.rank(); ++i) {
      if (!in[i].is_known()) {  // might be 1 at run time: the rank is unknown
        ctx.set_output(0, dt, Shape::unknown_rank());
        return;
      }
      drop[i] = in[i].value() == 1;
    }
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < in.rank(); ++i)
    if (!drop[i]) out.push_back(in[i]);
  const size_t out_rank = out.size();
  ctx.set_output(0, dt, Shape(std::move(out)));
  if (const auto* p = ctx.input_partial(0); p && out_rank <= 1) ctx.set_output_partial(0, *p);
}

// ---- Unsqueeze ----

std::vector<Dim> unsqueeze_dims(const std::vector<Dim>& in, const std::vector<int64_t>& axes,
                                const Node& node) {
  const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
  std::vector<bool> inserted(static_cast<size_t>(out_rank), false);
  for (int64_t a : normalize_axes(axes, out_rank, node)) inserted[static_cast<size_t>(a)] = true;
  std::vector<Dim> out;
  size_t next = 0;
  for (size_t i = 0; i < inserted.size(); ++i) out.push_back(inserted[i] ? Dim(1) : in[next++]);
  return out;
}

void run_unsqueeze(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!ctx.has_input(1)) ctx.fail("axes are required");
  const std::vector<int64_t> axes = int_input(ctx, 1, "axes");
  std::vector<Dim> in;
  for (int64_t d : x.dims()) in.emplace_back(d);
  std::vector<int64_t> out;
  for (const Dim& d : unsqueeze_dims(in, axes, ctx.node())) out.push_back(d.value());
  ctx.set_output(0, x.reshaped(out));
}

void infer_unsqueeze(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!ctx.has_input(1)) ctx.fail("axes are required");
  auto axes = known_ints(ctx, 1);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  if (!axes) {
    if (auto n = known_length(ctx, 1))
      ctx.set_output(0, dt, unknown_dims(in.rank() + static_cast<size_t>(*n)));
    else
      ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  std::vector<Dim> out = unsqueeze_dims(in.dims(), *axes, ctx.node());
  const size_t out_rank = out.size();
  ctx.set_output(0, dt, Shape(std::move(out)));
  if (const auto* p = ctx.input_partial(0); p && out_rank <= 1) ctx.set_output_partial(0, *p);
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Squeeze",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_squeeze,
                  .run = run_squeeze,
                  .upgrade = upgrade_axes_attr});
ONYX_REGISTER_OP({.op_type = "Squeeze",
                  .since_version = 13,
                  .inputs = {1, 2},
                  .infer = infer_squeeze,
                  .run = run_squeeze});
ONYX_REGISTER_OP({.op_type = "Unsqueeze",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_unsqueeze,
                  .run = run_unsqueeze,
                  .upgrade = upgrade_unsqueeze});
ONYX_REGISTER_OP({.op_type = "Unsqueeze",
                  .since_version = 13,
                  .inputs = {2, 2},
                  .infer = infer_unsqueeze,
                  .run = run_unsqueeze});

}  // namespace onyx
