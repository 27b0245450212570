#include "core/registration/hardware_hash.hpp"

#include <algorithm>
#include <optional>

#include "core/registration/text_encoding.hpp"

namespace groundcrew::core {
namespace {

using registration_internal::FindTextProblem;

constexpr std::size_t kMaxFieldLength = 0xFFFF;

Error Invalid(std::string message, std::string field) {
  return MakeError(ErrorCode::kInvalidArgument, "hardware hash: " + std::move(message),
                   std::move(field));
}

// Human name of a text field for messages, by its `field` key.
std::string Label(std::string_view field) {
  if (field == "serial_number") return "serial number";
  if (field == "public_key") return "public key";
  return std::string(field);
}

std::optional<Error> CheckText(std::string_view value, std::string_view field, bool required) {
  if (required && value.empty()) {
    return Invalid(Label(field) + " is empty", std::string(field));
  }
  if (value.size() > kHardwareHashMaxTextSize) {
    return Invalid(Label(field) + " is " + std::to_string(value.size()) + " bytes long; at most " +
                       std::to_string(kHardwareHashMaxTextSize) + " are allowed",
                   std::string(field));
  }
  if (auto problem = FindTextProblem(value)) {
    return Invalid(Label(field) + " is not clean text: " + problem->reason, std::string(field));
  }
  return std::nullopt;
}

void AppendField(std::string& out, std::string_view bytes) {
  const std::size_t length = std::min(bytes.size(), kMaxFieldLength);
  out += static_cast<char>(length >> 8);
  out += static_cast<char>(length & 0xFF);
  out.append(bytes.substr(0, length));
}

// Reads length-prefixed fields front to back.
class FieldReader {
 public:
  explicit FieldReader(std::string_view rest) : rest_(rest) {}

  Result<std::string_view> Next(std::string_view field) {
    if (rest_.size() < 2) {
      return Invalid("truncated: the blob ends inside the length of the " + Label(field),
                     std::string(field));
    }
    const std::size_t length =
        (static_cast<unsigned char>(rest_[0]) << 8) | static_cast<unsigned char>(rest_[1]);
    rest_.remove_prefix(2);
    if (length > rest_.size()) {
      return Invalid("truncated: the " + Label(field) + " declares " + std::to_string(length) +
                         " bytes but only " + std::to_string(rest_.size()) + " remain",
                     std::string(field));
    }
    std::string_view value = rest_.substr(0, length);
    rest_.remove_prefix(length);
    return value;
  }

  std::size_t remaining() const { return rest_.size(); }

 private:
  std::string_view rest_;
};

}  // namespace

Status ValidateHardwareHashFields(const HardwareHashFields& fields) {
  if (auto error = CheckText(fields.serial_number, "serial_number", true)) return *error;
  if (auto error = CheckText(fields.manufacturer, "manufacturer", true)) return *error;
  if (auto error = CheckText(fields.model, "model", false)) return *error;
  return Ok{};
}

std::string EncodeHardwareHash(const HardwareHashFields& fields) {
  std::string out(kHardwareHashMagic);
  out += static_cast<char>(kHardwareHashVersion);
  AppendField(out, fields.serial_number);
  AppendField(out, fields.manufacturer);
  AppendField(out, fields.model);
  AppendField(out, std::string_view(reinterpret_cast<const char*>(fields.public_key.data()),
                                    fields.public_key.size()));
  return out;
}

bool IsGroundcrewHardwareHash(std::string_view blob) {
  return blob.starts_with(kHardwareHashMagic);
}

Result<HardwareHashFields> DecodeHardwareHash(std::string_view blob) {
  if (!IsGroundcrewHardwareHash(blob)) {
    return Invalid("not a groundcrew hardware hash (it does not start with \"GCHH\")", "magic");
  }
  blob.remove_prefix(kHardwareHashMagic.size());
  if (blob.empty()) return Invalid("truncated: the blob ends before the version byte", "version");
  const auto version = static_cast<unsigned char>(blob[0]);
  if (version != kHardwareHashVersion) {
    return Invalid("unsupported version " + std::to_string(version) + " (this build reads " +
                       std::to_string(kHardwareHashVersion) + ")",
                   "version");
  }
  FieldReader reader(blob.substr(1));
  HardwareHashFields fields;
  struct TextField {
    std::string_view name;
    std::string* value;
    bool required;
  };
  for (const TextField& text : {TextField{"serial_number", &fields.serial_number, true},
                                TextField{"manufacturer", &fields.manufacturer, true},
                                TextField{"model", &fields.model, false}}) {
    auto value = reader.Next(text.name);
    if (!value) return value.error();
    if (auto error = CheckText(*value, text.name, text.required)) return *error;
    text.value->assign(*value);
  }
  auto key = reader.Next("public_key");
  if (!key) return key.error();
  if (key->size() != kDevicePublicKeySize) {
    return Invalid("the public key is " + std::to_string(key->size()) +
                       " bytes; an Ed25519 public key is " + std::to_string(kDevicePublicKeySize),
                   "public_key");
  }
  std::copy(key->begin(), key->end(), fields.public_key.begin());
  if (reader.remaining() != 0) {
    return Invalid(std::to_string(reader.remaining()) + " unexpected bytes after the public key",
                   "trailing_bytes");
  }
  return fields;
}

}  // namespace groundcrew::core
