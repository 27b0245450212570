#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"
#include "identity/secret_box.hpp"
#include "server/service/secrets.hpp"
#include "server/service/token_service.hpp"
#include "server/store/sealed_value_store.hpp"

// The service's secrets kept in a database several instances share (PostgreSQL), instead of
// the data directory's secrets/ folder (secrets.hpp): each is sealed (identity::Seal,
// XSalsa20-Poly1305) under the operator's secrets key before it reaches the store, so the
// database, its backups and its replicas hold only ciphertext. The values (names in the
// SealedValueStore):
//   token-keys  the token signing key ring (KeyRing::Serialize)
//   ca          the tenant CA: its certificate PEM followed by its private key PEM
//   nonce-key   the key device-proof nonces are signed with
// A sealed value names itself inside the seal, so one cannot be swapped for another.
namespace groundcrew::service {

/// Reads the operator's secrets key: a file of 64 hex digits (and an optional newline),
/// regular, owned by this user, mode 0600 or stricter. kNotFound, kFailedPrecondition (mode,
/// owner) or kInvalidArgument (content) naming the file (field "secretsKeyFile"); the message
/// never contains the key.
[[nodiscard]] Result<identity::SealingKey> ReadSecretsKey(const std::filesystem::path& file);

/// Writes a new random secrets key to `file` (mode 0600; kAlreadyExists when it exists).
[[nodiscard]] Status CreateSecretsKey(const std::filesystem::path& file);

/// The key ring as stored, with the version its next save must name.
class StoredKeyRing {
 public:
  StoredKeyRing(store::SealedValueStore& values, identity::SealingKey key)
      : values_(values), key_(key) {}

  /// For TokenService: saves a rotated ring over the version last loaded or saved (kAborted
  /// when another instance saved one since: the caller reloads).
  [[nodiscard]] Status Save(const identity::KeyRing& keys);
  /// For TokenService: the stored ring when its version changed since the last load or save.
  [[nodiscard]] Result<std::optional<identity::KeyRing>> Reload();

  /// Records the version of the ring loaded at startup.
  void Loaded(int64_t version);

 private:
  store::SealedValueStore& values_;
  const identity::SealingKey key_;
  std::mutex mutex_;
  int64_t version_ = 0;  // guarded by mutex_
};

/// Loads the secrets from `values`, creating whichever is missing as LoadOrCreateSecrets does.
/// Two instances starting at once create each at most once (the loser reads the winner's).
/// `ring` learns the key ring's version. kFailedPrecondition (field "secretsKeyFile") when a
/// stored value does not open with `key` (another installation's key); kInvalidArgument when
/// one does not parse; the store's errors.
[[nodiscard]] Result<Secrets> LoadOrCreateStoredSecrets(store::SealedValueStore& values,
                                                        const identity::SealingKey& key,
                                                        std::string_view organization,
                                                        core::Timestamp now, StoredKeyRing& ring);

/// Stores `secrets` (read from a data directory) sealed under `key`, for `groundcrew migrate`.
/// kAlreadyExists when the store already holds any of them.
[[nodiscard]] Status StoreSecrets(const Secrets& secrets, store::SealedValueStore& values,
                                  const identity::SealingKey& key);

}  // namespace groundcrew::service
