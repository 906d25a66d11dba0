// Polygraphy's JSON formats. Arrays are numpy .npy bytes in base64: {"array": "...", "polygraphy_class":
// "ndarray"}. Saved inputs are a list of feed dicts; saved outputs are a RunResults:
//   {"lst": [["runner", [{"outputs": {name: array, ...}, "runtime": s, "runner_name": "runner",
//                          "polygraphy_class": "IterationResult"}, ...]]], "polygraphy_class": "RunResults"}
// Older Polygraphy marked types with "__polygraphy_encoded_<type>": "polygraphy_serialized_json_type" and
// wrapped arrays in LazyArray/LazyNumpyArray {"values": array}; the reader accepts those too.
#include <nlohmann/json.hpp>

#include "onyx/data.h"

namespace onyx {

namespace {

using Json = nlohmann::ordered_json;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) | static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Strict base64 (like Python's b64decode(validate=True)); false on any invalid character or length.
bool base64_decode(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  int table[256];
  for (int& t : table) t = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kB64[i])] = i;
  out.clear();
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      if (c == '=') {
        if (i + 4 != in.size() || k < 2) return false;
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return false;
        v[k] = table[static_cast<unsigned char>(c)];
        if (v[k] < 0) return false;
      }
    }
    const uint32_t w = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push_back(static_cast<char>((w >> 16) & 0xFF));
    if (pad < 2) out.push_back(static_cast<char>((w >> 8) & 0xFF));
    if (pad < 1) out.push_back(static_cast<char>(w & 0xFF));
  }
  return true;
}

Json encode_array(const Tensor& t) {
  Json j;
  j["array"] = base64_encode(encode_npy(t));
  j["polygraphy_class"] = "ndarray";
  return j;
}

// The Polygraphy type of an object: its "polygraphy_class", or a legacy "__polygraphy_encoded_<type>" marker.
std::string type_of(const Json& j) {
  if (!j.is_object()) return "";
  auto it = j.find("polygraphy_class");
  if (it != j.end() && it->is_string()) return it->get<std::string>();
  for (auto& [key, value] : j.items()) {
    static const std::string prefix = "__polygraphy_encoded_";
    if (key.rfind(prefix, 0) == 0) return key.substr(prefix.size());
  }
  return "";
}

Tensor decode_array(const Json& j, const std::string& where) {
  const std::string type = type_of(j);
  if (type == "LazyArray" || type == "LazyNumpyArray") {
    auto it = j.find("values");
    if (it == j.end()) fail_bad_input(where, ": ", type, " without \"values\"");
    return decode_array(*it, where);
  }
  if (type != "ndarray")
    fail_bad_input(where, ": expected a Polygraphy ndarray, got ",
                   j.is_object() ? "an object of type '" + type + "'" : std::string(j.type_name()));
  auto it = j.find("array");
  if (it == j.end() || !it->is_string()) fail_bad_input(where, ": ndarray without an \"array\" string");
  const std::string& text = it->get_ref<const std::string&>();
  std::string bytes;
  if (!base64_decode(text, bytes)) {
    // Very old Polygraphy stored the bytes as a latin-1 string: nlohmann gives UTF-8, so map code points
    // back.
    bytes.clear();
    for (size_t i = 0; i < text.size();) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      if (c < 0x80) {
        bytes.push_back(static_cast<char>(c));
        ++i;
      } else if ((c >> 5) == 6 && i + 1 < text.size() && c <= 0xC3) {
        bytes.push_back(
            static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F)));
        i += 2;
      } else {
        fail_bad_input(where, ": ndarray \"array\" is neither base64 nor latin-1 text");
      }
    }
  }
  if (bytes.size() >= 4 && bytes.compare(0, 4, "PK\x03\x04") == 0) {
    NamedTensors z = decode_npz(bytes, where);
    if (z.empty()) fail_bad_input(where, ": empty archive");
    return z.front().second;
  }
  return decode_npy(bytes, where);
}

NamedTensors decode_feed_dict(const Json& j, const std::string& where) {
  if (!j.is_object()) fail_bad_input(where, ": expected a dict of name → array, got ", j.type_name());
  NamedTensors out;
  for (auto& [name, value] : j.items()) {
    if (name == "polygraphy_class" || name.rfind("__polygraphy_encoded_", 0) == 0) continue;
    out.emplace_back(name, decode_array(value, where + " '" + name + "'"));
  }
  return out;
}

RunnerData decode_runner(const Json& pair, const std::string& label, size_t index) {
  const std::string where = label + ": RunResults entry " + std::to_string(index);
  if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_array())
    fail_bad_input(where, ": expected [runner name, [IterationResult, ...]]");
  RunnerData r;
  r.runner = pair[0].get<std::string>();
  bool all_times = true;
  for (size_t i = 0; i < pair[1].size(); ++i) {
    const Json& it = pair[1][i];
    const std::string w = where + " iteration " + std::to_string(i);
    if (type_of(it) != "IterationResult") fail_bad_input(w, ": expected an IterationResult");
    auto outs = it.find("outputs");
    if (outs == it.end()) fail_bad_input(w, ": IterationResult without \"outputs\"");
    r.iterations.push_back(decode_feed_dict(*outs, w));
    auto rt = it.find("runtime");
    if (rt != it.end() && rt->is_number())
      r.runtimes.push_back(rt->get<double>());
    else
      all_times = false;
  }
  if (!all_times) r.runtimes.clear();
  return r;
}

}  // namespace

std::string encode_polygraphy_inputs(const std::vector<NamedTensors>& iterations) {
  Json list = Json::array();
  for (const NamedTensors& feed : iterations) {
    Json d = Json::object();
    for (const auto& [name, t] : feed) {
      if (name.empty()) fail_bad_input("Polygraphy JSON: every tensor needs a name");
      d[name] = encode_array(t);
    }
    list.push_back(std::move(d));
  }
  return list.dump(4) + "\n";
}

std::string encode_polygraphy_run_results(const std::vector<RunnerData>& runs) {
  Json lst = Json::array();
  for (const RunnerData& r : runs) {
    Json iters = Json::array();
    for (size_t i = 0; i < r.iterations.size(); ++i) {
      Json outputs = Json::object();
      for (const auto& [name, t] : r.iterations[i]) {
        if (name.empty()) fail_bad_input("Polygraphy JSON: every tensor needs a name");
        outputs[name] = encode_array(t);
      }
      Json it;
      it["outputs"] = std::move(outputs);
      it["runtime"] = i < r.runtimes.size() ? Json(r.runtimes[i]) : Json(nullptr);
      it["runner_name"] = r.runner;
      it["polygraphy_class"] = "IterationResult";
      iters.push_back(std::move(it));
    }
    lst.push_back(Json::array({r.runner, std::move(iters)}));
  }
  Json j;
  j["lst"] = std::move(lst);
  j["polygraphy_class"] = "RunResults";
  return j.dump(4) + "\n";
}

std::vector<RunnerData> decode_polygraphy_json(std::string_view text, const std::string& label) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    fail_bad_input(label, ": not valid JSON (",
                   what.substr(what.find(']') == std::string::npos ? 0 : what.find(']') + 2), ")");
  }
  std::vector<RunnerData> out;
  if (j.is_array()) {
    RunnerData r;
    for (size_t i = 0; i < j.size(); ++i)
      r.iterations.push_back(decode_feed_dict(j[i], label + ": feed dict " + std::to_string(i)));
    out.push_back(std::move(r));
    return out;
  }
  if (!j.is_object())
    fail_bad_input(label, ": expected Polygraphy inputs (a list) or RunResults (an object)");
  const std::string type = type_of(j);
  if (type == "RunResults") {
    auto lst = j.find("lst");
    if (lst == j.end() || !lst->is_array()) fail_bad_input(label, ": RunResults without a \"lst\" list");
    for (size_t i = 0; i < lst->size(); ++i) out.push_back(decode_runner((*lst)[i], label, i));
    if (out.empty()) fail_bad_input(label, ": RunResults holds no runner");
    return out;
  }
  if (type.empty() || type == "ndarray") {
    // A single feed dict (or one array: unnamed).
    RunnerData r;
    if (type == "ndarray")
      r.iterations.push_back({{"", decode_array(j, label)}});
    else
      r.iterations.push_back(decode_feed_dict(j, label));
    out.push_back(std::move(r));
    return out;
  }
  fail_bad_input(label, ": unsupported Polygraphy object '", type, "' (expected inputs or RunResults)");
}

}  // namespace onyx
