// Messages from library code go through one sink that the CLI sets (terminal, log file); library code never
// writes to stdout/stderr itself. The default sink writes to stderr.
#pragma once

#include <functional>
#include <string>

namespace nnseg {

enum class LogLevel { kInfo, kWarning };

using LogSink = std::function<void(LogLevel, const std::string&)>;

// Replaces the sink; returns the previous one (tests capture warnings this way).
LogSink set_log_sink(LogSink sink);
void log_info(const std::string& message);
void log_warning(const std::string& message);

}  // namespace nnseg
