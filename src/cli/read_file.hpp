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
/// fsyncs it and moves it to `path`: renamed over what was there (IfExists::kReplace), or linked
/// there only if nothing is (IfExists::kRefuse: a file that exists, or appears meanwhile, is
/// never replaced). Destroyed without a successful Commit, it removes its temporary file.
/// Errors are kUnavailable with the system's reason, or kAlreadyExists ("exists") under
/// kRefuse; the file's path is the `field`.
class PrivateFile {
 public:
  enum class IfExists { kReplace, kRefuse };
  /// Under kRefuse, a `path` that exists already fails here (kAlreadyExists).
  [[nodiscard]] static Result<PrivateFile> Open(std::string path,
                                                IfExists if_exists = IfExists::kReplace);
  PrivateFile(PrivateFile&& other) noexcept;
  PrivateFile& operator=(PrivateFile&& other) noexcept;
  ~PrivateFile();

  /// REQUIRES: called at most once.
  [[nodiscard]] Status Commit(std::string_view content);

  const std::string& path() const { return path_; }

 private:
  PrivateFile(std::string path, std::string temp, int fd, IfExists if_exists)
      : path_(std::move(path)), temp_(std::move(temp)), fd_(fd), if_exists_(if_exists) {}
  void Discard();

  std::string path_;
  std::string temp_;  ///< "" once committed or moved from
  int fd_ = -1;
  IfExists if_exists_ = IfExists::kReplace;
};

/// A PrivateFile's error restated for the command-line option that named the file (`option`,
/// e.g. "-o"), which becomes the field: "<path> exists: remove it or choose another file with
/// <option>", or "<path>: <reason>".
[[nodiscard]] Error ForOutputOption(const Error& error, std::string_view option);

}  // namespace groundcrew::cli
