// onyx.Attention (domain "onyx", version 1): scaled dot-product attention as the fuse-attention pass finds it,
//   Y = MatMul(Softmax(MatMul(Q, KT) * scale + mask, axis=-1), V)
//
//   inputs:  Q [..., S, D], KT [..., D, L] (K already transposed, as the MatMul read it), V [..., L, Dv],
//            mask (optional, added before the Softmax, broadcast like Add)
//   attrs:   scale (float, default 1; multiplies the scores), scale_is_divisor (int, default 0: when 1 the scores
//            are divided by `scale` instead — so Div(x, sqrt(d)) keeps its exact rounding)
// (The standard Attention-23 takes K untransposed and has softcap/causal options; this op keeps the matched
// subgraph's exact form so it runs at any opset.)
#include "fused_util.h"

namespace onyx {
namespace {

std::optional<Tensor> scale_tensor(const Node& n, DType dtype) {
  const float scale = n.attr_float("scale", 1.f);
  if (scale == 1.f) return std::nullopt;
  return Tensor::scalar<float>(scale).cast(dtype);
}

void infer_attention(InferContext& ctx) {
  const Node& n = ctx.node();
  TypeInfo s = fused::infer_op(n, "MatMul", 13, {}, {&ctx.input_type(0), &ctx.input_type(1)});
  if (ctx.has_input(3) && s.is_tensor()) s = fused::infer_op(n, "Add", 14, {}, {&s, &ctx.input_type(3)});
  ctx.set_output_type(0, fused::infer_op(n, "MatMul", 13, {}, {&s, &ctx.input_type(2)}));
}

void run_attention(KernelContext& ctx) {
  const Node& n = ctx.node();
  Tensor s = fused::run_op(n, "MatMul", 13, {}, {&ctx.input(0), &ctx.input(1)});
  if (auto scale = scale_tensor(n, s.dtype()))
    s = fused::run_op(n, n.attr_int("scale_is_divisor", 0) ? "Div" : "Mul", 14, {}, {&s, &*scale});
  if (ctx.has_input(3)) s = fused::run_op(n, "Add", 14, {}, {&s, &ctx.input(3)});
  s = fused::run_op(n, "Softmax", 13, {fused::int_attr("axis", -1)}, {&s});
  ctx.set_output(0, fused::run_op(n, "MatMul", 13, {}, {&s, &ctx.input(2)}));
}

}  // namespace

ONYX_REGISTER_OP({.domain = "onyx", .op_type = "Attention", .since_version = 1, .inputs = {3, 4},
                  .infer = infer_attention, .run = run_attention});

}  // namespace onyx
