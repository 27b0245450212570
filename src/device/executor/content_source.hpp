#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "common/result.hpp"
#include "device/executor/executor.hpp"

// App content: content-addressed files (SHA-256, size) that the agent downloads before running
// an installer. The driver implements ContentSource over HTTP (GET
// /v1/agent/devices/{id}/content/{sha256} with Range) on top of DownloadWithResume, which owns
// the partial file, the resume, the verification and the atomic rename.
namespace groundcrew::executor {

/// Takes the next bytes of a download, in order. An error stops the download with that error.
using ChunkSink = std::function<Status(std::string_view bytes)>;

/// Delivers the content's bytes from `offset` (inclusive) to its end, in order and in chunks of
/// any size, to `sink`, then returns Ok. The HTTP implementation sends `Range: bytes=<offset>-`
/// (none when offset is 0) and streams a 206 body; when the server answers 200 with the whole
/// file it must drop the first `offset` bytes itself. Errors are returned as they are: use
/// kUnavailable for a transfer that broke or a server that cannot be reached (the bytes already
/// delivered are kept and the next download resumes after them), kNotFound for a 404. A sink
/// error must be returned unchanged.
using RangeFetcher = std::function<Status(std::uint64_t offset, const ChunkSink& sink)>;

/// `<destination>.partial`: where DownloadWithResume keeps what it has so far.
std::filesystem::path PartialPath(const std::filesystem::path& destination);

/// Puts the content `sha256` (64 lower-case hex digits) of `size` bytes at `destination`, whose
/// folder must exist:
/// - a file already at `destination` with that size and digest is kept (nothing fetched); any
///   other file there is replaced;
/// - otherwise the download goes to PartialPath(destination) and resumes after the bytes already
///   there (a partial file longer than `size` is started over); each chunk is appended and hashed
///   as it arrives and `progress` (if any) is told bytes done of `size`;
/// - once `size` bytes are in, the partial file is flushed, its SHA-256 checked and it is renamed
///   onto `destination` (atomic: `destination` never holds unverified bytes).
/// Errors, each naming the content's digest:
/// - the fetcher's own error (e.g. kUnavailable), and kUnavailable when it delivered fewer than
///   `size` bytes: the partial file is kept for the next call to resume;
/// - kFailedPrecondition when the bytes do not match (a different digest, or more than `size`
///   bytes): the partial file is deleted, so the next call starts over;
/// - kInvalidArgument (field "sha256") for a malformed digest; kUnavailable when the disk refuses.
/// Not safe to call twice at once for the same destination.
[[nodiscard]] Status DownloadWithResume(std::string_view sha256, std::uint64_t size,
                                        const std::filesystem::path& destination,
                                        const RangeFetcher& fetch, const ProgressFn& progress);

/// Where app content comes from.
class ContentSource {
 public:
  virtual ~ContentSource() = default;

  /// Puts the verified content `sha256` of `size` bytes at `destination` (its folder exists),
  /// with DownloadWithResume's contract and errors: kUnavailable = transient (partial kept, try
  /// again later), kFailedPrecondition = the bytes did not match (nothing kept), kNotFound = the
  /// source has no such content. Called from several threads at once for different contents;
  /// never twice at once for the same destination.
  [[nodiscard]] virtual Status Fetch(std::string_view sha256, std::uint64_t size,
                                     const std::filesystem::path& destination,
                                     const ProgressFn& progress) = 0;
};

/// Content read from a local folder holding one file per content, named by its SHA-256 (tests,
/// and devices provisioned from removable media). Reads go through DownloadWithResume in chunks
/// of `chunk_bytes`, so they verify and resume like downloads.
class DirectoryContentSource final : public ContentSource {
 public:
  explicit DirectoryContentSource(std::filesystem::path directory,
                                  std::size_t chunk_bytes = 64 * 1024);

  /// kNotFound when the folder has no file named `sha256`; kFailedPrecondition when that file
  /// does not have `size` bytes.
  [[nodiscard]] Status Fetch(std::string_view sha256, std::uint64_t size,
                             const std::filesystem::path& destination,
                             const ProgressFn& progress) override;

 private:
  std::filesystem::path directory_;
  std::size_t chunk_bytes_;
};

}  // namespace groundcrew::executor
