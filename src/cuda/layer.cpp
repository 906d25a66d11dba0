// The layer registry and the Layer base's defaults (see layer.h).
#include "layer.h"

#include <algorithm>
#include <map>
#include <mutex>

namespace onyx::cuda {

namespace {

std::map<std::string, LayerFactory, std::less<>>& registry() {
  static std::map<std::string, LayerFactory, std::less<>> r;
  return r;
}
// Fallback factories (register_fallback_layer) and the composed primary-then-fallback factories find_layer hands
// out (built on first lookup, after static registration is over).
std::map<std::string, LayerFactory, std::less<>>& fallbacks() {
  static std::map<std::string, LayerFactory, std::less<>> r;
  return r;
}
std::map<std::string, LayerFactory, std::less<>>& composed() {
  static std::map<std::string, LayerFactory, std::less<>> r;
  return r;
}
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

// Keys registered twice (two files claiming one op): an error on first use, like the op registry's duplicates
// (static initialization order would otherwise pick one silently).
std::vector<std::string>& duplicates() {
  static std::vector<std::string> d;
  return d;
}

void check_duplicates() {
  if (!duplicates().empty())
    fail(ErrorCode::kRuntime, "cuda layer '", duplicates().front(), "' is registered twice (two layer files claim it)");
}

std::string key_of(std::string_view domain, std::string_view op_type) {
  std::string k(domain == "ai.onnx" ? std::string_view() : domain);
  k += ':';
  k += op_type;
  return k;
}

bool is_float(DType t) {
  return t == DType::kFloat32 || t == DType::kFloat16 || t == DType::kBFloat16;
}

}  // namespace

DType precision_dtype(Precision p) {
  switch (p) {
    case Precision::kFp16:
      return DType::kFloat16;
    case Precision::kBf16:
      return DType::kBFloat16;
    default:
      return DType::kFloat32;
  }
}

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::kFp16:
      return "fp16";
    case Precision::kBf16:
      return "bf16";
    case Precision::kTf32:
      return "tf32";
    default:
      return "fp32";
  }
}

DType LayerBuild::model_dtype(size_t i) const {
  if (!has_input(i) || !input_types[i]->is_tensor()) return DType::kUndefined;
  return input_types[i]->dtype;
}

void register_layer(std::string_view domain, std::string_view op_type, LayerFactory factory) {
  const std::string key = key_of(domain, op_type);
  if (!registry().emplace(key, std::move(factory)).second) duplicates().push_back(key);
}

std::map<std::string, LayerPreference, std::less<>>& preferences() {
  static std::map<std::string, LayerPreference, std::less<>> r;
  return r;
}

void register_fallback_layer(std::string_view domain, std::string_view op_type, LayerFactory factory,
                             LayerPreference prefer) {
  const std::string key = key_of(domain, op_type);
  if (!fallbacks().emplace(key, std::move(factory)).second) duplicates().push_back(key + " (fallback)");
  if (prefer) preferences()[key] = std::move(prefer);
}

const LayerFactory* find_layer(std::string_view domain, std::string_view op_type) {
  check_duplicates();
  const std::string key = key_of(domain, op_type);
  auto& r = registry();
  auto it = r.find(key);
  auto fb = fallbacks().find(key);
  if (fb == fallbacks().end()) return it == r.end() ? nullptr : &it->second;
  if (it == r.end()) return &fb->second;
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& c = composed();
  auto ct = c.find(key);
  if (ct != c.end()) return &ct->second;
  LayerFactory primary = it->second, fallback = fb->second;
  auto pref = preferences().find(key);
  LayerPreference prefer = pref == preferences().end() ? LayerPreference() : pref->second;
  auto both = [primary, fallback, prefer](const LayerBuild& b) -> std::unique_ptr<Layer> {
    if (prefer && prefer(b)) {
      try {
        return fallback(b);
      } catch (const Error& e) {
        if (e.code() != ErrorCode::kUnsupported) throw;
      }
    }
    try {
      return primary(b);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnsupported) throw;
      try {
        return fallback(b);
      } catch (const Error& e2) {
        if (e2.code() != ErrorCode::kUnsupported) throw;
        throw e;  // the primary's reason
      }
    }
  };
  return &c.emplace(key, std::move(both)).first->second;
}

std::vector<std::string> registered_layers() {
  check_duplicates();
  std::vector<std::string> out;
  for (const auto& [k, f] : registry()) out.push_back(k);
  for (const auto& [k, f] : fallbacks())
    if (!registry().count(k)) out.push_back(k);
  std::sort(out.begin(), out.end());
  return out;
}

void Layer::init(const LayerBuild& b, std::string kernel, DType float_dtype) {
  kernel_ = std::move(kernel);
  node_ = b.node;
  schema_ = b.schema;
  precision_ = b.precision;
  if (b.strongly_typed) {
    // The model's dtypes, unconverted; the float dtype (and the precision shown) is the one the node declares.
    precision_ = Precision::kFp32;
    DType declared = DType::kUndefined;
    for (size_t i = 0; i < b.node->num_outputs() && declared == DType::kUndefined; ++i) {
      const Value* v = b.node->output(i);
      if (v && v->type.is_tensor() && is_float(v->type.dtype)) declared = v->type.dtype;
    }
    for (size_t i = 0; i < b.input_types.size() && declared == DType::kUndefined; ++i)
      if (is_float(b.model_dtype(i))) declared = b.model_dtype(i);
    float_dtype_ = float_dtype != DType::kUndefined ? float_dtype
                   : declared != DType::kUndefined  ? declared
                                                    : DType::kFloat32;
  } else {
    float_dtype_ = float_dtype == DType::kUndefined ? precision_dtype(b.precision) : float_dtype;
  }
  if (float_dtype_ == DType::kFloat32 && precision_ != Precision::kTf32) precision_ = Precision::kFp32;
  if (float_dtype_ == DType::kFloat16) precision_ = Precision::kFp16;
  if (float_dtype_ == DType::kBFloat16) precision_ = Precision::kBf16;
  const DType f32_storage = b.strongly_typed ? DType::kFloat32 : float_dtype_;
  b.input_dtypes.assign(b.input_types.size(), DType::kUndefined);
  for (size_t i = 0; i < b.input_types.size(); ++i) {
    const DType t = b.model_dtype(i);
    b.input_dtypes[i] = t == DType::kFloat32 ? f32_storage : t;
  }
  b.output_dtypes.assign(b.node->num_outputs(), DType::kUndefined);
  for (size_t i = 0; i < b.node->num_outputs(); ++i) {
    const Value* v = b.node->output(i);
    if (!v || !v->type.is_tensor()) continue;
    b.output_dtypes[i] = v->type.dtype == DType::kFloat32 ? f32_storage : v->type.dtype;
  }
}

std::vector<Dims> Layer::output_shapes(const ShapeContext& ctx) const {
  if (!schema_ || !schema_->infer) fail_unsupported("no shape inference for this op");
  std::vector<TypeInfo> types(ctx.input_shapes.size());
  std::vector<InferContext::Input> ins(ctx.input_shapes.size());
  for (size_t i = 0; i < ctx.input_shapes.size(); ++i) {
    if (ctx.input_dtypes[i] == DType::kUndefined) continue;
    const Value* v = node_->input(i);
    const DType model = v && v->type.is_tensor() ? v->type.dtype : ctx.input_dtypes[i];
    types[i] = TypeInfo::tensor(model, Shape::from_dims(ctx.input_shapes[i]));
    ins[i].type = &types[i];
    ins[i].constant = i < ctx.host.size() ? ctx.host[i] : nullptr;
  }
  InferContext ic(*node_, std::move(ins));
  schema_->infer(ic);
  std::vector<Dims> out(node_->num_outputs());
  for (size_t i = 0; i < node_->num_outputs(); ++i) {
    if (!node_->output(i)) continue;
    const TypeInfo& t = i < ic.output_types().size() ? ic.output_types()[i] : TypeInfo{};
    auto dims = t.is_tensor() && t.has_shape ? t.shape.static_dims() : std::nullopt;
    if (!dims)
      fail_unsupported("output ", i, " has a data-dependent shape (", t.to_string(),
                       "): not supported by the cuda target");
    out[i] = std::move(*dims);
  }
  return out;
}

void require_float(const LayerBuild& b, size_t i) {
  const DType t = b.model_dtype(i);
  if (!is_float(t))
    fail_unsupported("input ", i, " is ", dtype_name(t), "; the cuda layer takes float32/float16/bfloat16");
}

void require_dtypes(const LayerBuild& b, size_t i, std::initializer_list<DType> allowed) {
  const DType t = b.model_dtype(i);
  if (std::find(allowed.begin(), allowed.end(), t) != allowed.end()) return;
  std::string names;
  for (DType a : allowed) names += (names.empty() ? "" : "/") + std::string(dtype_name(a));
  fail_unsupported("input ", i, " is ", dtype_name(t), "; the cuda layer takes ", names);
}

void require_host(const LayerBuild& b, size_t i, std::string_view what) {
  if (!b.has_input(i)) return;
  if (i >= b.host_values.size() || !b.host_values[i]) {
    b.wants_host.push_back(i);
    fail_unsupported("input ", i, " (", what,
                     ") is computed from device data: data-dependent shapes are not supported by the cuda target");
  }
}

}  // namespace onyx::cuda
