// Device discovery and a self-test kernel. The cuda engine target builds on this file's error handling.
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "onyx/cuda.h"
#include "onyx/error.h"

namespace onyx {

namespace {

__global__ void axpy_kernel(int n, float a, const float* x, float* y) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail(ErrorCode::kRuntime, "CUDA: ", what, ": ", cudaGetErrorString(e));
}

}  // namespace

bool cuda_compiled() { return true; }

std::vector<CudaDeviceInfo> cuda_devices() {
  std::vector<CudaDeviceInfo> out;
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return out;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out.push_back({i, p.name, p.major, p.minor, static_cast<uint64_t>(p.totalGlobalMem)});
  }
  return out;
}

std::string cuda_status() {
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  std::string s = "CUDA: runtime " + std::to_string(runtime / 1000) + "." + std::to_string(runtime % 1000 / 10);
  if (driver == 0) return s + ", no driver (cuda target unavailable here)";
  s += ", driver " + std::to_string(driver / 1000) + "." + std::to_string(driver % 1000 / 10);
  const auto devices = cuda_devices();
  if (devices.empty()) return s + ", no device";
  for (const auto& d : devices)
    s += "; device " + std::to_string(d.index) + ": " + d.name + " (sm_" + std::to_string(d.sm_major) +
         std::to_string(d.sm_minor) + ", " + std::to_string(d.total_memory >> 20) + " MiB)";
  return s;
}

void cuda_self_test() {
  if (cuda_devices().empty()) fail(ErrorCode::kRuntime, "CUDA: no device");
  const int n = 1 << 20;
  std::vector<float> x(n), y(n);
  for (int i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 1000);
    y[i] = 1.0f;
  }
  float *dx = nullptr, *dy = nullptr;
  check(cudaMalloc(&dx, n * sizeof(float)), "cudaMalloc");
  check(cudaMalloc(&dy, n * sizeof(float)), "cudaMalloc");
  check(cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice), "copy to device");
  check(cudaMemcpy(dy, y.data(), n * sizeof(float), cudaMemcpyHostToDevice), "copy to device");
  axpy_kernel<<<(n + 255) / 256, 256>>>(n, 2.0f, dx, dy);
  check(cudaGetLastError(), "kernel launch");
  check(cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost), "copy to host");
  cudaFree(dx);
  cudaFree(dy);
  for (int i = 0; i < n; ++i)
    if (y[i] != 2.0f * static_cast<float>(i % 1000) + 1.0f)
      fail(ErrorCode::kRuntime, "CUDA self-test: wrong result at ", i);
}

}  // namespace onyx
