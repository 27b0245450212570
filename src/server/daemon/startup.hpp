#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.hpp"

// What groundcrewd checks about its machine before it serves, and while it serves: the data
// directory is its own (an exclusive lock), writable, private (0700 folders, 0600 files), with
// room to write; the listen address is resolved.
namespace groundcrew::daemon {

/// An exclusive lock on a data directory, held until destruction (or the process's end: the
/// kernel drops it even after SIGKILL, so a crash never leaves a stale lock).
class DataDirLock {
 public:
  /// Takes the lock: `<dir>/groundcrewd.lock` (created 0600) locked with flock(LOCK_EX), then
  /// holding this process's id. kFailedPrecondition (field "dataDir") naming the other
  /// process's id when another groundcrewd holds it; kUnavailable with the system's reason when
  /// the file cannot be created (e.g. a read-only file system).
  [[nodiscard]] static Result<DataDirLock> Take(const std::filesystem::path& dir);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

/// Fails unless a file can be created, written, flushed and removed in `dir`: kUnavailable
/// (field "dataDir") naming the directory and the system's reason ("Read-only file system",
/// "No space left on device", "Permission denied").
[[nodiscard]] Status CheckWritable(const std::filesystem::path& dir);

/// Free space below which the service is not ready: a write could fail half-way.
inline constexpr std::uintmax_t kMinimumFreeBytes = 16 * 1024 * 1024;

/// Readiness (GET /readyz): ok while `dir` is writable (CheckWritable) with at least
/// kMinimumFreeBytes available; else kUnavailable saying which.
[[nodiscard]] Status CheckReady(const std::filesystem::path& dir);

/// Makes every folder under `dir` (and `dir`) 0700 and every file 0600: the database holds TOTP
/// seeds and network keys, the content and diagnostics are the tenant's. Returns how many
/// entries were changed. Errors: kUnavailable naming the entry that could not be changed.
[[nodiscard]] Result<int> RestrictModes(const std::filesystem::path& dir);

/// The numeric address to bind for `host` ("127.0.0.1", "::1", "localhost", a name): the
/// address itself when numeric, else the first address the resolver gives (IPv4 first).
/// kInvalidArgument (field "listen") when the name does not resolve, with the resolver's reason.
[[nodiscard]] Result<std::string> ResolveListenAddress(const std::string& host);

}  // namespace groundcrew::daemon
