// N-ary elementwise ops: Max Min Mean Sum (one or more inputs of one dtype).
//
// Versions: 1 and 6 require all inputs to have the same shape; 8 and later broadcast them numpy-style (12/13 only
// add dtypes: Max/Min take any numeric type, Mean/Sum floats). Max/Min propagate NaN (like numpy.maximum).
// Results accumulate in the compute type (float32 for float16/bfloat16) and round once at the end.
#include <cmath>
#include <string>

#include "elementwise.h"

namespace onyx {
namespace {

using elementwise::Family;

enum class Nary { kMax, kMin, kMean, kSum };

constexpr Family family_of(Nary op) { return op == Nary::kMax || op == Nary::kMin ? Family::kNumeric : Family::kFloat; }

template <Nary Op, bool Broadcast>
void infer_nary(InferContext& ctx) {
  constexpr Family F = family_of(Op);
  DType dtype = DType::kUndefined;
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const DType t = elementwise::known_dtype(ctx, i);
    elementwise::check_dtype(ctx.node(), "input", t, F);
    elementwise::check_same_dtype(ctx.node(), dtype, t, "the first input", ("input " + std::to_string(i)).c_str());
    if (t != DType::kUndefined) dtype = t;
    shapes.push_back(ctx.input_shape(i));
  }
  if (Broadcast) {
    ctx.set_output(0, dtype, broadcast_shapes(shapes, ctx.node()));
    return;
  }
  // Equal shapes: the first of known rank, with dims filled in from the others.
  Shape out = Shape::unknown_rank();
  for (const Shape& s : shapes) {
    if (!s.rank_known()) continue;
    if (!out.rank_known()) {
      out = s;
      continue;
    }
    if (s.rank() != out.rank()) ctx.fail("inputs must have the same shape, got ", out.to_string(), " and ", s.to_string());
    for (size_t d = 0; d < s.rank(); ++d) {
      if (out[d].is_known() && s[d].is_known() && out[d].value() != s[d].value())
        ctx.fail("inputs must have the same shape, got ", out.to_string(), " and ", s.to_string());
      if (!out[d].is_known() && (s[d].is_known() || s[d].is_symbolic())) out[d] = s[d];
    }
  }
  ctx.set_output(0, dtype, out);
}

template <Nary Op, typename C>
C combine(C acc, C x) {
  if constexpr (Op == Nary::kMax || Op == Nary::kMin) {
    if constexpr (std::is_floating_point_v<C>) {
      if (std::isnan(acc)) return acc;
      if (std::isnan(x)) return x;
    }
    if constexpr (Op == Nary::kMax) return x > acc ? x : acc;
    else return x < acc ? x : acc;
  } else {
    return acc + x;
  }
}

template <Nary Op, bool Broadcast>
void run_nary(KernelContext& ctx) {
  constexpr Family F = family_of(Op);
  const size_t n = ctx.num_inputs();
  if (n == 0) ctx.fail("at least one input is required");
  std::vector<const Tensor*> ins;
  std::vector<std::vector<int64_t>> dims;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = ctx.input(i);
    elementwise::check_dtype(ctx.node(), "input", t.dtype(), F);
    elementwise::check_same_dtype(ctx.node(), ins.empty() ? t.dtype() : ins[0]->dtype(), t.dtype(), "input 0",
                                  ("input " + std::to_string(i)).c_str());
    if (!Broadcast && !ins.empty() && t.dims() != ins[0]->dims())
      ctx.fail("inputs must have the same shape (no broadcasting before opset 8), got ", ins[0]->describe(), " and ",
               t.describe());
    ins.push_back(&t);
    dims.push_back(t.dims());
  }
  const std::vector<int64_t> out_dims = broadcast_dims(dims, ctx.node());
  const DType dtype = ins[0]->dtype();
  Tensor out(dtype, out_dims);
  elementwise::dispatch_family<F>(dtype, ctx.node().op_type, [&]<typename T>() {
    using C = compute_t<T>;
    // Accumulate in the output itself when T is its own compute type, else in a compute-type tensor.
    Tensor acc_t = std::is_same_v<C, T> ? out : Tensor(dtype_of<C>, out_dims);
    C* acc = acc_t.data<C>();
    const int64_t total = out.numel();
    const T* p0 = ins[0]->data<T>();
    if (ins[0]->numel() == total) {
      for (int64_t i = 0; i < total; ++i) acc[i] = static_cast<C>(p0[i]);
    } else {
      for_each_broadcast<1>(out_dims, {ins[0]->dims()}, [&](int64_t i, int64_t k) { acc[i] = static_cast<C>(p0[k]); });
    }
    for (size_t j = 1; j < n; ++j) {
      const T* p = ins[j]->data<T>();
      if (ins[j]->numel() == total) {
        elementwise::parallel_range(total, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) acc[i] = combine<Op, C>(acc[i], static_cast<C>(p[i]));
        });
      } else {
        for_each_broadcast<1>(out_dims, {ins[j]->dims()}, [&](int64_t i, int64_t k) {
          acc[i] = combine<Op, C>(acc[i], static_cast<C>(p[k]));
        });
      }
    }
    if constexpr (Op == Nary::kMean) {
      const C count = static_cast<C>(n);
      for (int64_t i = 0; i < total; ++i) acc[i] /= count;
    }
    if constexpr (!std::is_same_v<C, T>) {
      T* o = out.data<T>();
      for (int64_t i = 0; i < total; ++i) o[i] = to_storage<T>(acc[i]);
    }
  });
  ctx.set_output(0, std::move(out));
}

}  // namespace

#define ONYX_NARY(NAME, VERSION, OP, BROADCAST)                                                                  \
  ONYX_REGISTER_OP({.op_type = NAME, .since_version = VERSION, .inputs = {1, INT_MAX},                            \
                    .infer = infer_nary<OP, BROADCAST>, .run = run_nary<OP, BROADCAST>})

ONYX_NARY("Max", 1, Nary::kMax, false);
ONYX_NARY("Max", 8, Nary::kMax, true);
ONYX_NARY("Min", 1, Nary::kMin, false);
ONYX_NARY("Min", 8, Nary::kMin, true);
ONYX_NARY("Mean", 1, Nary::kMean, false);
ONYX_NARY("Mean", 8, Nary::kMean, true);
ONYX_NARY("Sum", 1, Nary::kSum, false);
ONYX_NARY("Sum", 8, Nary::kSum, true);
#undef ONYX_NARY

}  // namespace onyx
