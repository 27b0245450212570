#include "server/daemon/startup.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>

#include "tests/support/files.hpp"

namespace groundcrew::daemon {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

unsigned Mode(const fs::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return static_cast<unsigned>(info.st_mode) & 07777;
}

/// A small tmpfs mounted on a fresh folder, for the read-only and full-disk cases. Mounting
/// needs root (CI and these machines run the tests as root); elsewhere the tests that need it
/// skip, saying so.
class SmallDisk {
 public:
  SmallDisk(const fs::path& where, const std::string& size) : path_(where) {
    fs::create_directories(path_);
    const std::string options = "size=" + size + ",mode=0700";
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, options.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  bool MakeReadOnly() {
    return ::mount(nullptr, path_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool mounted_ = false;
};

TEST(DataDirLockTest, OneGroundcrewdPerDataDirectory) {
  TempDir dir;
  auto first = DataDirLock::Take(dir.path());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(Mode(dir.path() / "groundcrewd.lock"), 0600u);
  // flock locks belong to the open file description: a second open in this process conflicts
  // as another process's would.
  auto second = DataDirLock::Take(dir.path());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(second.error().field, "dataDir");
  EXPECT_NE(second.error().message.find("another groundcrewd (process " +
                                        std::to_string(::getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  // Released with the holder: the next one takes it.
  { DataDirLock released = std::move(*first); }
  EXPECT_TRUE(DataDirLock::Take(dir.path()));
}

TEST(StartupTest, ModesAreRestrictedToTheOwner) {
  TempDir dir;
  fs::create_directories(dir.path() / "content" / "ab");
  std::ofstream(dir.path() / "groundcrew.db") << "x";
  std::ofstream(dir.path() / "content" / "ab" / "abcd") << "y";
  fs::permissions(dir.path() / "groundcrew.db", static_cast<fs::perms>(0644));
  fs::permissions(dir.path() / "content" / "ab" / "abcd", static_cast<fs::perms>(0644));
  fs::permissions(dir.path() / "content", static_cast<fs::perms>(0755));
  fs::permissions(dir.path(), static_cast<fs::perms>(0755));
  auto changed = RestrictModes(dir.path());
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(*changed, 5);
  EXPECT_EQ(Mode(dir.path()), 0700u);
  EXPECT_EQ(Mode(dir.path() / "groundcrew.db"), 0600u);
  EXPECT_EQ(Mode(dir.path() / "content"), 0700u);
  EXPECT_EQ(Mode(dir.path() / "content" / "ab"), 0700u);
  EXPECT_EQ(Mode(dir.path() / "content" / "ab" / "abcd"), 0600u);
  EXPECT_EQ(*RestrictModes(dir.path()), 0);  // nothing left to change
}

TEST(StartupTest, ListenNamesAreResolved) {
  EXPECT_EQ(*ResolveListenAddress("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(*ResolveListenAddress("localhost"), "127.0.0.1");
  auto unknown = ResolveListenAddress("no-such-host.invalid");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field, "listen");
  EXPECT_NE(unknown.error().message.find("no-such-host.invalid"), std::string::npos);
}

TEST(StartupTest, AReadOnlyDataDirectoryIsRefusedWithTheReason) {
  TempDir dir;
  SmallDisk disk(dir.path() / "disk", "32m");
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root; not run here";
  EXPECT_TRUE(CheckWritable(disk.path()));
  EXPECT_TRUE(CheckReady(disk.path()));
  ASSERT_TRUE(disk.MakeReadOnly());
  Status writable = CheckWritable(disk.path());
  ASSERT_FALSE(writable);
  EXPECT_EQ(writable.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(writable.error().message.find("Read-only file system"), std::string::npos)
      << writable.error().message;
  EXPECT_FALSE(CheckReady(disk.path()));
  EXPECT_FALSE(DataDirLock::Take(disk.path()));
}

TEST(StartupTest, AFullDiskIsNotReady) {
  TempDir dir;
  SmallDisk disk(dir.path() / "disk", "4m");
  if (!disk.mounted()) GTEST_SKIP() << "mounting a tmpfs needs root; not run here";
  // 4 MiB in all: under kMinimumFreeBytes even when empty.
  Status ready = CheckReady(disk.path());
  ASSERT_FALSE(ready);
  EXPECT_NE(ready.error().message.find("bytes free"), std::string::npos) << ready.error().message;
}

}  // namespace
}  // namespace groundcrew::daemon
