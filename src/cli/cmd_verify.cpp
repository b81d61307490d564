// `nnseg verify -d ID`: dataset integrity check (planning.md §2); prints every problem, exit 2 if any.
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "dataset/dataset_locator.h"
#include "dataset/verify_dataset.h"

namespace nnseg::cli {
namespace {

struct VerifyFlags {
  std::string dataset;
  int threads = 1;
  PathFlags paths;
};

int run_verify(const VerifyFlags& flags) {
  fs::path folder = find_raw_dataset(resolve_paths(flags.paths), flags.dataset);
  StreamProgress progress;
  VerifyReport report = verify_dataset(folder, flags.threads, progress);
  for (const auto& w : report.warnings) std::cout << "warning: " << w << "\n";
  for (const auto& p : report.problems) std::cout << p << "\n";
  std::string counts =
      std::to_string(report.num_training) + " training case(s), " + std::to_string(report.num_test) + " test case(s)";
  if (report.ok()) {
    std::cout << "verify: OK: " << folder.string() << ": " << counts << "\n";
    return 0;
  }
  std::cout << "verify: " << report.problems.size() << " problem(s) in " << folder.string() << ": " << counts << "\n";
  throw InputError(folder.string(), "dataset verification failed: " + std::to_string(report.problems.size()) +
                                        " problem(s), listed above");
}

const CommandRegistrar kRegistrar("verify", "dataset integrity check; prints every problem found, exit 2 if any",
                                  [](CLI::App& app) -> std::function<int()> {
                                    auto flags = std::make_shared<VerifyFlags>();
                                    app.add_option("-d,--dataset", flags->dataset,
                                                   "dataset: 82, 082, Dataset082_BraTS2020 or Task082_BraTS2020")
                                        ->required();
                                    add_path_flags(app, flags->paths);
                                    add_threads_flag(app, flags->threads);
                                    return [flags] { return run_verify(*flags); };
                                  });

}  // namespace
}  // namespace nnseg::cli
