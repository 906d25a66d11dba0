// Helpers shared by the cuda layers (layer_*.cpp): unary/binary op tables, activations of fused ops, copies.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "check.h"
#include "layer.h"

namespace onyx::cuda {

struct UnarySpec {
  UnaryOp op = UnaryOp::kIdentity;
  float alpha = 0.f, beta = 0.f;
  std::string name;  // for kernel names ("relu")
};

// Attribute lookups for a unary op given as a standard op type plus attributes (a Node's, or a fused step's).
using FloatAttr = std::function<float(std::string_view name, float def)>;
using StringAttr = std::function<std::string(std::string_view name, std::string def)>;

// The unary kernel of a standard op type (Relu, Sigmoid, LeakyRelu, Gelu, ...), or nullopt.
std::optional<UnarySpec> unary_spec(std::string_view op_type, const FloatAttr& f, const StringAttr& s);
// The activation of an onyx.FusedConv / FusedMatMul (attribute `activation`); nullopt for none. kUnsupported for
// one without a kernel.
std::optional<UnarySpec> fused_activation(const Node& n);
// The binary kernel of Add/Sub/Mul/Div/Pow/Max/Min, or nullopt.
std::optional<BinaryOp> binary_spec(std::string_view op_type);

inline void copy_d2d(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes && dst != src)
    check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync (copy)");
}

// The float dtype of a Cast/CastLike layer: a cast the model writes to float32 stays in float32 under --fp16/--bf16
// (the model asks for that precision; TensorRT keeps such casts too); other casts take the build's precision.
inline DType cast_float_dtype(const LayerBuild& b) {
  const Value* out = b.n().output(0);
  return out && out->type.is_tensor() && out->type.dtype == DType::kFloat32 ? DType::kFloat32 : DType::kUndefined;
}

// Normalizes an axis of a rank-r tensor (kBadInput naming the node when out of range).
int64_t norm_axis(const Node& n, int64_t axis, int64_t rank);

// Host int64 values of a host tensor (int32 or int64).
std::vector<int64_t> host_ints(const Tensor& t);

}  // namespace onyx::cuda
