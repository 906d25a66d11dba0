// Softmax, LogSoftmax, Hardmax.
//
// Versions 1 and 11 coerce the input to 2-D [prod(dims[:axis]), prod(dims[axis:])] and normalize each row
// (default axis 1; 11 allows negative axes); version 13 normalizes along the single axis `axis` (default -1).
// Computation is in double with the row maximum subtracted (no overflow for large inputs); Hardmax marks the
// first maximum.
#include <algorithm>
#include <cmath>

#include "../core/parallel.h"
#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

enum class Kind { kSoftmax, kLogSoftmax, kHardmax };

template <Kind K>
void run_softmax(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  const bool coerce = node.opset < 13;
  const int64_t axis =
      normalize_axis(node.attr_int("axis", coerce ? 1 : -1), static_cast<int64_t>(x.rank()), node);
  const auto s = reduce_detail::split_at_axis(x.dims(), axis, coerce);
  Tensor out(x.dtype(), x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* in = x.data<T>();
    T* o = out.data<T>();
    parallel_for(s.outer * s.inner, std::max<int64_t>(1, 8192 / std::max<int64_t>(1, s.n)),
                 [&](int64_t begin, int64_t end) {
                   std::vector<double> row(static_cast<size_t>(s.n));
                   for (int64_t r = begin; r < end; ++r) {
                     const int64_t base = (r / s.inner) * s.n * s.inner + r % s.inner;
                     if (s.n == 0) continue;
                     for (int64_t j = 0; j < s.n; ++j)
                       row[static_cast<size_t>(j)] = to_double(in[base + j * s.inner]);
                     double m = row[0];
                     int64_t arg = 0;
                     for (int64_t j = 1; j < s.n; ++j) {
                       if (row[static_cast<size_t>(j)] > m) {
                         m = row[static_cast<size_t>(j)];
                         arg = j;
                       }
                     }
                     if constexpr (K == Kind::kHardmax) {
                       for (int64_t j = 0; j < s.n; ++j)
                         o[base + j * s.inner] = from_double<T>(j == arg ? 1.0 : 0.0);
                     } else {
                       double sum = 0;
                       for (int64_t j = 0; j < s.n; ++j) {
                         const double e = std::exp(row[static_cast<size_t>(j)] - m);
                         if constexpr (K == Kind::kSoftmax) row[static_cast<size_t>(j)] = e;
                         sum += e;
                       }
                       if constexpr (K == Kind::kSoftmax) {
                         for (int64_t j = 0; j < s.n; ++j)
                           o[base + j * s.inner] = from_double<T>(row[static_cast<size_t>(j)] / sum);
                       } else {
                         const double shift = m + std::log(sum);
                         for (int64_t j = 0; j < s.n; ++j)
                           o[base + j * s.inner] = from_double<T>(row[static_cast<size_t>(j)] - shift);
                       }
                     }
                   }
                 });
  });
  ctx.set_output(0, std::move(out));
}

void infer_softmax(InferContext& ctx) {
  reduce_detail::infer_float_same_as_input(ctx);
  const Shape& in = ctx.input_shape(0);
  if (in.rank_known()) {
    const bool coerce = ctx.node().opset < 13;
    normalize_axis(ctx.node().attr_int("axis", coerce ? 1 : -1), static_cast<int64_t>(in.rank()), ctx.node());
  }
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Softmax",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kSoftmax>});
ONYX_REGISTER_OP({.op_type = "Softmax",
                  .since_version = 13,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kSoftmax>});
ONYX_REGISTER_OP({.op_type = "LogSoftmax",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kLogSoftmax>});
ONYX_REGISTER_OP({.op_type = "LogSoftmax",
                  .since_version = 13,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kLogSoftmax>});
ONYX_REGISTER_OP({.op_type = "Hardmax",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kHardmax>});
ONYX_REGISTER_OP({.op_type = "Hardmax",
                  .since_version = 13,
                  .inputs = {1, 1},
                  .infer = infer_softmax,
                  .run = run_softmax<Kind::kHardmax>});

}  // namespace onyx
