#include "server/service/diagnostics_service.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <set>

#include "common/base64.hpp"
#include "common/durable_file.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace fs = std::filesystem;
namespace json = boost::json;
using store::DeviceRecord;

namespace {

constexpr std::string_view kBytesSuffix = ".tar.gz";
constexpr std::string_view kIndexSuffix = ".json";
constexpr std::size_t kMaxFileNameLength = 128;

bool IsFileName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxFileNameLength && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

// Archive ids are UUIDs; anything that could leave the folder is no archive's id.
bool IsArchiveId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// Registration ids become folder names: refuse any that could leave the root.
bool IsSafeSegment(std::string_view id) {
  return !id.empty() && id != "." && id != ".." && id.front() != '.' &&
         id.find('/') == std::string_view::npos && id.find('\0') == std::string_view::npos;
}

Error TooLarge() {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("contentBase64: the archive is larger than {} bytes (16 MiB)",
                               DiagnosticsService::kMaxBytes),
                   "contentBase64");
}

Error DiskError(const fs::path& path, std::string_view what, const std::error_code& ec) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot {} {}: {}", what, path.string(), ec.message()));
}

// Creates `path` if needed and makes it private (0700).
Status PrivateFolder(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return DiskError(path, "create", ec);
  fs::permissions(path, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return DiskError(path, "protect", ec);
  return Ok{};
}

std::optional<DiagnosticsArchive> ParseIndex(const std::string& text) {
  boost::system::error_code ec;
  const json::value value = json::parse(text, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const json::object& o = value.as_object();
  auto text_of = [&](const char* key) -> std::optional<std::string> {
    const json::value* member = o.if_contains(key);
    if (member == nullptr || !member->is_string()) return std::nullopt;
    return std::string(member->as_string());
  };
  auto id = text_of("id");
  auto device_id = text_of("deviceId");
  auto file_name = text_of("fileName");
  auto uploaded = text_of("uploadedDateTime");
  auto expires = text_of("expiresDateTime");
  const json::value* size = o.if_contains("sizeBytes");
  if (!id || !device_id || !file_name || !uploaded || !expires || size == nullptr ||
      !(size->is_int64() || size->is_uint64())) {
    return std::nullopt;
  }
  Result<core::Timestamp> uploaded_at = wire::ParseTimestamp(*uploaded);
  Result<core::Timestamp> expires_at = wire::ParseTimestamp(*expires);
  if (!uploaded_at || !expires_at) return std::nullopt;
  return DiagnosticsArchive{
      *id,
      *device_id,
      *file_name,
      size->is_uint64() ? size->as_uint64() : static_cast<std::uint64_t>(size->as_int64()),
      *uploaded_at,
      *expires_at};
}

}  // namespace

DiagnosticsService::DiagnosticsService(store::Store& store, fs::path root, Clock clock)
    : store_(store), root_(std::move(root)), clock_(std::move(clock)) {}

json::object DiagnosticsService::ToJson(const DiagnosticsArchive& archive) {
  return {{"id", archive.id},
          {"fileName", archive.file_name},
          {"sizeBytes", archive.size_bytes},
          {"uploadedDateTime", wire::FormatTimestamp(archive.uploaded)},
          {"expiresDateTime", wire::FormatTimestamp(archive.expires)}};
}

Result<json::object> DiagnosticsService::Upload(const DeviceCaller& caller, std::string_view id,
                                                std::string_view file_name,
                                                std::string_view content_base64) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  const core::AutopilotDeviceIdentity& device = record->value;
  if (!IsSafeSegment(device.id.value())) return NoSuchDevice(id);
  if (!IsFileName(file_name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("fileName: 1 to {} letters, digits, '.', '_' or '-', not "
                                 "starting with '.'",
                                 kMaxFileNameLength),
                     "fileName");
  }
  if (content_base64.size() > 4 * ((kMaxBytes + 2) / 3)) return TooLarge();
  Result<std::string> bytes = base64::Decode(content_base64);
  if (!bytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "contentBase64: not valid base64: " + bytes.error().message, "contentBase64");
  }
  if (bytes->size() > kMaxBytes) return TooLarge();
  if (bytes->size() < 2 || static_cast<unsigned char>((*bytes)[0]) != 0x1f ||
      static_cast<unsigned char>((*bytes)[1]) != 0x8b) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        bytes->empty() ? "contentBase64: empty" : "contentBase64: not a gzip archive (1f 8b)",
        "contentBase64");
  }

  std::lock_guard lock(mutex_);
  const core::Timestamp now = clock_();
  if (Result<std::size_t> purged = PurgeLocked(now); !purged) return purged.error();
  const fs::path folder = root_ / device.id.value();
  if (Status s = PrivateFolder(root_); !s) return s.error();
  if (Status s = PrivateFolder(folder); !s) return s.error();
  // Room for the new one: the device's oldest go.
  Result<std::vector<DiagnosticsArchive>> kept = Archives(device.id.value(), now);
  if (!kept) return kept.error();
  for (size_t i = kMaxPerDevice - 1; i < kept->size(); ++i) {
    if (Status s = durable::RemoveFile(folder / ((*kept)[i].id + std::string(kIndexSuffix))); !s) {
      return s.error();
    }
    if (Status s = durable::RemoveFile(folder / ((*kept)[i].id + std::string(kBytesSuffix))); !s) {
      return s.error();
    }
  }

  const DiagnosticsArchive archive{
      identity::RandomUuid(), device.id.value(), std::string(file_name), bytes->size(), now,
      now + kRetention};
  const fs::path bytes_path = folder / (archive.id + std::string(kBytesSuffix));
  const fs::path index_path = folder / (archive.id + std::string(kIndexSuffix));
  json::object index = ToJson(archive);
  index["deviceId"] = archive.device_id;
  if (Status s = durable::WriteFileAtomically(bytes_path, *bytes, 0600); !s) return s.error();
  Status stored = durable::WriteFileAtomically(index_path, json::serialize(index), 0600);
  if (stored) {
    stored =
        Audit(store_, Actor{"device:" + device.serial_number, store::CredentialRole::kReader}, now,
              "uploadDiagnostics", "autopilotDevices", device.id.value(), device.serial_number,
              json::serialize(json::object{{"diagnosticsId", archive.id},
                                           {"fileName", archive.file_name},
                                           {"sizeBytes", archive.size_bytes}}));
  }
  if (!stored) {
    // Nothing is kept of a refused upload (a failed removal is purged later as a leftover).
    (void)durable::RemoveFile(index_path);
    (void)durable::RemoveFile(bytes_path);
    return stored.error();
  }
  return ToJson(archive);
}

Result<DeviceRecord> DiagnosticsService::ResolveDevice(std::string_view device) {
  if (!device.empty()) {
    Result<DeviceRecord> by_id = store_.devices().Get(core::ZtdId{std::string(device)});
    if (by_id) return by_id;
    if (by_id.error().code != ErrorCode::kNotFound) return by_id.error();
    Result<std::optional<DeviceRecord>> by_serial = store_.devices().FindBySerialNumber(device);
    if (!by_serial) return by_serial.error();
    if (*by_serial) return **by_serial;
  }
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("no registered device has the id or serial number \"{}\"", device),
                   "id");
}

Result<std::vector<DiagnosticsArchive>> DiagnosticsService::Archives(const std::string& device_id,
                                                                     core::Timestamp now) {
  std::vector<DiagnosticsArchive> archives;
  if (!IsSafeSegment(device_id)) return archives;
  const fs::path folder = root_ / device_id;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return archives;
  fs::directory_iterator it(folder, ec);
  if (ec) return DiskError(folder, "list", ec);
  for (const fs::directory_entry& entry : it) {
    const std::string name = entry.path().filename().string();
    if (name.front() == '.' || !name.ends_with(kIndexSuffix)) continue;
    Result<std::string> text = durable::ReadWholeFile(entry.path());
    if (!text) continue;  // removed meanwhile (a purge): not listed
    std::optional<DiagnosticsArchive> archive = ParseIndex(*text);
    if (!archive || archive->device_id != device_id || archive->expires <= now ||
        archive->id + std::string(kIndexSuffix) != name ||
        !fs::exists(folder / (archive->id + std::string(kBytesSuffix)), ec)) {
      continue;
    }
    archives.push_back(std::move(*archive));
  }
  std::sort(archives.begin(), archives.end(), [](const auto& a, const auto& b) {
    return a.uploaded != b.uploaded ? a.uploaded > b.uploaded : a.id > b.id;
  });
  return archives;
}

Result<std::vector<DiagnosticsArchive>> DiagnosticsService::List(std::string_view device) {
  Result<DeviceRecord> record = ResolveDevice(device);
  if (!record) return record.error();
  return Archives(record->value.id.value(), clock_());
}

Result<DiagnosticsFile> DiagnosticsService::Read(std::string_view device,
                                                 std::string_view archive_id) {
  Result<DeviceRecord> record = ResolveDevice(device);
  if (!record) return record.error();
  Error missing = MakeError(
      ErrorCode::kNotFound,
      fmt::format("device {} has no diagnostics archive \"{}\" (archives are kept {} days)",
                  record->value.serial_number, archive_id, kRetention.count()),
      "diagnosticsId");
  if (!IsArchiveId(archive_id)) return missing;
  Result<std::vector<DiagnosticsArchive>> archives = Archives(record->value.id.value(), clock_());
  if (!archives) return archives.error();
  for (const DiagnosticsArchive& archive : *archives) {
    if (archive.id != archive_id) continue;
    Result<std::string> bytes = durable::ReadWholeFile(root_ / archive.device_id /
                                                       (archive.id + std::string(kBytesSuffix)));
    if (!bytes) return bytes.error().code == ErrorCode::kNotFound ? missing : bytes.error();
    return DiagnosticsFile{archive.file_name, std::move(*bytes)};
  }
  return missing;
}

Result<std::size_t> DiagnosticsService::Purge() {
  std::lock_guard lock(mutex_);
  return PurgeLocked(clock_());
}

Result<std::size_t> DiagnosticsService::PurgeLocked(core::Timestamp now) {
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return std::size_t{0};
  std::vector<fs::path> folders;
  fs::directory_iterator devices(root_, ec);
  if (ec) return DiskError(root_, "list", ec);
  for (const fs::directory_entry& entry : devices) {
    if (entry.is_directory(ec)) folders.push_back(entry.path());
  }
  std::size_t removed = 0;
  for (const fs::path& folder : folders) {
    std::vector<fs::path> files;
    fs::directory_iterator it(folder, ec);
    if (ec) return DiskError(folder, "list", ec);
    for (const fs::directory_entry& entry : it) {
      if (!entry.is_directory(ec)) files.push_back(entry.path());
    }
    // The ids whose index is sound and unexpired: their bytes stay.
    std::set<std::string> live;
    std::vector<fs::path> doomed;
    for (const fs::path& file : files) {
      const std::string name = file.filename().string();
      if (name.front() == '.' || !name.ends_with(kIndexSuffix)) continue;
      Result<std::string> text = durable::ReadWholeFile(file);
      if (!text) return text.error();
      std::optional<DiagnosticsArchive> archive = ParseIndex(*text);
      if (archive && archive->id + std::string(kIndexSuffix) == name && archive->expires > now) {
        live.insert(archive->id);
        continue;
      }
      doomed.push_back(file);
      if (archive) ++removed;
    }
    for (const fs::path& file : files) {
      const std::string name = file.filename().string();
      if (name.ends_with(kIndexSuffix) && name.front() != '.') continue;  // decided above
      const bool live_bytes = name.front() != '.' && name.ends_with(kBytesSuffix) &&
                              live.contains(name.substr(0, name.size() - kBytesSuffix.size()));
      if (!live_bytes) doomed.push_back(file);
    }
    // Indexes go first: an archive without its index is never listed.
    std::stable_partition(doomed.begin(), doomed.end(), [](const fs::path& p) {
      return p.filename().string().ends_with(kIndexSuffix);
    });
    for (const fs::path& file : doomed) {
      if (Status s = durable::RemoveFile(file); !s) return s.error();
    }
    if (fs::is_empty(folder, ec)) fs::remove(folder, ec);
  }
  return removed;
}

}  // namespace groundcrew::service
