// cuBLASLt matmul for the cuda engine: row-major C = op(A) · op(B) (+ bias) (+ ReLU / GELU), batched and strided.
//
// Plain C++17 interface with no cuBLASLt types (a C++20 .cpp may include it). A MatmulPlan is built once per shape
// (descriptors + the heuristic's candidate algorithms, "tactics" a caller may time and choose between) and run many
// times; it is not thread-safe (run() updates the bias pointer on the shared descriptor). Failures throw
// onyx::Error: kBadInput for bad shapes/arguments, kUnsupported when cuBLASLt has no algorithm for the problem,
// kRuntime (naming the cuBLASLt call) otherwise.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "onyx/dtype.h"

namespace onyx::cuda {

// A cuBLASLt handle (one per thread or per engine; cheap to share between plans used from one thread).
class BlasLtHandle {
 public:
  BlasLtHandle();
  ~BlasLtHandle();
  BlasLtHandle(const BlasLtHandle&) = delete;
  BlasLtHandle& operator=(const BlasLtHandle&) = delete;
  void* get() const { return handle_; }  // cublasLtHandle_t

 private:
  void* handle_ = nullptr;
};

enum class MatmulCompute {
  kDefault,     // float32: strict fp32; float16/bfloat16: fp32 accumulate
  kFp32Strict,  // float32 only: fp32 FMA math (no TF32)
  kTf32,        // float32 only: TF32 tensor cores, fp32 accumulate
};
enum class MatmulEpilogue { kNone, kRelu, kGelu };  // kGelu: cuBLASLt's GELU (tanh approximation)

struct MatmulDesc {
  DType dtype = DType::kFloat32;  // A, B, C and bias: float32, float16 or bfloat16
  MatmulCompute compute = MatmulCompute::kDefault;
  // Row-major problem: op(A) is [m, k], op(B) is [k, n], C is [m, n]. With trans_a, A is stored [k, m]; with
  // trans_b, B is stored [n, k].
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  // Leading dimensions (row pitch in elements of the stored matrix); 0 = packed (the stored row length).
  int64_t lda = 0, ldb = 0, ldc = 0;
  // Batches: batch_count matrices per operand, `stride_*` elements apart; stride 0 reuses one matrix for every
  // batch (a shared weight). stride_c must be non-zero when batch_count > 1. When left at -1, strides are packed.
  int64_t batch_count = 1;
  int64_t stride_a = -1, stride_b = -1, stride_c = -1;
  // Epilogue: bias (n elements of dtype, one per output column, the same for every batch) then the activation.
  bool bias = false;
  MatmulEpilogue epilogue = MatmulEpilogue::kNone;
  // C = alpha * op(A)op(B) + beta * C (beta != 0 reads C first).
  float alpha = 1.f, beta = 0.f;
  // Byte alignment that A, B, C and bias pointers will have at run time (power of two, >= element size);
  // algorithms needing more are excluded. cudaMalloc gives 256.
  uint32_t alignment = 16;
};

struct MatmulAlgo {
  size_t workspace_bytes = 0;
  float waves = 0;  // the heuristic's device utilization estimate
};

class MatmulPlan {
 public:
  // Builds descriptors and asks cublasLtMatmulAlgoGetHeuristic for up to max_algos candidates that need at most
  // max_workspace bytes. Throws kUnsupported when none is returned. Candidate 0 is the tactic choose_tactic()
  // picks (tactics.h): the fastest when the builder is timing, the plan's recorded choice when an engine loads,
  // else the heuristic's first.
  MatmulPlan(const BlasLtHandle& handle, const MatmulDesc& desc, int max_algos = 8,
             size_t max_workspace = size_t{32} << 20);
  ~MatmulPlan();
  MatmulPlan(const MatmulPlan&) = delete;
  MatmulPlan& operator=(const MatmulPlan&) = delete;

  const MatmulDesc& desc() const { return desc_; }
  int num_algos() const { return static_cast<int>(algos_.size()); }
  const MatmulAlgo& algo(int index) const;
  // The chosen candidate (index 0): its tactic id ("a21.t18.s8...") and the problem key it was chosen for (see
  // tactics.h: timed at build, recorded in the plan; without a tactic session, the heuristic's first).
  const std::string& tactic() const { return tactic_; }
  const std::string& problem() const { return problem_; }
  // Tactic id of candidate `index` (in the order above: the chosen one first).
  const std::string& tactic_id(int index) const { return ids_.at(static_cast<size_t>(index)); }
  // The largest workspace any candidate needs (allocate this once to be free to pick any algorithm).
  size_t max_workspace_bytes() const;

  // Enqueues C = op(A)op(B) (+bias, activation) on `stream` with candidate `algo_index`. workspace must hold
  // algo(algo_index).workspace_bytes (null when 0). Pointers are checked against desc().alignment.
  void run(const void* a, const void* b, void* c, const void* bias, void* workspace, size_t workspace_bytes,
           cudaStream_t stream, int algo_index = 0) const;

 private:
  struct Impl;
  MatmulDesc desc_;
  void* handle_ = nullptr;
  std::unique_ptr<Impl> impl_;
  std::vector<MatmulAlgo> algos_;
  std::string tactic_, problem_;
  std::vector<std::string> ids_;
};

}  // namespace onyx::cuda
