#pragma once

#include <filesystem>
#include <string>
#include <string_view>

// Files for tests: a fresh temporary folder per test and small file helpers.
namespace groundcrew::test_support {

/// A fresh folder under the system's temporary directory (mkdtemp), removed with everything in
/// it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to path()/name (replacing it) and returns the file's path as a string.
  std::string Write(const std::string& name, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

/// Writes `text` to `path` (its folders created), replacing what was there.
void WriteText(const std::filesystem::path& path, std::string_view text);

/// The whole file; "" when it cannot be read.
std::string ReadText(const std::filesystem::path& path);

/// The permission bits of `path` (e.g. 0600), or -1 when it does not exist.
int ModeOf(const std::filesystem::path& path);

/// Unpacks the real Debian 12 root (the tarball scripts/debian-root makes, named by
/// GROUNDCREW_DEBIAN_ROOT_TAR, which ctest sets in the optimised build) into `folder` (created).
/// Returns "" once it is there, else why a test on it must skip: the variable is unset or names
/// no file, or the test does not run as root (unpacking device files and chroot need it). A
/// tarball that does not unpack is a failure of the calling test (ADD_FAILURE), and its reason
/// is returned too.
std::string UnpackDebianRoot(const std::filesystem::path& folder);

}  // namespace groundcrew::test_support
