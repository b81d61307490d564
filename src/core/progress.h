// Progress reporting for long work. Stages are given a Progress& and call start/advance/finish; the CLI picks
// a bar with rate and ETA on a terminal, or plain lines (every ~10%) in logs. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace nnseg {

class Progress {
 public:
  virtual ~Progress() = default;
  // Begins a task of `total` units called `label` (e.g. "synth-brats", "cases").
  virtual void start(const std::string& label, int64_t total) = 0;
  // Adds `n` finished units.
  virtual void advance(int64_t n = 1) = 0;
  // Ends the current task.
  virtual void finish() = 0;
};

// Reports nothing (tests, nested work).
class NullProgress : public Progress {
 public:
  void start(const std::string&, int64_t) override {}
  void advance(int64_t) override {}
  void finish() override {}
};

// Draws to a FILE*: a redrawn bar when it is a terminal, otherwise a plain line about every 10%.
class StreamProgress : public Progress {
 public:
  explicit StreamProgress(std::FILE* out = stderr);
  // Forces bar or plain-line mode (tests).
  StreamProgress(std::FILE* out, bool terminal);
  void start(const std::string& label, int64_t total) override;
  void advance(int64_t n = 1) override;
  void finish() override;

  // "[=====>    ] 12/40 3.2 it/s ETA 0:09": the text drawn for `done` of `total` after `elapsed_s`.
  static std::string format_bar(const std::string& label, int64_t done, int64_t total, double elapsed_s);

 private:
  void draw_locked(bool final_line);

  std::FILE* out_;
  bool terminal_;
  std::mutex mutex_;
  std::string label_;
  int64_t total_ = 0;
  int64_t done_ = 0;
  int last_decile_ = -1;
  int64_t last_printed_done_ = -1;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace nnseg
