#include "cli/read_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace groundcrew::cli {

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return MakeError(error == ENOENT ? ErrorCode::kNotFound : ErrorCode::kUnavailable,
                     std::strerror(error), path);
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return MakeError(ErrorCode::kUnavailable, "read failed", path);
  return std::move(content).str();
}

}  // namespace groundcrew::cli
