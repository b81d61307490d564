// TrainingLog: nnU-Net v1's training log, fold_F/training_log_<Y>_<M>_<D>_<hh>_<mm>_<ss>.txt (spec/training.md §9),
// with v1's print_to_log_file line format and the per-epoch messages formatted exactly as v1 formats them.
// Plain C++ (no LibTorch) so that it compiles fast.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace nnseg {

namespace fs = std::filesystem;

using LogClock = std::chrono::system_clock;

// ---- Python / NumPy number formatting --------------------------------------------------------------------------

// Python's repr(float): the shortest digits that round-trip, fixed notation for 1e-4 <= |x| < 1e16 (with ".0" when
// there is no fraction), else "1e-05" / "1.5e+16"; "nan", "inf", "-inf", "-0.0".
std::string python_float_repr(double x);
// Python's "%.<precision>f" % x ("nan"/"inf"/"-inf" for non-finite values, whatever the sign bit of a NaN).
std::string python_percent_f(double x, int precision);
// np.round(x, decimals) for decimals >= 0: rint(x * 10**decimals) / 10**decimals (half to even), as NumPy does it.
double numpy_round(double x, int decimals);
// Python's repr(str) for plain text: single quotes, backslash and quote escaped (case identifiers).
std::string python_str_repr(const std::string& s);

// ---- Timestamps -----------------------------------------------------------------------------------------------

// str(datetime) in local time: "YYYY-MM-DD HH:MM:SS.ffffff" (Python drops ".ffffff" when the microseconds are 0).
std::string format_log_datetime(LogClock::time_point t);
// "training_log_<Y>_<M>_<D>_<hh>_<mm>_<ss>.txt" in local time (year, month, day unpadded; time two-digit).
std::string training_log_file_name(LogClock::time_point t);
// One log-file entry as v1's print_to_log_file(message) writes it: "<datetime>: <message> \n".
std::string format_log_entry(LogClock::time_point t, const std::string& message);

// ---- The per-epoch messages (without timestamp), spec/training.md §3 and §9 ------------------------------------

// "\nepoch:  N" (v1 prints "\nepoch: " and N as two arguments: a blank line, then two spaces before N).
std::string epoch_header_message(int64_t epoch);
// "train loss : -0.4123" (%.4f).
std::string train_loss_message(double loss);
// "validation loss: -0.4456" (%.4f).
std::string validation_loss_message(double loss);
// "Average global foreground Dice: [0.8123, 0.7012]": NaN classes omitted, each np.round(d, 4), printed as a
// Python list of NumPy float64 values.
std::string global_dice_message(const std::vector<double>& dice_per_class);
// The fixed line that follows the global Dice.
inline constexpr const char* kDiceEstimateNote =
    "(interpret this as an estimate for the Dice of the different classes. This is not exact.)";
// "lr: 0.009991": np.round(lr, 6) printed as Python prints a float ("lr: 0.01", "lr: 2e-05", "lr: 0.0").
std::string lr_message(double lr);
// "This epoch took 123.456789 s\n" (%f; the trailing newline makes v1's empty line after it).
std::string epoch_time_message(double seconds);

// Checkpoint saving (v1 maybe_save_checkpoint / save_checkpoint).
inline constexpr const char* kSavingScheduledCheckpoint = "saving scheduled checkpoint file...";
inline constexpr const char* kSavingCheckpoint = "saving checkpoint...";
inline constexpr const char* kDone = "done";
// "done, saving took 1.23 seconds" (%.2f).
std::string saving_took_message(double seconds);
// nnUNetTrainerV2.on_epoch_end's message when the pseudo-Dice is exactly 0 at epoch 100 (spec/training.md §3).
inline constexpr const char* kMomentumResetMessage =
    "At epoch 100, the mean foreground Dice was 0. This can be caused by a too high momentum. High momentum (0.99) "
    "is good for datasets where it works, but sometimes causes issues such as this one. Momentum has now been "
    "reduced to 0.95 and network weights have been reinitialized";
// "This split has 8 training and 2 validation cases."
std::string split_sizes_message(size_t num_train, size_t num_val);
// "<title>:\n odict_keys(['case_a', 'case_b'])", e.g. title "TRAINING KEYS" (log file only in v1).
std::string case_keys_message(const std::string& title, const std::vector<std::string>& keys);

// ---- The log file -----------------------------------------------------------------------------------------------

class TrainingLog {
 public:
  // Creates `fold_dir` if needed and training_log_<start>.txt in it, holding "Starting... \n" (an existing file of
  // the same name is replaced, as v1's open(..., 'w')). Error naming the path if it cannot be created.
  explicit TrainingLog(const fs::path& fold_dir, LogClock::time_point start = LogClock::now());
  TrainingLog(const TrainingLog&) = delete;
  TrainingLog& operator=(const TrainingLog&) = delete;

  const fs::path& path() const { return path_; }

  // Appends format_log_entry(now, message) and flushes it; echoes "<datetime>: <message>" through log_info unless
  // `to_console` is false (v1 keeps the case lists out of the console). A failed write is reported once with
  // log_warning and does not stop training (v1 gives up on a line after 5 attempts and goes on).
  void print(const std::string& message, bool to_console = true);

 private:
  fs::path path_;
  std::ofstream file_;
  bool warned_ = false;
};

}  // namespace nnseg
