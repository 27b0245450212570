#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Files written so that a crash never leaves a half-written one under its final name (the
// service's secrets and content, the agent's executors).
namespace groundcrew::durable {

/// Writes `bytes` to `path` atomically: the parent folders are created, then a fresh temporary
/// file beside `path` (".<name>.<random>", O_EXCL) gets the bytes and exactly `mode` (umask does
/// not apply), is flushed with fsync and renamed over `path`; the folder is flushed too. An
/// existing file is replaced. kUnavailable with the system's reason when the disk refuses (the
/// temporary file is removed); the message names the path, never the bytes.
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                                         mode_t mode);

/// Who owns a file.
struct FileOwner {
  uid_t uid;
  gid_t gid;
};

/// WriteFileAtomically, the temporary file also given `owner` (fchown) before the rename, so the
/// file never appears under its name with another owner (e.g. /etc/shadow root:shadow).
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                                         mode_t mode, FileOwner owner);

/// The whole file. kNotFound when absent, kUnavailable when it cannot be read.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::filesystem::path& path);

/// Removes `path` (absent is fine) and flushes its folder. kUnavailable when it cannot.
[[nodiscard]] Status RemoveFile(const std::filesystem::path& path);

/// Flushes a folder's entries (after a rename or unlink). Best effort.
void SyncDirectory(const std::filesystem::path& directory);

}  // namespace groundcrew::durable
