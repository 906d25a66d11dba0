// onyx inspect plan P: header fields, io tensors with profiles, kernels per op, and the memory plan (arena
// size against the sum of all tensors).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "onyx/engine.h"

namespace onyx::cli {

namespace {

struct PlanOpts {
  std::string path;
  bool json = false;
};

std::string mib(uint64_t b) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(b) / (1024.0 * 1024.0));
  return buf;
}

int inspect_plan(const PlanOpts& o) {
  const auto start = std::chrono::steady_clock::now();
  auto engine = Engine::load(o.path);
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const PlanSummary s = engine->summary();
  if (o.json) {
    nlohmann::ordered_json j;
    j["onyx_version"] = s.onyx_version;
    j["format_version"] = s.format_version;
    j["target"] = std::string(target_name(s.target));
    j["options_hash"] = s.options_hash;
    j["file_bytes"] = s.file_bytes;
    j["weights_bytes"] = s.weights_bytes;
    j["nodes"] = s.num_nodes;
    j["native_nodes"] = s.num_native_nodes;
    j["precision"] = s.precision;
    j["strongly_typed"] = s.strongly_typed;
    j["load_seconds"] = load_s;
    auto mem = nlohmann::ordered_json::array();
    for (const auto& m : s.memory)
      mem.push_back({{"arena_bytes", m.arena_bytes},
                     {"sum_tensor_bytes", m.sum_tensor_bytes},
                     {"planned_tensors", m.planned_tensors},
                     {"planned_bytes", m.planned_bytes},
                     {"dynamic_tensors", m.dynamic_tensors}});
    j["memory"] = mem;
    auto ks = nlohmann::ordered_json::array();
    for (const auto& k : s.kernels)
      ks.push_back({{"op_type", k.op_type}, {"kernel", k.kernel}, {"count", k.count}});
    j["kernels"] = ks;
    auto ts = nlohmann::ordered_json::array();
    for (const auto& t : s.tactics) ts.push_back({{"node", t.node}, {"op_type", t.op_type}, {"tactics", t.tactics}});
    j["tactics"] = ts;
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", load_s);
  std::cout << "[I] ==== onyx plan ====\n"
            << "    Path: " << o.path << " (" << s.file_bytes << " bytes, loaded in " << buf << " s)\n"
            << "    Format version " << s.format_version << ", built by onyx " << s.onyx_version
            << ", target " << target_name(s.target) << ", options hash " << std::hex << s.options_hash
            << std::dec << "\n"
            << "    Built " << (s.strongly_typed ? std::string("strongly typed (the model's dtypes)") : "with precision " + s.precision)
            << "\n"
            << "    Weights: " << mib(s.weights_bytes) << "\n\n";
  std::cout << "    ---- io tensors ----\n";
  for (const IoTensor& t : engine->io_tensors()) {
    std::cout << "    " << (t.is_input ? "input  " : "output ") << t.name << " " << dtype_name(t.dtype)
              << t.shape.to_string() << "\n";
    for (size_t p = 0; p < engine->num_profiles(); ++p)
      if (const ShapeRange* r = engine->profile_range(p, t.name))
        std::cout << "        profile " << p << ": min " << dims_to_string(r->min) << " opt "
                  << dims_to_string(r->opt) << " max " << dims_to_string(r->max) << "\n";
  }
  std::cout << "\n    ---- memory plan (per execution context) ----\n";
  for (size_t p = 0; p < s.memory.size(); ++p) {
    const auto& m = s.memory[p];
    std::snprintf(buf, sizeof buf, "%.2f",
                  m.arena_bytes ? static_cast<double>(m.sum_tensor_bytes) / m.arena_bytes : 0.0);
    std::cout << "    "
              << (engine->num_profiles() ? "profile " + std::to_string(p) : std::string("static shapes"))
              << ": arena " << m.arena_bytes << " bytes (" << mib(m.arena_bytes) << ") against "
              << m.sum_tensor_bytes << " bytes (" << mib(m.sum_tensor_bytes)
              << ") for all activations at max shapes (" << buf << "x smaller)\n"
              << "        " << m.planned_tensors << " tensor(s) of target kernels in the arena ("
              << mib(m.planned_bytes) << " unshared); the rest come from reference kernels; "
              << m.dynamic_tensors << " tensor(s) of dynamic size allocated per run\n";
  }
  std::cout << "\n    ---- kernels (" << s.num_nodes << " nodes, " << s.num_native_nodes
            << " on " << target_name(s.target) << " kernels, " << s.num_nodes - s.num_native_nodes
            << (s.target == Target::kCuda ? " on the host (shape computation)" : " on reference kernels")
            << ") ----\n";
  for (const auto& k : s.kernels)
    std::cout << "    " << k.op_type << " -> " << k.kernel << " x" << k.count << "\n";
  if (!s.tactics.empty()) {
    std::cout << "\n    ---- tactics (" << s.tactics.size() << " layers; problem -> tactic (timed median)) ----\n";
    for (const auto& t : s.tactics) std::cout << "    " << t.node << " (" << t.op_type << "): " << t.tactics << "\n";
  }
  return 0;
}

}  // namespace

void add_inspect_plan_subcommand(CLI::App& inspect) {
  auto o = std::make_shared<PlanOpts>();
  auto* sub =
      inspect.add_subcommand("plan", "Header, io tensors, profiles, kernels and memory plan of a plan file");
  sub->add_option("plan", o->path, "Plan file (onyx build)")->required();
  sub->add_flag("--json", o->json, "Machine-readable JSON on stdout");
  set_action(sub, [o] { return inspect_plan(*o); });
}

}  // namespace onyx::cli
