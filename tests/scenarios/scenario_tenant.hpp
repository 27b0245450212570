#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/plan.hpp"
#include "core/model/device.hpp"
#include "core/model/tenant.hpp"
#include "core/registration/registration_csv.hpp"
#include "core/targeting/targeting.hpp"
#include "scenario_script.hpp"

// The tenant a scenario describes: built by its setup commands, changeable at any time (e.g.
// between the flows), compiled for targeting on demand.
namespace groundcrew::core::scenarios {

/// A registered device as the scenario knows it.
struct DeviceRecord {
  AutopilotDeviceIdentity registration;
  bool joined = false;  ///< its directory object was completed by a join
  std::string enrollment_profile_name;
  std::vector<InstalledItem> inventory;  ///< what the device reported after its flows
  DeviceFacts facts;                     ///< what the device reports for compliance
};

class TenantBuilder {
 public:
  /// A tenant "Contoso" (contoso.com) with Autopilot's default ESP profile, `default-esp`, which
  /// applies to everything and shows no progress.
  TenantBuilder();

  /// Runs `line` when it is a tenant command (see README.md); nullopt when it is not one.
  std::optional<Status> Execute(const Line& line);

  /// The tenant compiled for targeting (rebuilt after any change). Static group members that
  /// name devices are translated to the devices' directory object ids.
  Result<const TargetingIndex*> Index();

  const TenantSettings& settings() const { return tenant_.settings; }
  Result<DeviceRecord*> FindDevice(std::string_view name);
  const User* FindUser(std::string_view alias) const;
  bool RequiresMfa(const User& user) const { return mfa_users_.count(user.id.value()) != 0; }
  /// The directory object rules see: the registration's placeholder, completed once joined.
  DirectoryDevice DirectoryOf(const DeviceRecord& device) const;
  /// What the last `csv` block read, or null.
  const RegistrationFile* csv() const { return csv_ ? &*csv_ : nullptr; }

 private:
  enum class Kind {
    kUser,
    kGroup,
    kDeploymentProfile,
    kEspProfile,
    kApp,
    kPolicy,
    kCertificate,
    kNetwork,
    kCompliance,
    kDevice,
  };

  Status Declare(const std::string& id, Kind kind);
  Timestamp NextCreated();
  DeviceRecord NewDevice(const std::string& name, const std::string& ztd);

  Status Settings(const Line& line);
  Status Declaration(const Line& line, Kind kind);
  Status Set(const std::string& id, const Line& line);
  Status Assign(const Line& line);
  Status Csv(const Line& line);

  Tenant tenant_;
  std::map<std::string, Kind, std::less<>> kinds_;
  std::map<std::string, DeviceRecord, std::less<>> devices_;
  std::set<std::string> mfa_users_;
  std::set<std::string> foreign_serials_;
  std::optional<RegistrationFile> csv_;
  std::shared_ptr<const TargetingIndex> index_;
  bool dirty_ = true;
  int created_ = 0;
  int assignments_ = 0;
};

}  // namespace groundcrew::core::scenarios
