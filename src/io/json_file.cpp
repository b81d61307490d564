// JSON load/save (io/json_file.h).
#include "io/json_file.h"

#include "core/error.h"
#include "io/atomic_write.h"

namespace nnseg {

OrderedJson load_json(const std::filesystem::path& path) {
  std::string text = read_file(path);
  try {
    return OrderedJson::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path.string(), std::string("invalid JSON: ") + e.what());
  }
}

void save_json(const std::filesystem::path& path, const OrderedJson& value) {
  write_file_atomically(path, value.dump(4) + "\n");
}

}  // namespace nnseg
