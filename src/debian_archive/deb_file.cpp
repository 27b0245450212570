#include "debian_archive/deb_file.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "common/text.hpp"
#include "core/debian/debian_version.hpp"
#include "core/debian/package_name.hpp"

namespace groundcrew::debian_archive {
namespace {

constexpr std::string_view kArMagic = "!<arch>\n";
// A control member or control file larger than these is not a package anyone built.
constexpr la_int64_t kMaxControlMember = 64LL << 20;
constexpr la_int64_t kMaxControlFile = 1LL << 20;

using ArchivePtr = std::unique_ptr<archive, decltype(&archive_read_free)>;

Error NotADeb(std::string reason) {
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("not a Debian package: {}", std::move(reason)));
}

// libarchive's last error on `a`.
std::string_view ErrorText(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "no detail";
}

Error Damaged(archive* a) {
  return NotADeb(fmt::format("the archive is truncated or damaged ({})", ErrorText(a)));
}

// The current entry's data, at most `limit` bytes (an error past it).
Result<std::string> ReadEntry(archive* a, std::string_view name, la_int64_t limit) {
  std::string data;
  char buffer[16384];
  for (;;) {
    const la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n < 0) return Damaged(a);
    if (n == 0) return data;
    if (static_cast<la_int64_t>(data.size()) + n > limit) {
      return NotADeb(fmt::format("{} is larger than {} MiB", name, limit >> 20));
    }
    data.append(buffer, static_cast<size_t>(n));
  }
}

// The first paragraph of a control file: field names folded to lower case, continuation
// lines joined with '\n'.
std::vector<std::pair<std::string, std::string>> ParseFields(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> fields;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (text::Trim(line).empty()) {
      if (!fields.empty()) break;  // the end of the first paragraph
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (!fields.empty()) fields.back().second += "\n" + std::string(text::Trim(line));
      continue;
    }
    if (line.front() == '#') continue;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fields.emplace_back(text::ToLowerAscii(text::Trim(line.substr(0, colon))),
                        std::string(text::Trim(line.substr(colon + 1))));
  }
  return fields;
}

Result<DebControl> ParseControl(std::string_view text) {
  const auto fields = ParseFields(text);
  const auto field = [&](std::string_view name) -> std::optional<std::string> {
    for (const auto& [key, value] : fields) {
      if (key == name) return value;
    }
    return std::nullopt;
  };
  const auto missing = [](std::string_view name) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the control file has no {} field", name));
  };
  DebControl control;
  std::optional<std::string> package = field("package");
  if (!package || package->empty()) return missing("Package");
  if (Status valid = core::CheckDebianPackageName(*package); !valid) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the control file's Package \"{}\" is not a Debian package "
                                 "name: {}",
                                 *package, valid.error().message));
  }
  std::optional<std::string> version = field("version");
  if (!version || version->empty()) return missing("Version");
  if (Result<core::DebianVersion> parsed = core::ParseDebianVersion(*version); !parsed) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("the control file's Version: {}", parsed.error().message));
  }
  std::optional<std::string> architecture = field("architecture");
  if (!architecture || architecture->empty()) return missing("Architecture");
  control.package = std::move(*package);
  control.version = std::move(*version);
  control.architecture = std::move(*architecture);
  control.depends = field("depends").value_or("");
  return control;
}

// The control file inside the control member `name` (bytes `member`).
Result<std::string> ControlFileOf(std::string_view name, const std::string& member) {
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return MakeError(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), member.data(), member.size()) != ARCHIVE_OK) {
    return NotADeb(fmt::format("{} is not a readable tar archive ({})", name, ErrorText(a.get())));
  }
  archive_entry* entry = nullptr;
  for (;;) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return NotADeb(
          fmt::format("{} is not a readable tar archive ({})", name, ErrorText(a.get())));
    }
    const char* path = archive_entry_pathname(entry);
    const std::string_view entry_name = path != nullptr ? path : "";
    if (entry_name == "./control" || entry_name == "control") {
      return ReadEntry(a.get(), "the control file", kMaxControlFile);
    }
  }
  return NotADeb(fmt::format("{} has no control file", name));
}

// Reads the ar archive `a` opens (after `open`) as far as the control file.
Result<DebControl> ReadOpened(archive* a) {
  archive_entry* entry = nullptr;
  bool first = true;
  for (;;) {
    const int r = archive_read_next_header(a, &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return Damaged(a);
    const char* path = archive_entry_pathname(entry);
    const std::string name = path != nullptr ? path : "";
    if (first) {
      first = false;
      if (name != "debian-binary") {
        return NotADeb(fmt::format("its first member is \"{}\", not \"debian-binary\"", name));
      }
      Result<std::string> format = ReadEntry(a, name, 1024);
      if (!format) return format.error();
      const std::string_view version = text::Trim(*format);
      if (!version.starts_with("2.")) {
        return NotADeb(fmt::format("debian-binary says \"{}\", not format 2.x", version));
      }
      continue;
    }
    if (name == "control.tar" || name == "control.tar.gz" || name == "control.tar.xz" ||
        name == "control.tar.zst") {
      Result<std::string> member = ReadEntry(a, name, kMaxControlMember);
      if (!member) return member.error();
      Result<std::string> control = ControlFileOf(name, *member);
      if (!control) return control.error();
      return ParseControl(*control);
    }
  }
  if (first) return NotADeb("the ar archive is empty");
  return NotADeb("it has no control.tar.gz, control.tar.xz or control.tar.zst member");
}

Result<DebControl> ReadWith(std::string_view head, const std::function<int(archive*)>& open) {
  if (!head.starts_with(kArMagic)) {
    return NotADeb("it does not start with the ar archive signature \"!<arch>\\n\"");
  }
  ArchivePtr a(archive_read_new(), archive_read_free);
  if (!a) return MakeError(ErrorCode::kInternal, "libarchive: out of memory");
  archive_read_support_format_ar(a.get());
  if (open(a.get()) != ARCHIVE_OK) return Damaged(a.get());
  return ReadOpened(a.get());
}

}  // namespace

Result<DebControl> ReadDebControl(std::string_view bytes) {
  return ReadWith(bytes.substr(0, kArMagic.size()), [bytes](archive* a) {
    return archive_read_open_memory(a, bytes.data(), bytes.size());
  });
}

Result<DebControl> ReadDebControlFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    return MakeError(exists ? ErrorCode::kUnavailable : ErrorCode::kNotFound,
                     fmt::format("cannot open {}", path.string()));
  }
  std::string head(kArMagic.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const std::string file = path.string();
  return ReadWith(
      head, [&file](archive* a) { return archive_read_open_filename(a, file.c_str(), 65536); });
}

std::string_view BuildArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "i386";
#elif defined(__arm__)
  return "armhf";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64el";
#elif defined(__s390x__)
  return "s390x";
#else
  return "unknown";
#endif
}

Status CheckArchitecture(std::string_view architecture, std::string_view native,
                         std::span<const std::string> foreign) {
  if (architecture == "all" || architecture == native) return Ok{};
  if (std::find(foreign.begin(), foreign.end(), architecture) != foreign.end()) return Ok{};
  std::string runs = std::string(native);
  for (const std::string& extra : foreign) runs += ", " + extra;
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("the package is built for {}; the device runs {} (a .deb must be "
                               "built for \"all\" or {})",
                               architecture, native, runs));
}

}  // namespace groundcrew::debian_archive
