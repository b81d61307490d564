// `nnseg overlay -i IMAGES_DIR --pred PRED_DIR [--ref REF_DIR] -o OUT_DIR [--cases A,B] [--summary summary.json]`:
// one PNG per predicted case, FLAIR and T1ce with the reference and predicted WT/TC/ET contours
// (report/overlay_png.h); Dice in the titles from evaluate's summary.json (--regions brats).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/error.h"
#include "core/log.h"
#include "evaluation/summary.h"
#include "report/overlay_png.h"

namespace nnseg::cli {
namespace {

struct OverlayFlags {
  std::string images_dir;
  std::string prediction_dir;
  std::string reference_dir;
  std::string output_dir;
  std::vector<std::string> cases;
  std::string summary;
};

std::string format_dice(double dice) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", dice);
  return std::isnan(dice) ? "NaN" : buf;
}

// Case id (file name without .nii.gz / .nii) -> region name -> formatted Dice, from summary.json.
std::map<std::string, std::map<std::string, std::string>> load_region_dice(const fs::path& path) {
  std::map<std::string, std::map<std::string, std::string>> dice;
  for (const CaseEvaluation& c : load_evaluation_summary(path).cases) {
    std::string id = fs::path(c.prediction_file).filename().string();
    for (const std::string ext : {".nii.gz", ".nii"}) {
      if (id.size() > ext.size() && id.compare(id.size() - ext.size(), ext.size(), ext) == 0) {
        id.resize(id.size() - ext.size());
        break;
      }
    }
    for (const auto& [region, score] : c.regions) dice[id][region] = format_dice(score.dice);
  }
  return dice;
}

int run_overlay(const OverlayFlags& flags) {
  std::optional<fs::path> reference_dir;
  if (!flags.reference_dir.empty()) reference_dir = fs::path(flags.reference_dir);
  // Every file is checked before the first picture is drawn.
  const std::vector<report::OverlayCaseFiles> cases =
      report::find_overlay_cases(flags.images_dir, flags.prediction_dir, reference_dir, flags.cases);
  std::map<std::string, std::map<std::string, std::string>> dice;
  if (!flags.summary.empty()) dice = load_region_dice(flags.summary);
  for (const report::OverlayCaseFiles& files : cases) {
    report::OverlayInputs in = report::load_overlay_inputs(files);
    std::string dice_text;
    if (!flags.summary.empty()) {
      auto it = dice.find(files.case_id);
      if (it == dice.end() || it->second.empty()) {
        log_warning(flags.summary + ": no WT/TC/ET Dice for case '" + files.case_id + "' (evaluate --regions brats)");
      } else {
        const auto get = [&](const char* region) {
          auto r = it->second.find(region);
          return r == it->second.end() ? std::string() : r->second;
        };
        in.dice_wt = get("WT");
        in.dice_tc = get("TC");
        in.dice_et = get("ET");
        dice_text = ", Dice WT " + in.dice_wt + " TC " + in.dice_tc + " ET " + in.dice_et;
      }
    }
    const fs::path png = fs::path(flags.output_dir) / (files.case_id + ".png");
    const report::OverlayPlan plan = report::write_overlay_png(in, png);
    std::cout << "wrote " << png.string() << " (slice " << plan.slice << ", "
              << (plan.slice_source == report::SliceSource::kMiddle
                      ? std::string("middle, no tumour")
                      : "largest " + report::to_string(plan.slice_source) + " tumour area")
              << dice_text << ")" << std::endl;
  }
  return 0;
}

const CommandRegistrar kRegistrar(
    "overlay", "one PNG per predicted case: FLAIR and T1ce with reference and predicted WT/TC/ET contours",
    [](CLI::App& app) -> std::function<int()> {
      auto flags = std::make_shared<OverlayFlags>();
      app.add_option("-i,--images", flags->images_dir,
                     "folder of the cases' channels CASE_000c.nii.gz (nnU-Net raw: 0001 T1ce, 0003 FLAIR)")
          ->required();
      app.add_option("--pred", flags->prediction_dir, "folder of predictions CASE.nii.gz (nnU-Net labels 0..3)")
          ->required();
      app.add_option("--ref", flags->reference_dir, "folder of reference segmentations CASE.nii.gz (labels 0..3)");
      app.add_option("-o,--output", flags->output_dir, "folder for CASE.png")->required();
      app.add_option("--cases", flags->cases, "only these cases, e.g. A,B (default: every prediction)")->delimiter(',');
      app.add_option("--summary", flags->summary,
                     "evaluate's summary.json (with --regions brats): per-case Dice WT/TC/ET in the titles");
      return [flags] { return run_overlay(*flags); };
    });

}  // namespace
}  // namespace nnseg::cli
