#include <gtest/gtest.h>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

using testing::Json;

core::PlanItem AppItem() {
  core::PlanItem item;
  item.kind = core::ItemKind::kApp;
  item.id = "app-1";
  item.display_name = "Company Portal";
  item.version = "1.0";
  item.action = core::ItemAction::kInstall;
  item.blocking = true;
  item.context = core::InstallContext::kDevice;
  item.installer_class = "win32";
  item.time_limit_minutes = 60;
  return item;
}

TEST(PlanJsonTest, TechnicianPlanMatchesTheDocumentedShape) {
  core::EspPlan plan;
  plan.flow = core::Flow::kTechnician;
  plan.esp_profile_id = "esp-1";
  plan.esp_profile_name = "Contoso ESP";
  plan.show_progress = true;
  plan.block_device_use = true;
  plan.install_quality_updates = false;
  plan.error_options = {.reset = false,
                        .try_again = true,
                        .continue_anyway = false,
                        .collect_logs = false,
                        .message = "Call us"};
  plan.device_setup.phase = core::EspPhase::kDeviceSetup;
  plan.device_setup.timeout_minutes = 60;
  plan.device_setup.items = {AppItem()};

  EXPECT_EQ(Encode(plan), Json(R"({
      "flow": "technician", "espProfileId": "esp-1", "espProfileName": "Contoso ESP",
      "showInstallationProgress": true, "blockDeviceUse": true, "installQualityUpdates": false,
      "errorOptions": {"reset": false, "tryAgain": true, "continueAnyway": false,
                       "collectLogs": false, "message": "Call us"},
      "deviceSetup": {"phase": "deviceSetup", "timeoutInMinutes": 60,
        "items": [{"kind": "app", "id": "app-1", "displayName": "Company Portal",
                   "version": "1.0", "action": "install", "blocking": true, "deferred": false,
                   "fromAssignedUser": false, "autoDependency": false, "context": "device",
                   "installerClass": "win32", "dependsOn": [], "timeLimitInMinutes": 60,
                   "size": 0, "reason": "targeted", "planError": ""}]}})")
                              .as_object());
}

TEST(PlanJsonTest, UserPlanHasAccountSetupAndCamelCaseEnums) {
  core::EspPlan plan;
  plan.flow = core::Flow::kUser;
  plan.install_quality_updates = true;
  core::PlanItem prep = AppItem();
  prep.kind = core::ItemKind::kPreparationStep;
  prep.reason = core::DeltaReason::kRetrySkipped;
  core::PlanItem retry = AppItem();
  retry.kind = core::ItemKind::kCertificate;
  retry.action = core::ItemAction::kUninstall;
  retry.reason = core::DeltaReason::kChangedVersion;
  retry.context = core::InstallContext::kUser;
  retry.depends_on = {"app-0", "app-9"};
  retry.blocking = false;
  retry.deferred = true;
  retry.from_assigned_user = true;
  retry.auto_dependency = true;
  retry.size = 4096;
  retry.plan_error = "dependency app-9 is not assigned";
  plan.device_setup.items = {prep, retry};
  plan.account_setup = core::PhasePlan{core::EspPhase::kAccountSetup, {}, 30};

  const boost::json::object o = Encode(plan);
  EXPECT_EQ(o.at("flow"), "user");
  EXPECT_EQ(o.at("installQualityUpdates"), true);
  EXPECT_EQ(o.at("accountSetup"),
            Json(R"({"phase": "accountSetup", "timeoutInMinutes": 30, "items": []})"));
  const auto& items = o.at("deviceSetup").at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].at("kind"), "preparationStep");
  EXPECT_EQ(items[0].at("reason"), "retrySkipped");
  EXPECT_EQ(items[1].at("kind"), "certificate");
  EXPECT_EQ(items[1].at("action"), "uninstall");
  EXPECT_EQ(items[1].at("reason"), "changedVersion");
  EXPECT_EQ(items[1].at("context"), "user");
  EXPECT_EQ(items[1].at("dependsOn"), Json(R"(["app-0", "app-9"])"));
  EXPECT_EQ(items[1].at("blocking"), false);
  EXPECT_EQ(items[1].at("deferred"), true);
  EXPECT_EQ(items[1].at("fromAssignedUser"), true);
  EXPECT_EQ(items[1].at("autoDependency"), true);
  EXPECT_EQ(items[1].at("size"), 4096);
  EXPECT_EQ(items[1].at("planError"), "dependency app-9 is not assigned");

  plan.flow = core::Flow::kTechnician;
  plan.account_setup.reset();
  EXPECT_FALSE(Encode(plan).contains("accountSetup"));

  core::PhasePlan prep_phase{core::EspPhase::kDevicePreparation, {}, 5};
  plan.device_setup = prep_phase;
  EXPECT_EQ(Encode(plan).at("deviceSetup").at("phase"), "devicePreparation");
  for (auto [reason, name] : {std::pair{core::DeltaReason::kNew, "new"},
                              std::pair{core::DeltaReason::kRetryFailed, "retryFailed"}}) {
    core::PlanItem item = AppItem();
    item.reason = reason;
    plan.device_setup.items = {item};
    EXPECT_EQ(Encode(plan).at("deviceSetup").at("items").at(0).at("reason"), name);
  }
  core::PlanItem kinds = AppItem();
  for (auto [kind, name] : {std::pair{core::ItemKind::kPolicy, "policy"},
                            std::pair{core::ItemKind::kNetwork, "network"}}) {
    kinds.kind = kind;
    plan.device_setup.items = {kinds};
    EXPECT_EQ(Encode(plan).at("deviceSetup").at("items").at(0).at("kind"), name);
  }
}

TEST(PlanJsonTest, Findings) {
  core::PlanFinding finding{core::PlanFinding::Severity::kError, "esp-user-only", "Fix it"};
  EXPECT_EQ(
      Encode(finding),
      Json(R"({"severity": "error", "code": "esp-user-only", "message": "Fix it"})").as_object());
  finding.severity = core::PlanFinding::Severity::kInfo;
  EXPECT_EQ(Encode(finding).at("severity"), "info");
  finding.severity = core::PlanFinding::Severity::kWarning;
  EXPECT_EQ(Encode(finding).at("severity"), "warning");
}

}  // namespace
}  // namespace groundcrew::wire
