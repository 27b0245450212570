#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace groundcrew::service {

/// App content on disk, addressed by SHA-256: `<root>/<first two hex digits>/<sha256>`. Files
/// are written to a temporary name, flushed and renamed, so a file under its final name is
/// always complete and correct. Thread-safe (the file system arbitrates).
class ContentStore {
 public:
  explicit ContentStore(std::filesystem::path root) : root_(std::move(root)) {}

  /// Stores `bytes` under `sha256` (64 lower-case hex digits). Returns true when it was new,
  /// false when already present. kInvalidArgument when `sha256` is malformed or is not the
  /// digest of `bytes`; kUnavailable when the disk refuses.
  [[nodiscard]] Result<bool> Put(std::string_view sha256, std::string_view bytes);

  /// The size of a stored file. kNotFound when absent; kInvalidArgument for a malformed digest.
  [[nodiscard]] Result<std::uint64_t> Size(std::string_view sha256) const;

  /// The file holding `sha256`, for streaming it without reading it into memory (stored files
  /// never change). kNotFound when absent; kInvalidArgument for a malformed digest.
  [[nodiscard]] Result<std::string> FilePath(std::string_view sha256) const;

  /// `length` bytes from `offset` (fewer at the end of the file). REQUIRES: Size() succeeded
  /// and offset <= size.
  [[nodiscard]] Result<std::string> Read(std::string_view sha256, std::uint64_t offset,
                                         std::uint64_t length) const;

 private:
  std::filesystem::path PathOf(std::string_view sha256) const;
  std::filesystem::path root_;
};

}  // namespace groundcrew::service
