#include "device/executor/detection.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/text.hpp"
#include "core/compliance/compliance.hpp"
#include "device/executor/durable_file.hpp"
#include "identity/sha256.hpp"

namespace groundcrew::executor {
namespace fs = std::filesystem;
namespace {

std::string RuleField(size_t index, std::string_view property) {
  return fmt::format("detectionRules[{}].{}", index, property);
}

// The SHA-256 (hex) of the regular file at `path`; kNotFound when it is absent or not a file.
Result<std::string> HashFile(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return MakeError(ErrorCode::kNotFound, fmt::format("{} is not a file", path.string()));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  identity::Sha256 hasher;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot read {}: {}", path.string(), std::strerror(error)));
    }
    if (n == 0) break;
    hasher.Update(std::string_view(buffer, static_cast<size_t>(n)));
  }
  ::close(fd);
  return identity::ToHex(hasher.Finish());
}

Result<bool> EvaluateRule(const core::DetectionRule& rule, size_t index,
                          const DetectionEnvironment& env) {
  using Kind = core::DetectionRule::Kind;
  const auto log = [&](std::string_view text) {
    if (env.log) env.log(fmt::format("groundcrew: detection rule {}: {}", index + 1, text));
  };
  if (rule.kind == Kind::kCommand) {
    if (text::Trim(rule.command).empty()) {
      return MakeError(ErrorCode::kInvalidArgument, "a command rule needs a command",
                       RuleField(index, "command"));
    }
    ShellCommand command{rule.command, env.root, env.environment, env.command_time_limit, env.stop};
    Result<ShellOutcome> outcome = RunShell(command, env.log);
    if (!outcome) return outcome.error();
    switch (outcome->end) {
      case ShellOutcome::End::kExited:
        log(fmt::format("command exited with {}", outcome->exit_code));
        return outcome->exit_code == 0;
      case ShellOutcome::End::kSignaled:
        log(fmt::format("command was killed by signal {}", outcome->signal));
        return false;
      case ShellOutcome::End::kVanished:  // only WaitForDetachedShell ends so
        return false;
      case ShellOutcome::End::kTimedOut:
        return MakeError(ErrorCode::kFailedPrecondition,
                         fmt::format("the detection command ran past {} s and was killed",
                                     env.command_time_limit.count() / 1000),
                         RuleField(index, "command"));
      case ShellOutcome::End::kStopped:
        return MakeError(ErrorCode::kAborted, "stopped while a detection command ran",
                         RuleField(index, "command"));
    }
    return false;
  }

  Result<fs::path> path = UnderRoot(env.root, rule.path, RuleField(index, "path"));
  if (!path) return path.error();
  std::error_code ec;
  switch (rule.kind) {
    case Kind::kFileExists: {
      const bool exists = fs::exists(*path, ec);
      log(fmt::format("{} {}", rule.path, exists ? "exists" : "does not exist"));
      return exists;
    }
    case Kind::kFileHash: {
      if (!identity::IsSha256Hex(text::ToLowerAscii(rule.value))) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "a file hash rule needs a SHA-256 of 64 hex digits",
                         RuleField(index, "value"));
      }
      Result<std::string> digest = HashFile(*path);
      if (!digest) {
        if (digest.error().code != ErrorCode::kNotFound) return digest.error();
        log(fmt::format("{} is not a file", rule.path));
        return false;
      }
      const bool same = *digest == text::ToLowerAscii(rule.value);
      log(fmt::format("{} has SHA-256 {}{}", rule.path, *digest,
                      same ? "" : " (not the one expected)"));
      return same;
    }
    case Kind::kFileVersion: {
      if (text::Trim(rule.value).empty()) {
        return MakeError(ErrorCode::kInvalidArgument, "a file version rule needs a version",
                         RuleField(index, "value"));
      }
      Result<std::string> bytes = ReadWholeFile(*path);
      if (!bytes) {
        if (bytes.error().code != ErrorCode::kNotFound) return bytes.error();
        log(fmt::format("{} does not exist", rule.path));
        return false;
      }
      const std::string_view first_line =
          text::Trim(std::string_view(*bytes).substr(0, bytes->find('\n')));
      if (first_line.empty()) {
        log(fmt::format("{} has no version on its first line", rule.path));
        return false;
      }
      const bool recent = core::CompareVersions(first_line, text::Trim(rule.value)) >= 0;
      log(fmt::format("{} has version {} ({} {})", rule.path, first_line,
                      recent ? "at least" : "older than", text::Trim(rule.value)));
      return recent;
    }
    case Kind::kCommand:
      break;
  }
  return false;
}

}  // namespace

Result<fs::path> UnderRoot(const fs::path& root, std::string_view path, std::string_view field) {
  if (text::Trim(path).empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "a path is required", std::string(field));
  }
  const fs::path relative = fs::path(path).relative_path();
  for (const fs::path& part : relative) {
    if (part == "..") {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("path \"{}\" must not contain \"..\"", path),
                       std::string(field));
    }
  }
  return root / relative;
}

Result<bool> EvaluateDetectionRules(const std::vector<core::DetectionRule>& rules,
                                    const DetectionEnvironment& env) {
  if (rules.empty()) return false;
  for (size_t i = 0; i < rules.size(); ++i) {
    Result<bool> holds = EvaluateRule(rules[i], i, env);
    if (!holds) return holds.error();
    if (!*holds) return false;
  }
  return true;
}

}  // namespace groundcrew::executor
