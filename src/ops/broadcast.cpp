#include "broadcast.h"

#include "onyx/error.h"

namespace onyx {

std::vector<int64_t> broadcast_dims(const std::vector<std::vector<int64_t>>& inputs, const Node& node) {
  size_t rank = 0;
  for (const auto& d : inputs) rank = std::max(rank, d.size());
  std::vector<int64_t> out(rank, 1);
  for (const auto& d : inputs) {
    const size_t off = rank - d.size();
    for (size_t i = 0; i < d.size(); ++i) {
      int64_t& o = out[off + i];
      if (d[i] == o || d[i] == 1) continue;
      if (o == 1) {
        o = d[i];
        continue;
      }
      std::string shapes;
      for (const auto& s : inputs) shapes += (shapes.empty() ? "" : " and ") + dims_to_string(s);
      fail_bad_input(node.describe(), ": shapes ", shapes, " cannot be broadcast");
    }
  }
  return out;
}

Shape broadcast_shapes(const std::vector<Shape>& inputs, const Node& node) {
  size_t rank = 0;
  for (const Shape& s : inputs) {
    if (!s.rank_known()) return Shape::unknown_rank();
    rank = std::max(rank, s.rank());
  }
  std::vector<Dim> out(rank, Dim(1));
  for (const Shape& s : inputs) {
    const size_t off = rank - s.rank();
    for (size_t i = 0; i < s.rank(); ++i) {
      Dim& o = out[off + i];
      const Dim& d = s[i];
      if (d.is_known() && d.value() == 1) continue;
      if (o.is_known() && o.value() == 1) {
        o = d;
        continue;
      }
      if (d == o) continue;
      if (d.is_known() && o.is_known())
        fail_bad_input(node.describe(), ": dimensions ", o.value(), " and ", d.value(), " cannot be broadcast");
      // One side known (!= 1) wins over a symbol; two different symbols give unknown.
      if (d.is_known()) o = d;
      else if (!o.is_known()) o = Dim::unknown();
    }
  }
  return Shape(std::move(out));
}

std::vector<int64_t> broadcast_strides(const std::vector<int64_t>& in_dims, const std::vector<int64_t>& out_dims) {
  const size_t rank = out_dims.size();
  std::vector<int64_t> strides(rank, 0);
  const size_t off = rank - in_dims.size();
  int64_t s = 1;
  for (size_t i = in_dims.size(); i-- > 0;) {
    strides[off + i] = in_dims[i] == 1 ? 0 : s;
    s *= in_dims[i];
  }
  return strides;
}

std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& dims) {
  std::vector<int64_t> strides(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 1;) strides[i - 1] = strides[i] * dims[i];
  return strides;
}

}  // namespace onyx
