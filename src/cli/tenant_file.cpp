#include "cli/tenant_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <vector>

#include "cli/read_file.hpp"
#include "cli/yaml_json.hpp"
#include "common/text.hpp"
#include "debian_archive/deb_file.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

std::string JoinPath(const std::string& base_dir, const std::string& path) {
  if (base_dir.empty() || (!path.empty() && path.front() == '/')) return path;
  return base_dir.back() == '/' ? base_dir + path : base_dir + "/" + path;
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The CSV's text as UTF-8 (see ResolveFileReferences).
Result<std::string> CsvText(std::string bytes, const std::string& path) {
  const bool le = bytes.size() >= 2 && bytes[0] == '\xFF' && bytes[1] == '\xFE';
  const bool be = bytes.size() >= 2 && bytes[0] == '\xFE' && bytes[1] == '\xFF';
  if (le || be) {
    const std::string converted =
        text::Utf16ToUtf8(std::string_view(bytes).substr(2),
                          be ? text::ByteOrder::kBigEndian : text::ByteOrder::kLittleEndian);
    if (const size_t bad = text::FindInvalidUtf8(converted); bad != std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: a lone UTF-16 surrogate (at byte {} once converted to "
                                   "UTF-8)",
                                   path, bad),
                       "devices.csv");
    }
    return converted;
  }
  if (const size_t bad = text::FindInvalidUtf8(bytes); bad != std::string_view::npos) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("{}: byte {} is not UTF-8 (save the file as UTF-8 or UTF-16)", path, bad),
        "devices.csv");
  }
  return bytes;
}

class Resolver {
 public:
  Resolver(const std::string& base_dir, const Uploader& upload)
      : base_dir_(base_dir), upload_(upload) {}

  Status Run(json::object& doc) {
    if (json::value* apps = doc.if_contains("apps"); apps && apps->is_array()) {
      json::array& list = apps->as_array();
      for (size_t i = 0; i < list.size(); ++i) {
        json::object* app = list[i].if_object();
        json::value* content = app ? app->if_contains("content") : nullptr;
        if (!content) continue;
        const json::value* kind = app->if_contains("kind");
        const bool deb = kind != nullptr && kind->is_string() && kind->as_string() == "deb";
        Status done = ResolveContent(*content, fmt::format("apps[{}].content", i), deb);
        if (!done) return done;
      }
    }
    if (json::value* devices = doc.if_contains("devices"); devices && devices->is_object()) {
      json::object& object = devices->as_object();
      if (json::value* csv = object.if_contains("csv")) {
        if (!csv->is_string()) {
          return MakeError(ErrorCode::kInvalidArgument, "expected a file path", "devices.csv");
        }
        if (object.size() != 1) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "give either {csv: PATH} or {rows: [...]}, nothing else", "devices");
        }
        const std::string path = JoinPath(base_dir_, std::string(csv->as_string()));
        auto bytes = ReadWholeFile(path);
        if (!bytes) {
          return MakeError(bytes.error().code,
                           fmt::format("cannot read {}: {}", path, bytes.error().message),
                           "devices.csv");
        }
        auto text = CsvText(std::move(*bytes), path);
        if (!text) return text.error();
        *devices = json::object{{"csvText", std::move(*text)}};
      }
    }
    return Ok{};
  }

 private:
  // `deb`: the file must be a Debian package (its architecture is for the server to judge).
  Status ResolveContent(json::value& content, const std::string& field, bool deb) {
    json::object* object = content.if_object();
    if (!object) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "expected {file: PATH} or {fileName, sha256, size}", field);
    }
    json::value* file = object->if_contains("file");
    if (!file) return Ok{};  // already resolved
    if (!file->is_string() || file->as_string().empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "expected a file path", field + ".file");
    }
    if (object->size() != 1) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "give either {file: PATH} or {fileName, sha256, size}, not both", field);
    }
    const std::string path = JoinPath(base_dir_, std::string(file->as_string()));
    auto known = resolved_.find(path);
    if (known == resolved_.end()) {
      auto bytes = ReadWholeFile(path);
      if (!bytes) {
        return MakeError(bytes.error().code,
                         fmt::format("cannot read {}: {}", path, bytes.error().message),
                         field + ".file");
      }
      if (deb) {
        if (auto control = debian_archive::ReadDebControl(*bytes); !control) {
          return MakeError(ErrorCode::kInvalidArgument,
                           fmt::format("{}: {}", path, control.error().message), field + ".file");
        }
      }
      ContentFile upload{path, BaseName(path), identity::Sha256Hex(*bytes), bytes->size(), &*bytes};
      Status uploaded = upload_(upload);
      if (!uploaded) return uploaded;
      upload.bytes = nullptr;
      known = resolved_.emplace(path, std::move(upload)).first;
    }
    const ContentFile& resolved = known->second;
    content = json::object{
        {"fileName", resolved.file_name}, {"sha256", resolved.sha256}, {"size", resolved.size}};
    return Ok{};
  }

  const std::string& base_dir_;
  const Uploader& upload_;
  std::map<std::string, ContentFile> resolved_;
};

}  // namespace

Status ResolveFileReferences(json::value& document, const std::string& base_dir,
                             const Uploader& upload) {
  json::object* doc = document.if_object();
  if (!doc) {
    return MakeError(ErrorCode::kInvalidArgument, "a tenant document must be a mapping");
  }
  return Resolver(base_dir, upload).Run(*doc);
}

Result<json::value> LoadTenantFile(const std::string& path, const Uploader& upload,
                                   YamlMarks* marks) {
  auto bytes = ReadWholeFile(path);
  if (!bytes) return bytes.error();
  auto document = YamlToJson(*bytes, path, marks);
  if (!document) return document.error();
  if (!document->is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a tenant document must be a mapping (tenant:, users:, groups:, ...)", path);
  }
  const size_t slash = path.find_last_of('/');
  const std::string base_dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  Status resolved = ResolveFileReferences(*document, base_dir, upload);
  if (!resolved) {
    Error error = resolved.error();
    if (!error.field.empty()) error.field = path + ": " + error.field;
    return error;
  }
  return document;
}

namespace {

// One step of a server path: a property ("dependencies") or a bracket ("0", "Company Portal").
struct PathStep {
  std::string text;
  bool bracket = false;
};

// "apps[Company Portal].dependencies[0].app" -> apps, [Company Portal], dependencies, [0], app.
// A bracket runs to the "]" that ends the path or precedes "." or "[" (names may hold dots).
std::vector<PathStep> SplitPath(std::string_view path) {
  std::vector<PathStep> steps;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      size_t end = i + 1;
      for (;; ++end) {
        end = path.find(']', end);
        if (end == std::string_view::npos) return steps;
        if (end + 1 == path.size() || path[end + 1] == '.' || path[end + 1] == '[') break;
      }
      steps.push_back({std::string(path.substr(i + 1, end - i - 1)), true});
      i = end + 1;
      continue;
    }
    const size_t end = path.find_first_of(".[", i);
    steps.push_back({std::string(path.substr(i, end - i)), false});
    i = end == std::string_view::npos ? path.size() : end;
  }
  return steps;
}

// The index in `list` a bracket names: a number, or an entry whose name field is that name.
std::optional<size_t> EntryIndex(const json::array& list, const std::string& key) {
  if (!key.empty() &&
      std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const size_t index = std::stoul(key);
    if (index < list.size()) return index;
    return std::nullopt;
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const json::object* entry = list[i].if_object();
    if (entry == nullptr) continue;
    for (const char* name_field : {"displayName", "userPrincipalName"}) {
      const json::value* name = entry->if_contains(name_field);
      if (name != nullptr && name->is_string() && text::EqualsIgnoreCase(name->as_string(), key)) {
        return i;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<YamlMark> LocateField(const json::value& document, const YamlMarks& marks,
                                    std::string_view path) {
  const json::value* node = &document;
  std::string pointer;
  bool found = false;
  const std::vector<PathStep> steps = SplitPath(path);
  for (size_t i = 0; i < steps.size(); ++i) {
    const PathStep& step = steps[i];
    std::optional<std::string> next;
    if (const json::object* object = node->if_object(); object && !step.bracket) {
      // A key may hold dots itself (a setting id: "settings.screenLock.idleMinutes").
      std::string key = step.text;
      for (size_t j = i;; ++j) {
        if (const json::value* value = object->if_contains(key)) {
          node = value;
          next = PointerToken(key);
          i = j;
          break;
        }
        if (j + 1 >= steps.size() || steps[j + 1].bracket) break;
        key += "." + steps[j + 1].text;
      }
    } else if (const json::array* list = node->if_array(); list && step.bracket) {
      if (std::optional<size_t> index = EntryIndex(*list, step.text)) {
        node = &(*list)[*index];
        next = std::to_string(*index);
      }
    }
    if (!next) break;
    pointer += "/" + *next;
    found = true;
  }
  if (!found) return std::nullopt;
  auto it = marks.find(pointer);
  if (it == marks.end()) return std::nullopt;
  return it->second;
}

}  // namespace groundcrew::cli
