// Helpers shared by the cuda layers.
#include "layer_util.h"

namespace onyx::cuda {

std::optional<UnarySpec> unary_spec(std::string_view op, const FloatAttr& f, const StringAttr& s) {
  UnarySpec u;
  u.name = std::string(op);
  for (char& c : u.name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<std::string_view, UnaryOp> plain[] = {
      {"Relu", UnaryOp::kRelu},     {"Sigmoid", UnaryOp::kSigmoid},   {"Tanh", UnaryOp::kTanh},
      {"Exp", UnaryOp::kExp},       {"Log", UnaryOp::kLog},           {"Sqrt", UnaryOp::kSqrt},
      {"Reciprocal", UnaryOp::kReciprocal}, {"Abs", UnaryOp::kAbs},  {"Neg", UnaryOp::kNeg},
      {"Erf", UnaryOp::kErf},       {"Sin", UnaryOp::kSin},           {"Cos", UnaryOp::kCos},
      {"Floor", UnaryOp::kFloor},   {"Ceil", UnaryOp::kCeil},         {"Round", UnaryOp::kRound},
      {"Sign", UnaryOp::kSign},     {"HardSwish", UnaryOp::kHardSwish}, {"Softplus", UnaryOp::kSoftplus},
      {"Identity", UnaryOp::kIdentity}, {"Silu", UnaryOp::kSilu}};
  for (const auto& [name, k] : plain)
    if (op == name) {
      u.op = k;
      return u;
    }
  if (op == "LeakyRelu") return UnarySpec{UnaryOp::kLeakyRelu, f("alpha", 0.01f), 0.f, u.name};
  if (op == "Elu") return UnarySpec{UnaryOp::kElu, f("alpha", 1.f), 0.f, u.name};
  if (op == "Selu")
    return UnarySpec{UnaryOp::kSelu, f("alpha", 1.67326319217681884765625f), f("gamma", 1.05070102214813232421875f),
                     u.name};
  if (op == "HardSigmoid") return UnarySpec{UnaryOp::kHardSigmoid, f("alpha", 0.2f), f("beta", 0.5f), u.name};
  if (op == "Gelu") {
    const std::string a = s("approximate", "none");
    if (a == "tanh") return UnarySpec{UnaryOp::kGeluTanh, 0.f, 0.f, "gelu_tanh"};
    if (a == "none") return UnarySpec{UnaryOp::kGeluErf, 0.f, 0.f, "gelu"};
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<UnarySpec> fused_activation(const Node& n) {
  const std::string act = n.attr_string("activation", "");
  if (act.empty()) return std::nullopt;
  const float alpha = n.attr_float("activation_alpha", 0.f), beta = n.attr_float("activation_beta", 0.f);
  if (act == "Clip") return UnarySpec{UnaryOp::kClip, alpha, beta, "clip"};
  if (act == "GeluTanh") return UnarySpec{UnaryOp::kGeluTanh, 0.f, 0.f, "gelu_tanh"};
  auto f = [&](std::string_view, float) { return alpha; };
  auto fb = [&](std::string_view name, float) { return name == "beta" ? beta : alpha; };
  auto s = [](std::string_view, std::string def) { return def; };
  std::optional<UnarySpec> u = act == "HardSigmoid" ? unary_spec(act, fb, s) : unary_spec(act, f, s);
  if (!u) fail_unsupported("activation '", act, "' has no cuda kernel");
  return u;
}

std::optional<BinaryOp> binary_spec(std::string_view op) {
  if (op == "Add" || op == "Sum") return BinaryOp::kAdd;
  if (op == "Sub") return BinaryOp::kSub;
  if (op == "Mul") return BinaryOp::kMul;
  if (op == "Div") return BinaryOp::kDiv;
  if (op == "Pow") return BinaryOp::kPow;
  if (op == "Max") return BinaryOp::kMax;
  if (op == "Min") return BinaryOp::kMin;
  return std::nullopt;
}

int64_t norm_axis(const Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    fail_bad_input(n.describe(), ": axis ", axis, " is out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

std::vector<int64_t> host_ints(const Tensor& t) {
  std::vector<int64_t> out;
  if (t.dtype() == DType::kInt64) {
    for (int64_t v : t.span<int64_t>()) out.push_back(v);
  } else if (t.dtype() == DType::kInt32) {
    for (int32_t v : t.span<int32_t>()) out.push_back(v);
  } else {
    fail_bad_input("expected an int32/int64 tensor, got ", dtype_name(t.dtype()));
  }
  return out;
}

}  // namespace onyx::cuda
