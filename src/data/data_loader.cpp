// Seeded synthetic inputs. The random draws reproduce numpy's legacy RandomState (MT19937 seeded like
// `RandomState(seed)`, random_sample()'s 53-bit doubles, randint()'s masked rejection sampling with its byte
// buffering for 8/16-bit types and bit buffering for bools), so `onyx run --seed N` feeds exactly what
// `polygraphy run --seed N` feeds.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "onyx/data.h"
#include "onyx/dtype_dispatch.h"

namespace onyx {

namespace {

class NumpyRandom {
 public:
  explicit NumpyRandom(uint32_t seed) : mt_(seed) {}
  uint32_t next_u32() { return static_cast<uint32_t>(mt_()); }
  uint64_t next_u64() {
    const uint64_t hi = next_u32();
    return (hi << 32) | next_u32();
  }
  double next_double() {
    const uint32_t a = next_u32() >> 5, b = next_u32() >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

 private:
  std::mt19937 mt_;
};

uint64_t gen_mask(uint64_t max) {
  uint64_t m = max;
  m |= m >> 1;
  m |= m >> 2;
  m |= m >> 4;
  m |= m >> 8;
  m |= m >> 16;
  m |= m >> 32;
  return m;
}

// Fills `out` (cnt values, as uint64 offsets from `off`) the way numpy's random_bounded_uintN_fill does for
// `bits`-wide types with masked sampling. `rng` = high - low (inclusive range width).
void bounded_fill(NumpyRandom& r, int bits, uint64_t rng, std::vector<uint64_t>& out) {
  uint32_t buf = 0;
  int bcnt = 0;
  auto buffered = [&](int width) -> uint32_t {
    if (width == 32) return r.next_u32();
    if (bcnt == 0) {
      buf = r.next_u32();
      bcnt = 32 / width - 1;
    } else {
      buf >>= width;
      --bcnt;
    }
    return width == 16 ? (buf & 0xFFFF) : (buf & 0xFF);
  };
  if (rng == 0) {
    std::fill(out.begin(), out.end(), 0);
    return;
  }
  if (bits == 1) {  // bool
    for (auto& v : out) {
      if (bcnt == 0) {
        buf = r.next_u32();
        bcnt = 31;
      } else {
        buf >>= 1;
        --bcnt;
      }
      v = buf & 1;
    }
    return;
  }
  const int width = bits == 64 ? 32 : bits;
  const uint64_t full =
      bits == 64 ? 0xFFFFFFFFFFFFFFFFull : (bits == 32 ? 0xFFFFFFFFull : (1ull << bits) - 1);
  if (bits == 64 && rng > 0xFFFFFFFFull) {
    const uint64_t mask = gen_mask(rng);
    for (auto& v : out) {
      if (rng == full) {
        v = r.next_u64();
        continue;
      }
      uint64_t x;
      while ((x = (r.next_u64() & mask)) > rng) {
      }
      v = x;
    }
    return;
  }
  if (rng == full || (bits == 64 && rng == 0xFFFFFFFFull)) {
    for (auto& v : out) v = buffered(width);
    return;
  }
  const uint64_t mask = gen_mask(rng);
  for (auto& v : out) {
    uint64_t x;
    while ((x = (buffered(width) & mask)) > rng) {
    }
    v = x;
  }
}

// How a model uses an integer input.
enum Role {
  kRoleNone = 0,
  kRoleReshapeShape,  // Reshape's shape: [-1, 1, 1, ...] fits any data
  kRoleOnes,          // Expand shape, Tile repeats, ConstantOfShape shape, Slice steps
  kRoleIndex,         // values in [0, bound)
  kRoleZeros,         // Slice starts, Pad pads, GatherND/ScatterND indices
  kRoleMaxInt,        // Slice ends
  kRoleArange,        // axes: 0, 1, 2, ...
};

struct Use {
  Role role = kRoleNone;
  const Value* data = nullptr;  // for index roles: the indexed tensor
  int64_t axis = 0;
};

Use use_of(const Node& n, size_t input) {
  const std::string& op = n.op_type;
  if (!n.domain.empty() && n.domain != "ai.onnx") return {};
  if (op == "Reshape" && input == 1) return {kRoleReshapeShape};
  if ((op == "Expand" || op == "Tile") && input == 1) return {kRoleOnes};
  if (op == "ConstantOfShape" && input == 0) return {kRoleOnes};
  if (op == "Slice") {
    if (input == 1) return {kRoleZeros};
    if (input == 2) return {kRoleMaxInt};
    if (input == 3) return {kRoleArange};
    if (input == 4) return {kRoleOnes};
  }
  if (op == "Pad" && input == 1) return {kRoleZeros};
  if ((op == "Unsqueeze" || op.rfind("Reduce", 0) == 0) && input == 1) return {kRoleArange};
  if ((op == "Gather" || op == "GatherElements" || op == "ScatterElements" || op == "Scatter") &&
      input == 1) {
    Use u{kRoleIndex, n.input(0)};
    u.axis = 0;
    if (const Attribute* a = n.find_attr("axis"); a && a->type == AttrType::kInt) u.axis = a->i;
    return u;
  }
  if ((op == "GatherND" || op == "ScatterND") && input == 1) return {kRoleZeros};
  if (op == "OneHot" && input == 0) return {kRoleZeros};
  return {};
}

std::vector<int64_t> parse_int_list(const std::string& text, const std::string& item) {
  std::vector<int64_t> out;
  std::string cur;
  auto flush = [&] {
    size_t a = cur.find_first_not_of(" \t"), b = cur.find_last_not_of(" \t");
    if (a == std::string::npos) {
      if (!out.empty() || !cur.empty()) fail_bad_input("'", item, "': empty dimension");
      return;
    }
    const std::string t = cur.substr(a, b - a + 1);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (errno || *end != '\0') fail_bad_input("'", item, "': '", t, "' is not an integer");
    out.push_back(v);
    cur.clear();
  };
  for (char c : text) {
    if (c == ',') {
      flush();
      if (out.empty()) fail_bad_input("'", item, "': empty dimension");
    } else {
      cur.push_back(c);
    }
  }
  if (!text.empty()) flush();
  return out;
}

// Splits "a:[1,2],b:[3]" at commas outside brackets.
std::vector<std::string> split_top_level(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    int depth = 0;
    std::string cur;
    for (char c : item) {
      if (c == '[') ++depth;
      if (c == ']') --depth;
      if (c == ',' && depth == 0) {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

// "name:[...]" → (name, inside); "[...]" → ("", inside).
std::pair<std::string, std::string> split_entry(const std::string& entry, const char* what) {
  const size_t open = entry.find('[');
  if (open == std::string::npos || entry.back() != ']')
    fail_bad_input(what, ": '", entry, "' is not NAME:[...] (e.g. x:[1,3,224,224])");
  std::string name;
  if (open > 0) {
    if (entry[open - 1] != ':') fail_bad_input(what, ": '", entry, "' is not NAME:[...]");
    name = entry.substr(0, open - 1);
    if (name.empty()) fail_bad_input(what, ": '", entry, "' has an empty name");
  }
  return {name, entry.substr(open + 1, entry.size() - open - 2)};
}

}  // namespace

std::map<std::string, std::vector<int64_t>> parse_input_shapes(const std::vector<std::string>& items) {
  std::map<std::string, std::vector<int64_t>> out;
  for (const std::string& e : split_top_level(items)) {
    auto [name, inside] = split_entry(e, "--input-shapes");
    if (name.empty()) fail_bad_input("--input-shapes: '", e, "' needs an input name (x:[1,3,224,224])");
    std::vector<int64_t> dims = parse_int_list(inside, e);
    for (int64_t d : dims)
      if (d < 0) fail_bad_input("--input-shapes: '", e, "' has a negative dimension");
    if (!out.emplace(name, dims).second) fail_bad_input("--input-shapes: input '", name, "' given twice");
  }
  return out;
}

std::map<std::string, ValueRange> parse_val_ranges(const std::vector<std::string>& items) {
  std::map<std::string, ValueRange> out;
  for (const std::string& e : split_top_level(items)) {
    auto [name, inside] = split_entry(e, "--val-range");
    const size_t comma = inside.find(',');
    if (comma == std::string::npos || inside.find(',', comma + 1) != std::string::npos)
      fail_bad_input("--val-range: '", e, "' needs exactly two numbers [lo,hi]");
    auto number = [&](std::string t) {
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      char* end = nullptr;
      const double v = std::strtod(t.c_str(), &end);
      if (t.empty() || *end != '\0' || std::isnan(v))
        fail_bad_input("--val-range: '", e, "': '", t, "' is not a number");
      return v;
    };
    ValueRange r{number(inside.substr(0, comma)), number(inside.substr(comma + 1))};
    if (r.lo > r.hi) fail_bad_input("--val-range: '", e, "': lower bound is above upper bound");
    if (!out.emplace(name, r).second)
      fail_bad_input(
          "--val-range: ", name.empty() ? std::string("the default range") : "input '" + name + "'",
          " given twice");
  }
  return out;
}

DataLoader::DataLoader(TensorMetadata inputs, DataLoaderOptions options, const Graph* graph)
    : inputs_(std::move(inputs)), options_(std::move(options)) {
  if (options_.iterations < 0) fail_bad_input("--iterations must be at least 1");
  if (options_.seed + static_cast<uint64_t>(std::max(options_.iterations, 1)) - 1 > 0xFFFFFFFFull)
    fail_bad_input("--seed: seed + iterations must stay below 2^32 (numpy's limit)");
  std::set<std::string> names;
  for (const TensorMeta& m : inputs_) names.insert(m.name);
  auto known = [&] {
    std::string s;
    for (const TensorMeta& m : inputs_) s += (s.empty() ? "" : ", ") + m.name;
    return s.empty() ? std::string("none") : s;
  };
  for (const auto& [name, dims] : options_.input_shapes)
    if (!names.count(name))
      fail_bad_input("--input-shapes: unknown input '", name, "' (the model's inputs: ", known(), ")");
  for (const auto& [name, r] : options_.val_ranges)
    if (!name.empty() && !names.count(name))
      fail_bad_input("--val-range: unknown input '", name, "' (the model's inputs: ", known(), ")");

  for (const TensorMeta& m : inputs_) {
    Plan p;
    p.meta = m;
    if (m.dtype == DType::kUndefined)
      fail_bad_input("input '", m.name, "' has no known dtype: give it with --load-inputs");
    const auto user = options_.input_shapes.find(m.name);
    const bool is_int = dtype_is_integer(m.dtype);
    // A shape input: 1-D integer of static length n, and the user gave n numbers: they are its values.
    if (user != options_.input_shapes.end() && is_int && m.shape.rank_known() && m.shape.rank() == 1 &&
        m.shape[0].is_known() && static_cast<size_t>(m.shape[0].value()) == user->second.size() &&
        !(user->second.size() == 1 && user->second[0] == m.shape[0].value())) {
      p.dims = {m.shape[0].value()};
      p.values = user->second;
      plans_.push_back(std::move(p));
      continue;
    }
    if (user != options_.input_shapes.end()) {
      const auto& u = user->second;
      bool ok = !m.shape.rank_known() || m.shape.rank() == u.size();
      for (size_t i = 0; ok && m.shape.rank_known() && i < u.size(); ++i)
        if (m.shape[i].is_known() && m.shape[i].value() != u[i]) ok = false;
      if (!ok)
        fail_bad_input("--input-shapes: ", m.name, ":", dims_to_string(u), " does not fit the model's shape ",
                       m.shape.to_string());
      p.dims = u;
    } else {
      if (!m.shape.rank_known())
        fail_bad_input("input '", m.name, "' has unknown rank: give its shape with --input-shapes ", m.name,
                       ":[...]");
      const auto prof = options_.profile_opt.find(m.name);
      const bool prof_ok = prof != options_.profile_opt.end() && prof->second.size() == m.shape.rank();
      for (size_t i = 0; i < m.shape.rank(); ++i)
        p.dims.push_back(m.shape[i].is_known() ? m.shape[i].value() : prof_ok ? prof->second[i] : 1);
    }
    checked_numel(p.dims);
    const auto vr = options_.val_ranges.find(m.name);
    if (vr != options_.val_ranges.end()) {
      p.range = vr->second;
      p.range_given = true;
    } else if (const auto def = options_.val_ranges.find(""); def != options_.val_ranges.end()) {
      p.range = def->second;
    }
    plans_.push_back(std::move(p));
  }

  // How the model uses each integer input (first use that has a role wins).
  if (graph) {
    for (Plan& p : plans_) {
      if (!dtype_is_integer(p.meta.dtype) || p.range_given || p.values) continue;
      const Value* v = graph->find_value(p.meta.name);
      if (!v) continue;
      for (const auto& [node, index] : v->uses()) {
        const Use u = use_of(*node, static_cast<size_t>(index));
        if (u.role == kRoleNone) continue;
        p.role = u.role;
        if (u.role == kRoleIndex && u.data) {
          // The indexed tensor's dims: a generated input's concrete shape, an initializer's, or the inferred
          // type.
          std::optional<std::vector<int64_t>> dims;
          for (const Plan& q : plans_)
            if (q.meta.name == u.data->name()) dims = q.dims;
          if (!dims && u.data->is_initializer()) dims = u.data->initializer->dims();
          if (!dims && u.data->type.is_tensor() && u.data->type.shape.rank_known()) {
            const Shape& s = u.data->type.shape;
            int64_t ax = u.axis < 0 ? u.axis + static_cast<int64_t>(s.rank()) : u.axis;
            if (ax >= 0 && ax < static_cast<int64_t>(s.rank()) && s[ax].is_known())
              p.index_bound = s[ax].value();
          }
          if (dims) {
            const int64_t r = static_cast<int64_t>(dims->size());
            const int64_t ax = u.axis < 0 ? u.axis + r : u.axis;
            if (ax >= 0 && ax < r) p.index_bound = (*dims)[ax];
          }
        }
        break;
      }
    }
  }
}

std::vector<int64_t> DataLoader::concrete_shape(const std::string& name) const {
  for (const Plan& p : plans_)
    if (p.meta.name == name) return p.dims;
  fail_bad_input("no input named '", name, "'");
}

NamedTensors DataLoader::operator[](int i) const {
  if (i < 0 || i >= options_.iterations) fail_bad_input("DataLoader: iteration ", i, " out of range");
  NumpyRandom rng(static_cast<uint32_t>(options_.seed + static_cast<uint64_t>(i)));
  NamedTensors out;
  for (const Plan& p : plans_) {
    Tensor t = [&] {
      try {
        return Tensor(p.meta.dtype, p.dims);
      } catch (const Error& e) {
        throw Error(e.code(), "generating input '" + p.meta.name + "': " + e.what());
      }
    }();
    const int64_t n = t.numel();
    if (p.values) {
      dispatch_integer(p.meta.dtype, "shape input", [&]<typename T>() {
        for (int64_t k = 0; k < n; ++k) t.data<T>()[k] = static_cast<T>((*p.values)[k]);
      });
      out.emplace_back(p.meta.name, std::move(t));
      continue;
    }
    const DType dt = p.meta.dtype;
    if (dt == DType::kString)
      fail_unsupported("input '", p.meta.name, "' is a string tensor: give it with --load-inputs");
    if (dtype_is_integer(dt) && p.role != kRoleNone && p.role != kRoleIndex) {
      dispatch_integer(dt, "input", [&]<typename T>() {
        // Slice ends: the largest value of the dtype (int64 at most), which Slice clamps to the dim.
        const int64_t max_value = sizeof(T) >= sizeof(int64_t)
                                      ? std::numeric_limits<int64_t>::max()
                                      : static_cast<int64_t>(std::numeric_limits<T>::max());
        T* d = t.data<T>();
        for (int64_t k = 0; k < n; ++k) {
          int64_t v = 0;
          switch (p.role) {
            case kRoleReshapeShape:
              v = k == 0 ? -1 : 1;
              break;
            case kRoleOnes:
              v = 1;
              break;
            case kRoleMaxInt:
              v = max_value;
              break;
              v = static_cast<int64_t>(std::numeric_limits<T>::max() > std::numeric_limits<int64_t>::max() / 2
                                           ? std::numeric_limits<int64_t>::max()
                                           : static_cast<int64_t>(std::numeric_limits<T>::max()));
              break;
            case kRoleArange:
              v = k;
              break;
            default:
              v = 0;
          }
          if constexpr (std::is_unsigned_v<T>)
            d[k] = static_cast<T>(v < 0 ? 1 : v);
          else
            d[k] = static_cast<T>(v);
        }
      });
      out.emplace_back(p.meta.name, std::move(t));
      continue;
    }
    if (dtype_is_integer(dt) || dt == DType::kBool) {
      int64_t lo, hi;
      if (p.role == kRoleIndex) {
        lo = 0;
        hi = std::max<int64_t>(p.index_bound - 1, 0);
      } else {
        // Like Python's int(): truncate toward zero, then clamp to the dtype.
        lo = static_cast<int64_t>(std::clamp(std::trunc(p.range.lo), -9.2e18, 9.2e18));
        hi = static_cast<int64_t>(std::clamp(std::trunc(p.range.hi), -9.2e18, 9.2e18));
      }
      std::vector<uint64_t> draws(static_cast<size_t>(n));
      if (dt == DType::kBool) {
        const bool blo = p.range.lo != 0, bhi = p.range.hi != 0;
        bounded_fill(rng, 1, static_cast<uint64_t>(bhi) - static_cast<uint64_t>(blo), draws);
        bool* d = t.data<bool>();
        for (int64_t k = 0; k < n; ++k) d[k] = (static_cast<uint64_t>(blo) + draws[k]) != 0;
      } else {
        dispatch_integer(dt, "input", [&]<typename T>() {
          lo = std::clamp<int64_t>(lo, static_cast<int64_t>(std::numeric_limits<T>::min()),
                                   std::is_same_v<T, uint64_t>
                                       ? std::numeric_limits<int64_t>::max()
                                       : static_cast<int64_t>(std::numeric_limits<T>::max()));
          hi = std::clamp<int64_t>(hi, lo,
                                   std::is_same_v<T, uint64_t>
                                       ? std::numeric_limits<int64_t>::max()
                                       : static_cast<int64_t>(std::numeric_limits<T>::max()));
          const uint64_t width = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
          bounded_fill(rng, static_cast<int>(sizeof(T) * 8), width, draws);
          T* d = t.data<T>();
          for (int64_t k = 0; k < n; ++k) d[k] = static_cast<T>(static_cast<uint64_t>(lo) + draws[k]);
        });
      }
      out.emplace_back(p.meta.name, std::move(t));
      continue;
    }
    const double lo = p.range.lo, span = p.range.hi - p.range.lo;
    switch (dt) {
      case DType::kFloat64: {
        double* d = t.data<double>();
        for (int64_t k = 0; k < n; ++k) d[k] = rng.next_double() * span + lo;
        break;
      }
      case DType::kFloat32: {
        float* d = t.data<float>();
        for (int64_t k = 0; k < n; ++k) d[k] = static_cast<float>(rng.next_double() * span + lo);
        break;
      }
      case DType::kFloat16: {
        Float16* d = t.data<Float16>();
        for (int64_t k = 0; k < n; ++k) d[k] = Float16(static_cast<float>(rng.next_double() * span + lo));
        break;
      }
      case DType::kBFloat16: {
        BFloat16* d = t.data<BFloat16>();
        for (int64_t k = 0; k < n; ++k) d[k] = BFloat16(static_cast<float>(rng.next_double() * span + lo));
        break;
      }
      case DType::kFloat8E4M3FN: {
        Float8E4M3FN* d = t.data<Float8E4M3FN>();
        for (int64_t k = 0; k < n; ++k)
          d[k] = Float8E4M3FN(static_cast<float>(rng.next_double() * span + lo));
        break;
      }
      case DType::kFloat8E5M2: {
        Float8E5M2* d = t.data<Float8E5M2>();
        for (int64_t k = 0; k < n; ++k) d[k] = Float8E5M2(static_cast<float>(rng.next_double() * span + lo));
        break;
      }
      default:
        fail_unsupported("input '", p.meta.name, "': cannot generate data of dtype ", dtype_name(dt),
                         " (give it with --load-inputs)");
    }
    out.emplace_back(p.meta.name, std::move(t));
  }
  return out;
}

}  // namespace onyx
