// The cuda target's builder hook and runtime (src/engine/target_hooks.h): layer choice at build, device weights
// at load, and per execution context the host shape pass (shape-only nodes on the host, layers' output shapes,
// plans, memory) and the enqueue of every layer on a stream.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "../engine/engine_data.h"
#include "../engine/target_hooks.h"
#include "buffer.h"
#include "check.h"
#include "kernels.h"
#include "layer.h"
#include "layout.h"
#include "layout_kernels.h"
#include "matmul.h"
#include "onyx/cuda.h"
#include "tactic_build.h"
#include "tactics.h"
#ifdef ONYX_HAVE_CUDNN
#include "conv.h"
#endif

namespace onyx {

using Json = nlohmann::json;

namespace cuda {
namespace {

bool is_float_dtype(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16;
}

bool has_subgraph(const Node& n) {
  for (const Attribute& a : n.attributes)
    if (a.g || !a.graphs.empty()) return true;
  return false;
}

bool is_shape_op(const Node& n) {
  return (n.domain.empty() || n.domain == "ai.onnx") && (n.op_type == "Shape" || n.op_type == "Size");
}

// Which nodes run on the host: Shape/Size, and every deterministic node (without subgraphs) whose inputs are all
// host values (initializers or host-node outputs).
std::vector<bool> classify_host(const Graph& g, const std::unordered_set<const Value*>& host_io) {
  std::unordered_set<const Value*> host = host_io;
  for (const Value* v : g.initializers) host.insert(v);
  std::vector<bool> out;
  for (const auto& n : g.nodes()) {
    bool h = is_shape_op(*n);
    if (!h) {
      const OpSchema* s = OpRegistry::instance().find(n->domain, n->op_type, n->opset);
      h = s && s->run && s->deterministic && !has_subgraph(*n);
      for (const Value* v : n->inputs())
        if (v && !host.count(v)) h = false;
    }
    if (h)
      for (const Value* v : n->outputs())
        if (v) host.insert(v);
    out.push_back(h);
  }
  return out;
}

bool is_op(const Node& n, const char* op) {
  return (n.domain.empty() || n.domain == "ai.onnx") && n.op_type == op;
}

// A node of the model's quantized region: an input comes from DequantizeLinear or an output feeds QuantizeLinear.
bool in_qdq_region(const Node& n) {
  if (is_op(n, "QuantizeLinear") || is_op(n, "DequantizeLinear")) return false;  // fp32 layers anyway
  for (const Value* v : n.inputs())
    if (v && v->producer() && is_op(*v->producer(), "DequantizeLinear")) return true;
  for (const Value* v : n.outputs())
    if (v)
      for (const auto& [c, slot] : v->uses())
        if (c && is_op(*c, "QuantizeLinear")) return true;
  return false;
}

uint32_t device_arch() {
  const DeviceLimits& l = current_device_limits();
  return static_cast<uint32_t>(l.sm_major * 10 + l.sm_minor);
}

std::string device_name() {
  int dev = 0;
  cudaGetDevice(&dev);
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) return "?";
  return p.name;
}

Precision precision_of(const std::string& s) {
  if (s == "tf32") return Precision::kTf32;
  if (s == "fp16") return Precision::kFp16;
  if (s == "bf16") return Precision::kBf16;
  return Precision::kFp32;
}

// The LayerBuild of a node of `g`; host_vals: host values by pointer.
LayerBuild make_build(const Node& n, const std::unordered_set<const Value*>& host_vals, Precision p,
                      bool strongly_typed) {
  LayerBuild b;
  b.node = &n;
  b.schema = OpRegistry::instance().find(n.domain, n.op_type, n.opset);
  for (const Value* v : n.inputs()) {
    b.input_types.push_back(v ? &v->type : nullptr);
    b.constants.push_back(v && v->is_initializer() ? &*v->initializer : nullptr);
    b.host_values.push_back(v && host_vals.count(v) > 0);
  }
  b.precision = p;
  b.strongly_typed = strongly_typed;
  return b;
}

std::unique_ptr<Layer> create_layer(const LayerBuild& b) {
  const Node& n = *b.node;
  const LayerFactory* f = find_layer(n.domain, n.op_type);
  if (!f) fail_unsupported(n.describe(), ": no cuda layer for ", n.domain.empty() ? "" : n.domain + ".", n.op_type);
  for (const Value* v : n.outputs())
    if (v && !v->type.is_tensor())
      fail_unsupported(n.describe(), ": output '", v->name(), "' is ", v->type.to_string(),
                       "; the cuda target runs tensors only");
  try {
    std::unique_ptr<Layer> l = (*f)(b);
    if (!l) fail_unsupported("the layer factory declined");
    return l;
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find(n.describe()) != std::string::npos) throw;
    throw Error(e.code(), n.describe() + ": " + what);
  }
}

std::unordered_set<const Value*> host_values_of(const Graph& g, const std::vector<bool>& host_nodes,
                                                const std::unordered_set<const Value*>& host_io) {
  std::unordered_set<const Value*> host = host_io;
  for (const Value* v : g.initializers) host.insert(v);
  size_t i = 0;
  for (const auto& n : g.nodes()) {
    if (host_nodes[i++])
      for (const Value* v : n->outputs())
        if (v) host.insert(v);
  }
  return host;
}

// Runs a host node's reference kernel (Shape/Size from shapes alone).
void run_host_node(const Node& n, const OpSchema* schema, const std::vector<const Tensor*>& in_tensors,
                   const std::vector<const Dims*>& in_dims, std::vector<Tensor>& out) {
  out.assign(n.num_outputs(), Tensor());
  if (is_shape_op(n)) {
    const Dims& d = *in_dims.at(0);
    if (n.op_type == "Size") {
      out[0] = Tensor::scalar<int64_t>(cuda::numel(d));
      return;
    }
    const int64_t r = static_cast<int64_t>(d.size());
    int64_t start = n.attr_int("start", 0), end = n.attr_int("end", r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = std::clamp<int64_t>(start, 0, r);
    end = std::clamp<int64_t>(end, 0, r);
    std::vector<int64_t> vals;
    for (int64_t i = start; i < end; ++i) vals.push_back(d[static_cast<size_t>(i)]);
    out[0] = Tensor::from_vector<int64_t>({static_cast<int64_t>(vals.size())}, vals);
    return;
  }
  std::vector<RunValue> ins(n.num_inputs());
  std::vector<const RunValue*> ptrs(n.num_inputs(), nullptr);
  for (size_t i = 0; i < n.num_inputs(); ++i)
    if (in_tensors[i]) {
      ins[i] = RunValue(*in_tensors[i]);
      ptrs[i] = &ins[i];
    }
  std::vector<RunValue> outs(n.num_outputs());
  KernelContext ctx(n, ptrs, outs, [&](const Graph&, std::vector<RunValue>) -> std::vector<RunValue> {
    fail_unsupported(n.describe(), ": subgraphs are not run on the host by the cuda target");
  });
  schema->run(ctx);
  for (size_t i = 0; i < n.num_outputs(); ++i) {
    if (!n.output(i)) continue;
    if (!outs[i].is_tensor())
      fail_unsupported(n.describe(), ": host value ", i, " is not a tensor (", outs[i].describe(), ")");
    out[i] = outs[i].tensor;
  }
}

size_t align_up(size_t n, size_t a) {
  return (n + a - 1) / a * a;
}

// A device buffer for `what`; out of device memory becomes one line naming it and the free memory (kRuntime).
DeviceBuffer device_alloc(size_t bytes, const std::string& what) {
  try {
    return DeviceBuffer(bytes);
  } catch (const Error& e) {
    if (std::string(e.what()).find("cudaErrorMemoryAllocation") == std::string::npos) throw;
    size_t free = 0, total = 0;
    cudaMemGetInfo(&free, &total);
    cudaGetLastError();
    fail(ErrorCode::kRuntime, "out of device memory: ", what, " needs ", bytes, " bytes, ", free, " of ", total,
         " bytes are free on the device");
  }
}

// ---- engine ------------------------------------------------------------------------------------------------

struct StepInfo {
  bool device = false;
  Precision precision = Precision::kFp32;
  std::string kernel, precision_name;
  LayerBuild build;                 // for re-creating the layer per context
  std::vector<DType> input_dtypes;  // storage dtypes the layer wants
  std::vector<DType> output_dtypes;
  std::vector<bool> host_input;     // inputs the layer reads on the host
  bool nhwc = false;                // runs channels-last (layout.h)
  NhwcRole role = NhwcRole::kNone;
};

class CudaEngine : public TargetEngine {
 public:
  std::vector<StepInfo> steps;
  std::vector<std::string> host_input_names;  // engine inputs bound with host memory (shape tensors)
  std::vector<bool> host_io;                  // per io tensor
  // Weights on the device: (value id, dtype) → buffer.
  std::map<std::pair<int, DType>, DeviceBuffer> weights;
  // Tactics the plan recorded (tactics.h): problem → tactic, and per step its [problem, tactic, ms] list.
  std::map<std::string, std::string> tactics;
  std::vector<Json> step_tactics;
  // Conv weights of channels-last layers, stored [K, R, S, C].
  std::map<std::pair<int, DType>, DeviceBuffer> weights_nhwc;

  std::unique_ptr<TargetContext> create_context(const EngineData& d) const override;
  std::vector<std::string> host_inputs() const override { return host_input_names; }
  std::vector<std::pair<std::string, std::string>> layer_info() const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (const StepInfo& s : steps)
      out.emplace_back(s.kernel, s.nhwc ? s.precision_name + ", nhwc" : s.precision_name);
    return out;
  }
  std::vector<std::string> layer_tactics() const override {
    std::vector<std::string> out;
    for (const Json& t : step_tactics) {
      std::string text;
      for (const Json& r : t) {
        if (!r.is_array() || r.size() != 3) continue;
        char ms[48] = "";
        if (r[2].is_number() && r[2].get<double>() >= 0) std::snprintf(ms, sizeof ms, " (%.4f ms)", r[2].get<double>());
        text += (text.empty() ? "" : "; ") + r[0].get<std::string>() + " -> " + r[1].get<std::string>() + ms;
      }
      out.push_back(text);
    }
    return out;
  }
};

// ---- context -----------------------------------------------------------------------------------------------

class CudaContext : public TargetContext {
 public:
  CudaContext(const EngineData& d, const CudaEngine& e) : d_(d), e_(e), tactics_(TacticSession::Mode::kLookup) {
    tactics_.chosen = e.tactics;
    layers_.resize(d.steps.size());
    for (size_t s = 0; s < d.steps.size(); ++s)
      if (e.steps[s].device) layers_[s] = create_layer(e.steps[s].build);
    // Library handles only when a layer needs them (cudnnCreate is slow; conformance builds many engines).
    bool blas = false, dnn = false;
    for (const StepInfo& s : e.steps) {
      if (s.kernel.rfind("cuda.matmul", 0) == 0 || s.kernel.rfind("cuda.attention", 0) == 0) blas = true;
      if (s.kernel.rfind("cuda.conv", 0) == 0) dnn = true;
    }
    if (blas) {
      blaslt_ = std::make_unique<BlasLtHandle>();
      lc_.blaslt = blaslt_.get();
    }
#ifdef ONYX_HAVE_CUDNN
    if (dnn) {
      dnn_ = std::make_unique<DnnHandle>();
      lc_.dnn = dnn_.get();
    }
#endif
    (void)dnn;
    vals_.resize(d.values.size());
    steps_.resize(d.steps.size());
    out_own_.resize(d.io.size());
    check_cuda(cudaGetDevice(&device_), "cudaGetDevice");
    // Data errors (an index out of range) found by the kernels: one int per step on the device, copied to pinned
    // host memory at the end of every run and read in synchronize(). Only when a layer reports them.
    bool flags = false;
    for (const auto& l : layers_)
      if (l && l->reports_data_errors()) flags = true;
    if (flags) {
      const size_t bytes = d.steps.size() * sizeof(int);
      flags_ = DeviceBuffer(bytes);
      flags_host_ = PinnedBuffer(bytes);
      check_cuda(cudaMemset(flags_.data(), 0, bytes), "cudaMemset (error flags)");
      std::memset(flags_host_.data(), 0, bytes);
    }
  }
  ~CudaContext() override {
    if (last_stream_) cudaStreamSynchronize(last_stream_);
    drop_graph();
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
  }

  void set_profile(size_t p) override {
    synchronize();
    profile_ = p;
    if (!user_arena_) {
      own_arena_ = DeviceBuffer();
      own_arena_ = device_alloc(d_.memory[p].arena_bytes, "the activation arena of profile " + std::to_string(p));
    }
    resolved_ = false;
  }
  size_t arena_bytes() const override { return d_.memory[profile_].arena_bytes; }
  void set_device_memory(void* data, size_t bytes) override {
    if (data) {
      check_device_pointer("set_device_memory", data);
      if (reinterpret_cast<uintptr_t>(data) % 256 != 0)
        fail_bad_input("set_device_memory: address ", data, " is not 256-byte aligned");
      if (bytes < arena_bytes())
        fail_bad_input("set_device_memory: ", bytes, " bytes given, the arena of profile ", profile_, " needs ",
                       arena_bytes());
    }
    synchronize();
    user_arena_ = data;
    if (data) own_arena_ = DeviceBuffer();
    else if (own_arena_.size() < arena_bytes()) own_arena_ = device_alloc(arena_bytes(), "the activation arena");
    resolved_ = false;
  }
  void check_address(size_t io, const void* data, size_t bytes) const override {
    (void)bytes;
    const std::string what = std::string(d_.io[io].is_input ? "input '" : "output '") + d_.io[io].name + "'";
    if (e_.host_io[io]) {
      cudaPointerAttributes a{};
      if (cudaPointerGetAttributes(&a, data) == cudaSuccess && a.type == cudaMemoryTypeDevice)
        fail_bad_input(what, " is a shape tensor: bind host memory, not device memory");
      cudaGetLastError();
      return;
    }
    check_device_pointer(what, data);
    if (reinterpret_cast<uintptr_t>(data) % 16 != 0)
      fail_bad_input(what, ": device address ", data, " is not 16-byte aligned (the cuda target needs 16)");
  }
  void enqueue(void* stream, std::vector<std::optional<std::vector<int64_t>>>& shapes,
               const std::vector<std::pair<void*, size_t>>& bindings) override;
  void synchronize() override {
    if (last_stream_) {
      cudaStream_t s = last_stream_;
      last_stream_ = nullptr;
      check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize (the run failed on the device)");
      if (times_pending_) read_layer_times();
      check_data_errors(s);
    }
  }
  Tensor download_output(size_t io) override {
    synchronize();
    const OutLoc& o = out_loc_.at(io);
    Tensor t(d_.io[io].dtype, o.dims);
    if (t.nbytes() > 0) check_cuda(cudaMemcpy(t.raw_data(), o.ptr, t.nbytes(), cudaMemcpyDeviceToHost), "download output");
    return t;
  }
  void set_cuda_graph(bool on) override {
    synchronize();
    graph_on_ = on;
    drop_graph();
  }
  void set_layer_timing(bool on) override {
    synchronize();
    timing_ = on;
    times_pending_ = false;
    times_.clear();
    if (on && events_.empty()) {
      size_t device_steps = 0;
      for (const auto& l : layers_)
        if (l) ++device_steps;
      events_.assign(device_steps + 1, nullptr);
      for (cudaEvent_t& e : events_) check_cuda(cudaEventCreate(&e), "cudaEventCreate (layer timing)");
    }
  }
  std::vector<std::pair<size_t, double>> take_layer_times() override { return std::exchange(times_, {}); }

 private:
  struct Val {
    Dims dims;
    DType dtype = DType::kUndefined;  // storage dtype
    bool host = false;
    Tensor host_tensor;               // host values
    void* base = nullptr;             // resolved device address (before output bindings)
    void* ptr = nullptr;              // this run's address
    DeviceBuffer own;                 // when not in the arena
    bool needs_device = false;        // host value read as data on the device
    bool nhwc = false;                // stored channels-last: dims are logical [N, C, H, W], bytes [N, H, W, C]
  };
  struct StepRt {
    std::vector<DType> cast_to;        // per input: kUndefined = no cast
    std::vector<DeviceBuffer> scratch; // per input cast buffer
    std::vector<const void*> weight;   // per input: engine weight in the wanted dtype (no cast)
    std::vector<const Tensor*> host;   // per input: host values for the layer
    // Layout (layout.h), per input: 0 as stored, 1 NCHW -> NHWC, 2 NHWC -> NCHW into relayout_buf, from the
    // 4-D dims relayout_src; view: the dims the layer sees when they differ from the value's.
    std::vector<int> relayout;
    std::vector<Dims> relayout_src;
    std::vector<DeviceBuffer> relayout_buf;
    std::vector<std::optional<Dims>> view;
    std::vector<std::optional<Dims>> out_view;  // per output
  };
  struct OutLoc {
    Dims dims;
    void* ptr = nullptr;  // where the output is after the run (model dtype)
  };

  static void check_device_pointer(const std::string& what, const void* data) {
    cudaPointerAttributes a{};
    const cudaError_t e = cudaPointerGetAttributes(&a, data);
    if (e != cudaSuccess) {
      cudaGetLastError();
      fail_bad_input(what, ": address ", data, " is not device memory (", cudaGetErrorString(e), ")");
    }
    if (a.type != cudaMemoryTypeDevice && a.type != cudaMemoryTypeManaged)
      fail_bad_input(what, ": address ", data,
                     " is host memory; the cuda target binds device memory (cudaMalloc / cudaMallocManaged)");
    int dev = 0;
    cudaGetDevice(&dev);
    if (a.device != dev)
      fail_bad_input(what, ": address ", data, " is on device ", a.device, ", the context runs on device ", dev);
  }

  // After the timed run completed: the time between consecutive events is the layer's.
  void read_layer_times() {
    times_pending_ = false;
    times_.clear();
    size_t k = 0;
    for (size_t s = 0; s < layers_.size(); ++s) {
      if (!layers_[s]) continue;
      float ms = 0;
      check_cuda(cudaEventElapsedTime(&ms, events_[k], events_[k + 1]), "cudaEventElapsedTime (layer timing)");
      times_.emplace_back(s, std::max(0.0, ms / 1e3));
      ++k;
    }
  }
  // After a completed run: a set error flag is kBadInput naming the first node that set it; the flags are cleared
  // so that the context runs the next call normally.
  void check_data_errors(cudaStream_t s) {
    if (!flags_.data()) return;
    const int* f = flags_host_.as<int>();
    size_t bad = d_.steps.size();
    for (size_t i = 0; i < d_.steps.size() && bad == d_.steps.size(); ++i)
      if (f[i]) bad = i;
    if (bad == d_.steps.size()) return;
    std::memset(flags_host_.data(), 0, flags_host_.size());
    check_cuda(cudaMemsetAsync(flags_.data(), 0, flags_.size(), s), "cudaMemsetAsync (error flags)");
    check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize (error flags)");
    fail_bad_input(d_.steps[bad].node->describe(), ": an index is out of range for the data (found on the device by ",
                   e_.steps[bad].kernel, "; ONNX requires indices within [-dim, dim - 1])");
  }

  void drop_graph() {
    if (graph_exec_) cudaGraphExecDestroy(graph_exec_);
    graph_exec_ = nullptr;
    graph_key_.clear();
  }

  void resolve(const std::vector<std::optional<std::vector<int64_t>>>& shapes,
               const std::vector<std::pair<void*, size_t>>& bindings);
  void run_steps(cudaStream_t s, const std::vector<std::pair<void*, size_t>>& bindings, bool timed);
  void resolve_steps(const std::vector<std::optional<std::vector<int64_t>>>& shapes,
                     const std::vector<std::pair<void*, size_t>>& bindings);

  const EngineData& d_;
  const CudaEngine& e_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::unique_ptr<BlasLtHandle> blaslt_;
#ifdef ONYX_HAVE_CUDNN
  std::unique_ptr<DnnHandle> dnn_;
#endif
  TacticSession tactics_;  // the plan's tactics, consulted by cuBLASLt/cuDNN plans built in prepare()
  Stream own_stream_;
  LayerContext lc_;
  size_t profile_ = 0;
  DeviceBuffer own_arena_;
  void* user_arena_ = nullptr;
  DeviceBuffer workspace_;
  std::vector<Val> vals_;
  std::vector<StepRt> steps_;
  std::vector<DeviceBuffer> out_own_;
  std::vector<OutLoc> out_loc_;
  std::vector<std::optional<std::vector<int64_t>>> resolved_shapes_;
  bool resolved_ = false;
  cudaStream_t last_stream_ = nullptr;
  bool graph_on_ = false;
  cudaGraphExec_t graph_exec_ = nullptr;
  std::vector<const void*> graph_key_;
  int device_ = 0;  // the device the context was made on
  // Per-layer timing (set_layer_timing): events_[0] before the first device layer, events_[k + 1] after the k-th.
  bool timing_ = false;
  bool times_pending_ = false;  // the last enqueue recorded events that were not read yet
  std::vector<cudaEvent_t> events_;
  std::vector<std::pair<size_t, double>> times_;
  DeviceBuffer flags_;      // per step: set by a kernel that found invalid data (LayerContext::error_flag)
  PinnedBuffer flags_host_; // their copy at the end of the last run
};

void CudaContext::resolve(const std::vector<std::optional<std::vector<int64_t>>>& shapes,
                          const std::vector<std::pair<void*, size_t>>& bindings) {
  synchronize();
  drop_graph();
  resolved_ = false;
  try {
    resolve_steps(shapes, bindings);
  } catch (...) {
    // A failed plan (out of device memory, bad data) keeps no buffers sized for it: the next call starts afresh.
    for (Val& v : vals_) v.own = DeviceBuffer();
    for (StepRt& rt : steps_) rt.scratch.clear();
    workspace_ = DeviceBuffer();
    for (DeviceBuffer& b : out_own_) b = DeviceBuffer();
    throw;
  }
}

void CudaContext::resolve_steps(const std::vector<std::optional<std::vector<int64_t>>>& shapes,
                                const std::vector<std::pair<void*, size_t>>& bindings) {
  const MemoryPlan& mp = d_.memory[profile_];
  uint8_t* arena = static_cast<uint8_t*>(user_arena_ ? user_arena_ : own_arena_.data());
  for (Val& v : vals_) {
    v.dims.clear();
    v.dtype = DType::kUndefined;
    v.host = false;
    v.host_tensor = Tensor();
    v.base = v.ptr = nullptr;
    v.needs_device = false;
    v.nhwc = false;
  }
  size_t in_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (!d_.io[i].is_input) continue;
    Val& v = vals_[d_.input_ids[in_pos++]];
    v.dims = *shapes[i];
    v.dtype = d_.io[i].dtype;
    if (e_.host_io[i]) {
      v.host = true;
      v.host_tensor = Tensor(v.dtype, v.dims);
      if (v.host_tensor.nbytes()) std::memcpy(v.host_tensor.raw_data(), bindings[i].first, v.host_tensor.nbytes());
    }
  }
  for (const Value* iv : d_.model.graph->initializers) {
    Val& v = vals_[d_.value_id.at(iv)];
    v.host = true;
    v.host_tensor = *iv->initializer;
    v.dims = v.host_tensor.dims();
    v.dtype = v.host_tensor.dtype();
  }
  size_t workspace = 0;
  lc_.workspace = nullptr;
  lc_.workspace_bytes = 0;
  const TacticScope tactic_scope(&tactics_);
  for (size_t s = 0; s < d_.steps.size(); ++s) {
    const EngineData::Step& st = d_.steps[s];
    const Node& n = *st.node;
    const StepInfo& si = e_.steps[s];
    StepRt& rt = steps_[s];
    try {
      if (!si.device) {
        std::vector<const Tensor*> ins(st.inputs.size(), nullptr);
        std::vector<const Dims*> dims(st.inputs.size(), nullptr);
        for (size_t i = 0; i < st.inputs.size(); ++i) {
          if (st.inputs[i] < 0) continue;
          const Val& v = vals_[st.inputs[i]];
          dims[i] = &v.dims;
          if (v.host) ins[i] = &v.host_tensor;
          else if (!is_shape_op(n))
            fail(ErrorCode::kRuntime, "internal: host node reads device value '", n.input(i)->name(), "'");
        }
        std::vector<Tensor> outs;
        run_host_node(n, st.schema, ins, dims, outs);
        for (size_t i = 0; i < st.outputs.size(); ++i) {
          if (st.outputs[i] < 0) continue;
          Val& v = vals_[st.outputs[i]];
          v.host = true;
          v.host_tensor = outs[i];
          v.dims = outs[i].dims();
          v.dtype = outs[i].dtype();
        }
        continue;
      }
      ShapeContext sc;
      sc.layer_context = &lc_;
      rt.cast_to.assign(st.inputs.size(), DType::kUndefined);
      rt.weight.assign(st.inputs.size(), nullptr);
      rt.host.assign(st.inputs.size(), nullptr);
      rt.scratch.resize(st.inputs.size());
      rt.relayout.assign(st.inputs.size(), 0);
      rt.relayout_src.assign(st.inputs.size(), Dims{});
      rt.relayout_buf.resize(st.inputs.size());
      rt.view.assign(st.inputs.size(), std::nullopt);
      rt.out_view.assign(st.outputs.size(), std::nullopt);
      for (size_t i = 0; i < st.inputs.size(); ++i) {
        sc.input_shapes.emplace_back();
        sc.input_dtypes.push_back(DType::kUndefined);
        sc.host.push_back(nullptr);
        if (st.inputs[i] < 0) continue;
        Val& v = vals_[st.inputs[i]];
        if (v.dtype == DType::kUndefined)
          fail(ErrorCode::kRuntime, "internal: input '", n.input(i)->name(), "' has no value yet");
        sc.input_shapes[i] = v.dims;
        DType want = si.input_dtypes[i];
        if (want == DType::kUndefined) want = v.dtype;
        sc.input_dtypes[i] = want;
        if (v.host) {
          sc.host[i] = &v.host_tensor;
          rt.host[i] = &v.host_tensor;
        }
        if (si.host_input[i]) continue;  // read on the host only
        const Value* value = n.input(i);
        // Layout: the dims the layer sees, and whether the bytes move on the way in.
        const bool want_nhwc = si.nhwc && nhwc_view(si.role, i) != NhwcView::kAsIs;
        if (want_nhwc) {
          if (v.dims.size() > 4 || (nhwc_view(si.role, i) == NhwcView::kActivation && v.dims.size() != 4))
            fail(ErrorCode::kRuntime, "internal: channels-last input ", i, " has rank ", v.dims.size());
          const Dims d4 = align4(v.dims);
          rt.view[i] = nhwc_dims(d4);
          if (!v.nhwc && !same_bytes_nhwc(d4)) {
            rt.relayout[i] = 1;
            rt.relayout_src[i] = d4;
          }
        } else if (v.nhwc && !same_bytes_nhwc(v.dims)) {
          rt.relayout[i] = 2;
          rt.relayout_src[i] = nhwc_dims(v.dims);
        }
        if (rt.relayout[i]) {
          const size_t bytes = static_cast<size_t>(cuda::numel(v.dims)) * dtype_size(want);
          if (rt.relayout_buf[i].size() < bytes) rt.relayout_buf[i] = DeviceBuffer(bytes);
        }
        if (value->is_initializer()) {
          if (want_nhwc && si.role == NhwcRole::kConv) {
            auto it = e_.weights_nhwc.find({st.inputs[i], want});
            if (it != e_.weights_nhwc.end()) {
              rt.weight[i] = it->second.data();
              rt.relayout[i] = 0;  // converted at load
              continue;
            }
          }
          auto it = e_.weights.find({st.inputs[i], want});
          if (it != e_.weights.end()) {
            rt.weight[i] = it->second.data();
            continue;
          }
        }
        if (v.host) v.needs_device = true;
        if (want != v.dtype) {
          if (!is_float_dtype(want) || !is_float_dtype(v.dtype))
            fail(ErrorCode::kRuntime, "internal: input ", i, " is stored as ", dtype_name(v.dtype), ", layer wants ",
                 dtype_name(want));
          rt.cast_to[i] = want;
          const size_t bytes = static_cast<size_t>(cuda::numel(v.dims)) * dtype_size(want);
          if (rt.scratch[i].size() < bytes)
            rt.scratch[i] = device_alloc(bytes, "the cast of input '" + value->name() + "'");
        }
      }
      const std::vector<Dims> out_dims = layers_[s]->output_shapes(sc);
      sc.output_shapes = out_dims;
      for (size_t i = 0; i < st.outputs.size(); ++i) {
        if (st.outputs[i] < 0) continue;
        Val& v = vals_[st.outputs[i]];
        v.dims = i < out_dims.size() ? out_dims[i] : Dims{};
        v.dtype = si.output_dtypes[i];
        checked_numel(v.dims);
        if (si.nhwc) {
          if (v.dims.size() != 4)
            fail(ErrorCode::kRuntime, "internal: channels-last output ", i, " has rank ", v.dims.size());
          v.nhwc = true;
          rt.out_view[i] = nhwc_dims(v.dims);
        }
      }
      if (si.nhwc) {  // the layer plans on the physical dims it will see
        for (size_t i = 0; i < st.inputs.size(); ++i)
          if (rt.view[i]) sc.input_shapes[i] = *rt.view[i];
        for (size_t i = 0; i < st.outputs.size() && i < sc.output_shapes.size(); ++i)
          if (rt.out_view[i]) sc.output_shapes[i] = *rt.out_view[i];
      }
      workspace = std::max(workspace, layers_[s]->prepare(sc));
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(n.describe()) != std::string::npos) throw;
      throw Error(e.code(), n.describe() + ": " + what);
    }
  }
  // Device memory of layer outputs: the arena when the plan placed the value and it fits, else an own buffer.
  for (size_t s = 0; s < d_.steps.size(); ++s) {
    if (!e_.steps[s].device) continue;
    for (int id : d_.steps[s].outputs) {
      if (id < 0) continue;
      Val& v = vals_[id];
      const size_t bytes = static_cast<size_t>(cuda::numel(v.dims)) * dtype_size(v.dtype);
      const PlannedTensor& pt = mp.by_value[id];
      if (pt.offset >= 0 && bytes <= pt.bytes && arena) {
        v.base = arena + pt.offset;
      } else {
        if (v.own.size() < bytes)
          v.own = device_alloc(align_up(bytes, 256), d_.steps[s].node->describe() + " output '" +
                                                         d_.values[id]->name() + "' " + dims_to_string(v.dims));
        v.base = v.own.data();
      }
    }
  }
  // Host values the device reads (and host values that are outputs): uploaded now.
  for (int id : d_.output_ids)
    if (vals_[id].host) vals_[id].needs_device = true;
  for (Val& v : vals_) {
    if (!v.host || !v.needs_device) continue;
    const size_t bytes = v.host_tensor.nbytes();
    if (v.host_tensor.dtype() == DType::kString) fail_unsupported("string values cannot run on the cuda target");
    if (v.own.size() < bytes) v.own = device_alloc(align_up(bytes, 256), "a host value read on the device");
    if (bytes) check_cuda(cudaMemcpy(v.own.data(), v.host_tensor.raw_data(), bytes, cudaMemcpyHostToDevice), "upload host value");
    v.base = v.own.data();
  }
  if (workspace_.size() < workspace) workspace_ = device_alloc(align_up(workspace, 256), "the layers' workspace");
  lc_.workspace = workspace_.data();
  lc_.workspace_bytes = workspace_.size();
  // Unbound outputs land in the context's buffers (model dtype).
  out_loc_.assign(d_.io.size(), {});
  size_t out_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (d_.io[i].is_input) continue;
    const Val& v = vals_[d_.output_ids[out_pos++]];
    out_loc_[i].dims = v.dims;
    const size_t bytes = static_cast<size_t>(cuda::numel(v.dims)) * dtype_size(d_.io[i].dtype);
    if (out_own_[i].size() < bytes)
      out_own_[i] = device_alloc(align_up(bytes, 256), "output '" + d_.io[i].name + "'");
  }
  resolved_shapes_ = shapes;
  resolved_ = true;
}

void CudaContext::run_steps(cudaStream_t stream, const std::vector<std::pair<void*, size_t>>& bindings,
                            bool timed) {
  lc_.stream = stream;
  std::vector<DeviceTensor> ins, outs;
  size_t timed_layers = 0;
  if (timed) check_cuda(cudaEventRecord(events_[0], stream), "cudaEventRecord (layer timing)");
  for (size_t s = 0; s < d_.steps.size(); ++s) {
    if (!e_.steps[s].device) continue;
    const EngineData::Step& st = d_.steps[s];
    StepRt& rt = steps_[s];
    ins.assign(st.inputs.size(), DeviceTensor{});
    outs.assign(st.outputs.size(), DeviceTensor{});
    for (size_t i = 0; i < st.inputs.size(); ++i) {
      if (st.inputs[i] < 0) continue;
      const Val& v = vals_[st.inputs[i]];
      DeviceTensor& t = ins[i];
      t.dims = v.dims;
      if (e_.steps[s].host_input[i]) {
        t.dtype = v.dtype;
        continue;
      }
      if (rt.weight[i]) {
        t.dtype = e_.steps[s].input_dtypes[i] == DType::kUndefined ? v.dtype : e_.steps[s].input_dtypes[i];
        t.data = const_cast<void*>(rt.weight[i]);
      } else if (rt.relayout[i] == 1 && rt.relayout_src[i][1] <= 16) {
        // Few channels (an image entering the region): cast and transpose in one pass.
        const DType to = rt.cast_to[i] != DType::kUndefined ? rt.cast_to[i] : v.dtype;
        nchw_to_nhwc(v.dtype, to, v.ptr, rt.relayout_src[i], rt.relayout_buf[i].data(), stream);
        t.dtype = to;
        t.data = rt.relayout_buf[i].data();
        t.dims = *rt.view[i];
        continue;
      } else {
        t.dtype = v.dtype;
        t.data = v.ptr;
        if (rt.cast_to[i] != DType::kUndefined) {
          cast(v.dtype, rt.cast_to[i], v.ptr, rt.scratch[i].data(), t.numel(), stream);
          t.dtype = rt.cast_to[i];
          t.data = rt.scratch[i].data();
        }
      }
      if (rt.relayout[i]) {
        static const std::vector<int64_t> kToNhwc{0, 2, 3, 1}, kToNchw{0, 3, 1, 2};
        permute(t.dtype, t.data, rt.relayout_src[i], rt.relayout[i] == 1 ? kToNhwc : kToNchw,
                rt.relayout_buf[i].data(), stream);
        t.data = rt.relayout_buf[i].data();
      }
      if (rt.view[i]) t.dims = *rt.view[i];
    }
    for (size_t i = 0; i < st.outputs.size(); ++i) {
      if (st.outputs[i] < 0) continue;
      const Val& v = vals_[st.outputs[i]];
      outs[i] = {v.dtype, rt.out_view[i] ? *rt.out_view[i] : v.dims, v.ptr};
    }
    lc_.host = rt.host;
    lc_.error_flag = layers_[s]->reports_data_errors() ? flags_.as<int>() + s : nullptr;
    const Node& n = *st.node;
    try {
      layers_[s]->enqueue(lc_, ins, outs);
    } catch (const Error& e) {
      const std::string what = e.what();
      if (what.find(n.describe()) != std::string::npos) throw;
      throw Error(e.code(), n.describe() + ": " + what);
    }
    if (timed) check_cuda(cudaEventRecord(events_[++timed_layers], stream), "cudaEventRecord (layer timing)");
  }
  // The error flags travel back with the run (no synchronization here); synchronize() reads them.
  if (flags_.data())
    check_cuda(cudaMemcpyAsync(flags_host_.data(), flags_.data(), flags_.size(), cudaMemcpyDeviceToHost, stream),
               "cudaMemcpyAsync (error flags)");
  // Outputs: copy or convert into the bound buffer (or the context's own) unless written there directly.
  size_t out_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (d_.io[i].is_input) continue;
    const Val& v = vals_[d_.output_ids[out_pos++]];
    void* dst = bindings[i].first ? bindings[i].first : out_own_[i].data();
    out_loc_[i].ptr = dst;
    const int64_t n = cuda::numel(v.dims);
    if (dst == v.ptr || n == 0) continue;
    if (v.nhwc && !same_bytes_nhwc(v.dims))
      fail(ErrorCode::kRuntime, "internal: output '", d_.io[i].name, "' is stored channels-last");
    if (v.dtype == d_.io[i].dtype)
      check_cuda(cudaMemcpyAsync(dst, v.ptr, static_cast<size_t>(n) * dtype_size(v.dtype), cudaMemcpyDeviceToDevice,
                                 stream),
                 "copy output");
    else
      cast(v.dtype, d_.io[i].dtype, v.ptr, dst, n, stream);
  }
}

void CudaContext::enqueue(void* stream_arg, std::vector<std::optional<std::vector<int64_t>>>& shapes,
                          const std::vector<std::pair<void*, size_t>>& bindings) {
  // Check everything before touching state: a bad call leaves the context usable.
  size_t in_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    const IoTensor& t = d_.io[i];
    if (!t.is_input) continue;
    ++in_pos;
    if (!shapes[i]) fail_bad_input("input '", t.name, "' has no shape (call set_input_shape)");
    const size_t need = static_cast<size_t>(checked_numel(*shapes[i])) * dtype_size(t.dtype);
    if (!bindings[i].first && need > 0)
      fail_bad_input("input '", t.name, "' has no address (call set_tensor_address with device memory)");
    if (bindings[i].first && bindings[i].second != need)
      fail_bad_input("input '", t.name, "': bound buffer holds ", bindings[i].second, " bytes, shape ",
                     dims_to_string(*shapes[i]), " of ", dtype_name(t.dtype), " needs ", need);
  }
  (void)in_pos;
  cudaStream_t stream = stream_arg ? static_cast<cudaStream_t>(stream_arg) : own_stream_.get();
  // A stream of another device would run the layers on memory of this one: refused (the special handles
  // cudaStreamLegacy / cudaStreamPerThread always mean the current device).
  if (stream_arg && stream != cudaStreamLegacy && stream != cudaStreamPerThread) {
    int stream_device = -1;
    const cudaError_t se = cudaStreamGetDevice(stream, &stream_device);
    if (se != cudaSuccess) {
      cudaGetLastError();
      fail_bad_input("enqueue: ", stream_arg, " is not a usable CUDA stream (", cudaGetErrorString(se), ")");
    }
    if (stream_device != device_)
      fail_bad_input("enqueue: the stream belongs to device ", stream_device, ", the context was made on device ",
                     device_, " (use a stream of that device)");
  }
  bool same = resolved_ && resolved_shapes_.size() == shapes.size();
  for (size_t i = 0; same && i < d_.io.size(); ++i)
    if (d_.io[i].is_input && resolved_shapes_[i] != shapes[i]) same = false;
  // Shape tensors: a change of their values re-plans like a change of shapes.
  in_pos = 0;
  for (size_t i = 0; same && i < d_.io.size(); ++i) {
    if (!d_.io[i].is_input) continue;
    const Val& v = vals_[d_.input_ids[in_pos++]];
    if (e_.host_io[i] && v.host_tensor.nbytes() &&
        std::memcmp(v.host_tensor.raw_data(), bindings[i].first, v.host_tensor.nbytes()) != 0)
      same = false;
  }
  if (!same) resolve(shapes, bindings);
  size_t out_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (d_.io[i].is_input) continue;
    const Val& v = vals_[d_.output_ids[out_pos++]];
    const size_t need = static_cast<size_t>(cuda::numel(v.dims)) * dtype_size(d_.io[i].dtype);
    if (bindings[i].first && need > bindings[i].second)
      fail_bad_input("output '", d_.io[i].name, "' ", dtype_name(d_.io[i].dtype), dims_to_string(v.dims),
                     " needs ", need, " bytes, the bound buffer holds ", bindings[i].second);
  }
  if (last_stream_ && last_stream_ != stream) synchronize();
  // Addresses of this run.
  for (Val& v : vals_) v.ptr = v.base;
  in_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (!d_.io[i].is_input) continue;
    Val& v = vals_[d_.input_ids[in_pos++]];
    if (!e_.host_io[i]) v.ptr = bindings[i].first;  // shape tensors: the uploaded copy (when the device reads it)
  }
  out_pos = 0;
  for (size_t i = 0; i < d_.io.size(); ++i) {
    if (d_.io[i].is_input) continue;
    const int id = d_.output_ids[out_pos++];
    Val& v = vals_[id];
    const bool produced = !v.host && !d_.values[id]->is_initializer() &&
                          std::find(d_.input_ids.begin(), d_.input_ids.end(), id) == d_.input_ids.end();
    if (bindings[i].first && produced && v.dtype == d_.io[i].dtype) v.ptr = bindings[i].first;
  }
  for (size_t i = 0; i < d_.io.size(); ++i)
    if (!d_.io[i].is_input) shapes[i] = out_loc_[i].dims;
  // Per-layer timing runs uncaptured: events recorded inside a graph would time the whole graph, not its layers.
  if (!graph_on_ || timing_) {
    times_pending_ = false;
    run_steps(stream, bindings, timing_);
    times_pending_ = timing_;
    last_stream_ = stream;
    return;
  }
  std::vector<const void*> key{stream};
  for (const auto& b : bindings) key.push_back(b.first);
  if (!graph_exec_ || key != graph_key_) {
    drop_graph();
    check_cuda(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    cudaGraph_t graph = nullptr;
    try {
      run_steps(stream, bindings, false);
    } catch (...) {
      cudaStreamEndCapture(stream, &graph);
      if (graph) cudaGraphDestroy(graph);
      cudaGetLastError();
      throw;
    }
    check_cuda(cudaStreamEndCapture(stream, &graph), "cudaStreamEndCapture");
    const cudaError_t e = cudaGraphInstantiate(&graph_exec_, graph, 0);
    cudaGraphDestroy(graph);
    check_cuda(e, "cudaGraphInstantiate");
    graph_key_ = key;
  } else {
    // out_loc_ pointers were set by the captured run_steps; bindings are unchanged (same key).
  }
  check_cuda(cudaGraphLaunch(graph_exec_, stream), "cudaGraphLaunch");
  last_stream_ = stream;
}

std::unique_ptr<TargetContext> CudaEngine::create_context(const EngineData& d) const {
  return std::make_unique<CudaContext>(d, *this);
}

}  // namespace
}  // namespace cuda

// ---- hooks -------------------------------------------------------------------------------------------------

std::vector<std::string> cuda_select_layers(const Model& model, const BuilderConfig& config, std::string& cuda_meta,
                                            uint32_t& gpu_arch, CudaStorage* storage) {
  using namespace cuda;
  if (cuda_devices().empty())
    fail_unsupported("target cuda: no usable CUDA device (", cuda_status(),
                     "); a cuda plan is built on the GPU it will run on");
  gpu_arch = device_arch();
  const Graph& g = *model.graph;
  std::map<std::string, Precision> overrides;
  for (const auto& [name, p] : config.layer_precisions) overrides[name] = p;
  for (const auto& [name, p] : overrides) {
    bool found = false;
    for (const auto& n : g.nodes())
      if (n->name == name) found = true;
    if (!found) fail_bad_input("--layer-precision: no node named '", name, "' in the optimized graph");
  }
  // Engine inputs that a layer must read on the host become shape tensors (bound with host memory); each one
  // found changes which nodes run on the host, so selection restarts (at most once per input).
  std::unordered_set<const Value*> host_io;
  std::unordered_set<const Value*> graph_inputs;
  for (const Value* v : g.inputs)
    if (!v->is_initializer()) graph_inputs.insert(v);
  for (;;) {
    const std::vector<bool> host_nodes = classify_host(g, host_io);
    const std::unordered_set<const Value*> host_vals = host_values_of(g, host_nodes, host_io);
    std::vector<std::string> kernels;
    std::vector<DType> float_dtypes;
    Json layers = Json::array();
    size_t i = 0;
    bool restart = false;
    // Storage decisions: activation dtypes, and per weight the dtypes its device consumers read it in (a weight
    // read on the host, by a host node or by a factory's constant() stays in the model's dtype).
    CudaStorage st;
    std::map<const Value*, std::set<DType>> weight_wants;
    std::set<const Value*> weight_kept;
    for (const Value* v : g.outputs) weight_kept.insert(v);
    for (const auto& n : g.nodes()) {
      if (host_nodes[i++]) {
        kernels.push_back("host");
        float_dtypes.push_back(DType::kUndefined);
        layers.push_back({"host", ""});
        for (const Value* v : n->inputs())
          if (v) weight_kept.insert(v);
        continue;
      }
      auto it = overrides.find(n->name);
      Precision p = it != overrides.end() ? it->second : config.precision;
      // Weakly typed fp16/bf16: a node fed by DequantizeLinear or feeding QuantizeLinear is part of the model's
      // quantized region and stays in fp32, like the Q/DQ layers themselves (their rounding is the model's).
      if (it == overrides.end() && (p == Precision::kFp16 || p == Precision::kBf16) && in_qdq_region(*n))
        p = Precision::kFp32;
      const LayerBuild b = make_build(*n, host_vals, p, config.strongly_typed);
      try {
        std::unique_ptr<Layer> l = create_layer(b);
        kernels.push_back(l->kernel());
        float_dtypes.push_back(l->float_dtype());
        layers.push_back({l->kernel(), std::string(precision_name(l->precision()))});
        for (size_t k = 0; k < n->num_outputs(); ++k) {
          const Value* v = n->output(k);
          if (v && k < b.output_dtypes.size() && b.output_dtypes[k] != DType::kUndefined &&
              b.output_dtypes[k] != v->type.dtype)
            st.values[v->name()] = b.output_dtypes[k];
        }
        const std::vector<int> hi = l->host_inputs();
        for (size_t k = 0; k < n->num_inputs(); ++k) {
          const Value* v = n->input(k);
          if (!v || !v->is_initializer()) continue;
          const bool on_host = std::find(hi.begin(), hi.end(), static_cast<int>(k)) != hi.end() ||
                               (k < b.constant_read.size() && b.constant_read[k]);
          if (on_host || k >= b.input_dtypes.size() || b.input_dtypes[k] == DType::kUndefined)
            weight_kept.insert(v);
          else
            weight_wants[v].insert(b.input_dtypes[k]);
        }
      } catch (const Error& e) {
        for (size_t k : b.wants_host) {
          const Value* v = n->input(k);
          if (v && graph_inputs.count(v) && !host_io.count(v) && v->type.is_tensor() &&
              v->type.dtype != DType::kString) {
            host_io.insert(v);
            restart = true;
          }
        }
        if (!restart) throw;
        break;
      }
    }
    if (restart) continue;
    // Small weights (scales, biases, norms: < 1024 elements) stay in the model's dtype and are converted at load as
    // before: that costs nothing and keeps every float value a layer might look at on the host exact.
    for (const auto& [v, wants] : weight_wants)
      if (!weight_kept.count(v) && wants.size() == 1 && *wants.begin() != v->initializer->dtype() &&
          is_float_dtype(*wants.begin()) && is_float_dtype(v->initializer->dtype()) &&
          v->initializer->numel() >= 1024)
        st.weights[v->name()] = *wants.begin();
    if (storage) *storage = std::move(st);
    Json names = Json::array();
    for (const Value* v : g.inputs)
      if (host_io.count(v)) names.push_back(v->name());
    const std::vector<bool> nhwc = choose_nhwc(g, host_nodes, kernels, float_dtypes);
    Json nhwc_steps = Json::array();
    for (size_t k = 0; k < nhwc.size(); ++k)
      if (nhwc[k]) nhwc_steps.push_back(k);
    // Tactics: time the candidates of every matmul/conv at the profiles' opt shapes (tactic_build.h). Channels-last
    // layers are not timed yet (they keep cuDNN's heuristic choice): the pass walks logical NCHW shapes.
    TacticBuildInput tin;
    tin.model = &model;
    tin.config = &config;
    tin.host_nodes = host_nodes;
    tin.kernels = kernels;
    for (size_t k = 0; k < nhwc.size() && k < tin.kernels.size(); ++k)
      if (nhwc[k]) tin.kernels[k] = "nhwc " + tin.kernels[k];
    tin.host_io = host_io;
    tin.make_layer = [&](const Node& n, LayerBuild& b) {
      auto it = overrides.find(n.name);
      Precision p = it != overrides.end() ? it->second : config.precision;
      if (it == overrides.end() && (p == Precision::kFp16 || p == Precision::kBf16) && in_qdq_region(n))
        p = Precision::kFp32;
      b = make_build(n, host_vals, p, config.strongly_typed);
      return create_layer(b);
    };
    tin.run_host = [](const Node& n, const std::vector<const Tensor*>& ins, const std::vector<const Dims*>& dims,
                      std::vector<Tensor>& outs) {
      run_host_node(n, OpRegistry::instance().find(n.domain, n.op_type, n.opset), ins, dims, outs);
    };
    Json meta{{"layers", layers},
              {"device", device_name()},
              {"host_inputs", names},
              {"strongly_typed", config.strongly_typed},
              {"nhwc", nhwc_steps}};
    Json tactics = time_layer_tactics(tin);
    if (!tactics.is_null()) meta["tactics"] = std::move(tactics);
    cuda_meta = meta.dump();
    return kernels;
  }
}

void cuda_check_device(uint32_t gpu_arch, const std::string& label) {
  using namespace cuda;
  if (cuda_devices().empty())
    fail_bad_input(label, ": plan for the cuda target (sm_", gpu_arch, ") needs a CUDA device; ", cuda_status());
  const uint32_t arch = device_arch();
  if (arch != gpu_arch)
    fail_bad_input(label, ": plan for the cuda target (sm_", gpu_arch, "), this GPU (", device_name(), ") is sm_",
                   arch, ": rebuild the plan on this GPU");
}

std::shared_ptr<TargetEngine> cuda_load_engine(const EngineData& d, const std::string& cuda_meta,
                                               const std::string& label) {
  using namespace cuda;
  cuda_check_device(d.header.gpu_arch, label);
  Json meta;
  try {
    meta = Json::parse(cuda_meta);
  } catch (const Json::exception& e) {
    fail_bad_input(label, ": damaged plan (cuda metadata: ", e.what(), ")");
  }
  const Json& layers = meta.at("layers");
  if (!layers.is_array() || layers.size() != d.steps.size())
    fail_bad_input(label, ": damaged plan (cuda layer table does not match the graph)");
  auto e = std::make_shared<CudaEngine>();
  const Graph& g = *d.model.graph;
  std::unordered_set<const Value*> host_io;
  e->host_io.assign(d.io.size(), false);
  for (const Json& j : meta.at("host_inputs")) {
    const std::string name = j.get<std::string>();
    bool found = false;
    for (size_t i = 0; i < d.io.size(); ++i)
      if (d.io[i].is_input && d.io[i].name == name) {
        e->host_io[i] = true;
        found = true;
      }
    const Value* v = g.find_value(name);
    if (!found || !v) fail_bad_input(label, ": damaged plan (shape tensor '", name, "' is not an input)");
    host_io.insert(v);
    e->host_input_names.push_back(name);
  }
  e->step_tactics.assign(d.steps.size(), Json::array());
  if (meta.contains("tactics")) {
    const Json& t = meta["tactics"];
    if (!t.is_array() || t.size() != d.steps.size())
      fail_bad_input(label, ": damaged plan (cuda tactic table does not match the graph)");
    for (size_t s = 0; s < t.size(); ++s) {
      if (!t[s].is_array()) fail_bad_input(label, ": damaged plan (cuda tactic table)");
      for (const Json& r : t[s])
        if (!r.is_array() || r.size() != 3 || !r[0].is_string() || !r[1].is_string() || !r[2].is_number())
          fail_bad_input(label, ": damaged plan (cuda tactic entry ", r.dump().substr(0, 60), ")");
        else
          e->tactics[r[0].get<std::string>()] = r[1].get<std::string>();
      e->step_tactics[s] = t[s];
    }
  }
  std::vector<bool> host_nodes;
  for (const EngineData::Step& st : d.steps) host_nodes.push_back(!st.device);
  // The plan's host/device split must be the one this onyx makes for this graph and these shape-tensor inputs:
  // a damaged split would let a host node read device memory, or a device layer run a host-only op.
  const std::vector<bool> expected_host = classify_host(g, host_io);
  if (expected_host.size() != host_nodes.size())
    fail_bad_input(label, ": damaged plan (the kernel table does not match the graph)");
  for (size_t s = 0; s < host_nodes.size(); ++s)
    if (expected_host[s] != host_nodes[s])
      fail_bad_input(label, ": damaged plan (", d.steps[s].node->describe(), " runs on the ",
                     host_nodes[s] ? "host" : "device", ", this onyx runs it on the ",
                     expected_host[s] ? "host" : "device", ")");
  const std::unordered_set<const Value*> host_vals = host_values_of(g, host_nodes, host_io);
  const bool strongly_typed = meta.value("strongly_typed", false);
  e->steps.resize(d.steps.size());
  std::vector<bool> nhwc(d.steps.size(), false);
  if (meta.contains("nhwc")) {  // plans from before channels-last regions have none
    const Json& list = meta.at("nhwc");
    if (!list.is_array()) fail_bad_input(label, ": damaged plan (cuda nhwc list)");
    for (const Json& j : list) {
      if (!j.is_number_unsigned() || j.get<size_t>() >= d.steps.size())
        fail_bad_input(label, ": damaged plan (cuda nhwc step out of range)");
      nhwc[j.get<size_t>()] = true;
    }
  }
  for (size_t s = 0; s < d.steps.size(); ++s) {
    StepInfo& si = e->steps[s];
    si.device = d.steps[s].device;
    si.kernel = layers[s].at(0).get<std::string>();
    si.precision_name = layers[s].at(1).get<std::string>();
    if (!si.device) continue;
    si.precision = precision_of(si.precision_name);
    si.build = make_build(*d.steps[s].node, host_vals, si.precision, strongly_typed);
    si.nhwc = si.build.nhwc = nhwc[s];
    std::unique_ptr<Layer> l;
    try {
      l = create_layer(si.build);
    } catch (const Error& err) {
      // This onyx built the same layer when it wrote the plan: a layer it cannot make now means damage.
      if (err.code() != ErrorCode::kUnsupported) throw;
      fail_bad_input(label, ": damaged plan (", err.what(), ")");
    }
    if (si.nhwc) {
      si.role = nhwc_role(*d.steps[s].node, l->kernel());
      if (si.role == NhwcRole::kNone)
        fail_bad_input(label, ": damaged plan (", d.steps[s].node->describe(), " cannot run channels-last)");
    }
    if (l->kernel() != si.kernel)
      fail_bad_input(label, ": ", d.steps[s].node->describe(), " uses cuda kernel '", si.kernel,
                     "', this onyx chooses '", l->kernel(), "' (rebuild the plan)");
    si.input_dtypes = si.build.input_dtypes;
    si.output_dtypes = si.build.output_dtypes;
    si.host_input.assign(si.build.input_types.size(), false);
    for (int i : l->host_inputs())
      if (i >= 0 && static_cast<size_t>(i) < si.host_input.size()) si.host_input[i] = true;
    // Weights this layer reads on the device, in the dtype it wants.
    const Node& n = *d.steps[s].node;
    for (size_t i = 0; i < n.num_inputs(); ++i) {
      const Value* v = n.input(i);
      if (!v || !v->is_initializer() || si.host_input[i]) continue;
      const DType want = si.input_dtypes[i] == DType::kUndefined ? v->initializer->dtype() : si.input_dtypes[i];
      const int id = d.value_id.at(v);
      // Conv weights of a channels-last layer: [K, C, R, S] -> [K, R, S, C] once here.
      const bool krsc = si.nhwc && si.role == NhwcRole::kConv && i == 1 && v->initializer->dims().size() == 4;
      auto& store = krsc ? e->weights_nhwc : e->weights;
      if (store.count({id, want})) continue;
      Tensor t = v->initializer->dtype() == want ? *v->initializer : v->initializer->cast(want);
      if (krsc) t = to_nhwc_host(t);
      DeviceBuffer buf(std::max<size_t>(t.nbytes(), 1));
      if (t.nbytes()) check_cuda(cudaMemcpy(buf.data(), t.raw_data(), t.nbytes(), cudaMemcpyHostToDevice), "upload weights");
      store.emplace(std::make_pair(id, want), std::move(buf));
    }
  }
  return e;
}

}  // namespace onyx
