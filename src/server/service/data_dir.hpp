#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "server/service/auth.hpp"
#include "server/service/context.hpp"
#include "server/store/store.hpp"

// The service's data directory: the database and the content store.
//   <dir>/groundcrew.db      SQLite (WAL: also groundcrew.db-wal, groundcrew.db-shm)
//   <dir>/content/<aa>/<sha256>
//   <dir>/diagnostics/<device id>/   devices' diagnostics archives (diagnostics_service.hpp)
//   <dir>/secrets/           token signing keys and the tenant CA (secrets.hpp)
namespace groundcrew::service {

struct DataDir {
  std::filesystem::path root;
  std::filesystem::path database() const { return root / "groundcrew.db"; }
  std::filesystem::path content() const { return root / "content"; }
  std::filesystem::path diagnostics() const { return root / "diagnostics"; }
  std::filesystem::path secrets() const { return root / "secrets"; }
};

struct InitRequest {
  std::filesystem::path data_dir;
  std::string organization_name;
  std::string domain;
  std::string admin_name = "admin";
};

struct InitResult {
  std::string admin_token;  ///< shown once; only its hash is stored
};

/// Creates the data directory (mode 0700), the database, the tenant, the first admin
/// credential, the token signing keys and the tenant's CA. kAlreadyExists when the directory
/// already holds a tenant (nothing is changed); kInvalidArgument for a bad organization name or
/// domain. `open_store` opens (creating) the database at a path.
[[nodiscard]] Result<InitResult> Init(
    const InitRequest& request, const Clock& clock,
    const std::function<Result<std::unique_ptr<store::Store>>(const std::string&)>& open_store);

/// Ok when `data_dir` is a groundcrew data directory (a directory holding groundcrew.db);
/// kNotFound when it is not a directory, kFailedPrecondition when it has no database; the
/// message names the directory (field "data-dir").
[[nodiscard]] Status CheckDataDir(const std::filesystem::path& data_dir);

struct RecoverRequest {
  std::filesystem::path data_dir;
  std::string name;   ///< the new admin credential's name
  std::string actor;  ///< who recovers, for the audit log: "local:<user>"
};

/// Issues a new admin credential straight into the data directory's database, for an operator
/// who lost every admin token (`groundcrew credentials recover`, run on the server's machine).
/// Safe while groundcrewd serves the directory: the service looks up a token it does not know
/// in the database, so it accepts the new one at once. Audited as "recover" by `actor`.
/// Errors: CheckDataDir's; kFailedPrecondition when the database holds no tenant; the store's
/// (kAlreadyExists, field "name", when the name is taken). Creates nothing but the credential
/// and its audit entry (`open_store` opens an existing database).
[[nodiscard]] Result<IssuedCredential> RecoverAdminCredential(
    const RecoverRequest& request, const Clock& clock,
    const std::function<Result<std::unique_ptr<store::Store>>(const std::string&)>& open_store);

/// The same, into an installation's store already open (a PostgreSQL database several
/// instances share: `groundcrew credentials recover --database`); `where` names it in messages.
/// kFailedPrecondition (field "database") when it holds no tenant; the store's errors.
[[nodiscard]] Result<IssuedCredential> RecoverAdminCredentialIn(store::Store& store,
                                                                const RecoverRequest& request,
                                                                const Clock& clock,
                                                                std::string_view where);

}  // namespace groundcrew::service
