#include "core/model/payloads.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

App AptApp(std::string name, std::string version = "") {
  App app;
  app.display_name = "Tool";
  app.kind = AppKind::kAptPackage;
  app.package_name = std::move(name);
  app.package_version = std::move(version);
  return app;
}

std::string Refusal(const App& app) {
  Status checked = CheckAppKind(app);
  return checked ? std::string("accepted")
                 : checked.error().field + " | " + checked.error().message;
}

TEST(AppKindTest, ScriptsAreUnchangedAndNameNoPackage) {
  App script;
  script.install_command_line = "./install.sh";
  EXPECT_TRUE(CheckAppKind(script));
  script.package_name = "jq";
  EXPECT_EQ(Refusal(script),
            "packageName | packageName: only deb and aptPackage apps name a package");
}

TEST(AppKindTest, AptPackagesNameAValidPackageAndVersion) {
  EXPECT_TRUE(CheckAppKind(AptApp("jq")));
  EXPECT_TRUE(CheckAppKind(AptApp("jq", "1.6-2.1")));
  EXPECT_EQ(Refusal(AptApp("")), "packageName | packageName: required for an aptPackage app");
  EXPECT_EQ(Refusal(AptApp("JQ")),
            "packageName | packageName: \"JQ\": a package name starts with a lower-case letter "
            "or a digit");
  EXPECT_EQ(Refusal(AptApp("jq", "latest")),
            "packageVersion | packageVersion: \"latest\" is not a Debian version: the upstream "
            "version must start with a digit");
}

TEST(AppKindTest, PackageAppsAreDeviceContextWithoutCommandsOrRules) {
  App app = AptApp("htop");
  app.install_context = InstallContext::kUser;
  EXPECT_EQ(Refusal(app),
            "installContext | installContext: an aptPackage app installs as the system (dpkg has "
            "no per-user packages): use \"device\"");
  app = AptApp("htop");
  app.install_command_line = "apt-get install htop";
  EXPECT_EQ(Refusal(app),
            "installCommandLine | installCommandLine: an aptPackage app is installed with "
            "apt-get: leave the command line out (or use kind \"script\")");
  app = AptApp("htop");
  app.detection_rules.push_back({});
  EXPECT_EQ(Refusal(app),
            "detectionRules | detectionRules: an aptPackage app is detected by its package's dpkg "
            "status and version: leave the rules out");

  App deb;
  deb.kind = AppKind::kDeb;
  EXPECT_EQ(Refusal(deb),
            "content | content: a deb app's content is its .deb file ({file: PATH} in a tenant "
            "file)");
  deb.content.sha256 = std::string(64, 'a');
  EXPECT_TRUE(CheckAppKind(deb));
  deb.uninstall_command_line = "rm -rf /opt/x";
  EXPECT_EQ(Refusal(deb),
            "uninstallCommandLine | uninstallCommandLine: a deb app is removed with apt-get: "
            "leave the command line out (or use kind \"script\")");
}

TEST(AppKindTest, PackageAppsPlanTheirPackageVersion) {
  App app = AptApp("jq", "1.6-2.1");
  app.display_version = "1.6";
  EXPECT_EQ(PlannedVersion(app), "1.6-2.1");
  EXPECT_EQ(PlannedVersion(AptApp("jq")), "");
  App script;
  script.display_version = "2.0";
  EXPECT_EQ(PlannedVersion(script), "2.0");
}

}  // namespace
}  // namespace groundcrew::core
