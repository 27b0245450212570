#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/registration/hardware_hash.hpp"

// The device registration CSV (spec §4.2): reading what admins upload, the per-row checks of an
// import, and writing what `groundcrew-agent hwid` prints.
namespace groundcrew::core {

/// Microsoft's column names, spelled as in Microsoft's header.
inline constexpr std::string_view kSerialNumberColumn = "Device Serial Number";
inline constexpr std::string_view kProductIdColumn = "Windows Product ID";
inline constexpr std::string_view kHardwareHashColumn = "Hardware Hash";
inline constexpr std::string_view kGroupTagColumn = "Group Tag";
inline constexpr std::string_view kAssignedUserColumn = "Assigned User";

/// The most characters (Unicode code points) a registration's fields may hold: Intune's serial
/// numbers and group tags are far shorter; the bound keeps every answer and screen sane.
inline constexpr std::size_t kMaxSerialNumberLength = 128;
inline constexpr std::size_t kMaxProductIdLength = 64;
inline constexpr std::size_t kMaxGroupTagLength = 128;
inline constexpr std::size_t kMaxAssignedUserLength = 113;  ///< a user principal name

/// Why a row is refused. The first four are Microsoft's import error names (spec §4.4, Graph
/// `deviceErrorName`); Microsoft documents no names for the other cases, so those are
/// groundcrew's own.
enum class ImportError {
  kInvalidZtdHardwareHash,            ///< Microsoft: hash empty, not padded base64, or invalid
  kZtdDeviceDuplicated,               ///< Microsoft: same hash (or serial) earlier in the file
  kZtdDeviceAlreadyAssigned,          ///< Microsoft: already registered in this tenant
  kZtdDeviceAssignedToAnotherTenant,  ///< Microsoft: registered in another tenant
  kInvalidCsvRow,                     ///< groundcrew: wrong cell count or broken quoting
  kInvalidSerialNumber,               ///< groundcrew: serial empty or not clean text
  kInvalidCellValue,                  ///< groundcrew: product id or group tag not clean text
  kInvalidAssignedUserPrincipalName,  ///< groundcrew: not name@domain, or foreign domain
};

/// The error's name as reported to people and over the API, e.g. "ZtdDeviceDuplicated".
std::string_view ImportErrorName(ImportError error);

/// Why one row was refused.
struct RowFailure {
  ImportError error = ImportError::kInvalidCsvRow;
  std::string message;  ///< names the column (and the line it conflicts with); valid UTF-8
  std::string column;   ///< Microsoft's name of the column at fault; empty for the whole row

  friend bool operator==(const RowFailure&, const RowFailure&) = default;
};

/// One device row, cells trimmed. Of a refused row, the fields hold what could be read.
struct RegistrationRow {
  std::string serial_number;       ///< "Device Serial Number"
  std::string product_id;          ///< "Windows Product ID" -> AutopilotDeviceIdentity::product_key
  std::string hardware_hash;       ///< "Hardware Hash", decoded bytes (empty if not base64)
  std::string hardware_hash_text;  ///< "Hardware Hash" as written in the file
  std::string group_tag;           ///< "Group Tag", empty when absent
  std::string assigned_user_principal_name;  ///< "Assigned User", empty when absent
  /// Set when `hardware_hash` is a valid groundcrew hash (see hardware_hash.hpp).
  std::optional<HardwareHashFields> groundcrew_hash;

  friend bool operator==(const RegistrationRow&, const RegistrationRow&) = default;
};

/// The outcome for one data row.
struct RegistrationRowResult {
  std::size_t line = 0;  ///< 1-based line where the row starts (the header is on a line too)
  RegistrationRow row;
  std::optional<RowFailure> failure;  ///< empty when the row may be imported

  bool ok() const { return !failure.has_value(); }
};

/// What ReadRegistrationCsv found.
struct RegistrationFile {
  /// Problems with the file as a whole (encoding, header). Each is kInvalidArgument with `field`
  /// "file", "header" or "header, column N". When non-empty nothing may be imported; `rows`
  /// still reports what could be read so that every problem shows at once.
  std::vector<Error> file_errors;
  /// The header's columns by Microsoft's names, in file order (empty if the header is unusable).
  std::vector<std::string> columns;
  /// One result per data row, in file order. Empty when the header is unusable.
  std::vector<RegistrationRowResult> rows;

  bool ok() const { return file_errors.empty(); }
};

/// Reads a registration CSV. Never fails as a whole and never crashes: any bytes give file-level
/// or row-level errors. Linear in the size of the input; there is no row limit (Microsoft's is
/// 500).
///
/// Accepted input:
/// - Encoding: UTF-8 with or without BOM; UTF-16LE or UTF-16BE with BOM (or without BOM when the
///   first character is ASCII). A lone UTF-16 surrogate or a byte that is not UTF-8 fails the
///   row (or header cell) holding it.
/// - Lines end in CRLF, LF or CR. RFC 4180 quoting: a cell may be quoted, with "" for a quote
///   and commas and line breaks inside. Every cell is trimmed of surrounding white space.
/// - Lines that are blank, or whose cells are all empty (as spreadsheets write), are skipped
///   anywhere, including before the header.
/// - Header: the first non-blank line. Columns are identified by name, case-insensitively and
///   in any order; "Device Serial Number" and "Hardware Hash" are required, "Windows Product
///   ID", "Group Tag" and "Assigned User" optional (so Microsoft's 5-column file,
///   Get-WindowsAutopilotInfo's 3-column file and the 4-column variants are all accepted). An
///   unknown, unnamed or repeated column, or a missing required one, is a file error.
///
/// Row checks, first failure wins:
/// - a row with more or fewer cells than the header, or broken quoting: kInvalidCsvRow;
/// - empty serial number, or one that is not clean text: kInvalidSerialNumber;
/// - hardware hash empty or not padded base64 (common/base64.hpp strict Decode), or a groundcrew
///   hash that does not decode or names another serial number (ASCII case-insensitively):
///   kInvalidZtdHardwareHash;
/// - product id or group tag not clean text (UTF-8 without control characters):
///   kInvalidCellValue;
/// - an assigned user that fails IsPlausibleUserPrincipalName: kInvalidAssignedUserPrincipalName;
/// - then, among rows that passed: a hardware hash (decoded bytes) or serial number (ASCII
///   case-insensitively) already used by an earlier passing row: kZtdDeviceDuplicated, naming
///   that row's line. The earlier row stays accepted.
RegistrationFile ReadRegistrationCsv(std::string_view file_bytes);

/// True for `local@domain`: exactly one '@', both parts non-empty, clean UTF-8 text without
/// white space. Only the shape is checked; see CheckAssignedUserDomains for the domain.
bool IsPlausibleUserPrincipalName(std::string_view upn);

/// Where a device is registered already.
enum class RegistrationOwner { kNone, kThisTenant, kAnotherTenant };

/// How CheckAgainstRegistry asks about existing registrations. An empty function skips that
/// lookup. `by_serial_number` should match serial numbers ASCII case-insensitively.
struct RegistryLookup {
  std::function<RegistrationOwner(std::string_view hardware_hash)> by_hardware_hash;  ///< bytes
  std::function<RegistrationOwner(std::string_view serial_number)> by_serial_number;
};

/// `file` with every row that is still ok and whose hardware hash or serial number is already
/// registered refused: kZtdDeviceAssignedToAnotherTenant when either lookup says another tenant,
/// else kZtdDeviceAlreadyAssigned when either says this tenant. Rows already refused are left
/// as they are.
RegistrationFile CheckAgainstRegistry(RegistrationFile file, const RegistryLookup& lookup);

/// `file` with every row that is still ok and has an assigned user whose domain (after '@') is
/// not one of `tenant_domains` (ASCII case-insensitively, exact match: a subdomain must be
/// listed itself) refused with kInvalidAssignedUserPrincipalName. Microsoft validates only the
/// domain of the Assigned User at import and documents no error name for it; the name is
/// groundcrew's.
RegistrationFile CheckAssignedUserDomains(RegistrationFile file,
                                          std::span<const std::string> tenant_domains);

/// Microsoft's exact 5-column format: the header
/// "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User", then one
/// line per row, every line ending in CRLF. The hash is written as the padded base64 of
/// `hardware_hash` (`hardware_hash_text` and `groundcrew_hash` are not read). A cell is quoted
/// only when it holds a comma, a quote or a line break, so ordinary rows carry no quotes, as
/// Microsoft requires. ReadRegistrationCsv gives the rows back when their cells are clean text
/// without surrounding white space and each row has a serial number.
std::string WriteRegistrationCsv(std::span<const RegistrationRow> rows);

}  // namespace groundcrew::core
