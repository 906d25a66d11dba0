// The onyx CLI: each subcommand lives in its own file and adds itself to the app through one function here.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace onyx::cli {

// Each add_* function registers a subcommand; the callback it installs returns the process exit code.
using Action = std::function<int()>;
void set_action(CLI::App* sub, Action action);

void add_inspect_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_conformance_command(CLI::App& app);
void add_optimize_command(CLI::App& app);
void add_build_command(CLI::App& app);
void add_inspect_plan_subcommand(CLI::App& inspect);
void add_bench_command(CLI::App& app);

}  // namespace onyx::cli
