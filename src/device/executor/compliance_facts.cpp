#include "device/executor/compliance_facts.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "common/text.hpp"
#include "device/executor/durable_file.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace json = boost::json;
namespace {

constexpr std::string_view kSecureBootVariable =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

// An os-release value: "double quoted" (with \" \\ \$ \` escapes), 'single quoted' or bare.
std::string Unquote(std::string_view value) {
  value = text::Trim(value);
  if (value.size() >= 2 && value.front() == '\'' && value.back() == '\'') {
    return std::string(value.substr(1, value.size() - 2));
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    std::string out;
    const std::string_view inner = value.substr(1, value.size() - 2);
    for (size_t i = 0; i < inner.size(); ++i) {
      if (inner[i] == '\\' && i + 1 < inner.size()) ++i;
      out += inner[i];
    }
    return out;
  }
  return std::string(value);
}

Status ReadOsRelease(const fs::path& root, core::DeviceFacts& facts) {
  for (const char* candidate : {"etc/os-release", "usr/lib/os-release"}) {
    Result<std::string> bytes = ReadWholeFile(root / candidate);
    if (!bytes) {
      if (bytes.error().code == ErrorCode::kNotFound) continue;
      return bytes.error();
    }
    std::string_view rest = *bytes;
    while (!rest.empty()) {
      const size_t end = rest.find('\n');
      const std::string_view line = text::Trim(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const size_t equals = line.find('=');
      if (line.empty() || line.front() == '#' || equals == std::string_view::npos) continue;
      const std::string_view key = line.substr(0, equals);
      if (key == "NAME") facts.os_name = Unquote(line.substr(equals + 1));
      if (key == "VERSION_ID") facts.os_version = Unquote(line.substr(equals + 1));
    }
    return Ok{};
  }
  return Ok{};
}

Status ReadSecureBoot(const fs::path& root, core::DeviceFacts& facts) {
  Result<std::string> bytes = ReadWholeFile(root / kSecureBootVariable);
  if (!bytes) {
    return bytes.error().code == ErrorCode::kNotFound ? Status(Ok{}) : Status(bytes.error());
  }
  // efivarfs: 4 bytes of attributes, then the variable's value (one byte: 1 = enabled).
  if (bytes->size() >= 5) facts.secure_boot_enabled = (*bytes)[4] == 1;
  return Ok{};
}

Error BadFacts(const fs::path& file, std::string_view key, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", file.string(), message),
                   std::string(key));
}

Status ReadFactsJson(const fs::path& file, core::DeviceFacts& facts) {
  Result<std::string> bytes = ReadWholeFile(file);
  if (!bytes) {
    return bytes.error().code == ErrorCode::kNotFound ? Status(Ok{}) : Status(bytes.error());
  }
  boost::system::error_code ec;
  json::value document = json::parse(*bytes, ec);
  if (ec) return BadFacts(file, "", fmt::format("not JSON: {}", ec.message()));
  if (!document.is_object()) return BadFacts(file, "", "must be a JSON object");

  for (const json::key_value_pair& entry : document.as_object()) {
    const std::string_view key = entry.key();
    const json::value& value = entry.value();
    const auto string_fact = [&](std::string& out) -> Status {
      if (value.is_null()) {
        out.clear();
      } else if (value.is_string()) {
        out = std::string(value.as_string());
      } else {
        return BadFacts(file, key, fmt::format("\"{}\" must be a string", key));
      }
      return Ok{};
    };
    const auto bool_fact = [&](std::optional<bool>& out) -> Status {
      if (value.is_null()) {
        out.reset();
      } else if (value.is_bool()) {
        out = value.as_bool();
      } else {
        return BadFacts(file, key, fmt::format("\"{}\" must be true or false", key));
      }
      return Ok{};
    };
    Status status = Ok{};
    if (key == "osName") {
      status = string_fact(facts.os_name);
    } else if (key == "osVersion") {
      status = string_fact(facts.os_version);
    } else if (key == "storageEncrypted") {
      status = bool_fact(facts.storage_encrypted);
    } else if (key == "secureBootEnabled") {
      status = bool_fact(facts.secure_boot_enabled);
    } else if (key == "firewallActive") {
      status = bool_fact(facts.firewall_active);
    } else if (key == "passwordRequired") {
      status = bool_fact(facts.password_required);
    } else if (key == "passwordMinimumLength") {
      if (value.is_null()) {
        facts.password_minimum_length.reset();
      } else if (value.is_int64() && value.as_int64() >= 0 && value.as_int64() <= 1024) {
        facts.password_minimum_length = static_cast<int>(value.as_int64());
      } else if (value.is_uint64() && value.as_uint64() <= 1024) {
        facts.password_minimum_length = static_cast<int>(value.as_uint64());
      } else {
        status = BadFacts(file, key, "\"passwordMinimumLength\" must be an integer from 0 to 1024");
      }
    } else {
      status = BadFacts(file, key,
                        fmt::format("unknown key \"{}\" (known: osName, osVersion, "
                                    "storageEncrypted, secureBootEnabled, firewallActive, "
                                    "passwordRequired, passwordMinimumLength)",
                                    key));
    }
    if (!status) return status;
  }
  return Ok{};
}

}  // namespace

Result<core::DeviceFacts> ReadComplianceFacts(const fs::path& root) {
  core::DeviceFacts facts;
  if (Status s = ReadOsRelease(root, facts); !s) return s.error();
  if (Status s = ReadSecureBoot(root, facts); !s) return s.error();
  if (Status s = ReadFactsJson(root / "etc/groundcrew/facts.json", facts); !s) return s.error();
  return facts;
}

}  // namespace groundcrew::executor
