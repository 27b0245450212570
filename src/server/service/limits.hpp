#pragma once

#include <cstddef>

#include "common/result.hpp"
#include "server/service/resource_model.hpp"

// The most characters (Unicode code points) each text field of a catalog resource may hold,
// enforced when it is written (create, update, apply, init) and listed in docs/admin-api.md
// "Limits". Entra's and Intune's own limits where they have one; otherwise a generous bound that
// keeps every screen, log line and answer a sane size.
namespace groundcrew::service {

inline constexpr std::size_t kMaxNameLength = 256;          ///< displayName (most kinds)
inline constexpr std::size_t kMaxDescriptionLength = 1024;  ///< description (most kinds)
/// The issuer every authenticator app shows, written twice (percent-encoded) into the otpauth
/// URI and its QR code: 64 characters of any script keep the QR code well within what it holds.
inline constexpr std::size_t kMaxOrganizationNameLength = 64;
inline constexpr std::size_t kMaxDomainLength = 253;             ///< a DNS name
inline constexpr std::size_t kMaxUserPrincipalNameLength = 113;  ///< Entra's limit
inline constexpr std::size_t kMaxUserAttributeLength = 128;      ///< givenName, department...
inline constexpr std::size_t kMaxMailLength = 256;               ///< mail, otherMails, proxy
inline constexpr std::size_t kMaxMembershipRuleLength = 3072;    ///< Entra's limit
inline constexpr std::size_t kMaxCommandLineLength = 1024;       ///< Intune's limit
inline constexpr std::size_t kMaxShortTextLength = 64;           ///< versions, kinds, locales
inline constexpr std::size_t kMaxSsidLength = 32;                ///< IEEE 802.11
inline constexpr std::size_t kMaxPreSharedKeyLength = 64;        ///< WPA2: 63 + hex form
inline constexpr std::size_t kMaxListLength = 1000;              ///< items of a string list
// Registration fields: core::kMaxSerialNumberLength, kMaxProductIdLength, kMaxGroupTagLength
// (core/registration/registration_csv.hpp), for the CSV import and device changes alike.

/// kInvalidArgument naming the field, the limit and the actual length:
/// "displayName: must be at most 256 characters, found 300".
[[nodiscard]] Status CheckLength(std::string_view field, std::string_view value, std::size_t max);

/// Every text field of `resource` within its limit (see above; a deployment profile keeps
/// Intune's 200/1500, an ESP profile's customErrorMessage its 10000), every list within
/// kMaxListLength items, and a userPrincipalName in printable ASCII as Entra requires.
/// kInvalidArgument naming the first field at fault.
[[nodiscard]] Status CheckLimits(const AnyResource& resource);

}  // namespace groundcrew::service
