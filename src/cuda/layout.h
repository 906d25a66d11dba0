// Channels-last (NHWC) regions of the cuda engine (C++20; include from .cpp files only).
//
// For float16/bfloat16 layers, cuDNN's tensor-core convolutions work on NHWC data; running them on NCHW data
// makes cuDNN transpose on every call. At build the engine marks a region of nodes that run channels-last:
// - seeds: Conv / onyx.FusedConv on the cuDNN layer whose input and weights are 4-D and whose float dtype is
//   float16 or bfloat16;
// - grown forward: pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool), BatchNormalization and
//   pointwise ops (unary/binary elementwise, Clip, onyx.FusedElementwise) with a 4-D channels-last input.
// A node never joins when an output is a graph output, is not 4-D, or (pointwise) an input has rank > 4 or an
// unknown rank; the choice is only a layout, so any NCHW/NHWC mix stays correct: the engine converts at every
// edge whose two ends disagree (src/cuda/cuda_engine.cpp), and skips the copy when the conversion moves
// nothing (C == 1 or H == W == 1, e.g. GlobalAveragePool's output before Flatten).
//
// Inside the region a value of logical shape [N, C, H, W] is stored as [N, H, W, C]. A region layer sees its
// 4-D inputs and outputs with those physical dims (at prepare and enqueue); broadcast operands of lower rank
// are right-aligned to 4-D and permuted the same way (a per-channel [C, 1, 1] becomes [1, 1, 1, C]); conv
// weights [K, C, R, S] are stored [K, R, S, C] (converted once when the engine loads). Layers that care
// (conv, pooling, BatchNormalization) read LayerBuild::nhwc; pointwise layers only see the permuted dims.
//
// Policy (ONYX_CUDA_LAYOUT at build; the choice is recorded in the plan): unset = auto: regions, except in
// graphs with grouped (depthwise) convs, whose cuDNN NHWC engines measured slower than NCHW at large batches
// (bench/NOTES.md); "nhwc": regions in every graph; "nchw": none (A/B runs).
#pragma once

#include <string>
#include <vector>

#include "cuda/kernels.h"
#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx::cuda {

enum class NhwcRole {
  kNone,       // never channels-last
  kConv,       // inputs 0 (x), 1 (w), 3 (residual) are 4-D activations; 2 (bias) is per channel
  kPool,       // input 0
  kBatchNorm,  // input 0 (the parameters are constants the layer reads itself)
  kPointwise,  // every device input broadcasts against the 4-D output
};

// The role of a node on the layer `kernel` (the role needs the layer the engine chose: a fallback layer is
// kNone).
NhwcRole nhwc_role(const Node& n, const std::string& kernel);

// Per node of g (in g.nodes() order): whether it runs channels-last. host_nodes: nodes the engine runs on the
// host; kernels and float_dtypes: the chosen layer's kernel and float dtype per node ("host" / kUndefined for
// host nodes).
std::vector<bool> choose_nhwc(const Graph& g, const std::vector<bool>& host_nodes,
                              const std::vector<std::string>& kernels,
                              const std::vector<DType>& float_dtypes);

enum class NhwcPolicy { kAuto, kOn, kOff };
NhwcPolicy nhwc_policy();  // from ONYX_CUDA_LAYOUT

// How a channels-last layer of `role` sees its input i.
enum class NhwcView {
  kAsIs,        // not an activation (bias, BN parameters): logical dims, logical data
  kActivation,  // 4-D: physical [N, H, W, C]
  kBroadcast,   // rank <= 4: right-aligned to 4-D, then permuted like an activation
};
NhwcView nhwc_view(NhwcRole role, size_t input);

// [N, C, H, W] -> [N, H, W, C] (4-D only).
Dims nhwc_dims(const Dims& nchw);
// Right-aligns dims of rank <= 4 to rank 4 with leading 1s.
Dims align4(const Dims& d);
// True when NCHW and NHWC orders of the 4-D dims d are the same bytes (C == 1, or H == W == 1).
bool same_bytes_nhwc(const Dims& nchw4);
// Host copy of a 4-D tensor [K, C, R, S] as [K, R, S, C] (any dtype).
Tensor to_nhwc_host(const Tensor& t);

}  // namespace onyx::cuda
