// Flags shared by several commands, declared once: folder overrides (--raw/--preprocessed/--results), -np.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "core/paths.h"

namespace nnseg::cli {

struct PathFlags {
  std::string raw;           // --raw, overrides $nnUNet_raw
  std::string preprocessed;  // --preprocessed, overrides $nnUNet_preprocessed
  std::string results;       // --results, overrides $nnUNet_results
};

void add_path_flags(CLI::App& app, PathFlags& flags);

// Flags first, then the environment (v2 names, then v1 names; spec/cli.md).
Paths resolve_paths(const PathFlags& flags);

// -np N: worker threads; default: all cores.
void add_threads_flag(CLI::App& app, int& threads);

}  // namespace nnseg::cli
