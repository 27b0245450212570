#pragma once

#include <sys/types.h>

#include <boost/json/value.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/files.hpp"

// Data and processes for the service benchmark (service_bench.cpp): a large declarative tenant,
// a registration file to import into it, temporary directories and the real groundcrewd.
namespace groundcrew::bench {

struct TenantShape {
  int groups = 1000;    ///< dynamic device groups, rules from DeviceRules (fixtures.hpp)
  int apps = 300;       ///< each assigned to 3 device groups; every 10th depends on the one before
  int policies = 100;   ///< each assigned to 2 device groups
  int users = 200;      ///< user0@contoso.com ...; 10 assigned user groups of 20 members
  int tag_count = 900;  ///< group tags Tag0..Tag{n-1} used by the registration file
};

/// A declarative tenant document (docs/admin-api.md, "Declarative tenants") for the tenant
/// made by `groundcrew init --organization Contoso --domain contoso.com`: users, user groups,
/// `shape.groups` dynamic device groups over group tags ([OrderID]), ZTDIds, models and
/// manufacturers, apps and policies with assignments, certificate and network profiles, 4
/// deployment profiles (one tenant default) and 5 ESP profiles (one default) assigned to groups.
/// Deterministic.
boost::json::value TenantDocument(const TenantShape& shape);

/// A registration CSV of `rows` devices SN00000000... with valid groundcrew hardware hashes
/// (manufacturer Contoso or Fabrikam, "Model 0".."Model 19"), group tag Tag{i % tag_count}, and
/// every 10th row assigned to user{i % users}@contoso.com. `seed` changes serials and keys so
/// that several files can go into one tenant. Deterministic.
std::string RegistrationCsv(int rows, const TenantShape& shape, int seed = 0);

/// The serial number of row `i` of RegistrationCsv(..., seed).
std::string SerialOf(int i, int seed = 0);

using test_support::TempDir;

/// The real groundcrewd over an initialized data directory, on a free loopback port with 2
/// worker threads and its log in a file next to the data directory. Stopped (SIGTERM, then
/// SIGKILL after 10 s) on destruction.
class DaemonProcess {
 public:
  DaemonProcess(std::filesystem::path binary, std::filesystem::path data_dir)
      : binary_(std::move(binary)), data_dir_(std::move(data_dir)) {}
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  /// Starts it and waits until it listens (false after 20 s or when it exits early).
  /// `extra_args` are added to its command line.
  bool Start(std::size_t max_body_bytes, const std::vector<std::string>& extra_args = {});
  /// SIGTERM and wait; returns its exit status (-1 when it was not running).
  int Stop();
  std::uint16_t port() const { return port_; }
  /// The process id while it runs, else -1.
  pid_t pid() const { return pid_; }
  /// Peak resident set (VmHWM) in KiB, read from /proc; 0 when unknown.
  std::int64_t PeakRssKib() const;
  std::string log() const;

 private:
  std::filesystem::path binary_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace groundcrew::bench
