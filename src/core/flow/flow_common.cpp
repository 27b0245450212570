#include "core/flow/flow_common.hpp"

#include <fmt/format.h>

namespace groundcrew::core {

std::string_view ToString(DeploymentState state) {
  switch (state) {
    case DeploymentState::kUnknown:
      return "unknown";
    case DeploymentState::kSuccess:
      return "success";
    case DeploymentState::kInProgress:
      return "inProgress";
    case DeploymentState::kFailure:
      return "failure";
    case DeploymentState::kSuccessWithTimeout:
      return "successWithTimeout";
    case DeploymentState::kNotAttempted:
      return "notAttempted";
    case DeploymentState::kDisabled:
      return "disabled";
    case DeploymentState::kSuccessOnRetry:
      return "successOnRetry";
  }
  return "unknown";
}

ProfileInfo MakeProfileInfo(const TenantSettings& tenant,
                            const AutopilotDeviceIdentity& registration,
                            const DeploymentProfile& profile) {
  const OutOfBoxExperienceSetting& oobe = profile.out_of_box_experience_setting;
  ProfileInfo info;
  info.organization_name = tenant.organization_name;
  info.profile_name = profile.display_name;
  info.registration_id = registration.id.value();
  info.assigned_user_upn = registration.user_principal_name;
  info.greeting_name = registration.addressable_user_name;
  info.preprovisioning_allowed = profile.preprovisioning_allowed;
  info.privacy_settings_hidden = oobe.privacy_settings_hidden;
  info.eula_hidden = oobe.eula_hidden;
  info.keyboard_selection_page_skipped = oobe.keyboard_selection_page_skipped;
  info.locale = profile.locale;
  info.user_type = oobe.user_type;
  return info;
}

std::string_view ToString(OobePage page) {
  switch (page) {
    case OobePage::kRegion:
      return "region";
    case OobePage::kKeyboard:
      return "keyboard";
    case OobePage::kEula:
      return "eula";
    case OobePage::kSignIn:
      return "sign-in";
  }
  return "?";
}

std::vector<OobePage> PagesBeforeSignIn(const ProfileInfo* profile, bool region_keyboard_shown) {
  const ProfileInfo none;
  const ProfileInfo& p = profile != nullptr ? *profile : none;
  const bool locale_set = !p.locale.empty() && p.locale != "os-default";
  std::vector<OobePage> pages;
  if (!region_keyboard_shown) {
    if (!locale_set) pages.push_back(OobePage::kRegion);
    if (!(p.keyboard_selection_page_skipped && locale_set)) pages.push_back(OobePage::kKeyboard);
  }
  if (!p.eula_hidden) pages.push_back(OobePage::kEula);
  return pages;
}

Error NotAllowed(std::string_view flow, std::string_view screen, std::string_view event) {
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("{} flow: {} is not allowed on the {} screen", flow, event, screen),
                   "event");
}

}  // namespace groundcrew::core
