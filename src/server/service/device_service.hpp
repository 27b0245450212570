#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/registration/registration_csv.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/store/store.hpp"

// Use cases over registered devices: import, read, change, delete, reprovision; group members;
// the deployment plan of one device.
namespace groundcrew::service {

/// What a registration import did. Imports are all or nothing: when any row is refused,
/// `imported` is empty and every row says why it was or would have been refused.
struct ImportOutcome {
  core::RegistrationFile file;  ///< per-row results after every check
  std::vector<store::DeviceRecord> imported;
};

/// The console's device list (GET /v1/autopilotDevices): the store's query, and two filters the
/// catalog decides (membership and profile assignment are computed, not stored).
struct DeviceListQuery {
  store::DeviceQuery store;
  std::string group_id;               ///< devices that are members of the group now ("" = any)
  std::string deployment_profile_id;  ///< devices the profile is assigned to now ("" = any)
};

/// At most this many devices are read (and their groups computed) for one page filtered by
/// group or profile: a page may then hold fewer rows than asked while more may follow.
inline constexpr int kMaxDevicesScannedPerPage = 5000;

class DeviceService {
 public:
  DeviceService(store::Store& store, Catalog& catalog, Clock clock)
      : store_(store), catalog_(catalog), clock_(std::move(clock)) {}

  /// Imports a registration CSV. A file-level problem (encoding, header) is kInvalidArgument
  /// naming it; row problems are reported in the outcome. Must not run inside Transact.
  [[nodiscard]] Result<ImportOutcome> Import(const Actor& actor, std::string_view csv_bytes);
  /// The same import with the same checks and per-row results, rolled back: nothing is stored
  /// and no audit entry written; `imported` holds the devices it would have stored.
  [[nodiscard]] Result<ImportOutcome> ImportDryRun(const Actor& actor, std::string_view csv_bytes);

  /// The same import inside the caller's transaction (apply uses it); no audit entry.
  [[nodiscard]] Result<ImportOutcome> ImportInTransaction(const core::RegistrationFile& file,
                                                          const core::TenantSettings& settings);

  /// A device as the API shows it (windowsAutopilotDeviceIdentity), its profile assignment
  /// status computed now and "lastDeployment": its latest deployment session (the one started
  /// last, in the shape of wire::Encode(DeploymentSession)) or null, summed up as
  /// wire::AddDeploymentSummary says ("deploymentState", "lastDeploymentDateTime", "lastFlow").
  [[nodiscard]] Result<boost::json::object> Get(std::string_view id);
  [[nodiscard]] Result<store::Page<boost::json::object>> List(const store::DeviceFilter& filter,
                                                              const store::PageRequest& page);
  /// The console's list: each row as Get shows it. kInvalidArgument naming "groupId" or
  /// "deploymentProfileId" for an id the catalog does not have, and the store's errors ("after",
  /// "top").
  [[nodiscard]] Result<store::Page<boost::json::object>> Query(const DeviceListQuery& query);
  /// Changes groupTag, userPrincipalName, addressableUserName, displayName.
  [[nodiscard]] Result<boost::json::object> Update(const Actor& actor, std::string_view id,
                                                   const boost::json::value& patch,
                                                   std::optional<int64_t> if_match);
  [[nodiscard]] Status Delete(const Actor& actor, std::string_view id,
                              std::optional<int64_t> if_match);
  /// Lets the device run the technician flow again (Autopilot's 0x80180014 without deleting
  /// records): enrollment state back to notContacted, managed device id cleared, its join,
  /// enrollment, reseal and reported inventory forgotten and every token issued on it revoked.
  [[nodiscard]] Result<boost::json::object> Reprovision(const Actor& actor, std::string_view id);

  /// Members of a group, computed now: users (by id) for user groups, devices (registration
  /// ids) for device groups; assigned groups list their members as stored.
  [[nodiscard]] Result<boost::json::object> Members(std::string_view group_id);

  /// The plan document of docs/admin-api.md for the device with `serial_number`; `user_upn`
  /// (optional) overrides the assigned user. The user flow's Device setup is the delta from the
  /// inventory the device last reported, else from a clean technician flow; "userFlowBasis"
  /// says which. kNotFound for an unknown serial or user.
  [[nodiscard]] Result<boost::json::object> Plan(std::string_view serial_number,
                                                 std::string_view user_upn);

 private:
  [[nodiscard]] Result<boost::json::object> View(const store::DeviceRecord& record);
  // Import or its dry run (`dry_run`: rolled back, no audit).
  [[nodiscard]] Result<ImportOutcome> ImportOrTry(const Actor& actor, std::string_view csv_bytes,
                                                  bool dry_run);
  // The device as the API shows it, with "lastDeployment": its latest deployment session
  // (`last`, read from the store when not given; null when it has none).
  [[nodiscard]] Result<boost::json::object> ViewWith(const Snapshot& snapshot,
                                                     const store::DeviceRecord& record);
  [[nodiscard]] Result<boost::json::object> ViewWith(const Snapshot& snapshot,
                                                     const store::DeviceRecord& record,
                                                     const store::DeploymentSession* last);
  store::Store& store_;
  Catalog& catalog_;
  Clock clock_;
};

}  // namespace groundcrew::service
