#include "core/model/references.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

Tenant ContosoLike() {
  Tenant tenant;
  Group sales;
  sales.id = GroupId{"g-sales"};
  sales.display_name = "Sales users";
  tenant.groups.push_back(sales);
  App crm;
  crm.id = AppId{"a-crm"};
  crm.display_name = "Sales CRM";
  App runtime;
  runtime.id = AppId{"a-runtime"};
  runtime.display_name = "Contoso Runtime";
  crm.dependencies.push_back({AppId{"a-runtime"}, true});
  tenant.apps = {crm, runtime};
  EspProfile esp;
  esp.id = EspProfileId{"e-1"};
  esp.display_name = "Contoso ESP";
  esp.selected_mobile_app_ids = {AppId{"a-runtime"}};
  esp.assignments = {{TargetKind::kGroup, GroupId{"g-sales"}}};
  tenant.esp_profiles.push_back(esp);
  Assignment assignment;
  assignment.id = AssignmentId{"as-1"};
  assignment.payload_kind = PayloadKind::kApp;
  assignment.payload_id = "a-crm";
  assignment.target = {TargetKind::kGroup, GroupId{"g-sales"}};
  tenant.assignments.push_back(assignment);
  tenant.settings.mfa_groups = {GroupId{"g-sales"}};
  return tenant;
}

TEST(ReferencesTest, NamesEveryReferrerOfAGroupInWords) {
  EXPECT_EQ(ReferencesTo(ContosoLike(), "g-sales"),
            (std::vector<std::string>{
                "the tenant's MFA groups", "ESP profile \"Contoso ESP\" (assigned to it)",
                "the assignment of app \"Sales CRM\" to group \"Sales users\" (as-1)"}));
}

TEST(ReferencesTest, NamesDependenciesBlockingListsAndAssignmentsOfAnApp) {
  const Tenant tenant = ContosoLike();
  EXPECT_EQ(ReferencesTo(tenant, "a-runtime"),
            (std::vector<std::string>{"ESP profile \"Contoso ESP\" (a blocking app)",
                                      "app \"Sales CRM\" (a dependency)"}));
  EXPECT_EQ(ReferencesTo(tenant, "a-crm"),
            (std::vector<std::string>{
                "the assignment of app \"Sales CRM\" to group \"Sales users\" (as-1)"}));
}

TEST(ReferencesTest, NothingRefersToAnUnusedResource) {
  EXPECT_TRUE(ReferencesTo(ContosoLike(), "e-1").empty());
  EXPECT_TRUE(ReferencesTo(ContosoLike(), "").empty());
}

}  // namespace
}  // namespace groundcrew::core
