#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"

// Password hashing (argon2id via libsodium) and the minimum password policy.
//
// Hashes are libsodium's self-describing strings ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"),
// so a hash carries its own cost and salt and can be verified after the default cost changes.
// Nothing in this file ever puts a password into an error message.
namespace groundcrew::identity {

/// The argon2id work factor: `opslimit` passes over `memlimit` bytes of memory.
struct PasswordHashCost {
  std::uint64_t opslimit = 0;
  std::size_t memlimit = 0;

  friend bool operator==(const PasswordHashCost&, const PasswordHashCost&) = default;
};

/// libsodium's INTERACTIVE limits for argon2id (2 passes, 64 MiB; tens of milliseconds): the
/// default for sign-in passwords.
inline constexpr PasswordHashCost kInteractivePasswordCost{2, 64u * 1024u * 1024u};
/// libsodium's MIN limits (1 pass, 8 KiB): cheap and NOT secure; for tests only.
inline constexpr PasswordHashCost kMinimumPasswordCost{1, 8u * 1024u};
inline constexpr PasswordHashCost kDefaultPasswordCost = kInteractivePasswordCost;

/// The argon2id hash of `password` with a fresh random salt at `cost`. Errors: kInvalidArgument
/// (field "cost") when the cost is outside libsodium's limits; kInternal when the memory cannot
/// be allocated. Does not apply the password policy (see CheckPasswordPolicy).
Result<std::string> HashPassword(std::string_view password,
                                 PasswordHashCost cost = kDefaultPasswordCost);

/// True iff `hash` is a well-formed argon2id hash of `password`. Comparison is constant-time
/// (libsodium); a malformed hash is simply false. Costs as much as the hash's own parameters say.
bool VerifyPassword(std::string_view hash, std::string_view password);

/// True when `hash` should be recomputed at `cost` on the next successful sign-in: its algorithm
/// or parameters differ from `cost`, or it is not a well-formed argon2id hash at all.
bool NeedsRehash(std::string_view hash, PasswordHashCost cost = kDefaultPasswordCost);

/// Does the work of VerifyPassword against a hash at `cost` and returns false, always. For
/// answering an unknown user name in the same time as a wrong password:
///   ok = user ? VerifyPassword(user->hash, pw) : DummyVerifyPassword(pw);
/// At the default cost the hash is a fixed precomputed hash of a random, discarded password; at
/// any other cost one is computed once per process (the first such call costs about twice).
bool DummyVerifyPassword(std::string_view password, PasswordHashCost cost = kDefaultPasswordCost);

/// The fixed hash DummyVerifyPassword uses at the default cost (its password is unknown).
std::string_view DummyPasswordHash();

/// The minimum password policy, in this order:
///   - valid UTF-8;
///   - at least kMinPasswordChars characters (Unicode code points) and at most
///     kMaxPasswordBytes bytes;
///   - not one character repeated;
///   - not containing the user-name part of `user_principal_name` (before the '@'), compared
///     case-insensitively for ASCII letters; skipped when that part is shorter than 3 characters
///     (as Active Directory does), since nearly every password would contain it;
///   - not one of a short built-in list of the most common long passwords (case-insensitive).
/// Errors: kInvalidArgument, field "password", with a reason a person can act on. The message
/// never contains the password.
Status CheckPasswordPolicy(std::string_view password, std::string_view user_principal_name);

inline constexpr std::size_t kMinPasswordChars = 12;
inline constexpr std::size_t kMaxPasswordBytes = 256;

}  // namespace groundcrew::identity
