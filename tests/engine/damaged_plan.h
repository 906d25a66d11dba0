// Tools for tests that damage plan files on purpose (docs/security.md): a plan split into header, sections and
// JSON metadata that can be written back with other metadata and a valid checksum; a structure-aware mutator
// for that metadata; and one run of a loaded plan on zero inputs. Used by the cpu plan tests
// (tests/engine/plan_test.cpp), the cuda plan tests (tests/gpu/cuda_engine_gpu.cpp) and fuzz_plan.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "onyx/engine.h"
#include "plan/plan_file.h"

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

// A plan whose metadata a test rewrites. `plan` must outlive it (the sections point into it).
struct EditablePlan {
  plan::Header header;
  std::vector<plan::Section> sections;
  nlohmann::json meta;

  EditablePlan(std::string_view plan, Target target) {
    header = plan::read_plan(plan, "p.plan", target, sections);
    for (const plan::Section& s : sections)
      if (s.tag == plan::SectionTag::kMeta) meta = nlohmann::json::parse(s.data);
  }
  // The plan bytes with metadata `m` instead, checksum recomputed (what a hostile author would write).
  std::string with_meta(const nlohmann::json& m) const {
    const std::string text = m.dump();
    std::vector<plan::Section> out = sections;
    for (plan::Section& s : out)
      if (s.tag == plan::SectionTag::kMeta) s.data = text;
    return plan::write_plan(header, out);
  }
};

// ONYX_TEST_MUTATION_TRIALS and ONYX_TEST_MUTATION_SEED, for longer or other runs of a mutation test.
inline int mutation_trials(int fallback) {
  const char* v = std::getenv("ONYX_TEST_MUTATION_TRIALS");
  return v ? std::max(1, std::atoi(v)) : fallback;
}
inline uint32_t mutation_seed(uint32_t fallback) {
  const char* v = std::getenv("ONYX_TEST_MUTATION_SEED");
  return v ? static_cast<uint32_t>(std::strtoul(v, nullptr, 10)) : fallback;
}

// Runs a context once with zero inputs at profile 0's largest shapes (or the declared static shapes), when every
// input is numeric and has at most 2^16 elements; otherwise does nothing.
inline void run_with_zeros(const Engine& engine) {
  auto ctx = engine.create_execution_context();
  std::vector<std::vector<uint8_t>> buffers;
  for (const IoTensor& t : engine.io_tensors()) {
    if (!t.is_input) continue;
    if (t.dtype == DType::kString || t.dtype == DType::kUndefined) return;
    std::vector<int64_t> dims;
    if (!t.max_dims.empty() && !t.max_dims[0].empty()) {
      dims = t.max_dims[0];
    } else if (const auto known = t.shape.static_dims()) {
      dims = *known;
    } else {
      return;
    }
    uint64_t n = 1;
    for (int64_t d : dims) {
      if (d < 0 || d > (1 << 16)) return;
      n *= static_cast<uint64_t>(d);
      if (n > (1 << 16)) return;
    }
    ctx->set_input_shape(t.name, dims);
    buffers.emplace_back(std::max<uint64_t>(n * dtype_size(t.dtype), 1));
    ctx->set_tensor_address(t.name, buffers.back().data(), buffers.back().size());
  }
  ctx->execute();
}

}  // namespace onyx::test
