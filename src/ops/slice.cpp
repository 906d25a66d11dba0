// Slice: a strided window of the data, per axis [start, end) with step (negative steps walk backwards);
// starts and ends are clamped to the axis. Before opset 10 starts/ends/axes were attributes (upgraded to
// inputs); negative axes and steps from opset 10/11.
#include <set>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void upgrade_slice_1(Node& node) {
  auto move = [&](const char* name, size_t index, bool required) {
    if (const Attribute* a = node.find_attr(name)) {
      std::vector<int64_t> v = a->ints;
      set_constant_input(node, index, Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v),
                         name);
      node.remove_attr(name);
    } else if (required) {
      fail_bad_input(node.describe(), ": attribute '", name, "' is required");
    }
  };
  move("starts", 1, true);
  move("ends", 2, true);
  move("axes", 3, false);
}

struct AxisSlice {
  size_t axis;
  int64_t start, end, step;
};

// Validated (axis, start, end, step) per sliced axis, with raw (unclamped) starts/ends.
std::vector<AxisSlice> slice_params(const Node& node, size_t rank, const std::vector<int64_t>& starts,
                                    const std::vector<int64_t>& ends,
                                    const std::optional<std::vector<int64_t>>& axes,
                                    const std::optional<std::vector<int64_t>>& steps) {
  if (starts.size() != ends.size())
    fail_bad_input(node.describe(), ": starts has ", starts.size(), " entries, ends has ", ends.size());
  if (axes && axes->size() != starts.size())
    fail_bad_input(node.describe(), ": axes has ", axes->size(), " entries, starts has ", starts.size());
  if (steps && steps->size() != starts.size())
    fail_bad_input(node.describe(), ": steps has ", steps->size(), " entries, starts has ", starts.size());
  if (!axes && starts.size() > rank)
    fail_bad_input(node.describe(), ": ", starts.size(), " starts for an input of rank ", rank);
  std::vector<AxisSlice> out;
  std::set<size_t> seen;
  for (size_t i = 0; i < starts.size(); ++i) {
    const size_t axis =
        axes ? static_cast<size_t>(normalize_axis((*axes)[i], static_cast<int64_t>(rank), node)) : i;
    if (!seen.insert(axis).second) fail_bad_input(node.describe(), ": axis ", axis, " is sliced twice");
    const int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) fail_bad_input(node.describe(), ": step 0 on axis ", axis);
    out.push_back({axis, starts[i], ends[i], step});
  }
  return out;
}

// Clamps start/end to an axis of size `dim`; returns (start, count).
std::pair<int64_t, int64_t> clamp_slice(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  int64_t count;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    count = end > start ? (end - start - 1) / step + 1 : 0;
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    // |step| in unsigned arithmetic: -INT64_MIN does not fit int64.
    const uint64_t mag = uint64_t{0} - static_cast<uint64_t>(step);
    count = start > end ? static_cast<int64_t>(static_cast<uint64_t>(start - end - 1) / mag + 1) : 0;
  }
  return {start, count};
}

std::optional<std::vector<int64_t>> optional_ints(const KernelContext& ctx, size_t i, const char* what) {
  if (!ctx.has_input(i)) return std::nullopt;
  return int_input(ctx, i, what);
}

void run_slice(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const auto params =
      slice_params(ctx.node(), x.rank(), int_input(ctx, 1, "starts"), int_input(ctx, 2, "ends"),
                   optional_ints(ctx, 3, "axes"), optional_ints(ctx, 4, "steps"));
  const std::vector<int64_t> in_strides = row_major_strides(x.dims());
  std::vector<int64_t> out_dims = x.dims();
  std::vector<int64_t> src_strides = in_strides;
  int64_t base = 0;
  for (const AxisSlice& p : params) {
    auto [start, count] = clamp_slice(p.start, p.end, p.step, x.dim(p.axis));
    out_dims[p.axis] = count;
    if (count > 0) base += start * in_strides[p.axis];
    src_strides[p.axis] = count > 1 ? in_strides[p.axis] * p.step : 0;  // count > 1 implies |step| < dim
  }
  Tensor out(x.dtype(), out_dims);
  dispatch_storage(x.dtype(), "Slice", [&]<typename S>() {
    copy_strided(elems<S>(x), base, src_strides, elems<S>(out), 0, row_major_strides(out_dims), out_dims);
  });
  ctx.set_output(0, std::move(out));
}

void infer_slice(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  const auto starts = known_ints(ctx, 1);
  const auto ends = known_ints(ctx, 2);
  std::optional<std::vector<int64_t>> axes, steps;
  bool axes_known = true, steps_known = true;
  if (ctx.has_input(3)) axes_known = (axes = known_ints(ctx, 3)).has_value();
  if (ctx.has_input(4)) steps_known = (steps = known_ints(ctx, 4)).has_value();
  // known_ints only succeeds when every value is exact (a constant, or a partial of known non-negative
  // numbers).
  std::vector<Dim> out = in.dims();
  if (!axes_known) {
    ctx.set_output(0, dt, unknown_dims(in.rank()));
    return;
  }
  if (!starts || !ends || !steps_known) {
    // The sliced axes are unknown; the others keep their size.
    if (axes) {
      for (int64_t a : *axes)
        out[static_cast<size_t>(normalize_axis(a, static_cast<int64_t>(in.rank()), ctx.node()))] = Dim();
    } else if (auto n = known_length(ctx, 1)) {
      for (size_t i = 0; i < out.size() && static_cast<int64_t>(i) < *n; ++i) out[i] = Dim();
    } else {
      out = unknown_dims(in.rank()).dims();
    }
    ctx.set_output(0, dt, Shape(std::move(out)));
    return;
  }
  const auto params = slice_params(ctx.node(), in.rank(), *starts, *ends, axes, steps);
  for (const AxisSlice& p : params) {
    const Dim& d = in[p.axis];
    if (d.is_known()) {
      out[p.axis] = clamp_slice(p.start, p.end, p.step, d.value()).second;
    } else {
      // The whole axis (start 0, end past any size, step 1) keeps a symbolic size.
      const bool whole = p.step == 1 && p.start == 0 && p.end >= (int64_t{1} << 31) - 1;
      out[p.axis] = whole ? d : Dim();
    }
  }
  ctx.set_output(0, dt, Shape(std::move(out)));
  // Slicing a shape-like value slices its elements.
  if (const auto* part = ctx.input_partial(0); part && in.rank() == 1) {
    const int64_t n = static_cast<int64_t>(part->size());
    if (params.empty()) {
      ctx.set_output_partial(0, *part);
    } else {
      auto [start, count] = clamp_slice(params[0].start, params[0].end, params[0].step, n);
      std::vector<Dim> sliced;
      for (int64_t i = 0; i < count; ++i)
        sliced.push_back((*part)[static_cast<size_t>(start + i * params[0].step)]);
      ctx.set_output_partial(0, std::move(sliced));
    }
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Slice",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_slice,
                  .run = run_slice,
                  .upgrade = upgrade_slice_1});
ONYX_REGISTER_OP(
    {.op_type = "Slice", .since_version = 10, .inputs = {3, 5}, .infer = infer_slice, .run = run_slice});

}  // namespace onyx
