// Atomic file writes (io/atomic_write.h).
#include "io/atomic_write.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace nnseg {

namespace {
std::string compound_extension(const fs::path& p) {
  std::string name = p.filename().string();
  for (const char* ext : {".nii.gz", ".tar.gz"}) {
    std::string e(ext);
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return e;
  }
  return p.extension().string();
}
}  // namespace

fs::path temporary_path_for(const fs::path& target) {
  static std::atomic<int> counter{0};
  std::string ext = compound_extension(target);
  std::string name = target.filename().string();
  std::string stem = name.substr(0, name.size() - ext.size());
  return target.parent_path() /
         ("." + stem + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ext);
}

void write_atomically(const fs::path& target, const std::function<void(const fs::path& tmp)>& write) {
  std::error_code ec;
  if (!target.parent_path().empty()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw Error(target.parent_path().string(), "cannot create folder: " + ec.message());
  }
  fs::path tmp = temporary_path_for(target);
  try {
    write(tmp);
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(target.string(), "cannot rename temporary file into place: " + ec.message());
  }
}

void write_file_atomically(const fs::path& target, const std::string& contents) {
  write_atomically(target, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.close();
    if (!out) throw Error(target.string(), "cannot write file");
  });
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace nnseg
