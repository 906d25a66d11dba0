// Attention (opset 23): scaled dot-product attention with optional mask, causal masking, softcap, grouped KV heads
// and an in-operator KV cache (past/present key and value). Opset 24's nonpad_kv_seqlen input (7th) is honoured
// when present.
//
// Shapes: Q [B, Hq, Sq, E] or [B, Sq, Hq*E] (3-D needs q_num_heads/kv_num_heads), K [B, Hkv, Skv, E], V [B, Hkv,
// Skv, Ev]; past_key/past_value [B, Hkv, P, E|Ev]; present = concat(past, new) along the sequence axis, T = P + Skv.
// Q head h reads KV head h / (Hq / Hkv).
//
// Per (b, h): s = (Q*sqrt(scale)) (K*sqrt(scale))^T (scale default 1/sqrt(E)); softcap>0: s = softcap*tanh(s/softcap);
// s += bias; Y = softmax(s) V. bias: attn_mask broadcast (right-aligned) to [B, Hq, Sq, T] — bool (false → -inf) or
// additive; a mask shorter than T in its last axis is padded with -inf — plus -inf above the causal diagonal
// (is_causal: key j is visible to query i iff j <= i + P, or j <= i + nonpad[b] - Sq with nonpad_kv_seqlen) and at
// keys j >= nonpad[b]. A row whose every score is -inf has no defined softmax and yields NaN.
// qk_matmul_output (4th output): mode 0 the scaled QK, 1 QK + bias, 2 softcap(QK) + bias (what softmax sees), 3 the
// softmax.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "../core/parallel.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

struct AttentionAttrs {
  bool is_causal = false;
  int64_t q_heads = 0;   // 0: not given
  int64_t kv_heads = 0;
  int64_t qk_mode = 0;
  bool has_scale = false;
  double scale = 0;
  double softcap = 0;
};

AttentionAttrs parse_attrs(const Node& node) {
  AttentionAttrs a;
  a.is_causal = node.attr_int("is_causal", 0) != 0;
  a.q_heads = node.attr_int("q_num_heads", 0);
  a.kv_heads = node.attr_int("kv_num_heads", 0);
  if (a.q_heads < 0 || a.kv_heads < 0) fail_bad_input(node.describe(), ": head counts must be positive");
  a.qk_mode = node.attr_int("qk_matmul_output_mode", 0);
  if (a.qk_mode < 0 || a.qk_mode > 3)
    fail_bad_input(node.describe(), ": qk_matmul_output_mode must be 0..3, got ", a.qk_mode);
  if (node.has_attr("scale")) {
    a.has_scale = true;
    a.scale = node.attr_float("scale", 1.0f);
  }
  a.softcap = node.attr_float("softcap", 0.0f);
  if (a.softcap < 0) fail_bad_input(node.describe(), ": softcap must be >= 0, got ", a.softcap);
  return a;
}

// Dims of one of Q/K/V as [B, heads, S, head_size] (3-D inputs split their hidden size by `heads`).
struct Bhsd {
  Dim b, h, s, d;
};

Bhsd split_shape(const Shape& s, int64_t heads, InferContext& ctx, const char* what) {
  if (s.rank() == 4) return {s[0], s[1], s[2], s[3]};
  if (s.rank() != 3) ctx.fail(what, " must have rank 3 or 4, got ", s.to_string());
  if (heads <= 0) ctx.fail("3-D inputs need the q_num_heads and kv_num_heads attributes");
  Dim d = s[2].is_known() ? Dim(s[2].value() / heads) : Dim::unknown();
  return {s[0], Dim(heads), s[1], d};
}

Dim add_dims(const Dim& a, const Dim& b) {
  return a.is_known() && b.is_known() ? Dim(a.value() + b.value()) : Dim::unknown();
}

void infer_attention(InferContext& ctx) {
  const AttentionAttrs a = parse_attrs(ctx.node());
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("Q must be a float tensor, got ", dtype_name(dt));
  const Shape& qs = ctx.input_shape(0);
  const Shape& ks = ctx.input_shape(1);
  const Shape& vs = ctx.input_shape(2);
  if (!qs.rank_known() || !ks.rank_known() || !vs.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(dt));
    return;
  }
  const Bhsd q = split_shape(qs, a.q_heads, ctx, "Q");
  const Bhsd k = split_shape(ks, a.kv_heads, ctx, "K");
  const Bhsd v = split_shape(vs, a.kv_heads, ctx, "V");
  Dim past = 0;
  if (ctx.has_input(4)) {
    const Shape& ps = ctx.input_shape(4);
    past = ps.rank_known() && ps.rank() == 4 ? ps[2] : Dim::unknown();
  }
  const Dim total = add_dims(past, k.s);
  if (qs.rank() == 4) {
    ctx.set_output(0, dt, Shape({q.b, q.h, q.s, v.d}));
  } else {
    const Dim hidden = v.d.is_known() ? Dim(a.q_heads * v.d.value()) : Dim::unknown();
    ctx.set_output(0, dt, Shape({q.b, q.s, hidden}));
  }
  if (ctx.num_outputs() > 1) ctx.set_output(1, dt, Shape({k.b, k.h, total, k.d}));
  if (ctx.num_outputs() > 2) ctx.set_output(2, ctx.input_dtype(2), Shape({v.b, v.h, total, v.d}));
  if (ctx.num_outputs() > 3) ctx.set_output(3, dt, Shape({q.b, q.h, q.s, total}));
}

// A [B, H, S, D] view of Q/K/V data converted to double.
struct Heads {
  int64_t B = 0, H = 0, S = 0, D = 0;
  std::vector<double> v;  // [B, H, S, D]
  double at(int64_t b, int64_t h, int64_t s, int64_t d) const {
    return v[static_cast<size_t>(((b * H + h) * S + s) * D + d)];
  }
};

Heads load_heads(const Tensor& t, int64_t heads, KernelContext& ctx, const char* what) {
  Heads r;
  if (t.rank() == 4) {
    r.B = t.dim(0), r.H = t.dim(1), r.S = t.dim(2), r.D = t.dim(3);
  } else if (t.rank() == 3) {
    if (heads <= 0) ctx.fail("3-D inputs need the q_num_heads and kv_num_heads attributes");
    if (t.dim(2) % heads != 0) ctx.fail(what, "'s hidden size ", t.dim(2), " is not a multiple of ", heads, " heads");
    r.B = t.dim(0), r.H = heads, r.S = t.dim(1), r.D = t.dim(2) / heads;
  } else {
    ctx.fail(what, " must have rank 3 or 4, got ", dims_to_string(t.dims()));
  }
  if (!dtype_is_float(t.dtype())) ctx.fail(what, " must be a float tensor, got ", dtype_name(t.dtype()));
  const std::vector<double> flat = t.to_double_vector();
  if (t.rank() == 4) {
    r.v = flat;
    return r;
  }
  r.v.resize(flat.size());
  for (int64_t b = 0; b < r.B; ++b)
    for (int64_t s = 0; s < r.S; ++s)
      for (int64_t h = 0; h < r.H; ++h)
        for (int64_t d = 0; d < r.D; ++d)
          r.v[static_cast<size_t>(((b * r.H + h) * r.S + s) * r.D + d)] =
              flat[static_cast<size_t>(((b * r.S + s) * r.H + h) * r.D + d)];
  return r;
}

// Concatenates past (4-D) and new along the sequence axis.
Heads concat_past(const Heads& cur, const Tensor* past, KernelContext& ctx, const char* what) {
  if (!past) return cur;
  if (past->rank() != 4 || past->dim(0) != cur.B || past->dim(1) != cur.H || past->dim(3) != cur.D)
    ctx.fail(what, " must have shape [", cur.B, ",", cur.H, ",past,", cur.D, "], got ", dims_to_string(past->dims()));
  const std::vector<double> pv = past->to_double_vector();
  Heads r = cur;
  const int64_t P = past->dim(2);
  r.S = P + cur.S;
  r.v.assign(static_cast<size_t>(r.B * r.H * r.S * r.D), 0.0);
  for (int64_t b = 0; b < r.B; ++b)
    for (int64_t h = 0; h < r.H; ++h) {
      double* dst = &r.v[static_cast<size_t>((b * r.H + h) * r.S * r.D)];
      std::copy_n(&pv[static_cast<size_t>((b * r.H + h) * P * r.D)], P * r.D, dst);
      std::copy_n(&cur.v[static_cast<size_t>((b * r.H + h) * cur.S * r.D)], cur.S * r.D, dst + P * r.D);
    }
  return r;
}

Tensor store(const std::vector<double>& v, DType dt, std::vector<int64_t> dims) {
  Tensor t(dt, std::move(dims));
  dispatch_float(dt, "Attention", [&]<typename T>() {
    T* p = t.data<T>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = to_storage<T>(v[i]);
  });
  return t;
}

void run_attention(KernelContext& ctx) {
  const AttentionAttrs a = parse_attrs(ctx.node());
  const Tensor& Qt = ctx.input(0);
  const Tensor& Kt = ctx.input(1);
  const Tensor& Vt = ctx.input(2);
  if (Qt.rank() != Kt.rank() || Qt.rank() != Vt.rank()) ctx.fail("Q, K and V must have the same rank");
  if (Qt.dtype() != Kt.dtype()) ctx.fail("Q and K must have the same dtype");
  const bool three_d = Qt.rank() == 3;
  const Heads q = load_heads(Qt, a.q_heads, ctx, "Q");
  const Heads k_new = load_heads(Kt, a.kv_heads, ctx, "K");
  const Heads v_new = load_heads(Vt, a.kv_heads, ctx, "V");
  const bool has_pk = ctx.has_input(4), has_pv = ctx.has_input(5);
  if (has_pk != has_pv) ctx.fail("past_key and past_value must be given together");
  const Heads k = concat_past(k_new, has_pk ? &ctx.input(4) : nullptr, ctx, "past_key");
  const Heads v = concat_past(v_new, has_pv ? &ctx.input(5) : nullptr, ctx, "past_value");
  const int64_t B = q.B, Hq = q.H, Sq = q.S, E = q.D, Hkv = k.H, T = k.S, Ev = v.D;
  const int64_t P = has_pk ? ctx.input(4).dim(2) : 0;
  if (k.B != B || v.B != B) ctx.fail("Q, K and V must have the same batch size");
  if (k.D != E) ctx.fail("K's head size ", k.D, " differs from Q's ", E);
  if (v.H != Hkv || v.S != T) ctx.fail("V must have K's heads and sequence length");
  if (Hkv == 0 || Hq % Hkv != 0) ctx.fail("q heads (", Hq, ") must be a multiple of kv heads (", Hkv, ")");
  if (a.q_heads > 0 && !three_d && a.q_heads != Hq) ctx.fail("q_num_heads ", a.q_heads, " differs from Q's ", Hq);
  const int64_t group = Hq / Hkv;

  std::vector<int64_t> nonpad;
  if (ctx.has_input(6)) {
    const Tensor& t = ctx.input(6);
    if (t.dtype() != DType::kInt64 || t.rank() != 1 || t.dim(0) != B)
      ctx.fail("nonpad_kv_seqlen must be int64 [", B, "], got ", t.describe());
    nonpad = t.to_int64_vector();
  }

  // Mask as an additive bias over [B, Hq, Sq, T] via broadcast strides.
  const Tensor* mask = ctx.has_input(3) ? &ctx.input(3) : nullptr;
  std::vector<double> mask_v;
  std::vector<int64_t> mstr(4, 0);
  int64_t mask_last = 0;
  if (mask) {
    if (mask->rank() > 4 || mask->rank() == 0) ctx.fail("attn_mask must have rank 1 to 4, got ", mask->describe());
    const bool is_bool = mask->dtype() == DType::kBool;
    if (!is_bool && mask->dtype() != Qt.dtype() && !dtype_is_integer(mask->dtype()))
      ctx.fail("attn_mask must be bool or Q's dtype, got ", dtype_name(mask->dtype()));
    const std::vector<int64_t> target = {B, Hq, Sq, T};
    const size_t off = 4 - mask->rank();
    int64_t stride = 1;
    for (size_t i = mask->rank(); i-- > 0;) {
      const int64_t d = mask->dim(i);
      const size_t ti = i + off;
      if (ti == 3) {
        if (d > T) ctx.fail("attn_mask's last dimension ", d, " exceeds the total sequence length ", T);
        mask_last = d;
        mstr[ti] = 1;
      } else if (d == target[ti]) {
        mstr[ti] = stride;
      } else if (d != 1) {
        ctx.fail("attn_mask shape ", dims_to_string(mask->dims()), " does not broadcast to ",
                 dims_to_string(target));
      }
      stride *= d;
    }
    mask_v.resize(static_cast<size_t>(mask->numel()));
    const double ninf = -std::numeric_limits<double>::infinity();
    for (int64_t i = 0; i < mask->numel(); ++i)
      mask_v[static_cast<size_t>(i)] = is_bool ? (mask->data<bool>()[i] ? 0.0 : ninf) : mask->get_double(i);
  }

  const double scale = a.has_scale ? a.scale : 1.0 / std::sqrt(static_cast<double>(E));
  const double sq = std::sqrt(scale);
  std::vector<double> y(static_cast<size_t>(B * Hq * Sq * Ev), 0.0);
  const bool want_qk = ctx.output_wanted(3);
  std::vector<double> qk_out(want_qk ? static_cast<size_t>(B * Hq * Sq * T) : 0);
  const double ninf = -std::numeric_limits<double>::infinity();

  parallel_for(B * Hq, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> s(static_cast<size_t>(T));
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / Hq, h = bh % Hq, hk = h / group;
      for (int64_t i = 0; i < Sq; ++i) {
        for (int64_t j = 0; j < T; ++j) {
          double acc = 0;
          for (int64_t e = 0; e < E; ++e) acc += (q.at(b, h, i, e) * sq) * (k.at(b, hk, j, e) * sq);
          double bias = 0;
          if (mask) {
            if (j >= mask_last) {
              bias = ninf;
            } else {
              bias = mask_v[static_cast<size_t>(b * mstr[0] + h * mstr[1] + i * mstr[2] + j * mstr[3])];
            }
          }
          if (a.is_causal) {
            const int64_t offset = has_pk ? P : !nonpad.empty() ? nonpad[static_cast<size_t>(b)] - Sq : 0;
            if (j > i + offset) bias = ninf;
          }
          if (!nonpad.empty() && j >= nonpad[static_cast<size_t>(b)]) bias = ninf;
          const double capped = a.softcap > 0 ? a.softcap * std::tanh(acc / a.softcap) : acc;
          s[static_cast<size_t>(j)] = capped + bias;
          if (want_qk && a.qk_mode < 3) {
            double o = a.qk_mode == 0 ? acc : a.qk_mode == 1 ? acc + bias : capped + bias;
            qk_out[static_cast<size_t>(((b * Hq + h) * Sq + i) * T + j)] = o;
          }
        }
        double mx = ninf;
        for (double x : s) mx = std::max(mx, x);
        double sum = 0;
        for (double& x : s) {
          x = mx == ninf ? std::numeric_limits<double>::quiet_NaN() : std::exp(x - mx);
          sum += x;
        }
        for (double& x : s) x /= sum;
        if (want_qk && a.qk_mode == 3)
          std::copy(s.begin(), s.end(), &qk_out[static_cast<size_t>(((b * Hq + h) * Sq + i) * T)]);
        double* yr = &y[static_cast<size_t>(((b * Hq + h) * Sq + i) * Ev)];
        for (int64_t j = 0; j < T; ++j) {
          const double p = s[static_cast<size_t>(j)];
          for (int64_t e = 0; e < Ev; ++e) yr[e] += p * v.at(b, hk, j, e);
        }
      }
    }
  });

  if (three_d) {
    std::vector<double> y3(y.size());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < Hq; ++h)
        for (int64_t i = 0; i < Sq; ++i)
          for (int64_t e = 0; e < Ev; ++e)
            y3[static_cast<size_t>(((b * Sq + i) * Hq + h) * Ev + e)] =
                y[static_cast<size_t>(((b * Hq + h) * Sq + i) * Ev + e)];
    ctx.set_output(0, store(y3, Qt.dtype(), {B, Sq, Hq * Ev}));
  } else {
    ctx.set_output(0, store(y, Qt.dtype(), {B, Hq, Sq, Ev}));
  }
  if (ctx.output_wanted(1)) ctx.set_output(1, store(k.v, Kt.dtype(), {B, Hkv, T, E}));
  if (ctx.output_wanted(2)) ctx.set_output(2, store(v.v, Vt.dtype(), {B, Hkv, T, Ev}));
  if (want_qk) ctx.set_output(3, store(qk_out, Qt.dtype(), {B, Hq, Sq, T}));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "Attention", .since_version = 23, .inputs = {3, 7}, .outputs = {1, 4},
                  .infer = infer_attention, .run = run_attention});

}  // namespace onyx
