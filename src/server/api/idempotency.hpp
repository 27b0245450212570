#pragma once

#include <chrono>
#include <functional>

#include "server/http/http_types.hpp"
#include "server/service/context.hpp"
#include "server/service/services.hpp"

// Idempotency-Key on the admin API's creates, imports and applies (docs/admin-api.md
// "Idempotent requests"): a client that lost the answer (the connection dropped after the
// commit) sends the request again with the same key and gets the first answer, instead of a
// second write or a failure on duplicates.
namespace groundcrew::api {

/// How long an answer is kept for its key.
inline constexpr std::chrono::hours kIdempotencyKeyLifetime{24};

/// Runs `handler` for a request that may carry `Idempotency-Key` (1..255 printable ASCII
/// characters, space included). Without the header it just runs it. With it, in one store
/// transaction (so that the answer is stored exactly when the write commits):
/// - a key this credential used in the last 24 hours for the same request (method, target and
///   SHA-256 of the body) answers the stored status and body again, with
///   `Idempotent-Replayed: true`, and runs nothing;
/// - the same key with another request is 422 (field "Idempotency-Key");
/// - otherwise `handler` runs; a 2xx answer is stored under the key, any other is not (nothing
///   was written: a retry runs again).
/// 400 (field "Idempotency-Key") for a malformed key. Expired keys are swept on each store.
server::Response Idempotent(service::Services& services, const service::Actor& actor,
                            const server::Request& request,
                            const std::function<server::Response()>& handler);

/// For routes whose answer holds a secret shown once (a credential's token, a TOTP seed), which
/// is never stored: 400 (field "Idempotency-Key") when the request has the header, else runs
/// `handler`.
server::Response NotIdempotent(const server::Request& request,
                               const std::function<server::Response()>& handler);

}  // namespace groundcrew::api
