// Loop: runs `body` while (i < M, when the trip count M is given) and (cond, when the condition is given), with N
// loop-carried values and K scan outputs (the body's per-iteration values stacked on a new axis 0). The body reads
// outer-scope values directly. Versions 1, 11, 13, 16, 19, 21, 23 share these semantics (later ones widen the
// carried types to sequences and optionals): one kernel serves all.
//
// Per the spec's table, the body's condition output ends the loop only when the node's `cond` input is given;
// without `cond` it is computed but ignored. The number of iterations is capped by limits().max_loop_iterations:
// a loop that would run longer fails with kBadInput instead of running forever.
#include "control_util.h"
#include "onyx/limits.h"
#include "op.h"

namespace onyx {
namespace {

struct LoopShape {
  const Graph* body = nullptr;
  size_t n_carried = 0;  // N
  size_t n_scan = 0;     // K
};

LoopShape loop_shape(const Node& node) {
  LoopShape s;
  s.body = node.attr_graph("body");
  if (!s.body) fail_bad_input(node.describe(), ": attribute body (a graph) is required");
  s.n_carried = node.num_inputs() > 2 ? node.num_inputs() - 2 : 0;
  if (s.body->inputs.size() != 2 + s.n_carried)
    fail_bad_input(node.describe(), ": body has ", s.body->inputs.size(), " inputs; with ", s.n_carried,
                   " loop-carried values it must have ", 2 + s.n_carried,
                   " (iteration number, condition, loop-carried values)");
  if (s.body->outputs.size() < 1 + s.n_carried)
    fail_bad_input(node.describe(), ": body has ", s.body->outputs.size(), " outputs; with ", s.n_carried,
                   " loop-carried values it must have at least ", 1 + s.n_carried,
                   " (condition, loop-carried values, scan outputs)");
  s.n_scan = s.body->outputs.size() - 1 - s.n_carried;
  if (node.num_outputs() != s.n_carried + s.n_scan)
    fail_bad_input(node.describe(), ": node has ", node.num_outputs(), " outputs but its body yields ", s.n_carried,
                   " loop-carried values and ", s.n_scan, " scan outputs");
  for (size_t i = 0; i < s.n_carried; ++i)
    if (!node.input(2 + i))
      fail_bad_input(node.describe(), ": loop-carried input ", i, " (node input ", 2 + i, ") is missing");
  return s;
}

void infer_loop(InferContext& ctx) {
  const LoopShape s = loop_shape(ctx.node());
  if (ctx.has_input(0)) {
    const TypeInfo& m = ctx.input_type(0);
    if (m.kind == TypeInfo::Kind::kTensor && m.dtype != DType::kUndefined && m.dtype != DType::kInt64)
      ctx.fail("trip count M must be int64, got ", m.to_string());
  }
  if (ctx.has_input(1)) {
    const TypeInfo& c = ctx.input_type(1);
    if (c.kind == TypeInfo::Kind::kTensor && c.dtype != DType::kUndefined && c.dtype != DType::kBool)
      ctx.fail("cond must be bool, got ", c.to_string());
  }
  std::vector<TypeInfo> body_in = {TypeInfo::tensor(DType::kInt64, Shape()),
                                   TypeInfo::tensor(DType::kBool, Shape())};
  // Loop-carried values may change shape between iterations: the body sees their rank and dtype only.
  for (size_t i = 0; i < s.n_carried; ++i) body_in.push_back(control::relax_dims(ctx.input_type(2 + i)));
  const std::vector<TypeInfo> body_out = ctx.infer_subgraph(*s.body, body_in);
  for (size_t i = 0; i < s.n_carried && 1 + i < body_out.size(); ++i)
    ctx.set_output_type(i, control::union_type(ctx.input_type(2 + i), body_out[1 + i]));
  // Iterations: M exactly when M is a known constant and no condition can end the loop early.
  Dim iterations;
  if (const Tensor* m = ctx.input_constant(0); m && m->numel() == 1 && !ctx.has_input(1))
    iterations = Dim(std::max<int64_t>(0, m->get_int(0)));
  for (size_t k = 0; k < s.n_scan && 1 + s.n_carried + k < body_out.size(); ++k) {
    const TypeInfo& e = body_out[1 + s.n_carried + k];
    if (e.kind != TypeInfo::Kind::kTensor) continue;
    if (!e.shape.rank_known()) {
      ctx.set_output_type(s.n_carried + k, TypeInfo::tensor(e.dtype));
      continue;
    }
    std::vector<Dim> dims = e.shape.dims();
    dims.insert(dims.begin(), iterations);
    ctx.set_output_type(s.n_carried + k, TypeInfo::tensor(e.dtype, Shape(dims)));
  }
}

bool scalar_bool(const KernelContext& ctx, const RunValue& v, const char* what) {
  if (!v.is_tensor() || v.tensor.dtype() != DType::kBool || v.tensor.numel() != 1)
    ctx.fail(what, " must be a bool tensor of one element, got ", v.describe());
  return v.tensor.data<bool>()[0];
}

void run_loop(KernelContext& ctx) {
  const LoopShape s = loop_shape(ctx.node());
  const std::string what = ctx.node().describe();
  bool has_max = ctx.has_input(0);
  int64_t max_trips = 0;
  if (has_max) {
    const Tensor& m = ctx.input(0);
    if (m.dtype() != DType::kInt64 || m.numel() != 1)
      ctx.fail("trip count M must be an int64 tensor of one element, got ", m.describe());
    max_trips = m.data<int64_t>()[0];
  }
  const bool has_cond = ctx.has_input(1);
  bool cond = has_cond ? scalar_bool(ctx, ctx.input_value(1), "cond") : true;

  std::vector<RunValue> carried;
  for (size_t i = 0; i < s.n_carried; ++i) {
    RunValue v = ctx.input_value(2 + i);
    carried.push_back(std::move(v));
  }
  std::vector<std::vector<Tensor>> scans(s.n_scan);
  const int64_t limit = limits().max_loop_iterations;
  int64_t i = 0;
  for (; (!has_max || i < max_trips) && (!has_cond || cond); ++i) {
    if (i >= limit)
      ctx.fail("loop exceeds the limit of ", limit, " iterations (--max-loop-iterations)",
               has_max ? "" : "; it has no trip count M",
               has_max ? "" : (has_cond ? "" : " and no condition"));
    std::vector<RunValue> body_in;
    body_in.reserve(2 + s.n_carried);
    body_in.emplace_back(Tensor::scalar<int64_t>(i));
    body_in.emplace_back(Tensor::scalar<bool>(cond));
    for (RunValue& v : carried) body_in.push_back(v);
    std::vector<RunValue> out = ctx.run_subgraph(*s.body, std::move(body_in));
    if (out.size() != 1 + s.n_carried + s.n_scan)
      ctx.fail("body produced ", out.size(), " outputs, expected ", 1 + s.n_carried + s.n_scan);
    const bool next_cond = scalar_bool(ctx, out[0], "the body's condition output");
    if (has_cond) cond = next_cond;
    for (size_t j = 0; j < s.n_carried; ++j) carried[j] = std::move(out[1 + j]);
    for (size_t k = 0; k < s.n_scan; ++k) {
      RunValue& v = out[1 + s.n_carried + k];
      if (!v.is_tensor()) ctx.fail("scan output ", k, " must be a tensor, got ", v.describe());
      if (!scans[k].empty() && (scans[k][0].dims() != v.tensor.dims() || scans[k][0].dtype() != v.tensor.dtype()))
        ctx.fail("scan output ", k, " changes from ", scans[k][0].describe(), " to ", v.tensor.describe(),
                 " between iterations");
      scans[k].push_back(std::move(v.tensor));
    }
  }
  for (size_t j = 0; j < s.n_carried; ++j) ctx.set_output_value(j, std::move(carried[j]));
  for (size_t k = 0; k < s.n_scan; ++k) {
    if (!ctx.output_wanted(s.n_carried + k)) continue;
    if (scans[k].empty()) {
      const Value* body_out = s.body->outputs[1 + s.n_carried + k];
      ctx.set_output(s.n_carried + k, control::empty_scan_output(body_out->type, 0, what));
    } else {
      ctx.set_output(s.n_carried + k, control::stack(scans[k], 0, what));
    }
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Loop", .since_version = 1, .inputs = {0, INT_MAX}, .outputs = {0, INT_MAX},
                  .infer = infer_loop, .run = run_loop});

}  // namespace onyx
