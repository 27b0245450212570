#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/ids.hpp"

namespace groundcrew::store {

/// What an admin-API credential may do.
enum class CredentialRole {
  kAdmin,       ///< read and change everything
  kReader,      ///< read only; changes get 403
  kTechnician,  ///< read devices, sessions, plans and reports; reprovision; nothing else
};

/// "admin" / "reader" / "technician".
std::string_view ToString(CredentialRole role);
std::optional<CredentialRole> ParseCredentialRole(std::string_view text);

/// An admin-API credential (a bearer token). Only the token's SHA-256 is stored.
struct AdminCredential {
  std::string id;
  std::string name;  ///< unique, ASCII case-insensitively; the audit log's actor
  CredentialRole role = CredentialRole::kAdmin;
  std::string token_sha256;  ///< lower-case hex of SHA-256(token); unique
  core::Timestamp created_date_time{};
  std::optional<core::Timestamp> revoked_date_time;
};

class CredentialStore {
 public:
  virtual ~CredentialStore() = default;

  /// kAlreadyExists when the id, name or token hash is taken (field "id", "name" or
  /// "tokenSha256"; the message never shows the hash).
  [[nodiscard]] virtual Status Create(const AdminCredential& credential) = 0;
  /// Nullopt when no credential has this token hash (revoked ones are returned, marked).
  [[nodiscard]] virtual Result<std::optional<AdminCredential>> FindByTokenSha256(
      std::string_view token_sha256) = 0;
  /// Every credential (revoked ones too) in name order, ASCII case-insensitively.
  [[nodiscard]] virtual Result<std::vector<AdminCredential>> List() = 0;
  /// Marks the credential revoked at `at` (kNotFound when absent; revoking twice keeps the
  /// first time).
  [[nodiscard]] virtual Status Revoke(std::string_view id, core::Timestamp at) = 0;
};

}  // namespace groundcrew::store
