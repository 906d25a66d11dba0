// fuse-layer-norm, fuse-gelu, fuse-softmax, fuse-attention: the decomposed forms older exporters emit.
#include <algorithm>
#include <cmath>

#include "pass_util.h"

namespace onyx::passes {

namespace {

// The operand of binary `n` that is not `v` (nullptr when both are `v`).
Value* other_operand(const Node& n, const Value* v) {
  if (n.input(0) == v) return n.input(1) == v ? nullptr : n.input(1);
  if (n.input(1) == v) return n.input(0);
  return nullptr;
}

// Reduce node over exactly the last axis of its input, keepdims = 1 (the default).
bool reduces_last_axis(const Graph& g, const Node& n) {
  if (n.attr_int("keepdims", 1) != 1) return false;
  const Value* x = n.input(0);
  if (!x || !x->type.is_tensor() || !x->type.shape.rank_known()) return false;
  const auto rank = static_cast<int64_t>(x->type.shape.rank());
  const auto axes = reduce_axes(g, n);
  return rank > 0 && axes && axes->size() == 1 && ((*axes)[0] == -1 || (*axes)[0] == rank - 1);
}

Attribute float_attr(const std::string& name, float v) {
  Attribute a;
  a.name = name;
  a.type = AttrType::kFloat;
  a.f = v;
  return a;
}

// Domain and opset of a standard op (since `since`) for this model: the standard op when the model's opset has
// it, the onyx-domain equivalent otherwise.
std::pair<std::string, int64_t> target(const Model& m, int64_t since) {
  const int64_t opset = m.opset("");
  if (opset >= since) return {"", opset};
  return {"onyx", 1};
}

}  // namespace

// mean = ReduceMean(x); d = x - mean; var = ReduceMean(d^2 or d*d); y = d / Sqrt(var + eps) (* gamma) (+ beta)
// -> LayerNormalization(x, gamma, beta, axis=-1, epsilon=eps).
bool fuse_layer_norm(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  for (Node* mean : snapshot(g)) {
    if (removed(mean)) continue;
    if (!mean->domain.empty() || mean->op_type != "ReduceMean" || !reduces_last_axis(g, *mean)) continue;
    Value* x = mean->input(0);
    if (!is_float(x->type.dtype)) continue;
    Node* sub = sole_consumer_op(g, mean->output(0), "Sub");
    if (!sub || sub->input(0) != x || sub->input(1) != mean->output(0)) continue;
    Value* d = sub->output(0);
    if (is_graph_output(g, d)) continue;
    // d's readers: the squaring node and the Div.
    Node* square = nullptr;
    Node* div = nullptr;
    for (auto [u, idx] : d->uses()) {
      if (u->domain.empty() && u->op_type == "Div" && idx == 0) div = u;
      else if (u->domain.empty() && (u->op_type == "Pow" || u->op_type == "Mul")) square = u;
    }
    if (!square || !div) continue;
    if (square->op_type == "Pow") {
      const auto e = scalar_constant(g, square->input(1));
      if (square->input(0) != d || !e || *e != 2.0 || d->uses().size() != 2) continue;
    } else if (square->input(0) != d || square->input(1) != d || d->uses().size() != 3) {
      continue;
    }
    Node* var = sole_consumer_op(g, square->output(0), "ReduceMean");
    if (!var || !reduces_last_axis(g, *var)) continue;
    Node* add = sole_consumer_op(g, var->output(0), "Add");
    if (!add) continue;
    const auto eps = scalar_constant(g, other_operand(*add, var->output(0)));
    if (!eps) continue;
    Node* sqrt = sole_consumer_op(g, add->output(0), "Sqrt");
    if (!sqrt || sole_consumer(g, sqrt->output(0)) != div || div->input(1) != sqrt->output(0)) continue;
    std::vector<Node*> fused = {mean, sub, square, var, add, sqrt, div};
    Value* cur = div->output(0);
    const int64_t last = x->type.shape.dims().back().value();
    auto is_param = [&](const Value* v) {
      const Tensor* t = constant_of(g, v);
      return t && t->rank() == 1 && t->numel() == last && t->dtype() == x->type.dtype;
    };
    Value* gamma = nullptr;
    Value* beta = nullptr;
    if (Node* mul = sole_consumer_op(g, cur, "Mul"); mul && is_param(other_operand(*mul, cur))) {
      gamma = other_operand(*mul, cur);
      fused.push_back(mul);
      cur = mul->output(0);
      if (Node* badd = sole_consumer_op(g, cur, "Add"); badd && is_param(other_operand(*badd, cur))) {
        beta = other_operand(*badd, cur);
        fused.push_back(badd);
        cur = badd->output(0);
      }
    }
    if (!gamma && last < 0) continue;  // a unit scale needs the size
    if (!ctx.try_rewrite()) return changed;
    if (!gamma) {
      gamma = add_initializer(g, "layer_norm_unit_scale",
                              Tensor::from_vector<double>({last}, std::vector<double>(static_cast<size_t>(last), 1.0))
                                  .cast(x->type.dtype));
    }
    auto [domain, opset] = target(m, 17);
    std::vector<Value*> inputs = {x, gamma};
    if (beta) inputs.push_back(beta);
    Node* ln = replace_nodes(g, fused, "LayerNormalization", domain, inputs, cur, mean->name, opset);
    ln->attributes = {float_attr("epsilon", static_cast<float>(*eps))};
    changed = true;
  }
  return changed;
}

// x * 0.5 * (1 + erf(x / sqrt(2)))  (either association, Div by sqrt(2) or Mul by 1/sqrt(2)) -> Gelu.
bool fuse_gelu(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  for (Node* erf : snapshot(g)) {
    if (removed(erf) || !erf->domain.empty() || erf->op_type != "Erf") continue;
    Node* scale = erf->input(0) ? erf->input(0)->producer() : nullptr;
    if (!scale || !scale->domain.empty() || sole_consumer(g, scale->output(0)) != erf) continue;
    const auto c = scalar_constant(g, scale->input(1));
    if (!c) continue;
    const bool ok_scale = (scale->op_type == "Div" && approx(*c, std::sqrt(2.0))) ||
                          (scale->op_type == "Mul" && approx(*c, 1 / std::sqrt(2.0)));
    if (!ok_scale) continue;
    Value* x = scale->input(0);
    if (!x->type.is_tensor() || !is_float(x->type.dtype)) continue;
    Node* add = sole_consumer_op(g, erf->output(0), "Add");
    if (!add) continue;
    const auto one = scalar_constant(g, other_operand(*add, erf->output(0)));
    if (!one || *one != 1.0) continue;
    Node* mul = sole_consumer_op(g, add->output(0), "Mul");
    if (!mul) continue;
    Value* other = other_operand(*mul, add->output(0));
    std::vector<Node*> fused = {scale, erf, add, mul};
    Value* out = nullptr;
    if (other == x) {  // (x * (1 + erf)) * 0.5
      Node* half = sole_consumer_op(g, mul->output(0), "Mul");
      if (!half) continue;
      const auto h = scalar_constant(g, other_operand(*half, mul->output(0)));
      if (!h || *h != 0.5) continue;
      fused.push_back(half);
      out = half->output(0);
    } else if (Node* half = producer_op(other, "Mul"); half && sole_consumer(g, other) == mul) {  // (x*0.5)*(1+erf)
      const auto h = scalar_constant(g, other_operand(*half, x));
      if (!h || *h != 0.5 || (half->input(0) != x && half->input(1) != x)) continue;
      fused.insert(fused.begin(), half);
      out = mul->output(0);
    } else {
      continue;
    }
    if (!ctx.try_rewrite()) return changed;
    auto [domain, opset] = target(m, 20);
    replace_nodes(g, fused, "Gelu", domain, {x}, out, erf->name, opset);
    changed = true;
  }
  return changed;
}

// Exp(x [- ReduceMax(x)]) / ReduceSum(that) over the last axis -> Softmax(axis = last).
bool fuse_softmax(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  for (Node* exp : snapshot(g)) {
    if (removed(exp) || !exp->domain.empty() || exp->op_type != "Exp") continue;
    Value* e = exp->output(0);
    if (e->uses().size() != 2 || is_graph_output(g, e)) continue;
    Node* sum = nullptr;
    Node* div = nullptr;
    for (auto [u, idx] : e->uses()) {
      if (u->domain.empty() && u->op_type == "ReduceSum" && idx == 0) sum = u;
      if (u->domain.empty() && u->op_type == "Div" && idx == 0) div = u;
    }
    if (!sum || !div || !reduces_last_axis(g, *sum) || sole_consumer(g, sum->output(0)) != div ||
        div->input(1) != sum->output(0))
      continue;
    Value* x = exp->input(0);
    std::vector<Node*> fused = {exp, sum, div};
    if (Node* sub = producer_op(x, "Sub"); sub && sole_consumer(g, x) == exp) {
      Node* max = producer_op(sub->input(1), "ReduceMax");
      if (max && max->input(0) == sub->input(0) && sole_consumer(g, max->output(0)) == sub &&
          reduces_last_axis(g, *max)) {
        fused.insert(fused.begin(), {max, sub});
        x = sub->input(0);
      }
    }
    if (!x->type.is_tensor() || !is_float(x->type.dtype) || !x->type.shape.rank_known()) continue;
    if (!ctx.try_rewrite()) return changed;
    Node* sm = replace_nodes(g, fused, "Softmax", "", {x}, div->output(0), exp->name, m.opset(""));
    Attribute axis;
    axis.name = "axis";
    axis.type = AttrType::kInt;
    axis.i = static_cast<int64_t>(x->type.shape.rank()) - 1;
    sm->attributes = {axis};
    changed = true;
  }
  return changed;
}

// MatMul(Q, KT) (* or / scalar) (+ mask) -> Softmax(last axis) -> MatMul(., V) -> onyx.Attention.
bool fuse_attention(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  for (Node* sm : snapshot(g)) {
    if (removed(sm) || !sm->domain.empty() || sm->op_type != "Softmax") continue;
    Value* s_in = sm->input(0);
    if (!s_in->type.is_tensor() || !s_in->type.shape.rank_known() || !is_float(s_in->type.dtype)) continue;
    const auto rank = static_cast<int64_t>(s_in->type.shape.rank());
    const int64_t axis = sm->attr_int("axis", sm->opset < 13 ? 1 : -1);
    if (rank < 2 || (axis != -1 && axis != rank - 1)) continue;
    Node* pv = sole_consumer_op(g, sm->output(0), "MatMul");
    if (!pv || pv->input(0) != sm->output(0)) continue;
    std::vector<Node*> fused = {sm, pv};
    Value* cur = s_in;
    Value* mask = nullptr;
    if (Node* add = producer_op(cur, "Add"); add && sole_consumer(g, cur) == sm) {
      // Either operand may be the scores: the scores come from a MatMul (possibly scaled).
      for (int i = 0; i < 2 && !mask; ++i) {
        Value* a = add->input(static_cast<size_t>(i));
        Value* b = add->input(static_cast<size_t>(1 - i));
        Node* p = a->producer();
        if (p && p->domain.empty() && (p->op_type == "MatMul" || p->op_type == "Mul" || p->op_type == "Div") &&
            sole_consumer(g, a) == add && b->type.dtype == s_in->type.dtype) {
          mask = b;
          cur = a;
        }
      }
      if (mask) fused.insert(fused.begin(), add);
    }
    float scale = 1.f;
    bool divisor = false;
    if (Node* sc = cur->producer(); sc && sc->domain.empty() && (sc->op_type == "Mul" || sc->op_type == "Div") &&
                                    sole_consumer(g, cur) == fused.front()) {
      const bool div = sc->op_type == "Div";
      Value* raw = nullptr;
      std::optional<double> c;
      if ((c = scalar_constant(g, sc->input(1)))) raw = sc->input(0);
      else if (!div && (c = scalar_constant(g, sc->input(0)))) raw = sc->input(1);
      if (!raw || !producer_op(raw, "MatMul")) continue;
      scale = static_cast<float>(*c);
      divisor = div;
      fused.insert(fused.begin(), sc);
      cur = raw;
    }
    Node* qk = producer_op(cur, "MatMul");
    if (!qk || sole_consumer(g, cur) != fused.front()) continue;
    fused.insert(fused.begin(), qk);
    if (!ctx.try_rewrite()) return changed;
    std::vector<Value*> inputs = {qk->input(0), qk->input(1), pv->input(1)};
    if (mask) inputs.push_back(mask);
    Node* att = replace_nodes(g, fused, "Attention", "onyx", inputs, pv->output(0), sm->name, 1);
    if (scale != 1.f) att->attributes.push_back(float_attr("scale", scale));
    if (divisor) {
      Attribute d;
      d.name = "scale_is_divisor";
      d.type = AttrType::kInt;
      d.i = 1;
      att->attributes.push_back(d);
    }
    changed = true;
  }
  return changed;
}

}  // namespace onyx::passes
