#include "device/executor/installer_records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <system_error>
#include <utility>

#include "common/text.hpp"
#include "device/executor/durable_file.hpp"
#include "identity/random.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr std::string_view kRecordExtension = ".json";

std::string ReadBootId() {
  Result<std::string> text = ReadWholeFile("/proc/sys/kernel/random/boot_id");
  return text ? std::string(text::Trim(*text)) : std::string();
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<InstallerRecord> Decode(const fs::path& path, std::string_view bytes) {
  const auto malformed = [&path] {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} is not an installer record", path.string()));
  };
  boost::system::error_code ec;
  json::value value = json::parse(bytes, ec);
  if (ec || !value.is_object()) return malformed();
  const json::object& object = value.as_object();
  const auto string_of = [&object](std::string_view key) -> const json::string* {
    const json::value* field = object.if_contains(key);
    return field != nullptr && field->is_string() ? &field->as_string() : nullptr;
  };
  const auto int_of = [&object](std::string_view key) -> std::optional<std::int64_t> {
    const json::value* field = object.if_contains(key);
    if (field == nullptr || !field->is_int64()) return std::nullopt;
    return field->as_int64();
  };
  InstallerRecord record;
  const json::string* item = string_of("itemId");
  const json::string* action = string_of("action");
  const json::string* version = string_of("version");
  const json::string* command = string_of("commandSha256");
  const json::string* boot = string_of("bootId");
  const json::string* owner = string_of("owner");
  const std::optional<std::int64_t> started = int_of("startedMs");
  const std::optional<std::int64_t> group = int_of("processGroup");
  if (item == nullptr || action == nullptr || version == nullptr || command == nullptr ||
      boot == nullptr || owner == nullptr || !started || !group || *group < 0) {
    return malformed();
  }
  record.item_id = std::string(*item);
  record.action = std::string(*action);
  record.version = std::string(*version);
  record.command_sha256 = std::string(*command);
  record.boot_id = std::string(*boot);
  record.owner = std::string(*owner);
  record.started_ms = *started;
  record.group = static_cast<pid_t>(*group);
  return record;
}

}  // namespace

bool InstallerRecord::SameCommand(const InstallerRecord& other) const {
  return item_id == other.item_id && action == other.action && version == other.version &&
         command_sha256 == other.command_sha256;
}

InstallerRecords::InstallerRecords(fs::path folder)
    : folder_(std::move(folder)), boot_id_(ReadBootId()), owner_(identity::RandomUuid()) {}

std::string InstallerRecords::Stem(std::string_view item_id) const {
  if (IsSafeFileName(item_id)) return std::string(item_id);
  return "item-" + identity::Sha256Hex(item_id).substr(0, 32);
}

DetachedFiles InstallerRecords::FilesOf(std::string_view item_id) const {
  const std::string stem = Stem(item_id);
  return DetachedFiles{folder_ / (stem + ".out"), folder_ / (stem + ".status"),
                       folder_ / (stem + ".group")};
}

fs::path InstallerRecords::ExitCodeFileOf(std::string_view item_id) const {
  return folder_ / (Stem(item_id) + ".code");
}

InstallerRecord InstallerRecords::Starting(std::string item_id, std::string action,
                                           std::string version, std::string_view command) const {
  InstallerRecord record;
  record.item_id = std::move(item_id);
  record.action = std::move(action);
  record.version = std::move(version);
  record.command_sha256 = identity::Sha256Hex(command);
  record.started_ms = NowMs();
  record.boot_id = boot_id_;
  record.owner = owner_;
  return record;
}

Result<std::optional<InstallerRecord>> InstallerRecords::Find(std::string_view item_id) const {
  const fs::path path = folder_ / (Stem(item_id) + std::string(kRecordExtension));
  Result<std::string> bytes = ReadWholeFile(path);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kNotFound) return std::optional<InstallerRecord>();
    return bytes.error();
  }
  Result<InstallerRecord> record = Decode(path, *bytes);
  if (!record) return record.error();
  if (record->item_id != item_id) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{} is the record of another item", path.string()));
  }
  return std::optional<InstallerRecord>(std::move(*record));
}

Status InstallerRecords::Write(const InstallerRecord& record) const {
  const json::object object{{"itemId", record.item_id},
                            {"action", record.action},
                            {"version", record.version},
                            {"commandSha256", record.command_sha256},
                            {"startedMs", record.started_ms},
                            {"bootId", record.boot_id},
                            {"processGroup", static_cast<std::int64_t>(record.group)},
                            {"owner", record.owner}};
  return WriteFileAtomically(folder_ / (Stem(record.item_id) + std::string(kRecordExtension)),
                             json::serialize(object) + "\n", 0600);
}

Status InstallerRecords::Remove(std::string_view item_id) const {
  // The record first: without it the other files mean nothing, while a record whose status file
  // went first would read as an installer that was killed.
  GC_RETURN_IF_ERROR(RemoveFile(folder_ / (Stem(item_id) + std::string(kRecordExtension))));
  const DetachedFiles files = FilesOf(item_id);
  for (const fs::path& path : {files.output, files.status, files.group, ExitCodeFileOf(item_id)}) {
    std::error_code ec;
    fs::remove(path, ec);
  }
  return Ok{};
}

pid_t InstallerRecords::GroupOf(const InstallerRecord& record) const {
  if (record.group > 0) return record.group;
  Result<std::string> text = ReadWholeFile(FilesOf(record.item_id).group);
  if (!text) return 0;
  const std::string_view digits = text::Trim(*text);
  pid_t group = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), group);
  if (ec != std::errc() || end != digits.data() + digits.size() || group <= 0) return 0;
  return group;
}

InstallerRecords::State InstallerRecords::StateOf(const InstallerRecord& record) const {
  const DetachedFiles files = FilesOf(record.item_id);
  const bool this_boot = record.boot_id == boot_id_;
  const pid_t group = GroupOf(record);
  if (this_boot && DetachedShellRunning(group, files)) return State::kRunning;
  if (ReadDetachedStatus(files)) return State::kExited;
  if (this_boot && NowMs() - record.started_ms < kStartGrace.count() &&
      (group == 0 || LeadsProcessGroup(group))) {
    return State::kStarting;
  }
  return State::kGone;
}

void InstallerRecords::Kill(const InstallerRecord& record) const {
  if (record.boot_id != boot_id_) return;
  KillDetachedGroup(GroupOf(record), FilesOf(record.item_id));
}

std::vector<std::string> InstallerRecords::Pending() const {
  std::vector<std::string> items;
  std::error_code ec;
  for (fs::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    if (name.starts_with('.') || path.extension().string() != kRecordExtension) continue;
    Result<std::string> bytes = ReadWholeFile(path);
    if (!bytes) continue;
    Result<InstallerRecord> record = Decode(path, *bytes);
    if (!record || record->owner == owner_ || Stem(record->item_id) != path.stem().string()) {
      continue;
    }
    if (StateOf(*record) != State::kGone) items.push_back(record->item_id);
  }
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

}  // namespace groundcrew::executor
