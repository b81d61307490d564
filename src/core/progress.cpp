// Terminal bar / log-line progress (core/progress.h).
#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

namespace nnseg {
namespace {

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "--:--";
  auto total = static_cast<int64_t>(s + 0.5);
  char buf[32];
  if (total >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  }
  return buf;
}

}  // namespace

StreamProgress::StreamProgress(std::FILE* out) : StreamProgress(out, isatty(fileno(out)) != 0) {}
StreamProgress::StreamProgress(std::FILE* out, bool terminal) : out_(out), terminal_(terminal) {}

std::string StreamProgress::format_bar(const std::string& label, int64_t done, int64_t total, double elapsed_s) {
  constexpr int kWidth = 30;
  double frac = total > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total)) : 1.0;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  double rate = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0.0;
  double eta = rate > 0 ? static_cast<double>(total - done) / rate : -1.0;
  char buf[256];
  std::snprintf(buf, sizeof buf, "%s [%s] %lld/%lld %.2f it/s elapsed %s ETA %s", label.c_str(), bar.c_str(),
                static_cast<long long>(done), static_cast<long long>(total), rate, format_duration(elapsed_s).c_str(),
                done >= total ? "0:00" : format_duration(eta).c_str());
  return buf;
}

void StreamProgress::start(const std::string& label, int64_t total) {
  std::lock_guard<std::mutex> lock(mutex_);
  label_ = label;
  total_ = total;
  done_ = 0;
  last_decile_ = -1;
  last_printed_done_ = -1;
  started_ = last_draw_ = std::chrono::steady_clock::now();
  draw_locked(false);
}

void StreamProgress::advance(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  done_ += n;
  draw_locked(false);
}

void StreamProgress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  draw_locked(true);
}

void StreamProgress::draw_locked(bool final_line) {
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - started_).count();
  if (terminal_) {
    bool due =
        final_line || done_ == 0 || done_ >= total_ || std::chrono::duration<double>(now - last_draw_).count() > 0.2;
    if (!due) return;
    last_draw_ = now;
    std::fprintf(out_, "\r%s\x1b[K%s", format_bar(label_, done_, total_, elapsed).c_str(), final_line ? "\n" : "");
  } else {
    // One line per tenth of the work; finish() adds the final state only if it was not the last line printed.
    int decile = total_ > 0 ? static_cast<int>(10 * done_ / total_) : 10;
    if (!final_line && decile == last_decile_) return;
    if (final_line && done_ == last_printed_done_) return;
    last_decile_ = decile;
    last_printed_done_ = done_;
    std::fprintf(out_, "%s\n", format_bar(label_, done_, total_, elapsed).c_str());
  }
  std::fflush(out_);
}

}  // namespace nnseg
