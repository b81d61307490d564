// `nnseg synth-brats OUT [--cases N] [--seed S] [--first-id K] [--no-seg] [--spacing MM] [--preview FILE.png]
// [--overwrite] [--anatomy auto|colin27|procedural] [-np N]`: a BraTS 2020-layout folder of synthetic cases.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/args.h"
#include "cli/command.h"
#include "core/error.h"
#include "core/progress.h"
#include "synth/synth_brats.h"

namespace nnseg::cli {
namespace {

struct SynthBratsFlags {
  std::string out;
  std::string cases = "5";
  std::string seed = "0";
  std::string first_id = "1";
  std::string spacing = "1";
  std::string preview;
  std::string anatomy = "auto";
  bool no_seg = false;
  bool overwrite = false;
  int threads = 1;
};

// A whole decimal number in [lo, hi]; InputError naming the flag and the value otherwise.
int64_t parse_int_flag(const std::string& flag, const std::string& value, int64_t lo, int64_t hi,
                       const std::string& expected) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || v < lo || v > hi) {
    throw InputError(flag, "'" + value + "': expected " + expected);
  }
  return v;
}

int run_synth_brats(const SynthBratsFlags& flags) {
  synth::SynthBratsOptions options;
  options.cases = parse_int_flag("--cases", flags.cases, 1, 999, "a number of cases in 1..999");
  options.seed = static_cast<uint64_t>(parse_int_flag("--seed", flags.seed, 0, INT64_MAX, "a nonnegative integer"));
  options.first_id = parse_int_flag("--first-id", flags.first_id, 1, 999, "a case id in 1..999");
  options.spacing_mm = static_cast<int>(parse_int_flag("--spacing", flags.spacing, 1, 3, "1, 2 or 3 (mm)"));
  options.with_seg = !flags.no_seg;
  options.overwrite = flags.overwrite;
  options.threads = flags.threads;
  options.preview_png = flags.preview;
  const synth::Anatomy anatomy = synth::parse_anatomy(flags.anatomy, "--anatomy");
  if (!flags.preview.empty() && fs::path(flags.preview).extension() != ".png") {
    throw InputError("--preview", "'" + flags.preview + "': expected a .png file name");
  }

  const synth::BrainTemplate brain = synth::load_template(anatomy);
  StreamProgress progress;
  const auto summaries = synth::synth_brats(flags.out, brain, options, progress);
  for (const auto& s : summaries) {
    char line[256];
    std::snprintf(line, sizeof(line), "%s  %s  whole tumour %6.1f cm3  core %5.1f cm3  brain %5.0f cm3", s.name.c_str(),
                  s.has_enhancing ? "HGG" : "LGG", s.whole_tumour_cm3, s.core_cm3, s.brain_cm3);
    std::cout << line << "\n";
  }
  std::cout << "wrote " << summaries.size() << " case(s) to " << flags.out << " (anatomy: " << brain.source << ")\n";
  if (!flags.preview.empty()) std::cout << "preview: " << flags.preview << "\n";
  return 0;
}

const CommandRegistrar kRegistrar(
    "synth-brats", "writes a BraTS 2020-layout folder of synthetic cases (Colin27 anatomy when installed)",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<SynthBratsFlags>();
      app.add_option("OUT", flags->out, "output folder (MICCAI_BraTS2020_TrainingData-like)")->required();
      app.add_option("--cases", flags->cases, "number of cases (default 5)");
      app.add_option("--seed", flags->seed, "random seed; same seed, same bytes (default 0)");
      app.add_option("--first-id", flags->first_id, "id of the first case, XXX in BraTS20_Training_XXX (default 1)");
      app.add_flag("--no-seg", flags->no_seg, "validation layout: BraTS20_Validation_XXX, no _seg files");
      app.add_option("--spacing", flags->spacing, "voxel size in mm: 1 (240x240x155), 2 or 3 (default 1)");
      app.add_option("--preview", flags->preview, "write a PNG of the first case (four channels + labels)");
      app.add_option("--anatomy", flags->anatomy, "auto (Colin27 if installed), colin27 or procedural");
      app.add_flag("--overwrite", flags->overwrite, "replace existing non-empty case folders");
      add_threads_flag(app, flags->threads);
      return [flags] { return run_synth_brats(*flags); };
    });

}  // namespace
}  // namespace nnseg::cli
