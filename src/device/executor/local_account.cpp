#include "device/executor/local_account.hpp"

#include <crypt.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "common/text.hpp"
#include "device/executor/durable_file.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kMaxNameLength = 32;
constexpr std::string_view kAccountsRecord = "var/lib/groundcrew/accounts";
constexpr std::string_view kAdministratorsGroup = "sudo";
constexpr unsigned long kAdministratorsGid = 27;  // Debian's base-passwd
constexpr auto kLockWait = std::chrono::seconds(15);

// ---- text files of ':'-separated fields ----

std::vector<std::string> SplitFields(std::string_view line, char separator) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    const size_t end = line.find(separator, start);
    fields.emplace_back(line.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return fields;
}

std::string JoinFields(const std::vector<std::string>& fields, char separator) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += separator;
    out += fields[i];
  }
  return out;
}

std::optional<unsigned long> ParseNumber(std::string_view text) {
  text = text::Trim(text);
  unsigned long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// One of the account files: its lines (each split in fields), how it is owned and moded.
struct AccountFile {
  fs::path path;
  std::size_t width = 0;  // fields per entry: 7 (passwd), 9 (shadow), 4 (group, gshadow)
  std::vector<std::vector<std::string>> entries;
  std::vector<std::string> others;  // lines that are not entries ("+", comments): kept at the end
  mode_t mode = 0644;
  durable::FileOwner owner{0, 0};

  std::vector<std::string>* Find(std::string_view name) {
    for (auto& entry : entries) {
      if (entry[0] == name) return &entry;
    }
    return nullptr;
  }
  std::string Text() const {
    std::string out;
    for (const auto& entry : entries) out += JoinFields(entry, ':') + "\n";
    for (const std::string& line : others) out += line + "\n";
    return out;
  }
};

// Reads ROOT/etc/<name>; an absent file is empty, to be created `mode` and owned as `owner`.
Result<AccountFile> ReadAccountFile(const fs::path& root, std::string_view name, std::size_t width,
                                    mode_t mode, durable::FileOwner owner) {
  AccountFile file;
  file.path = root / "etc" / name;
  file.width = width;
  file.mode = mode;
  file.owner = owner;
  Result<std::string> bytes = ReadWholeFile(file.path);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kNotFound) return file;
    return bytes.error();
  }
  struct stat st {};
  if (::stat(file.path.c_str(), &st) == 0) {
    file.mode = st.st_mode & 07777;
    file.owner = {st.st_uid, st.st_gid};
  }
  std::istringstream lines(*bytes);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (line.empty()) continue;
    if (line[0] == '#' || line[0] == '+' || line[0] == '-') {
      file.others.push_back(line);
      continue;
    }
    std::vector<std::string> fields = SplitFields(line, ':');
    if (fields.size() != width) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("line {} has {} fields where {} are expected: fix the file "
                                   "(pwck, grpck) and sign in again",
                                   number, fields.size(), width),
                       file.path.string());
    }
    file.entries.push_back(std::move(fields));
  }
  return file;
}

Status WriteAccountFile(const AccountFile& file) {
  return WriteFileAtomically(file.path, file.Text(), file.mode, file.owner);
}

// ---- login.defs ----

std::map<std::string, std::string, std::less<>> ReadLoginDefs(const fs::path& root) {
  std::map<std::string, std::string, std::less<>> values;
  Result<std::string> bytes = ReadWholeFile(root / "etc/login.defs");
  if (!bytes) return values;
  std::istringstream lines(*bytes);
  for (std::string line; std::getline(lines, line);) {
    const std::string_view trimmed = text::Trim(line);
    if (trimmed.empty() || trimmed[0] == '#') continue;
    const size_t space = trimmed.find_first_of(" \t");
    if (space == std::string_view::npos) continue;
    values[std::string(trimmed.substr(0, space))] = std::string(text::Trim(trimmed.substr(space)));
  }
  return values;
}

std::optional<unsigned long> LoginDefsNumber(
    const std::map<std::string, std::string, std::less<>>& defs, std::string_view key, int base) {
  const auto it = defs.find(key);
  if (it == defs.end()) return std::nullopt;
  unsigned long value = 0;
  std::string_view text = it->second;
  if (base == 8 && text.starts_with('0')) text.remove_prefix(1);
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// ---- the shadow suite's lock ----

// ROOT/etc/.pwd.lock, held with an fcntl write lock as lckpwdf(3) does, for the object's life.
class PasswordFilesLock {
 public:
  static Result<PasswordFilesLock> Take(const fs::path& root) {
    const fs::path path = root / "etc/.pwd.lock";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const auto deadline = std::chrono::steady_clock::now() + kLockWait;
    while (::fcntl(fd, F_SETLK, &lock) != 0) {
      if ((errno != EACCES && errno != EAGAIN) || std::chrono::steady_clock::now() > deadline) {
        ::close(fd);
        return MakeError(ErrorCode::kFailedPrecondition,
                         fmt::format("the account files stay locked ({} is held): another tool "
                                     "(useradd, passwd) is changing them; try again",
                                     path.string()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return PasswordFilesLock(fd);
  }
  PasswordFilesLock(PasswordFilesLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  PasswordFilesLock& operator=(PasswordFilesLock&&) = delete;
  ~PasswordFilesLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit PasswordFilesLock(int fd) : fd_(fd) {}
  int fd_;
};

// ---- the record of which UPN owns which account ----

std::map<std::string, std::string> ReadRecord(const fs::path& root) {
  std::map<std::string, std::string> owners;  // upn (lower case) -> account name
  Result<std::string> bytes = ReadWholeFile(root / kAccountsRecord);
  if (!bytes) return owners;
  std::istringstream lines(*bytes);
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    owners[line.substr(0, tab)] = line.substr(tab + 1);
  }
  return owners;
}

Status WriteRecord(const fs::path& root, const std::map<std::string, std::string>& owners) {
  std::string bytes;
  for (const auto& [upn, name] : owners) bytes += upn + "\t" + name + "\n";
  return WriteFileAtomically(root / kAccountsRecord, bytes, 0600);
}

// The GECOS field: "Display Name,,,,upn" (':' ',' '=' and control characters cannot be there).
std::string Gecos(std::string_view display_name, std::string_view upn) {
  const auto clean = [](std::string_view text) {
    std::string out;
    for (const char c : text) {
      out += (c == ':' || c == ',' || c == '=' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
    }
    return out;
  };
  return fmt::format("{},,,,{}", clean(display_name), clean(upn));
}

// The UPN a passwd entry's GECOS names (its fifth part), lower case; "" when none.
std::string GecosUpn(const std::vector<std::string>& passwd_entry) {
  const std::vector<std::string> parts = SplitFields(passwd_entry[4], ',');
  return parts.size() >= 5 ? text::ToLowerAscii(parts[4]) : std::string();
}

// ---- the home folder ----

// Gives `path` (not following a link) to uid:gid. When the agent is not root (tests), files
// cannot be given away and stay the agent's.
Status Give(const fs::path& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) == 0) return Ok{};
  if (errno == EPERM && ::geteuid() != 0) return Ok{};
  return MakeError(ErrorCode::kUnavailable, fmt::format("cannot give {} to {}: {}", path.string(),
                                                        uid, std::strerror(errno)));
}

bool IsLink(const fs::path& path) {
  std::error_code ec;
  return fs::is_symlink(fs::symlink_status(path, ec));
}

// Creates ROOT/home/NAME from ROOT/etc/skel unless it exists. Never follows a symbolic link:
// ROOT/home, the home and skel must not be links (they could point out of the root), and links
// inside skel are copied as links.
Status MakeHome(const fs::path& root, const LocalAccount& account, mode_t mode) {
  const fs::path homes = root / "home";
  const fs::path home = root / account.home.substr(1);
  if (IsLink(homes) || IsLink(home)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} is a symbolic link: the home folder is only made in a real "
                                 "folder of the root",
                                 IsLink(homes) ? homes.string() : home.string()));
  }
  std::error_code ec;
  if (fs::exists(home, ec)) return Ok{};
  fs::create_directories(homes, ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", homes.string(), ec.message()));
  }
  // Made under a temporary name and renamed: a crash never leaves a half-copied home.
  const fs::path partial = homes / ("." + account.name + ".partial");
  fs::remove_all(partial, ec);
  if (::mkdir(partial.c_str(), 0700) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", partial.string(), std::strerror(errno)));
  }
  const fs::path skel = root / "etc/skel";
  if (fs::is_directory(fs::symlink_status(skel, ec))) {
    for (auto it = fs::recursive_directory_iterator(skel, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path target = partial / it->path().lexically_relative(skel);
      const fs::file_status status = it->symlink_status();
      if (fs::is_symlink(status)) {
        fs::copy_symlink(it->path(), target, ec);
      } else if (fs::is_directory(status)) {
        fs::create_directory(target, ec);
        if (!ec) fs::permissions(target, status.permissions(), ec);
      } else if (fs::is_regular_file(status)) {
        fs::copy_file(it->path(), target, ec);
      } else {
        continue;  // devices, sockets, fifos: not for a home
      }
      if (ec) break;
      if (Status given = Give(target, account.uid, account.gid); !given) return given;
    }
    if (ec) {
      return MakeError(
          ErrorCode::kUnavailable,
          fmt::format("cannot copy {} into {}: {}", skel.string(), home.string(), ec.message()));
    }
  }
  if (Status given = Give(partial, account.uid, account.gid); !given) return given;
  if (::chmod(partial.c_str(), mode) != 0 || ::rename(partial.c_str(), home.c_str()) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", home.string(), std::strerror(errno)));
  }
  durable::SyncDirectory(homes);
  return Ok{};
}

// ---- group membership ----

std::vector<std::string> Members(const std::string& field) {
  std::vector<std::string> members;
  if (field.empty()) return members;
  for (std::string& m : SplitFields(field, ',')) {
    if (!m.empty()) members.push_back(std::move(m));
  }
  return members;
}

// Adds or removes `name` in the members field `field` (index) of `entry`.
void SetMember(std::vector<std::string>& entry, size_t field, const std::string& name,
               bool member) {
  std::vector<std::string> members = Members(entry[field]);
  const auto it = std::find(members.begin(), members.end(), name);
  if (member && it == members.end()) members.push_back(name);
  if (!member && it != members.end()) members.erase(it);
  entry[field] = JoinFields(members, ',');
}

std::string NumberedName(const std::string& base, int number) {
  if (number < 2) return base;
  const std::string suffix = std::to_string(number);
  std::string name = base.substr(0, kMaxNameLength - suffix.size());
  while (!name.empty() && name.back() == '-') name.pop_back();
  return name + suffix;
}

}  // namespace

Result<IdRange> ParseIdRange(std::string_view text, std::string_view field) {
  const size_t dash = text.find('-');
  const auto bad = [&] {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("\"{}\" must be FIRST-LAST, two user ids with FIRST <= LAST "
                                 "(e.g. 1000-59999)",
                                 text),
                     std::string(field));
  };
  if (dash == std::string_view::npos) return bad();
  const std::optional<unsigned long> first = ParseNumber(text.substr(0, dash));
  const std::optional<unsigned long> last = ParseNumber(text.substr(dash + 1));
  if (!first || !last || *first > *last || *last >= 0x80000000UL) return bad();
  return IdRange{static_cast<uid_t>(*first), static_cast<uid_t>(*last)};
}

IdRange DefaultIdRange(const fs::path& root) {
  const auto defs = ReadLoginDefs(root);
  IdRange range;
  const std::optional<unsigned long> first = LoginDefsNumber(defs, "UID_MIN", 10);
  const std::optional<unsigned long> last = LoginDefsNumber(defs, "UID_MAX", 10);
  if (first && last && *first <= *last && *last < 0x80000000UL) {
    range = {static_cast<uid_t>(*first), static_cast<uid_t>(*last)};
  }
  return range;
}

std::string AccountNameFor(std::string_view upn) {
  std::string_view local = upn.substr(0, upn.find('@'));
  local = local.substr(0, local.find('+'));
  std::string name;
  bool dash = false;
  for (const char c : text::ToLowerAscii(local)) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-') {
      if (c == '-' && (name.empty() || dash)) continue;
      name += c;
      dash = c == '-';
    } else if (!name.empty() && !dash) {
      name += '-';
      dash = true;
    }
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty()) return "user";
  if (name[0] < 'a' || name[0] > 'z') name.insert(0, "u");
  name.resize(std::min(name.size(), kMaxNameLength));
  while (name.back() == '-') name.pop_back();
  return name;
}

std::string PasswordHashPrefix(const fs::path& root) {
  const auto prefix_of = [](std::string_view method) -> std::optional<std::string> {
    const std::string m = text::ToLowerAscii(method);
    if (m == "yescrypt") return "$y$";
    if (m == "sha512") return "$6$";
    if (m == "sha256") return "$5$";
    if (m == "md5") return "$1$";
    return std::nullopt;
  };
  if (Result<std::string> pam = ReadWholeFile(root / "etc/pam.d/common-password"); pam) {
    std::istringstream lines(*pam);
    for (std::string line; std::getline(lines, line);) {
      if (text::Trim(line).starts_with('#') || line.find("pam_unix.so") == std::string::npos) {
        continue;
      }
      std::istringstream words(line.substr(line.find("pam_unix.so")));
      for (std::string word; words >> word;) {
        if (std::optional<std::string> prefix = prefix_of(word)) return *prefix;
      }
    }
  }
  const auto defs = ReadLoginDefs(root);
  if (const auto it = defs.find("ENCRYPT_METHOD"); it != defs.end()) {
    if (std::optional<std::string> prefix = prefix_of(it->second)) return *prefix;
  }
  return "$y$";
}

Result<std::string> HashPassword(const fs::path& root, std::string& password) {
  struct Clear {
    std::string& secret;
    ~Clear() {
      ::explicit_bzero(secret.data(), secret.size());
      secret.clear();
    }
  } clear{password};
  if (password.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the password is empty", "password");
  }
  const std::string prefix = PasswordHashPrefix(root);
  // NULL random bytes: libxcrypt takes the salt from getrandom(2).
  char* setting = ::crypt_gensalt_ra(prefix.c_str(), 0, nullptr, 0);
  if (setting == nullptr) {
    return MakeError(ErrorCode::kInternal, fmt::format("libcrypt cannot make a {} salt: {}", prefix,
                                                       std::strerror(errno)));
  }
  struct crypt_data data {};
  const char* hashed = ::crypt_rn(password.c_str(), setting, &data, sizeof data);
  std::free(setting);
  std::string out = hashed != nullptr && hashed[0] != '*' ? std::string(hashed) : std::string();
  ::explicit_bzero(&data, sizeof data);
  if (out.empty()) {
    return MakeError(ErrorCode::kInternal,
                     fmt::format("libcrypt cannot hash with method {}", prefix));
  }
  return out;
}

bool PasswordMatches(std::string_view password, const std::string& hash) {
  const std::string phrase(password);
  struct crypt_data data {};
  const char* hashed = ::crypt_rn(phrase.c_str(), hash.c_str(), &data, sizeof data);
  return hashed != nullptr && hash == hashed;
}

std::optional<LocalAccount> FindUser(const fs::path& root, std::string_view name) {
  Result<AccountFile> passwd = ReadAccountFile(root, "passwd", 7, 0644, {0, 0});
  if (!passwd) return std::nullopt;
  const std::vector<std::string>* entry = passwd->Find(name);
  if (entry == nullptr) return std::nullopt;
  const std::optional<unsigned long> uid = ParseNumber((*entry)[2]);
  const std::optional<unsigned long> gid = ParseNumber((*entry)[3]);
  if (!uid || !gid) return std::nullopt;
  return LocalAccount{(*entry)[0], static_cast<uid_t>(*uid), static_cast<gid_t>(*gid), (*entry)[5],
                      false};
}

std::vector<gid_t> SupplementaryGroups(const fs::path& root, std::string_view name) {
  std::vector<gid_t> groups;
  Result<AccountFile> group = ReadAccountFile(root, "group", 4, 0644, {0, 0});
  if (!group) return groups;
  for (const auto& entry : group->entries) {
    const std::vector<std::string> members = Members(entry[3]);
    const std::optional<unsigned long> gid = ParseNumber(entry[2]);
    if (gid && std::find(members.begin(), members.end(), name) != members.end()) {
      groups.push_back(static_cast<gid_t>(*gid));
    }
  }
  return groups;
}

std::optional<LocalAccount> FindAccount(const fs::path& root, std::string_view upn) {
  const auto owners = ReadRecord(root);
  const auto it = owners.find(text::ToLowerAscii(upn));
  if (it == owners.end()) return std::nullopt;
  return FindUser(root, it->second);
}

Result<LocalAccount> SetUpAccount(const fs::path& root, const AccountRequest& request,
                                  const AccountOptions& options) {
  const std::string upn = text::ToLowerAscii(request.user_principal_name);
  if (upn.empty() || upn.find_first_of(":\n\t,") != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "must be a user principal name without ':', ',' or control characters",
                     "userPrincipalName");
  }
  if (request.password_hash.empty() || request.password_hash.find(':') != std::string::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "must be a crypt(3) hash", "password_hash");
  }
  std::error_code ec;
  fs::create_directories(root / "etc", ec);
  Result<PasswordFilesLock> lock = PasswordFilesLock::Take(root);
  if (!lock) return lock.error();

  // New files are owned as ROOT/etc is; shadow's group is "shadow" when the root has one.
  struct stat etc {};
  if (::stat((root / "etc").c_str(), &etc) != 0) {
    return MakeError(
        ErrorCode::kUnavailable,
        fmt::format("cannot read {}: {}", (root / "etc").string(), std::strerror(errno)));
  }
  const durable::FileOwner etc_owner{etc.st_uid, etc.st_gid};
  Result<AccountFile> group = ReadAccountFile(root, "group", 4, 0644, etc_owner);
  if (!group) return group.error();
  durable::FileOwner shadow_owner = etc_owner;
  if (const auto* shadow_group = group->Find("shadow"); shadow_group && ::geteuid() == 0) {
    shadow_owner.gid = static_cast<gid_t>(ParseNumber((*shadow_group)[2]).value_or(etc.st_gid));
  }
  Result<AccountFile> passwd = ReadAccountFile(root, "passwd", 7, 0644, etc_owner);
  if (!passwd) return passwd.error();
  Result<AccountFile> shadow = ReadAccountFile(root, "shadow", 9, 0640, shadow_owner);
  if (!shadow) return shadow.error();
  Result<AccountFile> gshadow = ReadAccountFile(root, "gshadow", 4, 0640, shadow_owner);
  if (!gshadow) return gshadow.error();
  const auto defs = ReadLoginDefs(root);

  // The account the UPN has: the record's, else one whose GECOS names the UPN (a crash between
  // the files and the record).
  std::map<std::string, std::string> owners = ReadRecord(root);
  std::vector<std::string>* user = nullptr;
  if (const auto it = owners.find(upn); it != owners.end()) {
    user = passwd->Find(it->second);
    // The record is stale when the name now belongs to another UPN's account (userdel, useradd).
    if (user != nullptr && !GecosUpn(*user).empty() && GecosUpn(*user) != upn) user = nullptr;
  }
  if (user == nullptr) {
    for (auto& entry : passwd->entries) {
      if (GecosUpn(entry) == upn) user = &entry;
    }
  }
  const std::string gecos =
      Gecos(request.display_name.empty()
                ? request.user_principal_name.substr(0, request.user_principal_name.find('@'))
                : request.display_name,
            upn);
  const long today = std::chrono::duration_cast<std::chrono::days>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  LocalAccount account;
  if (user != nullptr) {
    (*user)[4] = gecos;
    const std::optional<unsigned long> uid = ParseNumber((*user)[2]);
    const std::optional<unsigned long> gid = ParseNumber((*user)[3]);
    if (!uid || !gid) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("the entry of {} has a malformed uid or gid: fix it (pwck) and "
                                   "sign in again",
                                   (*user)[0]),
                       passwd->path.string());
    }
    account = {(*user)[0], static_cast<uid_t>(*uid), static_cast<gid_t>(*gid), (*user)[5], false};
  } else {
    // A new account: a name no user or group has, an id no user or group has.
    const std::string base = AccountNameFor(upn);
    for (int number = 1;; ++number) {
      account.name = NumberedName(base, number);
      if (passwd->Find(account.name) == nullptr && group->Find(account.name) == nullptr &&
          shadow->Find(account.name) == nullptr && gshadow->Find(account.name) == nullptr) {
        break;
      }
    }
    std::set<unsigned long> taken;
    for (const auto& entry : passwd->entries) {
      if (auto id = ParseNumber(entry[2])) taken.insert(*id);
    }
    for (const auto& entry : group->entries) {
      if (auto id = ParseNumber(entry[2])) taken.insert(*id);
    }
    const IdRange range = options.ids.value_or(DefaultIdRange(root));
    std::optional<unsigned long> id;
    for (unsigned long candidate = range.first; candidate <= range.last; ++candidate) {
      if (!taken.contains(candidate)) {
        id = candidate;
        break;
      }
    }
    if (!id) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       fmt::format("no user id is free in {}-{} (every one is a user's or a "
                                   "group's): widen the range (--account-ids) or remove accounts",
                                   range.first, range.last),
                       "--account-ids");
    }
    account.uid = static_cast<uid_t>(*id);
    account.gid = static_cast<gid_t>(*id);
    account.home = "/home/" + account.name;
    account.created = true;
    const std::string shell =
        fs::exists(root / "bin/bash", ec) || fs::exists(root / "usr/bin/bash", ec) ? "/bin/bash"
                                                                                   : "/bin/sh";
    passwd->entries.push_back({account.name, "x", std::to_string(account.uid),
                               std::to_string(account.gid), gecos, account.home, shell});
    group->entries.push_back({account.name, "x", std::to_string(account.gid), ""});
    gshadow->entries.push_back({account.name, "!", "", ""});
  }
  // The password: a shadow entry made or updated (last change today, min 0, max 99999, warn 7).
  std::vector<std::string>* secret = shadow->Find(account.name);
  if (secret == nullptr) {
    shadow->entries.push_back({account.name, "", "", "0", "99999", "7", "", "", ""});
    secret = &shadow->entries.back();
  }
  (*secret)[1] = request.password_hash;
  (*secret)[2] = std::to_string(today);
  (*passwd->Find(account.name))[1] = "x";
  // Administrators are members of "sudo" (in group and gshadow); standard users are not. A
  // root without the group (not a Debian one) gets it with base-passwd's id, 27.
  if (group->Find(kAdministratorsGroup) == nullptr && request.administrator) {
    for (const auto& entry : group->entries) {
      if (ParseNumber(entry[2]) == kAdministratorsGid) {
        return MakeError(ErrorCode::kFailedPrecondition,
                         fmt::format("the user is an administrator, but {} has no group \"sudo\" "
                                     "and its id {} is the group \"{}\"'s: add the group sudo",
                                     group->path.string(), kAdministratorsGid, entry[0]));
      }
    }
    group->entries.push_back(
        {std::string(kAdministratorsGroup), "x", std::to_string(kAdministratorsGid), ""});
    if (gshadow->Find(kAdministratorsGroup) == nullptr) {
      gshadow->entries.push_back({std::string(kAdministratorsGroup), "*", "", ""});
    }
  }
  if (auto* sudo = group->Find(kAdministratorsGroup)) {
    SetMember(*sudo, 3, account.name, request.administrator);
  }
  if (auto* sudo = gshadow->Find(kAdministratorsGroup)) {
    SetMember(*sudo, 3, account.name, request.administrator);
  }

  // The record first (a crash after it finds the account by name), then the groups before the
  // users (a user's group always exists), each file atomically.
  if (owners[upn] != account.name) {
    owners[upn] = account.name;
    if (Status s = WriteRecord(root, owners); !s) return s.error();
  }
  for (const AccountFile* file : {&*group, &*gshadow, &*passwd, &*shadow}) {
    if (Status s = WriteAccountFile(*file); !s) return s.error();
  }
  const mode_t home_mode =
      static_cast<mode_t>(LoginDefsNumber(defs, "HOME_MODE", 8).value_or(0700) & 07777);
  if (Status s = MakeHome(root, account, home_mode); !s) return s.error();
  return account;
}

}  // namespace groundcrew::executor
