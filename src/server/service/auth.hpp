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

/// A new credential. kAlreadyExists when the name is taken; kInvalidArgument for an empty name.
[[nodiscard]] Result<IssuedCredential> IssueCredential(store::Store& store, std::string_view name,
                                                       store::CredentialRole role,
                                                       core::Timestamp now);

}  // namespace groundcrew::service
