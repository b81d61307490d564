// Shared flags and environment variables (cli/args.h). The only place that reads the environment.
#include "cli/args.h"

#include <cstdlib>

#include "core/parallel.h"

namespace nnseg::cli {
namespace {

std::optional<fs::path> env_path(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return fs::path(v);
}

}  // namespace

void add_path_flags(CLI::App& app, PathFlags& flags) {
  app.add_option("--raw", flags.raw, "raw datasets folder (overrides $nnUNet_raw)");
  app.add_option("--preprocessed", flags.preprocessed, "preprocessed folder (overrides $nnUNet_preprocessed)");
  app.add_option("--results", flags.results, "trained models folder (overrides $nnUNet_results)");
}

Paths resolve_paths(const PathFlags& flags) {
  Paths p;
  p.raw = !flags.raw.empty() ? std::optional<fs::path>(flags.raw) : env_path("nnUNet_raw");
  p.raw_v1_base = env_path("nnUNet_raw_data_base");
  p.preprocessed =
      !flags.preprocessed.empty() ? std::optional<fs::path>(flags.preprocessed) : env_path("nnUNet_preprocessed");
  p.results = !flags.results.empty() ? std::optional<fs::path>(flags.results) : env_path("nnUNet_results");
  if (!p.results) p.results = env_path("RESULTS_FOLDER");
  return p;
}

void add_threads_flag(CLI::App& app, int& threads) {
  threads = default_thread_count();
  // CLI11 takes no multi-letter single-dash names; main() rewrites the contract's "-np" into "--np".
  app.add_option("--np,--threads", threads, "worker threads (default: all cores)")->check(CLI::Range(1, 1024));
}

}  // namespace nnseg::cli
