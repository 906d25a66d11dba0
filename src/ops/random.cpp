// Random ops: RandomUniform, RandomNormal, RandomUniformLike, RandomNormalLike (1; 22 adds bfloat16), Bernoulli
// (15; 22 widens types), Multinomial (7; 22 widens types). One kernel per op serves every version (bfloat16 is
// accepted throughout).
//
// None is deterministic (`.deterministic = false`: never folded at build time). With the `seed` attribute a run is
// reproducible: the seed's float bits seed a mt19937_64 engine, and values come from it by fixed transforms
// (53/24-bit uniform fractions, Box-Muller normals), so the same seed gives the same values on every platform. Without
// a seed each run draws a fresh seed from std::random_device.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <cstring>
#include <random>

#include "onyx/dtype_dispatch.h"
#include "op.h"

namespace onyx {
namespace {

class Rng {
 public:
  explicit Rng(const Node& node) {
    if (const Attribute* a = node.find_attr("seed")) {
      if (a->type != AttrType::kFloat) fail_bad_input(node.describe(), ": attribute seed must be a float");
      uint32_t bits;
      std::memcpy(&bits, &a->f, sizeof bits);
      engine_.seed(0x9E3779B97F4A7C15ULL ^ bits);
    } else {
      std::random_device rd;
      engine_.seed((static_cast<uint64_t>(rd()) << 32) ^ rd());
    }
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal() {
    if (have_spare_) {
      have_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2 * std::numbers::pi * u2);
    have_spare_ = true;
    return r * std::cos(2 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
  bool have_spare_ = false;
  double spare_ = 0;
};

DType dtype_attr(const Node& node, DType def) {
  const int64_t d = node.attr_int("dtype", static_cast<int64_t>(def));
  if (d > INT32_MAX || !dtype_is_valid(static_cast<int32_t>(d)))
    fail_bad_input(node.describe(), ": dtype ", d, " is not a valid data type");
  return static_cast<DType>(d);
}

void require_float(const Node& node, DType t) {
  if (t != DType::kFloat32 && t != DType::kFloat64 && t != DType::kFloat16 && t != DType::kBFloat16)
    fail_bad_input(node.describe(), ": output dtype must be float16, bfloat16, float or double, got ", dtype_name(t));
}

// Fills `out` (a float tensor) with draw() values.
template <typename Draw>
void fill(Tensor& out, Draw&& draw) {
  dispatch_float(out.dtype(), "random", [&]<typename T>() {
    T* o = out.data<T>();
    for (int64_t i = 0; i < out.numel(); ++i) o[i] = to_storage<T>(draw());
  });
}

// ---- RandomUniform / RandomNormal (+Like) -----------------------------------------------------------------------

enum class Dist { kUniform, kNormal };

std::vector<int64_t> shape_attr(const Node& node) {
  std::vector<int64_t> dims = node.required_attr("shape", AttrType::kInts).ints;
  for (int64_t d : dims)
    if (d < 0) fail_bad_input(node.describe(), ": shape has a negative dimension ", d);
  return dims;
}

DType like_dtype(const Node& node, DType input) {
  if (node.has_attr("dtype")) return dtype_attr(node, DType::kFloat32);
  return input;
}

template <bool kLike>
void infer_random(InferContext& ctx) {
  const Node& node = ctx.node();
  if constexpr (kLike) {
    const DType in = ctx.input_dtype(0);
    const DType dt = like_dtype(node, in);
    if (dt != DType::kUndefined) require_float(node, dt);
    ctx.set_output(0, dt, ctx.input_shape(0));
  } else {
    const DType dt = dtype_attr(node, DType::kFloat32);
    require_float(node, dt);
    std::vector<Dim> dims;
    for (int64_t d : shape_attr(node)) dims.emplace_back(d);
    ctx.set_output(0, dt, Shape(dims));
  }
}

template <Dist kDist, bool kLike>
void run_random(KernelContext& ctx) {
  const Node& node = ctx.node();
  DType dt;
  std::vector<int64_t> dims;
  if constexpr (kLike) {
    const Tensor& x = ctx.input(0);
    dt = like_dtype(node, x.dtype());
    dims = x.dims();
  } else {
    dt = dtype_attr(node, DType::kFloat32);
    dims = shape_attr(node);
  }
  require_float(node, dt);
  Tensor out(dt, dims);
  Rng rng(node);
  if constexpr (kDist == Dist::kUniform) {
    const double low = node.attr_float("low", 0.0f), high = node.attr_float("high", 1.0f);
    if (!(low <= high)) ctx.fail("low (", low, ") must not exceed high (", high, ")");
    fill(out, [&] { return low + (high - low) * rng.uniform(); });
  } else {
    const double mean = node.attr_float("mean", 0.0f), scale = node.attr_float("scale", 1.0f);
    fill(out, [&] { return mean + scale * rng.normal(); });
  }
  ctx.set_output(0, std::move(out));
}

// ---- Bernoulli --------------------------------------------------------------------------------------------------

void infer_bernoulli(InferContext& ctx) {
  const DType in = ctx.input_dtype(0);
  const DType dt = ctx.node().has_attr("dtype") ? dtype_attr(ctx.node(), DType::kFloat32) : in;
  ctx.set_output(0, dt, ctx.input_shape(0));
}

void run_bernoulli(KernelContext& ctx) {
  const Tensor& p = ctx.input(0);
  if (!dtype_is_float(p.dtype())) ctx.fail("input must be a float tensor of probabilities, got ", p.describe());
  const DType dt = ctx.node().has_attr("dtype") ? dtype_attr(ctx.node(), DType::kFloat32) : p.dtype();
  Rng rng(ctx.node());
  const std::vector<double> probs = p.to_double_vector();
  Tensor draws(DType::kFloat64, p.dims());
  double* d = draws.data<double>();
  for (size_t i = 0; i < probs.size(); ++i) {
    if (!(probs[i] >= 0 && probs[i] <= 1)) ctx.fail("probability ", probs[i], " at element ", i, " is outside [0, 1]");
    d[i] = rng.uniform() < probs[i] ? 1.0 : 0.0;
  }
  ctx.set_output(0, dt == DType::kFloat64 ? draws : draws.cast(dt));
}

// ---- Multinomial ------------------------------------------------------------------------------------------------

void infer_multinomial(InferContext& ctx) {
  const DType dt = dtype_attr(ctx.node(), DType::kInt32);
  if (dt != DType::kInt32 && dt != DType::kInt64) ctx.fail("dtype must be int32 or int64, got ", dtype_name(dt));
  const Shape& s = ctx.input_shape(0);
  const int64_t n = ctx.node().attr_int("sample_size", 1);
  if (!s.rank_known()) {
    ctx.set_output(0, dt, Shape({Dim(), Dim(n)}));
    return;
  }
  if (s.rank() != 2) ctx.fail("input must be [batch_size, class_size], got ", s.to_string());
  ctx.set_output(0, dt, Shape({s[0], Dim(n)}));
}

void run_multinomial(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (!dtype_is_float(x.dtype())) ctx.fail("input must be a float tensor of log-probabilities, got ", x.describe());
  if (x.rank() != 2) ctx.fail("input must be [batch_size, class_size], got ", x.describe());
  const DType dt = dtype_attr(ctx.node(), DType::kInt32);
  if (dt != DType::kInt32 && dt != DType::kInt64) ctx.fail("dtype must be int32 or int64, got ", dtype_name(dt));
  const int64_t n = ctx.node().attr_int("sample_size", 1);
  if (n < 0) ctx.fail("sample_size must not be negative, got ", n);
  const int64_t batch = x.dim(0), classes = x.dim(1);
  if (classes == 0 && n > 0) ctx.fail("cannot sample from zero classes");
  const std::vector<double> logits = x.to_double_vector();
  Tensor out(DType::kInt64, {batch, n});
  int64_t* o = out.data<int64_t>();
  Rng rng(ctx.node());
  std::vector<double> cdf(static_cast<size_t>(classes));
  for (int64_t b = 0; b < batch; ++b) {
    const double* row = logits.data() + b * classes;
    double mx = -INFINITY;
    for (int64_t c = 0; c < classes; ++c) mx = std::max(mx, row[c]);
    double total = 0;
    for (int64_t c = 0; c < classes; ++c) {
      total += std::isinf(mx) && mx < 0 ? 1.0 : std::exp(row[c] - mx);  // all -inf: uniform
      cdf[static_cast<size_t>(c)] = total;
    }
    if (!(total > 0) || !std::isfinite(total)) ctx.fail("row ", b, " has no valid probabilities (NaN or +inf)");
    for (int64_t k = 0; k < n; ++k) {
      const double u = rng.uniform() * total;
      const auto it = std::upper_bound(cdf.begin(), cdf.end(), u);
      o[b * n + k] = std::min<int64_t>(it - cdf.begin(), classes - 1);
    }
  }
  ctx.set_output(0, dt == DType::kInt64 ? out : out.cast(dt));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "RandomUniform", .since_version = 1, .inputs = {0, 0}, .infer = infer_random<false>,
                  .run = run_random<Dist::kUniform, false>, .deterministic = false});
ONYX_REGISTER_OP({.op_type = "RandomNormal", .since_version = 1, .inputs = {0, 0}, .infer = infer_random<false>,
                  .run = run_random<Dist::kNormal, false>, .deterministic = false});
ONYX_REGISTER_OP({.op_type = "RandomUniformLike", .since_version = 1, .inputs = {1, 1}, .infer = infer_random<true>,
                  .run = run_random<Dist::kUniform, true>, .deterministic = false});
ONYX_REGISTER_OP({.op_type = "RandomNormalLike", .since_version = 1, .inputs = {1, 1}, .infer = infer_random<true>,
                  .run = run_random<Dist::kNormal, true>, .deterministic = false});
ONYX_REGISTER_OP({.op_type = "Bernoulli", .since_version = 15, .inputs = {1, 1}, .infer = infer_bernoulli,
                  .run = run_bernoulli, .deterministic = false});
ONYX_REGISTER_OP({.op_type = "Multinomial", .since_version = 7, .inputs = {1, 1}, .infer = infer_multinomial,
                  .run = run_multinomial, .deterministic = false});

}  // namespace onyx
