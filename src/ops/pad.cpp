// Pad: pads (or, with negative pads, crops) each axis. Modes: constant (a value, default 0), reflect (mirror
// without repeating the edge), edge (repeat the edge), wrap (opset 19: cyclic). Opset 1 called the attribute
// `paddings`; opsets 1-10 took pads and value as attributes (upgraded to inputs; the float `value` attribute
// is kept as the fill when no constant_value input exists); opset 18 adds the `axes` input.
#include <cstdlib>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

void upgrade_pad_1(Node& node) {
  if (const Attribute* a = node.find_attr("paddings")) {
    Attribute pads = *a;
    pads.name = "pads";
    node.remove_attr("paddings");
    node.set_attr(pads);
  }
}

void upgrade_pad_2(Node& node) {
  const Attribute* a = node.find_attr("pads");
  if (!a) fail_bad_input(node.describe(), ": attribute 'pads' is required");
  std::vector<int64_t> pads = a->ints;
  set_constant_input(node, 1, Tensor::from_vector<int64_t>({static_cast<int64_t>(pads.size())}, pads),
                     "pads");
  node.remove_attr("pads");
}

enum class Mode { kConstant, kReflect, kEdge, kWrap };

Mode pad_mode(const Node& node) {
  const std::string m = node.attr_string("mode", "constant");
  if (m == "constant") return Mode::kConstant;
  if (m == "reflect") return Mode::kReflect;
  if (m == "edge") return Mode::kEdge;
  if (m == "wrap" && node.opset >= 19) return Mode::kWrap;
  fail_bad_input(node.describe(), ": mode '", m, "' is not supported at opset ", node.opset);
}

// Per-axis (begin, end) pads for an input of `rank`, from the pads and optional axes inputs.
std::vector<std::pair<int64_t, int64_t>> axis_pads(const Node& node, size_t rank,
                                                   const std::vector<int64_t>& pads,
                                                   const std::optional<std::vector<int64_t>>& axes) {
  std::vector<int64_t> ax;
  if (axes) {
    for (int64_t a : *axes) ax.push_back(normalize_axis(a, static_cast<int64_t>(rank), node));
  } else {
    for (size_t i = 0; i < rank; ++i) ax.push_back(static_cast<int64_t>(i));
  }
  if (pads.size() != 2 * ax.size())
    fail_bad_input(node.describe(), ": pads ", dims_to_string(pads), " must have ", 2 * ax.size(),
                   " entries");
  std::vector<std::pair<int64_t, int64_t>> out(rank, {0, 0});
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < ax.size(); ++i) {
    const size_t a = static_cast<size_t>(ax[i]);
    if (seen[a]) fail_bad_input(node.describe(), ": axis ", a, " is repeated");
    // Bounded so that size arithmetic cannot overflow; anything larger could never be allocated anyway.
    constexpr int64_t kMaxPad = int64_t{1} << 48;
    if (std::abs(pads[i]) > kMaxPad || std::abs(pads[i + ax.size()]) > kMaxPad)
      fail_bad_input(node.describe(), ": pads ", dims_to_string(pads), " are too large");
    seen[a] = true;
    out[a] = {pads[i], pads[i + ax.size()]};
  }
  return out;
}

// Maps coordinate i (possibly outside [0, d)) into the input by mode; -1 for the constant fill.
inline int64_t map_coord(int64_t i, int64_t d, Mode mode) {
  if (i >= 0 && i < d) return i;
  switch (mode) {
    case Mode::kConstant:
      return -1;
    case Mode::kEdge:
      return i < 0 ? 0 : d - 1;
    case Mode::kWrap:
      return ((i % d) + d) % d;
    case Mode::kReflect: {
      if (d == 1) return 0;
      const int64_t p = 2 * (d - 1);
      int64_t m = ((i % p) + p) % p;
      return m >= d ? p - m : m;
    }
  }
  return -1;
}

void run_pad(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Mode mode = pad_mode(ctx.node());
  std::optional<std::vector<int64_t>> axes;
  if (ctx.has_input(3)) axes = int_input(ctx, 3, "axes");
  const auto pads = axis_pads(ctx.node(), x.rank(), int_input(ctx, 1, "pads"), axes);
  const size_t rank = x.rank();
  std::vector<int64_t> out_dims(rank);
  for (size_t i = 0; i < rank; ++i) {
    if (__builtin_add_overflow(x.dim(i), pads[i].first + pads[i].second, &out_dims[i]))
      ctx.fail("axis ", i, " is too large to pad");
    if (out_dims[i] < 0)
      ctx.fail("pads ", pads[i].first, ", ", pads[i].second, " remove more than axis ", i, " of size ",
               x.dim(i));
    if (mode != Mode::kConstant && x.dim(i) == 0 && out_dims[i] > 0)
      ctx.fail("cannot pad the empty axis ", i, " in a non-constant mode");
  }
  // The fill value as a one-element tensor of the data's dtype.
  Tensor fill(x.dtype(), {});
  if (ctx.has_input(2)) {
    const Tensor& v = ctx.input(2);
    if (v.dtype() != x.dtype())
      ctx.fail("constant_value dtype ", dtype_name(v.dtype()), " differs from data dtype ",
               dtype_name(x.dtype()));
    if (v.numel() != 1) ctx.fail("constant_value must hold one element, got ", dims_to_string(v.dims()));
    fill = v.reshaped({});
  } else if (ctx.node().has_attr("value") && x.dtype() != DType::kString) {
    fill = Tensor::scalar<float>(ctx.node().attr_float("value", 0)).cast(x.dtype());
  }
  Tensor out(x.dtype(), out_dims);
  if (out.numel() == 0) {
    ctx.set_output(0, std::move(out));
    return;
  }
  const std::vector<int64_t> in_strides = row_major_strides(x.dims());
  dispatch_storage(x.dtype(), "Pad", [&]<typename S>() {
    const S* src = elems<S>(x);
    S* dst = elems<S>(out);
    const S value = elems<S>(fill)[0];
    if (rank == 0) {
      dst[0] = src[0];
      return;
    }
    const int64_t inner = out_dims[rank - 1];
    const int64_t in_inner = x.dim(rank - 1);
    const int64_t begin = pads[rank - 1].first;
    // Source index of each position of the last axis (-1: fill). A Tensor, so the table (8 bytes per position,
    // more than the output itself for 1-byte dtypes) passes the same memory limits as any tensor.
    Tensor table(DType::kInt64, {inner});
    int64_t* last = table.data<int64_t>();
    for (int64_t j = 0; j < inner; ++j) last[j] = map_coord(j - begin, in_inner, mode);
    const int64_t rows = out.numel() / inner;
    std::vector<int64_t> counter(rank, 0);
    for (int64_t row = 0; row < rows; ++row) {
      int64_t in_off = 0;
      bool filled = false;
      for (size_t d = 0; d + 1 < rank; ++d) {
        const int64_t c = map_coord(counter[d] - pads[d].first, x.dim(d), mode);
        if (c < 0) {
          filled = true;
          break;
        }
        in_off += c * in_strides[d];
      }
      S* o = dst + row * inner;
      if (filled) {
        std::fill_n(o, inner, value);
      } else {
        for (int64_t j = 0; j < inner; ++j) {
          const int64_t s = last[j];
          o[j] = s < 0 ? value : src[in_off + s];
        }
      }
      for (size_t d = rank - 1; d-- > 0;) {
        if (++counter[d] < out_dims[d]) break;
        counter[d] = 0;
      }
    }
  });
  ctx.set_output(0, std::move(out));
}

void infer_pad(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  pad_mode(ctx.node());
  if (!in.rank_known()) {
    ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  const auto pads_v = known_ints(ctx, 1);  // exact values only (pads may be negative)
  std::optional<std::vector<int64_t>> axes;
  bool axes_known = true;
  if (ctx.has_input(3)) axes_known = (axes = known_ints(ctx, 3)).has_value();
  if (!pads_v || !axes_known) {
    ctx.set_output(0, dt, unknown_dims(in.rank()));
    return;
  }
  const auto pads = axis_pads(ctx.node(), in.rank(), *pads_v, axes);
  std::vector<Dim> out = in.dims();
  for (size_t i = 0; i < in.rank(); ++i) {
    const int64_t delta = pads[i].first + pads[i].second;
    if (in[i].is_known()) {
      int64_t size;
      if (__builtin_add_overflow(in[i].value(), delta, &size)) ctx.fail("axis ", i, " is too large to pad");
      if (size < 0) ctx.fail("pads remove more than axis ", i, " of size ", in[i].value());
      out[i] = size;
    } else if (delta != 0) {
      out[i] = Dim();
    }
  }
  ctx.set_output(0, dt, Shape(std::move(out)));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Pad",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_pad,
                  .run = run_pad,
                  .upgrade = upgrade_pad_1});
ONYX_REGISTER_OP({.op_type = "Pad",
                  .since_version = 2,
                  .inputs = {1, 1},
                  .infer = infer_pad,
                  .run = run_pad,
                  .upgrade = upgrade_pad_2});
ONYX_REGISTER_OP(
    {.op_type = "Pad", .since_version = 11, .inputs = {2, 3}, .infer = infer_pad, .run = run_pad});
ONYX_REGISTER_OP(
    {.op_type = "Pad", .since_version = 18, .inputs = {2, 4}, .infer = infer_pad, .run = run_pad});
ONYX_REGISTER_OP(
    {.op_type = "Pad", .since_version = 19, .inputs = {2, 4}, .infer = infer_pad, .run = run_pad});

}  // namespace onyx
