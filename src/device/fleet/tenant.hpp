#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "core/compliance/compliance.hpp"

// The tenant a fleet run provisions, made from a few numbers, and who each simulated device is.
// Pure and deterministic: the same shape and seed give the same tenant, serial numbers, keys,
// users, passwords and authenticator seeds, so two runs are comparable.
//
// Every device gets its own assigned user (its sign-in is that user's); every device is in
// "All fleet devices" (the rule Microsoft documents for all Autopilot devices); users are in
// "Fleet users". Apps carry their simulated behaviour in their description (`sim:` settings,
// agent_executor/sim_executor.hpp); no app has content, so nothing is downloaded.
namespace groundcrew::fleet {

struct TenantShape {
  int devices = 100;
  /// Device-context apps for every device: the first is blocking (the ESP profile selects it),
  /// the others are not.
  int device_apps = 6;
  /// User-context apps for every user (Account setup).
  int user_apps = 3;
  /// Device policies (Device setup) and user policies (Account setup).
  int device_policies = 4;
  int user_policies = 2;
  /// How long a simulated install takes, and its spread (± fraction, 0-1).
  std::chrono::milliseconds install_time{200};
  double jitter = 0.5;
  /// The probability that an attempt of a non-blocking app fails (exit code 1603): such a
  /// failure is recorded and the device still succeeds, as the ESP does.
  double failure_rate = 0;
  /// Installer classes the device apps are spread over (items of one class run one at a time).
  int installer_classes = 4;
  /// Every `dependency_every`-th device app depends on the one before it (0: none).
  int dependency_every = 3;
  std::string domain = "fleet.example";
  std::uint64_t seed = 1;
};

/// kInvalidArgument naming the field (e.g. "devices") for a shape outside its limits: devices
/// 1..1,000,000, apps and policies 0..500 each (device apps at least 1), install time
/// 0..10 min, jitter and failure rate 0..1, installer classes 1..64, a domain of letters,
/// digits, dots and dashes.
[[nodiscard]] Status Check(const TenantShape& shape);

/// The declarative tenant (docs/admin-api.md, "Declarative tenants") as JSON for POST /v1/apply:
/// users, groups, a deployment profile allowing pre-provisioning, an ESP profile blocking on the
/// first device app, apps, policies and a compliance policy every simulated device meets.
/// `extra_device_apps` adds that many more device apps after the others (the apps an admin
/// assigns between the technician flow and the user flow). REQUIRES: Check(shape) is ok.
boost::json::object TenantDocument(const TenantShape& shape, int extra_device_apps = 0);

/// What every simulated device reports for compliance: an encrypted Debian 12.7 with Secure
/// Boot, its firewall, screen lock and security updates on, that meets TenantDocument's Linux
/// compliance policy.
core::DeviceFacts SimulatedFacts();

/// Who device `index` (0-based) is and who signs in on it.
struct SimIdentity {
  std::string serial_number;  ///< FLEET-000042
  std::string key_seed;       ///< 32 bytes: the device's Ed25519 key (SeededDeviceKey)
  std::string user_principal_name;
  std::string password;   ///< meets the password policy
  std::string totp_seed;  ///< 20 raw bytes: the user's authenticator
};
SimIdentity IdentityOf(const TenantShape& shape, int index);

/// The name of the ESP profile's blocking app (device app 0).
std::string BlockingAppName();

}  // namespace groundcrew::fleet
