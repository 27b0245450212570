#include "core/registration/registration_csv.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/base64.hpp"
#include "common/text.hpp"
#include "core/registration/text_encoding.hpp"

namespace groundcrew::core {
namespace {

constexpr std::string_view kHeader =
    "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

// A foreign (Windows-style) hash in padded base64, distinct per `n`.
std::string ForeignHash(int n) { return base64::Encode("4k-hash-" + std::to_string(n)); }

DevicePublicKey Key(std::uint8_t seed) {
  DevicePublicKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(seed + i);
  return key;
}

std::string GroundcrewHash(const std::string& serial, std::uint8_t seed = 7) {
  return base64::Encode(EncodeHardwareHash({serial, "Contoso", "Laptop 7", Key(seed)}));
}

std::string Lines(const std::vector<std::string>& lines, std::string_view eol = "\r\n") {
  std::string out;
  for (const std::string& line : lines) {
    out += line;
    out += eol;
  }
  return out;
}

std::string Csv(const std::vector<std::string>& rows, std::string_view eol = "\r\n") {
  std::vector<std::string> lines = {std::string(kHeader)};
  lines.insert(lines.end(), rows.begin(), rows.end());
  return Lines(lines, eol);
}

// UTF-16 test input, built here independently of the reader: decodes (valid) UTF-8 and writes
// code units, with surrogate pairs above U+FFFF.
std::vector<std::uint16_t> ToUnits(std::string_view utf8) {
  std::vector<std::uint16_t> units;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto b0 = static_cast<unsigned char>(utf8[i]);
    std::uint32_t cp = 0;
    std::size_t length = 1;
    if (b0 < 0x80) {
      cp = b0;
    } else if (b0 < 0xE0) {
      cp = b0 & 0x1F;
      length = 2;
    } else if (b0 < 0xF0) {
      cp = b0 & 0x0F;
      length = 3;
    } else {
      cp = b0 & 0x07;
      length = 4;
    }
    for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (utf8[i + k] & 0x3F);
    i += length;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push_back(static_cast<std::uint16_t>(0xD800 + (cp >> 10)));
      units.push_back(static_cast<std::uint16_t>(0xDC00 + (cp & 0x3FF)));
    } else {
      units.push_back(static_cast<std::uint16_t>(cp));
    }
  }
  return units;
}

std::string UnitsToBytes(const std::vector<std::uint16_t>& units, bool little_endian) {
  std::string bytes;
  for (std::uint16_t unit : units) {
    const char low = static_cast<char>(unit & 0xFF);
    const char high = static_cast<char>(unit >> 8);
    bytes += little_endian ? low : high;
    bytes += little_endian ? high : low;
  }
  return bytes;
}

std::string Utf16Le(std::string_view utf8, bool bom = true) {
  return (bom ? std::string("\xFF\xFE") : std::string()) + UnitsToBytes(ToUnits(utf8), true);
}

std::string Utf16Be(std::string_view utf8) {
  return std::string("\xFE\xFF") + UnitsToBytes(ToUnits(utf8), false);
}

bool IsCleanMessage(const std::string& message) {
  return !registration_internal::FindTextProblem(message).has_value();
}

void ExpectOk(const RegistrationRowResult& result) {
  EXPECT_TRUE(result.ok()) << "line " << result.line << ": "
                           << (result.failure ? result.failure->message : "");
}

void ExpectFailure(const RegistrationRowResult& result, ImportError error, std::string_view column,
                   std::string_view message_part) {
  ASSERT_FALSE(result.ok()) << "line " << result.line << " was accepted";
  EXPECT_EQ(ImportErrorName(result.failure->error), ImportErrorName(error))
      << result.failure->message;
  EXPECT_EQ(result.failure->column, column) << result.failure->message;
  EXPECT_NE(result.failure->message.find(message_part), std::string::npos)
      << "\"" << result.failure->message << "\" lacks \"" << message_part << "\"";
}

std::vector<std::string> Messages(const std::vector<Error>& errors) {
  std::vector<std::string> out;
  for (const Error& error : errors) out.push_back(error.message);
  return out;
}

TEST(RegistrationCsvTest, ReadsMicrosoftsFiveColumnFormat) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-001,00330-80000-00000-AA123," + ForeignHash(1) + ",Sales,alice@contoso.com",
      "SN-002,," + ForeignHash(2) + ",,",
  }));
  ASSERT_TRUE(file.ok()) << ::testing::PrintToString(Messages(file.file_errors));
  EXPECT_EQ(file.columns,
            (std::vector<std::string>{"Device Serial Number", "Windows Product ID", "Hardware Hash",
                                      "Group Tag", "Assigned User"}));
  ASSERT_EQ(file.rows.size(), 2u);
  const RegistrationRowResult& first = file.rows[0];
  ExpectOk(first);
  EXPECT_EQ(first.line, 2u);
  EXPECT_EQ(first.row.serial_number, "SN-001");
  EXPECT_EQ(first.row.product_id, "00330-80000-00000-AA123");
  EXPECT_EQ(first.row.hardware_hash, "4k-hash-1");
  EXPECT_EQ(first.row.hardware_hash_text, ForeignHash(1));
  EXPECT_EQ(first.row.group_tag, "Sales");
  EXPECT_EQ(first.row.assigned_user_principal_name, "alice@contoso.com");
  EXPECT_FALSE(first.row.groundcrew_hash.has_value());
  ExpectOk(file.rows[1]);
  EXPECT_EQ(file.rows[1].line, 3u);
  EXPECT_EQ(file.rows[1].row.group_tag, "");
}

TEST(RegistrationCsvTest, EveryEncodingAndLineEndingReadsTheSame) {
  const std::vector<std::string> rows = {
      "SN-001,PK-1," + ForeignHash(1) + ",Sales,alice@contoso.com",
      "S\xC3\xA9rie-\xE2\x82\xAC-\xF0\x9F\x98\x80,," + ForeignHash(2) + ",,",  // é € 😀
  };
  struct Encoding {
    const char* name;
    std::function<std::string(std::string_view)> encode;
  };
  const Encoding encodings[] = {
      {"UTF-8", [](std::string_view s) { return std::string(s); }},
      {"UTF-8 BOM", [](std::string_view s) { return "\xEF\xBB\xBF" + std::string(s); }},
      {"UTF-16LE BOM", [](std::string_view s) { return Utf16Le(s); }},
      {"UTF-16LE no BOM", [](std::string_view s) { return Utf16Le(s, false); }},
      {"UTF-16BE BOM", [](std::string_view s) { return Utf16Be(s); }},
  };
  for (const Encoding& encoding : encodings) {
    for (std::string_view eol : {"\r\n", "\n", "\r"}) {
      SCOPED_TRACE(std::string(encoding.name) + (eol == "\r\n" ? " CRLF"
                                                 : eol == "\n" ? " LF"
                                                               : " CR"));
      const RegistrationFile file = ReadRegistrationCsv(encoding.encode(Csv(rows, eol)));
      ASSERT_TRUE(file.ok()) << ::testing::PrintToString(Messages(file.file_errors));
      ASSERT_EQ(file.rows.size(), 2u);
      ExpectOk(file.rows[0]);
      ExpectOk(file.rows[1]);
      EXPECT_EQ(file.rows[0].line, 2u);
      EXPECT_EQ(file.rows[1].line, 3u);
      EXPECT_EQ(file.rows[0].row.assigned_user_principal_name, "alice@contoso.com");
      EXPECT_EQ(file.rows[1].row.serial_number, "S\xC3\xA9rie-\xE2\x82\xAC-\xF0\x9F\x98\x80");
    }
  }
}

TEST(RegistrationCsvTest, FileWithoutFinalLineBreakReadsTheLastRow) {
  const RegistrationFile file =
      ReadRegistrationCsv(std::string(kHeader) + "\r\nSN-1,," + ForeignHash(1) + ",,");
  ASSERT_EQ(file.rows.size(), 1u);
  ExpectOk(file.rows[0]);
}

TEST(RegistrationCsvTest, LoneUtf16SurrogateFailsOnlyTheRowHoldingIt) {
  std::vector<std::uint16_t> units = ToUnits(Csv({"SN-1,," + ForeignHash(1) + ",,"}));
  // Row 2: a serial "SN-2" followed by a lone high surrogate.
  for (std::uint16_t unit : ToUnits("SN-2")) units.push_back(unit);
  units.push_back(0xD83D);
  for (std::uint16_t unit : ToUnits(",," + ForeignHash(2) + ",,\r\n")) units.push_back(unit);
  // Row 3: a lone low surrogate in the group tag.
  for (std::uint16_t unit : ToUnits("SN-3,," + ForeignHash(3) + ",Sa")) units.push_back(unit);
  units.push_back(0xDE00);
  for (std::uint16_t unit : ToUnits("les,\r\n")) units.push_back(unit);
  // Row 4: a valid pair, then a high surrogate cut off by the end of the file.
  for (std::uint16_t unit : ToUnits("SN-4\xF0\x9F\x98\x80,," + ForeignHash(4) + ",,")) {
    units.push_back(unit);
  }
  units.push_back(0xD83D);

  const RegistrationFile file = ReadRegistrationCsv("\xFF\xFE" + UnitsToBytes(units, true));
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), 4u);
  ExpectOk(file.rows[0]);
  ExpectFailure(file.rows[1], ImportError::kInvalidSerialNumber, kSerialNumberColumn,
                "lone UTF-16 surrogate");
  ExpectFailure(file.rows[2], ImportError::kInvalidCellValue, kGroupTagColumn,
                "Group Tag is not clean text: a lone UTF-16 surrogate");
  // The last cell holds the lone surrogate: it is the Assigned User, refused as not a UPN.
  ExpectFailure(file.rows[3], ImportError::kInvalidAssignedUserPrincipalName, kAssignedUserColumn,
                "Assigned User \"\\xED\\xA0\\xBD\"");
}

TEST(RegistrationCsvTest, OddLengthUtf16IsAFileErrorButRowsAreStillReported) {
  const RegistrationFile file =
      ReadRegistrationCsv(Utf16Le(Csv({"SN-1,," + ForeignHash(1) + ",,"})) + "x");
  ASSERT_EQ(file.file_errors.size(), 1u);
  EXPECT_EQ(file.file_errors[0].field, "file");
  EXPECT_NE(file.file_errors[0].message.find("odd number of bytes"), std::string::npos);
  ASSERT_EQ(file.rows.size(), 1u);
  ExpectOk(file.rows[0]);
}

TEST(RegistrationCsvTest, ReadsRfc4180Quoting) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "\"SN, with comma\",\"PK \"\"quoted\"\"\",\"" + ForeignHash(1) +
          "\",\"Tag\r\non two lines\",",
      "  \"SN-2\"  ,\"\"," + ForeignHash(2) + ",\"\",\"bob@contoso.com\"",
      "SN-3,,\"" + ForeignHash(3) + "\",Lab\"s,",
  }));
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), 3u);
  ExpectFailure(file.rows[0], ImportError::kInvalidCellValue, kGroupTagColumn,
                "control character \\x0D");
  EXPECT_EQ(file.rows[0].row.serial_number, "SN, with comma");
  EXPECT_EQ(file.rows[0].row.product_id, "PK \"quoted\"");
  EXPECT_EQ(file.rows[0].row.group_tag, "Tag\r\non two lines");
  EXPECT_EQ(file.rows[0].line, 2u);
  ExpectOk(file.rows[1]);
  EXPECT_EQ(file.rows[1].line, 4u);  // the quoted line break moved it down a line
  EXPECT_EQ(file.rows[1].row.serial_number, "SN-2");
  EXPECT_EQ(file.rows[1].row.assigned_user_principal_name, "bob@contoso.com");
  ExpectOk(file.rows[2]);
  EXPECT_EQ(file.rows[2].line, 5u);
  EXPECT_EQ(file.rows[2].row.group_tag, "Lab\"s");  // a quote inside an unquoted cell is text
}

TEST(RegistrationCsvTest, ReadsPowerShellExportCsvWithEveryCellQuoted) {
  const RegistrationFile file = ReadRegistrationCsv(Utf16Le(Lines({
      "\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\"",
      "\"SN-1\",\"\",\"" + ForeignHash(1) + "\"",
  })));
  ASSERT_TRUE(file.ok()) << ::testing::PrintToString(Messages(file.file_errors));
  ASSERT_EQ(file.rows.size(), 1u);
  ExpectOk(file.rows[0]);
  EXPECT_EQ(file.rows[0].row.hardware_hash, "4k-hash-1");
}

TEST(RegistrationCsvTest, RefusesBrokenQuoting) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,,\"" + ForeignHash(1) + "\"junk,,", "SN-2,," + ForeignHash(2) + ",,",
      "SN-3,,\"" + ForeignHash(3) + ",,",
      "SN-4,," + ForeignHash(4) + ",,",  // swallowed by the unclosed quote above
  }));
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), 3u);
  ExpectFailure(file.rows[0], ImportError::kInvalidCsvRow, kHardwareHashColumn,
                "line 2: Hardware Hash has text after the closing quote");
  EXPECT_EQ(file.rows[0].row.hardware_hash, "4k-hash-1");
  ExpectOk(file.rows[1]);
  ExpectFailure(file.rows[2], ImportError::kInvalidCsvRow, kHardwareHashColumn,
                "line 4: Hardware Hash has a quoted value that is never closed");
}

TEST(RegistrationCsvTest, AcceptsColumnVariantsByName) {
  struct Case {
    const char* name;
    std::string header;
    std::string row;
    std::vector<std::string> columns;
    std::string group_tag, user, product_id;
  };
  const std::string hash = ForeignHash(1);
  const Case cases[] = {
      {"Get-WindowsAutopilotInfo 3 columns",
       "Device Serial Number,Windows Product ID,Hardware Hash",
       "SN-1,PK," + hash,
       {"Device Serial Number", "Windows Product ID", "Hardware Hash"},
       "",
       "",
       "PK"},
      {"4 columns with Group Tag",
       "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag",
       "SN-1,PK," + hash + ",T",
       {"Device Serial Number", "Windows Product ID", "Hardware Hash", "Group Tag"},
       "T",
       "",
       "PK"},
      {"4 columns with Assigned User after the hash (T7)",
       "Device Serial Number,Windows Product ID,Hardware Hash,Assigned User",
       "SN-1,PK," + hash + ",a@b.com",
       {"Device Serial Number", "Windows Product ID", "Hardware Hash", "Assigned User"},
       "",
       "a@b.com",
       "PK"},
      {"reordered, case-changed, padded",
       "  assigned USER ,HARDWARE hash,\tgroup tag, device serial number ,windows product id",
       "a@b.com," + hash + ",T,SN-1,PK",
       {"Assigned User", "Hardware Hash", "Group Tag", "Device Serial Number",
        "Windows Product ID"},
       "T",
       "a@b.com",
       "PK"},
      {"only the required columns",
       "Hardware Hash,Device Serial Number",
       hash + ",SN-1",
       {"Hardware Hash", "Device Serial Number"},
       "",
       "",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const RegistrationFile file = ReadRegistrationCsv(Lines({c.header, c.row}));
    ASSERT_TRUE(file.ok()) << ::testing::PrintToString(Messages(file.file_errors));
    EXPECT_EQ(file.columns, c.columns);
    ASSERT_EQ(file.rows.size(), 1u);
    ExpectOk(file.rows[0]);
    EXPECT_EQ(file.rows[0].row.serial_number, "SN-1");
    EXPECT_EQ(file.rows[0].row.hardware_hash, "4k-hash-1");
    EXPECT_EQ(file.rows[0].row.group_tag, c.group_tag);
    EXPECT_EQ(file.rows[0].row.assigned_user_principal_name, c.user);
    EXPECT_EQ(file.rows[0].row.product_id, c.product_id);
  }
}

TEST(RegistrationCsvTest, HeaderProblemsAreFileErrorsNamingTheColumn) {
  struct Case {
    const char* name;
    std::string file;
    std::vector<std::string> message_parts;
    std::string first_field;
    bool with_row = true;  // append a data row after `file`
  };
  const Case cases[] = {
      {"empty file", "", {"no header line"}, "header", false},
      {"BOM only", "\xEF\xBB\xBF", {"no header line"}, "header", false},
      {"blank lines only", "\r\n  \r\n,,,\r\n", {"no header line"}, "header", false},
      {"UTF-16 BOM only", "\xFF\xFE", {"no header line"}, "header", false},
      {"unknown column",
       "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Notes\r\n",
       {"unknown column \"Notes\" (header column 6)"},
       "header, column 6"},
      {"missing hash",
       "Device Serial Number,Windows Product ID\r\n",
       {"missing required column \"Hardware Hash\""},
       "header"},
      {"missing serial",
       "Windows Product ID,Hardware Hash\r\n",
       {"missing required column \"Device Serial Number\""},
       "header"},
      {"repeated column",
       "Device Serial Number,Hardware Hash,device serial number\r\n",
       {"column \"Device Serial Number\" appears twice (header columns 1 and 3)"},
       "header, column 3"},
      {"unnamed column",
       "Device Serial Number,Hardware Hash,\r\n",
       {"header column 3 has no name"},
       "header, column 3"},
      {"several problems at once",
       "Serial,Hash\r\n",
       {"unknown column \"Serial\"", "unknown column \"Hash\"",
        "missing required column \"Device Serial Number\"",
        "missing required column \"Hardware Hash\""},
       "header, column 1"},
      {"latin-1 header",
       "Device Serial Number,Hardware Hash,Num\xE9ro\r\n",
       {"unknown column \"Num\\xE9ro\""},
       "header, column 3"},
      {"unclosed quote in header",
       "Device Serial Number,Hardware Hash,\"Group Tag\r\n",
       {"header (line 1): column 3 has a quoted value that is never closed"},
       "header, column 3"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const RegistrationFile file =
        ReadRegistrationCsv(c.with_row ? c.file + "SN-1,," + ForeignHash(1) + ",," : c.file);
    ASSERT_FALSE(file.ok());
    EXPECT_TRUE(file.rows.empty());
    EXPECT_TRUE(file.columns.empty());
    ASSERT_EQ(file.file_errors.size(), c.message_parts.size())
        << ::testing::PrintToString(Messages(file.file_errors));
    EXPECT_EQ(file.file_errors[0].field, c.first_field);
    for (std::size_t i = 0; i < c.message_parts.size(); ++i) {
      EXPECT_EQ(file.file_errors[i].code, ErrorCode::kInvalidArgument);
      EXPECT_NE(file.file_errors[i].message.find(c.message_parts[i]), std::string::npos)
          << file.file_errors[i].message;
    }
  }
}

TEST(RegistrationCsvTest, ManyHeaderProblemsAreSummarised) {
  std::string header = "Device Serial Number,Hardware Hash";
  for (int i = 0; i < 1000; ++i) header += ",x" + std::to_string(i);
  const RegistrationFile file = ReadRegistrationCsv(header);
  ASSERT_EQ(file.file_errors.size(), 11u);
  EXPECT_EQ(file.file_errors.back().message, "and 990 more header problems");
}

TEST(RegistrationCsvTest, RowsWithTheWrongNumberOfCellsAreRefused) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,," + ForeignHash(1) + ",",
      "SN-2,," + ForeignHash(2) + ",,,",
      "SN-3",
      "SN-4,," + ForeignHash(4) + ",,",
  }));
  ASSERT_EQ(file.rows.size(), 4u);
  ExpectFailure(file.rows[0], ImportError::kInvalidCsvRow, "",
                "line 2 has 4 cells but the header has 5 columns");
  ExpectFailure(file.rows[1], ImportError::kInvalidCsvRow, "",
                "line 3 has 6 cells but the header has 5 columns");
  ExpectFailure(file.rows[2], ImportError::kInvalidCsvRow, "", "line 4 has 1 cells");
  ExpectOk(file.rows[3]);
}

TEST(RegistrationCsvTest, SkipsBlankLinesAnywhereAndKeepsLineNumbers) {
  const RegistrationFile file = ReadRegistrationCsv(Lines({
      "",
      "   ",
      std::string(kHeader),
      "",
      "SN-1,," + ForeignHash(1) + ",,",
      "\t",
      ",,,,",
      " , ,,,",
      "\"\",,,,",
      "SN-2,," + ForeignHash(2) + ",,",
      "",
      "",
  }));
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), 2u);
  EXPECT_EQ(file.rows[0].line, 5u);
  EXPECT_EQ(file.rows[1].line, 10u);
  ExpectOk(file.rows[0]);
  ExpectOk(file.rows[1]);
}

TEST(RegistrationCsvTest, TrimsCells) {
  const RegistrationFile file =
      ReadRegistrationCsv(Csv({"  SN-1 \t, PK , " + ForeignHash(1) + "  ,  Sales  ,  a@b.com  "}));
  ASSERT_EQ(file.rows.size(), 1u);
  ExpectOk(file.rows[0]);
  const RegistrationRow& row = file.rows[0].row;
  EXPECT_EQ(row.serial_number, "SN-1");
  EXPECT_EQ(row.product_id, "PK");
  EXPECT_EQ(row.hardware_hash_text, ForeignHash(1));
  EXPECT_EQ(row.group_tag, "Sales");
  EXPECT_EQ(row.assigned_user_principal_name, "a@b.com");
}

TEST(RegistrationCsvTest, ChecksSerialNumbers) {
  struct Case {
    std::string serial;
    bool ok;
    std::string message_part;
  };
  const Case cases[] = {
      {"SN-001", true, ""},
      {"S\xC3\xA9rie-\xC3\x84\x31", true, ""},             // Série-Ä1
      {"\xE5\xBA\x8F\xE5\x88\x97\xE5\x8F\xB7", true, ""},  // 序列号
      {"", false, "Device Serial Number is empty"},
      {"S\xE9rie", false, "Device Serial Number is not clean text: byte 2 is not UTF-8"},
      {std::string("SN\0X", 4), false, "control character \\x00"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.serial);
    const RegistrationFile file =
        ReadRegistrationCsv(Csv({c.serial + ",," + ForeignHash(++n) + ",,"}));
    ASSERT_EQ(file.rows.size(), 1u);
    if (c.ok) {
      ExpectOk(file.rows[0]);
      EXPECT_EQ(file.rows[0].row.serial_number, c.serial);
    } else {
      ExpectFailure(file.rows[0], ImportError::kInvalidSerialNumber, kSerialNumberColumn,
                    c.message_part);
      EXPECT_TRUE(IsCleanMessage(file.rows[0].failure->message));
    }
  }
}

TEST(RegistrationCsvTest, HardwareHashMustBePaddedBase64) {
  struct Case {
    std::string hash;
    bool ok;
    std::string decoded;
    std::string message_part;
  };
  const Case cases[] = {
      {"QUJD", true, "ABC", ""},
      {"QUI=", true, "AB", ""},
      {"QQ==", true, "A", ""},
      // Trailing 'A's are zero bits, not padding: "QUIA" is "AB\0", a different hash from "QUI=".
      {"QUIA", true, std::string("AB\0", 3), ""},
      {"QUFBAA==", true, std::string("AAA\0", 4), ""},
      {"", false, "", "Hardware Hash is empty"},
      {"QUI", false, "", "Hardware Hash is not padded base64: length 3 is not a multiple of 4"},
      {"QQ", false, "", "length 2 is not a multiple of 4 (pad with '=')"},
      {"QQ==QUI=", false, "", "'=' is only allowed at the end, at most twice"},
      {"Q===", false, "", "'=' is only allowed at the end"},
      {"QUJD!A==", false, "", "character outside the base64 alphabet"},
      {"QR==", false, "", "non-zero bits before the padding"},
      {"QU D", false, "", "character outside the base64 alphabet"},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hash);
    const RegistrationFile file =
        ReadRegistrationCsv(Csv({"SN-" + std::to_string(++n) + ",," + c.hash + ",,"}));
    ASSERT_EQ(file.rows.size(), 1u);
    if (c.ok) {
      ExpectOk(file.rows[0]);
      EXPECT_EQ(file.rows[0].row.hardware_hash, c.decoded);
      EXPECT_EQ(file.rows[0].row.hardware_hash_text, c.hash);
    } else {
      ExpectFailure(file.rows[0], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn,
                    c.message_part);
    }
  }
  // "QUI=" and "QUIA" decode to different bytes, so they are not duplicates of each other.
  const RegistrationFile both = ReadRegistrationCsv(Csv({"SN-1,,QUI=,,", "SN-2,,QUIA,,"}));
  ASSERT_EQ(both.rows.size(), 2u);
  ExpectOk(both.rows[0]);
  ExpectOk(both.rows[1]);
}

TEST(RegistrationCsvTest, DuplicatesAfterTheFirstAreRefusedNamingItsLine) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      ",," + ForeignHash(9) + ",,",      // line 2: refused (no serial): blocks nothing
      "SN-1,," + ForeignHash(1) + ",,",  // line 3
      "SN-2,," + ForeignHash(1) + ",,",  // same hash as line 3
      "sn-1,," + ForeignHash(2) + ",,",  // same serial as line 3, other case
      "SN-3,," + ForeignHash(9) + ",,",  // hash of the refused line 2: fine
      "SN-4,," + ForeignHash(1) + ",,",  // same hash as line 3 again
      "SN-5,,QUI=,,",
      "SN-6,,QUI=,,",
  }));
  ASSERT_EQ(file.rows.size(), 8u);
  ExpectFailure(file.rows[0], ImportError::kInvalidSerialNumber, kSerialNumberColumn, "empty");
  ExpectOk(file.rows[1]);
  ExpectFailure(file.rows[2], ImportError::kZtdDeviceDuplicated, kHardwareHashColumn,
                "Hardware Hash is the same as on line 3");
  ExpectFailure(file.rows[3], ImportError::kZtdDeviceDuplicated, kSerialNumberColumn,
                "Device Serial Number \"sn-1\" is the same as on line 3");
  ExpectOk(file.rows[4]);
  ExpectFailure(file.rows[5], ImportError::kZtdDeviceDuplicated, kHardwareHashColumn,
                "same as on line 3");
  ExpectOk(file.rows[6]);
  ExpectFailure(file.rows[7], ImportError::kZtdDeviceDuplicated, kHardwareHashColumn,
                "same as on line 8");
}

TEST(RegistrationCsvTest, GroundcrewHashesMustNameTheRowsSerial) {
  const std::string corrupt =
      base64::Encode(EncodeHardwareHash({"SN-4", "Contoso", "", Key(1)}) + "extra");
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,," + GroundcrewHash("SN-1", 1) + ",,",
      "sn-2,," + GroundcrewHash("SN-2", 2) + ",,",  // serials compare case-insensitively
      "SN-3,," + GroundcrewHash("SN-999", 3) + ",,",
      "SN-4,," + corrupt + ",,",
      "SN-5,," + base64::Encode("GCHH") + ",,",
      "SN-6,," + base64::Encode(EncodeHardwareHash({"SN-6", "", "", Key(6)})) + ",,",
  }));
  ASSERT_EQ(file.rows.size(), 6u);
  ExpectOk(file.rows[0]);
  ASSERT_TRUE(file.rows[0].row.groundcrew_hash.has_value());
  EXPECT_EQ(*file.rows[0].row.groundcrew_hash,
            (HardwareHashFields{"SN-1", "Contoso", "Laptop 7", Key(1)}));
  ExpectOk(file.rows[1]);
  ExpectFailure(file.rows[2], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn,
                "Hardware Hash belongs to serial number \"SN-999\", not to \"SN-3\"");
  ExpectFailure(file.rows[3], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn,
                "unexpected bytes after the public key");
  ExpectFailure(file.rows[4], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn,
                "before the version byte");
  ExpectFailure(file.rows[5], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn,
                "manufacturer is empty");
}

TEST(RegistrationCsvTest, ProductIdAndGroupTagMustBeCleanText) {
  const RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,PK\x01," + ForeignHash(1) + ",,",
      "SN-2,," + ForeignHash(2) + ",Caf\xE9,",
      "SN-3,," + ForeignHash(3) + ",Caf\xC3\xA9,",
  }));
  ASSERT_EQ(file.rows.size(), 3u);
  ExpectFailure(file.rows[0], ImportError::kInvalidCellValue, kProductIdColumn,
                "Windows Product ID is not clean text: control character \\x01");
  ExpectFailure(file.rows[1], ImportError::kInvalidCellValue, kGroupTagColumn,
                "Group Tag is not clean text: byte 4 is not UTF-8");
  ExpectOk(file.rows[2]);
}

TEST(RegistrationCsvTest, AssignedUserMustLookLikeAUpn) {
  struct Case {
    std::string upn;
    bool ok;
  };
  const Case cases[] = {
      {"alice@contoso.com", true},      {"a.b+c@sub.contoso.com", true},
      {"j\xC3\xB6rg@contoso.de", true}, {"alice", false},
      {"@contoso.com", false},          {"alice@", false},
      {"a@b@contoso.com", false},       {"alice smith@contoso.com", false},
      {"alice@contoso.com\x01", false}, {"al\xE9@contoso.com", false},
  };
  int n = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.upn);
    EXPECT_EQ(IsPlausibleUserPrincipalName(c.upn), c.ok);
    ++n;
    const RegistrationFile file = ReadRegistrationCsv(
        Csv({"SN-" + std::to_string(n) + ",," + ForeignHash(n) + ",,\"" + c.upn + "\""}));
    ASSERT_EQ(file.rows.size(), 1u);
    if (c.ok) {
      ExpectOk(file.rows[0]);
    } else {
      ExpectFailure(file.rows[0], ImportError::kInvalidAssignedUserPrincipalName,
                    kAssignedUserColumn, "is not a user principal name (name@domain");
    }
  }
}

TEST(RegistrationCsvTest, FirstFailureWins) {
  // Empty serial, bad hash, bad group tag and bad user: the serial is reported.
  const RegistrationFile file = ReadRegistrationCsv(Csv({",,QQ,Caf\xE9,nobody"}));
  ASSERT_EQ(file.rows.size(), 1u);
  ExpectFailure(file.rows[0], ImportError::kInvalidSerialNumber, kSerialNumberColumn, "empty");
}

TEST(RegistrationCsvTest, AcceptsFarMoreThanMicrosoftsFiveHundredRows) {
  for (int count : {500, 501, 2000}) {
    std::vector<std::string> rows;
    for (int i = 0; i < count; ++i) {
      rows.push_back("SN-" + std::to_string(i) + ",," + ForeignHash(i) + ",,");
    }
    const RegistrationFile file = ReadRegistrationCsv(Csv(rows));
    ASSERT_TRUE(file.ok());
    ASSERT_EQ(file.rows.size(), static_cast<std::size_t>(count));
    for (const RegistrationRowResult& result : file.rows) ASSERT_TRUE(result.ok());
    EXPECT_EQ(file.rows.back().line, static_cast<std::size_t>(count + 1));
  }
}

TEST(RegistrationCsvTest, ReadsOneHundredThousandRowsWithGroundcrewHashes) {
  constexpr int kRows = 100'000;
  std::vector<RegistrationRow> rows(kRows);
  for (int i = 0; i < kRows; ++i) {
    RegistrationRow& row = rows[i];
    row.serial_number = "SN-" + std::to_string(i);
    row.product_id = "00330-80000-00000-AA" + std::to_string(i % 1000);
    row.hardware_hash = EncodeHardwareHash(
        {row.serial_number, "Contoso", "Laptop 7", Key(static_cast<std::uint8_t>(i))});
    row.group_tag = (i % 2 == 0) ? "Sales" : "";
    row.assigned_user_principal_name =
        (i % 3 == 0) ? "user" + std::to_string(i) + "@contoso.com" : "";
  }
  const std::string csv = WriteRegistrationCsv(rows);
  const RegistrationFile file = ReadRegistrationCsv(csv);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), static_cast<std::size_t>(kRows));
  std::size_t accepted = 0;
  for (const RegistrationRowResult& result : file.rows) accepted += result.ok() ? 1 : 0;
  EXPECT_EQ(accepted, static_cast<std::size_t>(kRows));
  EXPECT_EQ(file.rows.back().row.serial_number, "SN-99999");
}

TEST(RegistrationCsvTest, WritesMicrosoftsExactFormat) {
  std::vector<RegistrationRow> rows(2);
  rows[0].serial_number = "SN-1";
  rows[0].product_id = "PK-1";
  rows[0].hardware_hash = "ABC";
  rows[0].hardware_hash_text = "ignored";
  rows[0].group_tag = "Sales";
  rows[0].assigned_user_principal_name = "alice@contoso.com";
  rows[1].serial_number = "SN, \"2\"";
  rows[1].hardware_hash = "AB";
  rows[1].group_tag = "two\nlines";
  EXPECT_EQ(WriteRegistrationCsv(rows),
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n"
            "SN-1,PK-1,QUJD,Sales,alice@contoso.com\r\n"
            "\"SN, \"\"2\"\"\",,QUI=,\"two\nlines\",\r\n");
  EXPECT_EQ(WriteRegistrationCsv({}),
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n");
}

TEST(RegistrationCsvTest, ReadGivesBackWhatWasWritten) {
  std::vector<RegistrationRow> rows(3);
  rows[0] = {"SN-1", "PK", "4k", "", "Sales", "alice@contoso.com", std::nullopt};
  rows[1] = {"SN, 2", "", "", "", "Lab \"B\"", "", std::nullopt};
  rows[1].hardware_hash = EncodeHardwareHash({"SN, 2", "Contoso", "", Key(2)});
  rows[2] = {"S\xC3\xA9rie-3", "", std::string("\0\xFF", 2), "", "", "", std::nullopt};
  const RegistrationFile file = ReadRegistrationCsv(WriteRegistrationCsv(rows));
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file.rows.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ExpectOk(file.rows[i]);
    RegistrationRow expected = rows[i];
    expected.hardware_hash_text = base64::Encode(expected.hardware_hash);
    if (i == 1) expected.groundcrew_hash = HardwareHashFields{"SN, 2", "Contoso", "", Key(2)};
    EXPECT_EQ(file.rows[i].row, expected);
    EXPECT_EQ(file.rows[i].line, i + 2);
  }
}

TEST(RegistrationCsvTest, CheckAgainstRegistryMarksKnownDevices) {
  RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,," + ForeignHash(1) + ",,",  // hash in this tenant
      "SN-2,," + ForeignHash(2) + ",,",  // serial in another tenant
      "SN-3,," + ForeignHash(3) + ",,",  // hash here, serial elsewhere: elsewhere wins
      "SN-4,," + ForeignHash(4) + ",,",  // unknown
      "SN-5,,QQ,,",                      // already refused: left alone
      "SN-6,," + ForeignHash(6) + ",,",  // serial in this tenant
  }));
  std::vector<std::string> asked;
  RegistryLookup lookup;
  lookup.by_hardware_hash = [&](std::string_view hash) {
    asked.emplace_back(hash);
    if (hash == "4k-hash-1" || hash == "4k-hash-3") return RegistrationOwner::kThisTenant;
    return RegistrationOwner::kNone;
  };
  lookup.by_serial_number = [](std::string_view serial) {
    if (serial == "SN-2" || serial == "SN-3") return RegistrationOwner::kAnotherTenant;
    if (serial == "SN-6") return RegistrationOwner::kThisTenant;
    return RegistrationOwner::kNone;
  };
  file = CheckAgainstRegistry(std::move(file), lookup);
  ASSERT_EQ(file.rows.size(), 6u);
  ExpectFailure(file.rows[0], ImportError::kZtdDeviceAlreadyAssigned, kHardwareHashColumn,
                "Hardware Hash is already registered in this tenant");
  ExpectFailure(file.rows[1], ImportError::kZtdDeviceAssignedToAnotherTenant, kSerialNumberColumn,
                "Device Serial Number \"SN-2\" is already registered in another tenant");
  ExpectFailure(file.rows[2], ImportError::kZtdDeviceAssignedToAnotherTenant, kSerialNumberColumn,
                "another tenant");
  ExpectOk(file.rows[3]);
  ExpectFailure(file.rows[4], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn, "");
  ExpectFailure(file.rows[5], ImportError::kZtdDeviceAlreadyAssigned, kSerialNumberColumn,
                "this tenant");
  EXPECT_EQ(asked.size(), 5u);  // the refused row is not looked up

  RegistrationFile untouched = CheckAgainstRegistry(
      ReadRegistrationCsv(Csv({"SN-1,," + ForeignHash(1) + ",,"})), RegistryLookup{});
  ExpectOk(untouched.rows.at(0));
}

TEST(RegistrationCsvTest, CheckAssignedUserDomainsRefusesForeignDomains) {
  const std::vector<std::string> domains = {"contoso.com", "Contoso.onmicrosoft.com"};
  RegistrationFile file = ReadRegistrationCsv(Csv({
      "SN-1,," + ForeignHash(1) + ",,alice@contoso.com",
      "SN-2,," + ForeignHash(2) + ",,bob@CONTOSO.ONMICROSOFT.COM",
      "SN-3,," + ForeignHash(3) + ",,eve@fabrikam.com",
      "SN-4,," + ForeignHash(4) + ",,carol@sub.contoso.com",
      "SN-5,," + ForeignHash(5) + ",,",
      "SN-6,,QQ,,eve@fabrikam.com",
  }));
  file = CheckAssignedUserDomains(std::move(file), domains);
  ASSERT_EQ(file.rows.size(), 6u);
  ExpectOk(file.rows[0]);
  ExpectOk(file.rows[1]);
  ExpectFailure(file.rows[2], ImportError::kInvalidAssignedUserPrincipalName, kAssignedUserColumn,
                "Assigned User \"eve@fabrikam.com\" is in domain \"fabrikam.com\", which is not "
                "a domain of this tenant");
  ExpectFailure(file.rows[3], ImportError::kInvalidAssignedUserPrincipalName, kAssignedUserColumn,
                "\"sub.contoso.com\"");
  ExpectOk(file.rows[4]);
  ExpectFailure(file.rows[5], ImportError::kInvalidZtdHardwareHash, kHardwareHashColumn, "");
}

TEST(RegistrationCsvTest, ErrorNamesAreMicrosoftsWhereMicrosoftHasThem) {
  const std::pair<ImportError, std::string_view> names[] = {
      {ImportError::kInvalidZtdHardwareHash, "InvalidZtdHardwareHash"},
      {ImportError::kZtdDeviceDuplicated, "ZtdDeviceDuplicated"},
      {ImportError::kZtdDeviceAlreadyAssigned, "ZtdDeviceAlreadyAssigned"},
      {ImportError::kZtdDeviceAssignedToAnotherTenant, "ZtdDeviceAssignedToAnotherTenant"},
      {ImportError::kInvalidCsvRow, "InvalidCsvRow"},
      {ImportError::kInvalidSerialNumber, "InvalidSerialNumber"},
      {ImportError::kInvalidCellValue, "InvalidCellValue"},
      {ImportError::kInvalidAssignedUserPrincipalName, "InvalidAssignedUserPrincipalName"},
  };
  for (const auto& [error, name] : names) EXPECT_EQ(ImportErrorName(error), name);
}

// Clean text built from pieces that exercise quoting and multi-byte UTF-8, trimmed as the reader
// trims.
rc::Gen<std::string> CellText() {
  return rc::gen::map(rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
                          "a", "Z", "7", " ", "-", ",", "\"", "=", "@", "\xC3\xA9", "\xE2\x82\xAC",
                          "\xF0\x9F\x98\x80")),
                      [](const std::vector<std::string>& parts) {
                        std::string out;
                        for (const auto& part : parts) out += part;
                        return std::string(text::Trim(out));
                      });
}

rc::Gen<std::string> Upn() {
  const auto word = rc::gen::nonEmpty(
      rc::gen::container<std::string>(rc::gen::element('a', 'b', 'z', '0', '.', '-', '_')));
  return rc::gen::oneOf(rc::gen::just(std::string()),
                        rc::gen::map(rc::gen::pair(word, word), [](const auto& parts) {
                          return parts.first + "@" + parts.second;
                        }));
}

// Rows the reader must give back unchanged: unique serials and hashes, clean trimmed text.
std::vector<RegistrationRow> GenerateRows() {
  const std::size_t count = *rc::gen::inRange<std::size_t>(0, 30);
  std::vector<RegistrationRow> rows(count);
  for (std::size_t i = 0; i < count; ++i) {
    RegistrationRow& row = rows[i];
    // Within the fields' limits (kMaxProductIdLength is the smallest): at most 60 characters.
    row.serial_number = std::to_string(i) + "-" + *rc::gen::resize(60, CellText()) + "-";
    row.product_id = *rc::gen::resize(60, CellText());
    row.group_tag = *rc::gen::resize(60, CellText());
    row.assigned_user_principal_name = *rc::gen::resize(50, Upn());
    const std::string model = *CellText();
    if (*rc::gen::arbitrary<bool>() && row.serial_number.size() <= kHardwareHashMaxTextSize &&
        model.size() <= kHardwareHashMaxTextSize) {
      HardwareHashFields fields{row.serial_number, "Contoso", model,
                                *rc::gen::arbitrary<DevicePublicKey>()};
      row.hardware_hash = EncodeHardwareHash(fields);
      row.groundcrew_hash = fields;
    } else {
      row.hardware_hash = std::to_string(i) + '\0' + *rc::gen::arbitrary<std::string>();
    }
    row.hardware_hash_text = base64::Encode(row.hardware_hash);
  }
  return rows;
}

// Invariants that hold for any input.
void CheckInvariants(const RegistrationFile& file) {
  for (const Error& error : file.file_errors) {
    RC_ASSERT(!error.message.empty());
    RC_ASSERT(IsCleanMessage(error.message));
  }
  if (!file.columns.empty()) RC_ASSERT(file.columns.size() <= 5u);
  std::size_t previous_line = 1;
  for (const RegistrationRowResult& result : file.rows) {
    RC_ASSERT(result.line > previous_line);
    previous_line = result.line;
    if (result.failure) {
      RC_ASSERT(IsCleanMessage(result.failure->message));
    } else {
      RC_ASSERT(!result.row.serial_number.empty());
      RC_ASSERT(!result.row.hardware_hash.empty());
      RC_ASSERT(IsCleanMessage(result.row.serial_number));
    }
  }
}

RC_GTEST_PROP(RegistrationCsvProperty, ReadInvertsWrite, ()) {
  const std::vector<RegistrationRow> rows = GenerateRows();
  const std::string csv = WriteRegistrationCsv(rows);
  for (const std::string& input : {csv, Utf16Le(csv)}) {
    const RegistrationFile file = ReadRegistrationCsv(input);
    RC_ASSERT(file.ok());
    RC_ASSERT(file.rows.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      RC_ASSERT(file.rows[i].ok());
      RC_ASSERT(file.rows[i].row == rows[i]);
    }
  }
}

RC_GTEST_PROP(RegistrationCsvProperty, NeverCrashesOnArbitraryBytes, (const std::string& bytes)) {
  CheckInvariants(ReadRegistrationCsv(bytes));
  CheckInvariants(ReadRegistrationCsv("\xFF\xFE" + bytes));
  CheckInvariants(ReadRegistrationCsv(std::string(kHeader) + "\r\n" + bytes));
}

RC_GTEST_PROP(RegistrationCsvProperty, NeverCrashesOnCsvLikeText, ()) {
  const std::string body = *rc::gen::map(
      rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
          ",", "\"", "\r", "\n", " ", "\t", "SN", "sn", "QUI=", "QUIA", "QQ==", "=", "@", "a@b.c",
          "\xED\xA0\x80", "\xE9", std::string("\0", 1), "GCHH", "R0NISAE=", ForeignHash(1))),
      [](const std::vector<std::string>& parts) {
        std::string out;
        for (const auto& part : parts) out += part;
        return out;
      });
  const std::string header = *rc::gen::element<std::string>(
      std::string(kHeader), "Device Serial Number,Hardware Hash",
      "Hardware Hash,Device Serial Number,Group Tag", "Device Serial Number");
  const RegistrationFile file = ReadRegistrationCsv(header + "\n" + body);
  CheckInvariants(file);
  CheckInvariants(ReadRegistrationCsv(Utf16Le(header + "\r\n") + body));
  const RegistrationFile checked = CheckAssignedUserDomains(
      CheckAgainstRegistry(
          file,
          RegistryLookup{[](std::string_view) { return RegistrationOwner::kThisTenant; }, nullptr}),
      std::vector<std::string>{"b.c"});
  for (const RegistrationRowResult& result : checked.rows) RC_ASSERT(!result.ok());
}

}  // namespace
}  // namespace groundcrew::core
