// onyx.FusedMatMul (domain "onyx", version 1): a matrix product, an optional bias added, then an optional
// activation. What the fuse-matmul-bias pass produces from MatMul+Add(bias) and from Gemm.
//
//   inputs:  A, B, bias (optional; broadcast like Add)
//   attrs:   transB (int, default 0), alpha (float, default 1) — when either is set, A and B are 2-D and the
//            product is Gemm's alpha * A * B' ; otherwise it is MatMul(A, B) with MatMul's batching.
//            activation (string, "" = none), activation_alpha, activation_beta (see fused_util.h; incl. Gelu).
//   output:  Y = act(product + bias)
#include "fused_util.h"

namespace onyx {
namespace {

bool gemm_form(const Node& n) { return n.attr_int("transB", 0) != 0 || n.attr_float("alpha", 1.f) != 1.f; }

std::vector<Attribute> gemm_attrs(const Node& n) {
  return {fused::int_attr("transB", n.attr_int("transB", 0)), fused::float_attr("alpha", n.attr_float("alpha", 1.f))};
}

void infer_fused_matmul(InferContext& ctx) {
  fused::check_activation(ctx);
  const Node& n = ctx.node();
  const TypeInfo* bias = ctx.has_input(2) ? &ctx.input_type(2) : nullptr;
  TypeInfo y;
  if (gemm_form(n)) {
    y = fused::infer_op(n, "Gemm", 13, gemm_attrs(n), {&ctx.input_type(0), &ctx.input_type(1), bias});
  } else {
    y = fused::infer_op(n, "MatMul", 13, {}, {&ctx.input_type(0), &ctx.input_type(1)});
    if (bias && y.is_tensor()) y = fused::infer_op(n, "Add", 14, {}, {&y, bias});
  }
  ctx.set_output_type(0, y);
}

void run_fused_matmul(KernelContext& ctx) {
  const Node& n = ctx.node();
  const Tensor* bias = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  Tensor y;
  if (gemm_form(n)) {
    y = fused::run_op(n, "Gemm", 13, gemm_attrs(n), {&ctx.input(0), &ctx.input(1), bias});
  } else {
    y = fused::run_op(n, "MatMul", 13, {}, {&ctx.input(0), &ctx.input(1)});
    if (bias) y = fused::run_op(n, "Add", 14, {}, {&y, bias});
  }
  ctx.set_output(0, fused::apply_activation(n, std::move(y)));
}

}  // namespace

ONYX_REGISTER_OP({.domain = "onyx", .op_type = "FusedMatMul", .since_version = 1, .inputs = {2, 3},
                  .infer = infer_fused_matmul, .run = run_fused_matmul});

}  // namespace onyx
