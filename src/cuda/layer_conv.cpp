// cuda layers for convnets: Conv and onyx.FusedConv (cuDNN, bias + ReLU fused when cuDNN can), MaxPool,
// AveragePool, GlobalAveragePool, GlobalMaxPool and BatchNormalization (inference, folded to a scale and shift).
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "buffer.h"
#include "layer_util.h"
#include "layout_kernels.h"
#ifdef ONYX_HAVE_CUDNN
#include "conv.h"
#endif

namespace onyx::cuda {
namespace {

// Pads [begin_h, begin_w, end_h, end_w] of a 1-D/2-D window op from auto_pad / pads.
struct Window {
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t pt = 0, pl = 0, pb = 0, pr = 0;
};

Window window_of(const Node& n, const Dims& x, int64_t kh, int64_t kw, bool ceil_mode = false) {
  const size_t sp = x.size() - 2;  // 1 or 2 spatial dims
  Window w;
  w.kh = kh;
  w.kw = kw;
  auto strides = n.attr_ints("strides", std::vector<int64_t>(sp, 1));
  auto dil = n.attr_ints("dilations", std::vector<int64_t>(sp, 1));
  auto pads = n.attr_ints("pads", std::vector<int64_t>(2 * sp, 0));
  if (strides.size() != sp || dil.size() != sp || pads.size() != 2 * sp)
    fail_bad_input("strides/dilations/pads do not match the spatial rank");
  if (sp == 1) {
    w.sw = strides[0];
    w.dw = dil[0];
    w.pl = pads[0];
    w.pr = pads[1];
  } else {
    w.sh = strides[0];
    w.sw = strides[1];
    w.dh = dil[0];
    w.dw = dil[1];
    w.pt = pads[0];
    w.pl = pads[1];
    w.pb = pads[2];
    w.pr = pads[3];
  }
  const std::string ap = n.attr_string("auto_pad", "NOTSET");
  if (ap == "VALID") {
    w.pt = w.pl = w.pb = w.pr = 0;
  } else if (ap == "SAME_UPPER" || ap == "SAME_LOWER") {
    auto same = [&](int64_t in, int64_t k, int64_t s, int64_t d, int64_t& begin, int64_t& end) {
      const int64_t out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + (k - 1) * d + 1 - in);
      begin = ap == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    };
    same(x.back(), w.kw, w.sw, w.dw, w.pl, w.pr);
    if (sp == 2) same(x[2], w.kh, w.sh, w.dh, w.pt, w.pb);
  } else if (ap != "NOTSET") {
    fail_bad_input("unknown auto_pad '", ap, "'");
  }
  (void)ceil_mode;
  return w;
}

#ifdef ONYX_HAVE_CUDNN
// In a channels-last region (b.nhwc) x, w, z and y have physical dims [N, H, W, C] / [K, R, S, C]; when cuDNN has
// no NHWC engine for a shape, the layer transposes to NCHW in its workspace around an NCHW plan.
class ConvLayer : public Layer {
 public:
  ConvLayer(const LayerBuild& b, bool fused) : fused_(fused), nhwc_(b.nhwc) {
    if (fused) act_ = fused_activation(b.n());
    has_z_ = fused && b.has_input(3);
    init(b, "cuda.conv.cudnn", b.precision == Precision::kBf16 ? DType::kFloat32 : DType::kUndefined);
  }
  size_t prepare(const ShapeContext& ctx) override {
    Dims x = ctx.input_shapes[0];
    Dims w = ctx.input_shapes[1];
    if (x.size() != 3 && x.size() != 4) fail_unsupported("Conv of spatial rank ", x.size() - 2, " (cuda: 1-D/2-D)");
    if (nhwc_) {  // back to logical NCHW dims
      if (x.size() != 4 || w.size() != 4) fail(ErrorCode::kRuntime, "internal: channels-last conv of rank != 4");
      x = {x[0], x[3], x[1], x[2]};
      w = {w[0], w[3], w[1], w[2]};
    }
    const bool one_d = x.size() == 3;
    ConvDesc d;
    d.dtype = ctx.input_dtypes[0];
    d.layout = nhwc_ ? ConvLayout::kNHWC : ConvLayout::kNCHW;
    d.n = x[0];
    d.c = x[1];
    d.h = one_d ? 1 : x[2];
    d.w = x.back();
    d.k = w[0];
    d.r = one_d ? 1 : w[2];
    d.s = w.back();
    d.groups = node().attr_int("group", 1);
    const Window win = window_of(node(), x, d.r, d.s);
    d.stride_h = win.sh;
    d.stride_w = win.sw;
    d.dilation_h = win.dh;
    d.dilation_w = win.dw;
    d.pad_top = win.pt;
    d.pad_left = win.pl;
    d.pad_bottom = win.pb;
    d.pad_right = win.pr;
    d.bias = ctx.input_dtypes.size() > 2 && ctx.input_dtypes[2] != DType::kUndefined;
    // The epilogue cuDNN may fuse: bias, the residual z, ReLU (z before the activation, as onyx.FusedConv says).
    const bool relu = act_ && act_->op == UnaryOp::kRelu;
    d.residual = has_z_ && (!act_ || relu);
    d.relu = relu && (!has_z_ || d.residual);
    d.allow_tf32 = precision() == Precision::kTf32;
    plan_.reset();
    transposed_ = false;
    empty_ = cuda::numel(ctx.output_shapes[0]) == 0;
    if (empty_) return 0;
    if (!ctx.layer_context->dnn) fail_unsupported("onyx was built without cuDNN");
    if (nhwc_) {
      // ONYX_CUDA_CONV_TRANSPOSED=1 takes the fallback below on purpose (tests).
      const char* force = std::getenv("ONYX_CUDA_CONV_TRANSPOSED");
      try {
        if (force && std::string(force) == "1") fail_unsupported("NHWC plan skipped (ONYX_CUDA_CONV_TRANSPOSED=1)");
        plan_ = std::make_unique<ConvPlan>(*ctx.layer_context->dnn, d);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnsupported) throw;
        d.layout = ConvLayout::kNCHW;
        transposed_ = true;
      }
    }
    if (!plan_) plan_ = std::make_unique<ConvPlan>(*ctx.layer_context->dnn, d);
    if (std::getenv("ONYX_CUDA_CONV_INFO"))  // which cuDNN engine and epilogue each conv got (diagnostics)
      std::fprintf(stderr, "[conv] %s %s n=%lld c=%lld %lldx%lld k=%lld %lldx%lld/%lld g=%lld: %s%s\n",
                   node().describe().c_str(), nhwc_ ? "nhwc" : "nchw", static_cast<long long>(d.n),
                   static_cast<long long>(d.c), static_cast<long long>(d.h), static_cast<long long>(d.w),
                   static_cast<long long>(d.k), static_cast<long long>(d.r), static_cast<long long>(d.s),
                   static_cast<long long>(d.stride_h), static_cast<long long>(d.groups), plan_->info().c_str(),
                   transposed_ ? " (via NCHW transposes)" : "");
    if (!transposed_) return plan_->workspace_bytes();
    const size_t es = dtype_size(d.dtype);
    auto round = [](size_t n) { return (n + 255) / 256 * 256; };
    off_x_ = round(plan_->workspace_bytes());
    off_w_ = off_x_ + round(static_cast<size_t>(cuda::numel(x)) * es);
    off_z_ = off_w_ + round(static_cast<size_t>(cuda::numel(w)) * es);
    const size_t y_bytes = static_cast<size_t>(cuda::numel(ctx.output_shapes[0])) * es;
    off_y_ = off_z_ + (d.residual ? round(y_bytes) : 0);
    return off_y_ + round(y_bytes);
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    if (empty_) return;
    const DeviceTensor& y = out[0];
    const bool bias = in.size() > 2 && in[2].present();
    const ConvDesc& d = plan_->desc();
    const void* z = d.residual ? in[3].data : nullptr;
    if (!transposed_) {
      plan_->run(in[0].data, in[1].data, bias ? in[2].data : nullptr, y.data, ctx.workspace, ctx.workspace_bytes,
                 ctx.stream, z);
    } else {
      // Physical NHWC in and out, an NCHW plan in between.
      char* ws = static_cast<char*>(ctx.workspace);
      permute(in[0].dtype, in[0].data, in[0].dims, {0, 3, 1, 2}, ws + off_x_, ctx.stream);
      permute(in[1].dtype, in[1].data, in[1].dims, {0, 3, 1, 2}, ws + off_w_, ctx.stream);
      if (z) {
        permute(in[3].dtype, z, in[3].dims, {0, 3, 1, 2}, ws + off_z_, ctx.stream);
        z = ws + off_z_;
      }
      plan_->run(ws + off_x_, ws + off_w_, bias ? in[2].data : nullptr, ws + off_y_, ctx.workspace,
                 plan_->workspace_bytes(), ctx.stream, z);
      const Dims y_nchw{y.dims[0], y.dims[3], y.dims[1], y.dims[2]};
      permute(y.dtype, ws + off_y_, y_nchw, {0, 2, 3, 1}, y.data, ctx.stream);
    }
    if (has_z_ && !d.residual)
      binary(BinaryOp::kAdd, y.dtype, y.data, y.dims, in[3].data, in[3].dims, y.data, ctx.stream);
    if (act_ && !(act_->op == UnaryOp::kRelu && d.relu))
      unary(act_->op, y.dtype, y.data, y.data, y.numel(), ctx.stream, act_->alpha, act_->beta);
  }

 private:
  bool fused_ = false, nhwc_ = false, has_z_ = false, empty_ = false, transposed_ = false;
  size_t off_x_ = 0, off_w_ = 0, off_z_ = 0, off_y_ = 0;
  std::optional<UnarySpec> act_;
  std::unique_ptr<ConvPlan> plan_;
};
#endif

class PoolLayer : public Layer {
 public:
  enum class Kind { kMax, kAvg, kGlobalAvg, kGlobalMax };
  PoolLayer(const LayerBuild& b, Kind k) : kind_(k), nhwc_(b.nhwc) {
    init(b, k == Kind::kMax ? "cuda.pool.max" : k == Kind::kAvg ? "cuda.pool.avg" : "cuda.pool.global");
  }
  size_t prepare(const ShapeContext& ctx) override {
    Dims x = ctx.input_shapes[0];
    if (nhwc_) {  // physical [N, H, W, C] -> logical
      if (x.size() != 4) fail(ErrorCode::kRuntime, "internal: channels-last pooling of rank != 4");
      x = {x[0], x[3], x[1], x[2]};
    }
    if (x.size() < 3) fail_bad_input("pooling input of rank ", x.size());
    if (kind_ == Kind::kGlobalAvg || kind_ == Kind::kGlobalMax) return 0;
    if (x.size() > 4) fail_unsupported("pooling of spatial rank ", x.size() - 2, " (cuda: 1-D/2-D)");
    const bool one_d = x.size() == 3;
    auto ks = node().attr_ints("kernel_shape");
    if (ks.size() != x.size() - 2) fail_bad_input("kernel_shape does not match the input rank");
    const Window w = window_of(node(), x, one_d ? 1 : ks[0], ks.back());
    p_ = Pool2dParams{};
    p_.n = x[0];
    p_.c = x[1];
    p_.h = one_d ? 1 : x[2];
    p_.w = x.back();
    p_.kernel_h = w.kh;
    p_.kernel_w = w.kw;
    p_.stride_h = w.sh;
    p_.stride_w = w.sw;
    p_.pad_top = w.pt;
    p_.pad_left = w.pl;
    p_.pad_bottom = w.pb;
    p_.pad_right = w.pr;
    p_.dilation_h = w.dh;
    p_.dilation_w = w.dw;
    p_.ceil_mode = node().attr_int("ceil_mode", 0) != 0;
    p_.count_include_pad = node().attr_int("count_include_pad", 0) != 0;
    if (kind_ == Kind::kAvg && (w.dh != 1 || w.dw != 1)) fail_unsupported("AveragePool with dilations");
    int64_t oh = 0, ow = 0;
    pool2d_output_size(p_, &oh, &ow);
    const Dims& y = ctx.output_shapes[0];
    const int64_t yh = nhwc_ ? y[1] : one_d ? 1 : y[2], yw = nhwc_ ? y[2] : y.back();
    if (oh != yh || ow != yw) fail_unsupported("pooling output size differs from the spec's");
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& x = in[0];
    if (out[0].numel() == 0) return;
    if ((kind_ == Kind::kGlobalAvg || kind_ == Kind::kGlobalMax) && nhwc_) {
      // [N, H*W, C]: reduce the middle axis.
      global_pool_nhwc(x.dtype, kind_ == Kind::kGlobalMax, x.data, x.dims[0], x.dims[1] * x.dims[2], x.dims[3],
                       out[0].data, ctx.stream);
    } else if (nhwc_) {
      (kind_ == Kind::kMax ? max_pool2d_nhwc : avg_pool2d_nhwc)(x.dtype, x.data, p_, out[0].data, ctx.stream);
    } else if (kind_ == Kind::kGlobalAvg || kind_ == Kind::kGlobalMax) {
      const int64_t nc = x.dims[0] * x.dims[1];
      reduce_axis(kind_ == Kind::kGlobalAvg ? ReduceOp::kMean : ReduceOp::kMax, x.dtype, x.data,
                  {nc, nc ? x.numel() / nc : 0}, 1, out[0].data, ctx.stream);
    } else if (kind_ == Kind::kMax) {
      max_pool2d(x.dtype, x.data, p_, out[0].data, ctx.stream);
    } else {
      avg_pool2d(x.dtype, x.data, p_, out[0].data, ctx.stream);
    }
  }

 private:
  Kind kind_;
  bool nhwc_ = false;
  Pool2dParams p_;
};

// y = x * a + b per channel, a = scale / sqrt(var + eps), b = B - mean * a (computed once from constants).
class BatchNormLayer : public Layer {
 public:
  explicit BatchNormLayer(const LayerBuild& b) : nhwc_(b.nhwc) {
    init(b, "cuda.batchnorm.affine");
    const float eps = b.n().attr_float("epsilon", 1e-5f);
    const Tensor s = b.constant(1)->cast(DType::kFloat32), bias = b.constant(2)->cast(DType::kFloat32);
    const Tensor mean = b.constant(3)->cast(DType::kFloat32), var = b.constant(4)->cast(DType::kFloat32);
    const int64_t c = s.numel();
    if (bias.numel() != c || mean.numel() != c || var.numel() != c) fail_bad_input("parameter sizes differ");
    a_ = Tensor(DType::kFloat32, {c});
    b_ = Tensor(DType::kFloat32, {c});
    for (int64_t i = 0; i < c; ++i) {
      const float a = s.data<float>()[i] / std::sqrt(var.data<float>()[i] + eps);
      a_.data<float>()[i] = a;
      b_.data<float>()[i] = bias.data<float>()[i] - mean.data<float>()[i] * a;
    }
  }
  size_t prepare(const ShapeContext& ctx) override {
    const DType dt = ctx.input_dtypes[0];
    if (!da_.size()) {
      const Tensor a = a_.cast(dt), b = b_.cast(dt);
      da_ = DeviceBuffer(a.nbytes());
      db_ = DeviceBuffer(b.nbytes());
      check_cuda(cudaMemcpy(da_.data(), a.raw_data(), a.nbytes(), cudaMemcpyHostToDevice), "upload BN scale");
      check_cuda(cudaMemcpy(db_.data(), b.raw_data(), b.nbytes(), cudaMemcpyHostToDevice), "upload BN shift");
    }
    const Dims& x = ctx.input_shapes[0];
    if (nhwc_) {  // physical [N, H, W, C]: the parameters broadcast over the last axis
      if (x.size() != 4 || x[3] != a_.numel()) fail_bad_input("input channels differ from the parameters");
      cshape_ = Dims{x[3]};
      return 0;
    }
    if (x.size() < 2 || x[1] != a_.numel()) fail_bad_input("input channels differ from the parameters");
    cshape_ = Dims(x.size() - 1, 1);
    cshape_[0] = x[1];
    return 0;
  }
  void enqueue(LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) override {
    const DeviceTensor& y = out[0];
    binary(BinaryOp::kMul, y.dtype, in[0].data, in[0].dims, da_.data(), cshape_, y.data, ctx.stream);
    binary(BinaryOp::kAdd, y.dtype, y.data, y.dims, db_.data(), cshape_, y.data, ctx.stream);
  }

 private:
  bool nhwc_ = false;
  Tensor a_, b_;
  DeviceBuffer da_, db_;
  Dims cshape_;
};

const bool kRegistered = [] {
#ifdef ONYX_HAVE_CUDNN
  auto conv = [](bool fused) {
    return [fused](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_dtypes(b, 0, {DType::kFloat32, DType::kFloat16});
      for (size_t i = 1; i < b.input_types.size(); ++i)
        if (b.has_input(i) && b.model_dtype(i) != b.model_dtype(0)) fail_unsupported("inputs of different dtypes");
      if (b.has_input(2)) {
        const TypeInfo& t = *b.input_types[2];
        if (t.has_shape && t.shape.rank_known() && t.shape.rank() != 1) fail_unsupported("bias of rank != 1");
      }
      return std::make_unique<ConvLayer>(b, fused);
    };
  };
  register_layer("", "Conv", conv(false));
  register_layer("onyx", "FusedConv", conv(true));
#endif
  auto pool = [](PoolLayer::Kind k) {
    return [k](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require_float(b, 0);
      if (b.n().num_outputs() > 1 && b.n().output(1)) fail_unsupported("MaxPool Indices output");
      if (b.n().attr_int("storage_order", 0) != 0) fail_unsupported("storage_order 1");
      return std::make_unique<PoolLayer>(b, k);
    };
  };
  register_layer("", "MaxPool", pool(PoolLayer::Kind::kMax));
  register_layer("", "AveragePool", pool(PoolLayer::Kind::kAvg));
  register_layer("", "GlobalAveragePool", pool(PoolLayer::Kind::kGlobalAvg));
  register_layer("", "GlobalMaxPool", pool(PoolLayer::Kind::kGlobalMax));
  register_layer("", "BatchNormalization", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float(b, 0);
    if (b.n().attr_int("training_mode", 0) != 0) fail_unsupported("training_mode");
    for (size_t i = 1; i < b.n().num_outputs(); ++i)
      if (b.n().output(i)) fail_unsupported("training outputs");
    for (size_t i = 1; i <= 4; ++i)
      if (!b.constant(i)) fail_unsupported("parameter ", i, " is not a constant");
    return std::make_unique<BatchNormLayer>(b);
  });
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
