// Optionals: Optional (15), OptionalHasElement (15; 18 also takes a plain tensor/sequence or no input at all),
// OptionalGetElement (15; 18 also takes a plain tensor/sequence, returned as is). An optional at run time is a
// RunValue with is_optional set: kNone when empty, else the tensor or sequence it holds.
#include "op.h"

namespace onyx {
namespace {

// ---- Optional ---------------------------------------------------------------------------------------------------

const TypeInfo* type_attr(const Node& node) {
  const Attribute* a = node.find_attr("type");
  if (!a) return nullptr;
  if (a->type != AttrType::kTypeProto)
    fail_bad_input(node.describe(), ": attribute type must be a TypeProto, got ", attr_type_name(a->type));
  return &a->tp;
}

void infer_optional(InferContext& ctx) {
  const TypeInfo* attr = type_attr(ctx.node());
  if (ctx.has_input(0)) {
    const TypeInfo& t = ctx.input_type(0);
    if (t.kind == TypeInfo::Kind::kOptional) ctx.fail("input must be a tensor or a sequence, got ", t.to_string());
    ctx.set_output_type(0, TypeInfo::optional(t.is_known() || !attr ? t : *attr));
    return;
  }
  if (!attr) ctx.fail("an Optional without input needs the attribute type");
  ctx.set_output_type(0, TypeInfo::optional(*attr));
}

void run_optional(KernelContext& ctx) {
  const TypeInfo* attr = type_attr(ctx.node());
  if (ctx.has_input(0)) {
    RunValue v = ctx.input_value(0);
    if (v.is_optional) ctx.fail("input must be a tensor or a sequence, got an optional");
    v.is_optional = true;
    ctx.set_output_value(0, std::move(v));
    return;
  }
  if (!attr) ctx.fail("an Optional without input needs the attribute type");
  ctx.set_output_value(0, RunValue::none(*attr));
}

// ---- OptionalHasElement -----------------------------------------------------------------------------------------

void infer_has_element_15(InferContext& ctx) {
  const TypeInfo& t = ctx.input_type(0);
  if (t.is_known() && t.kind != TypeInfo::Kind::kOptional)
    ctx.fail("input must be an optional (opset 15-17), got ", t.to_string());
  ctx.set_output(0, DType::kBool, Shape());
}

void infer_has_element_18(InferContext& ctx) { ctx.set_output(0, DType::kBool, Shape()); }

void run_has_element(KernelContext& ctx) {
  const RunValue& v = ctx.input_value(0);  // kNone when absent or an empty optional
  ctx.set_output(0, Tensor::scalar<bool>(!v.is_none()));
}

// ---- OptionalGetElement -----------------------------------------------------------------------------------------

TypeInfo element_of(const TypeInfo& t) {
  if (t.kind == TypeInfo::Kind::kOptional) return t.element ? *t.element : TypeInfo{};
  return t;
}

void infer_get_element_15(InferContext& ctx) {
  const TypeInfo& t = ctx.input_type(0);
  if (t.is_known() && t.kind != TypeInfo::Kind::kOptional)
    ctx.fail("input must be an optional (opset 15-17), got ", t.to_string());
  ctx.set_output_type(0, element_of(t));
}

void infer_get_element_18(InferContext& ctx) { ctx.set_output_type(0, element_of(ctx.input_type(0))); }

void run_get_element(KernelContext& ctx) {
  const RunValue& v = ctx.input_value(0);
  if (v.is_none()) ctx.fail("the optional input is empty");
  RunValue out = v;
  out.is_optional = false;
  ctx.set_output_value(0, std::move(out));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Optional", .since_version = 15, .inputs = {0, 1}, .infer = infer_optional,
                  .run = run_optional});
ONYX_REGISTER_OP({.op_type = "OptionalHasElement", .since_version = 15, .inputs = {1, 1},
                  .infer = infer_has_element_15, .run = run_has_element});
ONYX_REGISTER_OP({.op_type = "OptionalHasElement", .since_version = 18, .inputs = {0, 1},
                  .infer = infer_has_element_18, .run = run_has_element});
ONYX_REGISTER_OP({.op_type = "OptionalGetElement", .since_version = 15, .inputs = {1, 1},
                  .infer = infer_get_element_15, .run = run_get_element});
ONYX_REGISTER_OP({.op_type = "OptionalGetElement", .since_version = 18, .inputs = {1, 1},
                  .infer = infer_get_element_18, .run = run_get_element});

}  // namespace onyx
