// Fingerprint extraction over a raw dataset (fingerprint/extract_fingerprint.h), as nnU-Net v1 ImageCropper +
// DatasetAnalyzer without the cropped folder (spec/planning.md §1, §3, §4).
#include "fingerprint/extract_fingerprint.h"

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "fingerprint/crop_to_nonzero.h"
#include "fingerprint/intensity_stats.h"
#include "io/atomic_write.h"
#include "io/nifti.h"

namespace nnseg {

CaseFingerprint fingerprint_case(const std::vector<Image>& channels, const Image& label, const std::string& case_id) {
  const CroppedCase cropped = crop_to_nonzero(channels, &label, case_id);
  CaseFingerprint out;
  out.case_id = case_id;
  out.spacing = cropped.properties.original_spacing;
  out.shape_after_crop = cropped.properties.size_after_cropping;
  double before = 1, after = 1;
  for (size_t a = 0; a < 3; ++a) {
    before *= static_cast<double>(cropped.properties.original_size_of_raw_data[a]);
    after *= static_cast<double>(cropped.properties.size_after_cropping[a]);
  }
  out.size_reduction = after / before;
  // The foreground of the intensity statistics is the annotated label > 0, not the nonzero mask (pitfall #8).
  for (int64_t c = 0; c < cropped.data.channels(); ++c) out.foreground_samples.push_back(sample_foreground(cropped, c));
  return out;
}

CaseFingerprint fingerprint_case_files(const DatasetCase& c) {
  if (!c.label) throw InputError(c.id, "training case without a label file");
  std::vector<Image> channels;
  channels.reserve(c.images.size());
  for (const auto& path : c.images) channels.push_back(read_nifti(path));
  const Image label = read_nifti(*c.label);
  return fingerprint_case(channels, label, c.id);
}

Fingerprint combine_case_fingerprints(std::vector<CaseFingerprint> cases, int num_channels) {
  // v1 analyses the cropped folder's "<case>.npz" files in sorted file-name order (planning.md §4, pitfall #10).
  std::sort(cases.begin(), cases.end(),
            [](const CaseFingerprint& a, const CaseFingerprint& b) { return a.case_id + ".npz" < b.case_id + ".npz"; });
  Fingerprint fp;
  std::vector<double> reductions;
  std::vector<std::vector<float>> pooled(static_cast<size_t>(num_channels));
  for (const CaseFingerprint& c : cases) {
    NNSEG_CHECK(static_cast<int>(c.foreground_samples.size()) == num_channels)
        << c.case_id << ": " << c.foreground_samples.size() << " channels sampled, expected " << num_channels;
    fp.case_identifiers.push_back(c.case_id);
    fp.spacings.push_back(c.spacing);
    fp.shapes_after_crop.push_back(c.shape_after_crop);
    reductions.push_back(c.size_reduction);
    for (size_t m = 0; m < pooled.size(); ++m) {
      pooled[m].insert(pooled[m].end(), c.foreground_samples[m].begin(), c.foreground_samples[m].end());
    }
  }
  if (!reductions.empty()) {
    std::sort(reductions.begin(), reductions.end());
    fp.median_relative_size_after_cropping = percentile_linear(reductions, 50.0);
  }
  for (const auto& values : pooled)
    fp.foreground_intensity_properties_per_channel.push_back(compute_intensity_stats(values));
  return fp;
}

Fingerprint extract_fingerprint(const DatasetSpec& spec, int threads, Progress& progress) {
  if (spec.training.empty()) {
    throw InputError((spec.folder / "dataset.json").string(),
                     "no training cases found (imagesTr/ holds no case with channel files)");
  }
  std::vector<CaseFingerprint> cases(spec.training.size());
  progress.start("fingerprint", static_cast<int64_t>(cases.size()));
  parallel_for(static_cast<int64_t>(cases.size()), threads, [&](int64_t i) {
    const DatasetCase& c = spec.training[static_cast<size_t>(i)];
    cases[static_cast<size_t>(i)] = fingerprint_case_files(c);
    progress.advance(1);
  });
  progress.finish();
  return combine_case_fingerprints(std::move(cases), spec.num_channels());
}

void copy_dataset_json(const std::filesystem::path& raw_folder, const std::filesystem::path& output_folder) {
  write_file_atomically(output_folder / "dataset.json", read_file(raw_folder / "dataset.json"));
}

namespace {

// Sorted case identifiers of `spec` in the fingerprint's order.
std::vector<std::string> sorted_case_ids(const DatasetSpec& spec) {
  std::vector<std::string> ids;
  for (const auto& c : spec.training) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) { return a + ".npz" < b + ".npz"; });
  return ids;
}

}  // namespace

ExtractFingerprintResult extract_dataset_fingerprint(const std::filesystem::path& raw_folder,
                                                     const std::filesystem::path& output_folder,
                                                     const ExtractFingerprintOptions& options, Progress& progress) {
  const DatasetSpec spec = load_dataset_spec(raw_folder);
  ExtractFingerprintResult result;
  result.fingerprint_file = output_folder / "dataset_fingerprint.json";
  if (!options.overwrite && std::filesystem::exists(result.fingerprint_file)) {
    std::string why;
    try {
      Fingerprint existing = load_fingerprint(result.fingerprint_file);
      if (existing.case_identifiers != sorted_case_ids(spec)) {
        why = "its case identifiers differ from the dataset's " + std::to_string(spec.training.size()) + " case(s)";
      } else if (static_cast<int>(existing.foreground_intensity_properties_per_channel.size()) != spec.num_channels()) {
        why = "its channel count differs from the dataset's " + std::to_string(spec.num_channels());
      } else {
        copy_dataset_json(raw_folder, output_folder);
        log_info(result.fingerprint_file.string() + " exists for the same " + std::to_string(spec.training.size()) +
                 " case(s); kept (pass --overwrite to recompute)");
        result.fingerprint = std::move(existing);
        result.reused = true;
        return result;
      }
    } catch (const InputError& e) {
      why = "it cannot be read: " + format_error(e);
    }
    log_info(result.fingerprint_file.string() + " is recomputed: " + why);
  }
  result.fingerprint = extract_fingerprint(spec, options.threads, progress);
  // Written only when every case succeeded, so a failed run leaves no fingerprint behind.
  copy_dataset_json(raw_folder, output_folder);
  save_fingerprint(result.fingerprint_file, result.fingerprint);
  return result;
}

}  // namespace nnseg
