// Constant: a tensor given by exactly one of the attributes value, sparse_value, value_float(s), value_int(s),
// value_string(s).
#include "../onnx/proto_convert.h"
#include "op.h"

namespace onyx {
namespace {

Tensor constant_value(const Node& node) {
  int given = 0;
  for (const Attribute& a : node.attributes) given += a.name.rfind("value", 0) == 0 || a.name == "sparse_value";
  if (given != 1) fail_bad_input(node.describe(), ": exactly one value attribute is required, got ", given);
  if (const Tensor* t = node.attr_tensor("value")) return *t;
  if (const Attribute* a = node.find_attr("sparse_value")) return proto::densify(a->sparse, node.describe());
  if (node.has_attr("value_float")) return Tensor::scalar<float>(node.attr_float("value_float", 0));
  if (node.has_attr("value_int")) return Tensor::scalar<int64_t>(node.attr_int("value_int", 0));
  if (node.has_attr("value_string")) return Tensor::scalar<std::string>(node.attr_string("value_string", ""));
  if (node.has_attr("value_floats")) {
    auto v = node.attr_floats("value_floats");
    return Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  }
  if (node.has_attr("value_ints")) {
    auto v = node.attr_ints("value_ints");
    return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  if (node.has_attr("value_strings")) {
    auto v = node.attr_strings("value_strings");
    return Tensor::from_vector<std::string>({static_cast<int64_t>(v.size())}, v);
  }
  fail_bad_input(node.describe(), ": unknown value attribute");
}

void infer_constant(InferContext& ctx) {
  const Tensor t = constant_value(ctx.node());
  ctx.set_output(0, t.dtype(), t.shape());
}

void run_constant(KernelContext& ctx) { ctx.set_output(0, constant_value(ctx.node())); }

}  // namespace

ONYX_REGISTER_OP({.op_type = "Constant", .since_version = 1, .inputs = {0, 0}, .infer = infer_constant,
                  .run = run_constant});

}  // namespace onyx
