// fold-conv-batchnorm and fuse-conv-activation.
#include <cmath>

#include "pass_util.h"

namespace onyx::passes {

namespace {

bool only_output0_used(const Graph& g, const Node& n) {
  for (size_t i = 1; i < n.num_outputs(); ++i) {
    const Value* v = n.output(i);
    if (v && (!v->uses().empty() || is_graph_output(g, v))) return false;
  }
  return true;
}

}  // namespace

// Conv(X, W, B) -> BatchNormalization(scale, bias, mean, var) with constant parameters becomes
// Conv(X, W * s, (B - mean) * s + bias), s = scale / sqrt(var + epsilon) per output channel.
bool fold_conv_batchnorm(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  const std::vector<Node*> nodes = snapshot(g);
  for (Node* bn : nodes) {
    if (removed(bn)) continue;
    if (!bn->domain.empty() || bn->op_type != "BatchNormalization") continue;
    if (bn->attr_int("training_mode", 0) != 0 || !only_output0_used(g, *bn)) continue;
    Value* x = bn->input(0);
    Node* conv = producer_op(x, "Conv");
    if (!conv || sole_consumer(g, x) != bn) continue;
    const Tensor* w = constant_of(g, conv->input(1));
    const Tensor* b = conv->input(2) ? constant_of(g, conv->input(2)) : nullptr;
    if (!w || (conv->input(2) && !b) || w->rank() < 3 || !is_float(w->dtype())) continue;
    const Tensor* p[4];
    bool ok = true;
    const int64_t channels = w->dim(0);
    for (size_t i = 0; i < 4; ++i) {
      p[i] = constant_of(g, bn->input(i + 1));
      if (!p[i] || p[i]->numel() != channels || p[i]->dtype() != w->dtype()) ok = false;
    }
    if (!ok || (b && b->numel() != channels)) continue;
    if (!ctx.try_rewrite()) return changed;
    const double eps = bn->attr_float("epsilon", 1e-5f);
    const auto scale = p[0]->to_double_vector(), shift = p[1]->to_double_vector(), mean = p[2]->to_double_vector(),
               var = p[3]->to_double_vector();
    std::vector<double> wv = w->to_double_vector();
    std::vector<double> bv = b ? b->to_double_vector() : std::vector<double>(static_cast<size_t>(channels), 0.0);
    const int64_t per = channels ? w->numel() / channels : 0;
    for (int64_t c = 0; c < channels; ++c) {
      const auto ci = static_cast<size_t>(c);
      const double s = scale[ci] / std::sqrt(var[ci] + eps);
      for (int64_t k = 0; k < per; ++k) wv[static_cast<size_t>(c * per + k)] *= s;
      bv[ci] = (bv[ci] - mean[ci]) * s + shift[ci];
    }
    Value* nw = add_initializer(g, conv->input(1)->name() + "_bnfold",
                                Tensor::from_vector<double>(w->dims(), wv).cast(w->dtype()));
    Value* nb = add_initializer(g, (conv->name.empty() ? std::string("conv") : conv->name) + "_bias_bnfold",
                                Tensor::from_vector<double>({channels}, bv).cast(w->dtype()));
    const std::vector<Attribute> attrs = conv->attributes;
    const int64_t opset = conv->opset;
    const std::string name = conv->name;
    Value* y = bn->output(0);
    Node* fused = replace_nodes(g, {bn, conv}, "Conv", "", {conv->input(0), nw, nb}, y,
                                name, opset);
    fused->attributes = attrs;
    changed = true;
  }
  return changed;
}

// Conv (+ Add of a residual of the Conv output's shape) (+ activation) -> onyx.FusedConv.
bool fuse_conv_activation(Model& m, PassContext& ctx) {
  Graph& g = *m.graph;
  bool changed = false;
  const std::vector<Node*> nodes = snapshot(g);
  for (Node* conv : nodes) {
    if (removed(conv)) continue;
    if (!conv->domain.empty() || conv->op_type != "Conv") continue;
    Value* y = conv->output(0);
    if (!y->type.is_tensor() || !is_float(y->type.dtype)) continue;
    std::vector<Node*> fused_nodes = {conv};
    Value* residual = nullptr;
    Value* cur = y;
    if (Node* add = sole_consumer_op(g, cur, "Add")) {
      Value* other = add->input(0) == cur ? add->input(1) : add->input(0);
      const Value* out = add->output(0);
      if (other != cur && y->type.shape.rank_known() && out->type.is_tensor() && out->type.shape == y->type.shape &&
          other->type.is_tensor() && other->type.dtype == y->type.dtype) {
        residual = other;
        fused_nodes.push_back(add);
        cur = add->output(0);
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
    if (fused_nodes.size() == 1) continue;
    if (!ctx.try_rewrite()) return changed;
    std::vector<Value*> inputs = {conv->input(0), conv->input(1), conv->input(2)};
    if (residual) inputs.push_back(residual);
    while (!inputs.empty() && !inputs.back()) inputs.pop_back();
    const std::vector<Attribute> attrs = conv->attributes;
    const std::string name = conv->name;
    Node* fused = replace_nodes(g, fused_nodes, "FusedConv", "onyx", inputs, cur, name, 1);
    fused->attributes = attrs;
    if (act) set_activation(*fused, *act);
    changed = true;
  }
  return changed;
}

}  // namespace onyx::passes
