#include "device/executor/setting_appliers.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include "device/executor/process.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using core::PolicySettings;
using core::SettingValue;
using test_support::ModeOf;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;
using Names = std::vector<std::string>;
using Ports = std::vector<std::int64_t>;

constexpr std::string_view kHeader =
    "# Written by groundcrew from the policies applied to this device (/etc/groundcrew/policies); "
    "edits are overwritten.\n";

std::string H(std::string_view body) { return std::string(kHeader) + std::string(body); }

PolicyRecord Policy(std::string id, std::string name, PolicySettings settings) {
  return {.policy_id = std::move(id),
          .display_name = std::move(name),
          .version = 2,
          .settings = std::move(settings),
          .user = std::nullopt};
}

// A policy assigned to a user, applied for their account.
PolicyRecord UserPolicy(std::string id, std::string name, PolicySettings settings, std::string user,
                        uid_t uid) {
  PolicyRecord record = Policy(std::move(id), std::move(name), std::move(settings));
  record.user = RecordUser{std::move(user), uid};
  return record;
}

const RecordUser kAda{"ada-lovelace", 1000};
const RecordUser kGrace{"grace-hopper", 1001};

// Every setting of the catalog, each with a value other than its catalog default.
PolicySettings EverySetting() {
  return {
      {"automaticUpdates.securityUpdates", false},
      {"firewall.allowedInboundTcpPorts", Ports{22, 443}},
      {"firewall.enabled", true},
      {"kernelModules.blocked", Names{"usb-storage", "bluetooth"}},
      {"localAdministrators.users", Names{"alice", "bob"}},
      {"loginBanner.text",
       std::string("Contoso devices are for authorised use.\nC:\\ is not here")},
      {"passwordQuality.minimumCharacterClasses", std::int64_t{4}},
      {"passwordQuality.minimumLength", std::int64_t{14}},
      {"screenLock.enabled", true},
      {"screenLock.idleMinutes", std::int64_t{10}},
      {"ssh.passwordAuthentication", true},
      {"ssh.permitRootLogin", std::string("prohibit-password")},
      {"sysctl.ipForwarding", true},
      {"sysctl.restrictKernelLogs", false},
      {"sysctl.tcpSynCookies", false},
      {"timeServers.ntp", Names{"ntp1.contoso.com", "10.0.0.1"}},
  };
}

// The files EverySetting() gives, with their modes.
std::map<std::string, std::pair<std::string, int>> EverySettingFiles() {
  return {
      {"/etc/dconf/db/local.d/50-groundcrew-screen-lock",
       {H("[org/gnome/desktop/session]\nidle-delay=uint32 600\n\n"
          "[org/gnome/desktop/screensaver]\nlock-enabled=true\nlock-delay=uint32 0\n"),
        0644}},
      {"/etc/dconf/db/local.d/locks/50-groundcrew-screen-lock",
       {H("/org/gnome/desktop/session/idle-delay\n/org/gnome/desktop/screensaver/lock-enabled\n"
          "/org/gnome/desktop/screensaver/lock-delay\n"),
        0644}},
      {"/etc/dconf/profile/user", {"user-db:user\nsystem-db:local\n", 0644}},
      {"/etc/ssh/sshd_config.d/50-groundcrew.conf",
       {H("PasswordAuthentication yes\nPermitRootLogin prohibit-password\n"
          "Banner /etc/groundcrew/login-banner\n"),
        0644}},
      {"/etc/issue.d/groundcrew.issue",
       {"Contoso devices are for authorised use.\nC:\\\\ is not here\n", 0644}},
      {"/etc/groundcrew/login-banner",
       {"Contoso devices are for authorised use.\nC:\\ is not here\n", 0644}},
      {"/etc/groundcrew/firewall.nft",
       {"#!/usr/sbin/nft -f\n" +
            H("define allowed_inbound_tcp_ports = { 22, 443 }\n"
              "table inet groundcrew\n"
              "delete table inet groundcrew\n"
              "table inet groundcrew {\n"
              "\tchain input {\n"
              "\t\ttype filter hook input priority filter; policy drop;\n"
              "\t\tct state established,related accept\n"
              "\t\tct state invalid drop\n"
              "\t\tiif \"lo\" accept\n"
              "\t\tmeta l4proto { icmp, icmpv6 } accept\n"
              "\t\tudp dport { 68, 546 } accept comment \"DHCP and DHCPv6 replies\"\n"
              "\t\ttcp dport $allowed_inbound_tcp_ports accept\n"
              "\t}\n"
              "}\n"),
        0644}},
      {"/etc/systemd/system/groundcrew-firewall.service",
       {"# Written by groundcrew: loads the firewall of the policies applied to this device.\n"
        "[Unit]\n"
        "Description=groundcrew's firewall (the firewall settings of the policies applied)\n"
        "Documentation=file:/etc/groundcrew/firewall.nft\n"
        "DefaultDependencies=no\n"
        "Wants=network-pre.target\n"
        "Before=network-pre.target shutdown.target\n"
        "Conflicts=shutdown.target\n"
        "ConditionPathExists=/etc/groundcrew/firewall.nft\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        "ExecStart=/usr/sbin/nft -f /etc/groundcrew/firewall.nft\n"
        "ExecReload=/usr/sbin/nft -f /etc/groundcrew/firewall.nft\n"
        "\n"
        "[Install]\n"
        "WantedBy=sysinit.target\n",
        0644}},
      {"/etc/security/pwquality.conf.d/50-groundcrew.conf",
       {H("minlen = 14\nminclass = 4\n"), 0644}},
      {"/etc/sysctl.d/50-groundcrew.conf",
       {H("net.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n"
          "kernel.dmesg_restrict = 0\nkernel.kptr_restrict = 0\nnet.ipv4.tcp_syncookies = 0\n"),
        0644}},
      {"/etc/modprobe.d/groundcrew-blocked.conf",
       {H("install usb-storage /bin/false\nblacklist usb-storage\n"
          "install bluetooth /bin/false\nblacklist bluetooth\n"),
        0644}},
      {"/etc/apt/apt.conf.d/52groundcrew-automatic-updates",
       {"// Written by groundcrew from the policies applied to this device "
        "(/etc/groundcrew/policies); edits are overwritten.\n"
        "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n",
        0644}},
      {"/etc/sudoers.d/groundcrew", {H("alice ALL=(ALL:ALL) ALL\nbob ALL=(ALL:ALL) ALL\n"), 0440}},
      {"/etc/systemd/timesyncd.conf.d/50-groundcrew.conf",
       {H("[Time]\nNTP=ntp1.contoso.com 10.0.0.1\n"), 0644}},
  };
}

ino_t InodeOf(const fs::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

class SettingAppliersTest : public ::testing::Test {
 protected:
  fs::path Path(std::string_view inside) const { return root_.Under(inside); }

  // The value DetectSetting reads (as `user`'s session when set), or a description of its error.
  std::string Read(std::string_view id, const RecordUser* user = nullptr) const {
    Result<std::optional<SettingValue>> value = DetectSetting(root_, id, user);
    if (!value) return "error: " + value.error().message;
    return value->has_value() ? core::FormatSettingValue(**value) : "unset";
  }

  void Install(const PolicyRecord& record) {
    Result<SettingsChange> change = InstallPolicySettings(root_, record);
    ASSERT_TRUE(change) << change.error().message;
  }

  TempDir base_;
  DeviceRoot root_{base_.path() / "root"};
};

TEST_F(SettingAppliersTest, EverySettingIsWrittenToItsFileAndReadsBack) {
  const PolicyRecord baseline = Policy("pol-1", "Contoso baseline", EverySetting());
  Result<SettingsChange> change = InstallPolicySettings(root_, baseline);
  ASSERT_TRUE(change) << change.error().message;

  for (const auto& [path, expected] : EverySettingFiles()) {
    EXPECT_EQ(ReadText(Path(path)), expected.first) << path;
    EXPECT_EQ(ModeOf(Path(path)), expected.second) << path;
    struct stat info {};
    ASSERT_EQ(::stat(Path(path).c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, ::geteuid()) << path << " belongs to the agent (root on a device)";
  }
  EXPECT_EQ(change->written.size(), EverySettingFiles().size());
  EXPECT_TRUE(change->removed.empty());
  // The temporary root has none of the tools: the checks are skipped, and say so.
  EXPECT_NE(std::find(change->notes.begin(), change->notes.end(),
                      "/etc/sudoers.d/groundcrew not checked: the root has no visudo"),
            change->notes.end());
  EXPECT_NE(std::find(change->notes.begin(), change->notes.end(),
                      "dconf update not run: the root has no dconf"),
            change->notes.end());

  for (const auto& [id, value] : baseline.settings) {
    Result<std::optional<SettingValue>> read = DetectSetting(root_, id);
    ASSERT_TRUE(read) << id << ": " << read.error().message;
    EXPECT_EQ(*read, std::optional<SettingValue>(value)) << id;
  }
  // Every setting of the catalog has an applier and a detector.
  for (const core::SettingDefinition& setting : core::SettingsCatalog()) {
    EXPECT_TRUE(baseline.settings.contains(setting.id)) << setting.id;
  }

  const fs::path record = PolicyRecordPath(root_, "pol-1");
  EXPECT_EQ(record, Path("/etc/groundcrew/policies/pol-1.json"));
  EXPECT_EQ(ModeOf(record), 0600);
  EXPECT_EQ(
      ReadText(record),
      R"({"displayName":"Contoso baseline","version":2,"settings":{)"
      R"("automaticUpdates.securityUpdates":false,"firewall.allowedInboundTcpPorts":[22,443],)"
      R"("firewall.enabled":true,"kernelModules.blocked":["usb-storage","bluetooth"],)"
      R"("localAdministrators.users":["alice","bob"],)"
      R"("loginBanner.text":"Contoso devices are for authorised use.\nC:\\ is not here",)"
      R"("passwordQuality.minimumCharacterClasses":4,"passwordQuality.minimumLength":14,)"
      R"("screenLock.enabled":true,"screenLock.idleMinutes":10,)"
      R"("ssh.passwordAuthentication":true,"ssh.permitRootLogin":"prohibit-password",)"
      R"("sysctl.ipForwarding":true,"sysctl.restrictKernelLogs":false,)"
      R"("sysctl.tcpSynCookies":false,"timeServers.ntp":["ntp1.contoso.com","10.0.0.1"]}})"
      "\n");
  Result<PolicyRecord> decoded = DecodePolicyRecord("pol-1", ReadText(record));
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(*decoded, baseline);
  EXPECT_TRUE(*PolicySettingsPresent(root_, baseline));
}

TEST_F(SettingAppliersTest, TheOtherValuesOfEachSettingReadBack) {
  Install(Policy("pol-1", "Contoso baseline",
                 {{"automaticUpdates.securityUpdates", true},
                  {"firewall.enabled", false},
                  {"firewall.allowedInboundTcpPorts", Ports{}},
                  {"kernelModules.blocked", Names{}},
                  {"localAdministrators.users", Names{}},
                  {"loginBanner.text", std::string()},
                  {"screenLock.enabled", false},
                  {"ssh.passwordAuthentication", false},
                  {"ssh.permitRootLogin", std::string("no")},
                  {"sysctl.ipForwarding", false},
                  {"sysctl.restrictKernelLogs", true},
                  {"sysctl.tcpSynCookies", true},
                  {"timeServers.ntp", Names{}}}));
  EXPECT_EQ(ReadText(Path("/etc/groundcrew/firewall.nft")),
            "#!/usr/sbin/nft -f\n" + H("# firewall.enabled: false (no groundcrew table)\n"
                                       "define allowed_inbound_tcp_ports = {  }\n"
                                       "table inet groundcrew\ndelete table inet groundcrew\n"));
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock")),
            H("[org/gnome/desktop/screensaver]\nlock-enabled=false\n"));
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/local.d/locks/50-groundcrew-screen-lock")),
            H("/org/gnome/desktop/screensaver/lock-enabled\n"));
  EXPECT_EQ(ReadText(Path("/etc/sudoers.d/groundcrew")), H(""));
  EXPECT_EQ(ReadText(Path("/etc/modprobe.d/groundcrew-blocked.conf")), H(""));
  EXPECT_EQ(ReadText(Path("/etc/systemd/timesyncd.conf.d/50-groundcrew.conf")),
            H("[Time]\nNTP=\n"));
  EXPECT_EQ(ReadText(Path("/etc/issue.d/groundcrew.issue")), "");
  EXPECT_EQ(Read("automaticUpdates.securityUpdates"), "true");
  EXPECT_EQ(Read("firewall.enabled"), "false");
  EXPECT_EQ(Read("firewall.allowedInboundTcpPorts"), "[]");
  EXPECT_EQ(Read("kernelModules.blocked"), "[]");
  EXPECT_EQ(Read("localAdministrators.users"), "[]");
  EXPECT_EQ(Read("loginBanner.text"), "\"\"");
  EXPECT_EQ(Read("screenLock.enabled"), "false");
  EXPECT_EQ(Read("screenLock.idleMinutes"), "unset");
  EXPECT_EQ(Read("ssh.passwordAuthentication"), "false");
  EXPECT_EQ(Read("ssh.permitRootLogin"), "\"no\"");
  EXPECT_EQ(Read("sysctl.ipForwarding"), "false");
  EXPECT_EQ(Read("sysctl.restrictKernelLogs"), "true");
  EXPECT_EQ(Read("sysctl.tcpSynCookies"), "true");
  EXPECT_EQ(Read("timeServers.ntp"), "[]");
  EXPECT_EQ(Read("passwordQuality.minimumLength"), "unset");
}

TEST_F(SettingAppliersTest, ApplyingTheSameSettingsAgainRewritesNothing) {
  const PolicyRecord baseline = Policy("pol-1", "Contoso baseline", EverySetting());
  Install(baseline);
  std::map<std::string, ino_t> inodes;
  for (const auto& [path, expected] : EverySettingFiles()) inodes[path] = InodeOf(Path(path));

  Result<SettingsChange> again = InstallPolicySettings(root_, baseline);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->written.empty());
  EXPECT_TRUE(again->removed.empty());
  for (const auto& [path, expected] : EverySettingFiles()) {
    EXPECT_EQ(InodeOf(Path(path)), inodes[path]) << path << " was rewritten";
    EXPECT_EQ(ReadText(Path(path)), expected.first) << path;
  }

  // A file whose mode was changed is written again, with its mode.
  fs::permissions(Path("/etc/sudoers.d/groundcrew"), fs::perms(0644));
  Result<SettingsChange> repaired = InstallPolicySettings(root_, baseline);
  ASSERT_TRUE(repaired) << repaired.error().message;
  EXPECT_EQ(repaired->written, std::vector<std::string>{"/etc/sudoers.d/groundcrew"});
  EXPECT_EQ(ModeOf(Path("/etc/sudoers.d/groundcrew")), 0440);
}

TEST_F(SettingAppliersTest, UninstallingPutsEverySettingBackToTheSystemDefault) {
  WriteText(Path("/etc/dconf/profile/user"), "user-db:user\n");
  Install(Policy("pol-1", "Contoso baseline", EverySetting()));
  EXPECT_EQ(ReadText(Path("/etc/dconf/profile/user")), "user-db:user\nsystem-db:local\n")
      << "an existing profile gets the local database";

  Result<SettingsChange> change = UninstallPolicySettings(root_, "pol-1");
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_FALSE(fs::exists(PolicyRecordPath(root_, "pol-1")));
  for (const auto& [path, expected] : EverySettingFiles()) {
    // They only make the local dconf database apply, and load the firewall file when it is there.
    if (path == "/etc/dconf/profile/user" ||
        path == "/etc/systemd/system/groundcrew-firewall.service") {
      continue;
    }
    EXPECT_FALSE(fs::exists(Path(path))) << path;
  }
  EXPECT_EQ(ReadText(Path("/etc/dconf/profile/user")), "user-db:user\nsystem-db:local\n")
      << "the profile stays: it only makes the local database apply";
  for (const core::SettingDefinition& setting : core::SettingsCatalog()) {
    EXPECT_EQ(Read(setting.id), "unset") << setting.id;
  }
  // Uninstalling what is not there is fine.
  Result<SettingsChange> again = UninstallPolicySettings(root_, "pol-1");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->written.empty() && again->removed.empty());
}

TEST_F(SettingAppliersTest, APolicyThatDisagreesWithAnotherIsAConflictAndChangesNothing) {
  Install(Policy(
      "pol-1", "Contoso baseline",
      {{"screenLock.idleMinutes", std::int64_t{10}}, {"ssh.passwordAuthentication", false}}));
  const std::string before = ReadText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock"));

  Result<SettingsChange> change =
      InstallPolicySettings(root_, Policy("pol-2", "Kiosk lock",
                                          {{"screenLock.idleMinutes", std::int64_t{5}},
                                           {"ssh.passwordAuthentication", true},
                                           {"sysctl.ipForwarding", false}}));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(change.error().message,
            "Setting screenLock.idleMinutes is 10 in \"Contoso baseline\" and 5 in \"Kiosk lock\"; "
            "Setting ssh.passwordAuthentication is false in \"Contoso baseline\" and true in "
            "\"Kiosk lock\"");
  EXPECT_FALSE(fs::exists(PolicyRecordPath(root_, "pol-2")));
  EXPECT_FALSE(fs::exists(Path("/etc/sysctl.d/50-groundcrew.conf")));
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock")), before);

  // A policy never conflicts with its own earlier version.
  Install(Policy("pol-1", "Contoso baseline", {{"screenLock.idleMinutes", std::int64_t{5}}}));
  EXPECT_EQ(Read("screenLock.idleMinutes"), "5");
  EXPECT_EQ(Read("ssh.passwordAuthentication"), "unset");
}

TEST_F(SettingAppliersTest, EqualValuesAreNoConflictAndTheSettingStaysWhileOneSetsIt) {
  Install(Policy("pol-1", "Contoso baseline", {{"screenLock.idleMinutes", std::int64_t{10}}}));
  Install(Policy("pol-2", "Kiosk lock",
                 {{"screenLock.idleMinutes", std::int64_t{10}}, {"screenLock.enabled", true}}));
  EXPECT_EQ(Read("screenLock.idleMinutes"), "10");
  ASSERT_TRUE(UninstallPolicySettings(root_, "pol-2"));
  EXPECT_EQ(Read("screenLock.idleMinutes"), "10") << "Contoso baseline still sets it";
  EXPECT_EQ(Read("screenLock.enabled"), "unset");
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock")),
            H("[org/gnome/desktop/session]\nidle-delay=uint32 600\n"));
}

TEST_F(SettingAppliersTest, TwoPoliciesSettingOneFileBothAppearInIt) {
  Install(Policy("pol-1", "Contoso baseline", {{"ssh.passwordAuthentication", false}}));
  Install(Policy("pol-2", "Contoso servers",
                 {{"ssh.permitRootLogin", std::string("prohibit-password")},
                  {"loginBanner.text", std::string("Contoso")}}));
  EXPECT_EQ(ReadText(Path("/etc/ssh/sshd_config.d/50-groundcrew.conf")),
            H("PasswordAuthentication no\nPermitRootLogin prohibit-password\n"
              "Banner /etc/groundcrew/login-banner\n"));
  Result<std::vector<PolicyRecord>> records = ReadPolicyRecords(root_);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ(SettingsInForce(*records).size(), 3u);

  ASSERT_TRUE(UninstallPolicySettings(root_, "pol-1"));
  EXPECT_EQ(ReadText(Path("/etc/ssh/sshd_config.d/50-groundcrew.conf")),
            H("PermitRootLogin prohibit-password\nBanner /etc/groundcrew/login-banner\n"));
  EXPECT_EQ(Read("ssh.passwordAuthentication"), "unset");
}

TEST_F(SettingAppliersTest, PortsWithoutTheFirewallSettingLeaveTheFirewallAtItsDefault) {
  Install(Policy("pol-1", "Contoso servers", {{"firewall.allowedInboundTcpPorts", Ports{22}}}));
  EXPECT_EQ(ReadText(Path("/etc/groundcrew/firewall.nft")),
            "#!/usr/sbin/nft -f\n" + H("define allowed_inbound_tcp_ports = { 22 }\n"
                                       "table inet groundcrew\ndelete table inet groundcrew\n"));
  EXPECT_EQ(Read("firewall.allowedInboundTcpPorts"), "[22]");
  EXPECT_EQ(Read("firewall.enabled"), "unset") << "no policy turns it on or off";
  Install(Policy("pol-2", "Contoso baseline", {{"firewall.enabled", true}}));
  EXPECT_EQ(Read("firewall.enabled"), "true");
  EXPECT_NE(ReadText(Path("/etc/groundcrew/firewall.nft"))
                .find("\t\ttcp dport $allowed_inbound_tcp_ports accept\n"),
            std::string::npos);
}

TEST_F(SettingAppliersTest, APolicyIsPresentOnlyWhenItsRecordAndEveryFileSayIt) {
  const PolicyRecord lock =
      Policy("pol-1", "Screen lock", {{"screenLock.idleMinutes", std::int64_t{10}}});
  EXPECT_FALSE(*PolicySettingsPresent(root_, lock));
  Install(lock);
  EXPECT_TRUE(*PolicySettingsPresent(root_, lock));
  PolicyRecord changed = lock;
  changed.settings["screenLock.idleMinutes"] = std::int64_t{20};
  EXPECT_FALSE(*PolicySettingsPresent(root_, changed));
  // Someone edits the drop-in: the policy is no longer in force.
  WriteText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock"),
            "[org/gnome/desktop/session]\nidle-delay=uint32 1200\n");
  EXPECT_FALSE(*PolicySettingsPresent(root_, lock));
  Install(lock);
  EXPECT_TRUE(*PolicySettingsPresent(root_, lock)) << "installing again repairs it";
}

TEST_F(SettingAppliersTest, ReadingBackRefusesUnknownSettingsAndValuesGroundcrewNeverWrites) {
  Result<std::optional<SettingValue>> unknown = DetectSetting(root_, "screenLockMinutes");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().message, "screenLockMinutes is not a setting of the catalog");

  WriteText(Path("/etc/security/pwquality.conf.d/50-groundcrew.conf"), "minlen = twelve\n");
  EXPECT_EQ(Read("passwordQuality.minimumLength"),
            "error: /etc/security/pwquality.conf.d/50-groundcrew.conf: minlen is \"twelve\", which "
            "groundcrew does not write");
  WriteText(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock"),
            "[org/gnome/desktop/session]\nidle-delay=uint32 90\n");
  EXPECT_EQ(Read("screenLock.idleMinutes"),
            "error: /etc/dconf/db/local.d/50-groundcrew-screen-lock: idle-delay is \"uint32 90\", "
            "which groundcrew does not write");
}

TEST_F(SettingAppliersTest, ARecordThatIsNotOneStopsEveryChangeNamingItsFile) {
  WriteText(Path("/etc/groundcrew/policies/old.json"), R"({"screenLockMinutes": 5})");
  Result<SettingsChange> change =
      InstallPolicySettings(root_, Policy("pol-1", "Screen lock", {{"screenLock.enabled", true}}));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().message,
            Path("/etc/groundcrew/policies/old.json").string() +
                " is not a policy record (displayName: expected a string): uninstall that policy "
                "or remove the file");
  // Uninstalling that policy removes it.
  ASSERT_TRUE(UninstallPolicySettings(root_, "old"));
  Install(Policy("pol-1", "Screen lock", {{"screenLock.enabled", true}}));

  Result<PolicyRecord> bad = DecodePolicyRecord(
      "x", R"({"displayName":"X","version":1,"settings":{"screenLock.idleMinutes":0}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "settings.screenLock.idleMinutes: must be a whole number from 1 to 60");
}

TEST_F(SettingAppliersTest, AUsersScreenLockGoesToTheirOwnDatabaseAndTheRestToTheDevice) {
  const PolicyRecord sales = UserPolicy("pol-u", "Contoso sales desktop",
                                        {{"screenLock.enabled", true},
                                         {"screenLock.idleMinutes", std::int64_t{5}},
                                         {"ssh.passwordAuthentication", false}},
                                        kAda.name, kAda.uid);
  Install(sales);

  const fs::path record = PolicyRecordPath(root_, "pol-u", "ada-lovelace");
  EXPECT_EQ(record, Path("/etc/groundcrew/policies/users/ada-lovelace/pol-u.json"));
  EXPECT_EQ(ModeOf(record), 0600);
  EXPECT_EQ(ReadText(record),
            R"({"displayName":"Contoso sales desktop","version":2,"settings":{)"
            R"("screenLock.enabled":true,"screenLock.idleMinutes":5,)"
            R"("ssh.passwordAuthentication":false},"user":{"name":"ada-lovelace","uid":1000}})"
            "\n");
  EXPECT_EQ(*DecodePolicyRecord("pol-u", ReadText(record)), sales);

  // The screen lock is hers only: her database, named by her mandatory profile.
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/groundcrew-user-1000.d/50-groundcrew-screen-lock")),
            H("[org/gnome/desktop/session]\nidle-delay=uint32 300\n\n"
              "[org/gnome/desktop/screensaver]\nlock-enabled=true\nlock-delay=uint32 0\n"));
  EXPECT_EQ(ReadText(Path("/etc/dconf/db/groundcrew-user-1000.d/locks/50-groundcrew-screen-lock")),
            H("/org/gnome/desktop/session/idle-delay\n/org/gnome/desktop/screensaver/lock-enabled\n"
              "/org/gnome/desktop/screensaver/lock-delay\n"));
  EXPECT_EQ(ReadText(Path("/run/dconf/user/1000")),
            "user-db:user\nsystem-db:groundcrew-user-1000\n");
  EXPECT_EQ(ModeOf(Path("/run/dconf/user/1000")), 0644);
  EXPECT_EQ(ReadText(Path("/etc/tmpfiles.d/groundcrew-dconf.conf")),
            H("d /run/dconf/user 0755 root root -\n"
              "f+ /run/dconf/user/1000 0644 root root - "
              "user-db:user\\nsystem-db:groundcrew-user-1000\\n\n"));
  EXPECT_FALSE(fs::exists(Path("/etc/dconf/db/local.d/50-groundcrew-screen-lock")));
  EXPECT_EQ(Read("screenLock.idleMinutes"), "unset") << "the device's own screen lock";
  EXPECT_EQ(Read("screenLock.idleMinutes", &kAda), "5");
  EXPECT_EQ(Read("screenLock.idleMinutes", &kGrace), "unset");
  // SSH is the device's, whoever the policy is assigned to.
  EXPECT_EQ(Read("ssh.passwordAuthentication"), "false");
  EXPECT_EQ(Read("ssh.passwordAuthentication", &kAda), "false");
  EXPECT_TRUE(*PolicySettingsPresent(root_, sales));
  PolicyRecord as_device = sales;
  as_device.user.reset();
  EXPECT_FALSE(*PolicySettingsPresent(root_, as_device)) << "no device record";

  // A device policy's screen lock is every user's: hers gets the device's database after her own.
  Install(Policy("pol-1", "Contoso baseline", {{"screenLock.enabled", true}}));
  EXPECT_EQ(ReadText(Path("/etc/dconf/profile/user")), "user-db:user\nsystem-db:local\n");
  EXPECT_EQ(ReadText(Path("/run/dconf/user/1000")),
            "user-db:user\nsystem-db:groundcrew-user-1000\nsystem-db:local\n");
  EXPECT_EQ(Read("screenLock.enabled"), "true");
  EXPECT_EQ(Read("screenLock.idleMinutes"), "unset");

  Result<std::vector<PolicyRecord>> records = ReadPolicyRecords(root_);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].policy_id, "pol-1") << "the device's records first";
  EXPECT_EQ((*records)[1], sales);
  EXPECT_EQ(SettingsInForce(*records),
            (PolicySettings{{"screenLock.enabled", true}, {"ssh.passwordAuthentication", false}}));
  EXPECT_EQ(
      UserSettingsInForce(*records, "ada-lovelace"),
      (PolicySettings{{"screenLock.enabled", true}, {"screenLock.idleMinutes", std::int64_t{5}}}));

  // Applying the same again changes nothing.
  Result<SettingsChange> again = InstallPolicySettings(root_, sales);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->written.empty() && again->removed.empty());
}

TEST_F(SettingAppliersTest, UsersConflictWithTheDeviceAndWithEachOtherOnlyOnDeviceSettings) {
  Install(Policy("pol-1", "Contoso baseline", {{"screenLock.idleMinutes", std::int64_t{10}}}));
  Result<SettingsChange> change = InstallPolicySettings(
      root_, UserPolicy("pol-u", "Sales desktop", {{"screenLock.idleMinutes", std::int64_t{5}}},
                        kAda.name, kAda.uid));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().message,
            "Setting screenLock.idleMinutes is 10 in \"Contoso baseline\" and 5 in \"Sales "
            "desktop\"")
      << "the device's screen lock is locked for every user";
  EXPECT_FALSE(fs::exists(PolicyRecordPath(root_, "pol-u", kAda.name)));
  EXPECT_FALSE(fs::exists(Path("/run/dconf/user/1000")));
  ASSERT_TRUE(UninstallPolicySettings(root_, "pol-1"));

  // Two users' screen locks are each their own...
  Install(UserPolicy("pol-u", "Sales desktop",
                     {{"screenLock.idleMinutes", std::int64_t{5}}, {"sysctl.ipForwarding", false}},
                     kAda.name, kAda.uid));
  Install(UserPolicy("pol-k", "Kiosk lock", {{"screenLock.idleMinutes", std::int64_t{15}}},
                     kGrace.name, kGrace.uid));
  EXPECT_EQ(Read("screenLock.idleMinutes", &kAda), "5");
  EXPECT_EQ(Read("screenLock.idleMinutes", &kGrace), "15");
  // The baseline's profile stays (groundcrew never removes it), so theirs name the local database.
  EXPECT_EQ(ReadText(Path("/etc/tmpfiles.d/groundcrew-dconf.conf")),
            H("d /run/dconf/user 0755 root root -\n"
              "f+ /run/dconf/user/1000 0644 root root - "
              "user-db:user\\nsystem-db:groundcrew-user-1000\\nsystem-db:local\\n\n"
              "f+ /run/dconf/user/1001 0644 root root - "
              "user-db:user\\nsystem-db:groundcrew-user-1001\\nsystem-db:local\\n\n"));
  // ...but the device is one: a device setting two users' policies disagree on is a conflict.
  change = InstallPolicySettings(
      root_,
      UserPolicy("pol-r", "Routers", {{"sysctl.ipForwarding", true}}, kGrace.name, kGrace.uid));
  ASSERT_FALSE(change);
  EXPECT_EQ(change.error().message,
            "Setting sysctl.ipForwarding is false in \"Sales desktop\" and true in \"Routers\"");
  // The same policy for both users is two records.
  Install(UserPolicy("pol-k", "Kiosk lock", {{"screenLock.idleMinutes", std::int64_t{5}}},
                     kAda.name, kAda.uid));
  Result<std::vector<PolicyRecord>> records = ReadPolicyRecords(root_);
  ASSERT_TRUE(records) << records.error().message;
  ASSERT_EQ(records->size(), 3u);
  EXPECT_EQ((*records)[0].policy_id, "pol-k");
  EXPECT_EQ((*records)[0].user, kAda);
  EXPECT_EQ((*records)[1].policy_id, "pol-u");
  EXPECT_EQ((*records)[2].user, kGrace);
}

TEST_F(SettingAppliersTest, AUsersLastPolicyGoneTakesTheirDatabaseAndProfileWithIt) {
  Install(UserPolicy("pol-u", "Sales desktop", {{"screenLock.idleMinutes", std::int64_t{5}}},
                     kAda.name, kAda.uid));
  Install(UserPolicy("pol-k", "Kiosk lock", {{"screenLock.enabled", true}}, kAda.name, kAda.uid));
  Install(
      UserPolicy("pol-k", "Kiosk lock", {{"screenLock.enabled", true}}, kGrace.name, kGrace.uid));
  WriteText(Path("/etc/dconf/db/groundcrew-user-1000"), "compiled by dconf update");

  ASSERT_TRUE(UninstallPolicySettings(root_, "pol-u", kAda.name));
  EXPECT_EQ(Read("screenLock.idleMinutes", &kAda), "unset");
  EXPECT_EQ(Read("screenLock.enabled", &kAda), "true") << "Kiosk lock still sets it";
  EXPECT_TRUE(fs::exists(Path("/run/dconf/user/1000")));

  Result<SettingsChange> change = UninstallPolicySettings(root_, "pol-k", kAda.name);
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_FALSE(fs::exists(PolicyRecordPath(root_, "pol-k", kAda.name)));
  EXPECT_TRUE(fs::exists(PolicyRecordPath(root_, "pol-k", kGrace.name)));
  for (const std::string gone : {"/etc/dconf/db/groundcrew-user-1000.d",
                                 "/etc/dconf/db/groundcrew-user-1000", "/run/dconf/user/1000"}) {
    EXPECT_FALSE(fs::exists(Path(gone))) << gone;
  }
  EXPECT_EQ(change->removed,
            (std::vector<std::string>{
                "/etc/dconf/db/groundcrew-user-1000.d/50-groundcrew-screen-lock",
                "/etc/dconf/db/groundcrew-user-1000.d/locks/50-groundcrew-screen-lock",
                "/etc/dconf/db/groundcrew-user-1000", "/run/dconf/user/1000"}));
  EXPECT_EQ(ReadText(Path("/etc/tmpfiles.d/groundcrew-dconf.conf")),
            H("d /run/dconf/user 0755 root root -\n"
              "f+ /run/dconf/user/1001 0644 root root - "
              "user-db:user\\nsystem-db:groundcrew-user-1001\\n\n"));

  // A mandatory profile someone else wrote is theirs, and stays.
  WriteText(Path("/run/dconf/user/1001"), "user-db:user\nsystem-db:site\n");
  ASSERT_TRUE(UninstallPolicySettings(root_, "pol-k", kGrace.name));
  EXPECT_EQ(ReadText(Path("/run/dconf/user/1001")), "user-db:user\nsystem-db:site\n");
  EXPECT_FALSE(fs::exists(Path("/etc/tmpfiles.d/groundcrew-dconf.conf")));
  EXPECT_FALSE(fs::exists(Path("/etc/dconf/db/groundcrew-user-1001.d")));
}

TEST_F(SettingAppliersTest, AUsersRecordMustNameThemAndLiveInTheirFolder) {
  Result<PolicyRecord> bad = DecodePolicyRecord(
      "x", R"({"displayName":"X","version":1,"settings":{},"user":{"name":"ada","uid":-1}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "user.uid: expected a user id");
  bad = DecodePolicyRecord(
      "x", R"({"displayName":"X","version":1,"settings":{},"user":{"name":"../etc","uid":1}})");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field, "user.name");

  WriteText(Path("/etc/groundcrew/policies/users/grace-hopper/pol-u.json"),
            EncodePolicyRecord(UserPolicy("pol-u", "Sales desktop", {}, kAda.name, kAda.uid)));
  Result<std::vector<PolicyRecord>> records = ReadPolicyRecords(root_);
  ASSERT_FALSE(records);
  EXPECT_EQ(records.error().message,
            Path("/etc/groundcrew/policies/users/grace-hopper/pol-u.json").string() +
                " is not a policy record (not grace-hopper's record): uninstall that policy or "
                "remove the file");
}

// ---- On a real Debian 12 root, with its own tools ----

// Runs `command` with /bin/sh; its output and whether it exited 0.
std::pair<bool, std::string> Shell(const std::string& command) {
  std::string output;
  Result<ShellOutcome> outcome = RunShell(
      ShellCommand{
          command, "/", {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, std::chrono::minutes(5), {}},
      [&](std::string_view line) { (output += line) += '\n'; });
  const bool ok = outcome && outcome->end == ShellOutcome::End::kExited && outcome->exit_code == 0;
  return {ok, output};
}

TEST(SettingAppliersOnDebianTest, EverySettingPassesTheRootsOwnToolsAndARefusalPutsTheFileBack) {
  TempDir base;
  const fs::path dir = base.path() / "debian";
  if (const std::string skip = test_support::UnpackDebianRoot(dir); !skip.empty()) {
    GTEST_SKIP() << skip;
  }
  const DeviceRoot root(dir);
  const std::string chroot = "chroot '" + dir.string() + "' ";

  const PolicyRecord baseline = Policy("pol-1", "Contoso baseline", EverySetting());
  Result<SettingsChange> change = InstallPolicySettings(root, baseline);
  ASSERT_TRUE(change) << change.error().message;
  for (const std::string note :
       {"/etc/ssh/sshd_config.d/50-groundcrew.conf checked with sshd -t",
        "/etc/groundcrew/firewall.nft checked with nft -c -f",
        "/etc/sudoers.d/groundcrew checked with visudo -cf", "ran dconf update",
        "ran systemctl enable groundcrew-firewall.service"}) {
    EXPECT_NE(std::find(change->notes.begin(), change->notes.end(), note), change->notes.end())
        << note;
  }
  for (const auto& [path, expected] : EverySettingFiles()) {
    EXPECT_EQ(ReadText(root.Under(path)), expected.first) << path;
  }
  for (const std::string check :
       {"sshd -t", "visudo -c", "nft -c -f /etc/groundcrew/firewall.nft"}) {
    const auto [ok, output] = Shell(chroot + check);
    EXPECT_TRUE(ok) << check << ": " << output;
  }
  const auto [sshd_ok, sshd_config] = Shell(chroot + "sshd -T");
  EXPECT_NE(sshd_config.find("passwordauthentication yes"), std::string::npos) << sshd_config;
  // sshd -T spells prohibit-password by its older name.
  EXPECT_NE(sshd_config.find("permitrootlogin without-password"), std::string::npos);
  EXPECT_NE(sshd_config.find("banner /etc/groundcrew/login-banner"), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(root.Under("/etc/dconf/db/local"))) << "dconf update compiled it";
  // A user's session (the profile "user") reads the policy's value from the compiled database.
  const auto [read_ok, idle_delay] =
      Shell(chroot + "env HOME=/root dconf read /org/gnome/desktop/session/idle-delay");
  EXPECT_EQ(idle_delay, "uint32 600\n");
  EXPECT_TRUE(fs::exists(root.Under("/run/sshd")));
  // The firewall is loaded at boot by its unit, which systemd accepts.
  EXPECT_TRUE(fs::is_symlink(
      root.Under("/etc/systemd/system/sysinit.target.wants/groundcrew-firewall.service")));
  const auto [unit_ok, unit_output] =
      Shell(chroot + "systemd-analyze verify /etc/systemd/system/groundcrew-firewall.service");
  EXPECT_TRUE(unit_ok) << unit_output;

  // sshd -t checks the whole configuration: a broken drop-in beside ours makes it refuse, and
  // ours is put back as it was (a bad value cannot come through the catalog).
  WriteText(root.Under("/etc/ssh/sshd_config.d/10-broken.conf"), "NotAnOption yes\n");
  PolicyRecord changed = baseline;
  changed.settings["ssh.passwordAuthentication"] = false;
  const std::string ssh_before = ReadText(root.Under("/etc/ssh/sshd_config.d/50-groundcrew.conf"));
  const std::string record_before = ReadText(PolicyRecordPath(root, "pol-1"));
  Result<SettingsChange> refused = InstallPolicySettings(root, changed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "SSH: sshd -t refused /etc/ssh/sshd_config.d/50-groundcrew.conf: "
            "/etc/ssh/sshd_config.d/10-broken.conf: line 1: Bad configuration option: NotAnOption "
            "(exit status 255); the previous file was put back");
  EXPECT_EQ(ReadText(root.Under("/etc/ssh/sshd_config.d/50-groundcrew.conf")), ssh_before);
  EXPECT_EQ(ReadText(PolicyRecordPath(root, "pol-1")), record_before) << "the record is put back";
  fs::remove(root.Under("/etc/ssh/sshd_config.d/10-broken.conf"));

  // No user name of the catalog makes visudo refuse a file: a visudo that refuses every file
  // (standing in for the real one) shows the candidate never replaces the old file.
  const fs::path visudo = root.Under("/usr/sbin/visudo");
  fs::rename(visudo, root.Under("/usr/sbin/visudo.real"));
  WriteText(visudo, "#!/bin/sh\necho \"$2:1:1: syntax error\" >&2\nexit 1\n");
  fs::permissions(visudo, fs::perms(0755));
  const std::string sudoers_before = ReadText(root.Under("/etc/sudoers.d/groundcrew"));
  changed = baseline;
  changed.settings["localAdministrators.users"] = Names{"carol"};
  refused = InstallPolicySettings(root, changed);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "local administrators: visudo -cf refused /etc/sudoers.d/groundcrew: "
            "/etc/sudoers.d/groundcrew:1:1: syntax error (exit status 1)");
  EXPECT_EQ(ReadText(root.Under("/etc/sudoers.d/groundcrew")), sudoers_before);
  EXPECT_FALSE(fs::exists(root.Under("/etc/sudoers.d/.groundcrew.candidate")));
  fs::rename(root.Under("/usr/sbin/visudo.real"), visudo);

  // Uninstalled, the root's tools still accept what is left, and dconf drops the keys.
  Result<SettingsChange> removed = UninstallPolicySettings(root, "pol-1");
  ASSERT_TRUE(removed) << removed.error().message;
  for (const std::string check : {"sshd -t", "visudo -c"}) {
    const auto [ok, output] = Shell(chroot + check);
    EXPECT_TRUE(ok) << check << ": " << output;
  }
  EXPECT_FALSE(fs::exists(root.Under("/etc/sudoers.d/groundcrew")));
  const auto [unset_ok, unset_delay] =
      Shell(chroot + "env HOME=/root dconf read /org/gnome/desktop/session/idle-delay");
  EXPECT_EQ(unset_delay, "") << "dconf update dropped the key";

  // The firewall turned off is a file nft accepts too.
  Result<SettingsChange> off = InstallPolicySettings(
      root, Policy("pol-2", "Firewall off",
                   {{"firewall.enabled", false}, {"firewall.allowedInboundTcpPorts", Ports{22}}}));
  ASSERT_TRUE(off) << off.error().message;
  const auto [off_ok, off_output] = Shell(chroot + "nft -c -f /etc/groundcrew/firewall.nft");
  EXPECT_TRUE(off_ok) << off_output;
}

TEST(SettingAppliersOnDebianTest, AUsersSessionReadsTheirScreenLockAndOthersDoNot) {
  TempDir base;
  const fs::path dir = base.path() / "debian";
  if (const std::string skip = test_support::UnpackDebianRoot(dir); !skip.empty()) {
    GTEST_SKIP() << skip;
  }
  const DeviceRoot root(dir);
  const std::string chroot = "chroot '" + dir.string() + "' ";
  // What a session of `uid` reads (dconf reads the compiled databases itself: no D-Bus needed).
  const auto read_as = [&](uid_t uid, std::string_view key) {
    return Shell(fmt::format("{0}setpriv --reuid={1} --regid={1} --clear-groups env "
                             "HOME=/tmp/home-{1} dconf read {2}",
                             chroot, uid, key))
        .second;
  };
  constexpr std::string_view kIdle = "/org/gnome/desktop/session/idle-delay";
  constexpr std::string_view kLock = "/org/gnome/desktop/screensaver/lock-enabled";

  ASSERT_TRUE(InstallPolicySettings(
      root, Policy("pol-1", "Contoso baseline", {{"screenLock.enabled", true}})));
  Result<SettingsChange> change = InstallPolicySettings(
      root, UserPolicy("pol-u", "Sales desktop", {{"screenLock.idleMinutes", std::int64_t{5}}},
                       kAda.name, kAda.uid));
  ASSERT_TRUE(change) << change.error().message;
  EXPECT_NE(std::find(change->notes.begin(), change->notes.end(), "ran dconf update"),
            change->notes.end());
  EXPECT_TRUE(fs::is_regular_file(root.Under("/etc/dconf/db/groundcrew-user-1000")));
  EXPECT_EQ(read_as(1000, kIdle), "uint32 300\n") << "her own database";
  EXPECT_EQ(read_as(1000, kLock), "true\n") << "and the device's, under hers";
  EXPECT_EQ(read_as(1001, kIdle), "") << "another user has the system's default";
  EXPECT_EQ(read_as(1001, kLock), "true\n");
  // Locked, so her session cannot change it.
  const auto [locks_ok, locks] =
      Shell(chroot +
            "setpriv --reuid=1000 --regid=1000 --clear-groups env HOME=/tmp/home-1000 "
            "dconf list-locks /org/gnome/desktop/session/");
  EXPECT_EQ(locks, "/org/gnome/desktop/session/idle-delay\n");

  // /run is empty at boot: the tmpfiles.d line makes her profile again, the same.
  const std::string profile = ReadText(root.Under("/run/dconf/user/1000"));
  fs::remove_all(root.Under("/run/dconf"));
  EXPECT_EQ(read_as(1000, kIdle), "") << "without her profile";
  const auto [made, output] = Shell(
      fmt::format("systemd-tmpfiles --root='{}' --create groundcrew-dconf.conf", dir.string()));
  ASSERT_TRUE(made) << output;
  EXPECT_EQ(ReadText(root.Under("/run/dconf/user/1000")), profile);
  EXPECT_EQ(read_as(1000, kIdle), "uint32 300\n");

  // Her last policy gone, her session has the system's default again.
  ASSERT_TRUE(UninstallPolicySettings(root, "pol-u", kAda.name));
  EXPECT_EQ(read_as(1000, kIdle), "");
  EXPECT_EQ(read_as(1000, kLock), "true\n");
  EXPECT_FALSE(fs::exists(root.Under("/etc/dconf/db/groundcrew-user-1000")));
}

}  // namespace
}  // namespace groundcrew::executor
