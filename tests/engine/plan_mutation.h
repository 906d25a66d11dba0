// A structure-aware mutator for the JSON metadata of plan files (docs/security.md): the cpu plan test
// (tests/engine/plan_test.cpp) and the cuda plan test (tests/gpu/cuda_engine_gpu.cpp) rewrite values of a
// plan's metadata with it, write the plan again with a valid checksum, and load and run what loads.
#pragma once

#include <cstdint>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace onyx::test {

// Every value of `j`, depth first, with its JSON pointer.
inline void collect_json(nlohmann::json& j, const std::string& path,
                         std::vector<std::pair<nlohmann::json*, std::string>>& out) {
  out.emplace_back(&j, path);
  if (j.is_array())
    for (size_t k = 0; k < j.size(); ++k) collect_json(j[k], path + "/" + std::to_string(k), out);
  else if (j.is_object())
    for (auto it = j.begin(); it != j.end(); ++it) collect_json(it.value(), path + "/" + it.key(), out);
}

// Every string of `j`: material for mutations (names of values, kernels, precisions of the same plan).
inline void collect_strings(const nlohmann::json& j, std::vector<std::string>& out) {
  if (j.is_string()) out.push_back(j.get<std::string>());
  if (j.is_array() || j.is_object())
    for (const nlohmann::json& c : j) collect_strings(c, out);
}

// Rewrites one value of `root` (type changes, boundary numbers, strings from `strings`, removed keys and
// elements, duplicated and swapped elements, values copied from elsewhere in the document); returns what it
// did
// ("PATH: OLD -> NEW").
inline std::string mutate_json(nlohmann::json& root, std::mt19937& rng,
                               const std::vector<std::string>& strings) {
  using Json = nlohmann::json;
  std::vector<std::pair<Json*, std::string>> all;
  collect_json(root, "", all);
  auto& [vp, path] = all[rng() % all.size()];
  Json& v = *vp;
  const std::string before = v.dump().substr(0, 120);
  static const int64_t numbers[] = {
      -1, 0, 1, 2, 3, 7, 64, 1 << 20, int64_t{1} << 31, int64_t{1} << 40, INT64_MAX, INT64_MIN};
  switch (rng() % 9) {
    case 0:
      v = numbers[rng() % std::size(numbers)];
      break;
    case 1:
      v = strings[rng() % strings.size()];
      break;
    case 2:
      v = (rng() % 2) ? Json::array() : Json::object();
      break;
    case 3:
      v = (rng() % 2) ? Json(nullptr) : Json(rng() % 2 == 0);
      break;
    case 4:  // a number nudged
      if (v.is_number_integer()) {
        const int64_t x = v.get<int64_t>();
        v = (rng() % 2) ? (x == INT64_MAX ? x : x + 1) : (x == INT64_MIN ? x : x - 1);
      } else if (v.is_number())
        v = -v.get<double>();
      else
        v = numbers[rng() % std::size(numbers)];
      break;
    case 5:  // an element or key removed
      if (v.is_array() && !v.empty())
        v.erase(rng() % v.size());
      else if (v.is_object() && !v.empty())
        v.erase(std::next(v.begin(), static_cast<long>(rng() % v.size())).key());
      break;
    case 6:  // an element duplicated
      if (v.is_array() && !v.empty()) v.push_back(v[rng() % v.size()]);
      break;
    case 7:  // two elements swapped
      if (v.is_array() && v.size() > 1) std::swap(v[rng() % v.size()], v[rng() % v.size()]);
      break;
    default:  // replaced by another value of the document
      v = Json(*all[rng() % all.size()].first);
      break;
  }
  return (path.empty() ? "/" : path) + ": " + before + " -> " + v.dump().substr(0, 120);
}

}  // namespace onyx::test
