#include "core/registration/hardware_hash.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>

namespace groundcrew::core {
namespace {

DevicePublicKey CountingKey() {
  DevicePublicKey key{};
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i + 1);
  return key;
}

HardwareHashFields Sample() {
  return HardwareHashFields{"SN-001", "Contoso", "Laptop 7", CountingKey()};
}

std::string KeyBytes(const DevicePublicKey& key) {
  return std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string Field(std::string_view bytes) {
  std::string out;
  out += static_cast<char>(bytes.size() >> 8);
  out += static_cast<char>(bytes.size() & 0xFF);
  out.append(bytes);
  return out;
}

// A blob assembled by hand, field by field, so that tests can break any part of it.
std::string Blob(std::string_view serial, std::string_view manufacturer, std::string_view model,
                 std::string_view key, char version = 1) {
  return std::string("GCHH") + version + Field(serial) + Field(manufacturer) + Field(model) +
         Field(key);
}

TEST(HardwareHashTest, EncodesTheDocumentedLayout) {
  const HardwareHashFields fields{"S1", "M", "", CountingKey()};
  const std::string expected = std::string("GCHH\x01", 5) + std::string("\x00\x02S1", 4) +
                               std::string("\x00\x01M", 3) + std::string("\x00\x00", 2) +
                               std::string("\x00\x20", 2) + KeyBytes(CountingKey());
  EXPECT_EQ(EncodeHardwareHash(fields), expected);
  EXPECT_EQ(EncodeHardwareHash(fields), Blob("S1", "M", "", KeyBytes(CountingKey())));
}

TEST(HardwareHashTest, RoundTrips) {
  const HardwareHashFields cases[] = {
      Sample(),
      {"S", "M", "", DevicePublicKey{}},
      {"S\xC3\xA9rie-\xE2\x82\xAC", "Fabrikam GmbH", "Mod\xC3\xA8le \"X\", 2", CountingKey()},
      {std::string(kHardwareHashMaxTextSize, 'S'), std::string(kHardwareHashMaxTextSize, 'M'),
       std::string(kHardwareHashMaxTextSize, 'X'), CountingKey()},
  };
  for (const HardwareHashFields& fields : cases) {
    ASSERT_TRUE(ValidateHardwareHashFields(fields).has_value()) << fields.serial_number;
    const std::string blob = EncodeHardwareHash(fields);
    EXPECT_TRUE(IsGroundcrewHardwareHash(blob));
    auto decoded = DecodeHardwareHash(blob);
    ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
    EXPECT_EQ(*decoded, fields);
  }
}

TEST(HardwareHashTest, ForeignBlobsAreNotGroundcrewHashes) {
  for (std::string_view blob : {std::string_view(""), std::string_view("GCH"),
                                std::string_view("gchh\x01"), std::string_view("T0Fx\x00\x01")}) {
    EXPECT_FALSE(IsGroundcrewHardwareHash(blob)) << blob;
    auto decoded = DecodeHardwareHash(blob);
    ASSERT_FALSE(decoded.has_value());
    EXPECT_EQ(decoded.error().field, "magic");
  }
  EXPECT_TRUE(IsGroundcrewHardwareHash("GCHH"));
}

TEST(HardwareHashTest, RefusesMalformedBlobsNamingThePart) {
  const std::string key = KeyBytes(CountingKey());
  const std::string good = Blob("SN", "Contoso", "X", key);
  struct Case {
    const char* name;
    std::string blob;
    std::string field;
    std::string message_part;
  };
  const Case cases[] = {
      {"magic only", "GCHH", "version", "before the version byte"},
      {"version 2", Blob("SN", "Contoso", "X", key, 2), "version", "unsupported version 2"},
      {"version 0", Blob("SN", "Contoso", "X", key, 0), "version", "unsupported version 0"},
      {"no serial length", std::string("GCHH\x01", 5), "serial_number", "truncated"},
      {"half a serial length", std::string("GCHH\x01\x00", 6), "serial_number", "truncated"},
      {"serial longer than the blob", std::string("GCHH\x01\x00\x09SN", 9), "serial_number",
       "declares 9 bytes but only 2 remain"},
      {"cut inside the key", good.substr(0, good.size() - 1), "public_key",
       "declares 32 bytes but only 31 remain"},
      {"no key", Blob("SN", "Contoso", "X", key).substr(0, 5 + 4 + 9 + 3), "public_key",
       "truncated"},
      {"empty serial", Blob("", "Contoso", "X", key), "serial_number", "serial number is empty"},
      {"empty manufacturer", Blob("SN", "", "X", key), "manufacturer", "manufacturer is empty"},
      {"serial too long", Blob(std::string(kHardwareHashMaxTextSize + 1, 'S'), "M", "", key),
       "serial_number", "257 bytes long"},
      {"control character", Blob("SN\n", "Contoso", "X", key), "serial_number", "not clean text"},
      {"latin-1 model", Blob("SN", "Contoso", "Mod\xE8le", key), "model", "not UTF-8"},
      {"31-byte key", Blob("SN", "Contoso", "X", key.substr(1)), "public_key",
       "public key is 31 bytes"},
      {"33-byte key", Blob("SN", "Contoso", "X", key + "!"), "public_key",
       "public key is 33 bytes"},
      {"empty key", Blob("SN", "Contoso", "X", ""), "public_key", "public key is 0 bytes"},
      {"trailing byte", good + "x", "trailing_bytes", "1 unexpected bytes after the public key"},
      {"trailing field", good + Field("more"), "trailing_bytes", "6 unexpected bytes"},
  };
  ASSERT_TRUE(DecodeHardwareHash(good).has_value());
  for (const Case& c : cases) {
    auto decoded = DecodeHardwareHash(c.blob);
    ASSERT_FALSE(decoded.has_value()) << c.name;
    EXPECT_EQ(decoded.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(decoded.error().field, c.field) << c.name;
    EXPECT_NE(decoded.error().message.find(c.message_part), std::string::npos)
        << c.name << ": " << decoded.error().message;
    EXPECT_EQ(decoded.error().message.rfind("hardware hash: ", 0), 0u) << c.name;
  }
}

TEST(HardwareHashTest, InvalidFieldsAreRefusedAndEncodeToBlobsDecodeRefuses) {
  struct Case {
    HardwareHashFields fields;
    std::string field;
  };
  const Case cases[] = {
      {{"", "Contoso", "", CountingKey()}, "serial_number"},
      {{"SN", "", "", CountingKey()}, "manufacturer"},
      {{"SN", "Contoso", std::string(kHardwareHashMaxTextSize + 1, 'x'), CountingKey()}, "model"},
      {{std::string(70000, 'S'), "Contoso", "", CountingKey()}, "serial_number"},  // > uint16
      {{"SN", "Con\x01toso", "", CountingKey()}, "manufacturer"},
  };
  for (const Case& c : cases) {
    Status status = ValidateHardwareHashFields(c.fields);
    ASSERT_FALSE(status.has_value()) << c.field;
    EXPECT_EQ(status.error().field, c.field);
    auto decoded = DecodeHardwareHash(EncodeHardwareHash(c.fields));
    ASSERT_FALSE(decoded.has_value()) << c.field;
    EXPECT_EQ(decoded.error().field, c.field);
  }
}

// Printable text, some of it non-ASCII, within the size limit.
rc::Gen<std::string> CleanText(std::size_t min_size) {
  return rc::gen::suchThat(
      rc::gen::map(
          rc::gen::container<std::vector<std::string>>(rc::gen::element<std::string>(
              "a", "Z", "0", " ", "-", ",", "\"", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80")),
          [](const std::vector<std::string>& parts) {
            std::string out;
            for (const auto& part : parts) out += part;
            return out;
          }),
      [min_size](const std::string& s) {
        return s.size() >= min_size && s.size() <= kHardwareHashMaxTextSize;
      });
}

rc::Gen<HardwareHashFields> ValidFields() {
  return rc::gen::build<HardwareHashFields>(
      rc::gen::set(&HardwareHashFields::serial_number, CleanText(1)),
      rc::gen::set(&HardwareHashFields::manufacturer, CleanText(1)),
      rc::gen::set(&HardwareHashFields::model, CleanText(0)),
      rc::gen::set(&HardwareHashFields::public_key, rc::gen::arbitrary<DevicePublicKey>()));
}

RC_GTEST_PROP(HardwareHashProperty, DecodeInvertsEncode, ()) {
  const HardwareHashFields fields = *ValidFields();
  auto decoded = DecodeHardwareHash(EncodeHardwareHash(fields));
  RC_ASSERT(decoded.has_value());
  RC_ASSERT(*decoded == fields);
}

RC_GTEST_PROP(HardwareHashProperty, EveryTruncationAndExtensionIsRefused, ()) {
  const std::string blob = EncodeHardwareHash(*ValidFields());
  const std::size_t cut = *rc::gen::inRange<std::size_t>(0, blob.size());
  RC_ASSERT(!DecodeHardwareHash(std::string_view(blob).substr(0, cut)).has_value());
  const std::string extra = *rc::gen::nonEmpty<std::string>();
  RC_ASSERT(!DecodeHardwareHash(blob + extra).has_value());
}

RC_GTEST_PROP(HardwareHashProperty, NeverCrashesOnArbitraryBytes, (const std::string& bytes)) {
  auto foreign = DecodeHardwareHash(bytes);
  RC_ASSERT(foreign.has_value() == false || IsGroundcrewHardwareHash(bytes));
  auto prefixed = DecodeHardwareHash(std::string("GCHH\x01", 5) + bytes);
  if (prefixed.has_value()) {
    RC_ASSERT(ValidateHardwareHashFields(*prefixed).has_value());
    RC_ASSERT(EncodeHardwareHash(*prefixed) == std::string("GCHH\x01", 5) + bytes);
  } else {
    RC_ASSERT(!prefixed.error().message.empty());
  }
}

}  // namespace
}  // namespace groundcrew::core
