// Error checks for the CUDA runtime, cuBLASLt and cuDNN: every failing call becomes an onyx::Error (kRuntime) that
// names the call. Plain C++17 (used by .cu and .cpp files alike); include only from src/cuda/.
#pragma once

#include <cuda_runtime_api.h>

#include "onyx/error.h"

namespace onyx::cuda {

// Throws kRuntime "CUDA: <what>: <error string>" unless e is cudaSuccess. Clears the (non-sticky) last error.
inline void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    fail(ErrorCode::kRuntime, "CUDA: ", what, ": ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ")");
  }
}

// Checks a kernel launch: launch-configuration errors surface through cudaGetLastError.
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

}  // namespace onyx::cuda
