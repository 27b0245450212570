#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/model/session.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/store/store.hpp"
#include "wire/console_json.hpp"

// Use cases the console reads (docs/admin-api.md "The console's endpoints"): the dashboard and
// rule validation. Reads only: nothing here changes the store or writes an audit entry.
namespace groundcrew::service {

/// The dashboard's window and the longest of its lists.
inline constexpr std::chrono::hours kDashboardWindow{24};
inline constexpr int kDashboardListLimit = 50;
/// The most objects one rule validation evaluates (Entra's Validate Rules takes 20).
inline constexpr size_t kMaxRuleValidationSubjects = 20;

/// What to validate a rule against: registered devices (their registration ids) or directory
/// users (their ids); one of the two lists, not both.
struct RuleValidationRequest {
  std::string membership_rule;
  std::vector<std::string> device_ids;
  std::vector<std::string> user_ids;
};

class ConsoleService {
 public:
  ConsoleService(store::Store& store, Catalog& catalog, Clock clock)
      : store_(store), catalog_(catalog), clock_(std::move(clock)) {}

  /// The sessions in progress, the failures of the last kDashboardWindow, each flow's figures
  /// over that window and the devices waiting for their user flow, read now.
  [[nodiscard]] Result<core::DashboardFigures> Dashboard();

  /// Evaluates the rule against each subject (in the order given): its result and, per
  /// top-level clause, the clause's result and the values it read. The rule's syntax errors are
  /// CompileRule's (kInvalidArgument, field "position N"): the caller names the rule. Errors
  /// name the list: "deviceIds"/"userIds" (kInvalidArgument: both or neither given, more than
  /// kMaxRuleValidationSubjects, or the list does not fit the rule's object type) or
  /// "deviceIds[i]"/"userIds[i]" (kNotFound: no such device or user).
  [[nodiscard]] Result<std::vector<wire::RuleSubjectOutcome>> ValidateRule(
      const RuleValidationRequest& request);

 private:
  store::Store& store_;
  Catalog& catalog_;
  Clock clock_;
};

}  // namespace groundcrew::service
