// onyx.FusedElementwise (domain "onyx", version 1): a chain of elementwise standard ops (unary and binary, with
// multidirectional broadcasting) run as one node. What the fuse-pointwise pass produces.
//
// The chain is a small program in attributes; step k is one standard op:
//   ops      (strings) op type of each step (default domain), e.g. ["Mul", "Add", "Relu"]
//   opsets   (ints)    the op version each step follows
//   arity    (ints)    how many operands each step reads
//   operands (ints)    flattened operand lists: i >= 0 is the node's input i, -(j+1) is the result of step j < k
//   "k:name"           attribute `name` of step k (e.g. "2:alpha")
// The output is the result of the last step. The reference kernel runs each step's standard kernel in turn.
#include "fused_util.h"

namespace onyx {
namespace {

struct Step {
  std::string op;
  int64_t opset = 0;
  std::vector<int64_t> operands;
  std::vector<Attribute> attrs;
};

std::vector<Step> parse_program(const Node& n) {
  const auto ops = n.attr_strings("ops");
  const auto opsets = n.attr_ints("opsets");
  const auto arity = n.attr_ints("arity");
  const auto operands = n.attr_ints("operands");
  if (ops.empty()) fail_bad_input(n.describe(), ": attribute 'ops' is empty");
  if (opsets.size() != ops.size() || arity.size() != ops.size())
    fail_bad_input(n.describe(), ": 'ops', 'opsets' and 'arity' differ in length");
  std::vector<Step> steps(ops.size());
  size_t pos = 0;
  for (size_t k = 0; k < ops.size(); ++k) {
    steps[k].op = ops[k];
    steps[k].opset = opsets[k];
    if (arity[k] < 1 || arity[k] > 3 || pos + static_cast<size_t>(arity[k]) > operands.size())
      fail_bad_input(n.describe(), ": step ", k, " has a bad arity");
    for (int64_t j = 0; j < arity[k]; ++j) {
      const int64_t r = operands[pos++];
      const bool ok = r >= 0 ? r < static_cast<int64_t>(n.num_inputs()) : -r - 1 < static_cast<int64_t>(k);
      if (!ok) fail_bad_input(n.describe(), ": step ", k, " reads operand ", r, ", which is out of range");
      steps[k].operands.push_back(r);
    }
    const std::string prefix = std::to_string(k) + ":";
    for (const Attribute& a : n.attributes) {
      if (a.name.rfind(prefix, 0) != 0) continue;
      Attribute copy = a;
      copy.name = a.name.substr(prefix.size());
      steps[k].attrs.push_back(std::move(copy));
    }
  }
  if (pos != operands.size()) fail_bad_input(n.describe(), ": 'operands' has ", operands.size() - pos, " extra entries");
  return steps;
}

void infer_fused_elementwise(InferContext& ctx) {
  const Node& n = ctx.node();
  const auto steps = parse_program(n);
  std::vector<TypeInfo> results;
  for (const Step& s : steps) {
    std::vector<const TypeInfo*> types;
    for (int64_t r : s.operands) {
      if (r >= 0) {
        if (!ctx.has_input(static_cast<size_t>(r))) ctx.fail("input ", r, " is absent");
        types.push_back(&ctx.input_type(static_cast<size_t>(r)));
      } else {
        types.push_back(&results[static_cast<size_t>(-r - 1)]);
      }
    }
    results.push_back(fused::infer_op(n, s.op, s.opset, s.attrs, types));
  }
  ctx.set_output_type(0, results.back());
}

void run_fused_elementwise(KernelContext& ctx) {
  const Node& n = ctx.node();
  const auto steps = parse_program(n);
  std::vector<Tensor> results;
  for (const Step& s : steps) {
    std::vector<const Tensor*> ins;
    for (int64_t r : s.operands)
      ins.push_back(r >= 0 ? &ctx.input(static_cast<size_t>(r)) : &results[static_cast<size_t>(-r - 1)]);
    results.push_back(fused::run_op(n, s.op, s.opset, s.attrs, ins));
  }
  ctx.set_output(0, std::move(results.back()));
}

}  // namespace

ONYX_REGISTER_OP({.domain = "onyx", .op_type = "FusedElementwise", .since_version = 1, .inputs = {1, INT_MAX},
                  .infer = infer_fused_elementwise, .run = run_fused_elementwise});

}  // namespace onyx
