#include "core/registration/registration_csv.hpp"

#include <algorithm>
#include <array>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "common/base64.hpp"
#include "common/text.hpp"
#include "core/registration/text_encoding.hpp"

namespace groundcrew::core {
namespace {

using registration_internal::ByteOrder;
using registration_internal::FindTextProblem;
using registration_internal::QuoteForMessage;
using registration_internal::Utf16ToUtf8;

enum class Column { kSerialNumber, kProductId, kHardwareHash, kGroupTag, kAssignedUser };

constexpr std::array<std::string_view, 5> kColumnNames = {kSerialNumberColumn, kProductIdColumn,
                                                          kHardwareHashColumn, kGroupTagColumn,
                                                          kAssignedUserColumn};

constexpr std::size_t kMaxHeaderErrors = 10;

std::string_view NameOf(Column column) { return kColumnNames[static_cast<std::size_t>(column)]; }

std::string Quoted(std::string_view text) { return QuoteForMessage(text); }

Error FileError(std::string message, std::string field) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

RowFailure Failure(ImportError error, std::string message, std::string_view column = {}) {
  return RowFailure{error, std::move(message), std::string(column)};
}

// The file's text as UTF-8: the input itself, or its conversion from UTF-16.
struct Utf8Text {
  std::string_view original;  // the text when the input is UTF-8
  std::string converted;      // the text when the input is UTF-16
  bool is_converted = false;
  std::optional<Error> error;

  std::string_view text() const { return is_converted ? std::string_view(converted) : original; }
};

Utf8Text ToUtf8(std::string_view bytes) {
  Utf8Text result;
  std::optional<ByteOrder> utf16;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  if (bytes.starts_with("\xEF\xBB\xBF")) {
    result.original = bytes.substr(3);
    return result;
  }
  if (bytes.size() >= 2 && byte(0) == 0xFF && byte(1) == 0xFE) {
    utf16 = ByteOrder::kLittleEndian;
    bytes.remove_prefix(2);
  } else if (bytes.size() >= 2 && byte(0) == 0xFE && byte(1) == 0xFF) {
    utf16 = ByteOrder::kBigEndian;
    bytes.remove_prefix(2);
  } else if (bytes.size() >= 2 && byte(0) != 0 && byte(1) == 0) {
    utf16 = ByteOrder::kLittleEndian;  // no BOM, but "D\0e\0v\0..." can only be UTF-16LE
  } else if (bytes.size() >= 2 && byte(0) == 0 && byte(1) != 0) {
    utf16 = ByteOrder::kBigEndian;
  }
  if (!utf16) {
    result.original = bytes;
    return result;
  }
  if (bytes.size() % 2 != 0) {
    result.error = FileError(
        "the file is UTF-16 but has an odd number of bytes (truncated?); the last byte is ignored",
        "file");
  }
  result.converted = Utf16ToUtf8(bytes, *utf16);
  result.is_converted = true;
  return result;
}

struct Record {
  std::size_t line = 0;                // where the record starts
  std::vector<std::string> cells;      // trimmed
  std::optional<std::string> problem;  // broken quoting, e.g. "has a quote that is never closed"
  std::size_t problem_cell = 0;        // index of the cell with the problem

  bool IsBlank() const {
    if (problem) return false;
    for (const std::string& cell : cells) {
      if (!cell.empty()) return false;
    }
    return true;
  }
};

bool IsBlankChar(char c) { return c == ' ' || c == '\t'; }

// Trims like text::Trim, in place.
void TrimInPlace(std::string& cell) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const std::size_t last = cell.find_last_not_of(kSpace);
  if (last == std::string::npos) {
    cell.clear();
    return;
  }
  cell.erase(last + 1);
  cell.erase(0, cell.find_first_not_of(kSpace));
}

// Splits UTF-8 text into RFC 4180 records in one pass.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text) : text_(text) {}

  // Reads the next record into `record` (reusing its storage); false at the end of the text.
  bool Next(Record& record) {
    if (pos_ >= text_.size()) return false;
    record.line = line_;
    record.problem.reset();
    std::size_t count = 0;
    for (;;) {
      if (count == record.cells.size()) record.cells.emplace_back();
      std::string& cell = record.cells[count];
      cell.clear();
      const bool closed = ReadCell(cell, record, count);
      ++count;
      if (!closed || pos_ >= text_.size()) break;
      if (text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      ConsumeLineBreak();
      break;
    }
    record.cells.resize(count);
    return true;
  }

 private:
  // Reads one cell, leaving pos_ at the ',' or line break after it or at the end. Returns false
  // when a quoted cell runs to the end of the text unclosed.
  bool ReadCell(std::string& cell, Record& record, std::size_t index) {
    std::size_t start = pos_;
    while (start < text_.size() && IsBlankChar(text_[start])) ++start;
    if (start >= text_.size() || text_[start] != '"') {
      const std::size_t end = CellEnd(pos_);
      cell.assign(text::Trim(text_.substr(pos_, end - pos_)));
      pos_ = end;
      return true;
    }
    pos_ = start + 1;
    for (;;) {
      const std::size_t quote = text_.find('"', pos_);
      if (quote == std::string_view::npos) {
        AppendCountingLines(cell, text_.substr(pos_));
        pos_ = text_.size();
        SetProblem(record, index, "has a quoted value that is never closed (a missing '\"')");
        TrimInPlace(cell);
        return false;
      }
      AppendCountingLines(cell, text_.substr(pos_, quote - pos_));
      pos_ = quote + 1;
      if (pos_ < text_.size() && text_[pos_] == '"') {
        cell += '"';
        ++pos_;
        continue;
      }
      break;
    }
    while (pos_ < text_.size() && IsBlankChar(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\r' && text_[pos_] != '\n') {
      SetProblem(record, index, "has text after the closing quote of a quoted value");
      pos_ = CellEnd(pos_);
    }
    TrimInPlace(cell);
    return true;
  }

  // The position of the first ',', CR or LF at or after `from`, or the end of the text.
  std::size_t CellEnd(std::size_t from) const {
    while (from < text_.size() && text_[from] != ',' && text_[from] != '\r' &&
           text_[from] != '\n') {
      ++from;
    }
    return from;
  }

  static void SetProblem(Record& record, std::size_t index, std::string problem) {
    if (record.problem) return;
    record.problem = std::move(problem);
    record.problem_cell = index;
  }

  void ConsumeLineBreak() {
    if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
    ++pos_;
    ++line_;
  }

  // Appends quoted content, counting its CRLF, LF and lone CR line breaks.
  void AppendCountingLines(std::string& cell, std::string_view chunk) {
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if (chunk[i] == '\n' ||
          (chunk[i] == '\r' && (i + 1 >= chunk.size() || chunk[i + 1] != '\n'))) {
        ++line_;
      }
    }
    cell.append(chunk);
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
};

std::optional<Column> ColumnNamed(std::string_view name) {
  for (std::size_t i = 0; i < kColumnNames.size(); ++i) {
    if (text::EqualsIgnoreCase(name, kColumnNames[i])) return static_cast<Column>(i);
  }
  return std::nullopt;
}

// The column of each header cell, or file errors.
std::vector<Column> ReadHeader(const Record& header, RegistrationFile& file) {
  constexpr std::string_view kExpected =
      "the columns are Device Serial Number, Windows Product ID, Hardware Hash, Group Tag and "
      "Assigned User";
  std::vector<Column> layout;
  std::vector<Error> errors;
  std::array<std::size_t, kColumnNames.size()> seen_at{};  // 1-based position, 0 = not seen
  std::size_t unreported = 0;
  const auto report = [&](Error error) {
    if (errors.size() < kMaxHeaderErrors) {
      errors.push_back(std::move(error));
    } else {
      ++unreported;
    }
  };
  if (header.problem) {
    report(FileError("header (line " + std::to_string(header.line) + "): column " +
                         std::to_string(header.problem_cell + 1) + " " + *header.problem,
                     "header, column " + std::to_string(header.problem_cell + 1)));
  }
  for (std::size_t i = 0; i < header.cells.size(); ++i) {
    if (header.problem && i == header.problem_cell) continue;  // reported above
    const std::string& name = header.cells[i];
    const std::string position = std::to_string(i + 1);
    const std::string field = "header, column " + position;
    if (name.empty()) {
      report(FileError("header column " + position + " has no name; " + std::string(kExpected),
                       field));
      continue;
    }
    const std::optional<Column> column = ColumnNamed(name);
    if (!column) {
      report(FileError("unknown column " + Quoted(name) + " (header column " + position + "); " +
                           std::string(kExpected),
                       field));
      continue;
    }
    std::size_t& seen = seen_at[static_cast<std::size_t>(*column)];
    if (seen != 0) {
      report(FileError("column \"" + std::string(NameOf(*column)) + "\" appears twice (header " +
                           "columns " + std::to_string(seen) + " and " + position + ")",
                       field));
      continue;
    }
    seen = i + 1;
    layout.push_back(*column);
  }
  for (Column required : {Column::kSerialNumber, Column::kHardwareHash}) {
    if (seen_at[static_cast<std::size_t>(required)] == 0) {
      report(
          FileError("missing required column \"" + std::string(NameOf(required)) + "\"", "header"));
    }
  }
  if (unreported > 0) {
    errors.push_back(
        FileError("and " + std::to_string(unreported) + " more header problems", "header"));
  }
  if (!errors.empty()) {
    file.file_errors.insert(file.file_errors.end(), std::make_move_iterator(errors.begin()),
                            std::make_move_iterator(errors.end()));
    return {};
  }
  for (Column column : layout) file.columns.emplace_back(NameOf(column));
  return layout;
}

std::string* FieldFor(RegistrationRow& row, Column column) {
  switch (column) {
    case Column::kSerialNumber:
      return &row.serial_number;
    case Column::kProductId:
      return &row.product_id;
    case Column::kHardwareHash:
      return &row.hardware_hash_text;
    case Column::kGroupTag:
      return &row.group_tag;
    case Column::kAssignedUser:
      return &row.assigned_user_principal_name;
  }
  return &row.product_id;  // unreachable: every Column is handled above
}

std::optional<RowFailure> CheckHardwareHash(RegistrationRow& row) {
  const std::string_view column = kHardwareHashColumn;
  if (row.hardware_hash_text.empty()) {
    return Failure(ImportError::kInvalidZtdHardwareHash, "Hardware Hash is empty", column);
  }
  auto bytes = base64::Decode(row.hardware_hash_text);
  if (!bytes) {
    return Failure(ImportError::kInvalidZtdHardwareHash,
                   "Hardware Hash is " + bytes.error().message, column);
  }
  row.hardware_hash = std::move(*bytes);
  if (!IsGroundcrewHardwareHash(row.hardware_hash)) return std::nullopt;  // foreign: opaque
  auto fields = DecodeHardwareHash(row.hardware_hash);
  if (!fields) {
    return Failure(ImportError::kInvalidZtdHardwareHash,
                   "Hardware Hash is an invalid groundcrew " + fields.error().message, column);
  }
  row.groundcrew_hash = std::move(*fields);
  return std::nullopt;
}

std::size_t CodePoints(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

// A refused row is echoed back (over the API, as JSON): its text fields become valid UTF-8,
// each byte that is not becoming U+FFFD (the failure names the column and the byte).
void EchoableText(RegistrationRow& row) {
  for (std::string* field : {&row.serial_number, &row.product_id, &row.hardware_hash_text,
                             &row.group_tag, &row.assigned_user_principal_name}) {
    if (!text::IsValidUtf8(*field)) *field = text::ToValidUtf8(*field);
  }
}

std::optional<RowFailure> CheckRow(RegistrationRow& row) {
  // Decode the hash first so that refused rows still carry its bytes.
  std::optional<RowFailure> hash_failure = CheckHardwareHash(row);
  if (row.serial_number.empty()) {
    return Failure(ImportError::kInvalidSerialNumber, "Device Serial Number is empty",
                   kSerialNumberColumn);
  }
  if (auto problem = FindTextProblem(row.serial_number)) {
    return Failure(ImportError::kInvalidSerialNumber,
                   "Device Serial Number is not clean text: " + problem->reason,
                   kSerialNumberColumn);
  }
  if (hash_failure) return hash_failure;
  if (row.groundcrew_hash &&
      !text::EqualsIgnoreCase(row.groundcrew_hash->serial_number, row.serial_number)) {
    return Failure(ImportError::kInvalidZtdHardwareHash,
                   "Hardware Hash belongs to serial number " +
                       Quoted(row.groundcrew_hash->serial_number) + ", not to " +
                       Quoted(row.serial_number) + " in Device Serial Number",
                   kHardwareHashColumn);
  }
  for (const auto& [value, column] :
       {std::pair{&row.product_id, kProductIdColumn}, std::pair{&row.group_tag, kGroupTagColumn}}) {
    if (auto problem = FindTextProblem(*value)) {
      return Failure(ImportError::kInvalidCellValue,
                     std::string(column) + " is not clean text: " + problem->reason, column);
    }
  }
  for (const auto& [value, column, max] :
       {std::tuple{&row.serial_number, kSerialNumberColumn, kMaxSerialNumberLength},
        std::tuple{&row.product_id, kProductIdColumn, kMaxProductIdLength},
        std::tuple{&row.group_tag, kGroupTagColumn, kMaxGroupTagLength},
        std::tuple{&row.assigned_user_principal_name, kAssignedUserColumn,
                   kMaxAssignedUserLength}}) {
    const std::size_t length = CodePoints(*value);
    if (length > max) {
      return Failure(column == kSerialNumberColumn ? ImportError::kInvalidSerialNumber
                     : column == kAssignedUserColumn
                         ? ImportError::kInvalidAssignedUserPrincipalName
                         : ImportError::kInvalidCellValue,
                     std::string(column) + " must be at most " + std::to_string(max) +
                         " characters, found " + std::to_string(length),
                     column);
    }
  }
  const std::string& user = row.assigned_user_principal_name;
  if (!user.empty() && !IsPlausibleUserPrincipalName(user)) {
    return Failure(ImportError::kInvalidAssignedUserPrincipalName,
                   "Assigned User " + Quoted(user) +
                       " is not a user principal name (name@domain, without spaces)",
                   kAssignedUserColumn);
  }
  return std::nullopt;
}

RegistrationRowResult ReadRow(Record& record, const std::vector<Column>& layout) {
  RegistrationRowResult result;
  result.line = record.line;
  const std::size_t shared = std::min(record.cells.size(), layout.size());
  for (std::size_t i = 0; i < shared; ++i) {
    *FieldFor(result.row, layout[i]) = std::move(record.cells[i]);
  }
  if (record.problem) {
    const std::string where = record.problem_cell < layout.size()
                                  ? std::string(NameOf(layout[record.problem_cell]))
                                  : "cell " + std::to_string(record.problem_cell + 1);
    result.failure =
        Failure(ImportError::kInvalidCsvRow,
                "line " + std::to_string(record.line) + ": " + where + " " + *record.problem,
                record.problem_cell < layout.size() ? where : std::string_view{});
  } else if (record.cells.size() != layout.size()) {
    result.failure = Failure(
        ImportError::kInvalidCsvRow,
        "line " + std::to_string(record.line) + " has " + std::to_string(record.cells.size()) +
            " cells but the header has " + std::to_string(layout.size()) + " columns");
  }
  if (result.failure) {
    (void)CheckHardwareHash(result.row);  // for the bytes only: the row is refused already
  } else {
    result.failure = CheckRow(result.row);
  }
  if (result.failure) EchoableText(result.row);
  return result;
}

// Refuses, among rows that passed, those whose hash or serial number an earlier one has.
void MarkDuplicates(std::vector<RegistrationRowResult>& rows) {
  std::unordered_map<std::string_view, std::size_t> line_by_hash;
  std::unordered_map<std::string, std::size_t> line_by_serial;
  line_by_hash.reserve(rows.size());
  line_by_serial.reserve(rows.size());
  for (RegistrationRowResult& result : rows) {
    if (!result.ok()) continue;
    const RegistrationRow& row = result.row;
    if (auto it = line_by_hash.find(row.hardware_hash); it != line_by_hash.end()) {
      result.failure = Failure(ImportError::kZtdDeviceDuplicated,
                               "Hardware Hash is the same as on line " + std::to_string(it->second),
                               kHardwareHashColumn);
      continue;
    }
    std::string serial_key = text::ToLowerAscii(row.serial_number);
    if (auto it = line_by_serial.find(serial_key); it != line_by_serial.end()) {
      result.failure =
          Failure(ImportError::kZtdDeviceDuplicated,
                  "Device Serial Number " + Quoted(row.serial_number) + " is the same as on line " +
                      std::to_string(it->second) + " (serial numbers compare case-insensitively)",
                  kSerialNumberColumn);
      continue;
    }
    // `rows` no longer grows, so views of its strings stay valid.
    line_by_hash.emplace(row.hardware_hash, result.line);
    line_by_serial.emplace(std::move(serial_key), result.line);
  }
}

void AppendCell(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string_view ImportErrorName(ImportError error) {
  switch (error) {
    case ImportError::kInvalidZtdHardwareHash:
      return "InvalidZtdHardwareHash";
    case ImportError::kZtdDeviceDuplicated:
      return "ZtdDeviceDuplicated";
    case ImportError::kZtdDeviceAlreadyAssigned:
      return "ZtdDeviceAlreadyAssigned";
    case ImportError::kZtdDeviceAssignedToAnotherTenant:
      return "ZtdDeviceAssignedToAnotherTenant";
    case ImportError::kInvalidCsvRow:
      return "InvalidCsvRow";
    case ImportError::kInvalidSerialNumber:
      return "InvalidSerialNumber";
    case ImportError::kInvalidCellValue:
      return "InvalidCellValue";
    case ImportError::kInvalidAssignedUserPrincipalName:
      return "InvalidAssignedUserPrincipalName";
  }
  return "InvalidCsvRow";
}

RegistrationFile ReadRegistrationCsv(std::string_view file_bytes) {
  RegistrationFile file;
  const Utf8Text utf8 = ToUtf8(file_bytes);
  if (utf8.error) file.file_errors.push_back(*utf8.error);
  CsvReader reader(utf8.text());
  Record record;
  bool has_header = false;
  while (reader.Next(record)) {
    if (!record.IsBlank()) {
      has_header = true;
      break;
    }
  }
  if (!has_header) {
    file.file_errors.push_back(
        FileError("the file has no header line; expected \"Device Serial Number,Windows Product ID,"
                  "Hardware Hash,Group Tag,Assigned User\"",
                  "header"));
    return file;
  }
  const std::vector<Column> layout = ReadHeader(record, file);
  if (layout.empty()) return file;
  while (reader.Next(record)) {
    if (record.IsBlank()) continue;
    file.rows.push_back(ReadRow(record, layout));
  }
  MarkDuplicates(file.rows);
  return file;
}

bool IsPlausibleUserPrincipalName(std::string_view upn) {
  const std::size_t at = upn.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == upn.size()) return false;
  if (upn.find('@', at + 1) != std::string_view::npos) return false;
  if (upn.find_first_of(" \t") != std::string_view::npos) return false;
  return !FindTextProblem(upn).has_value();
}

RegistrationFile CheckAgainstRegistry(RegistrationFile file, const RegistryLookup& lookup) {
  for (RegistrationRowResult& result : file.rows) {
    if (!result.ok()) continue;
    const RegistrationRow& row = result.row;
    const RegistrationOwner by_hash = lookup.by_hardware_hash
                                          ? lookup.by_hardware_hash(row.hardware_hash)
                                          : RegistrationOwner::kNone;
    const RegistrationOwner by_serial = lookup.by_serial_number
                                            ? lookup.by_serial_number(row.serial_number)
                                            : RegistrationOwner::kNone;
    for (RegistrationOwner owner :
         {RegistrationOwner::kAnotherTenant, RegistrationOwner::kThisTenant}) {
      if (by_hash != owner && by_serial != owner) continue;
      const bool hash = by_hash == owner;
      const std::string what =
          hash ? "Hardware Hash" : "Device Serial Number " + Quoted(row.serial_number);
      const bool elsewhere = owner == RegistrationOwner::kAnotherTenant;
      result.failure = Failure(
          elsewhere ? ImportError::kZtdDeviceAssignedToAnotherTenant
                    : ImportError::kZtdDeviceAlreadyAssigned,
          what + " is already registered in " + (elsewhere ? "another tenant" : "this tenant"),
          hash ? kHardwareHashColumn : kSerialNumberColumn);
      break;
    }
  }
  return file;
}

RegistrationFile CheckAssignedUserDomains(RegistrationFile file,
                                          std::span<const std::string> tenant_domains) {
  for (RegistrationRowResult& result : file.rows) {
    const std::string& user = result.row.assigned_user_principal_name;
    if (!result.ok() || user.empty()) continue;
    const std::string_view domain = std::string_view(user).substr(user.find('@') + 1);
    bool known = false;
    for (const std::string& tenant_domain : tenant_domains) {
      if (text::EqualsIgnoreCase(domain, tenant_domain)) {
        known = true;
        break;
      }
    }
    if (!known) {
      result.failure = Failure(ImportError::kInvalidAssignedUserPrincipalName,
                               "Assigned User " + Quoted(user) + " is in domain " + Quoted(domain) +
                                   ", which is not a domain of this tenant",
                               kAssignedUserColumn);
    }
  }
  return file;
}

std::string WriteRegistrationCsv(std::span<const RegistrationRow> rows) {
  std::string out =
      "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n";
  for (const RegistrationRow& row : rows) {
    AppendCell(out, row.serial_number);
    out += ',';
    AppendCell(out, row.product_id);
    out += ',';
    out += base64::Encode(row.hardware_hash);
    out += ',';
    AppendCell(out, row.group_tag);
    out += ',';
    AppendCell(out, row.assigned_user_principal_name);
    out += "\r\n";
  }
  return out;
}

}  // namespace groundcrew::core
