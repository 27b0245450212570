#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/store/types.hpp"

namespace groundcrew::store {

/// Persistence for named values the service seals itself before they reach the store: the
/// token key ring, the tenant CA's key and certificate, the nonce key. The store keeps them as
/// opaque bytes (any bytes, NUL included) and never sees plaintext; still, values are SECRET in
/// effect: implementations never log them nor put them in error messages. Names are not secret.
///
/// Every instance sharing the database reads the same values; a change is a compare-and-set on
/// the version, so that two instances rotating a key at once cannot both win.
///
/// Thread-safety: implementations may be called from several threads (and instances) at once.
class SealedValueStore {
 public:
  virtual ~SealedValueStore() = default;

  /// The value stored under `name` and its version; nullopt when there is none.
  /// kInvalidArgument (field "name") when the name is empty.
  [[nodiscard]] virtual Result<std::optional<Versioned<std::string>>> Get(
      std::string_view name) = 0;

  /// Stores `bytes` under `name` and returns the new version. With expected_version 0, creates
  /// it (version 1): kAlreadyExists (field "name") when the name already has a value. Otherwise
  /// replaces the value only while its version is expected_version (the new version is
  /// expected_version + 1): kAborted when another writer changed it first, kNotFound (field
  /// "name") when there is none. kInvalidArgument (field "name" or "expected_version") for an
  /// empty name or a negative expected_version.
  [[nodiscard]] virtual Result<int64_t> Put(std::string_view name, std::string_view bytes,
                                            int64_t expected_version) = 0;

  /// Every name that has a value, in byte order.
  [[nodiscard]] virtual Result<std::vector<std::string>> Names() = 0;
};

}  // namespace groundcrew::store
