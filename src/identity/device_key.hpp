#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"

// The device's identity key: an Ed25519 key pair the device proves itself with. The public key
// travels in the hardware hash (core::HardwareHashFields::public_key, the same 32-byte array
// type); the private key never leaves the device. Behind DeviceKeyStore so that a TPM 2.0
// backend can replace the file backend.
namespace groundcrew::identity {

inline constexpr std::size_t kDevicePublicKeySize = 32;
inline constexpr std::size_t kSignatureSize = 64;

/// A raw Ed25519 public key (RFC 8032). Same type as core::DevicePublicKey.
using DevicePublicKey = std::array<std::uint8_t, kDevicePublicKeySize>;
/// A raw Ed25519 signature (RFC 8032): R || S.
using Signature = std::array<std::uint8_t, kSignatureSize>;

/// Where the device's private key lives. Implementations are not required to be thread-safe.
class DeviceKeyStore {
 public:
  virtual ~DeviceKeyStore() = default;

  /// The device's public key.
  virtual Result<DevicePublicKey> PublicKey() = 0;

  /// An Ed25519 signature of `message` (any bytes) made with the device's private key.
  virtual Result<Signature> Sign(std::string_view message) = 0;
};

/// The file backend: the key's 32-byte seed in `<state_dir>/device.key`.
///
/// File format: "GCDK", version byte 1, the 32-byte Ed25519 seed (37 bytes in all). SECRET: the
/// file holds the private key; it is created with mode 0600 and never written again.
class FileDeviceKey final : public DeviceKeyStore {
 public:
  static constexpr std::string_view kFileName = "device.key";

  /// Loads the key in `<state_dir>/device.key`, or creates it when there is none:
  ///   - `state_dir` (and any missing parent) is created with mode 0700 when missing;
  ///   - a new key is written to a temporary file created with O_CREAT|O_EXCL and mode 0600,
  ///     fsync'ed, and then linked into place with link(2), which (unlike rename(2)) never
  ///     replaces a key that appeared meanwhile: when two processes race, both end up with the
  ///     winner's key; the directory is fsync'ed too;
  ///   - an existing key file must be a regular file (not a symlink) owned by the effective user
  ///     and neither readable nor writable by group or other.
  /// Errors: kFailedPrecondition (field "device.key") for a key file with a looser mode, another
  /// owner or not a regular file, and for a state path that is not a directory;
  /// kInvalidArgument (field "device.key") for a file that is not a device key; kUnavailable
  /// with the system's reason when a file operation fails. Messages name the path, never the key.
  static Result<std::unique_ptr<FileDeviceKey>> OpenOrCreate(
      const std::filesystem::path& state_dir);

  ~FileDeviceKey() override;  // wipes the secret key from memory
  FileDeviceKey(const FileDeviceKey&) = delete;
  FileDeviceKey& operator=(const FileDeviceKey&) = delete;

  Result<DevicePublicKey> PublicKey() override;
  Result<Signature> Sign(std::string_view message) override;

  /// The key file's path.
  const std::filesystem::path& path() const { return path_; }

 private:
  FileDeviceKey(std::filesystem::path path, std::string_view seed);

  std::filesystem::path path_;
  DevicePublicKey public_key_{};
  std::array<std::uint8_t, 64> secret_key_{};  // libsodium form: seed || public key
};

/// A device key held only in memory, derived from a 32-byte seed: the simulated devices of the
/// fleet simulator, which need thousands of distinct, reproducible keys and no files. The same
/// seed always gives the same key. Not for real devices (the seed is the private key).
class SeededDeviceKey final : public DeviceKeyStore {
 public:
  /// REQUIRES: `seed` has 32 bytes.
  explicit SeededDeviceKey(std::string_view seed);
  ~SeededDeviceKey() override;  // wipes the secret key from memory
  SeededDeviceKey(const SeededDeviceKey&) = delete;
  SeededDeviceKey& operator=(const SeededDeviceKey&) = delete;

  Result<DevicePublicKey> PublicKey() override;
  Result<Signature> Sign(std::string_view message) override;

 private:
  DevicePublicKey public_key_{};
  std::array<std::uint8_t, 64> secret_key_{};
};

/// True when `signature` is a valid Ed25519 signature of `message` by `public_key` (libsodium's
/// verification: strict, refuses non-canonical encodings and small-order keys).
bool VerifyDeviceSignature(const DevicePublicKey& public_key, std::string_view message,
                           const Signature& signature);

/// The bytes a device signs to prove it holds its key, and the service verifies:
///
///   "groundcrew-device-proof-v1" 0x00
///   u32be(len(nonce)) nonce  u32be(len(device_id)) device_id  u32be(len(audience)) audience
///
/// The domain prefix keeps these signatures from being valid for any other purpose; the length
/// prefixes make the encoding unambiguous (different inputs never give the same bytes).
/// `nonce` is the server's fresh challenge, `device_id` the id the device claims, `audience` who
/// the proof is for (e.g. the service's URL). Pure. REQUIRES: each part is shorter than 4 GiB.
std::string ProofMessage(std::string_view nonce, std::string_view device_id,
                         std::string_view audience);

}  // namespace groundcrew::identity
