#include "device/fleet/tenant.hpp"

#include <fmt/format.h>

#include <boost/json/array.hpp>

#include "identity/sha256.hpp"

namespace groundcrew::fleet {
namespace {

namespace json = boost::json;

constexpr std::string_view kDeviceGroup = "All fleet devices";
constexpr std::string_view kUserGroup = "Fleet users";

Error Invalid(std::string_view field, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, why),
                   std::string(field));
}

// 32 bytes that depend only on the seed, what they are for and the device.
std::string Derived(std::uint64_t seed, std::string_view purpose, int index) {
  const identity::Sha256Digest digest =
      identity::Sha256Of(fmt::format("groundcrew-fleet|{}|{}|{}", seed, purpose, index));
  return std::string(digest.begin(), digest.end());
}

std::string SimDescription(const TenantShape& shape, double failure_rate) {
  return fmt::format("Simulated. sim:duration={}ms,jitter={},failureRate={}",
                     shape.install_time.count(), shape.jitter, failure_rate);
}

json::array To(std::string_view group) { return {json::object{{"group", group}}}; }
json::array Required(std::string_view group) {
  return {json::object{{"group", group}, {"intent", "required"}}};
}

std::string DeviceAppName(int i) { return fmt::format("Fleet device app {:03}", i); }

}  // namespace

std::string BlockingAppName() { return DeviceAppName(0); }

Status Check(const TenantShape& s) {
  if (s.devices < 1 || s.devices > 1'000'000) return Invalid("devices", "must be 1 to 1000000");
  if (s.device_apps < 1 || s.device_apps > 500) return Invalid("deviceApps", "must be 1 to 500");
  for (auto [name, value] :
       {std::pair{"userApps", s.user_apps}, std::pair{"devicePolicies", s.device_policies},
        std::pair{"userPolicies", s.user_policies}}) {
    if (value < 0 || value > 500) return Invalid(name, "must be 0 to 500");
  }
  if (s.install_time.count() < 0 || s.install_time > std::chrono::minutes(10)) {
    return Invalid("installTime", "must be 0 to 10 minutes");
  }
  if (!(s.jitter >= 0 && s.jitter <= 1)) return Invalid("jitter", "must be 0 to 1");
  if (!(s.failure_rate >= 0 && s.failure_rate <= 1)) {
    return Invalid("failureRate", "must be 0 to 1");
  }
  if (s.installer_classes < 1 || s.installer_classes > 64) {
    return Invalid("installerClasses", "must be 1 to 64");
  }
  if (s.dependency_every < 0) return Invalid("dependencyEvery", "must be 0 or more");
  if (s.domain.empty() ||
      s.domain.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return Invalid("domain", "must be lower-case letters, digits, dots and dashes");
  }
  return Ok{};
}

json::object TenantDocument(const TenantShape& shape, int extra_device_apps) {
  json::array users;
  users.reserve(static_cast<std::size_t>(shape.devices));
  for (int i = 0; i < shape.devices; ++i) {
    const std::string upn = IdentityOf(shape, i).user_principal_name;
    users.push_back({{"userPrincipalName", upn},
                     {"displayName", fmt::format("Fleet user {}", i)},
                     {"department", "Fleet"},
                     {"usageLocation", "US"}});
  }
  // Both groups are dynamic: an assigned group lists at most 1,000 members, and a fleet has up
  // to a million users.
  json::array groups{json::object{{"displayName", kDeviceGroup},
                                  {"membershipRule",
                                   R"((device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")))"}},
                     json::object{{"displayName", kUserGroup},
                                  {"membershipRule", R"((user.department -eq "Fleet"))"}}};

  json::array apps;
  for (int i = 0; i < shape.device_apps + extra_device_apps; ++i) {
    json::object app{{"displayName", DeviceAppName(i)},
                     {"publisher", "Fleet"},
                     {"displayVersion", "1.0.0"},
                     {"description", SimDescription(shape, i == 0 ? 0.0 : shape.failure_rate)},
                     {"installContext", "device"},
                     {"installCommandLine", "sim"},
                     {"installerClass", fmt::format("class-{}", i % shape.installer_classes)},
                     {"assignments", Required(kDeviceGroup)}};
    if (shape.dependency_every > 0 && i > 0 && i < shape.device_apps &&
        i % shape.dependency_every == 0) {
      app["dependencies"] = json::array{json::object{{"app", DeviceAppName(i - 1)}}};
    }
    apps.push_back(std::move(app));
  }
  for (int i = 0; i < shape.user_apps; ++i) {
    apps.push_back({{"displayName", fmt::format("Fleet user app {:03}", i)},
                    {"publisher", "Fleet"},
                    {"displayVersion", "1.0.0"},
                    {"description", SimDescription(shape, shape.failure_rate)},
                    {"installContext", "user"},
                    {"installCommandLine", "sim"},
                    {"assignments", Required(kUserGroup)}});
  }
  json::array policies;
  for (int i = 0; i < shape.device_policies + shape.user_policies; ++i) {
    const bool device = i < shape.device_policies;
    policies.push_back(
        {{"displayName", fmt::format("Fleet {} policy {:03}", device ? "device" : "user", i)},
         {"description", SimDescription(shape, 0)},
         {"settings", json::object{{"screenLock.idleMinutes", 10}}},
         {"assignments", To(device ? kDeviceGroup : kUserGroup)}});
  }
  // A Linux compliance policy every simulated device meets (SimulatedFacts).
  json::object compliance{{"displayName", "Fleet compliance"},
                          {"platforms", "linux"},
                          {"osName", "debian"},
                          {"osMinimumVersion", "12.5"},
                          {"storageRequireEncryption", true},
                          {"secureBootEnabled", true},
                          {"activeFirewallRequired", true},
                          {"screenLockRequired", true},
                          {"screenLockMaximumIdleMinutes", 15},
                          {"automaticSecurityUpdatesRequired", true},
                          {"passwordMinimumLength", 12},
                          {"assignments", To(kDeviceGroup)}};
  return {{"tenant", json::object{{"organizationName", "Fleet"},
                                  {"domain", shape.domain},
                                  {"mfaRequirement", "allUsers"}}},
          {"users", std::move(users)},
          {"groups", std::move(groups)},
          {"deploymentProfiles",
           json::array{json::object{
               {"displayName", "Fleet pre-provisioned"},
               {"preprovisioningAllowed", true},
               {"deviceNameTemplate", "FL-%SERIAL%"},
               {"outOfBoxExperienceSetting", json::object{{"privacySettingsHidden", false},
                                                          {"eulaHidden", true},
                                                          {"keyboardSelectionPageSkipped", true},
                                                          {"userType", "standard"},
                                                          {"deviceUsageType", "singleUser"}}},
               {"assignments", To(kDeviceGroup)}}}},
          {"espProfiles", json::array{json::object{
                              {"displayName", "Fleet ESP"},
                              {"priority", 1},
                              {"showInstallationProgress", true},
                              {"installProgressTimeoutInMinutes", 60},
                              {"allowLogCollectionOnInstallFailure", true},
                              {"selectedMobileApps", json::array{json::string(BlockingAppName())}},
                              {"assignments", To(kDeviceGroup)}}}},
          {"apps", std::move(apps)},
          {"policies", std::move(policies)},
          {"compliancePolicies", json::array{std::move(compliance)}}};
}

core::DeviceFacts SimulatedFacts() {
  core::DeviceFacts facts;
  facts.os_id = "debian";
  facts.os_name = "Debian GNU/Linux";
  facts.os_version = "12.7";
  facts.storage_encrypted = true;
  facts.secure_boot_enabled = true;
  facts.firewall_active = true;
  facts.screen_lock_enabled = true;
  facts.screen_lock_idle_minutes = 10;
  facts.automatic_security_updates = true;
  facts.password_minimum_length = 12;
  return facts;
}

SimIdentity IdentityOf(const TenantShape& shape, int index) {
  SimIdentity id;
  id.serial_number = fmt::format("FLEET-{:07}", index);
  id.key_seed = Derived(shape.seed, "device-key", index);
  id.user_principal_name = fmt::format("user{:07}@{}", index, shape.domain);
  id.password =
      "Fleet-" + identity::Sha256Hex(Derived(shape.seed, "password", index)).substr(0, 20);
  id.totp_seed = Derived(shape.seed, "totp", index).substr(0, 20);
  return id;
}

}  // namespace groundcrew::fleet
