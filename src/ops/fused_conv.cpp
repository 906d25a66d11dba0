// onyx.FusedConv (domain "onyx", version 1): Conv, then an optional residual input added, then an optional
// activation. What the fuse-conv-activation pass produces (BatchNormalization is folded into W and B beforehand).
//
//   inputs:  X, W, B (optional), Z (optional residual, same shape as the Conv output or broadcastable to it)
//   attrs:   Conv's (auto_pad, dilations, group, kernel_shape, pads, strides); activation (string, "" = none),
//            activation_alpha, activation_beta (see fused_util.h)
//   output:  Y = act(Conv(X, W, B) + Z)
#include "fused_util.h"

namespace onyx {
namespace {

constexpr int64_t kConvOpset = 22;

std::vector<Attribute> conv_attrs(const Node& n) {
  std::vector<Attribute> out;
  for (const Attribute& a : n.attributes)
    if (a.name.rfind("activation", 0) != 0) out.push_back(a);
  return out;
}

void infer_fused_conv(InferContext& ctx) {
  fused::check_activation(ctx);
  const Node& n = ctx.node();
  std::vector<const TypeInfo*> types;
  for (size_t i = 0; i < 3; ++i) types.push_back(ctx.has_input(i) ? &ctx.input_type(i) : nullptr);
  TypeInfo y = fused::infer_op(n, "Conv", kConvOpset, conv_attrs(n), types);
  if (ctx.has_input(3) && y.is_tensor()) {
    const TypeInfo& z = ctx.input_type(3);
    if (z.is_tensor() && z.dtype != y.dtype) ctx.fail("residual Z is ", dtype_name(z.dtype), ", not ", dtype_name(y.dtype));
    y = fused::infer_op(n, "Add", 14, {}, {&y, &z});
  }
  ctx.set_output_type(0, y);
}

void run_fused_conv(KernelContext& ctx) {
  const Node& n = ctx.node();
  const Tensor* b = ctx.has_input(2) ? &ctx.input(2) : nullptr;
  Tensor y = fused::run_op(n, "Conv", kConvOpset, conv_attrs(n), {&ctx.input(0), &ctx.input(1), b});
  if (ctx.has_input(3)) y = fused::run_op(n, "Add", 14, {}, {&y, &ctx.input(3)});
  ctx.set_output(0, fused::apply_activation(n, std::move(y)));
}

}  // namespace

ONYX_REGISTER_OP({.domain = "onyx", .op_type = "FusedConv", .since_version = 1, .inputs = {2, 4},
                  .infer = infer_fused_conv, .run = run_fused_conv});

}  // namespace onyx
