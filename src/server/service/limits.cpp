#include "server/service/limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

#include "core/model/profiles.hpp"

namespace groundcrew::service {
namespace {

std::size_t CodePoints(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

struct Field {
  std::string_view name;
  const std::string* value;
  std::size_t max;
};

struct List {
  std::string_view name;
  const std::vector<std::string>* values;
  std::size_t max;  // of each item
};

Status CheckAll(std::initializer_list<Field> fields, std::initializer_list<List> lists = {}) {
  for (const Field& f : fields) GC_RETURN_IF_ERROR(CheckLength(f.name, *f.value, f.max));
  for (const List& l : lists) {
    if (l.values->size() > kMaxListLength) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: must have at most {} items, found {}", l.name,
                                   kMaxListLength, l.values->size()),
                       std::string(l.name));
    }
    for (std::size_t i = 0; i < l.values->size(); ++i) {
      GC_RETURN_IF_ERROR(CheckLength(fmt::format("{}[{}]", l.name, i), (*l.values)[i], l.max));
    }
  }
  return Ok{};
}

Status CheckUser(const core::User& u) {
  for (char c : u.user_principal_name) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7E) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "userPrincipalName: must be printable ASCII (letters, digits and "
                       "' . - _ ! # ^ ~ @, as Entra allows)",
                       "userPrincipalName");
    }
  }
  constexpr std::size_t kA = kMaxUserAttributeLength;
  GC_RETURN_IF_ERROR(
      CheckAll({{"userPrincipalName", &u.user_principal_name, kMaxUserPrincipalNameLength},
                {"displayName", &u.display_name, kMaxNameLength},
                {"givenName", &u.given_name, kA},
                {"surname", &u.surname, kA},
                {"mail", &u.mail, kMaxMailLength},
                {"mailNickname", &u.mail_nickname, kA},
                {"department", &u.department, kA},
                {"jobTitle", &u.job_title, kA},
                {"companyName", &u.company_name, kA},
                {"city", &u.city, kA},
                {"state", &u.state, kA},
                {"country", &u.country, kA},
                {"usageLocation", &u.usage_location, kMaxShortTextLength},
                {"employeeId", &u.employee_id, kA},
                {"userType", &u.user_type, kMaxShortTextLength},
                {"employeeHireDate", &u.employee_hire_date, kMaxShortTextLength}},
               {{"otherMails", &u.other_mails, kMaxMailLength},
                {"proxyAddresses", &u.proxy_addresses, kMaxMailLength}}));
  for (std::size_t i = 0; i < u.extension_attributes.size(); ++i) {
    GC_RETURN_IF_ERROR(
        CheckLength(fmt::format("onPremisesExtensionAttributes.extensionAttribute{}", i + 1),
                    u.extension_attributes[i], kA));
  }
  return Ok{};
}

}  // namespace

Status CheckLength(std::string_view field, std::string_view value, std::size_t max) {
  const std::size_t length = CodePoints(value);
  if (length <= max) return Ok{};
  return MakeError(ErrorCode::kInvalidArgument,
                   fmt::format("{}: must be at most {} characters, found {}", field, max, length),
                   std::string(field));
}

Status CheckLimits(const AnyResource& resource) {
  return std::visit(
      [](const auto& v) -> Status {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, core::TenantSettings>) {
          return CheckAll({{"organizationName", &v.organization_name, kMaxOrganizationNameLength},
                           {"domain", &v.domain, kMaxDomainLength}},
                          {{"additionalDomains", &v.additional_domains, kMaxDomainLength}});
        } else if constexpr (std::is_same_v<T, core::User>) {
          return CheckUser(v);
        } else if constexpr (std::is_same_v<T, core::Group>) {
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"description", &v.description, kMaxDescriptionLength},
                           {"membershipRule", &v.membership_rule, kMaxMembershipRuleLength}},
                          {{"members", &v.members, kMaxNameLength}});
        } else if constexpr (std::is_same_v<T, core::DeploymentProfile>) {
          // Intune's own limits for Autopilot profiles (checked with the other rules too).
          return CheckAll({{"displayName", &v.display_name, 200},
                           {"description", &v.description, 1500},
                           {"locale", &v.locale, kMaxShortTextLength},
                           {"deviceNameTemplate", &v.device_name_template, kMaxShortTextLength}});
        } else if constexpr (std::is_same_v<T, core::EspProfile>) {
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"description", &v.description, kMaxDescriptionLength},
                           {"customErrorMessage", &v.custom_error_message,
                            core::kMaxCustomErrorMessageLength}});
        } else if constexpr (std::is_same_v<T, core::App>) {
          GC_RETURN_IF_ERROR(
              CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                        {"description", &v.description, kMaxDescriptionLength},
                        {"publisher", &v.publisher, kMaxNameLength},
                        {"displayVersion", &v.display_version, kMaxShortTextLength},
                        {"packageName", &v.package_name, kMaxShortTextLength},
                        {"packageVersion", &v.package_version, kMaxShortTextLength},
                        {"installCommandLine", &v.install_command_line, kMaxCommandLineLength},
                        {"uninstallCommandLine", &v.uninstall_command_line, kMaxCommandLineLength},
                        {"installerClass", &v.installer_class, kMaxShortTextLength},
                        {"content.fileName", &v.content.file_name, kMaxNameLength}}));
          for (std::size_t i = 0; i < v.detection_rules.size(); ++i) {
            const core::DetectionRule& rule = v.detection_rules[i];
            for (const auto& [name, value] :
                 {std::pair{"path", &rule.path}, std::pair{"value", &rule.value},
                  std::pair{"command", &rule.command}}) {
              GC_RETURN_IF_ERROR(CheckLength(fmt::format("detectionRules[{}].{}", i, name), *value,
                                             kMaxCommandLineLength));
            }
          }
          return Ok{};
        } else if constexpr (std::is_same_v<T, core::Policy>) {
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"description", &v.description, kMaxDescriptionLength}});
        } else if constexpr (std::is_same_v<T, core::CertificateProfile>) {
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"subjectNameFormat", &v.subject_name_format, kMaxDescriptionLength}},
                          {{"extendedKeyUsages", &v.extended_key_usages, kMaxUserAttributeLength}});
        } else if constexpr (std::is_same_v<T, core::NetworkProfile>) {
          // The key's length is named but never its text.
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"ssid", &v.ssid, kMaxSsidLength},
                           {"preSharedKey", &v.pre_shared_key, kMaxPreSharedKeyLength},
                           {"serverAddress", &v.server_address, kMaxDomainLength},
                           {"vpnType", &v.vpn_type, kMaxShortTextLength}});
        } else if constexpr (std::is_same_v<T, core::CompliancePolicy>) {
          return CheckAll({{"displayName", &v.display_name, kMaxNameLength},
                           {"osName", &v.os_name, kMaxShortTextLength},
                           {"osMinimumVersion", &v.os_minimum_version, kMaxShortTextLength},
                           {"osMaximumVersion", &v.os_maximum_version, kMaxShortTextLength}});
        } else {
          return CheckAll({{"payloadId", &v.payload_id, kMaxNameLength}});
        }
      },
      resource);
}

}  // namespace groundcrew::service
