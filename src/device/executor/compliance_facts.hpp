#pragma once

#include <filesystem>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"

// What a device reports for compliance, read from its root folder.
namespace groundcrew::executor {

/// Reads the device's compliance facts under `root`:
/// - ROOT/etc/os-release (else ROOT/usr/lib/os-release, os-release(5)): NAME → os_name,
///   VERSION_ID → os_version (quoted values unquoted; lines that are not KEY=value ignored);
/// - ROOT/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c: its value
///   byte → secure_boot_enabled (unset when the variable is absent);
/// - ROOT/etc/groundcrew/facts.json, when present, overrides any of them: a JSON object with
///   any of "osName", "osVersion" (strings), "storageEncrypted", "secureBootEnabled",
///   "firewallActive", "passwordRequired" (booleans), "passwordMinimumLength" (integer 0-1024);
///   null means "not reported".
/// Facts nothing says stay unset (compliance then treats them as not reported).
/// Errors: kInvalidArgument naming the file (field = the key at fault, when there is one) for
/// facts.json that is not JSON, not an object, has an unknown key or a value of the wrong type;
/// kUnavailable when a file exists but cannot be read.
[[nodiscard]] Result<core::DeviceFacts> ReadComplianceFacts(const std::filesystem::path& root);

}  // namespace groundcrew::executor
