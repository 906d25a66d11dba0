// Reshape: the data with a new shape. A 0 in the shape copies the input's dimension (unless allowzero, opset
// 14), one -1 is inferred from the element count. Opset 1 took the shape as an attribute (upgraded to the
// input form).
#include <set>

#include "shape_ops_util.h"

namespace onyx {
namespace {

using namespace shape_ops;

// Concrete output dims of reshaping `in` to `shape`.
std::vector<int64_t> reshape_dims(const std::vector<int64_t>& in, const std::vector<int64_t>& shape,
                                  bool allowzero, const Node& node) {
  std::vector<int64_t> out(shape.size());
  int infer_at = -1;
  bool has_zero = false;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t v = shape[i];
    if (v == -1) {
      if (infer_at >= 0)
        fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " has more than one -1");
      infer_at = static_cast<int>(i);
      continue;
    }
    if (v < -1) fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " has invalid value ", v);
    if (v == 0) {
      has_zero = true;
      if (!allowzero) {
        if (i >= in.size())
          fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " copies dimension ", i,
                         " (0) but the input ", dims_to_string(in), " has rank ", in.size());
        v = in[i];
      }
    }
    out[i] = v;
    if (v != 0 && known > std::numeric_limits<int64_t>::max() / v)
      fail_bad_input(node.describe(), ": shape ", dims_to_string(shape), " is too large");
    known *= v;
  }
  const int64_t numel = checked_numel(in);
  if (infer_at >= 0) {
    if (allowzero && has_zero)
      fail_bad_input(node.describe(), ": shape ", dims_to_string(shape),
                     " has both 0 and -1 with allowzero=1");
    if (known == 0 || numel % known != 0)
      fail_bad_input(node.describe(), ": cannot reshape ", dims_to_string(in), " to ", dims_to_string(shape));
    out[static_cast<size_t>(infer_at)] = numel / known;
  } else if (known != numel) {
    fail_bad_input(node.describe(), ": cannot reshape ", dims_to_string(in), " (", numel, " elements) to ",
                   dims_to_string(shape));
  }
  return out;
}

void run_reshape(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const std::vector<int64_t> shape = int_input(ctx, 1, "shape");
  const bool allowzero = ctx.node().attr_int("allowzero", 0) != 0;
  ctx.set_output(0, x.reshaped(reshape_dims(x.dims(), shape, allowzero, ctx.node())));
}

// The one output dim to solve (`slot`) from the input's dims and the other output dims, cancelling symbols.
Dim solve_dim(const Shape& in, const std::vector<Dim>& out, size_t slot) {
  if (!in.rank_known()) return Dim();
  int64_t in_known = 1;
  std::multiset<std::string> in_syms;
  for (const Dim& d : in.dims()) {
    if (d.is_known()) {
      if (d.value() != 0 && in_known > std::numeric_limits<int64_t>::max() / d.value()) return Dim();
      in_known *= d.value();
    } else if (d.is_symbolic()) {
      in_syms.insert(d.symbol_name());
    } else {
      return Dim();
    }
  }
  int64_t out_known = 1;
  for (size_t j = 0; j < out.size(); ++j) {
    if (j == slot) continue;
    const Dim& d = out[j];
    if (d.is_known()) {
      if (d.value() != 0 && out_known > std::numeric_limits<int64_t>::max() / d.value()) return Dim();
      out_known *= d.value();
    } else if (d.is_symbolic()) {
      auto it = in_syms.find(d.symbol_name());
      if (it == in_syms.end()) return Dim();
      in_syms.erase(it);
    } else {
      return Dim();
    }
  }
  if (out_known == 0 || in_known == 0) return Dim();
  if (in_syms.empty()) return in_known % out_known == 0 ? Dim(in_known / out_known) : Dim();
  if (in_syms.size() == 1 && in_known == out_known) return Dim::symbol(*in_syms.begin());
  return Dim();
}

void infer_reshape(InferContext& ctx) {
  const DType dt = ctx.input_dtype(0);
  const Shape& in = ctx.input_shape(0);
  const bool allowzero = ctx.node().attr_int("allowzero", 0) != 0;
  // Exact target values (a constant: -1 is -1) or a partial (unknown entries may be -1 or a runtime size).
  std::vector<Dim> target;
  bool exact = false;
  if (const Tensor* c = ctx.input_constant(1);
      c && c->rank() <= 1 && (c->dtype() == DType::kInt64 || c->dtype() == DType::kInt32)) {
    if (auto dims = in.static_dims()) {
      ctx.set_output(0, dt,
                     Shape::from_dims(reshape_dims(*dims, c->to_int64_vector(), allowzero, ctx.node())));
      if (const auto* p = ctx.input_partial(0); p && c->numel() <= 1) ctx.set_output_partial(0, *p);
      return;
    }
    for (int64_t v : c->to_int64_vector()) {
      if (v < -1) ctx.fail("shape has invalid value ", v);
      target.emplace_back(v);  // -1 becomes an unknown Dim: the slot to solve
    }
    exact = true;
  } else if (const auto* p = ctx.input_partial(1)) {
    target = *p;
  } else {
    if (auto n = known_length(ctx, 1))
      ctx.set_output(0, dt, unknown_dims(static_cast<size_t>(*n)));
    else
      ctx.set_output(0, dt, Shape::unknown_rank());
    return;
  }
  std::vector<Dim> out(target.size());
  std::vector<size_t> slots;
  for (size_t i = 0; i < target.size(); ++i) {
    const Dim& t = target[i];
    if (t.is_known() && t.value() == 0 && !allowzero) {
      if (in.rank_known() && i >= in.rank())
        ctx.fail("shape copies dimension ", i, " (0) but the input has rank ", in.rank());
      out[i] = in.rank_known() ? in[i] : Dim();
    } else if (t.is_known() || t.is_symbolic()) {
      out[i] = t;
    } else {
      slots.push_back(i);
    }
  }
  if (exact && slots.size() > 1) ctx.fail("shape has more than one -1");
  if (slots.size() == 1) out[slots[0]] = solve_dim(in, out, slots[0]);
  ctx.set_output(0, dt, Shape(out));
  // Reshaping a shape-like value between 0-D and 1-D keeps its elements.
  if (const auto* p = ctx.input_partial(0); p && out.size() <= 1) ctx.set_output_partial(0, *p);
}

// Reshape-1: the shape was an attribute.
void upgrade_reshape_1(Node& node) {
  if (const Attribute* a = node.find_attr("shape")) {
    std::vector<int64_t> shape = a->ints;
    set_constant_input(node, 1, Tensor::from_vector<int64_t>({static_cast<int64_t>(shape.size())}, shape),
                       "shape");
    node.remove_attr("shape");
  } else if (!node.input(1)) {
    fail_bad_input(node.describe(), ": attribute 'shape' is required");
  }
  node.remove_attr("consumed_inputs");
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Reshape",
                  .since_version = 1,
                  .inputs = {1, 2},
                  .infer = infer_reshape,
                  .run = run_reshape,
                  .upgrade = upgrade_reshape_1});
ONYX_REGISTER_OP(
    {.op_type = "Reshape", .since_version = 5, .inputs = {2, 2}, .infer = infer_reshape, .run = run_reshape});
ONYX_REGISTER_OP({.op_type = "Reshape",
                  .since_version = 14,
                  .inputs = {2, 2},
                  .infer = infer_reshape,
                  .run = run_reshape});

}  // namespace onyx
