// onyx run — placeholder until the run command lands (issue: `onyx run`).
#include "commands.h"

namespace onyx::cli {
void add_run_command(CLI::App&) {}
}  // namespace onyx::cli
