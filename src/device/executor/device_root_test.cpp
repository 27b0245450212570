#include "device/executor/device_root.hpp"

#include <gtest/gtest.h>

#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

TEST(DeviceRootTest, QuotesWordsForTheShell) {
  EXPECT_EQ(ShellQuote("dpkg-query"), "dpkg-query");
  EXPECT_EQ(ShellQuote("/tmp/root dir"), "'/tmp/root dir'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("${Package}"), "'${Package}'");
}

TEST(DeviceRootTest, RunsTheSystemsToolsDirectlyWhenTheRootIsSlash) {
  const DeviceRoot root("/");
  EXPECT_TRUE(root.IsSystemRoot());
  EXPECT_TRUE(root.HasTool("sh"));
  EXPECT_FALSE(root.HasTool("no-such-tool-here"));
  EXPECT_FALSE(root.HasTool("../bin/sh"));
  Result<ToolOutcome> run =
      root.Run({.argv = {"sh", "-c", "echo \"$LC_ALL\"; echo oops >&2; exit 3"}});
  ASSERT_TRUE(run.has_value()) << run.error().message;
  EXPECT_FALSE(run->ok());
  EXPECT_EQ(run->outcome.exit_code, 3);
  EXPECT_EQ(run->output, "C\noops\n");
  EXPECT_EQ(run->LastLine(), "oops");
  EXPECT_EQ(run->Describe(), "exit status 3: oops");
}

TEST(DeviceRootTest, FindsToolsThroughTheRootsOwnLinks) {
  test_support::TempDir dir;
  using test_support::WriteText;
  const DeviceRoot root(dir.path() / "root/");
  EXPECT_FALSE(root.IsSystemRoot());
  EXPECT_EQ(root.path(), dir.path() / "root");
  EXPECT_EQ(root.Under("/etc/ssh"), dir.path() / "root/etc/ssh");
  std::filesystem::create_directories(root.Under("usr/bin"));
  std::filesystem::create_directories(root.Under("usr/sbin"));
  // /usr/sbin/visudo -> /usr/bin/real-visudo: the absolute target is the root's.
  WriteText(root.Under("usr/bin/real-visudo"), "#!/bin/sh\n");
  std::filesystem::permissions(root.Under("usr/bin/real-visudo"),
                               std::filesystem::perms::owner_all);
  std::filesystem::create_symlink("/usr/bin/real-visudo", root.Under("usr/sbin/visudo"));
  EXPECT_TRUE(root.HasTool("visudo"));
  WriteText(root.Under("usr/bin/not-executable"), "");
  EXPECT_FALSE(root.HasTool("not-executable"));
  EXPECT_FALSE(root.HasTool("sh"));  // the machine's sh is not the root's
}

TEST(DeviceRootTest, ResolvesLinksInsideTheRoot) {
  test_support::TempDir dir;
  namespace fs = std::filesystem;
  const DeviceRoot root(dir.path() / "root");
  test_support::WriteText(root.Under("usr/lib/os-release"), "ID=debian\n");
  fs::create_directories(root.Under("etc"));
  fs::create_symlink("../usr/lib/os-release", root.Under("etc/os-release"));
  fs::create_symlink("/usr/lib", root.Under("etc/lib"));       // absolute: the root's
  fs::create_symlink("../../../../..", root.Under("etc/up"));  // cannot climb out
  fs::create_symlink("loop", root.Under("etc/loop"));
  EXPECT_EQ(root.Resolve("etc/os-release"), root.Under("usr/lib/os-release"));
  EXPECT_EQ(root.Resolve("/etc/lib/os-release"), root.Under("usr/lib/os-release"));
  EXPECT_EQ(root.Resolve("etc/up/etc/lib"), root.Under("usr/lib"));
  EXPECT_EQ(root.Resolve("etc/missing/../os-release"), root.Under("usr/lib/os-release"));
  EXPECT_EQ(root.Resolve("etc/loop"), root.Under("etc/loop"));  // gives up after 40 links
  EXPECT_EQ(DeviceRoot("/").Resolve("etc/os-release"), fs::path("/etc/os-release"));
}

TEST(DeviceRootTest, RefusesAnEmptyCommand) {
  const DeviceRoot root("/");
  Result<ToolOutcome> run = root.Run({});
  ASSERT_FALSE(run.has_value());
  EXPECT_EQ(run.error().field, "argv");
}

}  // namespace
}  // namespace groundcrew::executor
