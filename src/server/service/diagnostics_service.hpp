#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/result.hpp"
#include "server/service/device_trust_service.hpp"
#include "server/store/store.hpp"

// Diagnostics archives devices upload for support (the agent's "Collect logs", docs/device-api.md
// "Diagnostics"), kept 28 days as Autopilot keeps them. Like app content they are files in the
// data directory, with a small index beside each:
//   <root>/<device id>/<archive id>.tar.gz    the bytes (0600)
//   <root>/<device id>/<archive id>.json      {"id", "deviceId", "fileName", "sizeBytes",
//                                              "uploadedDateTime", "expiresDateTime"} (0600)
// Both are written atomically (temporary file, fsync, rename), the bytes first, so an index
// always names complete bytes; the folders are 0700. Every upload is audited. Thread-safe:
// writes and purges are serialized; reads see complete entries only.
namespace groundcrew::service {

/// One stored archive.
struct DiagnosticsArchive {
  std::string id;
  std::string device_id;
  std::string file_name;
  std::uint64_t size_bytes = 0;
  core::Timestamp uploaded{};
  core::Timestamp expires{};
};

/// An archive's bytes, for the admin API's download.
struct DiagnosticsFile {
  std::string file_name;
  std::string bytes;
};

class DiagnosticsService {
 public:
  /// How long an archive is kept after its upload.
  static constexpr std::chrono::days kRetention{28};
  /// The largest archive accepted (decoded bytes).
  static constexpr std::uint64_t kMaxBytes = 16u << 20;
  /// The most archives kept per device: a new upload beyond it removes the oldest.
  static constexpr std::size_t kMaxPerDevice = 10;

  /// `root` is created (0700) on the first upload. `store` and `clock` must outlive this.
  DiagnosticsService(store::Store& store, std::filesystem::path root, Clock clock);

  /// The device `id` (the caller's own; another id is NoSuchDevice) uploads an archive:
  /// `file_name` is 1 to 128 characters of [A-Za-z0-9._-] not starting with '.', and
  /// `content_base64` is padded standard base64 of a gzip file (starting 1f 8b) of at most
  /// kMaxBytes. Expired archives are purged first, then the archive is stored and the device's
  /// oldest beyond kMaxPerDevice removed; audited as `uploadDiagnostics`. Answers the archive's
  /// JSON (ToJson). Errors: kNotFound ("id"); kInvalidArgument naming "fileName" or
  /// "contentBase64" (too large, not base64, empty, not gzip); kUnavailable when the disk
  /// refuses (nothing is kept then).
  [[nodiscard]] Result<boost::json::object> Upload(const DeviceCaller& caller, std::string_view id,
                                                   std::string_view file_name,
                                                   std::string_view content_base64);

  /// The unexpired archives of the device whose registration id or serial number (ASCII
  /// case-insensitive) is `device`, newest first. kNotFound ("id") when no device has it.
  [[nodiscard]] Result<std::vector<DiagnosticsArchive>> List(std::string_view device);

  /// One unexpired archive of that device. kNotFound naming "id" (the device) or
  /// "diagnosticsId" (no such archive of that device).
  [[nodiscard]] Result<DiagnosticsFile> Read(std::string_view device, std::string_view archive_id);

  /// Removes every archive whose expiresDateTime is not after the clock's now (and leftovers
  /// of interrupted writes: bytes without an index, temporary files, unreadable indexes).
  /// Returns how many archives were removed. kUnavailable when the disk refuses. groundcrewd
  /// calls it at startup; Upload calls it too.
  [[nodiscard]] Result<std::size_t> Purge();

  /// {"id", "fileName", "sizeBytes", "uploadedDateTime", "expiresDateTime"}.
  static boost::json::object ToJson(const DiagnosticsArchive& archive);

 private:
  Result<store::DeviceRecord> ResolveDevice(std::string_view device);
  // The device's archives unexpired at `now`, newest first (complete entries only).
  Result<std::vector<DiagnosticsArchive>> Archives(const std::string& device_id,
                                                   core::Timestamp now);
  Result<std::size_t> PurgeLocked(core::Timestamp now);

  store::Store& store_;
  std::filesystem::path root_;
  Clock clock_;
  std::mutex mutex_;  // serializes uploads and purges
};

}  // namespace groundcrew::service
