#include "device/agent/diagnostics.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

#include "common/base64.hpp"
#include "device/agent/journal.hpp"

namespace groundcrew::agent {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr const char* kTar = "/usr/bin/tar";

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool IsSecretName(std::string_view name) {
  const std::string lower = Lower(name);
  return std::any_of(std::begin(kSecretNameParts), std::end(kSecretNameParts),
                     [&](std::string_view part) { return lower.find(part) != std::string::npos; });
}

bool IsBase64UrlChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// A signed token (JWS compact: "eyJ..." "." part "." part) anywhere in `text`.
bool HasSignedToken(std::string_view text) {
  for (size_t at = text.find("eyJ"); at != std::string_view::npos; at = text.find("eyJ", at + 1)) {
    size_t i = at;
    int parts = 0;
    for (;;) {
      const size_t start = i;
      while (i < text.size() && IsBase64UrlChar(text[i])) ++i;
      if (i == start) break;
      ++parts;
      if (parts == 3 || i >= text.size() || text[i] != '.') break;
      ++i;
    }
    if (parts == 3) return true;
  }
  return false;
}

bool HasPemPrivateKey(std::string_view text) {
  const size_t begin = text.find("-----BEGIN");
  return begin != std::string_view::npos &&
         text.find("PRIVATE KEY-----", begin) != std::string_view::npos;
}

// A value that is secret whatever its name.
bool IsSecretText(std::string_view text) {
  return HasPemPrivateKey(text) || Lower(text).find("otpauth://") != std::string::npos ||
         HasSignedToken(text);
}

void RedactValue(json::value& value);

void RedactObject(json::object& object) {
  const json::value* type = object.if_contains("t");
  const bool report = type != nullptr && type->is_string() && type->as_string() == "report";
  for (auto& member : object) {
    const std::string_view name = member.key();
    json::value& value = member.value();
    const bool identifier = name == "idempotencyKey" || (report && name == "key");
    if (!identifier && IsSecretName(name) && !value.is_bool() && !value.is_null()) {
      value = kRedacted;
    } else {
      RedactValue(value);
    }
  }
}

void RedactValue(json::value& value) {
  if (value.is_object()) {
    RedactObject(value.as_object());
  } else if (value.is_array()) {
    for (json::value& item : value.as_array()) RedactValue(item);
  } else if (value.is_string()) {
    const std::string_view text = value.as_string();
    if (IsSecretText(text)) {
      value = kRedacted;
      return;
    }
    // A JSON document inside a string (e.g. a policy's settings) is redacted inside.
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && (text[first] == '{' || text[first] == '[')) {
      boost::system::error_code ec;
      json::value inner = json::parse(text, ec);
      if (!ec) {
        RedactValue(inner);
        value = json::serialize(inner);
      }
    }
  }
}

// Whether `line` assigns a value to a secret-named word: "psk=...", "Password: ...",
// "\"preSharedKey\": \"...\"".
bool AssignsSecret(std::string_view line) {
  const std::string lower = Lower(line);
  auto is_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  };
  for (std::string_view part : kSecretNameParts) {
    for (size_t at = lower.find(part); at != std::string::npos; at = lower.find(part, at + 1)) {
      size_t end = at + part.size();
      while (end < lower.size() && is_word(lower[end])) ++end;
      while (end < lower.size() &&
             (lower[end] == '"' || lower[end] == '\'' || lower[end] == ' ' || lower[end] == '\t')) {
        ++end;
      }
      if (end < lower.size() && (lower[end] == ':' || lower[end] == '=')) return true;
    }
  }
  return false;
}

Error DiskError(const fs::path& path, std::string_view what, int error = errno) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(error)),
                   "state");
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return DiskError(path, "read");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return DiskError(path, "read");
  return bytes.str();
}

// Creates `path` (which must not exist) with mode 0600 and writes `bytes`.
Status WritePrivateFile(const fs::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return DiskError(path, "create");
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return DiskError(path, "write", error);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  if (::close(fd) != 0) return DiskError(path, "write");
  return Ok{};
}

// Files that must never be archived, even when they sit among the logs.
bool IsKeyMaterialName(const std::string& name) {
  const std::string lower = Lower(name);
  for (const char* suffix : {".key", ".pem", ".crt", ".p12", ".pfx", ".nmconnection"}) {
    if (lower.ends_with(suffix)) return true;
  }
  return false;
}

// The staging folder, removed when the collection ends.
class Staging {
 public:
  explicit Staging(fs::path path) : path_(std::move(path)) {}
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Runs /usr/bin/tar -czf `archive` -C `staging` journal.jsonl logs with umask 077 (in the
// child only: the agent has other threads). tar's complaints go to `errors`.
Status RunTar(const fs::path& archive, const fs::path& staging, const fs::path& errors) {
  std::vector<std::string> args = {
      "tar", "-czf", archive.string(), "-C", staging.string(), "--", Journal::kFileName, "logs"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string errors_path = errors.string();
  const pid_t pid = ::fork();
  if (pid < 0) return DiskError(archive, "start tar for");
  if (pid == 0) {
    // Async-signal-safe calls only until exec.
    ::umask(077);
    const int err = ::open(errors_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) ::dup2(err, 2);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
    }
    ::execv(kTar, argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return DiskError(archive, "wait for tar writing");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Ok{};
  std::string complaint;
  if (Result<std::string> text = ReadFile(errors); text) complaint = *text;
  while (!complaint.empty() && std::isspace(static_cast<unsigned char>(complaint.back()))) {
    complaint.pop_back();
  }
  if (complaint.empty()) {
    complaint = WIFEXITED(status) && WEXITSTATUS(status) == 127
                    ? fmt::format("{} could not be run", kTar)
                    : fmt::format("{} failed", kTar);
  }
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("cannot write {}: {}", archive.string(), complaint), "state");
}

bool IsArchiveName(std::string_view name) {
  return !name.empty() && name.size() <= 128 && name.front() != '.' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
         });
}

}  // namespace

std::string RedactJournalLine(std::string_view line) {
  boost::system::error_code ec;
  json::value record = json::parse(line, ec);
  if (ec || !record.is_object()) {
    std::string redacted = RedactLogText(line);
    while (!redacted.empty() && redacted.back() == '\n') redacted.pop_back();
    return redacted;
  }
  RedactValue(record);
  return json::serialize(record);
}

std::string RedactLogText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_private_key = false;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const bool has_end = end != std::string_view::npos;
    text.remove_prefix(has_end ? end + 1 : text.size());

    bool secret = in_private_key;
    if (line.find("-----BEGIN") != std::string_view::npos &&
        line.find("PRIVATE KEY-----") != std::string_view::npos) {
      secret = true;
      in_private_key = line.find("-----END") == std::string_view::npos;
    } else if (in_private_key && line.find("-----END") != std::string_view::npos) {
      in_private_key = false;
    }
    if (!secret) {
      secret = IsSecretText(line) || line.find("Bearer ") != std::string_view::npos ||
               AssignsSecret(line);
    }
    if (secret) {
      out += kRedacted;
      // Keep a CR of a CRLF line end.
      if (!line.empty() && line.back() == '\r') out += '\r';
    } else {
      out += line;
    }
    if (has_end) out += '\n';
  }
  return out;
}

Result<fs::path> CollectDiagnostics(const fs::path& state, core::Timestamp now) {
  const fs::path folder = state / "diagnostics";
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return DiskError(folder, "create", ec.value());
  if (::chmod(folder.c_str(), 0700) != 0) return DiskError(folder, "protect");
  // What an interrupted collection left (a staging folder, a partial archive).
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(".staging-") || (name.starts_with(".") && name.ends_with(".partial"))) {
      std::error_code ignored;  // best effort: a leftover is private and harmless
      fs::remove_all(entry.path(), ignored);
    }
  }

  std::string pattern = (folder / ".staging-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return DiskError(folder / ".staging-XXXXXX", "create");
  const Staging staging{fs::path(pattern)};  // mode 0700 (mkdtemp)

  // The journal, redacted line by line (a missing journal is an empty one).
  std::string journal;
  const fs::path journal_path = state / Journal::kFileName;
  if (fs::exists(journal_path, ec)) {
    Result<std::string> text = ReadFile(journal_path);
    if (!text) return text.error();
    std::string_view rest = *text;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
      if (line.empty()) continue;
      journal += RedactJournalLine(line);
      journal += '\n';
    }
  }
  Status written = WritePrivateFile(staging.path() / Journal::kFileName, journal);
  if (!written) return written.error();

  // The install logs: regular files directly in STATE/logs/ (no links, no key material).
  const fs::path logs = state / "logs";
  const fs::path staged_logs = staging.path() / "logs";
  if (::mkdir(staged_logs.c_str(), 0700) != 0) return DiskError(staged_logs, "create");
  if (fs::is_directory(fs::symlink_status(logs, ec))) {
    fs::directory_iterator it(logs, ec);
    if (ec) return DiskError(logs, "list", ec.value());
    for (const fs::directory_entry& entry : it) {
      const std::string name = entry.path().filename().string();
      if (!fs::is_regular_file(entry.symlink_status(ec)) || IsKeyMaterialName(name) ||
          name.front() == '.') {
        continue;
      }
      Result<std::string> text = ReadFile(entry.path());
      if (!text) return text.error();
      std::string redacted = RedactLogText(*text);
      if (redacted.size() > kMaxLogBytes) {
        // Keep the end, from a line start.
        size_t cut = redacted.size() - kMaxLogBytes;
        const size_t next_line = redacted.find('\n', cut);
        cut = next_line == std::string::npos ? cut : next_line + 1;
        redacted = fmt::format("[the first {} bytes are left out]\n", cut) + redacted.substr(cut);
      }
      if (Status s = WritePrivateFile(staged_logs / name, redacted); !s) return s.error();
    }
  }

  const std::string name = fmt::format("diagnostics-{}.tar.gz", now.time_since_epoch().count());
  const fs::path archive = folder / name;
  const fs::path partial = folder / ("." + name + ".partial");
  fs::remove(partial, ec);
  if (Status s = RunTar(partial, staging.path(), staging.path() / "tar.err"); !s) {
    fs::remove(partial, ec);
    return s.error();
  }
  struct stat info {};
  if (::lstat(partial.c_str(), &info) != 0) return DiskError(partial, "inspect");
  if (!S_ISREG(info.st_mode) || (info.st_mode & 07777) != 0600) {
    fs::remove(partial, ec);
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot write {}: it was created with mode {:o}, not 600",
                                 archive.string(), info.st_mode & 07777),
                     "state");
  }
  if (::rename(partial.c_str(), archive.c_str()) != 0) {
    const int error = errno;
    fs::remove(partial, ec);
    return DiskError(archive, "write", error);
  }
  return archive;
}

Status UploadDiagnostics(ServiceClient& service, const fs::path& archive) {
  const std::string name = archive.filename().string();
  if (!IsArchiveName(name)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: the file name must be 1 to 128 letters, digits, '.', '_' "
                                 "or '-', not starting with '.'",
                                 archive.string()),
                     "archive");
  }
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(archive, ec);
  if (ec) return DiskError(archive, "read", ec.value());
  if (size > kMaxDiagnosticsBytes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: {} bytes, more than the {} the service accepts",
                                 archive.string(), size, kMaxDiagnosticsBytes),
                     "archive");
  }
  Result<std::string> bytes = ReadFile(archive);
  if (!bytes) return bytes.error();
  Result<Answer> answer =
      service.Device("POST", "/diagnostics",
                     json::object{{"fileName", name}, {"contentBase64", base64::Encode(*bytes)}});
  if (!answer) return answer.error();
  if (!answer->ok()) return ErrorOf(*answer);
  return Ok{};
}

}  // namespace groundcrew::agent
