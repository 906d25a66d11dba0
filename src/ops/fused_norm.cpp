// onyx.LayerNormalization and onyx.Gelu (domain "onyx", version 1): the standard LayerNormalization-17 and
// Gelu-20, available to models whose default-domain opset is older (the fuse-layer-norm / fuse-gelu passes
// target the standard op when the model's opset allows, these otherwise). Same inputs, attributes and
// semantics as the standard ops.
#include "fused_util.h"

namespace onyx {
namespace {

const OpSchema& standard(const char* op, int64_t opset) {
  const OpSchema* s = OpRegistry::instance().find("", op, opset);
  ONYX_CHECK(s && s->run, "standard op ", op, " is not registered");
  return *s;
}

void infer_layer_norm(InferContext& ctx) {
  if (auto* f = standard("LayerNormalization", 17).infer) f(ctx);
}
void run_layer_norm(KernelContext& ctx) { standard("LayerNormalization", 17).run(ctx); }
void infer_gelu(InferContext& ctx) {
  if (auto* f = standard("Gelu", 20).infer) f(ctx);
}
void run_gelu(KernelContext& ctx) { standard("Gelu", 20).run(ctx); }

}  // namespace

ONYX_REGISTER_OP({.domain = "onyx", .op_type = "LayerNormalization", .since_version = 1, .inputs = {2, 3},
                  .outputs = {1, 3}, .infer = infer_layer_norm, .run = run_layer_norm});
ONYX_REGISTER_OP({.domain = "onyx", .op_type = "Gelu", .since_version = 1, .inputs = {1, 1}, .infer = infer_gelu,
                  .run = run_gelu});

}  // namespace onyx
