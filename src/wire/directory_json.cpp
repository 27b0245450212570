// Tenant settings, users and groups.
#include <fmt/format.h>

#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::DecodeResource;
using internal::IdsToArray;
using internal::IndexPath;
using internal::Invalid;
using internal::NameOf;
using internal::ObjectReader;
using internal::ReadString;
using internal::RequireNonEmpty;
using internal::ToArray;

namespace {

constexpr int kMinDeviceJoinLimit = 1;
constexpr int kMaxDeviceJoinLimit = 1000;

constexpr std::string_view kExtensionAttributes = "onPremisesExtensionAttributes";

// "extensionAttribute1".."extensionAttribute15": static storage, since readers keep views of
// the keys they were asked for.
const std::array<std::string, 15>& ExtensionAttributeNames() {
  static const auto* names = [] {
    auto* result = new std::array<std::string, 15>;
    for (size_t i = 0; i < result->size(); ++i) {
      (*result)[i] = fmt::format("extensionAttribute{}", i + 1);
    }
    return result;
  }();
  return *names;
}

// Merges present attributes; null clears one (Graph writes null for unset attributes).
Status DecodeExtensionAttributes(ObjectReader& parent, std::array<std::string, 15>& out) {
  const json::value* v = parent.Take(kExtensionAttributes);
  if (v == nullptr) return Ok{};
  auto reader = ObjectReader::Open(*v, parent.PathOf(kExtensionAttributes));
  if (!reader) return reader.error();
  const auto& names = ExtensionAttributeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    const json::value* attribute = reader->Take(names[i]);
    if (attribute == nullptr) continue;
    if (attribute->is_null()) {
      out[i].clear();
    } else {
      GC_RETURN_IF_ERROR(ReadString(*attribute, reader->PathOf(names[i]), out[i]));
    }
  }
  return reader->Finish();
}

}  // namespace

// ---- TenantSettings ----

json::object Encode(const core::TenantSettings& settings) {
  json::object o;
  o["id"] = settings.id.value();
  o["organizationName"] = settings.organization_name;
  o["domain"] = settings.domain;
  o["additionalDomains"] = ToArray(settings.additional_domains);
  o["mdmUserScope"] = NameOf(internal::kMdmUserScopes, settings.mdm_user_scope);
  o["mdmUserScopeGroupIds"] = IdsToArray(settings.mdm_user_scope_groups);
  o["deviceJoinScope"] = NameOf(internal::kDeviceJoinScopes, settings.device_join_scope);
  o["deviceJoinUserIds"] = IdsToArray(settings.device_join_users);
  o["deviceJoinGroupIds"] = IdsToArray(settings.device_join_groups);
  o["deviceJoinLimit"] = settings.device_join_limit;
  o["mfaRequirement"] = NameOf(internal::kMfaRequirements, settings.mfa_requirement);
  o["mfaGroupIds"] = IdsToArray(settings.mfa_groups);
  return o;
}

Status Decode(const json::value& json, core::TenantSettings& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::TenantSettings& s) -> Status {
        GC_RETURN_IF_ERROR(r.String("organizationName", s.organization_name));
        GC_RETURN_IF_ERROR(r.String("domain", s.domain));
        GC_RETURN_IF_ERROR(r.Strings("additionalDomains", s.additional_domains));
        GC_RETURN_IF_ERROR(r.Enum("mdmUserScope", internal::kMdmUserScopes, s.mdm_user_scope));
        GC_RETURN_IF_ERROR(r.Ids("mdmUserScopeGroupIds", s.mdm_user_scope_groups));
        GC_RETURN_IF_ERROR(
            r.Enum("deviceJoinScope", internal::kDeviceJoinScopes, s.device_join_scope));
        GC_RETURN_IF_ERROR(r.Ids("deviceJoinUserIds", s.device_join_users));
        GC_RETURN_IF_ERROR(r.Ids("deviceJoinGroupIds", s.device_join_groups));
        GC_RETURN_IF_ERROR(r.Int("deviceJoinLimit", s.device_join_limit, kMinDeviceJoinLimit,
                                 kMaxDeviceJoinLimit));
        GC_RETURN_IF_ERROR(r.Enum("mfaRequirement", internal::kMfaRequirements, s.mfa_requirement));
        return r.Ids("mfaGroupIds", s.mfa_groups);
      },
      [](const core::TenantSettings&) -> Status { return Ok{}; });
}

// ---- User ----

json::object Encode(const core::User& user) {
  json::object o;
  o["id"] = user.id.value();
  o["userPrincipalName"] = user.user_principal_name;
  o["displayName"] = user.display_name;
  o["accountEnabled"] = user.account_enabled;
  o["licensed"] = user.licensed;
  o["givenName"] = user.given_name;
  o["surname"] = user.surname;
  o["mail"] = user.mail;
  o["mailNickname"] = user.mail_nickname;
  o["department"] = user.department;
  o["jobTitle"] = user.job_title;
  o["companyName"] = user.company_name;
  o["city"] = user.city;
  o["state"] = user.state;
  o["country"] = user.country;
  o["usageLocation"] = user.usage_location;
  o["employeeId"] = user.employee_id;
  o["userType"] = user.user_type;
  o["employeeHireDate"] = user.employee_hire_date;
  o["otherMails"] = ToArray(user.other_mails);
  o["proxyAddresses"] = ToArray(user.proxy_addresses);
  json::object attributes;
  const auto& names = ExtensionAttributeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if (!user.extension_attributes[i].empty()) {
      attributes[names[i]] = user.extension_attributes[i];
    }
  }
  o[kExtensionAttributes] = std::move(attributes);
  o["createdDateTime"] = FormatTimestamp(user.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::User& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::User& u) -> Status {
        GC_RETURN_IF_ERROR(r.String("userPrincipalName", u.user_principal_name));
        GC_RETURN_IF_ERROR(r.String("displayName", u.display_name));
        GC_RETURN_IF_ERROR(r.Bool("accountEnabled", u.account_enabled));
        GC_RETURN_IF_ERROR(r.Bool("licensed", u.licensed));
        GC_RETURN_IF_ERROR(r.String("givenName", u.given_name));
        GC_RETURN_IF_ERROR(r.String("surname", u.surname));
        GC_RETURN_IF_ERROR(r.String("mail", u.mail));
        GC_RETURN_IF_ERROR(r.String("mailNickname", u.mail_nickname));
        GC_RETURN_IF_ERROR(r.String("department", u.department));
        GC_RETURN_IF_ERROR(r.String("jobTitle", u.job_title));
        GC_RETURN_IF_ERROR(r.String("companyName", u.company_name));
        GC_RETURN_IF_ERROR(r.String("city", u.city));
        GC_RETURN_IF_ERROR(r.String("state", u.state));
        GC_RETURN_IF_ERROR(r.String("country", u.country));
        GC_RETURN_IF_ERROR(r.String("usageLocation", u.usage_location));
        GC_RETURN_IF_ERROR(r.String("employeeId", u.employee_id));
        GC_RETURN_IF_ERROR(r.String("userType", u.user_type));
        GC_RETURN_IF_ERROR(r.String("employeeHireDate", u.employee_hire_date));
        GC_RETURN_IF_ERROR(r.Strings("otherMails", u.other_mails));
        GC_RETURN_IF_ERROR(r.Strings("proxyAddresses", u.proxy_addresses));
        return DecodeExtensionAttributes(r, u.extension_attributes);
      },
      [](const core::User& u) {
        return RequireNonEmpty("userPrincipalName", u.user_principal_name);
      });
}

// ---- Group ----

json::object Encode(const core::Group& group) {
  json::object o;
  o["id"] = group.id.value();
  o["displayName"] = group.display_name;
  o["description"] = group.description;
  o["membershipKind"] = NameOf(internal::kMembershipKinds, group.membership_kind);
  o["membershipRule"] = group.membership_rule;
  o["membershipRuleProcessingState"] =
      NameOf(internal::kRuleProcessingStates, group.rule_processing_paused);
  o["members"] = ToArray(group.members);
  o["createdDateTime"] = FormatTimestamp(group.created_date_time);
  return o;
}

Status Decode(const json::value& json, core::Group& out) {
  return DecodeResource(
      json, out,
      [](ObjectReader& r, core::Group& g) -> Status {
        GC_RETURN_IF_ERROR(r.String("displayName", g.display_name));
        GC_RETURN_IF_ERROR(r.String("description", g.description));
        GC_RETURN_IF_ERROR(r.Enum("membershipKind", internal::kMembershipKinds, g.membership_kind));
        GC_RETURN_IF_ERROR(r.String("membershipRule", g.membership_rule));
        GC_RETURN_IF_ERROR(r.Enum("membershipRuleProcessingState", internal::kRuleProcessingStates,
                                  g.rule_processing_paused));
        std::vector<std::string> members = g.members;
        GC_RETURN_IF_ERROR(r.Strings("members", members));
        for (size_t i = 0; i < members.size(); ++i) {
          if (members[i].empty()) {
            return Invalid(IndexPath(r.PathOf("members"), i), "must not be empty");
          }
        }
        g.members = std::move(members);
        return Ok{};
      },
      [](const core::Group& g) { return RequireNonEmpty("displayName", g.display_name); });
}

}  // namespace groundcrew::wire
