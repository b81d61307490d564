// BraTS 2020 -> nnU-Net v2 raw dataset and back (dataset/convert_brats.h), as nnU-Net v1
// `Task082_BraTS_2020.py` (data-formats.md §2) with nnseg's v2 layout.
#include "dataset/convert_brats.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/log.h"
#include "core/parallel.h"
#include "io/atomic_write.h"
#include "io/nifti.h"

namespace nnseg {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_nifti_name(const std::string& name) { return ends_with(name, ".nii.gz") || ends_with(name, ".nii"); }

// "<folder>/<id>_<suffix>.nii.gz", else the .nii variant; nullopt when neither exists.
std::optional<fs::path> find_nifti(const fs::path& folder, const std::string& stem) {
  for (const char* ext : {".nii.gz", ".nii"}) {
    fs::path p = folder / (stem + ext);
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) return p;
  }
  return std::nullopt;
}

std::string format_value(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

// A sibling of `target` named ".<name>.<tag>-<pid>".
fs::path sibling(const fs::path& target, const std::string& tag) {
  return target.parent_path() / ("." + target.filename().string() + "." + tag + "-" + std::to_string(getpid()));
}

void copy_file_atomically(const fs::path& from, const fs::path& to) {
  write_atomically(to, [&](const fs::path& tmp) {
    std::error_code ec;
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(from.string(), "cannot copy to " + to.string() + ": " + ec.message());
  });
}

// One case: channels to imagesX/<id>_000c.nii.gz (copied, or re-encoded from .nii), label remapped.
void convert_case(const BratsCaseFiles& files, const fs::path& images, const fs::path& labels) {
  for (size_t c = 0; c < files.channels.size(); ++c) {
    fs::path dst = channel_file(images, files.id, static_cast<int>(c), ".nii.gz");
    if (ends_with(files.channels[c].string(), ".nii.gz")) {
      copy_file_atomically(files.channels[c], dst);
    } else {
      write_nifti(dst, read_nifti(files.channels[c]));
    }
  }
  if (files.seg) {
    Image seg = read_nifti(*files.seg);
    write_nifti(labels / (files.id + ".nii.gz"), brats_label_image_to_nnunet(seg, files.id, *files.seg));
  }
}

std::vector<fs::path> nifti_gz_files(const fs::path& folder) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file(ec) && ends_with(entry.path().filename().string(), ".nii.gz")) {
      out.push_back(entry.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::optional<uint8_t> brats_to_nnunet_label(double value) {
  if (value == 0) return 0;
  if (value == 2) return 1;
  if (value == 1) return 2;
  if (value == 4) return 3;
  return std::nullopt;
}

uint8_t nnunet_to_brats_label(double value) {
  if (value == 1) return 2;
  if (value == 2) return 1;
  if (value == 3) return 4;
  return 0;
}

Image brats_label_image_to_nnunet(const Image& label, const std::string& case_id, const fs::path& file) {
  Image out(PixelType::kUInt8, label.shape, label.geometry);
  uint8_t* dst = out.data<uint8_t>();
  std::set<double> unexpected;
  dispatch_pixel_type(label.type, [&](auto tag) {
    using T = decltype(tag);
    const T* src = label.data<T>();
    for (int64_t i = 0; i < label.numel(); ++i) {
      auto v = brats_to_nnunet_label(static_cast<double>(src[i]));
      if (v) {
        dst[i] = *v;
      } else if (unexpected.size() < 10) {
        unexpected.insert(static_cast<double>(src[i]));
      }
    }
  });
  if (!unexpected.empty()) {
    std::string values;
    for (double v : unexpected) values += (values.empty() ? "" : ", ") + format_value(v);
    throw InputError(file.string(),
                     "case " + case_id + ": unexpected label value(s) " + values + " (BraTS labels are 0, 1, 2, 4)");
  }
  return out;
}

Image nnunet_label_image_to_brats(const Image& label) {
  Image out(PixelType::kUInt8, label.shape, label.geometry);
  uint8_t* dst = out.data<uint8_t>();
  dispatch_pixel_type(label.type, [&](auto tag) {
    using T = decltype(tag);
    const T* src = label.data<T>();
    for (int64_t i = 0; i < label.numel(); ++i) dst[i] = nnunet_to_brats_label(static_cast<double>(src[i]));
  });
  return out;
}

std::vector<fs::path> list_brats_case_folders(const fs::path& source) {
  std::error_code ec;
  if (!fs::is_directory(source, ec)) throw InputError(source.string(), "not a folder");
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(source, ec)) {
    if (entry.is_directory(ec)) out.push_back(entry.path());
  }
  if (ec) throw InputError(source.string(), "cannot list folder: " + ec.message());
  // Plain byte-wise sort of the names, as Python's sorted() in the v1 script.
  std::sort(out.begin(), out.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  return out;
}

BratsCaseFiles find_brats_case_files(const fs::path& case_folder, bool with_seg) {
  BratsCaseFiles files;
  files.id = case_folder.filename().string();
  std::set<std::string> channel_names;
  for (size_t c = 0; c < kBratsChannelSuffixes.size(); ++c) {
    std::string stem = files.id + "_" + kBratsChannelSuffixes[c];
    channel_names.insert(stem + ".nii.gz");
    channel_names.insert(stem + ".nii");
    auto found = find_nifti(case_folder, stem);
    if (!found) {
      throw InputError(case_folder.string(),
                       "case " + files.id + ": missing " + stem + ".nii.gz (or " + stem + ".nii)");
    }
    files.channels[c] = *found;
  }
  if (!with_seg) {
    // A test/validation case may carry its label (a held-out labelled case): taken only under its exact name.
    files.seg = find_nifti(case_folder, files.id + "_seg");
    return files;
  }
  std::string seg_stem = files.id + "_seg";
  files.seg = find_nifti(case_folder, seg_stem);
  if (files.seg) return files;
  // BraTS 2020 case 355 irregularity (data-formats.md §1.1): the label volume under another name.
  std::vector<fs::path> others;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(case_folder, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && is_nifti_name(name) && !channel_names.count(name)) others.push_back(entry.path());
  }
  std::sort(others.begin(), others.end());
  if (others.size() == 1) {
    files.seg = others.front();
    files.seg_renamed = true;
    log_warning(case_folder.string() + ": case " + files.id + ": " + seg_stem + ".nii.gz missing; using " +
                others.front().filename().string() + " as its label file");
    return files;
  }
  std::string what = "case " + files.id + ": missing " + seg_stem + ".nii.gz (or " + seg_stem + ".nii)";
  if (others.size() > 1) {
    what += "; several other NIfTI files could be the label:";
    for (const auto& o : others) what += " " + o.filename().string();
  }
  throw InputError(case_folder.string(), what);
}

DatasetSpec brats_dataset_spec(const std::string& name, int num_training) {
  DatasetSpec spec;
  spec.name = name;
  spec.channel_names = {"T1", "T1ce", "T2", "FLAIR"};
  spec.labels = {{"background", {0}}, {"edema", {1}}, {"non-enhancing", {2}}, {"enhancing", {3}}};
  spec.num_training = num_training;
  spec.file_ending = ".nii.gz";
  return spec;
}

ConvertBratsResult convert_brats(const ConvertBratsOptions& options, Progress& progress) {
  const fs::path& target = options.target;
  std::error_code ec;
  if (fs::exists(target, ec) && !options.overwrite) {
    throw InputError(target.string(), "already exists; pass --overwrite to replace it");
  }
  // Find every case's files before writing anything.
  std::vector<BratsCaseFiles> training, test;
  for (const auto& folder : list_brats_case_folders(options.source))
    training.push_back(find_brats_case_files(folder, true));
  if (training.empty()) throw InputError(options.source.string(), "no case folders found");
  if (options.test_source) {
    for (const auto& folder : list_brats_case_folders(*options.test_source)) {
      test.push_back(find_brats_case_files(folder, false));
    }
  }

  fs::create_directories(target.parent_path(), ec);
  if (ec) throw Error(target.parent_path().string(), "cannot create folder: " + ec.message());
  fs::path tmp = sibling(target, "tmp");
  fs::remove_all(tmp, ec);
  try {
    fs::create_directories(tmp / "imagesTr");
    fs::create_directories(tmp / "labelsTr");
    if (options.test_source) fs::create_directories(tmp / "imagesTs");
    if (std::any_of(test.begin(), test.end(), [](const BratsCaseFiles& c) { return c.seg.has_value(); })) {
      fs::create_directories(tmp / "labelsTs");
    }
    size_t total = training.size() + test.size();
    progress.start("convert-brats", static_cast<int64_t>(total));
    parallel_for(static_cast<int64_t>(total), options.threads, [&](int64_t i) {
      size_t k = static_cast<size_t>(i);
      if (k < training.size()) {
        convert_case(training[k], tmp / "imagesTr", tmp / "labelsTr");
      } else {
        // A test case with a seg file (a held-out labelled case) gets its label in labelsTs/, never in labelsTr/.
        convert_case(test[k - training.size()], tmp / "imagesTs", tmp / "labelsTs");
      }
      progress.advance();
    });
    progress.finish();
    save_dataset_json(tmp / "dataset.json", brats_dataset_spec(options.name, static_cast<int>(training.size())));

    fs::path old = sibling(target, "old");
    bool replaced = false;
    if (fs::exists(target)) {
      fs::remove_all(old, ec);
      fs::rename(target, old);
      replaced = true;
    }
    fs::rename(tmp, target, ec);
    if (ec) {
      if (replaced) fs::rename(old, target);
      throw Error(target.string(), "cannot move the converted dataset into place: " + ec.message());
    }
    if (replaced) fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    throw Error(e.path1().string(), e.code().message());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
  return {static_cast<int>(training.size()), static_cast<int>(test.size())};
}

int convert_brats_back(const fs::path& in, const fs::path& out, int threads, Progress& progress) {
  std::error_code ec;
  if (!fs::is_directory(in, ec)) throw InputError(in.string(), "not a folder");
  if (fs::exists(out, ec) && fs::equivalent(in, out, ec)) {
    throw InputError(out.string(), "output folder is the input folder; choose another one");
  }
  std::vector<fs::path> files = nifti_gz_files(in);
  if (files.empty()) throw InputError(in.string(), "no .nii.gz files to convert");
  fs::create_directories(out, ec);
  if (ec) throw Error(out.string(), "cannot create folder: " + ec.message());
  progress.start("convert-brats-back", static_cast<int64_t>(files.size()));
  parallel_for(static_cast<int64_t>(files.size()), threads, [&](int64_t i) {
    const fs::path& f = files[static_cast<size_t>(i)];
    write_nifti(out / f.filename(), nnunet_label_image_to_brats(read_nifti(f)));
    progress.advance();
  });
  progress.finish();
  return static_cast<int>(files.size());
}

}  // namespace nnseg
