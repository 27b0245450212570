#include "core/esp/lint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

#include "core/naming/device_name.hpp"
#include "core/targeting/eligibility.hpp"

namespace groundcrew::core {
namespace {

using Severity = PlanFinding::Severity;

void CheckEspSettings(const EspProfile& esp, std::vector<PlanFinding>& out) {
  const int timeout = esp.install_progress_timeout_in_minutes;
  if (timeout < 1 || timeout > kMaxInstallProgressTimeoutMinutes) {
    out.push_back({Severity::kError, "esp-timeout-range",
                   fmt::format("ESP profile \"{}\": installProgressTimeoutInMinutes is {}; it must "
                               "be between 1 and {}",
                               esp.display_name, timeout, kMaxInstallProgressTimeoutMinutes)});
  }
  if (esp.selected_mobile_app_ids.size() > static_cast<size_t>(kMaxSelectedBlockingApps)) {
    out.push_back({Severity::kError, "esp-too-many-blocking-apps",
                   fmt::format("ESP profile \"{}\" selects {} blocking apps; the limit is {}",
                               esp.display_name, esp.selected_mobile_app_ids.size(),
                               kMaxSelectedBlockingApps)});
  }
  if (esp.custom_error_message.size() > kMaxCustomErrorMessageLength) {
    out.push_back({Severity::kError, "esp-message-too-long",
                   fmt::format("ESP profile \"{}\": customErrorMessage is {} characters; the limit "
                               "is {}",
                               esp.display_name, esp.custom_error_message.size(),
                               kMaxCustomErrorMessageLength)});
  }
}

}  // namespace

std::string_view ToString(PlanFinding::Severity severity) {
  switch (severity) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "info";
}

std::vector<PlanFinding> LintDeployment(const TargetingIndex& index,
                                        const AutopilotDeviceIdentity& registration,
                                        const DirectoryDevice& device, const User* user) {
  std::vector<PlanFinding> out;
  const GroupSet device_groups = index.DeviceGroups(device);

  const DeploymentProfile* profile = index.DeploymentProfileFor(device_groups);
  if (profile == nullptr) {
    out.push_back({Severity::kError, "no-deployment-profile",
                   "no deployment profile targets this device and the tenant has no default "
                   "profile: the device will not be served"});
  } else {
    if (!profile->preprovisioning_allowed) {
      out.push_back({Severity::kError, "preprovisioning-not-allowed",
                     fmt::format("deployment profile \"{}\" does not allow pre-provisioning: the "
                                 "technician flow would be refused (0x80180005)",
                                 profile->display_name)});
    }
    if (!profile->device_name_template.empty()) {
      auto name = ParseNameTemplate(profile->device_name_template);
      if (!name) {
        out.push_back({Severity::kError, "name-template",
                       fmt::format("deployment profile \"{}\": {}", profile->display_name,
                                   name.error().message)});
      } else {
        for (const std::string& warning : name->warnings) {
          out.push_back(
              {Severity::kInfo, "name-template",
               fmt::format("deployment profile \"{}\": {}", profile->display_name, warning)});
        }
      }
    }
  }

  // The user whose sign-in and user-targeted ESP matter.
  const User* person = user;
  if (person == nullptr && !registration.user_principal_name.empty()) {
    person = index.FindUserByPrincipalName(registration.user_principal_name);
    if (person == nullptr) {
      out.push_back({Severity::kWarning, "assigned-user-unknown",
                     fmt::format("the assigned user {} is not in the directory",
                                 registration.user_principal_name)});
    }
  }
  GroupSet user_groups;
  if (person != nullptr) {
    user_groups = index.UserGroups(*person);
    if (auto refusal = CheckSignIn(index, registration, *person, user_groups)) {
      out.push_back({Severity::kWarning, fmt::format("sign-in-{}", ToString(refusal->reason)),
                     refusal->message});
    }
  }

  const EspProfile* technician_esp = index.EspProfileFor(device_groups, nullptr);
  if (technician_esp != nullptr) {
    CheckEspSettings(*technician_esp, out);
    if (!technician_esp->show_installation_progress) {
      out.push_back({Severity::kWarning, "esp-progress-hidden",
                     fmt::format("ESP profile \"{}\" does not show progress: the technician's "
                                 "success screen would certify enrollment only, not installation",
                                 technician_esp->display_name)});
    }
  }
  if (person != nullptr) {
    const EspProfile* user_esp = index.EspProfileFor(device_groups, &user_groups);
    if (user_esp != nullptr && user_esp != technician_esp) {
      CheckEspSettings(*user_esp, out);
      out.push_back({Severity::kWarning, "esp-user-only",
                     fmt::format("ESP profile \"{}\" targets the user, not the device: the "
                                 "technician flow ignores it and uses \"{}\"",
                                 user_esp->display_name,
                                 technician_esp ? technician_esp->display_name : "(none)")});
      if (!user_esp->selected_mobile_app_ids.empty()) {
        out.push_back({Severity::kWarning, "blocking-list-ignored",
                       fmt::format("the blocking apps of ESP profile \"{}\" are ignored in the "
                                   "technician flow; select them in a device-targeted profile",
                                   user_esp->display_name)});
      }
    }
  }

  // Blocking apps that nothing assigns, and items the plan cannot satisfy.
  PlanRequest request;
  request.flow = Flow::kTechnician;
  request.device = &device;
  request.registration = &registration;
  if (auto plan = BuildEspPlan(index, request)) {
    std::unordered_set<std::string> planned;
    for (const PlanItem& item : plan->device_setup.items) {
      planned.insert(item.id);
      if (!item.plan_error.empty()) {
        out.push_back({Severity::kError, "unsatisfiable-item",
                       fmt::format("\"{}\" {}", item.display_name, item.plan_error)});
      }
    }
    if (technician_esp != nullptr) {
      for (const AppId& id : technician_esp->selected_mobile_app_ids) {
        if (planned.count(id.value()) != 0) continue;
        const App* app = index.FindApp(id.value());
        out.push_back({Severity::kInfo, "blocking-app-not-assigned",
                       fmt::format("blocking app \"{}\" is not assigned to this device: the list "
                                   "filters what blocks, it does not install",
                                   app ? app->display_name : id.value())});
      }
    }
  }

  std::stable_sort(out.begin(), out.end(), [](const PlanFinding& a, const PlanFinding& b) {
    return static_cast<int>(a.severity) > static_cast<int>(b.severity);
  });
  return out;
}

}  // namespace groundcrew::core
