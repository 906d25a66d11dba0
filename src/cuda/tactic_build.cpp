// The builder's tactic timing pass (see tactic_build.h).
#include "cuda/tactic_build.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>

#include "cuda/matmul.h"
#include "cuda/tactics.h"
#ifdef ONYX_HAVE_CUDNN
#include "cuda/conv.h"
#endif

namespace onyx::cuda {

using Json = nlohmann::json;

bool kernel_has_tactics(const std::string& kernel) {
  return kernel.rfind("cuda.matmul", 0) == 0 || kernel.rfind("cuda.attention", 0) == 0 ||
         kernel.rfind("cuda.conv", 0) == 0;
}

namespace {

struct Val {
  Dims dims;
  DType dtype = DType::kUndefined;
  const Tensor* host = nullptr;
  Tensor own;  // host node outputs
};

// Shapes of the engine inputs per profile: opt dims, or the model's static dims. Empty when some input has none.
std::vector<std::map<const Value*, Dims>> opt_shapes(const Graph& g, const BuilderConfig& config, std::string* why) {
  std::vector<std::map<const Value*, Dims>> out;
  const size_t n_prof = std::max<size_t>(config.profiles.size(), 1);
  for (size_t p = 0; p < n_prof; ++p) {
    std::map<const Value*, Dims> m;
    for (const Value* v : g.inputs) {
      if (v->is_initializer()) continue;
      const ShapeRange* r = config.profiles.empty() ? nullptr : config.profiles[p].find(v->name());
      if (r) {
        m[v] = r->opt;
        continue;
      }
      std::optional<std::vector<int64_t>> d = v->type.is_tensor() ? v->type.shape.static_dims() : std::nullopt;
      if (!d) {
        *why = "input '" + v->name() + "' has no opt shape (give a profile)";
        return {};
      }
      m[v] = *d;
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

Json time_layer_tactics(const TacticBuildInput& in) {
  const Graph& g = *in.model->graph;
  const BuilderConfig& config = *in.config;
  const bool show = config.show_progress;
  if (config.optimization_level <= 0 || !tactic_timing_enabled()) return nullptr;
  std::vector<size_t> tunable;
  for (size_t i = 0; i < in.kernels.size(); ++i)
    if (kernel_has_tactics(in.kernels[i])) tunable.push_back(i);
  if (tunable.empty()) return nullptr;
  if (!in.host_io.empty()) {
    if (show) std::fprintf(stderr, "tactics: not timed (shape-tensor inputs have no values at build)\n");
    return nullptr;
  }
  std::string why;
  const auto shape_sets = opt_shapes(g, config, &why);
  if (shape_sets.empty()) {
    if (show) std::fprintf(stderr, "tactics: not timed (%s)\n", why.c_str());
    return nullptr;
  }

  const auto t0 = std::chrono::steady_clock::now();
  TimingCache cache;
  if (!config.timing_cache_file.empty()) {
    std::string warning;
    cache = TimingCache::load(config.timing_cache_file, &warning);
    if (!warning.empty()) std::fprintf(stderr, "onyx: warning: %s\n", warning.c_str());
  }
  const size_t cache_before = cache.size();
  TacticSession session(TacticSession::Mode::kTime);
  session.cache = &cache;
  session.device = tactic_device_key();
  const TacticScope scope(&session);
  std::unique_ptr<Stream> stream;
  std::unique_ptr<BlasLtHandle> blaslt;
  LayerContext lc;
#ifdef ONYX_HAVE_CUDNN
  std::unique_ptr<DnnHandle> dnn;
#endif

  Json per_node = Json::array();
  for (size_t i = 0; i < in.kernels.size(); ++i) per_node.push_back(Json::array());
  const bool tty = show && isatty(2);
  int layers_timed = 0, layers_cached = 0, layers_reused = 0;
  size_t done = 0;
  const size_t total = tunable.size() * shape_sets.size();
  std::string current = "the start";
  try {
    stream = std::make_unique<Stream>();
    session.stream = stream->get();
    lc.stream = stream->get();
    blaslt = std::make_unique<BlasLtHandle>();
    lc.blaslt = blaslt.get();
#ifdef ONYX_HAVE_CUDNN
    for (size_t i : tunable)
      if (in.kernels[i].rfind("cuda.conv", 0) == 0 && !dnn) dnn = std::make_unique<DnnHandle>();
    lc.dnn = dnn.get();
#endif
    for (const auto& shapes : shape_sets) {
      std::map<const Value*, Val> vals;
      for (const auto& [v, d] : shapes) vals[v] = {d, v->type.dtype, nullptr, {}};
      for (const Value* v : g.initializers) vals[v] = {v->initializer->dims(), v->initializer->dtype(), &*v->initializer, {}};
      size_t i = 0;
      for (const auto& np : g.nodes()) {
        const Node& n = *np;
        const size_t idx = i++;
        current = n.describe();
        if (in.host_nodes[idx]) {
          std::vector<const Tensor*> ins(n.num_inputs(), nullptr);
          std::vector<const Dims*> dims(n.num_inputs(), nullptr);
          for (size_t k = 0; k < n.num_inputs(); ++k) {
            auto it = n.input(k) ? vals.find(n.input(k)) : vals.end();
            if (it == vals.end()) continue;
            dims[k] = &it->second.dims;
            ins[k] = it->second.host;
          }
          std::vector<Tensor> outs;
          in.run_host(n, ins, dims, outs);
          for (size_t k = 0; k < n.num_outputs() && k < outs.size(); ++k) {
            if (!n.output(k)) continue;
            Val& v = vals[n.output(k)];
            v.own = outs[k];
            v.dims = v.own.dims();
            v.dtype = v.own.dtype();
            v.host = &v.own;
          }
          continue;
        }
        LayerBuild b;
        std::unique_ptr<Layer> layer = in.make_layer(n, b);
        ShapeContext sc;
        sc.layer_context = &lc;
        for (size_t k = 0; k < n.num_inputs(); ++k) {
          auto it = n.input(k) ? vals.find(n.input(k)) : vals.end();
          if (it == vals.end()) {
            sc.input_shapes.emplace_back();
            sc.input_dtypes.push_back(DType::kUndefined);
            sc.host.push_back(nullptr);
            continue;
          }
          sc.input_shapes.push_back(it->second.dims);
          const DType want = k < b.input_dtypes.size() ? b.input_dtypes[k] : DType::kUndefined;
          sc.input_dtypes.push_back(want == DType::kUndefined ? it->second.dtype : want);
          sc.host.push_back(it->second.host);
        }
        sc.output_shapes = layer->output_shapes(sc);
        for (size_t k = 0; k < n.num_outputs(); ++k) {
          if (!n.output(k)) continue;
          Val& v = vals[n.output(k)];
          v.dims = k < sc.output_shapes.size() ? sc.output_shapes[k] : Dims{};
          v.dtype = k < b.output_dtypes.size() ? b.output_dtypes[k] : DType::kUndefined;
          v.host = nullptr;
        }
        if (!kernel_has_tactics(in.kernels[idx])) continue;
        ++done;
        if (tty)
          std::fprintf(stderr, "\r\033[Ktactics: layer %zu/%zu %s", done, total, n.describe().c_str());
        session.take_records();
        layer->prepare(sc);
        const std::vector<TacticRecord> recs = session.take_records();
        bool timed = false, cached = !recs.empty();
        std::string line;
        for (const TacticRecord& r : recs) {
          bool dup = false;
          for (const Json& j : per_node[idx])
            if (j[0] == r.problem) dup = true;
          if (!dup) per_node[idx].push_back(Json::array({r.problem, r.tactic, r.ms}));
          if (r.candidates > 0) timed = true;
          if (!r.from_cache) cached = false;
          char ms[32];
          std::snprintf(ms, sizeof ms, "%.4f ms", r.ms);
          line += (line.empty() ? "" : "; ") + r.tactic + (r.ms >= 0 ? std::string(" ") + ms : "") +
                  (r.from_cache ? " (cache)" : r.candidates > 0 ? " (" + std::to_string(r.candidates) + " timed)"
                                                                 : " (same problem as an earlier layer)");
        }
        if (recs.empty()) line = "no library plan at this shape";
        else if (timed) ++layers_timed;
        else if (cached) ++layers_cached;
        else ++layers_reused;
        if (show && !tty)
          std::fprintf(stderr, "tactics: layer %zu/%zu %s: %s\n", done, total, n.describe().c_str(), line.c_str());
      }
    }
  } catch (const Error& e) {
    if (tty) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "onyx: warning: tactic timing stopped at %s (%s); the layers left keep the heuristics' first "
                 "choices\n", current.c_str(), e.what());
  }
  if (tty) std::fprintf(stderr, "\r\033[K");
  if (!config.timing_cache_file.empty() && cache.size() != cache_before) {
    try {
      cache.save(config.timing_cache_file);
    } catch (const Error& e) {
      std::fprintf(stderr, "onyx: warning: %s\n", e.what());
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (show)
    std::fprintf(stderr,
                 "tactics: %zu layer(s) at opt shapes: %d timed, %d from the timing cache, %d reusing an earlier "
                 "layer's choice; %.2f s (%.2f s timing)%s\n",
                 done, layers_timed, layers_cached, layers_reused, secs, session.seconds,
                 config.timing_cache_file.empty()
                     ? ""
                     : (", cache " + config.timing_cache_file + ": " + std::to_string(cache.size()) + " entries")
                           .c_str());
  return per_node;
}

}  // namespace onyx::cuda
