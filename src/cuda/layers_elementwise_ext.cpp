// cuda layers over the elementwise kernels of ops_kernels.h: the remaining unary math ops, IsNaN/IsInf/Not/
// BitwiseNot, comparisons and logic, Mod/BitShift/Bitwise*, PRelu, Mean, CastLike; and fallbacks that widen the
// main layers (layer_elementwise.cpp) to float64 / integer types / device-data Clip bounds / mixed-type Pow.
#include <cctype>
#include <limits>
#include <map>

#include "layer_util.h"
#include "layers_ops_util.h"

namespace onyx::cuda {
namespace {

using namespace ext;

struct MathSpec {
  MathOp op;
  const char* alpha_name;  // attribute for alpha (nullptr: none)
  float alpha_def;
  const char* beta_name;
  float beta_def;
  bool ints;  // also integer types
};

const std::map<std::string, MathSpec>& math_specs() {
  static const std::map<std::string, MathSpec> m = {
      {"Tan", {MathOp::kTan, nullptr, 0, nullptr, 0, false}},
      {"Asin", {MathOp::kAsin, nullptr, 0, nullptr, 0, false}},
      {"Acos", {MathOp::kAcos, nullptr, 0, nullptr, 0, false}},
      {"Atan", {MathOp::kAtan, nullptr, 0, nullptr, 0, false}},
      {"Sinh", {MathOp::kSinh, nullptr, 0, nullptr, 0, false}},
      {"Cosh", {MathOp::kCosh, nullptr, 0, nullptr, 0, false}},
      {"Asinh", {MathOp::kAsinh, nullptr, 0, nullptr, 0, false}},
      {"Acosh", {MathOp::kAcosh, nullptr, 0, nullptr, 0, false}},
      {"Atanh", {MathOp::kAtanh, nullptr, 0, nullptr, 0, false}},
      {"Softsign", {MathOp::kSoftsign, nullptr, 0, nullptr, 0, false}},
      {"Celu", {MathOp::kCelu, "alpha", 1.f, nullptr, 0, false}},
      {"Mish", {MathOp::kMish, nullptr, 0, nullptr, 0, false}},
      {"ThresholdedRelu", {MathOp::kThresholdedRelu, "alpha", 1.f, nullptr, 0, false}},
      {"Shrink", {MathOp::kShrink, "lambd", 0.5f, "bias", 0.f, false}},
  };
  return m;
}

// The main layer file's unary ops, here for float64 (and Abs/Neg/Sign for integers).
const std::map<std::string, MathSpec>& fallback_math_specs() {
  static const std::map<std::string, MathSpec> m = {
      {"Relu", {MathOp::kRelu, nullptr, 0, nullptr, 0, false}},
      {"Sigmoid", {MathOp::kSigmoid, nullptr, 0, nullptr, 0, false}},
      {"Tanh", {MathOp::kTanh, nullptr, 0, nullptr, 0, false}},
      {"Exp", {MathOp::kExp, nullptr, 0, nullptr, 0, false}},
      {"Log", {MathOp::kLog, nullptr, 0, nullptr, 0, false}},
      {"Sqrt", {MathOp::kSqrt, nullptr, 0, nullptr, 0, false}},
      {"Reciprocal", {MathOp::kReciprocal, nullptr, 0, nullptr, 0, false}},
      {"Abs", {MathOp::kAbs, nullptr, 0, nullptr, 0, true}},
      {"Neg", {MathOp::kNeg, nullptr, 0, nullptr, 0, true}},
      {"Sign", {MathOp::kSign, nullptr, 0, nullptr, 0, true}},
      {"Erf", {MathOp::kErf, nullptr, 0, nullptr, 0, false}},
      {"Sin", {MathOp::kSin, nullptr, 0, nullptr, 0, false}},
      {"Cos", {MathOp::kCos, nullptr, 0, nullptr, 0, false}},
      {"Floor", {MathOp::kFloor, nullptr, 0, nullptr, 0, false}},
      {"Ceil", {MathOp::kCeil, nullptr, 0, nullptr, 0, false}},
      {"Round", {MathOp::kRound, nullptr, 0, nullptr, 0, false}},
      {"HardSwish", {MathOp::kHardSwish, nullptr, 0, nullptr, 0, false}},
      {"Softplus", {MathOp::kSoftplus, nullptr, 0, nullptr, 0, false}},
      {"LeakyRelu", {MathOp::kLeakyRelu, "alpha", 0.01f, nullptr, 0, false}},
      {"Elu", {MathOp::kElu, "alpha", 1.f, nullptr, 0, false}},
      {"Selu", {MathOp::kSelu, "alpha", 1.67326319217681884765625f, "gamma", 1.05070102214813232421875f, false}},
      {"HardSigmoid", {MathOp::kHardSigmoid, "alpha", 0.2f, "beta", 0.5f, false}},
  };
  return m;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

LayerFactory math_factory(const std::string& op, MathSpec spec) {
  return [op, spec](const LayerBuild& b) -> std::unique_ptr<Layer> {
    if (spec.ints)
      require(b, 0, [](DType t) { return is_float_dtype(t) || is_int_dtype(t); }, "numeric types");
    else
      require_float_any(b, 0);
    const float alpha = spec.alpha_name ? b.n().attr_float(spec.alpha_name, spec.alpha_def) : 0.f;
    const float beta = spec.beta_name ? b.n().attr_float(spec.beta_name, spec.beta_def) : 0.f;
    if (spec.op == MathOp::kCelu && alpha == 0.f) fail_bad_input(b.n().describe(), ": Celu alpha must not be 0");
    return std::make_unique<FnLayer>(b, "cuda.math." + lower(op),
                                     [spec, alpha, beta](LayerContext& ctx, const std::vector<DeviceTensor>& in,
                                                         const std::vector<DeviceTensor>& out) {
                                       math_unary(spec.op, in[0].dtype, in[0].data, out[0].data, in[0].numel(),
                                                  ctx.stream, alpha, beta);
                                     });
  };
}

// Same-dtype inputs check (the engine may store model float32 inputs in the layer's float dtype: both alike).
void require_same_dtypes(const LayerBuild& b) {
  const DType t = b.model_dtype(0);
  for (size_t i = 1; i < b.input_types.size(); ++i)
    if (b.has_input(i) && b.model_dtype(i) != t)
      fail_unsupported("inputs of different dtypes (", dtype_name(t), ", ", dtype_name(b.model_dtype(i)), ")");
}

LayerFactory compare_factory(const std::string& op, CompareOp cop) {
  return [op, cop](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_plain(b, 0);
    require_same_dtypes(b);
    // Comparisons run on float32 values (no half-precision rounding before an exact test).
    return std::make_unique<FnLayer>(
        b, "cuda.compare." + lower(op),
        [cop](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          compare(cop, in[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, static_cast<bool*>(out[0].data),
                  ctx.stream);
        },
        std::vector<int>{}, DType::kFloat32);
  };
}

LayerFactory arith_factory(const std::string& kernel, ArithOp aop, bool (*ok)(DType), const char* what) {
  return [kernel, aop, ok, what](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require(b, 0, ok, what);
    require_same_dtypes(b);
    return std::make_unique<FnLayer>(
        b, kernel, [aop](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          arith(aop, out[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, out[0].data, ctx.stream);
        });
  };
}

bool is_bool(DType t) { return t == DType::kBool; }
bool is_unsigned(DType t) {
  return t == DType::kUInt8 || t == DType::kUInt16 || t == DType::kUInt32 || t == DType::kUInt64;
}

// Variadic Sum/Mean/Max/Min (and the binary arithmetic fallbacks) for every numeric type.
LayerFactory variadic_factory(const std::string& op, VariadicOp vop) {
  return [op, vop](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    require_same_dtypes(b);
    if (b.input_types.size() > 8) fail_unsupported("more than 8 inputs");
    return std::make_unique<FnLayer>(
        b, "cuda.variadic." + lower(op),
        [vop](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          std::vector<const void*> ptrs;
          std::vector<Dims> shapes;
          for (const DeviceTensor& t : in) {
            ptrs.push_back(t.data);
            shapes.push_back(t.dims);
          }
          variadic(vop, out[0].dtype, ptrs, shapes, out[0].data, out[0].dims, ctx.stream);
        });
  };
}

LayerFactory binary_fallback(const std::string& op, ArithOp aop) {
  return [op, aop](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_numeric(b, 0);
    if (op == "Pow" && b.model_dtype(1) != b.model_dtype(0)) {
      require_numeric(b, 1);
      return std::make_unique<FnLayer>(
          b, "cuda.pow.mixed",
          [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
            pow_mixed(in[0].dtype, in[0].data, in[0].dims, in[1].dtype, in[1].data, in[1].dims, out[0].data,
                      ctx.stream);
          });
    }
    require_same_dtypes(b);
    return std::make_unique<FnLayer>(
        b, "cuda.arith." + lower(op),
        [aop](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          arith(aop, out[0].dtype, in[0].data, in[0].dims, in[1].data, in[1].dims, out[0].data, ctx.stream);
        });
  };
}

std::unique_ptr<Layer> make_cast(const LayerBuild& b, const char* kernel) {
  require_plain(b, 0);
  require_output_plain(b, 0);
  return std::make_unique<FnLayer>(
      b, kernel, [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        convert(in[0].dtype, out[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream);
      },
      std::vector<int>{}, cast_float_dtype(b));
}

// Clip with bounds from device data (or integer / float64 inputs): max then min, in place in the output.
std::unique_ptr<Layer> make_clip(const LayerBuild& b) {
  if (b.n().opset < 11) fail_unsupported("Clip-6 (attribute bounds) of ", dtype_name(b.model_dtype(0)));
  require_numeric(b, 0);
  require_same_dtypes(b);
  return std::make_unique<FnLayer>(
      b, "cuda.clip.tensor",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        const DeviceTensor& y = out[0];
        const void* src = in[0].data;
        Dims src_dims = in[0].dims;
        bool wrote = false;
        for (size_t i = 1; i < 3 && i < in.size(); ++i) {
          if (!in[i].present()) continue;
          arith(i == 1 ? ArithOp::kMax : ArithOp::kMin, y.dtype, src, src_dims, in[i].data, in[i].dims, y.data,
                ctx.stream);
          src = y.data;
          src_dims = y.dims;
          wrote = true;
        }
        if (!wrote) copy_device(y.data, in[0].data, y.nbytes(), ctx.stream);
      });
}

std::unique_ptr<Layer> make_where(const LayerBuild& b) {
  require(b, 0, is_bool, "bool");
  require_plain(b, 1);
  if (b.model_dtype(1) != b.model_dtype(2)) fail_unsupported("X and Y of different dtypes");
  return std::make_unique<FnLayer>(
      b, "cuda.where.any",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        where_any(out[0].dtype, static_cast<const bool*>(in[0].data), in[0].dims, in[1].data, in[1].dims, in[2].data,
                  in[2].dims, out[0].data, out[0].dims, ctx.stream);
      });
}

std::unique_ptr<Layer> make_expand(const LayerBuild& b) {
  require_plain(b, 0);
  require_host(b, 1, "shape");
  return std::make_unique<FnLayer>(
      b, "cuda.expand.any",
      [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
        expand_any(out[0].dtype, in[0].data, in[0].dims, out[0].dims, out[0].data, ctx.stream);
      },
      std::vector<int>{1});
}

const bool kRegistered = [] {
  for (const auto& [op, spec] : math_specs()) register_layer("", op, math_factory(op, spec));
  for (const auto& [op, spec] : fallback_math_specs()) register_fallback_layer("", op, math_factory(op, spec));

  register_layer("", "IsNaN", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    return std::make_unique<FnLayer>(
        b, "cuda.isnan", [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          is_nan_inf(in[0].dtype, in[0].data, static_cast<bool*>(out[0].data), in[0].numel(), true, false, false,
                     ctx.stream);
        });
  });
  register_layer("", "IsInf", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    require_float_any(b, 0);
    const bool pos = b.n().attr_int("detect_positive", 1) != 0, neg = b.n().attr_int("detect_negative", 1) != 0;
    return std::make_unique<FnLayer>(
        b, "cuda.isinf",
        [pos, neg](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
          is_nan_inf(in[0].dtype, in[0].data, static_cast<bool*>(out[0].data), in[0].numel(), false, pos, neg,
                     ctx.stream);
        });
  });
  auto not_factory = [](bool (*ok)(DType), const char* what, const char* kernel) {
    return [ok, what, kernel](const LayerBuild& b) -> std::unique_ptr<Layer> {
      require(b, 0, ok, what);
      return std::make_unique<FnLayer>(
          b, kernel, [](LayerContext& ctx, const std::vector<DeviceTensor>& in, const std::vector<DeviceTensor>& out) {
            bit_not(in[0].dtype, in[0].data, out[0].data, in[0].numel(), ctx.stream);
          });
    };
  };
  register_fallback_layer("", "Not", not_factory(is_bool, "bool", "cuda.not"));
  register_layer("", "BitwiseNot", not_factory(is_int_dtype, "integer types", "cuda.bitwise_not"));

  register_fallback_layer("", "Equal", compare_factory("Equal", CompareOp::kEqual));
  register_fallback_layer("", "Less", compare_factory("Less", CompareOp::kLess));
  register_fallback_layer("", "LessOrEqual", compare_factory("LessOrEqual", CompareOp::kLessOrEqual));
  register_fallback_layer("", "Greater", compare_factory("Greater", CompareOp::kGreater));
  register_fallback_layer("", "GreaterOrEqual", compare_factory("GreaterOrEqual", CompareOp::kGreaterOrEqual));

  register_fallback_layer("", "And", arith_factory("cuda.logic.and", ArithOp::kBitAnd, is_bool, "bool"));
  register_fallback_layer("", "Or", arith_factory("cuda.logic.or", ArithOp::kBitOr, is_bool, "bool"));
  register_fallback_layer("", "Xor", arith_factory("cuda.logic.xor", ArithOp::kBitXor, is_bool, "bool"));
  register_layer("", "BitwiseAnd", arith_factory("cuda.bitwise.and", ArithOp::kBitAnd, is_int_dtype, "integers"));
  register_layer("", "BitwiseOr", arith_factory("cuda.bitwise.or", ArithOp::kBitOr, is_int_dtype, "integers"));
  register_layer("", "BitwiseXor", arith_factory("cuda.bitwise.xor", ArithOp::kBitXor, is_int_dtype, "integers"));
  register_layer("", "BitShift", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    const std::string dir = b.n().attr_string("direction", "");
    if (dir != "LEFT" && dir != "RIGHT")
      fail_bad_input(b.n().describe(), ": direction must be LEFT or RIGHT, got '", dir, "'");
    return arith_factory(dir == "LEFT" ? "cuda.bitshift.left" : "cuda.bitshift.right",
                         dir == "LEFT" ? ArithOp::kShiftLeft : ArithOp::kShiftRight, is_unsigned,
                         "unsigned integers")(b);
  });
  register_layer("", "Mod", [](const LayerBuild& b) -> std::unique_ptr<Layer> {
    const bool fmod = b.n().attr_int("fmod", 0) != 0;
    if (!fmod && is_float_dtype(b.model_dtype(0)))
      fail_bad_input(b.n().describe(), ": Mod of floats needs fmod=1");
    return arith_factory(fmod ? "cuda.mod.fmod" : "cuda.mod", fmod ? ArithOp::kFmod : ArithOp::kMod,
                         is_numeric_dtype, "numeric types")(b);
  });
  register_fallback_layer("", "PRelu", arith_factory("cuda.prelu", ArithOp::kPRelu, is_numeric_dtype, "numeric types"));
  register_fallback_layer("", "Mean", variadic_factory("Mean", VariadicOp::kMean));
  register_fallback_layer("", "CastLike", [](const LayerBuild& b) { return make_cast(b, "cuda.castlike"); });

  // Fallbacks of the main elementwise layers.
  register_fallback_layer("", "Sum", variadic_factory("Sum", VariadicOp::kSum));
  register_fallback_layer("", "Max", variadic_factory("Max", VariadicOp::kMax));
  register_fallback_layer("", "Min", variadic_factory("Min", VariadicOp::kMin));
  register_fallback_layer("", "Add", binary_fallback("Add", ArithOp::kAdd));
  register_fallback_layer("", "Sub", binary_fallback("Sub", ArithOp::kSub));
  register_fallback_layer("", "Mul", binary_fallback("Mul", ArithOp::kMul));
  register_fallback_layer("", "Div", binary_fallback("Div", ArithOp::kDiv));
  register_fallback_layer("", "Pow", binary_fallback("Pow", ArithOp::kPow));
  register_fallback_layer("", "Cast", [](const LayerBuild& b) { return make_cast(b, "cuda.cast.any"); });
  register_fallback_layer("", "Clip", make_clip);
  register_fallback_layer("", "Where", make_where);
  register_fallback_layer("", "Expand", make_expand);
  return true;
}();

}  // namespace
}  // namespace onyx::cuda
