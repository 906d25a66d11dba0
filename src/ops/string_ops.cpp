// String ops: StringNormalizer (10), RegexFullMatch (20), StringConcat (20), StringSplit (20).
//
// RegexFullMatch: the spec names RE2 syntax; onyx uses std::regex with the ECMAScript grammar, which agrees with RE2
// on the common subset (classes, quantifiers, groups, alternation, anchors) but not on RE2-only forms such as
// named groups "(?P<name>...)" or "\pL" classes, which fail as an invalid pattern (kBadInput). Matching is on the
// UTF-8 bytes.
//
// StringNormalizer: case changes map Unicode letters through the "C.UTF-8" locale when the system provides it
// (ASCII only otherwise); the `locale` attribute is accepted but does not select another mapping.
#include <clocale>
#include <cwctype>
#include <locale>
#include <regex>
#include <set>

#include "broadcast.h"
#include "op.h"

namespace onyx {
namespace {

// ---- UTF-8 case mapping -----------------------------------------------------------------------------------------

const std::ctype<wchar_t>& wide_ctype() {
  static const std::locale loc = [] {
    for (const char* name : {"C.UTF-8", "C.utf8", "en_US.UTF-8"}) {
      try {
        return std::locale(name);
      } catch (const std::runtime_error&) {
      }
    }
    return std::locale::classic();
  }();
  return std::use_facet<std::ctype<wchar_t>>(loc);
}

// Decodes UTF-8 (invalid bytes pass through as themselves), maps each code point, encodes back.
std::string map_case(const std::string& s, bool upper) {
  const std::ctype<wchar_t>& ct = wide_ctype();
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xC0 && c < 0xE0) cp = c & 0x1F, len = 2;
    else if (c >= 0xE0 && c < 0xF0) cp = c & 0x0F, len = 3;
    else if (c >= 0xF0 && c < 0xF8) cp = c & 0x07, len = 4;
    bool valid = c < 0x80 || (len > 1 && i + len <= s.size());
    for (size_t k = 1; valid && k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (!valid) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    uint32_t m = static_cast<uint32_t>(upper ? ct.toupper(static_cast<wchar_t>(cp)) : ct.tolower(static_cast<wchar_t>(cp)));
    // Keep the original when the mapping changes the encoded length class in a way we cannot represent.
    if (m > 0x10FFFF) m = cp;
    if (m < 0x80) {
      out += static_cast<char>(m);
    } else if (m < 0x800) {
      out += static_cast<char>(0xC0 | (m >> 6));
      out += static_cast<char>(0x80 | (m & 0x3F));
    } else if (m < 0x10000) {
      out += static_cast<char>(0xE0 | (m >> 12));
      out += static_cast<char>(0x80 | ((m >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (m & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (m >> 18));
      out += static_cast<char>(0x80 | ((m >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((m >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (m & 0x3F));
    }
    i += len;
  }
  return out;
}

void check_string_input(const InferContext& ctx, size_t i) {
  const TypeInfo& t = ctx.input_type(i);
  if (t.kind == TypeInfo::Kind::kTensor && t.dtype != DType::kUndefined && t.dtype != DType::kString)
    ctx.fail("input ", i, " must be a string tensor, got ", t.to_string());
}

const Tensor& string_input(const KernelContext& ctx, size_t i) {
  const Tensor& t = ctx.input(i);
  if (t.dtype() != DType::kString) ctx.fail("input ", i, " must be a string tensor, got ", t.describe());
  return t;
}

// ---- StringNormalizer -------------------------------------------------------------------------------------------

struct NormalizerAttrs {
  enum class Case { kNone, kLower, kUpper } change = Case::kNone;
  bool case_sensitive = false;
  std::vector<std::string> stopwords;
};

NormalizerAttrs normalizer_attrs(const Node& node) {
  NormalizerAttrs a;
  const std::string action = node.attr_string("case_change_action", "NONE");
  if (action == "LOWER") a.change = NormalizerAttrs::Case::kLower;
  else if (action == "UPPER") a.change = NormalizerAttrs::Case::kUpper;
  else if (action != "NONE")
    fail_bad_input(node.describe(), ": case_change_action must be LOWER, UPPER or NONE, got '", action, "'");
  a.case_sensitive = node.attr_int("is_case_sensitive", 0) != 0;
  a.stopwords = node.attr_strings("stopwords");
  return a;
}

void infer_string_normalizer(InferContext& ctx) {
  normalizer_attrs(ctx.node());
  check_string_input(ctx, 0);
  const Shape& s = ctx.input_shape(0);
  if (!s.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(DType::kString));
    return;
  }
  if (s.rank() == 1) {
    ctx.set_output(0, DType::kString, Shape({Dim()}));
  } else if (s.rank() == 2) {
    if (s[0].is_known() && s[0].value() != 1) ctx.fail("input must be [C] or [1, C], got ", s.to_string());
    ctx.set_output(0, DType::kString, Shape({Dim(1), Dim()}));
  } else {
    ctx.fail("input must be [C] or [1, C], got ", s.to_string());
  }
}

void run_string_normalizer(KernelContext& ctx) {
  const NormalizerAttrs a = normalizer_attrs(ctx.node());
  const Tensor& x = string_input(ctx, 0);
  if (!(x.rank() == 1 || (x.rank() == 2 && x.dim(0) == 1)))
    ctx.fail("input must be [C] or [1, C], got ", x.describe());
  std::set<std::string> stop;
  for (const std::string& w : a.stopwords) stop.insert(a.case_sensitive ? w : map_case(w, false));
  std::vector<std::string> kept;
  for (const std::string& s : x.span<std::string>()) {
    if (!stop.empty() && stop.count(a.case_sensitive ? s : map_case(s, false))) continue;
    switch (a.change) {
      case NormalizerAttrs::Case::kLower: kept.push_back(map_case(s, false)); break;
      case NormalizerAttrs::Case::kUpper: kept.push_back(map_case(s, true)); break;
      case NormalizerAttrs::Case::kNone: kept.push_back(s); break;
    }
  }
  // Everything removed: one empty string, keeping the input's rank.
  if (kept.empty()) kept.emplace_back();
  const int64_t c = static_cast<int64_t>(kept.size());
  std::vector<int64_t> dims = x.rank() == 1 ? std::vector<int64_t>{c} : std::vector<int64_t>{1, c};
  ctx.set_output(0, Tensor::from_vector<std::string>(dims, kept));
}

// ---- RegexFullMatch ---------------------------------------------------------------------------------------------

std::regex compile_pattern(const Node& node) {
  const std::string pattern = node.attr_string("pattern", "");
  if (!node.has_attr("pattern")) fail_bad_input(node.describe(), ": attribute pattern is required");
  try {
    return std::regex(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    fail_bad_input(node.describe(), ": invalid pattern '", pattern, "' (std::regex ECMAScript): ", e.what());
  }
}

void infer_regex_full_match(InferContext& ctx) {
  compile_pattern(ctx.node());
  check_string_input(ctx, 0);
  ctx.set_output(0, DType::kBool, ctx.input_shape(0));
}

void run_regex_full_match(KernelContext& ctx) {
  const std::regex re = compile_pattern(ctx.node());
  const Tensor& x = string_input(ctx, 0);
  Tensor out(DType::kBool, x.dims());
  bool* o = out.data<bool>();
  const std::string* in = x.data<std::string>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    try {
      o[i] = std::regex_match(in[i], re);
    } catch (const std::regex_error& e) {
      ctx.fail("matching element ", i, " failed: ", e.what());
    }
  }
  ctx.set_output(0, std::move(out));
}

// ---- StringConcat -----------------------------------------------------------------------------------------------

void infer_string_concat(InferContext& ctx) {
  check_string_input(ctx, 0);
  check_string_input(ctx, 1);
  ctx.set_output(0, DType::kString, broadcast_shapes({ctx.input_shape(0), ctx.input_shape(1)}, ctx.node()));
}

void run_string_concat(KernelContext& ctx) {
  const Tensor& x = string_input(ctx, 0);
  const Tensor& y = string_input(ctx, 1);
  const std::vector<int64_t> dims = broadcast_dims({x.dims(), y.dims()}, ctx.node());
  Tensor out(DType::kString, dims);
  std::string* o = out.data<std::string>();
  const std::string* a = x.data<std::string>();
  const std::string* b = y.data<std::string>();
  for_each_broadcast<2>(dims, {x.dims(), y.dims()},
                        [&](int64_t i, int64_t ia, int64_t ib) { o[i] = a[ia] + b[ib]; });
  ctx.set_output(0, std::move(out));
}

// ---- StringSplit ------------------------------------------------------------------------------------------------

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// Python's str.split(delimiter, maxsplit) (maxsplit < 0: unlimited); an empty delimiter splits on runs of
// whitespace and drops leading/trailing whitespace.
std::vector<std::string> split_string(const std::string& s, const std::string& delim, int64_t maxsplit) {
  std::vector<std::string> parts;
  if (delim.empty()) {
    size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && is_space(s[i])) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        // The rest, with trailing whitespace removed.
        size_t end = s.size();
        while (end > i && is_space(s[end - 1])) --end;
        parts.push_back(s.substr(i, end - i));
        break;
      }
      size_t j = i;
      while (j < s.size() && !is_space(s[j])) ++j;
      parts.push_back(s.substr(i, j - i));
      i = j;
    }
    return parts;
  }
  size_t start = 0;
  for (;;) {
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) break;
    const size_t hit = s.find(delim, start);
    if (hit == std::string::npos) break;
    parts.push_back(s.substr(start, hit - start));
    start = hit + delim.size();
  }
  parts.push_back(s.substr(start));
  return parts;
}

void infer_string_split(InferContext& ctx) {
  check_string_input(ctx, 0);
  const Shape& s = ctx.input_shape(0);
  if (!s.rank_known()) {
    ctx.set_output_type(0, TypeInfo::tensor(DType::kString));
    ctx.set_output_type(1, TypeInfo::tensor(DType::kInt64));
    return;
  }
  std::vector<Dim> dims = s.dims();
  dims.emplace_back();
  ctx.set_output(0, DType::kString, Shape(dims));
  ctx.set_output(1, DType::kInt64, s);
}

void run_string_split(KernelContext& ctx) {
  const Tensor& x = string_input(ctx, 0);
  const std::string delim = ctx.node().attr_string("delimiter", "");
  const int64_t maxsplit = ctx.node().attr_int("maxsplit", -1);
  std::vector<std::vector<std::string>> parts;
  parts.reserve(static_cast<size_t>(x.numel()));
  size_t widest = 0;
  for (const std::string& s : x.span<std::string>()) {
    parts.push_back(split_string(s, delim, maxsplit));
    widest = std::max(widest, parts.back().size());
  }
  std::vector<int64_t> dims = x.dims();
  dims.push_back(static_cast<int64_t>(widest));
  Tensor y(DType::kString, dims);
  Tensor z(DType::kInt64, x.dims());
  std::string* yo = y.data<std::string>();
  int64_t* zo = z.data<int64_t>();
  for (size_t i = 0; i < parts.size(); ++i) {
    zo[i] = static_cast<int64_t>(parts[i].size());
    for (size_t k = 0; k < parts[i].size(); ++k) yo[i * widest + k] = std::move(parts[i][k]);
  }
  ctx.set_output(0, std::move(y));
  ctx.set_output(1, std::move(z));
}

}  // namespace

ONYX_REGISTER_OP({.op_type = "StringNormalizer", .since_version = 10, .inputs = {1, 1},
                  .infer = infer_string_normalizer, .run = run_string_normalizer});
ONYX_REGISTER_OP({.op_type = "RegexFullMatch", .since_version = 20, .inputs = {1, 1},
                  .infer = infer_regex_full_match, .run = run_regex_full_match});
ONYX_REGISTER_OP({.op_type = "StringConcat", .since_version = 20, .inputs = {2, 2}, .infer = infer_string_concat,
                  .run = run_string_concat});
ONYX_REGISTER_OP({.op_type = "StringSplit", .since_version = 20, .inputs = {1, 1}, .outputs = {1, 2},
                  .infer = infer_string_split, .run = run_string_split});

}  // namespace onyx
