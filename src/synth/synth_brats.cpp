// synth-brats folder writer (synth/synth_brats.h).
#include "synth/synth_brats.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "io/atomic_write.h"
#include "io/nifti.h"
#include "synth/synth_preview.h"

namespace nnseg::synth {

namespace {

const char* const kTrainingHeader =
    "Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,TCGA_TCIA_subject_ID,BraTS_2019_subject_ID,"
    "BraTS_2020_subject_ID";
const char* const kValidationHeader =
    "BraTS_2017_subject_ID,BraTS_2018_subject_ID,BraTS_2019_subject_ID,BraTS_2020_subject_ID";

std::string last_field(const std::string& row) { return row.substr(row.rfind(',') + 1); }

// A fresh hidden name beside `target`: ".<name>.<what>-<pid>-<n>".
fs::path sibling_temp(const fs::path& target, const std::string& what) {
  static std::atomic<int> counter{0};
  return target.parent_path() / ("." + target.filename().string() + "." + what + "-" + std::to_string(getpid()) + "-" +
                                 std::to_string(counter++));
}

bool non_empty_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec) && !fs::is_empty(p, ec);
}

}  // namespace

std::string brats_case_name(int64_t case_id, bool training) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "BraTS20_%s_%03lld", training ? "Training" : "Validation",
                static_cast<long long>(case_id));
  return buf;
}

void write_brats_case(const fs::path& out, const SynthCase& c, bool training) {
  const std::string name = brats_case_name(c.case_id, training);
  const fs::path target = out / name;
  const fs::path tmp = sibling_temp(target, "tmp");
  try {
    fs::create_directories(tmp);
    for (int ch = 0; ch < kChannels; ++ch) {
      write_nifti(tmp / (name + "_" + kChannelSuffixes[static_cast<size_t>(ch)] + ".nii.gz"),
                  c.channels[static_cast<size_t>(ch)]);
    }
    if (training) write_nifti(tmp / (name + "_seg.nii.gz"), c.seg);
    std::error_code ec;
    if (fs::exists(target, ec)) {
      const fs::path old = sibling_temp(target, "old");
      fs::rename(target, old);
      fs::rename(tmp, target);
      fs::remove_all(old, ec);
    } else {
      fs::rename(tmp, target);
    }
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw Error(target.string(), std::string("cannot write the case folder: ") + e.what());
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

void update_name_mapping(const fs::path& out, const std::vector<SynthCaseSummary>& cases, bool training) {
  const fs::path path = out / (training ? "name_mapping.csv" : "name_mapping_validation_data.csv");
  const std::string header = training ? kTrainingHeader : kValidationHeader;
  const auto columns = std::count(header.begin(), header.end(), ',');
  std::map<std::string, std::string> rows;  // BraTS 2020 id -> row
  std::error_code ec;
  if (fs::exists(path, ec)) {
    std::istringstream in(read_file(path));
    std::string line;
    bool first = true;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (first) {
        first = false;
        if (line == header) continue;
      }
      if (line.empty()) continue;
      if (std::count(line.begin(), line.end(), ',') != columns) {
        log_warning(path.string() + ": dropping a row that does not have the expected columns: " + line);
        continue;
      }
      rows[last_field(line)] = line;
    }
  }
  for (const auto& c : cases) {
    rows[c.name] =
        training ? std::string(c.has_enhancing ? "HGG" : "LGG") + ",NA,NA,NA,NA," + c.name : "NA,NA,NA," + c.name;
  }
  std::string text = header + "\n";
  for (const auto& [id, row] : rows) text += row + "\n";
  write_file_atomically(path, text);
}

std::vector<SynthCaseSummary> synth_brats(const fs::path& out, const BrainTemplate& anatomy,
                                          const SynthBratsOptions& options, Progress& progress) {
  if (options.cases < 1) throw InputError("--cases", std::to_string(options.cases) + ": expected at least 1");
  if (options.first_id < 1 || options.first_id > 999) {
    throw InputError("--first-id", std::to_string(options.first_id) + ": expected 1..999");
  }
  if (options.first_id + options.cases - 1 > 999) {
    throw InputError("--cases", std::to_string(options.cases) + " cases from id " + std::to_string(options.first_id) +
                                    " go past 999 (BraTS ids have three digits)");
  }
  if (options.spacing_mm < 1 || options.spacing_mm > 3) {
    throw InputError("--spacing", std::to_string(options.spacing_mm) + ": expected 1, 2 or 3");
  }
  std::error_code ec;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) throw InputError(out.string(), "exists and is not a folder");
  for (int64_t k = 0; k < options.cases; ++k) {
    const fs::path dir = out / brats_case_name(options.first_id + k, options.with_seg);
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) throw InputError(dir.string(), "exists and is not a folder");
    if (!options.overwrite && non_empty_dir(dir)) {
      throw InputError(dir.string(), "case folder exists and is not empty; use --overwrite to replace it");
    }
  }
  fs::create_directories(out, ec);
  if (ec) throw Error(out.string(), "cannot create the folder: " + ec.message());

  std::vector<SynthCaseSummary> summaries(static_cast<size_t>(options.cases));
  std::unique_ptr<SynthCase> first;
  std::mutex first_mutex;
  progress.start("synth-brats", options.cases);
  parallel_for(options.cases, options.threads, [&](int64_t k) {
    SynthCase c = synthesize_case(anatomy, options.seed, options.first_id + k, options.spacing_mm);
    write_brats_case(out, c, options.with_seg);
    SynthCaseSummary& s = summaries[static_cast<size_t>(k)];
    s.name = brats_case_name(c.case_id, options.with_seg);
    s.has_enhancing = c.has_enhancing;
    s.whole_tumour_cm3 = c.whole_tumour_cm3;
    s.core_cm3 = c.core_cm3;
    s.brain_cm3 = c.brain_cm3;
    if (k == 0 && !options.preview_png.empty()) {
      std::lock_guard<std::mutex> lock(first_mutex);
      first = std::make_unique<SynthCase>(std::move(c));
    }
    progress.advance(1);
  });
  progress.finish();
  update_name_mapping(out, summaries, options.with_seg);
  if (first) {
    write_brats_preview(*first, summaries[0].name, anatomy.source, options.preview_png);
  }
  return summaries;
}

}  // namespace nnseg::synth
