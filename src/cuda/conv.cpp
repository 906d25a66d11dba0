// cuDNN 9 graph-API convolution forward (see conv.h).
//
// The graph: X, W -> CONVOLUTION_FORWARD -> [virtual fp32 -> POINTWISE ADD bias -> virtual fp32 -> POINTWISE
// RELU_FWD] -> Y. Tensors always carry logical NCHW dimensions ([n, c, h, w], filters [k, c/groups, r, s]); the
// layout lives in the strides only. cuDNN infers the group count from the ratio of X's channels to W's channels.
// Engine configurations come from the heuristics (mode A, mode B when timing, then the fallback list; deduplicated);
// for strict float32 those whose numerical notes allow tensor cores or down-converted inputs are left out. Which of
// them runs is a tactic (tactics.h): timed at build (up to max_candidates whose execution plans finalize), the
// plan's recorded choice at load, else the first whose plan finalizes.
// When no engine runs the fused graph, the plan is rebuilt for the convolution alone and run() adds bias and ReLU
// with onyx's own kernels.
#include "cuda/conv.h"

#include <cudnn.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cuda/check.h"
#include "cuda/kernels.h"
#include "cuda/tactics.h"
#include "onyx/error.h"

namespace onyx::cuda {

namespace {

void check_dnn(cudnnStatus_t s, const char* what) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  char detail[512] = {0};
  cudnnGetLastErrorString(detail, sizeof detail);
  fail(s == CUDNN_STATUS_NOT_SUPPORTED ? ErrorCode::kUnsupported : ErrorCode::kRuntime, "cuDNN: ", what, ": ",
       cudnnGetErrorString(s), detail[0] ? " (" : "", detail, detail[0] ? ")" : "");
}

// An owned backend descriptor.
class Desc {
 public:
  Desc(cudnnBackendDescriptorType_t type, const char* what) {
    check_dnn(cudnnBackendCreateDescriptor(type, &d_), what);
  }
  ~Desc() {
    if (d_) cudnnBackendDestroyDescriptor(d_);
  }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  cudnnBackendDescriptor_t get() const { return d_; }
  cudnnBackendDescriptor_t* ptr() { return &d_; }

  void set(cudnnBackendAttributeName_t attr, cudnnBackendAttributeType_t type, int64_t count, const void* values,
           const char* what) {
    check_dnn(cudnnBackendSetAttribute(d_, attr, type, count, values), what);
  }
  void set_desc(cudnnBackendAttributeName_t attr, const Desc& other, const char* what) {
    cudnnBackendDescriptor_t o = other.get();
    set(attr, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &o, what);
  }
  void finalize(const char* what) { check_dnn(cudnnBackendFinalize(d_), what); }

 private:
  cudnnBackendDescriptor_t d_ = nullptr;
};

#define ONYX_DNN_SET(desc, attr, type, count, values) \
  (desc).set(attr, type, count, values, "cudnnBackendSetAttribute(" #attr ")")
#define ONYX_DNN_SET_DESC(desc, attr, other) (desc).set_desc(attr, other, "cudnnBackendSetAttribute(" #attr ")")

constexpr int64_t kUidX = 1, kUidW = 2, kUidB = 3, kUidY = 4, kUidConvOut = 5, kUidBiasOut = 6, kUidZ = 7,
                  kUidZOut = 8;
constexpr int64_t kAlignment = 16;

using Dims4 = std::array<int64_t, 4>;

std::unique_ptr<Desc> make_tensor(int64_t uid, cudnnDataType_t type, const Dims4& dims, const Dims4& strides,
                                  bool is_virtual) {
  auto t = std::make_unique<Desc>(CUDNN_BACKEND_TENSOR_DESCRIPTOR, "cudnnBackendCreateDescriptor(TENSOR)");
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_DATA_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &type);
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_DIMENSIONS, CUDNN_TYPE_INT64, 4, dims.data());
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_STRIDES, CUDNN_TYPE_INT64, 4, strides.data());
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_UNIQUE_ID, CUDNN_TYPE_INT64, 1, &uid);
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_BYTE_ALIGNMENT, CUDNN_TYPE_INT64, 1, &kAlignment);
  const bool v = is_virtual;
  ONYX_DNN_SET(*t, CUDNN_ATTR_TENSOR_IS_VIRTUAL, CUDNN_TYPE_BOOLEAN, 1, &v);
  t->finalize("cudnnBackendFinalize(TENSOR)");
  return t;
}

// Strides of logical [d0 (batch or k), d1 (channels), d2, d3] in NCHW or channels-last memory order.
Dims4 strides_for(ConvLayout layout, const Dims4& d) {
  if (layout == ConvLayout::kNCHW) return {d[1] * d[2] * d[3], d[2] * d[3], d[3], 1};
  return {d[2] * d[3] * d[1], 1, d[3] * d[1], d[1]};
}

std::unique_ptr<Desc> make_pointwise_op(cudnnPointwiseMode_t mode, const Desc& x, const Desc* b, const Desc& y,
                                        std::vector<std::unique_ptr<Desc>>& keep) {
  auto pw = std::make_unique<Desc>(CUDNN_BACKEND_POINTWISE_DESCRIPTOR, "cudnnBackendCreateDescriptor(POINTWISE)");
  const cudnnDataType_t prec = CUDNN_DATA_FLOAT;
  ONYX_DNN_SET(*pw, CUDNN_ATTR_POINTWISE_MODE, CUDNN_TYPE_POINTWISE_MODE, 1, &mode);
  ONYX_DNN_SET(*pw, CUDNN_ATTR_POINTWISE_MATH_PREC, CUDNN_TYPE_DATA_TYPE, 1, &prec);
  pw->finalize("cudnnBackendFinalize(POINTWISE)");
  auto op = std::make_unique<Desc>(CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR,
                                   "cudnnBackendCreateDescriptor(OPERATION_POINTWISE)");
  ONYX_DNN_SET_DESC(*op, CUDNN_ATTR_OPERATION_POINTWISE_PW_DESCRIPTOR, *pw);
  ONYX_DNN_SET_DESC(*op, CUDNN_ATTR_OPERATION_POINTWISE_XDESC, x);
  if (b) ONYX_DNN_SET_DESC(*op, CUDNN_ATTR_OPERATION_POINTWISE_BDESC, *b);
  ONYX_DNN_SET_DESC(*op, CUDNN_ATTR_OPERATION_POINTWISE_YDESC, y);
  op->finalize("cudnnBackendFinalize(OPERATION_POINTWISE)");
  keep.push_back(std::move(pw));
  return op;
}

// True when an engine configuration's engine uses tensor cores or down-converts inputs (TF32 for float32).
bool uses_reduced_fp32(cudnnBackendDescriptor_t cfg, int64_t* global_index) {
  Desc engine(CUDNN_BACKEND_ENGINE_DESCRIPTOR, "cudnnBackendCreateDescriptor(ENGINE)");
  int64_t count = 0;
  check_dnn(cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_ENGINE, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &count,
                                     engine.ptr()),
            "cudnnBackendGetAttribute(CUDNN_ATTR_ENGINECFG_ENGINE)");
  check_dnn(cudnnBackendGetAttribute(engine.get(), CUDNN_ATTR_ENGINE_GLOBAL_INDEX, CUDNN_TYPE_INT64, 1, &count,
                                     global_index),
            "cudnnBackendGetAttribute(CUDNN_ATTR_ENGINE_GLOBAL_INDEX)");
  std::array<cudnnBackendNumericalNote_t, CUDNN_NUMERICAL_NOTE_TYPE_COUNT> notes{};
  int64_t n_notes = 0;
  check_dnn(cudnnBackendGetAttribute(engine.get(), CUDNN_ATTR_ENGINE_NUMERICAL_NOTE, CUDNN_TYPE_NUMERICAL_NOTE,
                                     static_cast<int64_t>(notes.size()), &n_notes, notes.data()),
            "cudnnBackendGetAttribute(CUDNN_ATTR_ENGINE_NUMERICAL_NOTE)");
  for (int64_t i = 0; i < n_notes && i < static_cast<int64_t>(notes.size()); ++i) {
    const auto note = notes[static_cast<size_t>(i)];
    if (note == CUDNN_NUMERICAL_NOTE_TENSOR_CORE || note == CUDNN_NUMERICAL_NOTE_DOWN_CONVERT_INPUTS) return true;
  }
  return false;
}

int64_t engine_index(cudnnBackendDescriptor_t cfg) {
  int64_t index = -1;
  try {
    uses_reduced_fp32(cfg, &index);
  } catch (const Error&) {
    index = -1;
  }
  return index;
}

}  // namespace

// ---- handle ----------------------------------------------------------------------------------------------------
DnnHandle::DnnHandle() {
  cudnnHandle_t h = nullptr;
  check_dnn(cudnnCreate(&h), "cudnnCreate");
  handle_ = h;
}
DnnHandle::~DnnHandle() {
  if (handle_) cudnnDestroy(static_cast<cudnnHandle_t>(handle_));
}

// ---- plan ------------------------------------------------------------------------------------------------------
struct ConvPlan::Impl {
  std::vector<std::unique_ptr<Desc>> keep;  // every descriptor the plan refers to, alive as long as the plan
  std::unique_ptr<Desc> plan;
  bool bias_in_graph = false;
  bool z_in_graph = false;
};

void ConvPlan::output_size(const ConvDesc& d, int64_t* out_h, int64_t* out_w) {
  ONYX_CHECK(d.dtype == DType::kFloat32 || d.dtype == DType::kFloat16, "conv: dtype ", dtype_name(d.dtype),
             " is not supported on CUDA (float32, float16)");
  ONYX_CHECK(d.n > 0 && d.c > 0 && d.h > 0 && d.w > 0 && d.k > 0 && d.r > 0 && d.s > 0, "conv: dimensions must be ",
             "positive (n=", d.n, " c=", d.c, " h=", d.h, " w=", d.w, " k=", d.k, " r=", d.r, " s=", d.s, ")");
  ONYX_CHECK(d.groups > 0 && d.c % d.groups == 0 && d.k % d.groups == 0, "conv: groups ", d.groups,
             " must divide input channels ", d.c, " and output channels ", d.k);
  ONYX_CHECK(d.stride_h > 0 && d.stride_w > 0 && d.dilation_h > 0 && d.dilation_w > 0,
             "conv: strides and dilations must be positive");
  ONYX_CHECK(d.pad_top >= 0 && d.pad_left >= 0 && d.pad_bottom >= 0 && d.pad_right >= 0,
             "conv: pads must be non-negative");
  const int64_t span_h = d.h + d.pad_top + d.pad_bottom - ((d.r - 1) * d.dilation_h + 1);
  const int64_t span_w = d.w + d.pad_left + d.pad_right - ((d.s - 1) * d.dilation_w + 1);
  ONYX_CHECK(span_h >= 0 && span_w >= 0, "conv: the (dilated) kernel ", d.r, "x", d.s,
             " is larger than the padded input");
  *out_h = span_h / d.stride_h + 1;
  *out_w = span_w / d.stride_w + 1;
}

namespace {

struct Built {
  std::vector<std::unique_ptr<Desc>> keep;
  std::unique_ptr<Desc> plan;
  int64_t workspace = 0;
  std::string info, tactic, problem;
};

// A tactic id for an engine configuration: "e<global engine index>" plus its knob choices ("e7.k3=1.k10=0").
std::string config_id(cudnnBackendDescriptor_t cfg, int64_t index) {
  std::string id = "e" + std::to_string(index);
  try {
    constexpr int64_t kMaxKnobs = 32;
    std::vector<std::unique_ptr<Desc>> knobs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < kMaxKnobs; ++i) {
      knobs.push_back(std::make_unique<Desc>(CUDNN_BACKEND_KNOB_CHOICE_DESCRIPTOR,
                                             "cudnnBackendCreateDescriptor(KNOB_CHOICE)"));
      raw.push_back(knobs.back()->get());
    }
    int64_t n = 0;
    check_dnn(cudnnBackendGetAttribute(cfg, CUDNN_ATTR_ENGINECFG_KNOB_CHOICES, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                       kMaxKnobs, &n, raw.data()),
              "cudnnBackendGetAttribute(CUDNN_ATTR_ENGINECFG_KNOB_CHOICES)");
    for (int64_t i = 0; i < n && i < kMaxKnobs; ++i) {
      cudnnBackendKnobType_t type{};
      int64_t value = 0, got = 0;
      check_dnn(cudnnBackendGetAttribute(raw[static_cast<size_t>(i)], CUDNN_ATTR_KNOB_CHOICE_KNOB_TYPE,
                                         CUDNN_TYPE_KNOB_TYPE, 1, &got, &type),
                "cudnnBackendGetAttribute(CUDNN_ATTR_KNOB_CHOICE_KNOB_TYPE)");
      check_dnn(cudnnBackendGetAttribute(raw[static_cast<size_t>(i)], CUDNN_ATTR_KNOB_CHOICE_KNOB_VALUE,
                                         CUDNN_TYPE_INT64, 1, &got, &value),
                "cudnnBackendGetAttribute(CUDNN_ATTR_KNOB_CHOICE_KNOB_VALUE)");
      id += ".k" + std::to_string(static_cast<int>(type)) + "=" + std::to_string(value);
    }
  } catch (const Error&) {
    // Knobs unreadable: the engine index alone.
  }
  return id;
}

// The problem part of a timing cache key: every field of the desc that changes the engines or their speed.
std::string problem_key(const ConvDesc& d, int64_t oh, int64_t ow, bool fused) {
  auto i = [](int64_t v) { return std::to_string(v); };
  std::string k = "conv " + std::string(dtype_name(d.dtype)) + (d.layout == ConvLayout::kNCHW ? " nchw" : " nhwc") +
                  " x" + i(d.n) + "," + i(d.c) + "," + i(d.h) + "," + i(d.w) + " k" + i(d.k) + " r" + i(d.r) + "," +
                  i(d.s) + " g" + i(d.groups) + " st" + i(d.stride_h) + "," + i(d.stride_w) + " pad" + i(d.pad_top) +
                  "," + i(d.pad_left) + "," + i(d.pad_bottom) + "," + i(d.pad_right) + " dil" + i(d.dilation_h) + "," +
                  i(d.dilation_w) + " y" + i(oh) + "," + i(ow);
  if (fused) k += std::string(" fused") + (d.bias ? "+bias" : "") + (d.residual ? "+add" : "") + (d.relu ? "+relu" : "");
  if (d.dtype == DType::kFloat32) k += d.allow_tf32 ? " tf32" : " strict";
  return k;
}

// Runs a finalized execution plan once (the handle's stream is set by the caller).
void execute(cudnnHandle_t h, cudnnBackendDescriptor_t plan, const void* x, const void* w, const void* bias, void* y,
             void* workspace, const void* z = nullptr) {
  std::vector<int64_t> uids = {kUidX, kUidW, kUidY};
  std::vector<void*> ptrs = {const_cast<void*>(x), const_cast<void*>(w), y};
  if (bias) {
    uids.push_back(kUidB);
    ptrs.push_back(const_cast<void*>(bias));
  }
  if (z) {
    uids.push_back(kUidZ);
    ptrs.push_back(const_cast<void*>(z));
  }
  Desc pack(CUDNN_BACKEND_VARIANT_PACK_DESCRIPTOR, "cudnnBackendCreateDescriptor(VARIANT_PACK)");
  ONYX_DNN_SET(pack, CUDNN_ATTR_VARIANT_PACK_UNIQUE_IDS, CUDNN_TYPE_INT64, static_cast<int64_t>(uids.size()),
               uids.data());
  ONYX_DNN_SET(pack, CUDNN_ATTR_VARIANT_PACK_DATA_POINTERS, CUDNN_TYPE_VOID_PTR, static_cast<int64_t>(ptrs.size()),
               ptrs.data());
  ONYX_DNN_SET(pack, CUDNN_ATTR_VARIANT_PACK_WORKSPACE, CUDNN_TYPE_VOID_PTR, 1, &workspace);
  pack.finalize("cudnnBackendFinalize(VARIANT_PACK)");
  check_dnn(cudnnBackendExecute(h, plan, pack.get()), "cudnnBackendExecute");
}

// Builds graph + plan; `fuse` puts bias/ReLU into the graph. Throws (kUnsupported when nothing runs it).
Built build(cudnnHandle_t handle, const ConvDesc& d, int64_t oh, int64_t ow, bool fuse) {
  Built b;
  const cudnnDataType_t io = d.dtype == DType::kFloat16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  const Dims4 x_dims{d.n, d.c, d.h, d.w};
  const Dims4 w_dims{d.k, d.c / d.groups, d.r, d.s};
  const Dims4 y_dims{d.n, d.k, oh, ow};
  const Dims4 b_dims{1, d.k, 1, 1};
  auto x = make_tensor(kUidX, io, x_dims, strides_for(d.layout, x_dims), false);
  auto w = make_tensor(kUidW, io, w_dims, strides_for(d.layout, w_dims), false);
  auto y = make_tensor(kUidY, io, y_dims, strides_for(d.layout, y_dims), false);
  const bool epilogue = fuse && (d.bias || d.relu || d.residual);

  auto conv = std::make_unique<Desc>(CUDNN_BACKEND_CONVOLUTION_DESCRIPTOR, "cudnnBackendCreateDescriptor(CONVOLUTION)");
  const cudnnDataType_t comp = CUDNN_DATA_FLOAT;
  const cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
  const int64_t spatial = 2;
  const int64_t dil[2] = {d.dilation_h, d.dilation_w}, str[2] = {d.stride_h, d.stride_w};
  const int64_t pre[2] = {d.pad_top, d.pad_left}, post[2] = {d.pad_bottom, d.pad_right};
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_COMP_TYPE, CUDNN_TYPE_DATA_TYPE, 1, &comp);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_CONV_MODE, CUDNN_TYPE_CONVOLUTION_MODE, 1, &mode);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_SPATIAL_DIMS, CUDNN_TYPE_INT64, 1, &spatial);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_DILATIONS, CUDNN_TYPE_INT64, 2, dil);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_FILTER_STRIDES, CUDNN_TYPE_INT64, 2, str);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_PRE_PADDINGS, CUDNN_TYPE_INT64, 2, pre);
  ONYX_DNN_SET(*conv, CUDNN_ATTR_CONVOLUTION_POST_PADDINGS, CUDNN_TYPE_INT64, 2, post);
  conv->finalize("cudnnBackendFinalize(CONVOLUTION)");

  // The convolution writes Y directly, or a virtual fp32 tensor that the epilogue reads.
  std::unique_ptr<Desc> conv_out =
      epilogue ? make_tensor(kUidConvOut, CUDNN_DATA_FLOAT, y_dims, strides_for(d.layout, y_dims), true) : nullptr;
  auto conv_op = std::make_unique<Desc>(CUDNN_BACKEND_OPERATION_CONVOLUTION_FORWARD_DESCRIPTOR,
                                        "cudnnBackendCreateDescriptor(OPERATION_CONVOLUTION_FORWARD)");
  const float alpha = 1.f, beta = 0.f;
  ONYX_DNN_SET_DESC(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_X, *x);
  ONYX_DNN_SET_DESC(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_W, *w);
  ONYX_DNN_SET_DESC(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_Y, epilogue ? *conv_out : *y);
  ONYX_DNN_SET_DESC(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_CONV_DESC, *conv);
  ONYX_DNN_SET(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_ALPHA, CUDNN_TYPE_FLOAT, 1, &alpha);
  ONYX_DNN_SET(*conv_op, CUDNN_ATTR_OPERATION_CONVOLUTION_FORWARD_BETA, CUDNN_TYPE_FLOAT, 1, &beta);
  conv_op->finalize("cudnnBackendFinalize(OPERATION_CONVOLUTION_FORWARD)");

  std::vector<cudnnBackendDescriptor_t> ops = {conv_op->get()};
  if (epilogue) {
    // The chain conv_out -> (+bias) -> (+z) -> (relu) -> y; every intermediate a virtual fp32 tensor, the last
    // step writes y.
    struct Step {
      cudnnPointwiseMode_t mode;
      int64_t operand_uid;  // 0: unary
      int64_t out_uid;
    };
    std::vector<Step> steps;
    if (d.bias) steps.push_back({CUDNN_POINTWISE_ADD, kUidB, kUidBiasOut});
    if (d.residual) steps.push_back({CUDNN_POINTWISE_ADD, kUidZ, kUidZOut});
    if (d.relu) steps.push_back({CUDNN_POINTWISE_RELU_FWD, 0, 0});
    const Desc* current = conv_out.get();
    for (size_t k = 0; k < steps.size(); ++k) {
      const bool last = k + 1 == steps.size();
      std::unique_ptr<Desc> operand;
      if (steps[k].operand_uid == kUidB)
        operand = make_tensor(kUidB, io, b_dims, strides_for(d.layout, b_dims), false);
      else if (steps[k].operand_uid == kUidZ)
        operand = make_tensor(kUidZ, io, y_dims, strides_for(d.layout, y_dims), false);
      std::unique_ptr<Desc> out =
          last ? nullptr
               : make_tensor(steps[k].out_uid ? steps[k].out_uid : kUidZOut + 1, CUDNN_DATA_FLOAT, y_dims,
                             strides_for(d.layout, y_dims), true);
      auto op = make_pointwise_op(steps[k].mode, *current, operand.get(), last ? *y : *out, b.keep);
      ops.push_back(op->get());
      b.keep.push_back(std::move(op));
      if (operand) b.keep.push_back(std::move(operand));
      if (out) {
        current = out.get();
        b.keep.push_back(std::move(out));
      }
    }
  }

  auto graph = std::make_unique<Desc>(CUDNN_BACKEND_OPERATIONGRAPH_DESCRIPTOR,
                                      "cudnnBackendCreateDescriptor(OPERATIONGRAPH)");
  ONYX_DNN_SET(*graph, CUDNN_ATTR_OPERATIONGRAPH_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
  ONYX_DNN_SET(*graph, CUDNN_ATTR_OPERATIONGRAPH_OPS, CUDNN_TYPE_BACKEND_DESCRIPTOR, static_cast<int64_t>(ops.size()),
               ops.data());
  graph->finalize("cudnnBackendFinalize(OPERATIONGRAPH)");

  const bool strict = d.dtype == DType::kFloat32 && !d.allow_tf32;
  std::string skipped;
  // Candidates: the engine configurations of heuristics mode A, then (when timing, or when a recorded tactic is
  // not among them) mode B, then the fallback list; deduplicated by tactic id; for strict float32 those whose
  // numerical notes allow tensor cores or down-converted inputs are left out.
  struct Candidate {
    std::unique_ptr<Desc> cfg;
    std::string id, source;
    int64_t index = -1;
  };
  std::vector<Candidate> cands;
  auto collect = [&](cudnnBackendHeurMode_t heur_mode, const char* source) {
    Desc heur(CUDNN_BACKEND_ENGINEHEUR_DESCRIPTOR, "cudnnBackendCreateDescriptor(ENGINEHEUR)");
    ONYX_DNN_SET_DESC(heur, CUDNN_ATTR_ENGINEHEUR_OPERATION_GRAPH, *graph);
    ONYX_DNN_SET(heur, CUDNN_ATTR_ENGINEHEUR_MODE, CUDNN_TYPE_HEUR_MODE, 1, &heur_mode);
    if (cudnnBackendFinalize(heur.get()) != CUDNN_STATUS_SUCCESS) return;
    int64_t count = 0;
    if (cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR, 0, &count,
                                 nullptr) != CUDNN_STATUS_SUCCESS || count <= 0)
      return;
    std::vector<std::unique_ptr<Desc>> cfgs;
    std::vector<cudnnBackendDescriptor_t> raw;
    for (int64_t i = 0; i < count; ++i) {
      cfgs.push_back(std::make_unique<Desc>(CUDNN_BACKEND_ENGINECFG_DESCRIPTOR,
                                            "cudnnBackendCreateDescriptor(ENGINECFG)"));
      raw.push_back(cfgs.back()->get());
    }
    int64_t returned = 0;
    check_dnn(cudnnBackendGetAttribute(heur.get(), CUDNN_ATTR_ENGINEHEUR_RESULTS, CUDNN_TYPE_BACKEND_DESCRIPTOR,
                                       count, &returned, raw.data()),
              "cudnnBackendGetAttribute(CUDNN_ATTR_ENGINEHEUR_RESULTS)");
    for (int64_t i = 0; i < returned && i < count; ++i) {
      cudnnBackendDescriptor_t cfg = raw[static_cast<size_t>(i)];
      int64_t index = -1;
      if (strict) {
        bool reduced = true;
        try {
          reduced = uses_reduced_fp32(cfg, &index);
        } catch (const Error&) {
          reduced = true;  // unknown notes: not provably strict
        }
        if (reduced) {
          skipped += (skipped.empty() ? "" : ",") + std::to_string(index);
          continue;
        }
      } else {
        index = engine_index(cfg);
      }
      std::string id = config_id(cfg, index);
      bool dup = false;
      for (const Candidate& c : cands)
        if (c.id == id) dup = true;
      if (!dup) cands.push_back({std::move(cfgs[static_cast<size_t>(i)]), std::move(id), source, index});
    }
  };
  TacticSession* ts = current_tactics();
  const bool timing = ts && ts->mode == TacticSession::Mode::kTime;
  const std::string problem = problem_key(d, oh, ow, epilogue);
  collect(CUDNN_HEUR_MODE_A, "A");
  // Mode B (slower to query) when timing something new (so its configs are timed before the fallback list's), or
  // when the tactic the cache / an earlier layer chose is not among mode A's.
  const std::string* known_id = timing ? ts->known(problem) : nullptr;
  bool known_found = false;
  for (const Candidate& c : cands)
    if (known_id && c.id == *known_id) known_found = true;
  if (timing && !known_found) collect(CUDNN_HEUR_MODE_B, "B");
  collect(CUDNN_HEUR_MODE_FALLBACK, "fallback");
  if (ts && !timing) {
    auto it = ts->chosen.find(problem);
    bool known = it == ts->chosen.end();
    for (const Candidate& c : cands)
      if (!known && c.id == it->second) known = true;
    if (!known) collect(CUDNN_HEUR_MODE_B, "B");
  }

  // Execution plans: finalized in candidate order (a config whose plan does not finalize is not a candidate);
  // when timing, up to max_candidates of them, else only until the one to use finalizes.
  struct Final {
    std::unique_ptr<Desc> plan;
    size_t cand = 0;
    int64_t workspace = 0;
  };
  auto finalize = [&](size_t ci) -> std::optional<Final> {
    cudnnBackendDescriptor_t cfg = cands[ci].cfg->get();
    auto plan = std::make_unique<Desc>(CUDNN_BACKEND_EXECUTION_PLAN_DESCRIPTOR,
                                       "cudnnBackendCreateDescriptor(EXECUTION_PLAN)");
    ONYX_DNN_SET(*plan, CUDNN_ATTR_EXECUTION_PLAN_HANDLE, CUDNN_TYPE_HANDLE, 1, &handle);
    ONYX_DNN_SET(*plan, CUDNN_ATTR_EXECUTION_PLAN_ENGINE_CONFIG, CUDNN_TYPE_BACKEND_DESCRIPTOR, 1, &cfg);
    if (cudnnBackendFinalize(plan->get()) != CUDNN_STATUS_SUCCESS) return std::nullopt;
    int64_t ws = 0, n_ws = 0;
    check_dnn(cudnnBackendGetAttribute(plan->get(), CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE, CUDNN_TYPE_INT64, 1,
                                       &n_ws, &ws),
              "cudnnBackendGetAttribute(CUDNN_ATTR_EXECUTION_PLAN_WORKSPACE_SIZE)");
    return Final{std::move(plan), ci, ws};
  };
  std::optional<Final> chosen;
  if (timing) {
    // Decided already (an earlier layer, the timing cache): finalize that candidate only.
    if (const std::string* k = ts->known(problem)) {
      for (size_t ci = 0; ci < cands.size() && !chosen; ++ci)
        if (cands[ci].id == *k) {
          chosen = finalize(ci);
          if (chosen) choose_tactic(problem, {*k}, nullptr);  // records the reuse
        }
    }
  }
  if (timing && !chosen) {
    std::vector<Final> finals;
    for (size_t ci = 0; ci < cands.size() && static_cast<int>(finals.size()) < std::max(1, ts->max_candidates); ++ci)
      if (auto f = finalize(ci)) finals.push_back(std::move(*f));
    if (!finals.empty()) {
      std::vector<std::string> ids;
      for (const Final& f : finals) ids.push_back(cands[f.cand].id);
      const bool bias_in_graph = epilogue && d.bias, z_in_graph = epilogue && d.residual;
      const int pick = choose_tactic(problem, ids, [&](int i, cudaStream_t stream) {
        const size_t es = dtype_size(d.dtype);
        const Final& f = finals[static_cast<size_t>(i)];
        void* px = ts->scratch(0, static_cast<size_t>(d.n * d.c * d.h * d.w) * es);
        void* pw = ts->scratch(1, static_cast<size_t>(d.k * (d.c / d.groups) * d.r * d.s) * es);
        void* py = ts->scratch(2, static_cast<size_t>(d.n * d.k * oh * ow) * es);
        void* pb = bias_in_graph ? ts->scratch(3, static_cast<size_t>(d.k) * es) : nullptr;
        void* pws = f.workspace > 0 ? ts->scratch(4, static_cast<size_t>(f.workspace)) : nullptr;
        void* pz = z_in_graph ? ts->scratch(5, static_cast<size_t>(d.n * d.k * oh * ow) * es) : nullptr;
        check_dnn(cudnnSetStream(handle, stream), "cudnnSetStream");
        execute(handle, f.plan->get(), px, pw, pb, py, pws, pz);
      });
      chosen = std::move(finals[static_cast<size_t>(pick)]);
    }
  } else if (!timing) {
    // The recorded tactic (or, without a session / record, the first candidate), then the others in order.
    std::vector<std::string> ids;
    for (const Candidate& c : cands) ids.push_back(c.id);
    const size_t first = static_cast<size_t>(choose_tactic(problem, ids, nullptr));
    if (first < cands.size()) chosen = finalize(first);
    if (!chosen && first != 0 && first < cands.size())
      std::fprintf(stderr, "onyx: warning: the plan's tactic '%s' for %s does not finalize any more; using the "
                   "heuristic's first choice\n", cands[first].id.c_str(), problem.c_str());
    for (size_t ci = 0; !chosen && ci < cands.size(); ++ci)
      if (ci != first) chosen = finalize(ci);
  }
  if (chosen) {
    Candidate& c = cands[chosen->cand];
    b.workspace = chosen->workspace;
    b.plan = std::move(chosen->plan);
    b.tactic = c.id;
    b.problem = problem;
    b.info = "cuDNN engine " + std::to_string(c.index) + " (heuristics " + c.source + "), " +
             (epilogue ? std::string("fused conv") + (d.bias ? "+bias" : "") + (d.residual ? "+add" : "") +
                             (d.relu ? "+relu" : "")
                       : std::string("conv"));
    // The plan was finalized from these descriptors; keep them (and the chosen config) alive with it.
    b.keep.push_back(std::move(c.cfg));
    b.keep.push_back(std::move(graph));
    b.keep.push_back(std::move(conv_op));
    b.keep.push_back(std::move(conv));
    b.keep.push_back(std::move(x));
    b.keep.push_back(std::move(w));
    b.keep.push_back(std::move(y));
    if (conv_out) b.keep.push_back(std::move(conv_out));
    return b;
  }
  fail_unsupported("conv: no cuDNN engine runs ", epilogue ? "the fused conv graph" : "this convolution", " (",
                   dtype_name(d.dtype), d.layout == ConvLayout::kNCHW ? " NCHW" : " NHWC", ", n=", d.n, " c=", d.c,
                   " h=", d.h, " w=", d.w, " k=", d.k, " kernel ", d.r, "x", d.s, " groups ", d.groups,
                   strict && !skipped.empty() ? "; tensor-core engines skipped for strict float32: " : "", skipped,
                   ")");
}

}  // namespace

ConvPlan::ConvPlan(const DnnHandle& handle, const ConvDesc& desc)
    : desc_(desc), handle_(handle.get()), impl_(std::make_unique<Impl>()) {
  output_size(desc_, &out_h_, &out_w_);
  const auto h = static_cast<cudnnHandle_t>(handle_);
  Built b;
  std::string fused_failure;
  if (desc_.bias || desc_.relu || desc_.residual) {
    try {
      b = build(h, desc_, out_h_, out_w_, true);
      fused_ = true;
    } catch (const Error& e) {
      fused_failure = e.what();
    }
  }
  if (!fused_) {
    b = build(h, desc_, out_h_, out_w_, false);
    if (desc_.bias || desc_.relu || desc_.residual)
      b.info += " + separate bias/add/relu kernels (fused graph: " + fused_failure + ")";
  }
  impl_->keep = std::move(b.keep);
  impl_->plan = std::move(b.plan);
  impl_->bias_in_graph = fused_ && desc_.bias;
  impl_->z_in_graph = fused_ && desc_.residual;
  workspace_bytes_ = static_cast<size_t>(b.workspace);
  info_ = std::move(b.info);
  tactic_ = std::move(b.tactic);
  problem_ = std::move(b.problem);
}

ConvPlan::~ConvPlan() = default;

void ConvPlan::run(const void* x, const void* w, const void* bias, void* y, void* workspace, size_t workspace_bytes,
                   cudaStream_t stream, const void* z) const {
  ONYX_CHECK(x && w && y, "conv: null x, w or y");
  ONYX_CHECK(!desc_.bias || bias, "conv: the plan has a bias: pass its pointer");
  ONYX_CHECK(!desc_.residual || z, "conv: the plan adds a residual: pass its pointer");
  ONYX_CHECK(workspace_bytes >= workspace_bytes_ && (workspace_bytes_ == 0 || workspace), "conv: the plan needs ",
             workspace_bytes_, " bytes of workspace, got ", workspace_bytes);
  auto aligned = [](const void* p) { return reinterpret_cast<uintptr_t>(p) % kAlignment == 0; };
  ONYX_CHECK(aligned(x) && aligned(w) && aligned(y) && (!desc_.bias || aligned(bias)) &&
                 (!desc_.residual || aligned(z)),
             "conv: x, w, y, bias and z must be ", kAlignment, "-byte aligned");
  const auto h = static_cast<cudnnHandle_t>(handle_);
  check_dnn(cudnnSetStream(h, stream), "cudnnSetStream");

  execute(h, impl_->plan->get(), x, w, impl_->bias_in_graph ? bias : nullptr, y, workspace,
          impl_->z_in_graph ? z : nullptr);

  if (!fused_) {
    const Dims y_shape = desc_.layout == ConvLayout::kNCHW ? Dims{desc_.n, desc_.k, out_h_, out_w_}
                                                           : Dims{desc_.n, out_h_, out_w_, desc_.k};
    if (desc_.bias) {
      const Dims b_shape = desc_.layout == ConvLayout::kNCHW ? Dims{1, desc_.k, 1, 1} : Dims{desc_.k};
      binary(BinaryOp::kAdd, desc_.dtype, y, y_shape, bias, b_shape, y, stream);
    }
    if (desc_.residual) binary(BinaryOp::kAdd, desc_.dtype, y, y_shape, z, y_shape, y, stream);
    if (desc_.relu) unary(UnaryOp::kRelu, desc_.dtype, y, y, numel(y_shape), stream);
  }
}

}  // namespace onyx::cuda
