#include "core/esp/plan.hpp"

#include <gtest/gtest.h>

#include "core/esp/lint.hpp"

namespace groundcrew::core {
namespace {

App MakeApp(const char* id, InstallContext context = InstallContext::kDevice,
            const char* version = "1.0") {
  App app;
  app.id = AppId{id};
  app.display_name = id;
  app.install_context = context;
  app.display_version = version;
  return app;
}

Assignment Assign(PayloadKind kind, const char* id, AssignmentTarget target,
                  InstallIntent intent = InstallIntent::kRequired) {
  return Assignment{AssignmentId{}, kind, id, target, intent};
}

const AssignmentTarget kDevices{TargetKind::kGroup, GroupId{"devices"}};
const AssignmentTarget kUsers{TargetKind::kGroup, GroupId{"users"}};

class PlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tenant_.settings.organization_name = "Contoso";
    Group devices;
    devices.id = GroupId{"devices"};
    devices.membership_kind = MembershipKind::kDynamic;
    devices.membership_rule = R"((device.devicePhysicalIds -any (_ -startsWith "[ZTDId]")))";
    Group users;
    users.id = GroupId{"users"};
    users.members = {"u-adele"};
    tenant_.groups = {devices, users};
    User adele;
    adele.id = UserId{"u-adele"};
    adele.user_principal_name = "adele@contoso.com";
    tenant_.users = {adele};
    Policy policy;
    policy.id = PolicyId{"p-device"};
    policy.display_name = "Device restrictions";
    Policy user_policy;
    user_policy.id = PolicyId{"p-user"};
    user_policy.display_name = "User restrictions";
    tenant_.policies = {policy, user_policy};
    tenant_.apps = {MakeApp("a-agent"),      MakeApp("a-office"),
                    MakeApp("a-runtime"),    MakeApp("a-teams", InstallContext::kUser),
                    MakeApp("a-crm-device"), MakeApp("a-legacy")};
    tenant_.apps[1].dependencies = {{AppId{"a-runtime"}, true}};
    tenant_.apps[1].installer_class = "msi";
    tenant_.assignments = {
        Assign(PayloadKind::kPolicy, "p-device", kDevices),
        Assign(PayloadKind::kPolicy, "p-user", kUsers),
        Assign(PayloadKind::kApp, "a-agent", kDevices),
        Assign(PayloadKind::kApp, "a-office", kDevices),
        Assign(PayloadKind::kApp, "a-teams", kUsers),
        Assign(PayloadKind::kApp, "a-crm-device", kUsers),
        Assign(PayloadKind::kApp, "a-legacy", kDevices, InstallIntent::kUninstall),
    };
    EspProfile esp;
    esp.id = EspProfileId{"esp"};
    esp.display_name = "Depot";
    esp.priority = 1;
    esp.show_installation_progress = true;
    esp.assignments = {kDevices};
    tenant_.esp_profiles = {esp};

    registration_.id = ZtdId{"z1"};
    registration_.user_principal_name = "adele@contoso.com";
    device_ = PlaceholderFor(registration_);
    device_.id = DirectoryObjectId{"dev-1"};
  }

  EspPlan Plan(Flow flow, std::vector<InstalledItem> installed = {}) {
    auto index = TargetingIndex::Build(tenant_);
    EXPECT_TRUE(index.has_value()) << index.error().message;
    PlanRequest request;
    request.flow = flow;
    request.device = &device_;
    request.registration = &registration_;
    if (flow == Flow::kUser) request.user = &(*index)->tenant().users[0];
    request.installed = std::move(installed);
    auto plan = BuildEspPlan(**index, request);
    EXPECT_TRUE(plan.has_value()) << plan.error().message;
    return *plan;
  }

  static std::vector<std::string> Ids(const PhasePlan& phase) {
    std::vector<std::string> ids;
    for (const PlanItem& item : phase.items) ids.push_back(item.id);
    return ids;
  }

  static const PlanItem& Find(const PhasePlan& phase, const std::string& id) {
    for (const PlanItem& item : phase.items) {
      if (item.id == id) return item;
    }
    ADD_FAILURE() << id << " not planned";
    static PlanItem none;
    return none;
  }

  Tenant tenant_;
  AutopilotDeviceIdentity registration_;
  DirectoryDevice device_;
};

TEST_F(PlanTest, TechnicianDeviceSetupHasDeviceItemsAndAssignedUsersDeviceContextApps) {
  EspPlan plan = Plan(Flow::kTechnician);
  EXPECT_EQ(plan.esp_profile_id, "esp");
  EXPECT_FALSE(plan.account_setup.has_value());
  // Policies first; the runtime dependency before the app that needs it; user-context Teams
  // and the user policy wait for the real sign-in.
  EXPECT_EQ(Ids(plan.device_setup),
            (std::vector<std::string>{"p-device", "a-agent", "a-crm-device", "a-legacy",
                                      "a-runtime", "a-office"}));
  EXPECT_TRUE(Find(plan.device_setup, "a-crm-device").from_assigned_user);
  EXPECT_TRUE(Find(plan.device_setup, "a-runtime").auto_dependency);
  EXPECT_EQ(Find(plan.device_setup, "a-office").depends_on, std::vector<std::string>{"a-runtime"});
  EXPECT_EQ(Find(plan.device_setup, "a-legacy").action, ItemAction::kUninstall);
  EXPECT_FALSE(Find(plan.device_setup, "a-legacy").blocking);
  EXPECT_TRUE(Find(plan.device_setup, "a-agent").blocking);  // empty selection = all block
}

TEST_F(PlanTest, SelectedBlockingAppsAndNonBlockingInstallation) {
  tenant_.esp_profiles[0].selected_mobile_app_ids = {AppId{"a-office"}};
  EspPlan plan = Plan(Flow::kTechnician);
  EXPECT_TRUE(Find(plan.device_setup, "a-office").blocking);
  EXPECT_TRUE(Find(plan.device_setup, "a-runtime").blocking);  // a blocking app's dependency
  EXPECT_FALSE(Find(plan.device_setup, "a-agent").blocking);
  EXPECT_FALSE(Find(plan.device_setup, "a-agent").deferred);  // allowNonBlocking defaults true
  EXPECT_TRUE(Find(plan.device_setup, "p-device").blocking);

  tenant_.esp_profiles[0].allow_non_blocking_app_installation = false;
  plan = Plan(Flow::kTechnician);
  EXPECT_TRUE(Find(plan.device_setup, "a-agent").deferred);
  EXPECT_FALSE(Find(plan.device_setup, "a-office").deferred);
}

TEST_F(PlanTest, UserFlowDeviceSetupIsTheDeltaAndAccountSetupTheUsersItems) {
  const std::vector<InstalledItem> installed = {
      {ItemKind::kPolicy, "p-device", "1", ItemOutcome::kInstalled},
      {ItemKind::kApp, "a-agent", "1.0", ItemOutcome::kFailed},
      {ItemKind::kApp, "a-runtime", "1.0", ItemOutcome::kInstalled},
      {ItemKind::kApp, "a-office", "0.9", ItemOutcome::kInstalled},
      {ItemKind::kApp, "a-crm-device", "1.0", ItemOutcome::kInstalled},
      {ItemKind::kApp, "a-legacy", "1.0", ItemOutcome::kInstalled},
  };
  tenant_.apps.push_back(MakeApp("a-new"));
  tenant_.assignments.push_back(Assign(PayloadKind::kApp, "a-new", kDevices));

  EspPlan plan = Plan(Flow::kUser, installed);
  EXPECT_EQ(Ids(plan.device_setup),
            (std::vector<std::string>{"a-agent", "a-legacy", "a-new", "a-office"}));
  EXPECT_EQ(Find(plan.device_setup, "a-agent").reason, DeltaReason::kRetryFailed);
  EXPECT_EQ(Find(plan.device_setup, "a-new").reason, DeltaReason::kNew);
  EXPECT_EQ(Find(plan.device_setup, "a-office").reason, DeltaReason::kChangedVersion);
  ASSERT_TRUE(plan.account_setup.has_value());
  // a-crm-device was installed by the technician flow for the assigned user: not again.
  EXPECT_EQ(Ids(*plan.account_setup), (std::vector<std::string>{"p-user", "a-teams"}));
  // The user's policy applies for them (its user settings in their session); the device's is
  // the device's.
  EXPECT_EQ(Find(*plan.account_setup, "p-user").context, InstallContext::kUser);
  EXPECT_EQ(Find(plan.device_setup, "a-agent").context, InstallContext::kDevice);
  EXPECT_EQ(Find(Plan(Flow::kTechnician).device_setup, "p-device").context,
            InstallContext::kDevice);
}

// A device that has not reported an inventory: the plan assumes a clean technician flow, which
// installs what it attempts, skips what it defers, fails what it cannot plan and uninstalls
// what it is told to.
TEST_F(PlanTest, AssumedCleanTechnicianFlowIsWhatThatFlowLeavesOnTheDevice) {
  tenant_.esp_profiles[0].selected_mobile_app_ids = {AppId{"a-office"}};
  tenant_.esp_profiles[0].allow_non_blocking_app_installation = false;
  tenant_.apps[0].dependencies = {{AppId{"a-missing"}, false}};  // a-agent cannot succeed
  const EspPlan technician = Plan(Flow::kTechnician);
  ASSERT_FALSE(Find(technician.device_setup, "a-agent").plan_error.empty());
  ASSERT_TRUE(Find(technician.device_setup, "a-crm-device").deferred);

  const std::vector<InstalledItem> assumed = AssumedCleanTechnicianFlow(technician);
  auto outcome = [&](const std::string& id) -> std::optional<ItemOutcome> {
    for (const InstalledItem& item : assumed) {
      if (item.id == id) return item.outcome;
    }
    return std::nullopt;
  };
  EXPECT_EQ(outcome("p-device"), ItemOutcome::kInstalled);
  EXPECT_EQ(outcome("a-office"), ItemOutcome::kInstalled);
  EXPECT_EQ(outcome("a-runtime"), ItemOutcome::kInstalled);
  EXPECT_EQ(outcome("a-crm-device"), ItemOutcome::kSkipped);
  EXPECT_EQ(outcome("a-agent"), ItemOutcome::kFailed);
  EXPECT_EQ(outcome("a-legacy"), std::nullopt) << "an uninstall leaves nothing";
  EXPECT_EQ(assumed.size(), 5u);
  for (const InstalledItem& item : assumed) {
    EXPECT_EQ(item.version, Find(technician.device_setup, item.id).version) << item.id;
  }

  // The user flow planned from it retries exactly what that flow did not install.
  const EspPlan user = Plan(Flow::kUser, assumed);
  EXPECT_EQ(Ids(user.device_setup), (std::vector<std::string>{"a-agent"}));
  EXPECT_EQ(Find(user.device_setup, "a-agent").reason, DeltaReason::kRetryFailed);
  // a-crm-device is the assigned user's: in the user flow it is Account setup's, and retried.
  ASSERT_TRUE(user.account_setup.has_value());
  EXPECT_EQ(Find(*user.account_setup, "a-crm-device").id, "a-crm-device");
}

TEST(PlanNamesTest, ItemKindsAndOutcomesReadBackFromTheirNames) {
  for (ItemKind kind : {ItemKind::kPolicy, ItemKind::kCertificate, ItemKind::kNetwork,
                        ItemKind::kApp, ItemKind::kPreparationStep}) {
    EXPECT_EQ(ItemKindFromString(ToString(kind)), kind);
  }
  for (ItemOutcome outcome :
       {ItemOutcome::kInstalled, ItemOutcome::kFailed, ItemOutcome::kSkipped}) {
    EXPECT_EQ(ItemOutcomeFromString(ToString(outcome)), outcome);
  }
  EXPECT_EQ(ItemKindFromString("preparationStep"), std::nullopt);  // the wire's, not the core's
  EXPECT_EQ(ItemKindFromString(""), std::nullopt);
  EXPECT_EQ(ItemOutcomeFromString("Installed"), std::nullopt);
}

TEST_F(PlanTest, DependencyNeitherAssignedNorAutomaticIsAPlanError) {
  tenant_.apps[1].dependencies = {{AppId{"a-runtime"}, false}};
  EspPlan plan = Plan(Flow::kTechnician);
  EXPECT_NE(Find(plan.device_setup, "a-office").plan_error.find("neither assigned"),
            std::string::npos);

  auto index = *TargetingIndex::Build(tenant_);
  auto findings = LintDeployment(*index, registration_, device_, nullptr);
  bool found = false;
  for (const PlanFinding& f : findings) found |= f.code == "unsatisfiable-item";
  EXPECT_TRUE(found);
}

TEST_F(PlanTest, DependencyCycleIsAPlanError) {
  tenant_.apps[2].dependencies = {{AppId{"a-office"}, true}};
  EspPlan plan = Plan(Flow::kTechnician);
  EXPECT_EQ(Find(plan.device_setup, "a-office").plan_error, "part of a dependency cycle");
}

TEST_F(PlanTest, ErrorOptionsFollowTheEspProfile) {
  EspProfile& esp = tenant_.esp_profiles[0];
  esp.allow_device_reset_on_install_failure = true;
  esp.block_device_setup_retry_by_user = true;
  esp.allow_device_use_on_install_failure = true;
  esp.custom_error_message = "Call the help desk at 555-0100.";
  esp.install_progress_timeout_in_minutes = 90;
  EspPlan plan = Plan(Flow::kUser);
  EXPECT_TRUE(plan.error_options.reset);
  EXPECT_FALSE(plan.error_options.try_again);
  EXPECT_TRUE(plan.error_options.continue_anyway);
  EXPECT_FALSE(plan.error_options.collect_logs);
  EXPECT_EQ(plan.error_options.message, "Call the help desk at 555-0100.");
  EXPECT_EQ(plan.device_setup.timeout_minutes, 90);
  EXPECT_EQ(plan.account_setup->timeout_minutes, 90);
}

TEST_F(PlanTest, LintFindsForbiddenPreprovisioningUserOnlyEspAndLongNames) {
  DeploymentProfile profile;
  profile.id = DeploymentProfileId{"dp"};
  profile.display_name = "Depot";
  profile.is_tenant_default = true;
  profile.device_name_template = "CONTOSO-LAPTOPS-%RAND:2%";
  tenant_.deployment_profiles = {profile};
  tenant_.esp_profiles[0].assignments = {kUsers};
  tenant_.esp_profiles[0].selected_mobile_app_ids = {AppId{"a-office"}};

  auto index = *TargetingIndex::Build(tenant_);
  auto findings = LintDeployment(*index, registration_, device_, nullptr);
  std::vector<std::string> codes;
  for (const PlanFinding& f : findings) codes.push_back(f.code);
  for (const char* expected :
       {"preprovisioning-not-allowed", "name-template", "esp-user-only", "blocking-list-ignored"}) {
    EXPECT_NE(std::find(codes.begin(), codes.end(), expected), codes.end()) << expected;
  }
  EXPECT_EQ(findings.front().severity, PlanFinding::Severity::kError);
}

}  // namespace
}  // namespace groundcrew::core
