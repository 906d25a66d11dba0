// Kernels of the cpu target. A node either gets one of these at build time (recorded by name in the plan) or
// runs the reference kernel of its op. Target kernels write their outputs into the context's arena when the
// planned slot is large enough.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "../ops/op.h"
#include "onyx/graph.h"
#include "onyx/tensor.h"

namespace onyx::cpu {

// Gives the storage of output i with the given dtype and dims (an arena slot when it fits, else owned
// memory).
using OutputAllocator = std::function<Tensor(size_t i, DType dtype, std::vector<int64_t> dims)>;

struct Kernel {
  std::string_view name;  // stored in plans: "cpu.conv"
  // Build time: whether this kernel handles the node (types as inferred on the prepared model).
  bool (*accepts)(const Node& node) = nullptr;
  // Run time: reads inputs from `ctx`, gets output storage from `alloc` and sets it with ctx.set_output().
  // Returns false (having set nothing) when the run-time shapes/dtypes are ones it does not handle: the
  // engine then runs the reference kernel. Bad input fails with kBadInput naming the node, as the reference
  // would.
  bool (*run)(KernelContext& ctx, const OutputAllocator& alloc) = nullptr;
  // Load time (optional): state computed once from the node's constant inputs (e.g. weights packed for the
  // kernel's GEMM), kept by the engine for its lifetime and shared by its contexts (read-only). Null when the
  // node's inputs do not allow it; then `run` is used.
  std::shared_ptr<const void> (*prepare)(const Node& node) = nullptr;
  // Run time with that state (same contract as `run`).
  bool (*run_prepared)(KernelContext& ctx, const OutputAllocator& alloc, const void* state) = nullptr;
};

// The kernel chosen for `node`, or nullptr for the reference kernel.
const Kernel* choose_kernel(const Node& node);
// The kernel named `name` (from a plan), or nullptr when this build has none of that name.
const Kernel* find_kernel(std::string_view name);

}  // namespace onyx::cpu
