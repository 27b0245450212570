#include <gtest/gtest.h>

#include <initializer_list>
#include <set>
#include <string_view>

#include "wire/model_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

namespace json = boost::json;
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

// Every member of PlanItem set away from its default.
core::PlanItem FullItem() {
  core::PlanItem item;
  item.kind = core::ItemKind::kCertificate;
  item.id = "cert-1";
  item.display_name = "Wi-Fi certificate";
  item.version = "3";
  item.action = core::ItemAction::kUninstall;
  item.blocking = false;
  item.deferred = true;
  item.from_assigned_user = true;
  item.auto_dependency = true;
  item.context = core::InstallContext::kUser;
  item.installer_class = "msi";
  item.depends_on = {"app-0", "app-9"};
  item.time_limit_minutes = 17;
  item.size = 1LL << 40;
  item.reason = core::DeltaReason::kRetryFailed;
  item.plan_error = "dependency app-9 is not assigned";
  return item;
}

// Decodes Encode(plan) and compares member by member (EspPlan has no operator==).
void ExpectPlanRoundTrip(const core::EspPlan& plan) {
  const json::object encoded = Encode(plan);
  core::EspPlan decoded;
  decoded.esp_profile_name = "overwritten";
  const Status status = Decode(json::value(encoded), decoded);
  ASSERT_TRUE(status.has_value()) << status.error().message;
  EXPECT_EQ(Encode(decoded), encoded);
  EXPECT_EQ(decoded.flow, plan.flow);
  EXPECT_EQ(decoded.esp_profile_id, plan.esp_profile_id);
  EXPECT_EQ(decoded.esp_profile_name, plan.esp_profile_name);
  EXPECT_EQ(decoded.show_progress, plan.show_progress);
  EXPECT_EQ(decoded.block_device_use, plan.block_device_use);
  EXPECT_EQ(decoded.install_quality_updates, plan.install_quality_updates);
  EXPECT_EQ(decoded.error_options.reset, plan.error_options.reset);
  EXPECT_EQ(decoded.error_options.try_again, plan.error_options.try_again);
  EXPECT_EQ(decoded.error_options.continue_anyway, plan.error_options.continue_anyway);
  EXPECT_EQ(decoded.error_options.collect_logs, plan.error_options.collect_logs);
  EXPECT_EQ(decoded.error_options.message, plan.error_options.message);
  EXPECT_EQ(decoded.account_setup.has_value(), plan.account_setup.has_value());
  auto same_phase = [](const core::PhasePlan& a, const core::PhasePlan& b) {
    EXPECT_EQ(a.phase, b.phase);
    EXPECT_EQ(a.timeout_minutes, b.timeout_minutes);
    ASSERT_EQ(a.items.size(), b.items.size());
    for (size_t i = 0; i < a.items.size(); ++i) {
      const core::PlanItem& x = a.items[i];
      const core::PlanItem& y = b.items[i];
      EXPECT_EQ(x.kind, y.kind);
      EXPECT_EQ(x.id, y.id);
      EXPECT_EQ(x.display_name, y.display_name);
      EXPECT_EQ(x.version, y.version);
      EXPECT_EQ(x.action, y.action);
      EXPECT_EQ(x.blocking, y.blocking);
      EXPECT_EQ(x.deferred, y.deferred);
      EXPECT_EQ(x.from_assigned_user, y.from_assigned_user);
      EXPECT_EQ(x.auto_dependency, y.auto_dependency);
      EXPECT_EQ(x.context, y.context);
      EXPECT_EQ(x.installer_class, y.installer_class);
      EXPECT_EQ(x.depends_on, y.depends_on);
      EXPECT_EQ(x.time_limit_minutes, y.time_limit_minutes);
      EXPECT_EQ(x.size, y.size);
      EXPECT_EQ(x.reason, y.reason);
      EXPECT_EQ(x.plan_error, y.plan_error);
    }
  };
  same_phase(decoded.device_setup, plan.device_setup);
  if (plan.account_setup && decoded.account_setup) {
    same_phase(*decoded.account_setup, *plan.account_setup);
  }
}

TEST(PlanJsonTest, TechnicianPlanRoundTrips) {
  core::EspPlan plan;
  plan.flow = core::Flow::kTechnician;
  plan.esp_profile_id = "esp-1";
  plan.esp_profile_name = "Contoso ESP";
  plan.show_progress = true;
  plan.error_options = {.reset = true,
                        .try_again = false,
                        .continue_anyway = true,
                        .collect_logs = true,
                        .message = "Call the help desk"};
  plan.device_setup.timeout_minutes = 90;
  core::PlanItem policy = AppItem();
  policy.kind = core::ItemKind::kPolicy;
  policy.id = "policy-1";
  core::PlanItem network = AppItem();
  network.kind = core::ItemKind::kNetwork;
  network.id = "net-1";
  plan.device_setup.items = {policy, network, AppItem(), FullItem()};
  ExpectPlanRoundTrip(plan);
}

TEST(PlanJsonTest, UserPlanWithAccountSetupRoundTrips) {
  core::EspPlan plan;
  plan.flow = core::Flow::kUser;
  plan.block_device_use = false;
  plan.install_quality_updates = true;
  core::PlanItem changed = AppItem();
  changed.reason = core::DeltaReason::kChangedVersion;
  core::PlanItem fresh = AppItem();
  fresh.id = "app-2";
  fresh.reason = core::DeltaReason::kNew;
  core::PlanItem skipped = AppItem();
  skipped.id = "app-3";
  skipped.reason = core::DeltaReason::kRetrySkipped;
  plan.device_setup.items = {changed, fresh, skipped};
  core::PlanItem user_app = FullItem();
  user_app.kind = core::ItemKind::kApp;
  user_app.context = core::InstallContext::kUser;
  plan.account_setup = core::PhasePlan{core::EspPhase::kAccountSetup, {user_app}, 45};
  ExpectPlanRoundTrip(plan);

  core::PlanItem prep = AppItem();
  prep.kind = core::ItemKind::kPreparationStep;
  plan.device_setup = core::PhasePlan{core::EspPhase::kDevicePreparation, {prep}, 0};
  plan.account_setup->items.clear();
  ExpectPlanRoundTrip(plan);
}

TEST(PlanJsonTest, PlanDecodingIsStrictAndNamesThePath) {
  core::EspPlan plan;
  plan.device_setup.items = {AppItem()};
  const json::object good = Encode(plan);
  core::EspPlan out;
  out.esp_profile_name = "untouched";

  auto refuse = [&](json::object doc, std::string_view field) -> std::string {
    const Status status = Decode(json::value(doc), out);
    if (status.has_value()) {
      ADD_FAILURE() << "decoded: " << json::serialize(doc);
      return "";
    }
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(status.error().field, field) << status.error().message;
    EXPECT_EQ(out.esp_profile_name, "untouched");
    return status.error().message;
  };
  json::object doc = good;
  doc.erase("blockDeviceUse");
  EXPECT_EQ(refuse(doc, "blockDeviceUse"), "blockDeviceUse: required");
  doc = good;
  doc["extra"] = 1;
  refuse(doc, "extra");
  doc = good;
  doc["flow"] = "admin";
  refuse(doc, "flow");
  doc = good;
  doc["errorOptions"].as_object().erase("tryAgain");
  refuse(doc, "errorOptions.tryAgain");
  doc = good;
  doc["deviceSetup"].as_object()["phase"] = "device-setup";
  refuse(doc, "deviceSetup.phase");
  doc = good;
  doc["deviceSetup"].as_object()["items"].as_array()[0].as_object()["reason"] = "retry-failed";
  EXPECT_NE(refuse(doc, "deviceSetup.items[0].reason").find("retryFailed"), std::string::npos);
  doc = good;
  doc["deviceSetup"].as_object()["items"].as_array()[0].as_object().erase("planError");
  refuse(doc, "deviceSetup.items[0].planError");
  doc = good;
  doc["deviceSetup"].as_object()["items"].as_array()[0].as_object()["id"] = "";
  refuse(doc, "deviceSetup.items[0].id");
  doc = good;
  doc["deviceSetup"].as_object()["items"].as_array()[0].as_object()["size"] = -1;
  refuse(doc, "deviceSetup.items[0].size");
  doc = good;
  doc["accountSetup"] = json::array();
  refuse(doc, "accountSetup");
  EXPECT_FALSE(Decode(json::value("plan"), out).has_value());
}

TEST(PlanJsonTest, InstalledItemsRoundTripWithThePlansSpellings) {
  const std::vector<core::InstalledItem> installed = {
      {core::ItemKind::kApp, "app-1", "1.0", core::ItemOutcome::kInstalled},
      {core::ItemKind::kPreparationStep, "securing-hardware", "", core::ItemOutcome::kSkipped},
      {core::ItemKind::kNetwork, "net-1", "2", core::ItemOutcome::kFailed},
      {core::ItemKind::kPolicy, "policy-1", "1", core::ItemOutcome::kInstalled},
      {core::ItemKind::kCertificate, "cert-1", "1", core::ItemOutcome::kInstalled},
  };
  const json::array encoded = Encode(installed);
  EXPECT_EQ(encoded.at(0), Json(R"({"kind": "app", "id": "app-1", "version": "1.0",
                                   "outcome": "installed"})"));
  EXPECT_EQ(encoded.at(1).at("kind"), "preparationStep");
  EXPECT_EQ(encoded.at(1).at("outcome"), "skipped");
  EXPECT_EQ(encoded.at(2).at("outcome"), "failed");
  std::vector<core::InstalledItem> decoded;
  ASSERT_TRUE(Decode(json::value(encoded), decoded).has_value());
  ASSERT_EQ(decoded.size(), installed.size());
  for (size_t i = 0; i < installed.size(); ++i) {
    EXPECT_EQ(decoded[i].kind, installed[i].kind);
    EXPECT_EQ(decoded[i].id, installed[i].id);
    EXPECT_EQ(decoded[i].version, installed[i].version);
    EXPECT_EQ(decoded[i].outcome, installed[i].outcome);
  }
  EXPECT_EQ(Encode(decoded), encoded);

  auto refuse = [&](std::string_view text, std::string_view field) {
    std::vector<core::InstalledItem> out = installed;
    const Status status = Decode(Json(text), out);
    ASSERT_FALSE(status.has_value()) << text;
    EXPECT_EQ(status.error().field, field) << status.error().message;
    EXPECT_EQ(out.size(), installed.size());
  };
  refuse(R"({"kind": "app"})", "");
  refuse(R"([{"kind": "app", "id": "a", "version": "1"}])", "[0].outcome");
  refuse(R"([{"kind": "app", "id": "a", "version": "1", "outcome": "installed"},
             {"kind": "apps", "id": "a", "version": "1", "outcome": "installed"}])",
         "[1].kind");
  refuse(R"([{"kind": "app", "id": "", "version": "1", "outcome": "installed"}])", "[0].id");
  refuse(R"([{"kind": "app", "id": "a", "version": "1", "outcome": "ok"}])", "[0].outcome");
  refuse(R"([{"kind": "app", "id": "a", "version": "1", "outcome": "failed", "at": 1}])", "[0].at");
  std::vector<core::InstalledItem> empty = installed;
  ASSERT_TRUE(Decode(Json("[]"), empty).has_value());
  EXPECT_TRUE(empty.empty());
}

TEST(PlanJsonTest, ProfileInfoRoundTripsWithCamelCaseNames) {
  core::ProfileInfo profile;
  profile.organization_name = "Contoso";
  profile.profile_name = "Contoso pre-provisioned";
  profile.registration_id = "ztd-1";
  profile.assigned_user_upn = "adele@contoso.com";
  profile.greeting_name = "Adele";
  profile.preprovisioning_allowed = true;
  profile.privacy_settings_hidden = true;
  profile.eula_hidden = true;
  profile.keyboard_selection_page_skipped = true;
  profile.locale = "en-US";
  profile.user_type = core::WindowsUserType::kStandard;
  const json::object encoded = Encode(profile);
  EXPECT_EQ(encoded, Json(R"({"organizationName": "Contoso",
      "profileName": "Contoso pre-provisioned", "registrationId": "ztd-1",
      "assignedUserUpn": "adele@contoso.com", "greetingName": "Adele",
      "preprovisioningAllowed": true, "privacySettingsHidden": true, "eulaHidden": true,
      "keyboardSelectionPageSkipped": true, "locale": "en-US", "userType": "standard"})")
                         .as_object());
  core::ProfileInfo decoded;
  ASSERT_TRUE(Decode(json::value(encoded), decoded).has_value());
  EXPECT_EQ(decoded, profile);
  EXPECT_EQ(Encode(core::ProfileInfo{}).at("locale"), "os-default");
  EXPECT_EQ(Encode(core::ProfileInfo{}).at("userType"), "administrator");

  json::object missing = encoded;
  missing.erase("locale");
  const Status status = Decode(json::value(missing), decoded);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field, "locale");
  EXPECT_EQ(decoded, profile);
}

TEST(PlanJsonTest, DeploymentPayloadsKeepTheirIdsVersionsAndSecrets) {
  core::App app;
  app.id = core::AppId{"app-1"};
  app.display_name = "Company Portal";
  app.display_version = "1.2";
  app.install_command_line = "sh install.sh";
  core::Policy policy;
  policy.id = core::PolicyId{"policy-1"};
  policy.display_name = "Baseline";
  policy.settings_json = R"({"firewall":true})";
  policy.version = 4;
  core::CertificateProfile certificate;
  certificate.id = core::CertificateProfileId{"cert-1"};
  certificate.display_name = "Device certificate";
  core::NetworkProfile network;
  network.id = core::NetworkProfileId{"net-1"};
  network.display_name = "Corp";
  network.ssid = "corp";
  network.pre_shared_key = "correct horse";
  network.version = 2;
  const json::object encoded{{"apps", json::array{Encode(app)}},
                             {"policies", json::array{Encode(policy)}},
                             {"certificateProfiles", json::array{Encode(certificate)}},
                             {"networkProfiles", json::array{EncodeWithSecrets(network)}}};

  DeploymentPayloads decoded;
  const Status status = Decode(json::value(encoded), decoded);
  ASSERT_TRUE(status.has_value()) << status.error().message;
  ASSERT_EQ(decoded.apps.size(), 1u);
  EXPECT_EQ(decoded.apps[0].id, app.id);
  EXPECT_EQ(Encode(decoded.apps[0]), Encode(app));
  ASSERT_EQ(decoded.policies.size(), 1u);
  EXPECT_EQ(decoded.policies[0].id, policy.id);
  EXPECT_EQ(decoded.policies[0].version, 4);
  EXPECT_EQ(Encode(decoded.policies[0]), Encode(policy));
  ASSERT_EQ(decoded.certificate_profiles.size(), 1u);
  EXPECT_EQ(decoded.certificate_profiles[0].id, certificate.id);
  ASSERT_EQ(decoded.network_profiles.size(), 1u);
  EXPECT_EQ(decoded.network_profiles[0].pre_shared_key, "correct horse");
  EXPECT_EQ(EncodeWithSecrets(decoded.network_profiles[0]), EncodeWithSecrets(network));

  auto refuse = [&](json::object doc, std::string_view field) {
    DeploymentPayloads out;
    out.apps.push_back(app);
    const Status refused = Decode(json::value(doc), out);
    ASSERT_FALSE(refused.has_value()) << json::serialize(doc);
    EXPECT_EQ(refused.error().field, field) << refused.error().message;
    EXPECT_TRUE(refused.error().message.find(std::string(field)) != std::string::npos)
        << refused.error().message;
    EXPECT_EQ(out.apps.size(), 1u);
  };
  json::object doc = encoded;
  doc.erase("policies");
  refuse(doc, "policies");
  doc = encoded;
  doc["apps"].as_array()[0].as_object().erase("id");
  refuse(doc, "apps[0].id");
  doc = encoded;
  doc["apps"].as_array()[0].as_object()["installContext"] = "system";
  refuse(doc, "apps[0].installContext");
  doc = encoded;
  doc["networkProfiles"].as_array()[0].as_object()["colour"] = "blue";
  refuse(doc, "networkProfiles[0].colour");
  doc = encoded;
  doc["policies"].as_array()[0].as_object()["version"] = 0;
  refuse(doc, "policies[0].version");
  doc = encoded;
  doc["certificateProfiles"] = json::array{1};
  refuse(doc, "certificateProfiles[0]");
  doc = encoded;
  doc["compliancePolicies"] = json::array();
  refuse(doc, "compliancePolicies");
}

TEST(PhaseName, SpellsPhasesAsPlansDo) {
  EXPECT_EQ(PhaseName(core::EspPhase::kDevicePreparation), "devicePreparation");
  EXPECT_EQ(PhaseName(core::EspPhase::kDeviceSetup), "deviceSetup");
  EXPECT_EQ(PhaseName(core::EspPhase::kAccountSetup), "accountSetup");
  EXPECT_EQ(PhaseFromName("deviceSetup"), core::EspPhase::kDeviceSetup);
  EXPECT_EQ(PhaseFromName("device-setup"), std::nullopt);  // the core's log spelling
}

// Every value of every enumeration on the wire has one camelCase name of its own.
template <class E, class NameFn>
void ExpectOneCamelCaseNameEach(std::initializer_list<E> values, NameFn name) {
  std::set<std::string_view> seen;
  for (E value : values) {
    const std::string_view n = name(value);
    EXPECT_FALSE(n.empty()) << static_cast<int>(value);
    EXPECT_EQ(n.find_first_of("-_ "), std::string_view::npos) << n;
    EXPECT_TRUE(n.empty() || (n[0] >= 'a' && n[0] <= 'z')) << n;
    EXPECT_TRUE(seen.insert(n).second) << "twice: " << n;
  }
}

TEST(WireNames, EveryPhaseItemKindStateAndScreenHasOneCamelCaseName) {
  using core::EspPhase;
  using core::ItemKind;
  using core::ItemStatus;
  using core::PhaseStatus;
  ExpectOneCamelCaseNameEach(
      {EspPhase::kDevicePreparation, EspPhase::kDeviceSetup, EspPhase::kAccountSetup},
      [](EspPhase v) { return PhaseName(v); });
  ExpectOneCamelCaseNameEach({ItemKind::kPolicy, ItemKind::kCertificate, ItemKind::kNetwork,
                              ItemKind::kApp, ItemKind::kPreparationStep},
                             [](ItemKind v) { return ItemKindName(v); });
  EXPECT_EQ(ItemKindName(ItemKind::kPreparationStep), "preparationStep");
  ExpectOneCamelCaseNameEach(
      {ItemStatus::kWaiting, ItemStatus::kInProgress, ItemStatus::kSucceeded, ItemStatus::kFailed,
       ItemStatus::kTimedOut, ItemStatus::kDeferred, ItemStatus::kNotAttempted},
      [](ItemStatus v) { return ItemStatusName(v); });
  ExpectOneCamelCaseNameEach({PhaseStatus::kNotStarted, PhaseStatus::kInProgress,
                              PhaseStatus::kComplete, PhaseStatus::kFailed},
                             [](PhaseStatus v) { return PhaseStatusName(v); });
  using T = core::TechnicianScreen;
  ExpectOneCamelCaseNameEach(
      {T::kNetworkCheck, T::kRegionKeyboard, T::kConnectNetwork, T::kProfileDownload,
       T::kFirstScreen, T::kOptionsMenu, T::kLanding, T::kDevicePreparation, T::kDeviceSetup,
       T::kResultSuccess, T::kResultFailure, T::kResealed, T::kReset},
      [](T v) { return ScreenName(v); });
  using U = core::UserScreen;
  ExpectOneCamelCaseNameEach(
      {U::kNetworkCheck, U::kRegionKeyboard, U::kConnectNetwork, U::kProfileDownload, U::kOobePages,
       U::kSignIn, U::kSigningIn, U::kMfa, U::kIdentifying, U::kDeviceSetup, U::kPrivacy,
       U::kAccountSetup, U::kQualityUpdates, U::kEspError, U::kDesktop, U::kReset},
      [](U v) { return ScreenName(v); });
}

}  // namespace
}  // namespace groundcrew::wire
