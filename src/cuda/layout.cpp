// Channels-last regions of the cuda engine (layout.h).
#include "cuda/layout.h"

#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_set>

namespace onyx::cuda {
namespace {

bool starts_with(const std::string& s, std::string_view p) {
  return s.rfind(p, 0) == 0;
}

bool is_default_domain(const Node& n) {
  return n.domain.empty() || n.domain == "ai.onnx";
}

// Rank of a value when the model's type knows it; -1 otherwise.
int rank_of(const Value* v) {
  if (!v || !v->type.is_tensor() || !v->type.shape.rank_known()) return -1;
  return static_cast<int>(v->type.shape.rank());
}

}  // namespace

NhwcRole nhwc_role(const Node& n, const std::string& kernel) {
  const std::string& op = n.op_type;
  if (kernel == "cuda.conv.cudnn" &&
      ((is_default_domain(n) && op == "Conv") || (n.domain == "onyx" && op == "FusedConv")))
    return NhwcRole::kConv;
  if (is_default_domain(n) && (op == "MaxPool" || op == "AveragePool") &&
      (kernel == "cuda.pool.max" || kernel == "cuda.pool.avg"))
    return NhwcRole::kPool;
  if (is_default_domain(n) && (op == "GlobalAveragePool" || op == "GlobalMaxPool") &&
      kernel == "cuda.pool.global")
    return NhwcRole::kPool;
  if (is_default_domain(n) && op == "BatchNormalization" && kernel == "cuda.batchnorm.affine")
    return NhwcRole::kBatchNorm;
  if (starts_with(kernel, "cuda.unary.") || starts_with(kernel, "cuda.binary.") ||
      kernel == "cuda.pointwise_chain")
    return NhwcRole::kPointwise;
  return NhwcRole::kNone;
}

NhwcPolicy nhwc_policy() {
  const char* e = std::getenv("ONYX_CUDA_LAYOUT");
  if (e && std::strcmp(e, "nchw") == 0) return NhwcPolicy::kOff;
  if (e && std::strcmp(e, "nhwc") == 0) return NhwcPolicy::kOn;
  return NhwcPolicy::kAuto;
}

std::vector<bool> choose_nhwc(const Graph& g, const std::vector<bool>& host_nodes,
                              const std::vector<std::string>& kernels,
                              const std::vector<DType>& float_dtypes) {
  std::vector<bool> out(g.nodes().size(), false);
  const NhwcPolicy policy = nhwc_policy();
  if (policy == NhwcPolicy::kOff) return out;
  if (policy == NhwcPolicy::kAuto) {
    // Grouped (depthwise) convs: cuDNN's NHWC engines for them were slower than NCHW at batch 256 on the H100
    // (bench/NOTES.md: MobileNetV3 16.4 -> 21.4 ms, EfficientNet-B0 34.9 -> 47.9 ms), so such graphs stay
    // NCHW.
    size_t k = 0;
    for (const auto& np : g.nodes()) {
      const size_t idx = k++;
      if (!host_nodes[idx] && nhwc_role(*np, kernels[idx]) == NhwcRole::kConv &&
          np->attr_int("group", 1) != 1)
        return out;
    }
  }
  std::unordered_set<const Value*> graph_outputs(g.outputs.begin(), g.outputs.end());
  std::unordered_set<const Value*> nhwc_values;
  size_t i = 0;
  for (const auto& np : g.nodes()) {
    const size_t idx = i++;
    if (host_nodes[idx]) continue;
    const Node& n = *np;
    const NhwcRole role = nhwc_role(n, kernels[idx]);
    if (role == NhwcRole::kNone) continue;
    // Outputs: 4-D tensors that the graph does not return.
    bool ok = n.num_outputs() >= 1 && n.output(0) != nullptr;
    for (size_t o = 0; ok && o < n.num_outputs(); ++o) {
      const Value* v = n.output(o);
      if (!v) continue;
      if (o > 0 || graph_outputs.count(v) || rank_of(v) != 4) ok = false;
    }
    if (!ok) continue;
    bool seed = false, fed = false;
    for (size_t k = 0; k < n.num_inputs(); ++k) {
      const Value* v = n.input(k);
      if (!v) continue;
      const NhwcView view = nhwc_view(role, k);
      const int r = rank_of(v);
      if (view == NhwcView::kActivation && r != 4) ok = false;
      if (view == NhwcView::kBroadcast && (r < 0 || r > 4)) ok = false;
      if (view != NhwcView::kAsIs && nhwc_values.count(v)) fed = true;
    }
    if (!ok) continue;
    if (role == NhwcRole::kConv) {
      const DType f = float_dtypes[idx];
      seed = f == DType::kFloat16 || f == DType::kBFloat16;
      if (!seed) continue;  // float32 convs stay NCHW (no tensor-core layout to gain)
    }
    if (!seed && !fed) continue;
    out[idx] = true;
    nhwc_values.insert(n.output(0));
  }
  return out;
}

NhwcView nhwc_view(NhwcRole role, size_t input) {
  switch (role) {
    case NhwcRole::kConv:
      return input == 2 ? NhwcView::kAsIs : NhwcView::kActivation;
    case NhwcRole::kPool:
    case NhwcRole::kBatchNorm:
      return input == 0 ? NhwcView::kActivation : NhwcView::kAsIs;
    case NhwcRole::kPointwise:
      return NhwcView::kBroadcast;
    case NhwcRole::kNone:
      break;
  }
  return NhwcView::kAsIs;
}

Dims nhwc_dims(const Dims& d) {
  return {d[0], d[2], d[3], d[1]};
}

Dims align4(const Dims& d) {
  Dims out(4, 1);
  const size_t r = d.size();
  for (size_t k = 0; k < r && k < 4; ++k) out[4 - r + k] = d[k];
  return out;
}

bool same_bytes_nhwc(const Dims& d) {
  return d[1] == 1 || (d[2] == 1 && d[3] == 1);
}

Tensor to_nhwc_host(const Tensor& t) {
  const Dims& d = t.dims();
  Tensor out(t.dtype(), nhwc_dims(d));
  const size_t es = dtype_size(t.dtype());
  const auto* src = static_cast<const uint8_t*>(t.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  const int64_t n = d[0], c = d[1], h = d[2], w = d[3];
  for (int64_t a = 0; a < n; ++a)
    for (int64_t ci = 0; ci < c; ++ci)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          std::memcpy(dst + static_cast<size_t>(((a * h + y) * w + x) * c + ci) * es,
                      src + static_cast<size_t>(((a * c + ci) * h + y) * w + x) * es, es);
  return out;
}

}  // namespace onyx::cuda
