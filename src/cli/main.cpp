// onyx — ONNX inference toolkit CLI. Exit codes: 0 success; 1 outputs disagree; 2 bad input or usage;
// 3 unsupported model feature; 4 device/runtime failure.
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <new>

#include "commands.h"
#include "core/parallel.h"
#include "onyx/cuda.h"
#include "onyx/error.h"
#include "onyx/limits.h"

namespace onyx::cli {

namespace {
std::map<CLI::App*, Action>& actions() {
  static std::map<CLI::App*, Action> a;
  return a;
}
}  // namespace

void set_action(CLI::App* sub, Action action) { actions()[sub] = std::move(action); }

}  // namespace onyx::cli

int main(int argc, char** argv) {
  using namespace onyx;
  try {
    (void)limits();  // reads ONYX_MAX_TENSOR_BYTES / ONYX_MAX_LOOP_ITERATIONS: a malformed value is bad input
  } catch (const Error& e) {
    std::cerr << "onyx: error: " << e.what() << "\n";
    return 2;
  }
  CLI::App app{"onyx: load ONNX models, run them on reference, CPU and CUDA backends, and compare the results.\n"
               "Exit codes: 0 ok, 1 outputs disagree, 2 bad input or usage, 3 unsupported model feature, "
               "4 device/runtime failure.",
               "onyx"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("onyx ") + ONYX_VERSION_STRING);
  int threads = 0;
  uint64_t max_tensor_bytes = 0;
  int64_t max_loop_iterations = 0;
  app.add_option("--threads", threads, "CPU threads for kernels (default: all cores)")->check(CLI::Range(1, 1024));
  app.add_option("--max-tensor-bytes", max_tensor_bytes,
                 "Largest tensor any model or file may claim, in bytes (default: half of physical memory)");
  app.add_option("--max-loop-iterations", max_loop_iterations,
                 "Most iterations a Loop or Scan may run (default: " +
                     std::to_string(limits().max_loop_iterations) + ")")
      ->check(CLI::Range(int64_t{1}, std::numeric_limits<int64_t>::max()));
  auto* info = app.add_subcommand("info", "Show the build configuration and visible CUDA devices");
  cli::set_action(info, [] {
    std::cout << "onyx " << ONYX_VERSION_STRING << "\n" << cuda_status() << "\n";
    return 0;
  });
  cli::add_inspect_command(app);
  cli::add_run_command(app);
  cli::add_conformance_command(app);
  cli::add_optimize_command(app);
  cli::add_build_command(app);
  cli::add_bench_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    std::cerr << "onyx: error: " << msg << " (see onyx --help)\n";
    return 2;
  }
  if (threads > 0) set_num_threads(threads);
  if (max_tensor_bytes > 0) limits().max_tensor_bytes = max_tensor_bytes;
  if (max_loop_iterations > 0) limits().max_loop_iterations = max_loop_iterations;
  // The action belongs to the deepest subcommand given ("inspect model" → "model").
  CLI::App* chosen = &app;
  while (!chosen->get_subcommands().empty()) chosen = chosen->get_subcommands().front();
  {
    auto it = cli::actions().find(chosen);
    if (it == cli::actions().end()) {
      std::cerr << "onyx: error: incomplete command (see onyx --help)\n";
      return 2;
    }
    try {
      return it->second();
    } catch (const Error& e) {
      std::cerr << "onyx: error: " << e.what() << "\n";
      return e.exit_code();
    } catch (const std::bad_alloc&) {
      std::cerr << "onyx: error: out of memory\n";
      return 4;
    } catch (const std::exception& e) {
      std::cerr << "onyx: error: " << e.what() << "\n";
      return 4;
    }
  }
  return 2;
}
