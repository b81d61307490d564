// NNSEG_CHECK(cond) << "context": internal invariants, on in release builds. Never for user input.
#pragma once

#include <sstream>
#include <string>

#include "core/error.h"

namespace nnseg::detail {

class CheckFailure {
 public:
  CheckFailure(const char* cond, const char* file, int line) {
    stream_ << "internal check failed: " << cond << " at " << file << ":" << line << ": ";
  }
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }
  [[noreturn]] ~CheckFailure() noexcept(false) { throw Error("", stream_.str()); }

 private:
  std::ostringstream stream_;
};

}  // namespace nnseg::detail

#define NNSEG_CHECK(cond) \
  if (cond) {             \
  } else                  \
    ::nnseg::detail::CheckFailure(#cond, __FILE__, __LINE__)
