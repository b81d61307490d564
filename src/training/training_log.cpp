// TrainingLog and v1's log-message formatting (training/training_log.h, spec/training.md §9).
#include "training/training_log.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <system_error>

#include "core/error.h"
#include "core/log.h"

namespace nnseg {

namespace {

std::tm local_tm(LogClock::time_point t) {
  const std::time_t secs = LogClock::to_time_t(t);
  std::tm tm{};
  localtime_r(&secs, &tm);
  return tm;
}

std::string printf_string(const char* format, double x, int precision) {
  char buf[512];
  const int n = std::snprintf(buf, sizeof(buf), format, precision, x);
  if (n < 0) return "";
  if (static_cast<size_t>(n) < sizeof(buf)) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(n) + 1, '\0');
  std::snprintf(big.data(), big.size(), format, precision, x);
  big.resize(static_cast<size_t>(n));
  return big;
}

}  // namespace

std::string python_float_repr(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  // The shortest round-trip digits (as Python's dtoa mode 0), in scientific form "d.ddde[+-]XX".
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof(buf), x, std::chars_format::scientific);
  const std::string sci(buf, res.ptr);
  const size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  std::string sign;
  if (!mantissa.empty() && mantissa[0] == '-') {
    sign = "-";
    mantissa.erase(0, 1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (digits == "0") return sign + "0.0";
  // Python: value = 0.<digits> * 10**decpt; exponent notation when decpt <= -4 or decpt > 16 (float_repr_style
  // 'short', format code 'r').
  const int decpt = exponent + 1;
  const int n = static_cast<int>(digits.size());
  if (decpt <= -4 || decpt > 16) {
    std::string out = sign + digits.substr(0, 1);
    if (n > 1) out += "." + digits.substr(1);
    const int e = decpt - 1;
    char ebuf[16];
    std::snprintf(ebuf, sizeof(ebuf), "e%c%02d", e < 0 ? '-' : '+', std::abs(e));
    return out + ebuf;
  }
  if (decpt <= 0) return sign + "0." + std::string(static_cast<size_t>(-decpt), '0') + digits;
  if (decpt >= n) return sign + digits + std::string(static_cast<size_t>(decpt - n), '0') + ".0";
  return sign + digits.substr(0, static_cast<size_t>(decpt)) + "." + digits.substr(static_cast<size_t>(decpt));
}

std::string python_percent_f(double x, int precision) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x < 0 ? "-inf" : "inf";
  // glibc's printf rounds the exact binary value correctly, as Python's own dtoa does.
  return printf_string("%.*f", x, precision);
}

double numpy_round(double x, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::nearbyint(x * scale) / scale;
}

std::string python_str_repr(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string format_log_datetime(LogClock::time_point t) {
  const std::tm tm = local_tm(t);
  const auto since_epoch = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  const long long micros = ((since_epoch % 1000000) + 1000000) % 1000000;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string out = buf;
  if (micros != 0) {
    std::snprintf(buf, sizeof(buf), ".%06lld", micros);
    out += buf;
  }
  return out;
}

std::string training_log_file_name(LogClock::time_point t) {
  const std::tm tm = local_tm(t);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "training_log_%d_%d_%d_%02d_%02d_%02d.txt", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string format_log_entry(LogClock::time_point t, const std::string& message) {
  // v1 writes each argument followed by one space: ("<datetime>:", message) -> "<datetime>: <message> \n".
  return format_log_datetime(t) + ": " + message + " \n";
}

std::string epoch_header_message(int64_t epoch) { return "\nepoch:  " + std::to_string(epoch); }

std::string train_loss_message(double loss) { return "train loss : " + python_percent_f(loss, 4); }

std::string validation_loss_message(double loss) { return "validation loss: " + python_percent_f(loss, 4); }

std::string global_dice_message(const std::vector<double>& dice_per_class) {
  std::string list = "[";
  bool first = true;
  for (double d : dice_per_class) {
    if (std::isnan(d)) continue;
    if (!first) list += ", ";
    list += python_float_repr(numpy_round(d, 4));
    first = false;
  }
  return "Average global foreground Dice: " + list + "]";
}

std::string lr_message(double lr) { return "lr: " + python_float_repr(numpy_round(lr, 6)); }

std::string epoch_time_message(double seconds) { return "This epoch took " + python_percent_f(seconds, 6) + " s\n"; }

std::string saving_took_message(double seconds) {
  return "done, saving took " + python_percent_f(seconds, 2) + " seconds";
}

std::string split_sizes_message(size_t num_train, size_t num_val) {
  return "This split has " + std::to_string(num_train) + " training and " + std::to_string(num_val) +
         " validation cases.";
}

std::string case_keys_message(const std::string& title, const std::vector<std::string>& keys) {
  std::string list;
  for (size_t i = 0; i < keys.size(); ++i) list += (i ? ", " : "") + python_str_repr(keys[i]);
  return title + ":\n odict_keys([" + list + "])";
}

TrainingLog::TrainingLog(const fs::path& fold_dir, LogClock::time_point start)
    : path_(fold_dir / training_log_file_name(start)) {
  std::error_code ec;
  fs::create_directories(fold_dir, ec);
  if (ec) throw Error(fold_dir.string(), "cannot create the fold folder: " + ec.message());
  file_.open(path_, std::ios::out | std::ios::trunc | std::ios::binary);
  file_ << "Starting... \n" << std::flush;
  if (!file_) throw Error(path_.string(), "cannot create the training log");
}

void TrainingLog::print(const std::string& message, bool to_console) {
  const LogClock::time_point now = LogClock::now();
  file_ << format_log_entry(now, message) << std::flush;
  if (!file_ && !warned_) {
    warned_ = true;
    log_warning(path_.string() + ": cannot write to the training log; further lines may be lost");
  }
  file_.clear();
  // v1 echoes with print(*args): the same text, arguments separated by one space, no trailing space.
  if (to_console) log_info(format_log_datetime(now) + ": " + message);
}

}  // namespace nnseg
