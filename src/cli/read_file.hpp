#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"

// Files the CLI reads, and files it writes that hold secrets.
namespace groundcrew::cli {

/// The whole content of `path`. kNotFound / kUnavailable errors carry the path as `field` and
/// the system's reason as the message.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::string& path);

/// A file only its owner may read (mode 0600, whatever the umask) that appears at its path
/// complete or not at all. Open creates a temporary file beside `path`, so a directory that
/// cannot take the file fails before the caller does anything else; Commit writes the content,
/// fsyncs it and renames it over `path` (replacing what was there). Destroyed without a
/// successful Commit, it removes its temporary file. Errors are kUnavailable with the system's
/// reason, the file's path as `field`.
class PrivateFile {
 public:
  [[nodiscard]] static Result<PrivateFile> Open(std::string path);
  PrivateFile(PrivateFile&& other) noexcept;
  PrivateFile& operator=(PrivateFile&& other) noexcept;
  ~PrivateFile();

  /// REQUIRES: called at most once.
  [[nodiscard]] Status Commit(std::string_view content);

  const std::string& path() const { return path_; }

 private:
  PrivateFile(std::string path, std::string temp, int fd)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd) {}
  void Discard();

  std::string path_;
  std::string temp_;  ///< "" once committed or moved from
  int fd_ = -1;
};

}  // namespace groundcrew::cli
