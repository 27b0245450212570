#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Files written so that a crash never leaves a half-written one under the final name.
namespace groundcrew::service {

/// Writes `bytes` to `path` atomically: to a fresh temporary file beside it (created with
/// O_EXCL and `mode`), flushed with fsync, renamed over `path`, and the directory flushed.
/// An existing file at `path` is replaced. kUnavailable with the system's reason when the disk
/// refuses (the temporary file is removed); the message names the path, never the bytes.
[[nodiscard]] Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes,
                                         mode_t mode);

/// The whole file. kNotFound when absent, kUnavailable when it cannot be read.
[[nodiscard]] Result<std::string> ReadWholeFile(const std::filesystem::path& path);

}  // namespace groundcrew::service
