// Built when no CUDA toolkit was found: the CPU-only onyx reports that the cuda target is unavailable.
#include "onyx/cuda.h"
#include "onyx/error.h"

namespace onyx {

bool cuda_compiled() { return false; }
std::vector<CudaDeviceInfo> cuda_devices() { return {}; }
std::string cuda_status() { return "CUDA: not built (no CUDA toolkit at configure time)"; }
void cuda_self_test() { fail(ErrorCode::kRuntime, "this onyx was built without CUDA"); }

}  // namespace onyx
