// cuDNN 9 graph-API (backend descriptors) 2-D convolution forward for the cuda engine, with a fused bias + ReLU
// epilogue when cuDNN has an engine for the fused graph, else the convolution alone followed by onyx's own bias
// and ReLU kernels.
//
// Plain C++17 interface with no cuDNN types (a C++20 .cpp may include it). Built only when cuDNN was found at
// configure time (ONYX_HAVE_CUDNN). A ConvPlan is built once per shape and run many times (not thread-safe:
// one cuDNN handle, whose stream run() sets). Failures throw onyx::Error: kBadInput for bad shapes, kUnsupported
// when no cuDNN engine runs the problem, kRuntime (naming the cuDNN call) otherwise.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "onyx/dtype.h"

namespace onyx::cuda {

class DnnHandle {
 public:
  DnnHandle();
  ~DnnHandle();
  DnnHandle(const DnnHandle&) = delete;
  DnnHandle& operator=(const DnnHandle&) = delete;
  void* get() const { return handle_; }  // cudnnHandle_t

 private:
  void* handle_ = nullptr;
};

enum class ConvLayout {
  kNCHW,  // x [n, c, h, w], w [k, c/groups, r, s], y [n, k, oh, ow]
  kNHWC,  // x [n, h, w, c], w [k, r, s, c/groups], y [n, oh, ow, k]
};

struct ConvDesc {
  DType dtype = DType::kFloat32;  // x, w, bias, y: float32 or float16 (computed in float32)
  ConvLayout layout = ConvLayout::kNCHW;
  int64_t n = 1, c = 1, h = 1, w = 1;  // input
  int64_t k = 1;                       // output channels
  int64_t r = 1, s = 1;                // kernel height, width
  int64_t groups = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  bool bias = false;  // add bias[k] per output channel
  bool residual = false;  // then add z (a tensor of y's shape and layout), before the ReLU
  bool relu = false;  // then max(0, .)
  // float32 only: let cuDNN use TF32 tensor-core engines (faster, ~1e-3 relative error). Off: engines whose
  // numerical notes say tensor cores or down-converted inputs are skipped.
  bool allow_tf32 = false;
};

class ConvPlan {
 public:
  ConvPlan(const DnnHandle& handle, const ConvDesc& desc);
  ~ConvPlan();
  ConvPlan(const ConvPlan&) = delete;
  ConvPlan& operator=(const ConvPlan&) = delete;

  const ConvDesc& desc() const { return desc_; }
  int64_t out_h() const { return out_h_; }
  int64_t out_w() const { return out_w_; }
  // True when bias/ReLU run inside the cuDNN graph; false when run() adds them with separate kernels.
  bool fused() const { return fused_; }
  size_t workspace_bytes() const { return workspace_bytes_; }
  // "cuDNN engine 7 (heuristics A), fused conv+bias+relu" — for logs and tactic reports.
  const std::string& info() const { return info_; }
  // The chosen engine configuration's tactic id ("e7.k3=1") and the problem key it was chosen for (tactics.h).
  const std::string& tactic() const { return tactic_; }
  const std::string& problem() const { return problem_; }

  // Enqueues y = conv(x, w) (+bias) (+z) (+relu) on `stream`. workspace holds workspace_bytes() (null when 0). y
  // must not alias x, w, bias or z.
  void run(const void* x, const void* w, const void* bias, void* y, void* workspace, size_t workspace_bytes,
           cudaStream_t stream, const void* z = nullptr) const;

  // Output size for a desc (validates it; kBadInput when the window does not fit).
  static void output_size(const ConvDesc& desc, int64_t* out_h, int64_t* out_w);

 private:
  struct Impl;
  ConvDesc desc_;
  void* handle_ = nullptr;
  int64_t out_h_ = 0, out_w_ = 0;
  bool fused_ = false;
  size_t workspace_bytes_ = 0;
  std::string info_, tactic_, problem_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onyx::cuda
