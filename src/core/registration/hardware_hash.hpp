#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

// groundcrew's own hardware hash: the bytes `groundcrew-agent hwid` puts (as padded base64) in
// the "Hardware Hash" column of a registration row. Windows "4K hashes" are opaque binary blobs;
// a blob that does not start with kHardwareHashMagic is such a foreign hash and is imported as
// is. Ours carries what the service needs to know about the device at import:
//
//   offset  size  content
//   0       4     "GCHH" (kHardwareHashMagic)
//   4       1     version, 1 (kHardwareHashVersion)
//   5       2+n   serial number     (n = 1..kHardwareHashMaxTextSize)
//   ...     2+n   manufacturer      (n = 1..kHardwareHashMaxTextSize)
//   ...     2+n   model             (n = 0..kHardwareHashMaxTextSize)
//   ...     2+32  Ed25519 public key (the length must be exactly 32)
//
// Every field is a big-endian uint16 byte count followed by that many bytes; text fields are
// UTF-8 without control characters. Nothing may follow the public key.
namespace groundcrew::core {

inline constexpr std::string_view kHardwareHashMagic = "GCHH";
inline constexpr std::uint8_t kHardwareHashVersion = 1;
inline constexpr std::size_t kHardwareHashMaxTextSize = 256;  ///< bytes, per text field
inline constexpr std::size_t kDevicePublicKeySize = 32;

/// A device's raw Ed25519 public key.
using DevicePublicKey = std::array<std::uint8_t, kDevicePublicKeySize>;

/// What a groundcrew hardware hash says about a device.
struct HardwareHashFields {
  std::string serial_number;     ///< required; must equal the row's Device Serial Number
  std::string manufacturer;      ///< required
  std::string model;             ///< may be empty
  DevicePublicKey public_key{};  ///< the key the device proves itself with

  friend bool operator==(const HardwareHashFields&, const HardwareHashFields&) = default;
};

/// OK when `fields` encode to a blob that DecodeHardwareHash accepts: serial number and
/// manufacturer non-empty; every text field clean UTF-8 (no control characters) of at most
/// kHardwareHashMaxTextSize bytes. Errors are kInvalidArgument with `field` set to
/// "serial_number", "manufacturer" or "model".
Status ValidateHardwareHashFields(const HardwareHashFields& fields);

/// The binary blob (not base64) for `fields`, in the layout above. Defined for any input: when
/// ValidateHardwareHashFields(fields) fails, the blob is one DecodeHardwareHash refuses.
std::string EncodeHardwareHash(const HardwareHashFields& fields);

/// True when `blob` (decoded bytes) starts with kHardwareHashMagic, i.e. claims to be a
/// groundcrew hash and must be decoded; false for foreign (Windows) hashes.
bool IsGroundcrewHardwareHash(std::string_view blob);

/// Parses a blob produced by EncodeHardwareHash. Refuses (kInvalidArgument, `field` naming the
/// part at fault: "magic", "version", "serial_number", "manufacturer", "model", "public_key",
/// "trailing_bytes") a blob without the magic, of another version, truncated anywhere, with a
/// field length that does not fit, an empty serial number or manufacturer, text that is not
/// clean UTF-8 or too long, a public key that is not 32 bytes, or bytes after the public key.
Result<HardwareHashFields> DecodeHardwareHash(std::string_view blob);

}  // namespace groundcrew::core
