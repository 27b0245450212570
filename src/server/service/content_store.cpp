#include "server/service/content_store.hpp"

#include <fmt/format.h>

#include <fstream>

#include "common/durable_file.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::service {
namespace fs = std::filesystem;

namespace {

Status CheckDigest(std::string_view sha256) {
  if (identity::IsSha256Hex(sha256)) return Ok{};
  return MakeError(ErrorCode::kInvalidArgument, "sha256: must be 64 lower-case hexadecimal digits",
                   "sha256");
}

}  // namespace

fs::path ContentStore::PathOf(std::string_view sha256) const {
  return root_ / std::string(sha256.substr(0, 2)) / std::string(sha256);
}

Result<bool> ContentStore::Put(std::string_view sha256, std::string_view bytes) {
  if (Status s = CheckDigest(sha256); !s) return s.error();
  const std::string actual = identity::Sha256Hex(bytes);
  if (actual != sha256) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the content's SHA-256 is {}, not {}", actual, sha256), "sha256");
  }
  const fs::path path = PathOf(sha256);
  std::error_code ec;
  if (fs::exists(path, ec)) return false;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot create {}: {}", path.parent_path().string(), ec.message()));
  }
  // Atomic: a concurrent upload of the same bytes is harmless.
  if (Status s = durable::WriteFileAtomically(path, bytes, 0600); !s) return s.error();
  return true;
}

Result<std::uint64_t> ContentStore::Size(std::string_view sha256) const {
  if (Status s = CheckDigest(sha256); !s) return s.error();
  std::error_code ec;
  const std::uint64_t size = fs::file_size(PathOf(sha256), ec);
  if (ec) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no content has SHA-256 {}", sha256),
                     "sha256");
  }
  return size;
}

Result<std::string> ContentStore::FilePath(std::string_view sha256) const {
  if (Status s = CheckDigest(sha256); !s) return s.error();
  std::error_code ec;
  const fs::path path = PathOf(sha256);
  if (!fs::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no content has SHA-256 {}", sha256),
                     "sha256");
  }
  return path.string();
}

Result<std::string> ContentStore::Read(std::string_view sha256, std::uint64_t offset,
                                       std::uint64_t length) const {
  if (Status s = CheckDigest(sha256); !s) return s.error();
  std::ifstream in(PathOf(sha256), std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kNotFound, fmt::format("no content has SHA-256 {}", sha256),
                     "sha256");
  }
  in.seekg(static_cast<std::streamoff>(offset));
  std::string bytes(length, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(length));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

}  // namespace groundcrew::service
