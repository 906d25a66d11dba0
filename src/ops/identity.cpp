// Identity: output = input (tensors, sequences and optionals alike).
#include "op.h"

namespace onyx {
namespace {

void run_identity(KernelContext& ctx) { ctx.set_output_value(0, ctx.input_value(0)); }

}  // namespace

ONYX_REGISTER_OP({.op_type = "Identity", .since_version = 1, .inputs = {1, 1}, .infer = infer_same_as_input,
                  .run = run_identity});

}  // namespace onyx
