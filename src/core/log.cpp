// The process-wide message sink (core/log.h).
#include "core/log.h"

#include <iostream>
#include <mutex>

namespace nnseg {
namespace {

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}

LogSink& sink() {
  static LogSink s = [](LogLevel level, const std::string& message) {
    std::cerr << (level == LogLevel::kWarning ? "nnseg: warning: " : "") << message << "\n";
  };
  return s;
}

void emit(LogLevel level, const std::string& message) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  if (sink()) sink()(level, message);
}

}  // namespace

LogSink set_log_sink(LogSink s) {
  std::lock_guard<std::mutex> lock(sink_mutex());
  LogSink old = std::move(sink());
  sink() = std::move(s);
  return old;
}

void log_info(const std::string& message) { emit(LogLevel::kInfo, message); }
void log_warning(const std::string& message) { emit(LogLevel::kWarning, message); }

}  // namespace nnseg
