// Scan: iterates `body` over slices of M scan inputs, carrying N state values, and stacks K per-iteration scan
// outputs.
//
// Scan-8: inputs (sequence_lens?, states..., scan inputs...). Everything is batched on axis 0 and scanned on axis 1;
// each batch row runs its own loop of sequence_lens[b] iterations (default: the whole axis); `directions` reverses
// scan inputs. Scan outputs are padded with zeros up to the longest sequence.
// Scan-9 (and 11, 16, 19, 21, 23, which only allow negative axes and widen types): no batching; scan_input_axes,
// scan_input_directions, scan_output_axes, scan_output_directions choose axes and directions.
#include <algorithm>

#include "control_util.h"
#include "onyx/limits.h"
#include "op.h"

namespace onyx {
namespace {

struct ScanAttrs {
  const Graph* body = nullptr;
  bool batched = false;  // Scan-8
  size_t n_state = 0;    // N
  size_t n_scan_in = 0;  // M
  size_t n_scan_out = 0; // K
  std::vector<int64_t> in_axes, in_dirs, out_axes, out_dirs;
};

ScanAttrs scan_attrs(const Node& node, bool batched) {
  ScanAttrs a;
  a.batched = batched;
  a.body = node.attr_graph("body");
  if (!a.body) fail_bad_input(node.describe(), ": attribute body (a graph) is required");
  const int64_t m = node.attr_int("num_scan_inputs");
  const size_t first = batched ? 1 : 0;  // Scan-8's sequence_lens comes first
  const size_t given = node.num_inputs() > first ? node.num_inputs() - first : 0;
  if (m < 1 || static_cast<size_t>(m) > given)
    fail_bad_input(node.describe(), ": num_scan_inputs is ", m, " but the node has ", given,
                   " state and scan inputs");
  a.n_scan_in = static_cast<size_t>(m);
  a.n_state = given - a.n_scan_in;
  if (node.num_outputs() < a.n_state)
    fail_bad_input(node.describe(), ": node has ", node.num_outputs(), " outputs, fewer than its ", a.n_state,
                   " states");
  a.n_scan_out = node.num_outputs() - a.n_state;
  if (a.body->inputs.size() != a.n_state + a.n_scan_in)
    fail_bad_input(node.describe(), ": body has ", a.body->inputs.size(), " inputs, expected ", a.n_state, " states + ",
                   a.n_scan_in, " scan inputs");
  if (a.body->outputs.size() != a.n_state + a.n_scan_out)
    fail_bad_input(node.describe(), ": body has ", a.body->outputs.size(), " outputs, expected ", a.n_state,
                   " states + ", a.n_scan_out, " scan outputs");
  auto list = [&](const char* name, size_t n, int64_t def) {
    std::vector<int64_t> v = node.attr_ints(name, std::vector<int64_t>(n, def));
    if (v.size() != n) fail_bad_input(node.describe(), ": attribute ", name, " has ", v.size(), " entries, expected ", n);
    return v;
  };
  if (batched) {
    a.in_dirs = list("directions", a.n_scan_in, 0);
    a.in_axes.assign(a.n_scan_in, 1);
    a.out_axes.assign(a.n_scan_out, 0);  // within a batch row; the row axis is prepended
    a.out_dirs.assign(a.n_scan_out, 0);
  } else {
    a.in_axes = list("scan_input_axes", a.n_scan_in, 0);
    a.in_dirs = list("scan_input_directions", a.n_scan_in, 0);
    a.out_axes = list("scan_output_axes", a.n_scan_out, 0);
    a.out_dirs = list("scan_output_directions", a.n_scan_out, 0);
  }
  for (const auto* dirs : {&a.in_dirs, &a.out_dirs})
    for (int64_t d : *dirs)
      if (d != 0 && d != 1) fail_bad_input(node.describe(), ": directions must be 0 or 1, got ", d);
  for (size_t i = 0; i < a.n_state + a.n_scan_in; ++i)
    if (!node.input(first + i)) fail_bad_input(node.describe(), ": input ", first + i, " is missing");
  return a;
}

// ---- inference ----------------------------------------------------------------------------------------------------

Shape drop_dim(const Shape& s, size_t axis) {
  std::vector<Dim> d = s.dims();
  d.erase(d.begin() + static_cast<std::ptrdiff_t>(axis));
  return Shape(d);
}

void infer_scan_impl(InferContext& ctx, bool batched) {
  const ScanAttrs a = scan_attrs(ctx.node(), batched);
  const size_t first = batched ? 1 : 0;
  std::vector<TypeInfo> body_in;
  Dim batch, length;
  for (size_t i = 0; i < a.n_state; ++i) {
    TypeInfo t = ctx.input_type(first + i);
    if (batched && t.kind == TypeInfo::Kind::kTensor && t.shape.rank_known()) {
      if (t.shape.rank() < 1) ctx.fail("state ", i, " must have a batch axis, got ", t.to_string());
      t = TypeInfo::tensor(t.dtype, drop_dim(t.shape, 0));
    }
    body_in.push_back(t);
  }
  for (size_t j = 0; j < a.n_scan_in; ++j) {
    const TypeInfo& t = ctx.input_type(first + a.n_state + j);
    if (t.kind != TypeInfo::Kind::kTensor || !t.shape.rank_known()) {
      body_in.push_back(TypeInfo::tensor(t.dtype));
      continue;
    }
    const int64_t rank = static_cast<int64_t>(t.shape.rank());
    if (batched) {
      if (rank < 2) ctx.fail("scan input ", j, " must have batch and sequence axes, got ", t.to_string());
      if (j == 0) batch = t.shape[0], length = t.shape[1];
      body_in.push_back(TypeInfo::tensor(t.dtype, drop_dim(drop_dim(t.shape, 0), 0)));
    } else {
      const size_t axis = static_cast<size_t>(normalize_axis(a.in_axes[j], rank, ctx.node()));
      if (j == 0) length = t.shape[axis];
      body_in.push_back(TypeInfo::tensor(t.dtype, drop_dim(t.shape, axis)));
    }
  }
  const std::vector<TypeInfo> body_out = ctx.infer_subgraph(*a.body, body_in);
  for (size_t i = 0; i < body_out.size(); ++i) {
    const TypeInfo& e = body_out[i];
    if (e.kind != TypeInfo::Kind::kTensor) continue;
    if (!e.shape.rank_known()) {
      ctx.set_output_type(i, TypeInfo::tensor(e.dtype));
      continue;
    }
    std::vector<Dim> dims = e.shape.dims();
    if (i >= a.n_state) {
      const int64_t axis = normalize_axis(a.out_axes[i - a.n_state], static_cast<int64_t>(dims.size()) + 1,
                                          ctx.node());
      dims.insert(dims.begin() + axis, length);
    }
    if (batched) dims.insert(dims.begin(), batch);
    ctx.set_output_type(i, TypeInfo::tensor(e.dtype, Shape(dims)));
  }
}

void infer_scan8(InferContext& ctx) { infer_scan_impl(ctx, true); }
void infer_scan9(InferContext& ctx) { infer_scan_impl(ctx, false); }

// ---- kernel -------------------------------------------------------------------------------------------------------

// One unbatched scan: states and scan inputs given, `length` iterations. Returns final states then scan outputs
// (as lists of per-iteration elements in output order).
struct ScanResult {
  std::vector<RunValue> states;
  std::vector<std::vector<Tensor>> scan_elems;
};

ScanResult scan_once(KernelContext& ctx, const ScanAttrs& a, std::vector<RunValue> states,
                     const std::vector<Tensor>& inputs, const std::vector<size_t>& axes, int64_t length) {
  ScanResult r;
  r.scan_elems.resize(a.n_scan_out);
  if (length > limits().max_loop_iterations)
    ctx.fail("scan of ", length, " iterations exceeds the limit of ", limits().max_loop_iterations,
             " iterations (--max-loop-iterations)");
  for (int64_t t = 0; t < length; ++t) {
    std::vector<RunValue> body_in = states;
    for (size_t j = 0; j < a.n_scan_in; ++j) {
      const int64_t pos = a.in_dirs[j] ? length - 1 - t : t;
      body_in.emplace_back(control::slice_axis(inputs[j], axes[j], pos, 1, false));
    }
    std::vector<RunValue> out = ctx.run_subgraph(*a.body, std::move(body_in));
    if (out.size() != a.n_state + a.n_scan_out)
      ctx.fail("body produced ", out.size(), " outputs, expected ", a.n_state + a.n_scan_out);
    for (size_t i = 0; i < a.n_state; ++i) states[i] = std::move(out[i]);
    for (size_t k = 0; k < a.n_scan_out; ++k) {
      RunValue& v = out[a.n_state + k];
      if (!v.is_tensor()) ctx.fail("scan output ", k, " must be a tensor, got ", v.describe());
      auto& elems = r.scan_elems[k];
      if (!elems.empty() && (elems[0].dims() != v.tensor.dims() || elems[0].dtype() != v.tensor.dtype()))
        ctx.fail("scan output ", k, " changes from ", elems[0].describe(), " to ", v.tensor.describe(),
                 " between iterations");
      elems.push_back(std::move(v.tensor));
    }
  }
  for (size_t k = 0; k < a.n_scan_out; ++k)
    if (a.out_dirs[k]) std::reverse(r.scan_elems[k].begin(), r.scan_elems[k].end());
  r.states = std::move(states);
  return r;
}

void run_scan9(KernelContext& ctx) {
  const ScanAttrs a = scan_attrs(ctx.node(), false);
  const std::string what = ctx.node().describe();
  std::vector<RunValue> states;
  for (size_t i = 0; i < a.n_state; ++i) states.push_back(ctx.input_value(i));
  std::vector<Tensor> inputs;
  std::vector<size_t> axes;
  int64_t length = -1;
  for (size_t j = 0; j < a.n_scan_in; ++j) {
    const Tensor& x = ctx.input(a.n_state + j);
    if (x.rank() == 0) ctx.fail("scan input ", j, " must have rank >= 1, got a scalar");
    const size_t axis = static_cast<size_t>(normalize_axis(a.in_axes[j], static_cast<int64_t>(x.rank()), ctx.node()));
    if (length >= 0 && x.dim(axis) != length)
      ctx.fail("scan inputs disagree on the sequence length: ", length, " vs ", x.dim(axis), " (scan input ", j, ")");
    length = x.dim(axis);
    inputs.push_back(x);
    axes.push_back(axis);
  }
  ScanResult r = scan_once(ctx, a, std::move(states), inputs, axes, length);
  for (size_t i = 0; i < a.n_state; ++i) ctx.set_output_value(i, std::move(r.states[i]));
  for (size_t k = 0; k < a.n_scan_out; ++k) {
    const auto& elems = r.scan_elems[k];
    const int64_t elem_rank = elems.empty() ? -1 : static_cast<int64_t>(elems[0].rank());
    if (elems.empty()) {
      const TypeInfo& t = a.body->outputs[a.n_state + k]->type;
      const int64_t r0 = t.shape.rank_known() ? static_cast<int64_t>(t.shape.rank()) : 0;
      const int64_t axis = normalize_axis(a.out_axes[k], r0 + 1, ctx.node());
      ctx.set_output(a.n_state + k, control::empty_scan_output(t, static_cast<size_t>(axis), what));
      continue;
    }
    const int64_t axis = normalize_axis(a.out_axes[k], elem_rank + 1, ctx.node());
    ctx.set_output(a.n_state + k, control::stack(elems, static_cast<size_t>(axis), what));
  }
}

void run_scan8(KernelContext& ctx) {
  const ScanAttrs a = scan_attrs(ctx.node(), true);
  const std::string what = ctx.node().describe();
  // Batch size and max sequence length from the scan inputs.
  std::vector<Tensor> inputs;
  int64_t batch = -1, max_len = -1;
  for (size_t j = 0; j < a.n_scan_in; ++j) {
    const Tensor& x = ctx.input(1 + a.n_state + j);
    if (x.rank() < 2) ctx.fail("scan input ", j, " must have batch and sequence axes, got ", x.describe());
    if (batch >= 0 && (x.dim(0) != batch || x.dim(1) != max_len))
      ctx.fail("scan inputs disagree on batch size or sequence length: ", x.describe());
    batch = x.dim(0);
    max_len = x.dim(1);
    inputs.push_back(x);
  }
  std::vector<Tensor> init;
  for (size_t i = 0; i < a.n_state; ++i) {
    const Tensor& s = ctx.input(1 + i);
    if (s.rank() < 1 || s.dim(0) != batch)
      ctx.fail("state ", i, " must have the batch size ", batch, " on axis 0, got ", s.describe());
    init.push_back(s);
  }
  std::vector<int64_t> lens(static_cast<size_t>(batch), max_len);
  if (ctx.has_input(0)) {
    const Tensor& sl = ctx.input(0);
    if (sl.dtype() != DType::kInt64 || sl.rank() != 1 || sl.dim(0) != batch)
      ctx.fail("sequence_lens must be int64 [", batch, "], got ", sl.describe());
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t l = sl.data<int64_t>()[b];
      if (l < 0 || l > max_len) ctx.fail("sequence_lens[", b, "] = ", l, " is outside [0, ", max_len, "]");
      lens[static_cast<size_t>(b)] = l;
    }
  }
  std::vector<std::vector<Tensor>> final_states(a.n_state);  // per batch row
  std::vector<std::vector<Tensor>> scan_rows(a.n_scan_out);  // per batch row: [max_len, ...]
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<RunValue> states;
    for (const Tensor& s : init) states.emplace_back(control::slice_axis(s, 0, b, 1, false));
    std::vector<Tensor> row_inputs;
    std::vector<size_t> axes(a.n_scan_in, 0);
    const int64_t len = lens[static_cast<size_t>(b)];
    for (const Tensor& x : inputs) {
      Tensor row = control::slice_axis(x, 0, b, 1, false);  // [max_len, ...]
      row_inputs.push_back(control::slice_axis(row, 0, 0, len));
    }
    ScanResult r = scan_once(ctx, a, std::move(states), row_inputs, axes, len);
    for (size_t i = 0; i < a.n_state; ++i) {
      if (!r.states[i].is_tensor()) ctx.fail("state ", i, " must stay a tensor, got ", r.states[i].describe());
      final_states[i].push_back(r.states[i].tensor);
    }
    for (size_t k = 0; k < a.n_scan_out; ++k) {
      auto& elems = r.scan_elems[k];
      if (elems.empty()) {
        scan_rows[k].push_back(Tensor());  // filled with zeros below once the element shape is known
        continue;
      }
      if (len < max_len) {
        const Tensor pad(elems[0].dtype(), elems[0].dims());
        while (static_cast<int64_t>(elems.size()) < max_len) elems.push_back(pad);
      }
      scan_rows[k].push_back(control::stack(elems, 0, what));
    }
  }
  for (size_t i = 0; i < a.n_state; ++i) {
    if (batch == 0) {
      ctx.set_output(i, init[i]);
      continue;
    }
    ctx.set_output(i, control::stack(final_states[i], 0, what));
  }
  for (size_t k = 0; k < a.n_scan_out; ++k) {
    auto& rows = scan_rows[k];
    const Tensor* shape_from = nullptr;
    for (const Tensor& t : rows)
      if (t.is_valid()) shape_from = &t;
    if (!shape_from) {
      // No row ran an iteration: an empty output whose element type comes from inference.
      const TypeInfo& t = a.body->outputs[a.n_state + k]->type;
      Tensor empty = control::empty_scan_output(t, 0, what);
      std::vector<int64_t> dims = empty.dims();
      dims[0] = max_len;
      dims.insert(dims.begin(), batch);
      ctx.set_output(a.n_state + k, Tensor(empty.dtype(), dims));
      continue;
    }
    const Tensor zero(shape_from->dtype(), shape_from->dims());
    for (Tensor& t : rows)
      if (!t.is_valid()) t = zero;
    ctx.set_output(a.n_state + k, control::stack(rows, 0, what));
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Scan", .since_version = 8, .inputs = {1, INT_MAX}, .outputs = {0, INT_MAX},
                  .infer = infer_scan8, .run = run_scan8});
ONYX_REGISTER_OP({.op_type = "Scan", .since_version = 9, .inputs = {1, INT_MAX}, .outputs = {0, INT_MAX},
                  .infer = infer_scan9, .run = run_scan9});

}  // namespace onyx
