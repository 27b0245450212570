#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "core/model/ids.hpp"

namespace groundcrew::store {

/// The first answer to a request sent with an Idempotency-Key, kept so that a retry of the
/// same request gets it again instead of doing the work twice.
struct IdempotentResponse {
  std::string credential_id;  ///< whose key it is (the credential's name, lower-case): keys of
                              ///< different credentials never meet
  std::string key;            ///< the Idempotency-Key as sent
  std::string fingerprint;    ///< what the request was (method, target, SHA-256 of the body)
  int status = 200;
  std::string content_type;
  std::string body;  ///< never holds a secret (routes whose answer does are not idempotent)
  core::Timestamp created_date_time{};
  core::Timestamp expires_date_time{};
};

/// Persistence for idempotent answers. Expired ones are never returned by Find.
///
/// Thread-safety: implementations may be called from several threads at once.
class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  /// Stores the answer. kAlreadyExists (field "Idempotency-Key") when the credential already
  /// has an unexpired answer under this key; an expired one is replaced. kInvalidArgument
  /// (field "Idempotency-Key") when the key or credential id is empty.
  [[nodiscard]] virtual Status Put(const IdempotentResponse& response) = 0;

  /// The credential's answer under `key` unless it expired at `now` (expires_date_time <= now).
  [[nodiscard]] virtual Result<std::optional<IdempotentResponse>> Find(
      std::string_view credential_id, std::string_view key, core::Timestamp now) = 0;

  /// Removes every answer expired at `now`; returns how many.
  [[nodiscard]] virtual Result<int64_t> DeleteExpired(core::Timestamp now) = 0;
};

}  // namespace groundcrew::store
