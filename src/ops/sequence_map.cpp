// SequenceMap (opset 17): runs `body` once per element of the first input sequence. Further inputs are sequences of
// the same length (their i-th element is passed) or tensors (passed whole every time). Each body output becomes a
// sequence output.
#include "control_util.h"
#include "op.h"

namespace onyx {
namespace {

const Graph& map_body(const Node& node) {
  const Graph* body = node.attr_graph("body");
  if (!body) fail_bad_input(node.describe(), ": attribute body (a graph) is required");
  if (body->inputs.size() != node.num_inputs())
    fail_bad_input(node.describe(), ": body has ", body->inputs.size(), " inputs but the node has ", node.num_inputs());
  if (body->outputs.size() != node.num_outputs())
    fail_bad_input(node.describe(), ": body has ", body->outputs.size(), " outputs but the node has ",
                   node.num_outputs());
  return *body;
}

void infer_sequence_map(InferContext& ctx) {
  const Graph& body = map_body(ctx.node());
  std::vector<TypeInfo> body_in;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const TypeInfo& t = ctx.input_type(i);
    if (i == 0 && t.is_known() && t.kind != TypeInfo::Kind::kSequence)
      ctx.fail("input 0 must be a sequence, got ", t.to_string());
    if (t.kind == TypeInfo::Kind::kSequence) body_in.push_back(t.element ? *t.element : TypeInfo{});
    else body_in.push_back(t);
  }
  const std::vector<TypeInfo> out = ctx.infer_subgraph(body, body_in);
  for (size_t i = 0; i < out.size(); ++i) ctx.set_output_type(i, TypeInfo::sequence(out[i]));
}

void run_sequence_map(KernelContext& ctx) {
  const Graph& body = map_body(ctx.node());
  const RunValue& first = ctx.input_value(0);
  if (!first.is_sequence()) ctx.fail("input 0 must be a sequence, got ", first.describe());
  const size_t n = first.sequence.size();
  for (size_t i = 1; i < ctx.num_inputs(); ++i) {
    const RunValue& v = ctx.input_value(i);
    if (v.is_sequence() && v.sequence.size() != n)
      ctx.fail("input ", i, " is a sequence of ", v.sequence.size(), " tensors but input 0 has ", n);
    if (!v.is_sequence() && !v.is_tensor()) ctx.fail("input ", i, " must be a tensor or a sequence, got ", v.describe());
  }
  std::vector<std::vector<Tensor>> outs(ctx.num_outputs());
  for (size_t k = 0; k < n; ++k) {
    std::vector<RunValue> body_in;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      const RunValue& v = ctx.input_value(i);
      body_in.emplace_back(v.is_sequence() ? v.sequence[k] : v.tensor);
    }
    std::vector<RunValue> r = ctx.run_subgraph(body, std::move(body_in));
    for (size_t j = 0; j < outs.size(); ++j) {
      if (!r[j].is_tensor()) ctx.fail("body output ", j, " must be a tensor, got ", r[j].describe());
      if (!outs[j].empty() && outs[j][0].dtype() != r[j].tensor.dtype())
        ctx.fail("body output ", j, " changes dtype between elements");
      outs[j].push_back(std::move(r[j].tensor));
    }
  }
  for (size_t j = 0; j < outs.size(); ++j) {
    TypeInfo elem = body.outputs[j]->type;
    if (!outs[j].empty()) elem = TypeInfo::tensor(outs[j][0].dtype());
    ctx.set_output_value(j, RunValue::make_sequence(std::move(outs[j]), elem));
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "SequenceMap", .since_version = 17, .inputs = {1, INT_MAX}, .outputs = {1, INT_MAX},
                  .infer = infer_sequence_map, .run = run_sequence_map});

}  // namespace onyx
