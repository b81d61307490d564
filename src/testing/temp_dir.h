// Test helpers: a temporary folder removed at the end of the test, and running the nnseg binary.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace nnseg::testing {

namespace fs = std::filesystem;

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

struct CommandResult {
  int exit_code = -1;  // exit status; 128+signal if killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs `argv` (argv[0] is the program path) with extra environment entries "NAME=value" (an entry "NAME=" with
// nothing after '=' unsets NAME), waits, and returns exit code and output. `timeout_s` kills it after that time.
CommandResult run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                          double timeout_s = 600);

// Runs the nnseg binary under test with the given arguments.
CommandResult run_nnseg(const std::vector<std::string>& args, const std::vector<std::string>& env = {});

// Every file below `dir` (recursive), relative paths, sorted.
std::vector<std::string> list_files(const fs::path& dir);

}  // namespace nnseg::testing
