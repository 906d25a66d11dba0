// The cpu target's kernels: the hot ops of CNNs and MLPs, writing their outputs into the context's arena (no
// per-run allocation, no zero-fill). Anything they do not handle at run time falls back to the reference
// kernel.
#include "kernels.h"

#include <limits>

#include "../core/parallel.h"
#include "../ops/nn_util.h"

namespace onyx::cpu {

namespace {

bool is_default_domain(const Node& n) {
  return n.domain.empty() || n.domain == "ai.onnx";
}

bool input_is_f32(const Node& n, size_t i) {
  const Value* v = n.input(i);
  return v && v->type.is_tensor() && v->type.dtype == DType::kFloat32;
}

// ---- Conv: im2col + gemm (src/ops/nn_util.h) into the arena
// --------------------------------------------------

bool accepts_conv(const Node& n) {
  return is_default_domain(n) && n.op_type == "Conv" && input_is_f32(n, 0) && input_is_f32(n, 1) &&
         (!n.input(2) || input_is_f32(n, 2));
}

bool run_conv(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) return false;
  const nn::ConvShape s = nn::conv_shape(ctx, true);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  Tensor y = alloc(0, DType::kFloat32, out_dims);
  nn::conv_gemm<float>(s, x.data<float>(), ctx.input(1).data<float>(),
                       ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr, y.data<float>());
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- onyx.FusedConv (Conv + residual + Relu/Clip, from the fuse-conv-activation pass) into the arena ------
// The epilogue runs over each output while it is still in cache; other activations go to the reference kernel.

bool accepts_fused_conv(const Node& n) {
  if (n.domain != "onyx" || n.op_type != "FusedConv" || !input_is_f32(n, 0) || !input_is_f32(n, 1)) return false;
  if (n.input(2) && !input_is_f32(n, 2)) return false;
  if (n.input(3)) {  // the residual must have exactly the output's (static) shape
    const Value* z = n.input(3);
    const Value* y = n.output(0);
    if (!input_is_f32(n, 3) || !y || !z->type.shape.is_static() || !(z->type.shape == y->type.shape)) return false;
  }
  const std::string act = n.attr_string("activation", "");
  return act.empty() || act == "Relu" || act == "Clip";
}

bool run_fused_conv(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) return false;
  const nn::ConvShape s = nn::conv_shape(ctx, true);
  std::vector<int64_t> out_dims = {s.n, s.m};
  out_dims.insert(out_dims.end(), s.geom.out.begin(), s.geom.out.end());
  const bool residual = ctx.has_input(3);
  if (residual && (ctx.input(3).dtype() != DType::kFloat32 || ctx.input(3).dims() != out_dims)) return false;
  const std::string act = ctx.node().attr_string("activation", "");
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (act == "Relu") lo = 0.0f;
  if (act == "Clip") {
    lo = ctx.node().attr_float("activation_alpha", lo);
    hi = ctx.node().attr_float("activation_beta", hi);
  }
  Tensor y = alloc(0, DType::kFloat32, out_dims);
  nn::conv_gemm<float>(s, x.data<float>(), ctx.input(1).data<float>(),
                       ctx.has_input(2) ? ctx.input(2).data<float>() : nullptr, y.data<float>());
  const float* z = residual ? ctx.input(3).data<float>() : nullptr;
  float* yp = y.data<float>();
  const bool clamp = !act.empty();
  parallel_for(y.numel(), 1 << 15, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      float v = z ? yp[i] + z[i] : yp[i];
      // Same order and NaN behaviour as Relu/Clip: NaN stays NaN.
      if (clamp) v = v < lo ? lo : (v > hi ? hi : v);
      yp[i] = v;
    }
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- MatMul (numpy semantics, float32) through gemm into the arena
// --------------------------------------------

bool accepts_matmul(const Node& n) {
  return is_default_domain(n) && n.op_type == "MatMul" && input_is_f32(n, 0) && input_is_f32(n, 1);
}

bool run_matmul(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32) return false;
  const nn::MatMulPlan p = nn::plan_matmul(ctx.node(), a.dims(), b.dims());
  Tensor y = alloc(0, DType::kFloat32, p.out_dims);
  if (y.numel() > 0) nn::matmul_gemm<float>(p, a.data<float>(), b.data<float>(), y.data<float>());
  ctx.set_output(0, std::move(y));
  return true;
}

// ---- elementwise
// ---------------------------------------------------------------------------------------------

constexpr int64_t kGrain = 1 << 15;

bool accepts_relu(const Node& n) {
  return is_default_domain(n) && n.op_type == "Relu" && input_is_f32(n, 0);
}

bool run_relu(KernelContext& ctx, const OutputAllocator& alloc) {
  const Tensor& x = ctx.input(0);
  if (x.dtype() != DType::kFloat32) return false;
  Tensor y = alloc(0, DType::kFloat32, x.dims());
  const float* xp = x.data<float>();
  float* yp = y.data<float>();
  parallel_for(x.numel(), kGrain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) yp[i] = xp[i] < 0.0f ? 0.0f : xp[i];
  });
  ctx.set_output(0, std::move(y));
  return true;
}

// Add/Sub/Mul/Div of two float32 tensors of the same shape (opset 7+: numpy broadcasting, handled by the
// reference kernel when the shapes differ at run time).
template <typename Op>
bool run_binary_same(KernelContext& ctx, const OutputAllocator& alloc, Op op) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype() != DType::kFloat32 || b.dtype() != DType::kFloat32 || a.dims() != b.dims()) return false;
  Tensor y = alloc(0, DType::kFloat32, a.dims());
  const float* ap = a.data<float>();
  const float* bp = b.data<float>();
  float* yp = y.data<float>();
  parallel_for(a.numel(), kGrain, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) yp[i] = op(ap[i], bp[i]);
  });
  ctx.set_output(0, std::move(y));
  return true;
}

template <const char* kOp>
bool accepts_binary(const Node& n) {
  if (!is_default_domain(n) || n.op_type != kOp || n.opset < 7 || !input_is_f32(n, 0) || !input_is_f32(n, 1))
    return false;
  const TypeInfo& a = n.input(0)->type;
  const TypeInfo& b = n.input(1)->type;
  return a.has_shape && b.has_shape && a.shape.rank_known() && a.shape == b.shape;
}

constexpr char kAdd[] = "Add";
constexpr char kSub[] = "Sub";
constexpr char kMul[] = "Mul";

const Kernel kConv{"cpu.conv_gemm", accepts_conv, run_conv};
const Kernel kFusedConv{"cpu.fused_conv_gemm", accepts_fused_conv, run_fused_conv};
const Kernel kRelu{"cpu.relu", accepts_relu, run_relu};
const Kernel kMatMul{"cpu.matmul_gemm", accepts_matmul, run_matmul};
const Kernel kAddK{"cpu.add_same_shape", accepts_binary<kAdd>,
                   [](KernelContext& c, const OutputAllocator& a) {
                     return run_binary_same(c, a, [](float x, float y) { return x + y; });
                   }};
const Kernel kSubK{"cpu.sub_same_shape", accepts_binary<kSub>,
                   [](KernelContext& c, const OutputAllocator& a) {
                     return run_binary_same(c, a, [](float x, float y) { return x - y; });
                   }};
const Kernel kMulK{"cpu.mul_same_shape", accepts_binary<kMul>,
                   [](KernelContext& c, const OutputAllocator& a) {
                     return run_binary_same(c, a, [](float x, float y) { return x * y; });
                   }};

const std::vector<const Kernel*>& all_kernels() {
  static const std::vector<const Kernel*> k = {&kConv, &kFusedConv, &kMatMul, &kRelu, &kAddK, &kSubK, &kMulK};
  return k;
}

}  // namespace

const Kernel* choose_kernel(const Node& node) {
  for (const Kernel* k : all_kernels())
    if (k->accepts(node)) return k;
  return nullptr;
}

const Kernel* find_kernel(std::string_view name) {
  for (const Kernel* k : all_kernels())
    if (k->name == name) return k;
  return nullptr;
}

}  // namespace onyx::cpu
