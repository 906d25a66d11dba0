// Gemm (opsets 1, 6, 7, 9, 11, 13): Y = alpha * op(A) * op(B) + beta * C. C broadcasts unidirectionally to [M, N]
// (opset < 7: only when the `broadcast` attribute is set; otherwise it must be [M, N]); C is optional from opset 11.
// Floats use gemm() (float16/bfloat16 in float32, rounded once); integers use a plain loop.
#include "../core/gemm.h"
#include "nn_util.h"

namespace onyx {
namespace {

struct GemmAttrs {
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
  bool broadcast = true;  // opset < 7: the `broadcast` attribute
};

GemmAttrs parse_attrs(const Node& node) {
  GemmAttrs a;
  a.trans_a = node.attr_int("transA", 0) != 0;
  a.trans_b = node.attr_int("transB", 0) != 0;
  a.alpha = node.attr_float("alpha", 1.f);
  a.beta = node.attr_float("beta", 1.f);
  if (node.opset < 7) a.broadcast = node.attr_int("broadcast", 0) != 0;
  return a;
}

// C's dims must broadcast unidirectionally to [m, n] (or equal it when broadcasting is off).
void check_c(const Node& node, const std::vector<int64_t>& c, int64_t m, int64_t n, bool broadcast) {
  const std::vector<int64_t> mn = {m, n};
  bool ok = c.size() <= 2;
  if (ok && !broadcast) ok = c == mn;
  if (ok)
    for (size_t i = 0; i < c.size(); ++i) {
      const int64_t target = mn[2 - c.size() + i];
      ok &= c[i] == target || c[i] == 1;
    }
  if (!ok)
    fail_bad_input(node.describe(), ": C ", dims_to_string(c), " cannot ",
                   broadcast ? "broadcast to " : "be used without broadcast=1 for ", dims_to_string(mn));
}

template <typename T, typename C>
void fill_c(const Tensor& c, float beta, int64_t m, int64_t n, C* y) {
  const T* cd = c.data<T>();
  const int64_t cm = c.rank() == 2 ? c.dim(0) : 1;
  const int64_t cn = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      const C v = static_cast<C>(cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)]);
      if constexpr (std::is_floating_point_v<C>)
        y[i * n + j] = static_cast<C>(beta) * v;
      else
        y[i * n + j] = static_cast<C>(static_cast<double>(beta) * static_cast<double>(v));
    }
}

void run_gemm(KernelContext& ctx) {
  const Node& node = ctx.node();
  const GemmAttrs at = parse_attrs(node);
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.rank() != 2 || b.rank() != 2) ctx.fail("A and B must be 2-D, got ", a.describe(), " and ", b.describe());
  if (a.dtype() != b.dtype()) ctx.fail("A and B dtypes differ: ", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
  const int64_t m = at.trans_a ? a.dim(1) : a.dim(0);
  const int64_t k = at.trans_a ? a.dim(0) : a.dim(1);
  const int64_t kb = at.trans_b ? b.dim(1) : b.dim(0);
  const int64_t n = at.trans_b ? b.dim(0) : b.dim(1);
  if (k != kb) ctx.fail("inner dimensions differ: op(A) is [", m, ",", k, "], op(B) is [", kb, ",", n, "]");
  const bool has_c = ctx.has_input(2);
  if (!has_c && node.opset < 11) ctx.fail("input C is required before opset 11");
  if (has_c) {
    const Tensor& c = ctx.input(2);
    if (c.dtype() != a.dtype()) ctx.fail("C dtype ", dtype_name(c.dtype()), " differs from A's ", dtype_name(a.dtype()));
    check_c(node, c.dims(), m, n, at.broadcast);
  }
  dispatch_numeric(a.dtype(), node.describe(), [&]<typename T>() {
    if constexpr (std::is_floating_point_v<compute_t<T>>) {
      using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
      const bool reduced = !std::is_same_v<T, C>;
      const Tensor ac = reduced ? a.cast(dtype_of<C>) : a;
      const Tensor bc = reduced ? b.cast(dtype_of<C>) : b;
      Tensor y(dtype_of<C>, {m, n});
      C* yd = y.data<C>();
      if (has_c) fill_c<T, C>(ctx.input(2), at.beta, m, n, yd);
      gemm(at.trans_a, at.trans_b, m, n, k, static_cast<C>(at.alpha), ac.data<C>(), a.dim(1), bc.data<C>(), b.dim(1),
           has_c ? C(1) : C(0), yd, n);
      ctx.set_output(0, reduced ? y.cast(a.dtype()) : y);
    } else {
      Tensor y(a.dtype(), {m, n});
      T* yd = y.data<T>();
      if (has_c) fill_c<T, T>(ctx.input(2), at.beta, m, n, yd);
      const T* ad = a.data<T>();
      const T* bd = b.data<T>();
      const int64_t lda = a.dim(1), ldb = b.dim(1);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j) {
          uint64_t acc = 0;  // wraps like the storage type
          for (int64_t p = 0; p < k; ++p) {
            const T av = at.trans_a ? ad[p * lda + i] : ad[i * lda + p];
            const T bv = at.trans_b ? bd[j * ldb + p] : bd[p * ldb + j];
            acc += static_cast<uint64_t>(static_cast<int64_t>(av)) * static_cast<uint64_t>(static_cast<int64_t>(bv));
          }
          const T prod = static_cast<T>(acc);
          const T scaled = at.alpha == 1.f ? prod : static_cast<T>(static_cast<double>(at.alpha) * static_cast<double>(prod));
          yd[i * n + j] = static_cast<T>(static_cast<uint64_t>(yd[i * n + j]) + static_cast<uint64_t>(scaled));
        }
      ctx.set_output(0, std::move(y));
    }
  });
}

void infer_gemm(InferContext& ctx) {
  const Node& node = ctx.node();
  const GemmAttrs at = parse_attrs(node);
  const DType dt = ctx.input_dtype(0);
  const Shape& as = ctx.input_shape(0);
  const Shape& bs = ctx.input_shape(1);
  if (as.rank_known() && as.rank() != 2) ctx.fail("A must be 2-D, got ", as.to_string());
  if (bs.rank_known() && bs.rank() != 2) ctx.fail("B must be 2-D, got ", bs.to_string());
  const Dim m = as.rank_known() ? as[at.trans_a ? 1 : 0] : Dim::unknown();
  const Dim n = bs.rank_known() ? bs[at.trans_b ? 0 : 1] : Dim::unknown();
  const Dim ka = as.rank_known() ? as[at.trans_a ? 0 : 1] : Dim::unknown();
  const Dim kb = bs.rank_known() ? bs[at.trans_b ? 1 : 0] : Dim::unknown();
  if (ka.is_known() && kb.is_known() && ka.value() != kb.value())
    ctx.fail("inner dimensions differ: op(A) has ", ka.value(), " columns, op(B) has ", kb.value(), " rows");
  ctx.set_output(0, dt, Shape({m, n}));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 1, .inputs = {3, 3}, .infer = infer_gemm, .run = run_gemm});
ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 6, .inputs = {3, 3}, .infer = infer_gemm, .run = run_gemm});
ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 7, .inputs = {3, 3}, .infer = infer_gemm, .run = run_gemm});
ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 9, .inputs = {3, 3}, .infer = infer_gemm, .run = run_gemm});
ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 11, .inputs = {2, 3}, .infer = infer_gemm, .run = run_gemm});
ONYX_REGISTER_OP({.op_type = "Gemm", .since_version = 13, .inputs = {2, 3}, .infer = infer_gemm, .run = run_gemm});

}  // namespace onyx
