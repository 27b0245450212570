#include "debian_archive/deb_file.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/debs.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::debian_archive {
namespace {

using test_support::BuildDeb;
using test_support::ControlText;
using test_support::ReadText;
using test_support::TempDir;

TEST(DebFileTest, ReadsTheControlFieldsOfARealPackage) {
  TempDir dir;
  for (const std::string compression : {"", "gzip", "xz", "zstd", "none"}) {
    const auto deb = BuildDeb(dir.path(), "gc-demo_" + compression + ".deb",
                              ControlText("gc-demo", "1:1.2~rc1-3", "all", "jq (>= 1.6)"),
                              {{"usr/share/gc-demo/README", "hello\n"}}, compression);
    ASSERT_FALSE(deb.empty());
    Result<DebControl> control = ReadDebControlFile(deb);
    ASSERT_TRUE(control) << compression << ": " << control.error().message;
    EXPECT_EQ(control->package, "gc-demo");
    EXPECT_EQ(control->version, "1:1.2~rc1-3");
    EXPECT_EQ(control->architecture, "all");
    EXPECT_EQ(control->depends, "jq (>= 1.6)");
    Result<DebControl> from_memory = ReadDebControl(ReadText(deb));
    ASSERT_TRUE(from_memory) << from_memory.error().message;
    EXPECT_EQ(from_memory->package, "gc-demo");
  }
}

TEST(DebFileTest, RefusesWhatIsNotADebianPackageWithTheReason) {
  TempDir dir;
  const auto good = BuildDeb(dir.path(), "good.deb", ControlText("gc-demo", "1.0", "all"));
  ASSERT_FALSE(good.empty());
  const std::string bytes = ReadText(good);

  Result<DebControl> text = ReadDebControl("#!/bin/sh\necho hello\n");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(text.error().message,
            "not a Debian package: it does not start with the ar archive signature "
            "\"!<arch>\\n\"");
  EXPECT_EQ(ReadDebControl("").error().message, text.error().message);

  // Cut in the middle of the control member.
  Result<DebControl> truncated = ReadDebControl(std::string_view(bytes).substr(0, 150));
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message,
            "not a Debian package: the archive is truncated or damaged (Truncated ar archive)");
  EXPECT_EQ(ReadDebControl("!<arch>\n").error().message,
            "not a Debian package: the ar archive is empty");

  // An ar archive of something else.
  std::string other = "!<arch>\n";
  other += "hello.txt/      0           0     0     100644  6         `\nhello\n";
  EXPECT_EQ(ReadDebControl(other).error().message,
            "not a Debian package: its first member is \"hello.txt\", not \"debian-binary\"");
}

TEST(DebFileTest, RefusesAControlFileWithoutPackageOrVersionOrWithABadOne) {
  TempDir dir;
  const auto read = [&](const std::string& name, const std::string& control) {
    const auto deb = BuildDeb(dir.path(), name, control);
    EXPECT_FALSE(deb.empty());
    Result<DebControl> read = ReadDebControlFile(deb);
    EXPECT_FALSE(read) << name;
    return read ? std::string("read") : read.error().message;
  };
  EXPECT_EQ(read("no-version.deb", "Package: gc-demo\nArchitecture: all\nDescription: x\n"),
            "the control file has no Version field");
  EXPECT_EQ(read("no-package.deb", "Version: 1.0\nArchitecture: all\nDescription: x\n"),
            "the control file has no Package field");
  EXPECT_EQ(read("no-arch.deb", "Package: gc-demo\nVersion: 1.0\nDescription: x\n"),
            "the control file has no Architecture field");
  EXPECT_EQ(read("bad-version.deb", ControlText("gc-demo", "one.0", "all")),
            "the control file's Version: \"one.0\" is not a Debian version: the upstream "
            "version must start with a digit");
  EXPECT_EQ(read("bad-name.deb", ControlText("GC_Demo", "1.0", "all")),
            "the control file's Package \"GC_Demo\" is not a Debian package name: a package name "
            "starts with a lower-case letter or a digit");
}

TEST(DebFileTest, ArchitectureAllOrTheDevicesOwnInstalls) {
  EXPECT_TRUE(CheckArchitecture("all", "amd64"));
  EXPECT_TRUE(CheckArchitecture("amd64", "amd64"));
  const std::vector<std::string> foreign = {"i386"};
  EXPECT_TRUE(CheckArchitecture("i386", "amd64", foreign));
  Status arm = CheckArchitecture("arm64", "amd64");
  ASSERT_FALSE(arm);
  EXPECT_EQ(arm.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(arm.error().message,
            "the package is built for arm64; the device runs amd64 (a .deb must be built for "
            "\"all\" or amd64)");
  EXPECT_EQ(CheckArchitecture("arm64", "amd64", foreign).error().message,
            "the package is built for arm64; the device runs amd64 (a .deb must be built for "
            "\"all\" or amd64, i386)");

  TempDir dir;
  const auto deb = BuildDeb(dir.path(), "arm.deb", ControlText("gc-demo", "1.0", "arm64"));
  Result<DebControl> control = ReadDebControlFile(deb);
  ASSERT_TRUE(control);
  EXPECT_EQ(control->architecture, "arm64");
#if defined(__x86_64__)
  EXPECT_EQ(BuildArchitecture(), "amd64");
#endif
}

}  // namespace
}  // namespace groundcrew::debian_archive
