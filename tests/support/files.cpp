#include "tests/support/files.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace groundcrew::test_support {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "gc-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& content) const {
  WriteText(path_ / name, content);
  return (path_ / name).string();
}

void WriteText(const fs::path& path, std::string_view text) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

int ModeOf(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

std::string UnpackDebianRoot(const fs::path& folder) {
  const char* tarball = std::getenv("GROUNDCREW_DEBIAN_ROOT_TAR");
  std::error_code ec;
  if (tarball == nullptr || *tarball == '\0' || !fs::is_regular_file(tarball, ec)) {
    return "GROUNDCREW_DEBIAN_ROOT_TAR does not name the Debian 12 root's tarball "
           "(scripts/debian-root makes build/debian-root/bookworm.tar)";
  }
  if (::geteuid() != 0) {
    return "GROUNDCREW_DEBIAN_ROOT_TAR is set, but unpacking it and chroot into it need root";
  }
  fs::create_directories(folder);
  const CommandResult unpacked = RunCommand({"/bin/tar", "-xf", tarball, "-C", folder.string()});
  if (unpacked.exit_code != 0) {
    const std::string reason = "cannot unpack " + std::string(tarball) + ": " + unpacked.err;
    ADD_FAILURE() << reason;
    return reason;
  }
  return "";
}

}  // namespace groundcrew::test_support
