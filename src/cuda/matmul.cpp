// cuBLASLt matmul (see matmul.h).
//
// cuBLASLt is column-major. A row-major matrix stored [r, c] with row pitch ld is, read column-major, the matrix
// [c, r] with the same ld, i.e. its transpose. So the row-major product C = op(A)·op(B) is computed as the
// column-major product C^T = op(B)^T · op(A)^T: cuBLASLt's first operand is our B, its second our A, and its
// output [n, m] column-major is exactly our C [m, n] row-major. No data moves; only the roles swap. A bias per
// output column of C (n values) is a bias per row of C^T, which is what cuBLASLt's BIAS epilogue adds.
#include "cuda/matmul.h"

#include <cublasLt.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "cuda/check.h"
#include "cuda/tactics.h"
#include "onyx/error.h"

namespace onyx::cuda {

namespace {

void check_blas(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  fail(ErrorCode::kRuntime, "cuBLASLt: ", what, ": ", cublasLtGetStatusName(s), " (", cublasLtGetStatusString(s),
       ")");
}

cudaDataType_t cuda_type(DType t) {
  switch (t) {
    case DType::kFloat32: return CUDA_R_32F;
    case DType::kFloat16: return CUDA_R_16F;
    case DType::kBFloat16: return CUDA_R_16BF;
    default: fail_unsupported("matmul: dtype ", dtype_name(t), " is not supported on CUDA (float32/16, bfloat16)");
  }
}

// A column-major layout for a row-major matrix stored [rows, cols] with pitch ld, batched.
cublasLtMatrixLayout_t make_layout(DType t, int64_t rows, int64_t cols, int64_t ld, int64_t batch, int64_t stride) {
  cublasLtMatrixLayout_t l = nullptr;
  check_blas(cublasLtMatrixLayoutCreate(&l, cuda_type(t), static_cast<uint64_t>(cols), static_cast<uint64_t>(rows), ld),
             "cublasLtMatrixLayoutCreate");
  if (batch > 1) {
    const int32_t count = static_cast<int32_t>(batch);
    cublasStatus_t s = cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
    if (s == CUBLAS_STATUS_SUCCESS)
      s = cublasLtMatrixLayoutSetAttribute(l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride);
    if (s != CUBLAS_STATUS_SUCCESS) {
      cublasLtMatrixLayoutDestroy(l);
      check_blas(s, "cublasLtMatrixLayoutSetAttribute (batch)");
    }
  }
  return l;
}

bool is_pow2(uint32_t v) { return v != 0 && (v & (v - 1)) == 0; }

// A tactic id naming an algorithm by its configuration ("a21.t18.s8.k1.r0.w0.c0.i0.g0": algorithm, tile, stages,
// split-k, reduction scheme, CTA swizzling, custom option, inner shape, cluster shape). Attributes this cuBLASLt
// does not know read as 0.
std::string algo_id(const cublasLtMatmulAlgo_t& algo) {
  // The buffer size must equal the attribute's size (queried first); values are unsigned, read little-endian.
  auto get = [&](cublasLtMatmulAlgoConfigAttributes_t attr) {
    uint64_t v = 0;
    size_t size = 0;
    if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, nullptr, 0, &size) != CUBLAS_STATUS_SUCCESS || size == 0 ||
        size > sizeof v)
      return uint64_t{0};
    size_t written = 0;
    if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &v, size, &written) != CUBLAS_STATUS_SUCCESS) return
        uint64_t{0};
    return v;
  };
  std::string id = "a" + std::to_string(get(CUBLASLT_ALGO_CONFIG_ID));
  id += ".t" + std::to_string(get(CUBLASLT_ALGO_CONFIG_TILE_ID));
  id += ".s" + std::to_string(get(CUBLASLT_ALGO_CONFIG_STAGES_ID));
  id += ".k" + std::to_string(get(CUBLASLT_ALGO_CONFIG_SPLITK_NUM));
  id += ".r" + std::to_string(get(CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME));
  id += ".w" + std::to_string(get(CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING));
  id += ".c" + std::to_string(get(CUBLASLT_ALGO_CONFIG_CUSTOM_OPTION));
  id += ".i" + std::to_string(get(CUBLASLT_ALGO_CONFIG_INNER_SHAPE_ID));
  id += ".g" + std::to_string(get(CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID));
  return id;
}

// The problem part of a timing cache key (every field that changes which algorithms exist or how fast they are).
std::string problem_key(const MatmulDesc& s) {
  const char* compute = s.compute == MatmulCompute::kTf32 ? "tf32" : s.compute == MatmulCompute::kFp32Strict ? "fp32"
                                                                                                             : "default";
  const char* epi = s.epilogue == MatmulEpilogue::kRelu ? "relu" : s.epilogue == MatmulEpilogue::kGelu ? "gelu" : "none";
  std::string k = "matmul " + std::string(dtype_name(s.dtype)) + " " + compute + " m" + std::to_string(s.m) + " n" +
                  std::to_string(s.n) + " k" + std::to_string(s.k) + (s.trans_a ? " ta" : "") +
                  (s.trans_b ? " tb" : "") + " ld" + std::to_string(s.lda) + "," + std::to_string(s.ldb) + "," +
                  std::to_string(s.ldc);
  if (s.batch_count > 1)
    k += " batch" + std::to_string(s.batch_count) + " stride" + std::to_string(s.stride_a) + "," +
         std::to_string(s.stride_b) + "," + std::to_string(s.stride_c);
  k += std::string(s.bias ? " bias" : "") + " epi " + epi;
  if (s.alpha != 1.f || s.beta != 0.f) k += " alpha" + std::to_string(s.alpha) + " beta" + std::to_string(s.beta);
  k += " align" + std::to_string(s.alignment);
  return k;
}

}  // namespace

// ---- handle ----------------------------------------------------------------------------------------------------
BlasLtHandle::BlasLtHandle() {
  cublasLtHandle_t h = nullptr;
  check_blas(cublasLtCreate(&h), "cublasLtCreate");
  handle_ = h;
}
BlasLtHandle::~BlasLtHandle() {
  if (handle_) cublasLtDestroy(static_cast<cublasLtHandle_t>(handle_));
}

// ---- plan ------------------------------------------------------------------------------------------------------
struct MatmulPlan::Impl {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t la = nullptr;  // cuBLASLt's A: our B
  cublasLtMatrixLayout_t lb = nullptr;  // cuBLASLt's B: our A
  cublasLtMatrixLayout_t lc = nullptr;  // C and D
  cublasLtMatmulPreference_t pref = nullptr;
  std::vector<cublasLtMatmulHeuristicResult_t> results;

  ~Impl() {
    if (pref) cublasLtMatmulPreferenceDestroy(pref);
    if (lc) cublasLtMatrixLayoutDestroy(lc);
    if (lb) cublasLtMatrixLayoutDestroy(lb);
    if (la) cublasLtMatrixLayoutDestroy(la);
    if (op) cublasLtMatmulDescDestroy(op);
  }
};

MatmulPlan::MatmulPlan(const BlasLtHandle& handle, const MatmulDesc& d, int max_algos, size_t max_workspace)
    : desc_(d), handle_(handle.get()), impl_(std::make_unique<Impl>()) {
  MatmulDesc& s = desc_;
  const cudaDataType_t type = cuda_type(s.dtype);
  ONYX_CHECK(s.m > 0 && s.n > 0 && s.k > 0, "matmul: m, n, k must be positive, got ", s.m, ", ", s.n, ", ", s.k);
  ONYX_CHECK(s.batch_count >= 1, "matmul: batch_count must be >= 1, got ", s.batch_count);
  ONYX_CHECK(max_algos >= 1, "matmul: max_algos must be >= 1");
  ONYX_CHECK(is_pow2(s.alignment) && s.alignment >= dtype_size(s.dtype), "matmul: alignment ", s.alignment,
             " must be a power of two >= the element size");
  ONYX_CHECK(s.compute == MatmulCompute::kDefault || s.dtype == DType::kFloat32,
             "matmul: fp32-strict / TF32 compute applies to float32 only, not ", dtype_name(s.dtype));
  // Stored shapes (row-major) and default pitches/strides.
  const int64_t a_rows = s.trans_a ? s.k : s.m, a_cols = s.trans_a ? s.m : s.k;
  const int64_t b_rows = s.trans_b ? s.n : s.k, b_cols = s.trans_b ? s.k : s.n;
  if (s.lda == 0) s.lda = a_cols;
  if (s.ldb == 0) s.ldb = b_cols;
  if (s.ldc == 0) s.ldc = s.n;
  ONYX_CHECK(s.lda >= a_cols && s.ldb >= b_cols && s.ldc >= s.n, "matmul: leading dimensions (", s.lda, ", ", s.ldb,
             ", ", s.ldc, ") smaller than the rows they hold (", a_cols, ", ", b_cols, ", ", s.n, ")");
  if (s.stride_a < 0) s.stride_a = a_rows * s.lda;
  if (s.stride_b < 0) s.stride_b = b_rows * s.ldb;
  if (s.stride_c < 0) s.stride_c = s.m * s.ldc;
  ONYX_CHECK(s.batch_count == 1 || s.stride_c >= s.m * s.ldc, "matmul: stride_c ", s.stride_c,
             " would make output batches overlap");

  Impl& im = *impl_;
  const cublasComputeType_t compute =
      s.compute == MatmulCompute::kTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  check_blas(cublasLtMatmulDescCreate(&im.op, compute, CUDA_R_32F), "cublasLtMatmulDescCreate");
  auto set_desc = [&](cublasLtMatmulDescAttributes_t attr, const void* v, size_t size, const char* what) {
    check_blas(cublasLtMatmulDescSetAttribute(im.op, attr, v, size), what);
  };
  const cublasOperation_t op_first = s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;   // cuBLASLt's A = our B
  const cublasOperation_t op_second = s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;  // cuBLASLt's B = our A
  set_desc(CUBLASLT_MATMUL_DESC_TRANSA, &op_first, sizeof op_first, "cublasLtMatmulDescSetAttribute (TRANSA)");
  set_desc(CUBLASLT_MATMUL_DESC_TRANSB, &op_second, sizeof op_second, "cublasLtMatmulDescSetAttribute (TRANSB)");
  cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_DEFAULT;
  switch (s.epilogue) {
    case MatmulEpilogue::kNone: epi = s.bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT; break;
    case MatmulEpilogue::kRelu: epi = s.bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU; break;
    case MatmulEpilogue::kGelu: epi = s.bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU; break;
  }
  set_desc(CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi, "cublasLtMatmulDescSetAttribute (EPILOGUE)");
  if (s.bias) {
    const int32_t bias_type = static_cast<int32_t>(type);
    set_desc(CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &bias_type, sizeof bias_type,
             "cublasLtMatmulDescSetAttribute (BIAS_DATA_TYPE)");
    const int64_t bias_stride = 0;  // one bias for every batch
    set_desc(CUBLASLT_MATMUL_DESC_BIAS_BATCH_STRIDE, &bias_stride, sizeof bias_stride,
             "cublasLtMatmulDescSetAttribute (BIAS_BATCH_STRIDE)");
    // The heuristic reads the bias pointer's value only for its alignment: stand in one of `alignment` bytes.
    const void* fake = reinterpret_cast<const void*>(static_cast<uintptr_t>(s.alignment));
    set_desc(CUBLASLT_MATMUL_DESC_BIAS_POINTER, &fake, sizeof fake, "cublasLtMatmulDescSetAttribute (BIAS_POINTER)");
  }

  im.la = make_layout(s.dtype, b_rows, b_cols, s.ldb, s.batch_count, s.stride_b);
  im.lb = make_layout(s.dtype, a_rows, a_cols, s.lda, s.batch_count, s.stride_a);
  im.lc = make_layout(s.dtype, s.m, s.n, s.ldc, s.batch_count, s.stride_c);

  check_blas(cublasLtMatmulPreferenceCreate(&im.pref), "cublasLtMatmulPreferenceCreate");
  auto set_pref = [&](cublasLtMatmulPreferenceAttributes_t attr, const void* v, size_t size) {
    check_blas(cublasLtMatmulPreferenceSetAttribute(im.pref, attr, v, size), "cublasLtMatmulPreferenceSetAttribute");
  };
  const uint64_t ws = max_workspace;
  set_pref(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
  // Batch strides move each matrix's start: the alignment every batch's matrix keeps is what the pointers keep
  // only when the stride (in bytes) is a multiple of it.
  auto operand_alignment = [&](int64_t stride) {
    uint32_t al = s.alignment;
    const uint64_t stride_bytes = static_cast<uint64_t>(stride) * dtype_size(s.dtype);
    if (s.batch_count > 1 && stride_bytes != 0)
      while (al > dtype_size(s.dtype) && stride_bytes % al != 0) al /= 2;
    return al;
  };
  const uint32_t al_a = operand_alignment(s.stride_b);  // cuBLASLt's A = our B
  const uint32_t al_b = operand_alignment(s.stride_a);
  const uint32_t al_c = operand_alignment(s.stride_c);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &al_a, sizeof al_a);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &al_b, sizeof al_b);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &al_c, sizeof al_c);
  set_pref(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &al_c, sizeof al_c);

  im.results.resize(static_cast<size_t>(max_algos));
  int returned = 0;
  const cublasStatus_t hs =
      cublasLtMatmulAlgoGetHeuristic(static_cast<cublasLtHandle_t>(handle_), im.op, im.la, im.lb, im.lc, im.lc,
                                     im.pref, max_algos, im.results.data(), &returned);
  if (hs == CUBLAS_STATUS_NOT_SUPPORTED) {
    returned = 0;
  } else {
    check_blas(hs, "cublasLtMatmulAlgoGetHeuristic");
  }
  im.results.resize(static_cast<size_t>(std::max(returned, 0)));
  im.results.erase(std::remove_if(im.results.begin(), im.results.end(),
                                  [](const cublasLtMatmulHeuristicResult_t& r) { return r.state != CUBLAS_STATUS_SUCCESS; }),
                   im.results.end());
  if (im.results.empty())
    fail_unsupported("matmul: cuBLASLt has no algorithm for ", dtype_name(s.dtype), " m=", s.m, " n=", s.n,
                     " k=", s.k, " batch=", s.batch_count, " within ", max_workspace, " bytes of workspace");
  // Tactic choice (tactics.h): the chosen candidate moves to index 0, which is what layers run.
  problem_ = problem_key(s);
  std::vector<std::string> ids;
  for (const auto& r : im.results) ids.push_back(algo_id(r.algo));
  const int chosen = choose_tactic(problem_, ids, [&](int i, cudaStream_t stream) {
    TacticSession& ts = *current_tactics();
    const size_t es = dtype_size(s.dtype);
    auto span = [&](int64_t stride, int64_t rows, int64_t ld) {
      return static_cast<size_t>((s.batch_count - 1) * stride + rows * ld) * es;
    };
    void* a = ts.scratch(0, span(s.stride_a, a_rows, s.lda));
    void* b = ts.scratch(1, span(s.stride_b, b_rows, s.ldb));
    void* c = ts.scratch(2, span(s.stride_c, s.m, s.ldc));
    const auto& r = im.results[static_cast<size_t>(i)];
    void* ws = r.workspaceSize ? ts.scratch(4, r.workspaceSize) : nullptr;
    if (s.bias) {
      const void* bias = ts.scratch(3, static_cast<size_t>(s.n) * es);
      check_blas(cublasLtMatmulDescSetAttribute(im.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias),
                 "cublasLtMatmulDescSetAttribute (BIAS_POINTER)");
    }
    const float alpha = s.alpha, beta = s.beta;
    check_blas(cublasLtMatmul(static_cast<cublasLtHandle_t>(handle_), im.op, &alpha, b, im.la, a, im.lb, &beta, c,
                              im.lc, c, im.lc, &r.algo, ws, r.workspaceSize, stream),
               "cublasLtMatmul");
  });
  if (chosen > 0) {
    std::rotate(im.results.begin(), im.results.begin() + chosen, im.results.begin() + chosen + 1);
    std::rotate(ids.begin(), ids.begin() + chosen, ids.begin() + chosen + 1);
  }
  tactic_ = ids[0];
  ids_ = std::move(ids);
  for (const auto& r : im.results) algos_.push_back({r.workspaceSize, r.wavesCount});
}

MatmulPlan::~MatmulPlan() = default;

const MatmulAlgo& MatmulPlan::algo(int index) const {
  ONYX_CHECK(index >= 0 && index < num_algos(), "matmul: algorithm index ", index, " out of range (", num_algos(),
             " candidates)");
  return algos_[static_cast<size_t>(index)];
}

size_t MatmulPlan::max_workspace_bytes() const {
  size_t m = 0;
  for (const auto& a : algos_) m = std::max(m, a.workspace_bytes);
  return m;
}

void MatmulPlan::run(const void* a, const void* b, void* c, const void* bias, void* workspace, size_t workspace_bytes,
                     cudaStream_t stream, int algo_index) const {
  const MatmulAlgo& al = algo(algo_index);
  ONYX_CHECK(a && b && c, "matmul: null A, B or C");
  ONYX_CHECK(workspace_bytes >= al.workspace_bytes && (al.workspace_bytes == 0 || workspace),
             "matmul: algorithm ", algo_index, " needs ", al.workspace_bytes, " bytes of workspace, got ",
             workspace_bytes);
  auto aligned = [&](const void* p) { return reinterpret_cast<uintptr_t>(p) % desc_.alignment == 0; };
  ONYX_CHECK(aligned(a) && aligned(b) && aligned(c), "matmul: A, B and C must be ", desc_.alignment,
             "-byte aligned (the plan's alignment)");
  Impl& im = *impl_;
  if (desc_.bias) {
    ONYX_CHECK(bias && aligned(bias), "matmul: the plan has a bias: pass a ", desc_.alignment,
               "-byte aligned bias pointer");
    check_blas(cublasLtMatmulDescSetAttribute(im.op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias),
               "cublasLtMatmulDescSetAttribute (BIAS_POINTER)");
  }
  const float alpha = desc_.alpha, beta = desc_.beta;
  check_blas(cublasLtMatmul(static_cast<cublasLtHandle_t>(handle_), im.op, &alpha, b, im.la, a, im.lb, &beta, c, im.lc,
                            c, im.lc, &im.results[static_cast<size_t>(algo_index)].algo, workspace, workspace_bytes,
                            stream),
             "cublasLtMatmul");
}

}  // namespace onyx::cuda
