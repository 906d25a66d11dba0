// Numpy-style (multidirectional) broadcasting: shapes, symbolic shapes, and index iteration.
#pragma once

#include <array>
#include <cstdint>
#include <tuple>
#include <vector>

#include "onyx/graph.h"
#include "onyx/shape.h"

namespace onyx {

// Broadcast result of concrete dims; throws kBadInput naming `node` when they cannot broadcast.
std::vector<int64_t> broadcast_dims(const std::vector<std::vector<int64_t>>& inputs, const Node& node);
// Symbolic version for inference (unknown stays unknown; a known 1 yields the other side).
Shape broadcast_shapes(const std::vector<Shape>& inputs, const Node& node);

// Strides of `in_dims` aligned (right-justified) to `out_dims`, 0 where the input is broadcast.
std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& out_dims);

// Calls f(out_index, in_offsets...) for every element of `out_dims`, with the matching flat offset in each input.
// Inputs are given by their dims; they must broadcast to out_dims.
template <size_t N, typename F>
void for_each_broadcast(const std::vector<int64_t>& out_dims, const std::array<std::vector<int64_t>, N>& in_dims,
                        F&& f) {
  const size_t rank = out_dims.size();
  int64_t total = 1;
  for (int64_t d : out_dims) total *= d;
  if (total == 0) return;
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) strides[k] = broadcast_strides(in_dims[k], out_dims);
  std::vector<int64_t> counter(rank, 0);
  std::array<int64_t, N> offsets{};
  // Innermost-dimension fast path: iterate the last axis in a tight loop.
  const int64_t inner = rank ? out_dims[rank - 1] : 1;
  std::array<int64_t, N> inner_stride{};
  for (size_t k = 0; k < N; ++k) inner_stride[k] = rank ? strides[k][rank - 1] : 0;
  for (int64_t base = 0; base < total; base += inner) {
    std::array<int64_t, N> o = offsets;
    for (int64_t j = 0; j < inner; ++j) {
      std::apply([&](auto... off) { f(base + j, off...); }, o);
      for (size_t k = 0; k < N; ++k) o[k] += inner_stride[k];
    }
    // advance the counter over the outer dims
    for (int64_t d = static_cast<int64_t>(rank) - 2; d >= 0; --d) {
      const size_t du = static_cast<size_t>(d);
      ++counter[du];
      for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][du];
      if (counter[du] < out_dims[du]) break;
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][du] * out_dims[du];
      counter[du] = 0;
    }
  }
}

// Row-major strides of dims.
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims);

}  // namespace onyx
