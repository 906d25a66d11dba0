// What onyx knows about CUDA on this machine. Safe to call on machines without a GPU or driver: the functions
// report "none" instead of failing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace onyx {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int sm_major = 0;
  int sm_minor = 0;
  uint64_t total_memory = 0;
};

// True when onyx was built with the CUDA toolkit.
bool cuda_compiled();
// Visible devices; empty without a driver or GPU.
std::vector<CudaDeviceInfo> cuda_devices();
// One line for `onyx --version`: toolkit/runtime versions and devices, or why there are none.
std::string cuda_status();
// Runs a small kernel on device 0 and checks its result; throws onyx::Error (kRuntime) when no device can run it.
void cuda_self_test();

}  // namespace onyx
