// nnseg's exceptions: Error (runtime failure, exit 1) and InputError (bad input or usage, exit 2).
// main() prints "nnseg: error: <item>: <what>" for both (spec/cli.md).
#pragma once

#include <stdexcept>
#include <string>

namespace nnseg {

class Error : public std::runtime_error {
 public:
  // item: the file, folder, flag or key the message is about (may be empty); what: what is wrong.
  Error(std::string item, const std::string& what) : std::runtime_error(what), item_(std::move(item)) {}
  const std::string& item() const { return item_; }
  virtual int exit_code() const { return 1; }

 private:
  std::string item_;
};

class InputError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

// The contract's one-line form: "<item>: <what>" (or just "<what>" when there is no item).
inline std::string format_error(const Error& e) { return e.item().empty() ? e.what() : e.item() + ": " + e.what(); }

}  // namespace nnseg
