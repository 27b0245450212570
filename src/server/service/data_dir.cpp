#include "server/service/data_dir.hpp"

#include <fmt/format.h>

#include "server/service/auth.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/resource_model.hpp"
#include "server/service/secrets.hpp"

namespace groundcrew::service {
namespace fs = std::filesystem;

Result<InitResult> Init(
    const InitRequest& request, const Clock& clock,
    const std::function<Result<std::unique_ptr<store::Store>>(const std::string&)>& open_store) {
  core::TenantSettings settings;
  settings.id = core::TenantId{"tenant"};
  settings.organization_name = request.organization_name;
  settings.domain = request.domain;
  if (Status s = ValidateResource(AnyResource(settings), settings); !s) return s.error();

  const DataDir dir{request.data_dir};
  std::error_code ec;
  fs::create_directories(dir.content(), ec);
  if (ec) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot create {}: {}", dir.content().string(), ec.message()),
                     "data-dir");
  }
  fs::permissions(dir.root, fs::perms::owner_all, fs::perm_options::replace, ec);

  Result<std::unique_ptr<store::Store>> store = open_store(dir.database().string());
  if (!store) return store.error();
  const core::Timestamp now = clock();
  Result<std::optional<store::ResourceRecord>> existing =
      (*store)->resources().FindByName(store::ResourceKind::kTenant, "tenant");
  if (!existing) return existing.error();
  if (*existing) {
    return MakeError(ErrorCode::kAlreadyExists,
                     fmt::format("{} already holds a tenant; log in with an existing credential",
                                 dir.root.string()),
                     "data-dir");
  }
  std::string token;
  Status done = (*store)->Transact([&]() -> Status {
    store::Resource row{store::ResourceKind::kTenant,      "tenant", "tenant",
                        StoredBody(AnyResource(settings)), now,      now};
    if (Result<store::ResourceRecord> created = (*store)->resources().Create(row); !created) {
      return created.error();
    }
    Result<IssuedCredential> issued =
        IssueCredential(**store, Actor{request.admin_name, store::CredentialRole::kAdmin},
                        request.admin_name, store::CredentialRole::kAdmin, now);
    if (!issued) return issued.error();
    token = std::move(issued->token);
    return Audit(**store, Actor{request.admin_name, store::CredentialRole::kAdmin}, now, "create",
                 "tenant", "tenant", request.organization_name);
  });
  if (!done) return done.error();
  Result<Secrets> secrets =
      LoadOrCreateSecrets(SecretPaths{dir.secrets()}, request.organization_name, now);
  if (!secrets) return secrets.error();
  return InitResult{token};
}

Status CheckDataDir(const std::filesystem::path& data_dir) {
  const DataDir dir{data_dir};
  std::error_code ec;
  const fs::file_status status = fs::status(dir.root, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot read {}: {}", dir.root.string(), ec.message()),
                     "data-dir");
  }
  if (!fs::is_directory(status)) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("{} is not a directory: give the data directory groundcrewd "
                                 "runs with (its --data-dir or GROUNDCREW_DATA_DIR)",
                                 dir.root.string()),
                     "data-dir");
  }
  if (!fs::is_regular_file(dir.database(), ec)) {
    if (ec && ec != std::errc::no_such_file_or_directory) {
      return MakeError(ErrorCode::kUnavailable,
                       fmt::format("cannot read {}: {}", dir.database().string(), ec.message()),
                       "data-dir");
    }
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} is not a groundcrew data directory (it has no {}): give the "
                                 "data directory groundcrewd runs with (its --data-dir or "
                                 "GROUNDCREW_DATA_DIR)",
                                 dir.root.string(), dir.database().filename().string()),
                     "data-dir");
  }
  return Ok{};
}

Result<IssuedCredential> RecoverAdminCredential(
    const RecoverRequest& request, const Clock& clock,
    const std::function<Result<std::unique_ptr<store::Store>>(const std::string&)>& open_store) {
  if (Status checked = CheckDataDir(request.data_dir); !checked) return checked.error();
  const DataDir dir{request.data_dir};
  Result<std::unique_ptr<store::Store>> store = open_store(dir.database().string());
  if (!store) return store.error();
  Result<IssuedCredential> issued =
      RecoverAdminCredentialIn(**store, request, clock, dir.root.string());
  if (!issued && issued.error().field == "database") {
    Error error = issued.error();
    error.field = "data-dir";
    return error;
  }
  return issued;
}

Result<IssuedCredential> RecoverAdminCredentialIn(store::Store& store,
                                                  const RecoverRequest& request, const Clock& clock,
                                                  std::string_view where) {
  Result<std::optional<store::ResourceRecord>> tenant =
      store.resources().FindByName(store::ResourceKind::kTenant, "tenant");
  if (!tenant) return tenant.error();
  if (!*tenant) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("{} holds no tenant: `groundcrew init` creates one (with its "
                                 "first admin credential)",
                                 where),
                     "database");
  }
  return IssueCredential(store, Actor{request.actor, store::CredentialRole::kAdmin}, request.name,
                         store::CredentialRole::kAdmin, clock(), "recover");
}

}  // namespace groundcrew::service
