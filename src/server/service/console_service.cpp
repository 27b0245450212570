#include "server/service/console_service.hpp"

#include <fmt/format.h>

#include "core/rules/explain.hpp"
#include "core/rules/rule.hpp"
#include "core/rules/subject.hpp"

namespace groundcrew::service {
namespace {

Error Invalid(std::string field, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message), field);
}

// The ids of `groups` (indexes into the tenant's groups), for memberOf.
std::vector<std::string> GroupIds(const core::TargetingIndex& index, const core::GroupSet& groups) {
  std::vector<std::string> ids;
  for (uint32_t g : groups) ids.push_back(index.tenant().groups[g].id.value());
  return ids;
}

}  // namespace

Result<core::DashboardFigures> ConsoleService::Dashboard() {
  const core::Timestamp now = clock_();
  Result<core::DashboardFigures> figures = store_.sessions().Dashboard(
      now - std::chrono::duration_cast<core::Timestamp::duration>(kDashboardWindow),
      kDashboardListLimit);
  if (!figures) return figures.error();
  figures->generated_date_time = now;
  return figures;
}

Result<std::vector<wire::RuleSubjectOutcome>> ConsoleService::ValidateRule(
    const RuleValidationRequest& request) {
  Result<core::rules::CompiledRule> rule = core::rules::CompileRule(request.membership_rule);
  if (!rule) return rule.error();
  const bool devices = !request.device_ids.empty();
  if (devices == !request.user_ids.empty()) {
    return Invalid("deviceIds", "give deviceIds or userIds (1 to 20 ids), not both");
  }
  const bool device_rule = rule->object_type() == core::rules::ObjectType::kDevice;
  if (devices != device_rule) {
    return Invalid(
        devices ? "deviceIds" : "userIds",
        fmt::format("this is a {} rule: validate it against {}", device_rule ? "device" : "user",
                    device_rule ? "deviceIds" : "userIds"));
  }
  const std::vector<std::string>& ids = devices ? request.device_ids : request.user_ids;
  const std::string list = devices ? "deviceIds" : "userIds";
  if (ids.size() > kMaxRuleValidationSubjects) {
    return Invalid(list, fmt::format("at most {} ids at a time, not {}", kMaxRuleValidationSubjects,
                                     ids.size()));
  }
  Result<std::vector<core::rules::RuleClause>> clauses = core::rules::SplitClauses(*rule);
  if (!clauses) return clauses.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  std::vector<wire::RuleSubjectOutcome> results;
  for (size_t i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    const std::string field = fmt::format("{}[{}]", list, i);
    if (devices) {
      Result<store::DeviceRecord> record = store_.devices().Get(core::ZtdId{id});
      if (!record) {
        if (record.error().code != ErrorCode::kNotFound) return record.error();
        return MakeError(ErrorCode::kNotFound,
                         fmt::format("{}: no registered device has id \"{}\"", field, id), field);
      }
      const core::DirectoryDevice device = core::PlaceholderFor(record->value);
      const std::vector<std::string> member_of = GroupIds(index, index.DeviceGroups(device));
      const core::rules::DeviceAttributes attributes(device, member_of);
      const std::string& name = record->value.display_name.empty() ? record->value.serial_number
                                                                   : record->value.display_name;
      results.push_back({id, name, core::rules::Explain(*rule, *clauses, attributes.subject())});
    } else {
      const core::User* user = nullptr;
      for (const core::User& candidate : index.tenant().users) {
        if (candidate.id.value() == id) user = &candidate;
      }
      if (user == nullptr) {
        return MakeError(ErrorCode::kNotFound, fmt::format("{}: no user has id \"{}\"", field, id),
                         field);
      }
      const std::vector<std::string> member_of = GroupIds(index, index.UserGroups(*user));
      const core::rules::UserAttributes attributes(*user, member_of);
      results.push_back(
          {id, user->display_name.empty() ? user->user_principal_name : user->display_name,
           core::rules::Explain(*rule, *clauses, attributes.subject())});
    }
  }
  return results;
}

}  // namespace groundcrew::service
