// GPU tests: built whenever CUDA is, run only where a GPU is (CTest label `gpu`; scripts/gpu.sh runs them).
#include <gtest/gtest.h>

#include "onyx/cuda.h"

namespace onyx {

TEST(Cuda, SeesADeviceAndRunsAKernel) {
  ASSERT_TRUE(cuda_compiled());
  const auto devices = cuda_devices();
  ASSERT_FALSE(devices.empty()) << cuda_status();
  EXPECT_GE(devices[0].sm_major, 7) << devices[0].name;
  EXPECT_NO_THROW(cuda_self_test());
}

}  // namespace onyx
