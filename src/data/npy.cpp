// numpy's .npy format: magic "\x93NUMPY", version, header length, a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded to a multiple of 64 bytes, then the
// data.
#include <algorithm>
#include <cstring>
#include <limits>

#include "onyx/data.h"
#include "onyx/dtype_dispatch.h"
#include "onyx/limits.h"

namespace onyx {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

struct Descr {
  DType dtype = DType::kUndefined;
  bool big_endian = false;
  size_t item = 0;         // bytes per element in the file
  bool unicode = false;    // '<U': item/4 UTF-32 code points per element
  bool bytes_str = false;  // '|S': item bytes per element
};

Descr parse_descr(const std::string& d, const std::string& label) {
  Descr r;
  if (d.size() < 2) fail_bad_input(label, ": unsupported dtype '", d, "'");
  const char order = d[0];
  if (order != '<' && order != '>' && order != '|' && order != '=')
    fail_bad_input(label, ": unsupported dtype '", d, "'");
  r.big_endian = order == '>';
  const char kind = d[1];
  const std::string size_text = d.substr(2);
  if (size_text.empty() || size_text.size() > 9 ||
      !std::all_of(size_text.begin(), size_text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    fail_bad_input(label, ": unsupported dtype '", d, "'");
  const size_t n = std::stoul(size_text);
  r.item = n;
  auto pick = [&](std::initializer_list<std::pair<size_t, DType>> options) {
    for (const auto& [size, t] : options)
      if (size == n) return t;
    fail_bad_input(label, ": unsupported dtype '", d, "'");
  };
  switch (kind) {
    case 'f':
      r.dtype = pick({{2, DType::kFloat16}, {4, DType::kFloat32}, {8, DType::kFloat64}});
      break;
    case 'i':
      r.dtype = pick({{1, DType::kInt8}, {2, DType::kInt16}, {4, DType::kInt32}, {8, DType::kInt64}});
      break;
    case 'u':
      r.dtype = pick({{1, DType::kUInt8}, {2, DType::kUInt16}, {4, DType::kUInt32}, {8, DType::kUInt64}});
      break;
    case 'b':
      r.dtype = pick({{1, DType::kBool}});
      break;
    case 'c':
      fail_unsupported(label, ": complex dtype '", d, "' is not supported");
    case 'U':
      if (n == 0) fail_bad_input(label, ": unsupported dtype '", d, "'");
      r.dtype = DType::kString;
      r.unicode = true;
      r.item = n * 4;
      break;
    case 'S':
      if (n == 0) fail_bad_input(label, ": unsupported dtype '", d, "'");
      r.dtype = DType::kString;
      r.bytes_str = true;
      break;
    default:
      fail_bad_input(label, ": unsupported dtype '", d, "'");
  }
  return r;
}

// A tiny parser for the header's Python dict literal.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& label) : s_(text), label_(label) {}

  void parse(std::string& descr, bool& fortran, std::vector<int64_t>& shape) {
    bool have_descr = false, have_fortran = false, have_shape = false;
    expect('{');
    for (;;) {
      skip_ws();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = string_literal();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"')
          fail_bad_input(label_, ": structured numpy dtypes are not supported");
        descr = string_literal();
        have_descr = true;
      } else if (key == "fortran_order") {
        fortran = boolean();
        have_fortran = true;
      } else if (key == "shape") {
        shape = tuple();
        have_shape = true;
      } else {
        bad("unknown key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      break;
    }
    if (!have_descr || !have_fortran || !have_shape) bad("missing descr, fortran_order or shape");
  }

 private:
  [[noreturn]] void bad(const std::string& what) {
    fail_bad_input(label_, ": malformed .npy header (", what, ")");
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r'))
      ++pos_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string string_literal() {
    skip_ws();
    const char q = peek();
    if (q != '\'' && q != '"') bad("expected a string");
    ++pos_;
    const size_t end = s_.find(q, pos_);
    if (end == std::string_view::npos) bad("unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool boolean() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad("expected True or False");
  }
  std::vector<int64_t> tuple() {
    std::vector<int64_t> out;
    expect('(');
    for (;;) {
      skip_ws();
      if (peek() == ')') {
        ++pos_;
        return out;
      }
      int64_t v = 0;
      size_t digits = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<int64_t>::max() - 9) / 10) bad("dimension too large");
        v = v * 10 + (peek() - '0');
        ++pos_;
        ++digits;
      }
      if (peek() == 'L') ++pos_;  // Python 2 long suffix
      if (digits == 0) bad("expected a dimension");
      out.push_back(v);
      if (out.size() > 64) bad("too many dimensions");
      skip_ws();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect(')');
      return out;
    }
  }

  std::string_view s_;
  const std::string& label_;
  size_t pos_ = 0;
};

std::string descr_of(const Tensor& t, size_t* item) {
  *item = dtype_size(t.dtype());
  switch (t.dtype()) {
    case DType::kFloat16:
      return "<f2";
    case DType::kFloat32:
      return "<f4";
    case DType::kFloat64:
      return "<f8";
    case DType::kInt8:
      return "|i1";
    case DType::kInt16:
      return "<i2";
    case DType::kInt32:
      return "<i4";
    case DType::kInt64:
      return "<i8";
    case DType::kUInt8:
      return "|u1";
    case DType::kUInt16:
      return "<u2";
    case DType::kUInt32:
      return "<u4";
    case DType::kUInt64:
      return "<u8";
    case DType::kBool:
      return "|b1";
    default:
      fail_unsupported("numpy has no ", dtype_name(t.dtype()), " dtype: cannot write ", t.describe(),
                       " as .npy (use .pb)");
  }
}

// UTF-8 → UTF-32 code points (invalid sequences become U+FFFD).
std::u32string utf8_to_utf32(const std::string& s) {
  std::u32string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x110000) {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    append_utf8(out, 0xFFFD);
  }
}

std::string make_header(const std::string& descr, const std::vector<int64_t>& dims) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < dims.size(); ++i)
    dict += std::to_string(dims[i]) + (dims.size() == 1 || i + 1 < dims.size() ? "," : "") +
            (i + 1 < dims.size() ? " " : "");
  dict += "), }";
  // Pad with spaces and a final newline so magic + version + length + header is a multiple of 64.
  const bool v2 = dict.size() + 1 + 10 > 65535;
  const size_t prefix = kMagicLen + 2 + (v2 ? 4 : 2);
  size_t total = prefix + dict.size() + 1;
  total = (total + 63) / 64 * 64;
  dict.append(total - prefix - dict.size() - 1, ' ');
  dict.push_back('\n');
  std::string out(kMagic, kMagicLen);
  out.push_back(static_cast<char>(v2 ? 2 : 1));
  out.push_back(0);
  const uint32_t len = static_cast<uint32_t>(dict.size());
  out.push_back(static_cast<char>(len & 0xFF));
  out.push_back(static_cast<char>((len >> 8) & 0xFF));
  if (v2) {
    out.push_back(static_cast<char>((len >> 16) & 0xFF));
    out.push_back(static_cast<char>((len >> 24) & 0xFF));
  }
  return out + dict;
}

}  // namespace

std::string encode_npy(const Tensor& t) {
  if (!t.is_valid()) fail_bad_input("cannot write an undefined tensor as .npy");
  if (t.dtype() == DType::kString) {
    const std::string* s = t.data<std::string>();
    std::vector<std::u32string> wide(static_cast<size_t>(t.numel()));
    size_t width = 1;
    for (int64_t i = 0; i < t.numel(); ++i) {
      wide[i] = utf8_to_utf32(s[i]);
      width = std::max(width, wide[i].size());
    }
    std::string out = make_header("<U" + std::to_string(width), t.dims());
    const size_t start = out.size();
    out.resize(start + static_cast<size_t>(t.numel()) * width * 4, '\0');
    for (int64_t i = 0; i < t.numel(); ++i)
      for (size_t k = 0; k < wide[i].size(); ++k) {
        const uint32_t cp = wide[i][k];
        char* p = out.data() + start + (static_cast<size_t>(i) * width + k) * 4;
        p[0] = static_cast<char>(cp & 0xFF);
        p[1] = static_cast<char>((cp >> 8) & 0xFF);
        p[2] = static_cast<char>((cp >> 16) & 0xFF);
        p[3] = static_cast<char>((cp >> 24) & 0xFF);
      }
    return out;
  }
  size_t item = 0;
  const std::string descr = descr_of(t, &item);
  std::string out = make_header(descr, t.dims());
  out.append(static_cast<const char*>(t.raw_data()), t.nbytes());
  return out;
}

Tensor decode_npy(std::string_view bytes, const std::string& label) {
  if (bytes.size() < kMagicLen + 4 || bytes.substr(0, kMagicLen) != std::string_view(kMagic, kMagicLen))
    fail_bad_input(label, ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, pos = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) |
                 (static_cast<size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    pos = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail_bad_input(label, ": truncated .npy header");
    for (int i = 3; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    pos = 12;
  } else {
    fail_bad_input(label, ": unsupported .npy version ", major);
  }
  if (header_len > bytes.size() - pos) fail_bad_input(label, ": truncated .npy header");
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> dims;
  HeaderParser(bytes.substr(pos, header_len), label).parse(descr, fortran, dims);
  pos += header_len;
  if (descr.size() > 1 && descr[1] == 'O')
    fail_bad_input(label, ": object arrays (pickled data) are not supported");
  const Descr d = parse_descr(descr, label);
  const int64_t numel = checked_numel(dims);
  const size_t data_bytes = bytes.size() - pos;
  if (d.item != 0 && static_cast<uint64_t>(numel) > data_bytes / d.item)
    fail_bad_input(label, ": truncated .npy data (", data_bytes, " bytes for shape ", dims_to_string(dims),
                   " of ", descr, ")");
  if (static_cast<uint64_t>(numel) * d.item != data_bytes)
    fail_bad_input(label, ": .npy has ", data_bytes, " data bytes, shape ", dims_to_string(dims), " of ",
                   descr, " needs ", static_cast<uint64_t>(numel) * d.item);
  check_tensor_bytes(static_cast<uint64_t>(numel) * std::max<size_t>(d.item, dtype_size(d.dtype)),
                     label.c_str());
  Tensor t(d.dtype, dims);
  const char* src = bytes.data() + pos;
  // Element i of the C-ordered result comes from file element src_index(i) (differs only for Fortran order).
  std::vector<int64_t> strides(dims.size(), 1);  // strides of the file layout, in elements, for C coordinates
  if (fortran) {
    int64_t s = 1;
    for (size_t k = 0; k < dims.size(); ++k) {
      strides[k] = s;
      s *= std::max<int64_t>(dims[k], 1);
    }
  }
  auto src_index = [&](int64_t i) -> int64_t {
    if (!fortran) return i;
    int64_t off = 0;
    for (size_t k = dims.size(); k-- > 0;) {
      off += (i % dims[k]) * strides[k];
      i /= dims[k];
    }
    return off;
  };
  if (d.dtype == DType::kString) {
    std::string* out = t.data<std::string>();
    for (int64_t i = 0; i < numel; ++i) {
      const char* e = src + src_index(i) * d.item;
      std::string s;
      if (d.unicode) {
        for (size_t k = 0; k < d.item / 4; ++k) {
          const unsigned char* p = reinterpret_cast<const unsigned char*>(e + k * 4);
          const char32_t cp =
              d.big_endian ? (char32_t(p[0]) << 24 | char32_t(p[1]) << 16 | char32_t(p[2]) << 8 | p[3])
                           : (char32_t(p[3]) << 24 | char32_t(p[2]) << 16 | char32_t(p[1]) << 8 | p[0]);
          if (cp == 0) break;
          append_utf8(s, cp);
        }
      } else {
        s.assign(e, strnlen(e, d.item));
      }
      out[i] = std::move(s);
    }
    return t;
  }
  char* dst = static_cast<char*>(t.raw_data());
  if (!fortran && !d.big_endian) {
    if (data_bytes) std::memcpy(dst, src, data_bytes);
  } else {
    for (int64_t i = 0; i < numel; ++i) {
      const char* e = src + src_index(i) * d.item;
      char* o = dst + i * d.item;
      if (d.big_endian) {
        for (size_t k = 0; k < d.item; ++k) o[k] = e[d.item - 1 - k];
      } else {
        std::memcpy(o, e, d.item);
      }
    }
  }
  if (d.dtype == DType::kBool) {
    // numpy writes 0/1; normalize anything else so the bool storage is canonical.
    for (int64_t i = 0; i < numel; ++i) dst[i] = dst[i] != 0;
  }
  return t;
}

}  // namespace onyx
