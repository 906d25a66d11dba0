// onyx inspect data F: what a tensor file (.npy, .npz, .pb, .json, test-data folder) holds.
#pragma once

#include <CLI/CLI.hpp>

namespace onyx::cli {

// Adds the `data` subcommand to `onyx inspect`.
void add_inspect_data_subcommand(CLI::App& inspect);

}  // namespace onyx::cli
