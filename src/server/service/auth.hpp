#pragma once

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "server/service/context.hpp"
#include "server/store/store.hpp"

// Admin-API credentials: bearer tokens of which only the SHA-256 is stored.
namespace groundcrew::service {

/// Token prefix, so that a leaked token is recognisable (and greppable by secret scanners).
inline constexpr std::string_view kAdminTokenPrefix = "gcadm_";

/// The caller behind `authorization` (an HTTP Authorization header value, "Bearer <token>").
/// kUnauthenticated when it is missing, malformed, unknown or revoked; the message never
/// repeats the token.
[[nodiscard]] Result<Actor> Authenticate(store::CredentialStore& credentials,
                                         std::string_view authorization);

/// A credential just issued: its id and its token (shown once, never stored).
struct IssuedCredential {
  std::string id;
  std::string token;
};

/// A new credential, issued by `issuer` (an admin), who is the audit entry's actor (action
/// `audit_action`: "create", or "recover" for `groundcrew credentials recover`). Names are unique
/// for good, ASCII case-insensitively: a revoked credential keeps its name, so that the audit
/// log's actors stay unambiguous. kPermissionDenied for a reader; kAlreadyExists (field "name")
/// when the name is taken; kInvalidArgument (field "name") for an empty name.
[[nodiscard]] Result<IssuedCredential> IssueCredential(store::Store& store, const Actor& issuer,
                                                       std::string_view name,
                                                       store::CredentialRole role,
                                                       core::Timestamp now,
                                                       std::string_view audit_action = "create");

/// Revokes the credential `id` on behalf of `actor` (an admin), audited with the credential's
/// name: its token is refused from then on. Revoking twice keeps the first time.
/// kPermissionDenied for a reader; kNotFound (field "id") when no credential has this id.
[[nodiscard]] Status RevokeCredential(store::Store& store, const Actor& actor, std::string_view id,
                                      core::Timestamp now);

}  // namespace groundcrew::service
