#pragma once

#include <chrono>
#include <filesystem>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/payloads.hpp"
#include "device/executor/process.hpp"

// Win32-style detection rules evaluated under a device root.
namespace groundcrew::executor {

/// `path` (absolute or relative, as written in a rule) as a path under `root`: "/opt/x" and
/// "opt/x" are both ROOT/opt/x. kInvalidArgument (field `field`) when empty or when a component
/// is "..", which could leave the root.
[[nodiscard]] Result<std::filesystem::path> UnderRoot(const std::filesystem::path& root,
                                                      std::string_view path,
                                                      std::string_view field);

struct DetectionEnvironment {
  std::filesystem::path root;
  /// The environment of command rules ("NAME=value"; GROUNDCREW_ROOT among them).
  std::vector<std::string> environment;
  std::chrono::milliseconds command_time_limit{std::chrono::minutes(1)};
  std::stop_token stop;
  /// Receives the output of command rules and one line per rule saying what it found.
  LineFn log;
};

/// Whether every rule holds (rules combine with AND, as Intune's do); no rule = false.
/// - kFileExists: `path` exists under the root (file or folder);
/// - kFileHash: `path` is a regular file whose SHA-256 equals `value` (hex, any case);
/// - kFileVersion: the first line of `path`, trimmed, is a dotted version >= `value`
///   (core::CompareVersions); a missing file or an empty first line does not hold;
/// - kCommand: `/bin/sh -c command` in the root folder exits 0.
/// Evaluation stops at the first rule that does not hold.
/// Errors (field "detectionRules[i]..."): kInvalidArgument for a rule missing its path, value or
/// command, or a path with ".."; kFailedPrecondition when a command runs past
/// command_time_limit (killed); kAborted when stop was requested; kInternal when a command
/// cannot be started; kUnavailable when a file exists but cannot be read.
[[nodiscard]] Result<bool> EvaluateDetectionRules(const std::vector<core::DetectionRule>& rules,
                                                  const DetectionEnvironment& env);

}  // namespace groundcrew::executor
