// ESP plans and lint findings (docs/admin-api.md, "The plan document").
#include "core/esp/lint.hpp"
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::NameOf;

namespace {

json::object EncodeItem(const core::PlanItem& item) {
  json::object o;
  o["kind"] = NameOf(internal::kItemKinds, item.kind);
  o["id"] = item.id;
  o["displayName"] = item.display_name;
  o["version"] = item.version;
  o["action"] = core::ToString(item.action);
  o["blocking"] = item.blocking;
  o["deferred"] = item.deferred;
  o["fromAssignedUser"] = item.from_assigned_user;
  o["autoDependency"] = item.auto_dependency;
  o["context"] = NameOf(internal::kInstallContexts, item.context);
  o["installerClass"] = item.installer_class;
  o["dependsOn"] = internal::ToArray(item.depends_on);
  o["timeLimitInMinutes"] = item.time_limit_minutes;
  o["size"] = item.size;
  o["reason"] = NameOf(internal::kDeltaReasons, item.reason);
  o["planError"] = item.plan_error;
  return o;
}

json::object EncodePhase(const core::PhasePlan& phase) {
  json::object o;
  o["phase"] = NameOf(internal::kEspPhases, phase.phase);
  o["timeoutInMinutes"] = phase.timeout_minutes;
  json::array items;
  items.reserve(phase.items.size());
  for (const core::PlanItem& item : phase.items) items.emplace_back(EncodeItem(item));
  o["items"] = std::move(items);
  return o;
}

}  // namespace

json::object Encode(const core::EspPlan& plan) {
  json::object o;
  o["flow"] = core::ToString(plan.flow);
  o["espProfileId"] = plan.esp_profile_id;
  o["espProfileName"] = plan.esp_profile_name;
  o["showInstallationProgress"] = plan.show_progress;
  o["blockDeviceUse"] = plan.block_device_use;
  o["installQualityUpdates"] = plan.install_quality_updates;
  o["errorOptions"] = json::object{{"reset", plan.error_options.reset},
                                   {"tryAgain", plan.error_options.try_again},
                                   {"continueAnyway", plan.error_options.continue_anyway},
                                   {"collectLogs", plan.error_options.collect_logs},
                                   {"message", plan.error_options.message}};
  o["deviceSetup"] = EncodePhase(plan.device_setup);
  if (plan.account_setup) o["accountSetup"] = EncodePhase(*plan.account_setup);
  return o;
}

json::object Encode(const core::PlanFinding& finding) {
  json::object o;
  o["severity"] = core::ToString(finding.severity);
  o["code"] = finding.code;
  o["message"] = finding.message;
  return o;
}

}  // namespace groundcrew::wire
