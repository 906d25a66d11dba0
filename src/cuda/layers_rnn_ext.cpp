// cuda layers for RNN, GRU and LSTM (ops_rnn.cu): attributes parsed as the ONNX spec (and the ref op) read them,
// shapes from the node's inputs at prepare time.
#include <cctype>

#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

struct ActSpec {
  const char* name;
  RnnAct kind;
  bool uses_alpha, uses_beta;
  float alpha, beta;
};
constexpr ActSpec kActs[] = {
    {"relu", RnnAct::kRelu, false, false, 0, 0},
    {"tanh", RnnAct::kTanh, false, false, 0, 0},
    {"sigmoid", RnnAct::kSigmoid, false, false, 0, 0},
    {"affine", RnnAct::kAffine, true, true, 1.f, 0.f},
    {"leakyrelu", RnnAct::kLeakyRelu, true, false, 0.01f, 0},
    {"thresholdedrelu", RnnAct::kThresholdedRelu, true, false, 1.f, 0},
    {"scaledtanh", RnnAct::kScaledTanh, true, true, 1.f, 1.f},
    {"hardsigmoid", RnnAct::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", RnnAct::kElu, true, false, 1.f, 0},
    {"softsign", RnnAct::kSoftsign, false, false, 0, 0},
    {"softplus", RnnAct::kSoftplus, false, false, 0, 0},
};

class RnnLayer : public Layer {
 public:
  RnnLayer(const LayerBuild& b, RnnCell cell) {
    init(b, cell == RnnCell::kRnn ? "cuda.rnn" : (cell == RnnCell::kGru ? "cuda.gru" : "cuda.lstm"), DType::kFloat32);
    const Node& n = b.n();
    p_.cell = cell;
    hidden_attr_ = n.has_attr("hidden_size") ? n.attr_int("hidden_size") : -1;
    const std::string dir = n.attr_string("direction", "forward");
    if (dir == "forward" || dir == "foward") {
      p_.forward = true;
    } else if (dir == "reverse") {
      p_.forward = false;
    } else if (dir == "bidirectional") {
      p_.dirs = 2;
    } else {
      fail_bad_input(n.describe(), ": unknown direction '", dir, "'");
    }
    p_.layout = n.opset >= 14 ? static_cast<int>(n.attr_int("layout", 0)) : 0;
    if (p_.layout != 0 && p_.layout != 1) fail_bad_input(n.describe(), ": layout must be 0 or 1");
    if (n.has_attr("clip")) {
      p_.has_clip = true;
      p_.clip = n.attr_float("clip", 0);
    }
    p_.linear_before_reset = cell == RnnCell::kGru && n.attr_int("linear_before_reset", 0) != 0;
    p_.input_forget = cell == RnnCell::kLstm && n.attr_int("input_forget", 0) != 0;
    const size_t per_dir = cell == RnnCell::kRnn ? 1 : (cell == RnnCell::kGru ? 2 : 3);
    std::vector<std::string> names = n.attr_strings("activations");
    if (names.empty()) {
      const std::vector<std::string> def = cell == RnnCell::kRnn   ? std::vector<std::string>{"Tanh"}
                                           : cell == RnnCell::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                                                                   : std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"};
      for (int d = 0; d < p_.dirs; ++d) names.insert(names.end(), def.begin(), def.end());
    } else if (names.size() == per_dir && p_.dirs == 2) {
      std::vector<std::string> twice = names;
      twice.insert(twice.end(), names.begin(), names.end());
      names = twice;
    }
    if (names.size() != per_dir * static_cast<size_t>(p_.dirs))
      fail_bad_input(n.describe(), ": expected ", per_dir * p_.dirs, " activations, got ", names.size());
    const std::vector<float> alphas = n.attr_floats("activation_alpha"), betas = n.attr_floats("activation_beta");
    size_t na = 0, nb = 0;
    for (size_t i = 0; i < names.size(); ++i) {
      std::string name;
      for (char ch : names[i]) name += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const ActSpec* spec = nullptr;
      for (const ActSpec& a : kActs)
        if (name == a.name) spec = &a;
      if (!spec) fail_bad_input(n.describe(), ": unknown activation '", names[i], "'");
      const size_t slot = (i / per_dir) * 3 + i % per_dir;
      p_.acts[slot] = spec->kind;
      p_.alpha[slot] = spec->alpha;
      p_.beta[slot] = spec->beta;
      if (spec->uses_alpha && na < alphas.size()) p_.alpha[slot] = alphas[na++];
      if (spec->uses_beta && nb < betas.size()) p_.beta[slot] = betas[nb++];
    }
  }
  size_t prepare(const ShapeContext& ctx) override {
    const Dims& x = ctx.input_shapes[0];
    const Dims& r = ctx.input_shapes[2];
    if (x.size() != 3 || r.size() != 3) fail_bad_input(node().describe(), ": X and R must be 3-D");
    p_.seq = p_.layout == 0 ? x[0] : x[1];
    p_.batch = p_.layout == 0 ? x[1] : x[0];
    p_.input = x[2];
    p_.hidden = hidden_attr_ > 0 ? hidden_attr_ : r[2];
    const int gates = p_.cell == RnnCell::kRnn ? 1 : (p_.cell == RnnCell::kGru ? 3 : 4);
    const Dims& w = ctx.input_shapes[1];
    if (w != Dims({p_.dirs, gates * p_.hidden, p_.input}) || r != Dims({p_.dirs, gates * p_.hidden, p_.hidden}))
      fail_bad_input(node().describe(), ": W/R shapes do not match the directions, gates and hidden size");
    if (p_.hidden > 1024) fail_unsupported("hidden size ", p_.hidden, " above 1024");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    auto opt_in = [&](size_t i) -> const void* { return in.size() > i && in[i].present() ? in[i].data : nullptr; };
    auto opt_out = [&](size_t i) -> void* { return out.size() > i && out[i].present() ? out[i].data : nullptr; };
    const bool lstm = p_.cell == RnnCell::kLstm;
    if (opt_in(3) && in[3].numel() != p_.dirs * 2 * (lstm ? 4 : (p_.cell == RnnCell::kGru ? 3 : 1)) * p_.hidden)
      fail_bad_input("RNN: B has the wrong size");
    if (opt_in(4) && in[4].numel() != p_.batch) fail_bad_input("RNN: sequence_lens needs one value per batch row");
    for (size_t i : {5, 6})
      if ((i == 5 || lstm) && opt_in(i) && in[i].numel() != p_.dirs * p_.batch * p_.hidden)
        fail_bad_input("RNN: initial state has the wrong size");
    if (lstm && opt_in(7) && in[7].numel() != p_.dirs * 3 * p_.hidden) fail_bad_input("LSTM: P has the wrong size");
    rnn_forward(in[0].dtype, p_, in[0].data, in[1].data, in[2].data, opt_in(3),
                static_cast<const int32_t*>(opt_in(4)), opt_in(5), lstm ? opt_in(6) : nullptr,
                lstm ? opt_in(7) : nullptr, opt_out(0), opt_out(1), lstm ? opt_out(2) : nullptr, ctx.stream);
  }

 private:
  RnnParams p_;
  int64_t hidden_attr_ = -1;
};

LayerFactory rnn_factory(RnnCell cell) {
  return [cell](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    const DType t = b.model_dtype(0);
    for (size_t i : {1, 2, 3, 5, 6, 7})
      if (b.has_input(i) && !(cell != RnnCell::kLstm && i > 5) && b.model_dtype(i) != t)
        fail_unsupported("input ", i, " of another dtype than X");
    require(b, 4, [](DType d) { return d == DType::kInt32; }, "int32 sequence_lens");
    return std::make_unique<RnnLayer>(b, cell);
  };
}

const bool kRegistered = [] {
  register_fallback_layer("", "RNN", rnn_factory(RnnCell::kRnn));
  register_fallback_layer("", "GRU", rnn_factory(RnnCell::kGru));
  register_fallback_layer("", "LSTM", rnn_factory(RnnCell::kLstm));
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
