// write_atomically: write through a temporary file in the target's folder, then rename, so a half-written file
// never looks finished. The temporary name keeps the extension (".nii.gz", ".npy") so writers that pick a format
// by extension (ITK) still work.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace nnseg {

namespace fs = std::filesystem;

// A temporary path beside `target`: ".<name>.tmp-<pid>-<n><extension>".
fs::path temporary_path_for(const fs::path& target);

// Calls write(tmp) and renames tmp to target; removes tmp if write throws. Creates the parent folder.
void write_atomically(const fs::path& target, const std::function<void(const fs::path& tmp)>& write);

// Writes a whole text/binary file atomically.
void write_file_atomically(const fs::path& target, const std::string& contents);

// Reads a whole file; InputError naming the path if it cannot.
std::string read_file(const fs::path& path);

}  // namespace nnseg
