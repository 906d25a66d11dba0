// RNN, GRU, LSTM: one-layer recurrent networks (opset 1, 7, 14, 22 share one kernel; layout arrived in 14, and
// opset 1's output_sequence attribute only says whether Y is wanted).
//
// Gate order in W/R/B: RNN i; GRU z, r, h; LSTM i, o, f, c; LSTM peepholes P: i, o, f. B holds Wb then Rb.
// Inputs are normalized to layout 0 ([seq, batch, input]); each direction runs X*W^T for all time steps at once
// (one gemm), then one H*R^T gemm per step. sequence_lens: steps at t >= len[b] leave Y zero and the state
// unchanged; the reverse direction starts at len[b]-1.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "../core/gemm.h"
#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

enum class Cell { kRnn, kGru, kLstm };

int gates_of(Cell c) { return c == Cell::kRnn ? 1 : c == Cell::kGru ? 3 : 4; }
size_t acts_per_dir(Cell c) { return c == Cell::kRnn ? 1 : c == Cell::kGru ? 2 : 3; }

// ---- activations --------------------------------------------------------------------------------------------------

enum class ActKind { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid, kElu,
                     kSoftsign, kSoftplus };

struct Activation {
  ActKind kind = ActKind::kTanh;
  double alpha = 0;
  double beta = 0;

  double operator()(double x) const {
    switch (kind) {
      case ActKind::kRelu: return x > 0 ? x : 0;
      case ActKind::kTanh: return std::tanh(x);
      case ActKind::kSigmoid: return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x));
      case ActKind::kAffine: return alpha * x + beta;
      case ActKind::kLeakyRelu: return x >= 0 ? x : alpha * x;
      case ActKind::kThresholdedRelu: return x > alpha ? x : 0;
      case ActKind::kScaledTanh: return alpha * std::tanh(beta * x);
      case ActKind::kHardSigmoid: return std::min(1.0, std::max(0.0, alpha * x + beta));
      case ActKind::kElu: return x >= 0 ? x : alpha * (std::exp(x) - 1);
      case ActKind::kSoftsign: return x / (1 + std::abs(x));
      case ActKind::kSoftplus: return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
    }
    return x;
  }
};

struct ActInfo {
  const char* name;
  ActKind kind;
  bool uses_alpha;
  bool uses_beta;
  double alpha;  // defaults: those of the ONNX op of the same name
  double beta;
};

constexpr ActInfo kActs[] = {
    {"relu", ActKind::kRelu, false, false, 0, 0},
    {"tanh", ActKind::kTanh, false, false, 0, 0},
    {"sigmoid", ActKind::kSigmoid, false, false, 0, 0},
    {"affine", ActKind::kAffine, true, true, 1.0, 0.0},
    {"leakyrelu", ActKind::kLeakyRelu, true, false, 0.01, 0},
    {"thresholdedrelu", ActKind::kThresholdedRelu, true, false, 1.0, 0},
    {"scaledtanh", ActKind::kScaledTanh, true, true, 1.0, 1.0},
    {"hardsigmoid", ActKind::kHardSigmoid, true, true, 0.2, 0.5},
    {"elu", ActKind::kElu, true, false, 1.0, 0},
    {"softsign", ActKind::kSoftsign, false, false, 0, 0},
    {"softplus", ActKind::kSoftplus, false, false, 0, 0},
};

// ---- attributes ---------------------------------------------------------------------------------------------------

struct RnnAttrs {
  Cell cell = Cell::kRnn;
  int64_t hidden_size = -1;  // -1: take it from R
  int num_dirs = 1;
  bool forward = true;       // single direction: forward or reverse
  bool bidirectional = false;
  int64_t layout = 0;
  bool has_clip = false;
  double clip = 0;
  bool linear_before_reset = false;  // GRU
  bool input_forget = false;         // LSTM
  std::vector<Activation> acts;      // acts_per_dir * num_dirs
};

RnnAttrs parse_attrs(const Node& node, Cell cell) {
  RnnAttrs a;
  a.cell = cell;
  if (node.has_attr("hidden_size")) {
    a.hidden_size = node.attr_int("hidden_size");
    if (a.hidden_size <= 0) fail_bad_input(node.describe(), ": hidden_size must be positive, got ", a.hidden_size);
  }
  // GRU-1 spelled the default "foward".
  std::string dir = node.attr_string("direction", "forward");
  if (dir == "forward" || dir == "foward") {
    a.forward = true;
  } else if (dir == "reverse") {
    a.forward = false;
  } else if (dir == "bidirectional") {
    a.bidirectional = true;
    a.num_dirs = 2;
  } else {
    fail_bad_input(node.describe(), ": direction must be forward, reverse or bidirectional, got '", dir, "'");
  }
  a.layout = node.opset >= 14 ? node.attr_int("layout", 0) : 0;
  if (a.layout != 0 && a.layout != 1) fail_bad_input(node.describe(), ": layout must be 0 or 1, got ", a.layout);
  if (node.has_attr("clip")) {
    a.has_clip = true;
    a.clip = node.attr_float("clip", 0);
    if (!(a.clip > 0)) fail_bad_input(node.describe(), ": clip must be positive, got ", a.clip);
  }
  if (cell == Cell::kGru) a.linear_before_reset = node.attr_int("linear_before_reset", 0) != 0;
  if (cell == Cell::kLstm) a.input_forget = node.attr_int("input_forget", 0) != 0;

  const size_t per_dir = acts_per_dir(cell);
  std::vector<std::string> names = node.attr_strings("activations");
  if (names.empty()) {
    const std::vector<std::string> defaults = cell == Cell::kRnn   ? std::vector<std::string>{"Tanh"}
                                              : cell == Cell::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                   : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
    for (int d = 0; d < a.num_dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && a.num_dirs == 2) {
    // One list for both directions.
    std::vector<std::string> twice = names;
    twice.insert(twice.end(), names.begin(), names.end());
    names = twice;
  }
  if (names.size() != per_dir * static_cast<size_t>(a.num_dirs))
    fail_bad_input(node.describe(), ": expected ", per_dir * static_cast<size_t>(a.num_dirs),
                   " activations, got ", names.size());
  const std::vector<float> alphas = node.attr_floats("activation_alpha");
  const std::vector<float> betas = node.attr_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;
  for (const std::string& raw : names) {
    std::string name;
    for (char ch : raw) name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    const ActInfo* info = nullptr;
    for (const ActInfo& i : kActs)
      if (name == i.name) info = &i;
    if (!info) fail_bad_input(node.describe(), ": unknown activation '", raw, "'");
    Activation act{info->kind, info->alpha, info->beta};
    // Values are consumed in order by the activations that take them.
    if (info->uses_alpha && next_alpha < alphas.size()) act.alpha = alphas[next_alpha++];
    if (info->uses_beta && next_beta < betas.size()) act.beta = betas[next_beta++];
    a.acts.push_back(act);
  }
  return a;
}

Cell cell_of(const Node& node) {
  if (node.op_type == "GRU") return Cell::kGru;
  if (node.op_type == "LSTM") return Cell::kLstm;
  return Cell::kRnn;
}

// ---- inference ----------------------------------------------------------------------------------------------------

void infer_rnn(InferContext& ctx) {
  const Node& node = ctx.node();
  const RnnAttrs a = parse_attrs(node, cell_of(node));
  const DType dt = ctx.input_dtype(0);
  if (dt != DType::kUndefined && !dtype_is_float(dt)) ctx.fail("X must be a float tensor, got ", dtype_name(dt));
  const Shape& xs = ctx.input_shape(0);
  if (xs.rank_known() && xs.rank() != 3) ctx.fail("X must have rank 3, got ", xs.to_string());
  Dim hidden = a.hidden_size > 0 ? Dim(a.hidden_size) : Dim::unknown();
  if (a.hidden_size <= 0 && ctx.has_input(2)) {
    const Shape& rs = ctx.input_shape(2);
    if (rs.rank_known() && rs.rank() == 3) hidden = rs[2];
  }
  Dim seq = Dim::unknown(), batch = Dim::unknown();
  if (xs.rank_known() && xs.rank() == 3) {
    seq = a.layout == 0 ? xs[0] : xs[1];
    batch = a.layout == 0 ? xs[1] : xs[0];
  }
  const Dim dirs(a.num_dirs);
  if (a.layout == 0) {
    ctx.set_output(0, dt, Shape({seq, dirs, batch, hidden}));
    for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, dt, Shape({dirs, batch, hidden}));
  } else {
    ctx.set_output(0, dt, Shape({batch, seq, dirs, hidden}));
    for (size_t i = 1; i < ctx.num_outputs(); ++i) ctx.set_output(i, dt, Shape({batch, dirs, hidden}));
  }
}

// ---- kernel -------------------------------------------------------------------------------------------------------

template <typename C>
std::vector<C> to_compute(const Tensor& t, const Node& node, const char* what) {
  std::vector<C> out(static_cast<size_t>(t.numel()));
  dispatch_float(t.dtype(), node.describe(), [&]<typename T>() {
    const T* p = t.data<T>();
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<C>(static_cast<compute_t<T>>(p[i]));
  });
  (void)what;
  return out;
}

void expect_dims(const Tensor& t, const std::vector<int64_t>& dims, const Node& node, const char* what) {
  if (t.dims() != dims)
    fail_bad_input(node.describe(), ": ", what, " must have shape ", dims_to_string(dims), ", got ",
                   dims_to_string(t.dims()));
}

template <typename T>
void run_typed(KernelContext& ctx, const RnnAttrs& a) {
  using C = double;  // all dtypes accumulate in double: long recurrences amplify rounding
  const Node& node = ctx.node();
  const Tensor& X = ctx.input(0);
  const Tensor& W = ctx.input(1);
  const Tensor& R = ctx.input(2);
  for (size_t i : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{6}, size_t{7}})
    if (ctx.has_input(i) && ctx.input(i).dtype() != X.dtype())
      ctx.fail("input ", i, " must have X's dtype ", dtype_name(X.dtype()), ", got ",
               dtype_name(ctx.input(i).dtype()));
  if (X.rank() != 3) ctx.fail("X must have rank 3, got ", dims_to_string(X.dims()));
  if (W.rank() != 3 || R.rank() != 3) ctx.fail("W and R must have rank 3");
  const int G = gates_of(a.cell);
  const int64_t D = a.num_dirs;
  const int64_t S = a.layout == 0 ? X.dim(0) : X.dim(1);
  const int64_t Bn = a.layout == 0 ? X.dim(1) : X.dim(0);
  const int64_t I = X.dim(2);
  const int64_t H = a.hidden_size > 0 ? a.hidden_size : R.dim(2);
  const int64_t GH = G * H;
  expect_dims(W, {D, GH, I}, node, "W");
  expect_dims(R, {D, GH, H}, node, "R");

  // X in layout 0: [S, B, I].
  std::vector<C> x = to_compute<C>(X, node, "X");
  if (a.layout == 1) {
    std::vector<C> t(x.size());
    for (int64_t b = 0; b < Bn; ++b)
      for (int64_t s = 0; s < S; ++s)
        std::copy_n(&x[static_cast<size_t>((b * S + s) * I)], I, &t[static_cast<size_t>((s * Bn + b) * I)]);
    x.swap(t);
  }
  const std::vector<C> w = to_compute<C>(W, node, "W");
  const std::vector<C> r = to_compute<C>(R, node, "R");
  std::vector<C> bias(static_cast<size_t>(D * 2 * GH), C(0));
  if (ctx.has_input(3)) {
    expect_dims(ctx.input(3), {D, 2 * GH}, node, "B");
    bias = to_compute<C>(ctx.input(3), node, "B");
  }
  std::vector<int64_t> lens(static_cast<size_t>(Bn), S);
  if (ctx.has_input(4)) {
    const Tensor& sl = ctx.input(4);
    if (sl.dtype() != DType::kInt32 && sl.dtype() != DType::kInt64)
      ctx.fail("sequence_lens must be int32, got ", dtype_name(sl.dtype()));
    expect_dims(sl, {Bn}, node, "sequence_lens");
    lens = sl.to_int64_vector();
    for (int64_t l : lens)
      if (l < 0 || l > S) ctx.fail("sequence_lens value ", l, " is outside [0, ", S, "]");
  }
  // Initial states in layout 0: [D, B, H].
  auto load_state = [&](size_t idx, const char* what) {
    std::vector<C> st(static_cast<size_t>(D * Bn * H), C(0));
    if (!ctx.has_input(idx)) return st;
    const Tensor& t = ctx.input(idx);
    expect_dims(t, a.layout == 0 ? std::vector<int64_t>{D, Bn, H} : std::vector<int64_t>{Bn, D, H}, node, what);
    std::vector<C> v = to_compute<C>(t, node, what);
    if (a.layout == 0) return v;
    for (int64_t b = 0; b < Bn; ++b)
      for (int64_t d = 0; d < D; ++d)
        std::copy_n(&v[static_cast<size_t>((b * D + d) * H)], H, &st[static_cast<size_t>((d * Bn + b) * H)]);
    return st;
  };
  std::vector<C> h_state = load_state(5, "initial_h");
  std::vector<C> c_state;
  std::vector<C> peep(static_cast<size_t>(D * 3 * H), C(0));
  if (a.cell == Cell::kLstm) {
    c_state = load_state(6, "initial_c");
    if (ctx.has_input(7)) {
      expect_dims(ctx.input(7), {D, 3 * H}, node, "P");
      peep = to_compute<C>(ctx.input(7), node, "P");
    }
  }

  std::vector<C> y(static_cast<size_t>(S * D * Bn * H), C(0));  // [S, D, B, H]
  const size_t per_dir = acts_per_dir(a.cell);
  auto clip = [&](double v) { return a.has_clip ? std::clamp(v, -a.clip, a.clip) : v; };

  std::vector<C> xw(static_cast<size_t>(S * Bn * GH));
  std::vector<C> hr(static_cast<size_t>(Bn * GH));
  std::vector<C> rh(static_cast<size_t>(Bn * H));      // GRU: r (.) H_prev
  std::vector<C> rh_r(static_cast<size_t>(Bn * H));    // GRU: (r (.) H_prev) * Rh^T
  std::vector<C> gate_r(static_cast<size_t>(Bn * H));  // GRU reset gate values
  for (int64_t d = 0; d < D; ++d) {
    const bool fwd = a.bidirectional ? d == 0 : a.forward;
    const Activation* acts = &a.acts[static_cast<size_t>(d) * per_dir];
    const C* wd = &w[static_cast<size_t>(d * GH * I)];
    const C* rd = &r[static_cast<size_t>(d * GH * H)];
    const C* wb = &bias[static_cast<size_t>(d * 2 * GH)];
    const C* rb = wb + GH;
    const C* pd = &peep[static_cast<size_t>(d * 3 * H)];
    C* hs = &h_state[static_cast<size_t>(d * Bn * H)];
    C* cs = a.cell == Cell::kLstm ? &c_state[static_cast<size_t>(d * Bn * H)] : nullptr;
    // xw[s, b, :] = X[s, b] * W^T + Wb
    if (S * Bn > 0 && GH > 0)
      gemm(false, true, S * Bn, GH, I, C(1), x.data(), I, wd, I, C(0), xw.data(), GH);
    for (int64_t row = 0; row < S * Bn; ++row)
      for (int64_t j = 0; j < GH; ++j) xw[static_cast<size_t>(row * GH + j)] += wb[j];

    for (int64_t step = 0; step < S; ++step) {
      // hr[b, :] = H_prev[b] * R^T (+ Rb for the gates where it is added outside)
      if (Bn > 0 && GH > 0) gemm(false, true, Bn, GH, H, C(1), hs, H, rd, H, C(0), hr.data(), GH);
      if (a.cell == Cell::kGru && !a.linear_before_reset) {
        // r must be known before (r (.) H_prev) * Rh^T.
        for (int64_t b = 0; b < Bn; ++b) {
          const int64_t len = lens[static_cast<size_t>(b)];
          if (step >= len) continue;
          const int64_t t = fwd ? step : len - 1 - step;
          const C* xr = &xw[static_cast<size_t>((t * Bn + b) * GH)];
          for (int64_t j = 0; j < H; ++j) {
            const double pre = double(xr[H + j]) + hr[static_cast<size_t>(b * GH + H + j)] + rb[H + j];
            gate_r[static_cast<size_t>(b * H + j)] = static_cast<C>(acts[0](clip(pre)));
            rh[static_cast<size_t>(b * H + j)] = gate_r[static_cast<size_t>(b * H + j)] * hs[b * H + j];
          }
        }
        if (Bn > 0 && H > 0)
          gemm(false, true, Bn, H, H, C(1), rh.data(), H, rd + 2 * H * H, H, C(0), rh_r.data(), H);
      }
      for (int64_t b = 0; b < Bn; ++b) {
        const int64_t len = lens[static_cast<size_t>(b)];
        if (step >= len) continue;
        const int64_t t = fwd ? step : len - 1 - step;
        const C* xr = &xw[static_cast<size_t>((t * Bn + b) * GH)];
        const C* hrb = &hr[static_cast<size_t>(b * GH)];
        C* hb = hs + b * H;
        C* yb = &y[static_cast<size_t>(((t * D + d) * Bn + b) * H)];
        switch (a.cell) {
          case Cell::kRnn:
            for (int64_t j = 0; j < H; ++j) yb[j] = static_cast<C>(acts[0](clip(double(xr[j]) + hrb[j] + rb[j])));
            break;
          case Cell::kGru:
            for (int64_t j = 0; j < H; ++j) {
              const double z = acts[0](clip(double(xr[j]) + hrb[j] + rb[j]));
              double hh;
              if (a.linear_before_reset) {
                const double rg = acts[0](clip(double(xr[H + j]) + hrb[H + j] + rb[H + j]));
                hh = acts[1](clip(double(xr[2 * H + j]) + rg * (double(hrb[2 * H + j]) + rb[2 * H + j])));
              } else {
                hh = acts[1](clip(double(xr[2 * H + j]) + rh_r[static_cast<size_t>(b * H + j)] + rb[2 * H + j]));
              }
              yb[j] = static_cast<C>((1 - z) * hh + z * hb[j]);
            }
            break;
          case Cell::kLstm: {
            C* cb = cs + b * H;
            for (int64_t j = 0; j < H; ++j) {
              const double c_prev = cb[j];
              const double ig = acts[0](clip(double(xr[j]) + hrb[j] + rb[j] + pd[j] * c_prev));
              double fg = acts[0](clip(double(xr[2 * H + j]) + hrb[2 * H + j] + rb[2 * H + j] + pd[2 * H + j] * c_prev));
              if (a.input_forget) fg = 1 - ig;
              const double cg = acts[1](clip(double(xr[3 * H + j]) + hrb[3 * H + j] + rb[3 * H + j]));
              const double c_new = fg * c_prev + ig * cg;
              const double og = acts[0](clip(double(xr[H + j]) + hrb[H + j] + rb[H + j] + pd[H + j] * c_new));
              cb[j] = static_cast<C>(c_new);
              yb[j] = static_cast<C>(og * acts[2](c_new));
            }
            break;
          }
        }
        std::copy_n(yb, H, hb);
      }
    }
  }

  // Outputs in the node's layout.
  auto make = [&](const std::vector<int64_t>& dims, auto&& value_at) {
    Tensor out(X.dtype(), dims);
    T* p = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) p[i] = to_storage<T>(value_at(i));
    return out;
  };
  if (ctx.output_wanted(0)) {
    if (a.layout == 0) {
      ctx.set_output(0, make({S, D, Bn, H}, [&](int64_t i) { return y[static_cast<size_t>(i)]; }));
    } else {
      ctx.set_output(0, make({Bn, S, D, H}, [&](int64_t i) {
        const int64_t j = i % H, dd = (i / H) % D, s = (i / (H * D)) % S, b = i / (H * D * S);
        return y[static_cast<size_t>(((s * D + dd) * Bn + b) * H + j)];
      }));
    }
  }
  auto state_out = [&](size_t idx, const std::vector<C>& st) {
    if (!ctx.output_wanted(idx)) return;
    if (a.layout == 0) {
      ctx.set_output(idx, make({D, Bn, H}, [&](int64_t i) { return st[static_cast<size_t>(i)]; }));
    } else {
      ctx.set_output(idx, make({Bn, D, H}, [&](int64_t i) {
        const int64_t j = i % H, dd = (i / H) % D, b = i / (H * D);
        return st[static_cast<size_t>((dd * Bn + b) * H + j)];
      }));
    }
  };
  state_out(1, h_state);
  if (a.cell == Cell::kLstm) state_out(2, c_state);
}

void run_rnn(KernelContext& ctx) {
  const RnnAttrs a = parse_attrs(ctx.node(), cell_of(ctx.node()));
  dispatch_float(ctx.input(0).dtype(), ctx.node().describe(), [&]<typename T>() { run_typed<T>(ctx, a); });
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "RNN", .since_version = 1, .inputs = {3, 6}, .outputs = {0, 2}, .infer = infer_rnn,
                  .run = run_rnn});
ONYX_REGISTER_OP({.op_type = "RNN", .since_version = 14, .inputs = {3, 6}, .outputs = {0, 2}, .infer = infer_rnn,
                  .run = run_rnn});
ONYX_REGISTER_OP({.op_type = "GRU", .since_version = 1, .inputs = {3, 6}, .outputs = {0, 2}, .infer = infer_rnn,
                  .run = run_rnn});
ONYX_REGISTER_OP({.op_type = "GRU", .since_version = 14, .inputs = {3, 6}, .outputs = {0, 2}, .infer = infer_rnn,
                  .run = run_rnn});
ONYX_REGISTER_OP({.op_type = "LSTM", .since_version = 1, .inputs = {3, 8}, .outputs = {0, 3}, .infer = infer_rnn,
                  .run = run_rnn});
ONYX_REGISTER_OP({.op_type = "LSTM", .since_version = 14, .inputs = {3, 8}, .outputs = {0, 3}, .infer = infer_rnn,
                  .run = run_rnn});

}  // namespace onyx
