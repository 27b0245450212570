#include "device/executor/compliance_facts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;
using test_support::WriteText;

constexpr char kDebian[] =
    "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
    "NAME=\"Debian GNU/Linux\"\n"
    "VERSION_ID=\"12\"\n"
    "VERSION=\"12 (bookworm)\"\n"
    "# a comment\n"
    "ID=debian\n";

constexpr char kSecureBoot[] =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

// Catalog settings as a detector would read them; absent = no policy set it.
struct FakeSettings {
  std::map<std::string, core::SettingValue, std::less<>> values;
  std::vector<std::string> asked;

  SettingReader Reader() {
    return [this](std::string_view id) -> Result<std::optional<core::SettingValue>> {
      asked.emplace_back(id);
      const auto it = values.find(id);
      if (it == values.end()) return std::optional<core::SettingValue>();
      return std::optional<core::SettingValue>(it->second);
    };
  }
};

Result<core::DeviceFacts> Read(const fs::path& root) {
  FakeSettings none;
  return ReadComplianceFacts(DeviceRoot(root), none.Reader());
}

TEST(ComplianceFactsTest, NothingToReadReportsNothing) {
  TempDir root;
  Result<core::DeviceFacts> facts = Read(root.path());
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->os_id, "");
  EXPECT_EQ(facts->os_name, "");
  EXPECT_EQ(facts->os_version, "");
  EXPECT_FALSE(facts->storage_encrypted.has_value());
  EXPECT_FALSE(facts->secure_boot_enabled.has_value());
  EXPECT_FALSE(facts->firewall_active.has_value());
  EXPECT_FALSE(facts->screen_lock_enabled.has_value());
  EXPECT_FALSE(facts->screen_lock_idle_minutes.has_value());
  EXPECT_FALSE(facts->automatic_security_updates.has_value());
  EXPECT_FALSE(facts->password_minimum_length.has_value());
}

TEST(ComplianceFactsTest, DebiansPointReleaseComesFromDebianVersion) {
  TempDir root;
  WriteText(root.path() / "usr/lib/os-release", kDebian);
  fs::create_directories(root.path() / "etc");
  // As on Debian: /etc/os-release -> ../usr/lib/os-release.
  fs::create_symlink("../usr/lib/os-release", root.path() / "etc/os-release");
  Result<core::DeviceFacts> facts = Read(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_id, "debian");
  EXPECT_EQ(facts->os_name, "Debian GNU/Linux");
  EXPECT_EQ(facts->os_version, "12") << "VERSION_ID without debian_version";

  WriteText(root.path() / "etc/debian_version", "12.7\n");
  facts = Read(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_version, "12.7");

  WriteText(root.path() / "etc/debian_version", "trixie/sid\n");  // testing: not a version
  facts = Read(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_version, "12");
}

TEST(ComplianceFactsTest, OtherDistributionsKeepVersionIdAndValuesAreUnquoted) {
  TempDir root;
  WriteText(root.path() / "usr/lib/os-release",
            "NAME='Ubuntu'\nID=ubuntu\nVERSION_ID=\"24.04\"\nBROKEN LINE\n");
  WriteText(root.path() / "etc/debian_version", "trixie/sid\n");  // Ubuntu has one too
  Result<core::DeviceFacts> facts = Read(root.path());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->os_id, "ubuntu");
  EXPECT_EQ(facts->os_name, "Ubuntu");
  EXPECT_EQ(facts->os_version, "24.04");
}

TEST(ComplianceFactsTest, ParsesMountInfoWithOptionalFieldsAndEscapes) {
  const std::vector<MountInfoEntry> entries = ParseMountInfo(
      "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/mapper/vg-root rw,errors=remount-ro\n"
      "30 22 8:1 / /boot/efi rw - vfat /dev/sda1 rw\n"
      "41 22 0:38 / /media/USB\\040Stick\\134x rw,nosuid master:7 shared:9 - fuseblk "
      "/dev/sdb\\0401 rw\n"
      "not a mountinfo line\n"
      "50 22 0:40 / /mnt rw - \n");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].device_number, "254:1");
  EXPECT_EQ(entries[0].mount_point, "/");
  EXPECT_EQ(entries[0].fs_type, "ext4");
  EXPECT_EQ(entries[0].source, "/dev/mapper/vg-root");
  EXPECT_EQ(entries[1].mount_point, "/boot/efi");
  EXPECT_EQ(entries[2].mount_point, "/media/USB Stick\\x");
  EXPECT_EQ(entries[2].fs_type, "fuseblk");
  EXPECT_EQ(entries[2].source, "/dev/sdb 1");
}

// A fake sysfs block device: sys/class/block/NAME with dev/block/MAJ:MIN linking to it.
void BlockDevice(const fs::path& root, const std::string& name, const std::string& number,
                 const std::string& dm_uuid = "", const std::vector<std::string>& slaves = {}) {
  const fs::path device = root / "sys/devices/virtual/block" / name;
  WriteText(device / "uevent", "MAJOR=x\nDEVNAME=" + name + "\nDEVTYPE=disk\n");
  if (!dm_uuid.empty()) WriteText(device / "dm/uuid", dm_uuid + "\n");
  fs::create_directories(device / "slaves");
  for (const std::string& slave : slaves) {
    fs::create_symlink("../../" + slave, device / "slaves" / slave);
  }
  fs::create_directories(root / "sys/class/block");
  fs::create_directories(root / "sys/dev/block");
  fs::create_symlink("../../devices/virtual/block/" + name, root / "sys/class/block" / name);
  fs::create_symlink("../../devices/virtual/block/" + name, root / "sys/dev/block" / number);
}

void MountRootOn(const fs::path& root, const std::string& number, const std::string& source) {
  WriteText(root / "proc/self/mountinfo",
            "1 0 0:20 / /proc rw - proc proc rw\n"
            "22 1 " +
                number + " / / rw,relatime shared:1 - ext4 " + source +
                " rw\n"
                "30 22 0:30 / /home/a\\040b rw - tmpfs tmpfs rw\n");
}

TEST(ComplianceFactsTest, RootOnLvmOnLuksIsEncryptedThroughTheSlaves) {
  TempDir dir;
  const fs::path& root = dir.path();
  BlockDevice(root, "sda", "8:0");
  BlockDevice(root, "dm-0", "254:0", "CRYPT-LUKS2-4f3c9a1e5b7d4c2a8e6f0b1d3c5a7e9f-luks", {"sda"});
  BlockDevice(root, "dm-1", "254:1", "LVM-abcdef0123456789", {"dm-0"});
  MountRootOn(root, "254:1", "/dev/mapper/vg-root");
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->storage_encrypted, true);
}

TEST(ComplianceFactsTest, RootOnAPlainDiskOrLvmAloneIsNotEncrypted) {
  TempDir dir;
  const fs::path& root = dir.path();
  BlockDevice(root, "sda", "8:0");
  BlockDevice(root, "dm-0", "254:0", "LVM-abcdef0123456789", {"sda"});
  MountRootOn(root, "254:0", "/dev/mapper/vg-root");
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->storage_encrypted, false);

  MountRootOn(root, "8:0", "/dev/sda");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->storage_encrypted, false);
}

TEST(ComplianceFactsTest, PlainDmCryptCountsAndTheLastRootMountWins) {
  TempDir dir;
  const fs::path& root = dir.path();
  BlockDevice(root, "sda", "8:0");
  BlockDevice(root, "dm-3", "254:3", "CRYPT-PLAIN-cryptroot", {"sda"});
  // The initramfs's root, then the real one mounted over it.
  WriteText(root / "proc/self/mountinfo",
            "10 1 8:0 / / rw - ext4 /dev/sda rw\n"
            "22 10 254:3 / / rw - ext4 /dev/mapper/cryptroot rw\n");
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->storage_encrypted, true);
}

TEST(ComplianceFactsTest, AnonymousDeviceNumbersFallBackToTheMountSource) {
  TempDir dir;
  const fs::path& root = dir.path();
  BlockDevice(root, "sda", "8:0");
  BlockDevice(root, "dm-0", "254:0", "CRYPT-LUKS1-0123456789abcdef-root", {"sda"});
  // btrfs: the mount's device number is anonymous (0:31); its source names the device.
  fs::create_directories(root / "dev/mapper");
  fs::create_symlink("../dm-0", root / "dev/mapper/root");
  MountRootOn(root, "0:31", "/dev/mapper/root");
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->storage_encrypted, true);
}

TEST(ComplianceFactsTest, AnUnknownRootDeviceIsNotReported) {
  TempDir dir;
  const fs::path& root = dir.path();
  MountRootOn(root, "254:9", "/dev/mapper/gone");  // nothing in sysfs
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_FALSE(facts->storage_encrypted.has_value());
  WriteText(root / "proc/self/mountinfo", "30 22 0:30 / /home rw - tmpfs tmpfs rw\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_FALSE(facts->storage_encrypted.has_value()) << "no \"/\" mount";
}

TEST(ComplianceFactsTest, SecureBootFromEfivarsOnOffAbsent) {
  TempDir dir;
  const fs::path& root = dir.path();
  fs::create_directories(root / "sys/kernel");  // sysfs is there
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->secure_boot_enabled, false);
  EXPECT_EQ(facts->secure_boot_note, "not EFI");

  fs::create_directories(root / "sys/firmware/efi/efivars");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->secure_boot_enabled, false);
  EXPECT_EQ(facts->secure_boot_note, "no SecureBoot variable");

  WriteText(root / kSecureBoot, std::string("\x06\x00\x00\x00\x01", 5));
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->secure_boot_enabled, true);
  EXPECT_EQ(facts->secure_boot_note, "");

  WriteText(root / kSecureBoot, std::string("\x06\x00\x00\x00\x00", 5));
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->secure_boot_enabled, false);
  EXPECT_EQ(facts->secure_boot_note, "");
}

TEST(ComplianceFactsTest, CatalogSettingsComeFromTheDetectors) {
  TempDir dir;
  FakeSettings settings;
  settings.values = {{"firewall.enabled", true},
                     {"screenLock.enabled", true},
                     {"screenLock.idleMinutes", std::int64_t{10}},
                     {"automaticUpdates.securityUpdates", false},
                     {"passwordQuality.minimumLength", std::int64_t{14}}};
  Result<core::DeviceFacts> facts = ReadComplianceFacts(DeviceRoot(dir.path()), settings.Reader());
  ASSERT_TRUE(facts) << facts.error().message;
  // A folder root: the table cannot be loaded into this kernel, so the setting stands.
  EXPECT_EQ(facts->firewall_active, true);
  EXPECT_EQ(facts->firewall_note, "");
  EXPECT_EQ(facts->screen_lock_enabled, true);
  EXPECT_EQ(facts->screen_lock_idle_minutes, 10);
  EXPECT_EQ(facts->automatic_security_updates, false);
  EXPECT_EQ(facts->password_minimum_length, 14);

  settings.values["firewall.enabled"] = false;
  facts = ReadComplianceFacts(DeviceRoot(dir.path()), settings.Reader());
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->firewall_active, false);
}

TEST(ComplianceFactsTest, ADetectorsErrorIsTheReadsError) {
  TempDir dir;
  const SettingReader broken =
      [](std::string_view id) -> Result<std::optional<core::SettingValue>> {
    return MakeError(ErrorCode::kUnavailable, "cannot read", std::string(id));
  };
  Result<core::DeviceFacts> facts = ReadComplianceFacts(DeviceRoot(dir.path()), broken);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(facts.error().field, "firewall.enabled");
}

TEST(ComplianceFactsTest, WithoutAPolicyThePasswordLengthIsPwqualitysOwn) {
  TempDir dir;
  const fs::path& root = dir.path();
  WriteText(root / "etc/security/pwquality.conf", "# minlen = 8\nminlen = 10 # ours\n");
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_FALSE(facts->password_minimum_length.has_value()) << "no PAM stack that uses it";

  WriteText(root / "etc/pam.d/common-password",
            "# password requisite pam_pwquality.so minlen=99\n"
            "password\trequisite\t\t\tpam_pwquality.so retry=3\n"
            "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n");
  // The .d files are read first, the main file last (libpwquality's order).
  WriteText(root / "etc/security/pwquality.conf.d/50-site.conf", "minlen = 16\n");
  WriteText(root / "etc/security/pwquality.conf.d/60-site.conf.disabled", "minlen = 30\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->password_minimum_length, 10);

  WriteText(root / "etc/security/pwquality.conf", "# minlen = 8\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->password_minimum_length, 16);

  WriteText(root / "etc/pam.d/common-password",
            "password requisite pam_pwquality.so retry=3 minlen=4\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->password_minimum_length, 6) << "the module's option, raised to 6";

  fs::remove(root / "etc/security/pwquality.conf.d/50-site.conf");
  WriteText(root / "etc/pam.d/common-password", "password requisite pam_pwquality.so\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_FALSE(facts->password_minimum_length.has_value()) << "minlen set nowhere";
}

TEST(ComplianceFactsTest, WithoutAPolicyAutomaticUpdatesAreAptsOwn) {
  TempDir dir;
  const fs::path& root = dir.path();
  Result<core::DeviceFacts> facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_FALSE(facts->automatic_security_updates.has_value()) << "no apt";

  WriteText(root / "etc/apt/apt.conf.d/20auto-upgrades",
            "APT::Periodic::Update-Package-Lists \"1\";\n"
            "APT::Periodic::Unattended-Upgrade \"1\";\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->automatic_security_updates, false) << "unattended-upgrades not installed";

  WriteText(root / "usr/bin/unattended-upgrade", "#!/usr/bin/python3\n");
  fs::permissions(root / "usr/bin/unattended-upgrade", fs::perms::owner_all);
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->automatic_security_updates, true);

  // Later parts win; apt ignores names with another extension.
  WriteText(root / "etc/apt/apt.conf.d/99off", "APT::Periodic::Unattended-Upgrade \"0\";\n");
  WriteText(root / "etc/apt/apt.conf.d/99on.dpkg-old",
            "APT::Periodic::Unattended-Upgrade \"1\";\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->automatic_security_updates, false);

  fs::remove(root / "etc/apt/apt.conf.d/99off");
  WriteText(root / "etc/apt/apt.conf", "APT::Periodic::Enable \"0\";\n");
  facts = Read(root);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->automatic_security_updates, false) << "periodic jobs off";
}

// The real Debian 12 root scripts/debian-root makes, when GROUNDCREW_DEBIAN_ROOT_TAR names it.
TEST(ComplianceFactsTest, ReadsARealDebianRoot) {
  TempDir dir;
  if (const std::string skip = test_support::UnpackDebianRoot(dir.path()); !skip.empty()) {
    GTEST_SKIP() << skip;
  }
  Result<core::DeviceFacts> facts = Read(dir.path());
  ASSERT_TRUE(facts) << facts.error().message;
  EXPECT_EQ(facts->os_id, "debian");
  EXPECT_EQ(facts->os_name, "Debian GNU/Linux");
  const std::string point = test_support::ReadText(dir.path() / "etc/debian_version");
  EXPECT_EQ(facts->os_version, point.substr(0, point.find('\n')));
  EXPECT_TRUE(facts->os_version.starts_with("12.")) << facts->os_version;
  // The root's own apt configuration: unattended-upgrades is installed and enabled.
  EXPECT_EQ(facts->automatic_security_updates, true);
  // pam_pwquality is in the stack but minlen is set nowhere: not reported.
  EXPECT_FALSE(facts->password_minimum_length.has_value());
  // An unpacked root has no /proc or /sys of its own.
  EXPECT_FALSE(facts->storage_encrypted.has_value());
  EXPECT_FALSE(facts->secure_boot_enabled.has_value());
}

}  // namespace
}  // namespace groundcrew::executor
