#include "agent/device_answers.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;

bool Bool(const json::object& o, const char* name) {
  const json::value* v = o.if_contains(name);
  return v != nullptr && v->is_bool() && v->as_bool();
}

}  // namespace

std::string JsonText(const json::value& value, const char* name) {
  if (const json::object* o = value.if_object()) {
    if (const json::value* m = o->if_contains(name); m && m->is_string()) {
      return std::string(m->as_string());
    }
  }
  return "";
}

core::ProfileInfo ProfileOf(const json::object& answer) {
  core::ProfileInfo info;
  info.organization_name = JsonText(answer, "organizationName");
  const json::object* device = answer.at("device").if_object();
  if (device != nullptr) {
    info.registration_id = JsonText(*device, "id");
    info.assigned_user_upn = JsonText(*device, "userPrincipalName");
    info.greeting_name = JsonText(*device, "addressableUserName");
  }
  if (const json::object* profile = answer.at("deploymentProfile").if_object()) {
    info.profile_name = JsonText(*profile, "displayName");
    info.preprovisioning_allowed = Bool(*profile, "preprovisioningAllowed");
    if (std::string locale = JsonText(*profile, "locale"); !locale.empty()) info.locale = locale;
    if (const json::value* oobe = profile->if_contains("outOfBoxExperienceSetting");
        oobe && oobe->is_object()) {
      info.privacy_settings_hidden = Bool(oobe->as_object(), "privacySettingsHidden");
      info.eula_hidden = Bool(oobe->as_object(), "eulaHidden");
      info.keyboard_selection_page_skipped =
          Bool(oobe->as_object(), "keyboardSelectionPageSkipped");
    }
  }
  return info;
}

core::SignInError SignInErrorOf(std::string_view reason) {
  if (reason == "notAssignedUser") return core::SignInError::kNotAssignedUser;
  if (reason == "outsideMdmScope") return core::SignInError::kOutsideMdmScope;
  if (reason == "joinNotAllowed") return core::SignInError::kJoinNotAllowed;
  if (reason == "disabled") return core::SignInError::kDisabled;
  if (reason == "unlicensed") return core::SignInError::kUnlicensed;
  if (reason == "accountLocked") return core::SignInError::kLockedOut;
  return core::SignInError::kInvalidCredentials;
}

json::array InventoryWire(const std::vector<core::InstalledItem>& items) {
  json::array out;
  for (const core::InstalledItem& item : items) {
    out.push_back({{"kind", core::ToString(item.kind)},
                   {"id", item.id},
                   {"version", item.version},
                   {"outcome", core::ToString(item.outcome)}});
  }
  return out;
}

}  // namespace groundcrew::agent
