// cuda layers on cuBLASLt: MatMul, Gemm, onyx.FusedMatMul (bias + activation epilogues) and onyx.Attention
// (two batched matmuls around a mask add and a softmax).
#include <cstdlib>
#include <numeric>
#include <string_view>

#include "flash_attention.h"
#include "layer_util.h"
#include "matmul.h"

namespace onyx::cuda {
namespace {

int64_t prod(const Dims& d, size_t from, size_t to) {
  int64_t p = 1;
  for (size_t i = from; i < to; ++i) p *= d[i];
  return p;
}

MatmulCompute compute_of(DType dt, Precision p) {
  if (dt != DType::kFloat32) return MatmulCompute::kDefault;
  return p == Precision::kTf32 ? MatmulCompute::kTf32 : MatmulCompute::kFp32Strict;
}

uint32_t alignment_for(DType dt, std::initializer_list<int64_t> elems) {
  const int64_t es = static_cast<int64_t>(dtype_size(dt));
  uint32_t a = 16;
  for (;;) {
    bool ok = true;
    for (int64_t e : elems)
      if ((e * es) % a != 0) ok = false;
    if (ok || a <= static_cast<uint32_t>(es)) return a;
    a /= 2;
  }
}

// One batched product C[batch] = op(A[batch]) op(B[batch]) for row-major operands, from ONNX MatMul shapes
// (A [..., m, k], B [..., k, n], numpy-broadcast batches of which each side is either full or a single matrix).
struct Problem {
  MatmulDesc desc;
  bool empty = false;  // m, n or batch 0: nothing to compute
  bool zero_k = false; // k == 0: the output is zeros
};

Problem matmul_problem(const Dims& a_in, const Dims& b_in, const Dims& y, DType dt, Precision p) {
  Problem pr;
  Dims a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  if (a.size() < 2 || b.size() < 2) fail_bad_input("MatMul of scalars");
  MatmulDesc& d = pr.desc;
  d.dtype = dt;
  d.compute = compute_of(dt, p);
  d.m = a[a.size() - 2];
  d.k = a.back();
  d.n = b.back();
  if (b[b.size() - 2] != d.k)
    fail_bad_input("MatMul inner dimensions differ: ", dims_to_string(a_in), " and ", dims_to_string(b_in));
  const int64_t a_batch = prod(a, 0, a.size() - 2), b_batch = prod(b, 0, b.size() - 2);
  const int64_t y_count = cuda::numel(y);
  const int64_t batch = d.m * d.n > 0 ? y_count / (d.m * d.n) : 0;
  if (y_count == 0) {
    pr.empty = true;
    return pr;
  }
  if (b_batch == 1 && b.size() == 2) {
    // Fold A's batch into m (one GEMM against a shared weight).
    d.m *= a_batch;
    d.batch_count = 1;
  } else if (b_batch == 1) {
    d.m *= a_batch;  // B's batch dims are all 1: same as a 2-D B
  } else {
    d.batch_count = batch;
    if (a_batch == batch) d.stride_a = d.m * d.k;
    else if (a_batch == 1) d.stride_a = 0;
    else fail_unsupported("MatMul batch broadcasting between ", dims_to_string(a_in), " and ", dims_to_string(b_in));
    if (b_batch == batch) d.stride_b = d.k * d.n;
    else fail_unsupported("MatMul batch broadcasting between ", dims_to_string(a_in), " and ", dims_to_string(b_in));
    d.stride_c = d.m * d.n;
  }
  if (d.k == 0) pr.zero_k = true;
  d.alignment = alignment_for(dt, {d.k, d.n, d.stride_a > 0 ? d.stride_a : 0, d.stride_b > 0 ? d.stride_b : 0,
                                   d.stride_c > 0 ? d.stride_c : 0});
  return pr;
}

// MatMul / Gemm / FusedMatMul.
class GemmLayer : public Layer {
 public:
  enum class Kind { kMatMul, kGemm, kFusedMatMul };
  GemmLayer(const LayerBuild& b, Kind kind) : kind_(kind) {
    const Node& n = b.n();
    if (kind == Kind::kGemm) {
      gemm_ = true;
      trans_a_ = n.attr_int("transA", 0) != 0;
      trans_b_ = n.attr_int("transB", 0) != 0;
      alpha_ = n.attr_float("alpha", 1.f);
      beta_ = n.attr_float("beta", 1.f);
      has_c_ = b.has_input(2) && beta_ != 0.f;
    } else if (kind == Kind::kFusedMatMul) {
      trans_b_ = n.attr_int("transB", 0) != 0;
      alpha_ = n.attr_float("alpha", 1.f);
      gemm_ = trans_b_ || alpha_ != 1.f;
      has_c_ = b.has_input(2);
      act_ = fused_activation(n);
    }
    init(b, "cuda.matmul.cublaslt");
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& a = ctx.input_shapes[0];
    const Dims& bd = ctx.input_shapes[1];
    const Dims& y = ctx.output_shapes[0];
    const DType dt = ctx.input_dtypes[0];
    if (gemm_) {
      if (a.size() != 2 || bd.size() != 2) fail_bad_input("Gemm needs 2-D A and B");
      pr_ = Problem{};
      MatmulDesc& d = pr_.desc;
      d.dtype = dt;
      d.compute = compute_of(dt, precision());
      d.trans_a = trans_a_;
      d.trans_b = trans_b_;
      d.m = trans_a_ ? a[1] : a[0];
      d.k = trans_a_ ? a[0] : a[1];
      d.n = trans_b_ ? bd[0] : bd[1];
      if ((trans_b_ ? bd[1] : bd[0]) != d.k)
        fail_bad_input("Gemm inner dimensions differ: ", dims_to_string(a), " and ", dims_to_string(bd));
      d.alpha = alpha_;
      pr_.empty = d.m * d.n == 0;
      pr_.zero_k = d.k == 0;
      d.alignment = alignment_for(dt, {a[1], bd[1], d.n});
    } else {
      pr_ = matmul_problem(a, bd, y, dt, precision());
    }
    // Bias: an epilogue when it is one row of n values added with weight 1.
    bias_epilogue_ = false;
    if (has_c_) {
      const Dims& c = ctx.input_shapes[2];
      const int64_t cn = cuda::numel(c);
      bool row = cn == pr_.desc.n && !c.empty() && c.back() == pr_.desc.n;
      if (kind_ == Kind::kGemm && beta_ != 1.f) row = false;
      bias_epilogue_ = row && pr_.desc.n > 0;
      if (!row && kind_ == Kind::kGemm && beta_ != 1.f) fail_unsupported("Gemm with beta != 1 and a non-row C");
    }
    pr_.desc.bias = bias_epilogue_;
    pr_.desc.epilogue = MatmulEpilogue::kNone;
    if (act_ && (bias_epilogue_ || !has_c_)) {
      if (act_->op == UnaryOp::kRelu) pr_.desc.epilogue = MatmulEpilogue::kRelu;
      if (act_->op == UnaryOp::kGeluTanh) pr_.desc.epilogue = MatmulEpilogue::kGelu;
    }
    plan_.reset();
    if (pr_.empty || pr_.zero_k) return 0;
    plan_ = std::make_unique<MatmulPlan>(*ctx.layer_context->blaslt, pr_.desc);
    return plan_->algo(0).workspace_bytes;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    if (pr_.empty) return;
    if (pr_.zero_k) {
      check_cuda(cudaMemsetAsync(y.data, 0, y.nbytes(), ctx.stream), "cudaMemsetAsync");
    } else {
      plan_->run(in[0].data, in[1].data, y.data, bias_epilogue_ ? in[2].data : nullptr, ctx.workspace,
                 ctx.workspace_bytes, ctx.stream);
    }
    if (has_c_ && (!bias_epilogue_ || pr_.zero_k))
      binary(BinaryOp::kAdd, y.dtype, y.data, y.dims, in[2].data, in[2].dims, y.data, ctx.stream);
    const bool epi_done = !pr_.zero_k && pr_.desc.epilogue != MatmulEpilogue::kNone;
    if (act_ && !epi_done)
      unary(act_->op, y.dtype, y.data, y.data, y.numel(), ctx.stream, act_->alpha, act_->beta);
  }

 private:
  Kind kind_;
  bool gemm_ = false, trans_a_ = false, trans_b_ = false, has_c_ = false, bias_epilogue_ = false;
  float alpha_ = 1.f, beta_ = 1.f;
  std::optional<UnarySpec> act_;
  Problem pr_;
  std::unique_ptr<MatmulPlan> plan_;
};

// onyx.Attention: Y = softmax(Q·KT * scale + mask) · V with the scores in the workspace.
class AttentionLayer : public Layer {
 public:
  explicit AttentionLayer(const LayerBuild& b) {
    scale_ = b.n().attr_float("scale", 1.f);
    if (b.n().attr_int("scale_is_divisor", 0)) scale_ = 1.f / scale_;
    init(b, "cuda.attention.cublaslt_softmax");
    // float16/bfloat16: the fused kernel (flash_attention.h) for the shapes it takes, cuBLASLt for the others.
    if (float_dtype() != DType::kFloat32) kernel_ = "cuda.attention.flash";
  }
  size_t prepare(const ShapeContext& ctx) override {
    const DType dt = ctx.input_dtypes[0];
    flash_ = dt != DType::kFloat32 && prepare_flash(ctx);
    if (flash_) {
      plan1_.reset();
      plan2_.reset();
      return 0;
    }
    const Dims& q = ctx.input_shapes[0];
    const Dims& kt = ctx.input_shapes[1];
    const Dims& v = ctx.input_shapes[2];
    if (q.size() < 2 || kt.size() < 2 || v.size() < 2) fail_unsupported("Attention operands of rank < 2");
    s_dims_ = broadcast_shapes(Dims(q.begin(), q.end() - 2), Dims(kt.begin(), kt.end() - 2));
    s_dims_.push_back(q[q.size() - 2]);
    s_dims_.push_back(kt.back());
    p1_ = matmul_problem(q, kt, s_dims_, dt, precision());
    p1_.desc.alpha = scale_;
    p2_ = matmul_problem(s_dims_, v, ctx.output_shapes[0], dt, precision());
    scores_bytes_ = (static_cast<size_t>(cuda::numel(s_dims_)) * dtype_size(dt) + 255) / 256 * 256;
    plan1_.reset();
    plan2_.reset();
    size_t ws = 0;
    if (!p1_.empty && !p1_.zero_k) {
      plan1_ = std::make_unique<MatmulPlan>(*ctx.layer_context->blaslt, p1_.desc);
      ws = std::max(ws, plan1_->algo(0).workspace_bytes);
    }
    if (!p2_.empty && !p2_.zero_k) {
      plan2_ = std::make_unique<MatmulPlan>(*ctx.layer_context->blaslt, p2_.desc);
      ws = std::max(ws, plan2_->algo(0).workspace_bytes);
    }
    blas_ws_ = (ws + 255) / 256 * 256;
    return blas_ws_ + 2 * scores_bytes_;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    if (y.numel() == 0) return;
    if (flash_) {
      FlashAttentionParams p = flash_params_;
      p.q = in[0].data;
      p.kt = in[1].data;
      p.v = in[2].data;
      p.mask = p.mask != nullptr ? in[3].data : nullptr;
      p.y = y.data;
      p.allow_simple = true;  // pointers the tensor-core kernel cannot take (alignment) run on the simple kernel
      if (!flash_attention(p, ctx.stream)) fail(ErrorCode::kRuntime, "internal: flash_attention declined");
      return;
    }
    char* ws = static_cast<char*>(ctx.workspace);
    void* scores = ws + blas_ws_;
    void* probs = ws + blas_ws_ + scores_bytes_;
    const DType dt = y.dtype;
    const int64_t cols = s_dims_.back(), rows = cols ? cuda::numel(s_dims_) / cols : 0;
    if (plan1_)
      plan1_->run(in[0].data, in[1].data, scores, nullptr, ws, blas_ws_, ctx.stream);
    else
      check_cuda(cudaMemsetAsync(scores, 0, scores_bytes_, ctx.stream), "cudaMemsetAsync");
    if (in.size() > 3 && in[3].present())
      binary(BinaryOp::kAdd, dt, scores, s_dims_, in[3].data, in[3].dims, scores, ctx.stream);
    softmax_lastdim(dt, scores, probs, rows, cols, false, ctx.stream);
    if (plan2_)
      plan2_->run(probs, in[2].data, y.data, nullptr, ws, blas_ws_, ctx.stream);
    else
      check_cuda(cudaMemsetAsync(y.data, 0, y.nbytes(), ctx.stream), "cudaMemsetAsync");
  }

 private:
  // The fused kernel takes the shapes (checked with 256-aligned stand-in pointers; enqueue passes the real ones).
  // A host-known mask that is 0 on and below the diagonal and <= -1e4 above it (GPT-2's) becomes the causal flag,
  // which skips the key tiles above the diagonal (the same result unless a masked score beats the row's max by
  // ~1e4 - 100, where exp underflows in float32 anyway).
  bool prepare_flash(const ShapeContext& ctx) {
    // ONYX_CUDA_ATTENTION=cublaslt keeps the two-GEMM path (for A/B timing of whole models).
    if (const char* e = std::getenv("ONYX_CUDA_ATTENTION"); e != nullptr && std::string_view(e) == "cublaslt")
      return false;
    const bool has_mask = ctx.input_dtypes.size() > 3 && ctx.input_dtypes[3] != DType::kUndefined;
    const DType dt = ctx.input_dtypes[0];
    if (ctx.input_dtypes[1] != dt || ctx.input_dtypes[2] != dt || (has_mask && ctx.input_dtypes[3] != dt))
      return false;
    void* aligned = reinterpret_cast<void*>(uintptr_t{256});
    FlashAttentionParams p;
    const Dims no_mask;
    if (!attention_params_dense(dt, aligned, ctx.input_shapes[0], aligned, ctx.input_shapes[1], aligned,
                                ctx.input_shapes[2], has_mask ? aligned : nullptr,
                                has_mask ? ctx.input_shapes[3] : no_mask, aligned, ctx.output_shapes[0], &p))
      return false;
    p.scale = scale_;
    if (has_mask && causal_mask(ctx.host.size() > 3 ? ctx.host[3] : nullptr, p.s, p.l)) {
      p.causal = true;
      p.mask = nullptr;
    }
    if (flash_attention_kernel_name(p) == nullptr) return false;
    flash_params_ = p;
    return true;
  }
  static bool causal_mask(const Tensor* m, int64_t s, int64_t l) {
    if (m == nullptr || s != l || m->rank() < 2 || m->numel() != s * l) return false;
    if (m->dim(m->rank() - 2) != s || m->dim(m->rank() - 1) != l) return false;
    for (int64_t i = 0; i < s; ++i)
      for (int64_t j = 0; j < l; ++j) {
        const double v = m->get_double(i * l + j);
        if (j <= i ? v != 0 : !(v <= -1e4)) return false;
      }
    return true;
  }

  bool flash_ = false;
  FlashAttentionParams flash_params_;
  float scale_ = 1.f;
  Dims s_dims_;
  Problem p1_, p2_;
  std::unique_ptr<MatmulPlan> plan1_, plan2_;
  size_t scores_bytes_ = 0, blas_ws_ = 0;
};

void require_same_float(const LayerBuild& b, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (b.has_input(i)) require_float(b, i);
  for (size_t i = 1; i < count; ++i)
    if (b.has_input(i) && b.model_dtype(i) != b.model_dtype(0))
      fail_unsupported("inputs of different dtypes");
}

const bool kRegistered = [] {
  register_layer("", "MatMul", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_same_float(b, 2);
    return std::make_unique<GemmLayer>(b, GemmLayer::Kind::kMatMul);
  });
  register_layer("", "Gemm", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_same_float(b, 3);
    return std::make_unique<GemmLayer>(b, GemmLayer::Kind::kGemm);
  });
  register_layer("onyx", "FusedMatMul", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_same_float(b, 3);
    return std::make_unique<GemmLayer>(b, GemmLayer::Kind::kFusedMatMul);
  });
  register_layer("onyx", "Attention", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_same_float(b, 4);
    return std::make_unique<AttentionLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
