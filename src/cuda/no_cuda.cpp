// Built when no CUDA toolkit was found: the CPU-only onyx reports that the cuda target is unavailable.
#include "onyx/cuda.h"
#include "onyx/error.h"

namespace onyx {

bool cuda_compiled() { return false; }
std::vector<CudaDeviceInfo> cuda_devices() { return {}; }
std::string cuda_status() { return "CUDA: not built (no CUDA toolkit at configure time)"; }
void cuda_self_test() { fail(ErrorCode::kRuntime, "this onyx was built without CUDA"); }

}  // namespace onyx

#include "../engine/target_hooks.h"

namespace onyx {

std::vector<std::string> cuda_select_layers(const Model&, const BuilderConfig&, std::string&, uint32_t&,
                                            CudaStorage*) {
  fail_unsupported("target cuda: this onyx was built without CUDA (no CUDA toolkit at configure time)");
}

void cuda_check_device(uint32_t gpu_arch, const std::string& label) {
  fail_bad_input(label, ": plan for the cuda target (sm_", gpu_arch, "), but this onyx was built without CUDA");
}

std::shared_ptr<TargetEngine> cuda_load_engine(const EngineData&, const std::string&, const std::string& label) {
  fail_bad_input(label, ": plan for the cuda target, but this onyx was built without CUDA");
}

}  // namespace onyx
