// Helpers shared by the layers of src/cuda/layers_*.cpp (the node-suite coverage layers over ops_kernels.h).
#pragma once

#include <cuda_runtime_api.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "layer.h"
#include "ops_kernels.h"

namespace onyx::cuda::ext {

inline bool is_float_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16 || t == DType::kFloat64;
}
inline bool is_int_dtype(DType t) {
  switch (t) {
    case DType::kInt8:
    case DType::kInt16:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUInt8:
    case DType::kUInt16:
    case DType::kUInt32:
    case DType::kUInt64: return true;
    default: return false;
  }
}
inline bool is_numeric_dtype(DType t) { return is_float_dtype(t) || is_int_dtype(t); }
// Any dtype the bit-copying kernels move (numbers and bool).
inline bool is_plain_dtype(DType t) { return is_numeric_dtype(t) || t == DType::kBool; }

// kUnsupported unless input i (when present) satisfies `ok`; `what` names the accepted dtypes.
inline void require(const LayerBuild& b, size_t i, bool (*ok)(DType), std::string_view what) {
  if (!b.has_input(i)) return;
  const DType t = b.model_dtype(i);
  if (!ok(t)) fail_unsupported("input ", i, " is ", dtype_name(t), "; the cuda layer takes ", what);
}
inline void require_float_any(const LayerBuild& b, size_t i) { require(b, i, is_float_dtype, "float types"); }
inline void require_numeric(const LayerBuild& b, size_t i) { require(b, i, is_numeric_dtype, "numeric types"); }
inline void require_plain(const LayerBuild& b, size_t i) { require(b, i, is_plain_dtype, "numeric types and bool"); }
inline void require_index(const LayerBuild& b, size_t i) {
  require(b, i, [](DType t) { return t == DType::kInt32 || t == DType::kInt64; }, "int32/int64 indices");
}
inline void require_output_plain(const LayerBuild& b, size_t i) {
  const Value* v = b.n().output(i);
  if (v && v->type.is_tensor() && !is_plain_dtype(v->type.dtype))
    fail_unsupported("output ", i, " is ", dtype_name(v->type.dtype), ": no cuda kernel for it");
}
inline void require_outputs_absent_from(const LayerBuild& b, size_t first) {
  for (size_t i = first; i < b.n().num_outputs(); ++i)
    if (b.n().output(i)) fail_unsupported("optional output ", i, " is not supported by the cuda layer");
}

// Host values as int64 / float (empty for a null tensor).
inline std::vector<int64_t> ints_of(const Tensor* t) { return t ? t->to_int64_vector() : std::vector<int64_t>{}; }
inline std::vector<float> floats_of(const Tensor* t) {
  std::vector<float> out;
  if (!t) return out;
  for (double d : t->to_double_vector()) out.push_back(static_cast<float>(d));
  return out;
}

inline int64_t normalize_axis(const Node& n, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) fail_bad_input(n.describe(), ": axis ", axis, " out of range for rank ", rank);
  return axis < 0 ? axis + rank : axis;
}

inline void copy_device(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes && dst != src)
    check_cuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync (copy)");
}

// A layer whose enqueue is a lambda over (ctx, inputs, outputs), for ops without per-shape state.
using EnqueueFn =
    std::function<void(LayerContext&, const std::vector<DeviceTensor>&, const std::vector<DeviceTensor>&)>;
class FnLayer : public Layer {
 public:
  FnLayer(const LayerBuild& b, std::string kernel, EnqueueFn fn, std::vector<int> host = {},
          DType float_dtype = DType::kUndefined)
      : fn_(std::move(fn)), host_(std::move(host)) {
    init(b, std::move(kernel), float_dtype);
  }
  // For an enqueue that passes ctx.error_flag to its kernels (see LayerContext::error_flag).
  void set_reports_data_errors() { data_errors_ = true; }
  std::vector<int> host_inputs() const override { return host_; }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in,
               const std::vector<DeviceTensor>& out) override {
    fn_(ctx, in, out);
  }

 private:
  EnqueueFn fn_;
  std::vector<int> host_;
};

}  // namespace onyx::cuda::ext
