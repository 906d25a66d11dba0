// fuse-matmul-bias: MatMul(A, B) + bias (+ activation) and Gemm (+ activation) -> onyx.FusedMatMul.
#include "pass_util.h"

namespace onyx::passes {

namespace {

Attribute int_attr(const std::string& name, int64_t v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kInt;
  a.i = v;
  return a;
}
Attribute float_attr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}

// A bias vector for an output whose last dim is n: a constant of n elements, shape [n] (or [1, n]).
bool is_bias_vector(const Graph& g, const Value* v, int64_t n) {
  const Tensor* t = constant_of(g, v);
  if (!t || t->numel() != n) return false;
  return t->rank() == 1 || (t->rank() == 2 && t->dim(0) == 1);
}

}  // namespace

bool fuse_matmul_bias(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  const std::vector<Node*> nodes = snapshot(g);
  for (Node* mm : nodes) {
    if (removed(mm)) continue;
    if (!mm->domain.empty() || (mm->op_type != "MatMul" && mm->op_type != "Gemm")) continue;
    Value* y = mm->output(0);
    if (!y->type.is_tensor() || !is_float(y->type.dtype)) continue;
    std::vector<Node*> fused_nodes = {mm};
    std::vector<Value*> inputs = {mm->input(0), mm->input(1)};
    std::vector<Attribute> attrs;
    Value* cur = y;
    if (mm->op_type == "Gemm") {
      // Gemm with transA = 0 and beta = 1 (or no C); C must be a bias vector (its broadcast is then like Add's).
      if (mm->attr_int("transA", 0) != 0) continue;
      const auto out_shape = static_shape(y);
      if (!out_shape || out_shape->size() != 2) continue;
      if (mm->input(2)) {
        if (mm->attr_float("beta", 1.f) != 1.f || !is_bias_vector(g, mm->input(2), (*out_shape)[1])) continue;
        inputs.push_back(mm->input(2));
      }
      if (mm->attr_int("transB", 0)) attrs.push_back(int_attr("transB", 1));
      if (mm->attr_float("alpha", 1.f) != 1.f) attrs.push_back(float_attr("alpha", mm->attr_float("alpha", 1.f)));
    } else {
      // MatMul with a constant 2-D B, then Add of a bias vector of B's column count.
      const Tensor* b = constant_of(g, mm->input(1));
      if (!b || b->rank() != 2) continue;
      if (Node* add = sole_consumer_op(g, cur, "Add")) {
        Value* other = add->input(0) == cur ? add->input(1) : add->input(0);
        if (other != cur && is_bias_vector(g, other, b->dim(1)) && other->type.dtype == y->type.dtype) {
          inputs.push_back(other);
          fused_nodes.push_back(add);
          cur = add->output(0);
        }
      }
    }
    std::optional<Activation> act;
    if (Node* next = sole_consumer(g, cur)) {
      act = match_activation(g, *next);
      if (act) {
        fused_nodes.push_back(next);
        cur = next->output(0);
      }
    }
    // A bare Gemm or MatMul gains nothing.
    if (!act && (mm->op_type == "Gemm" || fused_nodes.size() == 1)) continue;
    if (!ctx.try_rewrite()) return changed;
    const std::string name = mm->name;
    Node* fused = replace_nodes(g, fused_nodes, "FusedMatMul", "onyx", inputs, cur, name, 1);
    fused->attributes = attrs;
    if (act) set_activation(*fused, *act);
    changed = true;
  }
  return changed;
}

}  // namespace onyx::passes
