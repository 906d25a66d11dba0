// If: runs then_branch or else_branch (graphs without inputs that read outer-scope values) depending on a bool
// condition, and returns the branch's outputs. Every version (1, 11, 13, 16, 19, 21, 23) has the same semantics;
// later versions only widen the types (sequences, optionals, more dtypes) that a branch may produce.
#include "control_util.h"
#include "op.h"

namespace onyx {
namespace {

struct IfBranches {
  const Graph* then_branch = nullptr;
  const Graph* else_branch = nullptr;
};

IfBranches branches(const Node& node) {
  IfBranches b;
  b.then_branch = node.attr_graph("then_branch");
  b.else_branch = node.attr_graph("else_branch");
  if (!b.then_branch || !b.else_branch)
    fail_bad_input(node.describe(), ": attributes then_branch and else_branch (graphs) are required");
  if (b.then_branch->outputs.size() != b.else_branch->outputs.size())
    fail_bad_input(node.describe(), ": then_branch has ", b.then_branch->outputs.size(), " outputs but else_branch has ",
                   b.else_branch->outputs.size());
  if (b.then_branch->outputs.size() != node.num_outputs())
    fail_bad_input(node.describe(), ": the branches have ", b.then_branch->outputs.size(), " outputs but the node has ",
                   node.num_outputs());
  for (const Graph* g : {b.then_branch, b.else_branch})
    if (!g->inputs.empty())
      fail_bad_input(node.describe(), ": branch '", g->name, "' declares ", g->inputs.size(),
                     " inputs; If branches take none");
  return b;
}

void check_cond_type(const InferContext& ctx) {
  const TypeInfo& t = ctx.input_type(0);
  if (t.kind == TypeInfo::Kind::kTensor && t.dtype != DType::kUndefined && t.dtype != DType::kBool)
    ctx.fail("cond must be a bool tensor, got ", t.to_string());
}

void infer_if(InferContext& ctx) {
  const IfBranches b = branches(ctx.node());
  check_cond_type(ctx);
  // A condition known before run time selects its branch's types exactly.
  if (const Tensor* c = ctx.input_constant(0); c && c->dtype() == DType::kBool && c->numel() == 1) {
    const auto types = ctx.infer_subgraph(c->data<bool>()[0] ? *b.then_branch : *b.else_branch, {});
    for (size_t i = 0; i < types.size(); ++i) ctx.set_output_type(i, types[i]);
    return;
  }
  const auto then_types = ctx.infer_subgraph(*b.then_branch, {});
  const auto else_types = ctx.infer_subgraph(*b.else_branch, {});
  for (size_t i = 0; i < then_types.size() && i < else_types.size(); ++i) {
    const TypeInfo& a = then_types[i];
    const TypeInfo& e = else_types[i];
    if (a.kind == TypeInfo::Kind::kTensor && e.kind == TypeInfo::Kind::kTensor && a.dtype != DType::kUndefined &&
        e.dtype != DType::kUndefined && a.dtype != e.dtype)
      ctx.fail("output ", i, " is ", dtype_name(a.dtype), " in then_branch but ", dtype_name(e.dtype),
               " in else_branch");
    // An empty optional of one branch and a value of the other: the output is optional.
    ctx.set_output_type(i, control::union_type(a, e));
  }
}

void run_if(KernelContext& ctx) {
  const IfBranches b = branches(ctx.node());
  const Tensor& cond = ctx.input(0);
  if (cond.dtype() != DType::kBool) ctx.fail("cond must be a bool tensor, got ", cond.describe());
  if (cond.numel() != 1) ctx.fail("cond must hold exactly one element, got ", cond.describe());
  const Graph& branch = cond.data<bool>()[0] ? *b.then_branch : *b.else_branch;
  std::vector<RunValue> outs = ctx.run_subgraph(branch, {});
  if (outs.size() != ctx.num_outputs())
    ctx.fail("branch '", branch.name, "' produced ", outs.size(), " outputs, expected ", ctx.num_outputs());
  for (size_t i = 0; i < outs.size(); ++i) ctx.set_output_value(i, std::move(outs[i]));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "If", .since_version = 1, .inputs = {1, 1}, .outputs = {1, INT_MAX}, .infer = infer_if,
                  .run = run_if});

}  // namespace onyx
