// Helpers shared by the graph passes (private to src/ir/passes/).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "onyx/graph.h"
#include "onyx/passes.h"

namespace onyx::passes {

// The passes, one per file.
bool fold_shapes(Model& m, PassContext& ctx);
bool fold_constants(Model& m, PassContext& ctx);
bool remove_identities(Model& m, PassContext& ctx);
bool eliminate_dead_code(Model& m, PassContext& ctx);
bool fold_conv_batchnorm(Model& m, PassContext& ctx);
bool fuse_layer_norm(Model& m, PassContext& ctx);
bool fuse_gelu(Model& m, PassContext& ctx);
bool fuse_softmax(Model& m, PassContext& ctx);
bool fuse_conv_activation(Model& m, PassContext& ctx);
bool fuse_matmul_bias(Model& m, PassContext& ctx);
bool fuse_attention(Model& m, PassContext& ctx);
bool fuse_pointwise(Model& m, PassContext& ctx);

bool is_graph_output(const Graph& g, const Value* v);
// The single node reading `v` when it has exactly one use, that use is in `g` itself and `v` is no graph output;
// nullptr otherwise. (A value that an intermediate step of a fusion produces must satisfy this.)
Node* sole_consumer(const Graph& g, const Value* v);
// Same, and the consumer has this op type (default domain).
Node* sole_consumer_op(const Graph& g, const Value* v, std::string_view op_type);
// The producing node when it is of `op_type` in the default domain.
Node* producer_op(const Value* v, std::string_view op_type);
// Points every use of `from` at `to`.
void replace_all_uses(Value* from, Value* to);
// The constant data of an initializer value (nullptr otherwise, or for a graph input that has a default).
const Tensor* constant_of(const Graph& g, const Value* v);
// A 1-element constant as double.
std::optional<double> scalar_constant(const Graph& g, const Value* v);
// Adds an initializer with a fresh name derived from `base`.
Value* add_initializer(Graph& g, const std::string& base, Tensor t);
// Whether every input and output of the node is a float tensor (float16/bfloat16/float/double) of one dtype.
bool is_float(DType t);
// The nodes of `g` now, for a pass to walk while it rewrites. Nodes that replace_nodes removes are freed: a
// loop must skip them with removed(n) before touching them.
std::vector<Node*> snapshot(const Graph& g);
bool removed(const Node* n);
// Removes `old` (any order) and adds one node computing `output` (the value the last removed node produced).
Node* replace_nodes(Graph& g, const std::vector<Node*>& old, std::string op_type, std::string domain,
                    std::vector<Value*> inputs, Value* output, std::string name, int64_t opset);
// The static shape of a value, when known.
std::optional<std::vector<int64_t>> static_shape(const Value* v);
// Reads int attribute `axes` or the constant `axes` input (index 1) of a Reduce* node; nullopt when neither.
std::optional<std::vector<int64_t>> reduce_axes(const Graph& g, const Node& n);
bool approx(double a, double b, double rel = 1e-3);

}  // namespace onyx::passes

namespace onyx::passes {
// An activation a FusedConv/FusedMatMul can absorb (see src/ops/fused_util.h).
struct Activation {
  std::string name;  // Relu, Sigmoid, Tanh, LeakyRelu, HardSigmoid, HardSwish, Clip, Gelu, GeluTanh
  float alpha = 0, beta = 0;
};
std::optional<Activation> match_activation(const Graph& g, const Node& n);
// Adds activation/activation_alpha/activation_beta attributes to a fused node.
void set_activation(Node& n, const Activation& a);
}  // namespace onyx::passes
