// Dropout. In inference it is the identity and the optional mask is all true. In training each element is
// kept with probability 1 - ratio and scaled by 1 / (1 - ratio); dropped elements are 0 and false in the
// mask.
//
// Versions:
//  1, 6  attributes ratio (0.5), is_test (0: training!), consumed_inputs (legacy, ignored); mask has X's
//  type. 7     no is_test: always inference; mask has X's type. 10    mask is bool. 12    ratio (scalar,
//  default 0.5) and training_mode (bool scalar, default false) are inputs; seed attribute.
//        13, 22 only add dtypes.
// Training draws from std::mt19937_64 seeded with `seed` when given (else nondeterministically), so versions
// that can train are registered non-deterministic (never constant-folded). ratio must lie in [0, 1) when
// training; a ratio of 0 trains as the identity.
#include <random>

#include "reduce_common.h"

namespace onyx {
namespace {

using reduce_detail::from_double;
using reduce_detail::to_double;

void infer_dropout(InferContext& ctx) {
  const Node& node = ctx.node();
  reduce_detail::infer_float_same_as_input(ctx);
  const DType mask = node.opset >= 10 ? DType::kBool : ctx.input_dtype(0);
  ctx.set_output_type(1, TypeInfo::tensor(mask, ctx.input_shape(0)));
  if (node.opset >= 12) {
    const DType rt = ctx.has_input(1) ? ctx.input_dtype(1) : DType::kUndefined;
    if (rt != DType::kUndefined && !dtype_is_float(rt))
      ctx.fail("ratio must be a float scalar, got ", dtype_name(rt));
    const DType tt = ctx.has_input(2) ? ctx.input_dtype(2) : DType::kUndefined;
    if (tt != DType::kUndefined && tt != DType::kBool)
      ctx.fail("training_mode must be a bool scalar, got ", dtype_name(tt));
  }
}

void run_dropout(KernelContext& ctx) {
  const Node& node = ctx.node();
  const Tensor& x = ctx.input(0);
  double ratio = 0.5;
  bool train = false;
  if (node.opset >= 12) {
    if (ctx.has_input(1)) {
      const Tensor& r = ctx.input(1);
      if (!dtype_is_float(r.dtype()) || r.numel() != 1)
        ctx.fail("ratio must be a float scalar, got ", r.describe());
      ratio = r.get_double(0);
    }
    if (ctx.has_input(2)) {
      const Tensor& t = ctx.input(2);
      if (t.dtype() != DType::kBool || t.numel() != 1)
        ctx.fail("training_mode must be a bool scalar, got ", t.describe());
      train = t.data<bool>()[0];
    }
  } else {
    ratio = node.attr_float("ratio", 0.5f);
    train = node.opset < 7 && node.attr_int("is_test", 0) == 0;
  }
  if (train && !(ratio >= 0 && ratio < 1)) ctx.fail("ratio must be in [0, 1) in training, got ", ratio);
  const DType mask_dtype = node.opset >= 10 ? DType::kBool : x.dtype();
  const bool want_mask = ctx.output_wanted(1);
  if (!train || ratio == 0) {
    ctx.set_output(0, x);
    if (want_mask) {
      Tensor mask(mask_dtype, x.dims());
      if (mask_dtype == DType::kBool) {
        bool* m = mask.data<bool>();
        for (int64_t i = 0; i < mask.numel(); ++i) m[i] = true;
      } else {
        dispatch_float(mask_dtype, node.describe(), [&]<typename T>() {
          T* m = mask.data<T>();
          for (int64_t i = 0; i < mask.numel(); ++i) m[i] = from_double<T>(1.0);
        });
      }
      ctx.set_output(1, std::move(mask));
    }
    return;
  }
  std::mt19937_64 rng;
  if (node.has_attr("seed")) {
    rng.seed(static_cast<uint64_t>(node.attr_int("seed", 0)));
  } else {
    rng.seed(std::random_device{}());
  }
  std::bernoulli_distribution keep(1.0 - ratio);
  const double scale = 1.0 / (1.0 - ratio);
  Tensor y(x.dtype(), x.dims());
  Tensor mask(mask_dtype, x.dims());
  dispatch_float(x.dtype(), node.describe(), [&]<typename T>() {
    const T* px = x.data<T>();
    T* py = y.data<T>();
    bool* mb = mask_dtype == DType::kBool ? mask.data<bool>() : nullptr;
    T* mt = mask_dtype == DType::kBool ? nullptr : mask.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const bool k = keep(rng);
      py[i] = from_double<T>(k ? to_double(px[i]) * scale : 0.0);
      if (mb) {
        mb[i] = k;
      } else {
        mt[i] = from_double<T>(k ? 1.0 : 0.0);
      }
    }
  });
  ctx.set_output(0, std::move(y));
  if (want_mask) ctx.set_output(1, std::move(mask));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Dropout",
                  .since_version = 1,
                  .inputs = {1, 1},
                  .outputs = {1, 2},
                  .infer = infer_dropout,
                  .run = run_dropout,
                  .deterministic = false});
ONYX_REGISTER_OP({.op_type = "Dropout",
                  .since_version = 7,
                  .inputs = {1, 1},
                  .outputs = {1, 2},
                  .infer = infer_dropout,
                  .run = run_dropout});
ONYX_REGISTER_OP({.op_type = "Dropout",
                  .since_version = 10,
                  .inputs = {1, 1},
                  .outputs = {1, 2},
                  .infer = infer_dropout,
                  .run = run_dropout});
ONYX_REGISTER_OP({.op_type = "Dropout",
                  .since_version = 12,
                  .inputs = {1, 3},
                  .outputs = {1, 2},
                  .infer = infer_dropout,
                  .run = run_dropout,
                  .deterministic = false});

}  // namespace onyx
