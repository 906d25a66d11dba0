// Cast(input) → `to` dtype; CastLike(input, target_type) → target_type's dtype.
//
// Versions: Cast-1 names `to` as a string ("FLOAT", "INT64", ...), Cast-6 as a TensorProto.DataType number (9/13
// only add dtypes: strings, bfloat16); Cast-19 and CastLike-19 add float8 and the `saturate` attribute (clamp
// out-of-range values to the largest finite float8 rather than inf/NaN; only meaningful for float8 targets). The
// element conversion is Tensor::cast (numbers ↔ strings as the spec describes, float → integer truncates).
// Dtypes onyx has no storage for (complex, float8 *FNUZ, int4, float4) are kUnsupported.
//
// Shape inference publishes partial values through integer casts, so Shape → Cast → ... chains keep their symbols.
#include <string>

#include "elementwise.h"

namespace onyx {
namespace {

DType dtype_from_cast1_name(const std::string& s) {
  static const std::pair<const char*, DType> kNames[] = {
      {"FLOAT", DType::kFloat32},   {"UINT8", DType::kUInt8},       {"INT8", DType::kInt8},
      {"UINT16", DType::kUInt16},   {"INT16", DType::kInt16},       {"INT32", DType::kInt32},
      {"INT64", DType::kInt64},     {"STRING", DType::kString},     {"BOOL", DType::kBool},
      {"FLOAT16", DType::kFloat16}, {"DOUBLE", DType::kFloat64},    {"UINT32", DType::kUInt32},
      {"UINT64", DType::kUInt64},   {"COMPLEX64", DType::kComplex64}, {"COMPLEX128", DType::kComplex128},
      {"BFLOAT16", DType::kBFloat16},
  };
  for (const auto& [name, t] : kNames)
    if (s == name) return t;
  return DType::kUndefined;
}

// The `to` attribute (an int; Cast-1 also allows the type's name as a string).
DType cast_target(const Node& node) {
  const Attribute* a = node.find_attr("to");
  if (!a) fail_bad_input(node.describe(), ": required attribute 'to' is missing");
  if (a->type == AttrType::kString) {
    const DType t = dtype_from_cast1_name(a->s);
    if (t == DType::kUndefined) fail_bad_input(node.describe(), ": unknown 'to' type \"", a->s, "\"");
    return t;
  }
  const int64_t v = node.attr_int("to");
  if (v < INT32_MIN || v > INT32_MAX || !dtype_is_valid(static_cast<int32_t>(v))) {
    // 21-23 (uint4, int4, float4e2m1) are valid ONNX that onyx has no storage type for.
    if (v >= 21 && v <= 23) fail_unsupported(node.describe(), ": cast to data type ", v, " is not supported");
    fail_bad_input(node.describe(), ": 'to' is not a valid data type: ", v);
  }
  return static_cast<DType>(v);
}

bool cast_saturate(const Node& node) {
  const int64_t s = node.attr_int("saturate", 1);
  if (s != 0 && s != 1) fail_bad_input(node.describe(), ": saturate must be 0 or 1, got ", s);
  return s == 1;
}

bool is_int_index(DType t) { return t == DType::kInt64 || t == DType::kInt32; }

void infer_cast_to(InferContext& ctx, DType to) {
  const TypeInfo& in = ctx.input_type(0);
  ctx.set_output(0, to, in.kind == TypeInfo::Kind::kTensor ? in.shape : Shape::unknown_rank());
  if (const auto* p = ctx.input_partial(0); p && is_int_index(to) && is_int_index(in.dtype))
    ctx.set_output_partial(0, *p);
}

void infer_cast(InferContext& ctx) {
  cast_saturate(ctx.node());
  infer_cast_to(ctx, cast_target(ctx.node()));
}

// Dtypes Tensor::cast converts: numeric, bool, string, float8 e4m3fn/e5m2.
bool castable(DType t) {
  return elementwise::in_family(t, elementwise::Family::kAny) || t == DType::kFloat8E4M3FN ||
         t == DType::kFloat8E5M2;
}

Tensor do_cast(const KernelContext& ctx, const Tensor& x, DType to) {
  if (!castable(x.dtype()) || !castable(to))
    fail_unsupported(ctx.node().describe(), ": cast from ", dtype_name(x.dtype()), " to ", dtype_name(to),
                     " is not supported");
  if (x.dtype() == to) return x;  // same dtype: no conversion (storage is shared, never written)
  return x.cast(to, cast_saturate(ctx.node()));
}

void run_cast(KernelContext& ctx) { ctx.set_output(0, do_cast(ctx, ctx.input(0), cast_target(ctx.node()))); }

void infer_cast_like(InferContext& ctx) {
  cast_saturate(ctx.node());
  const DType to = elementwise::known_dtype(ctx, 1);
  if (to == DType::kUndefined) {
    const TypeInfo& in = ctx.input_type(0);
    ctx.set_output(0, DType::kUndefined, in.kind == TypeInfo::Kind::kTensor ? in.shape : Shape::unknown_rank());
    return;
  }
  infer_cast_to(ctx, to);
}

void run_cast_like(KernelContext& ctx) {
  ctx.set_output(0, do_cast(ctx, ctx.input(0), ctx.input(1).dtype()));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Cast", .since_version = 1, .inputs = {1, 1}, .infer = infer_cast, .run = run_cast});
ONYX_REGISTER_OP({.op_type = "Cast", .since_version = 6, .inputs = {1, 1}, .infer = infer_cast, .run = run_cast});
ONYX_REGISTER_OP({.op_type = "Cast", .since_version = 19, .inputs = {1, 1}, .infer = infer_cast, .run = run_cast});
ONYX_REGISTER_OP({.op_type = "CastLike", .since_version = 15, .inputs = {2, 2}, .infer = infer_cast_like,
                  .run = run_cast_like});
ONYX_REGISTER_OP({.op_type = "CastLike", .since_version = 19, .inputs = {2, 2}, .infer = infer_cast_like,
                  .run = run_cast_like});

}  // namespace onyx
