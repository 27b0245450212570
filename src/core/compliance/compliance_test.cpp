#include "core/compliance/compliance.hpp"

#include <gtest/gtest.h>

namespace groundcrew::core {
namespace {

TEST(ComplianceTest, ComparesDottedVersionsNumerically) {
  EXPECT_LT(CompareVersions("10.0.19045", "10.0.22621"), 0);
  EXPECT_EQ(CompareVersions("12", "12.0.0"), 0);
  EXPECT_GT(CompareVersions("12.10", "12.9"), 0);
  EXPECT_LT(CompareVersions("12.rc1", "12.rc2"), 0);
}

TEST(ComplianceTest, NoPoliciesIsCompliant) {
  EXPECT_EQ(EvaluateCompliance({}, DeviceFacts{}).state, ComplianceState::kCompliant);
}

TEST(ComplianceTest, ReportsEveryFailedSettingWithReasons) {
  CompliancePolicy policy;
  policy.display_name = "Baseline";
  policy.os_minimum_version = "12.5";
  policy.storage_require_encryption = true;
  policy.active_firewall_required = true;
  policy.password_minimum_length = 12;
  DeviceFacts facts;
  facts.os_version = "12.4";
  facts.storage_encrypted = false;
  facts.password_minimum_length = 8;
  // firewall_active not reported

  const CompliancePolicy policies[] = {policy};
  ComplianceResult result = EvaluateCompliance(policies, facts);

  EXPECT_EQ(result.state, ComplianceState::kNoncompliant);
  ASSERT_EQ(result.findings.size(), 4u);
  EXPECT_EQ(result.findings[0].setting, "osMinimumVersion");
  EXPECT_EQ(result.findings[0].actual, "12.4");
  EXPECT_EQ(result.findings[1].setting, "storageRequireEncryption");
  EXPECT_EQ(result.findings[1].actual, "no");
  EXPECT_EQ(result.findings[2].setting, "activeFirewallRequired");
  EXPECT_EQ(result.findings[2].actual, "not reported");
  EXPECT_EQ(result.findings[3].setting, "passwordMinimumLength");
  EXPECT_EQ(result.findings[3].expected, ">= 12");
}

TEST(ComplianceTest, CompliantDeviceAndResetAtUserFlowStart) {
  CompliancePolicy policy;
  policy.os_minimum_version = "12";
  policy.os_maximum_version = "13";
  policy.secure_boot_enabled = true;
  DeviceFacts facts;
  facts.os_version = "12.7";
  facts.secure_boot_enabled = true;
  const CompliancePolicy policies[] = {policy};
  EXPECT_EQ(EvaluateCompliance(policies, facts).state, ComplianceState::kCompliant);

  facts.os_version = "13.1";
  EXPECT_EQ(EvaluateCompliance(policies, facts).state, ComplianceState::kNoncompliant);

  ComplianceResult reset = ResetAtUserFlowStart();
  EXPECT_EQ(reset.state, ComplianceState::kUnknown);
  EXPECT_FALSE(reset.note.empty());
}

TEST(ComplianceTest, PoliciesForADeviceFollowAssignmentsAndExclusions) {
  Tenant tenant;
  Group devices, lab;
  devices.id = GroupId{"devices"};
  devices.members = {"dev-1", "dev-2"};
  lab.id = GroupId{"lab"};
  lab.members = {"dev-2"};
  tenant.groups = {devices, lab};
  CompliancePolicy baseline, strict;
  baseline.id = CompliancePolicyId{"baseline"};
  strict.id = CompliancePolicyId{"strict"};
  tenant.compliance_policies = {baseline, strict};
  tenant.assignments = {
      {AssignmentId{}, PayloadKind::kCompliance, "baseline", {TargetKind::kAllDevices, {}}},
      {AssignmentId{},
       PayloadKind::kCompliance,
       "strict",
       {TargetKind::kGroup, GroupId{"devices"}}},
      {AssignmentId{},
       PayloadKind::kCompliance,
       "strict",
       {TargetKind::kExclusionGroup, GroupId{"lab"}}},
  };
  auto index = *TargetingIndex::Build(tenant);
  DirectoryDevice office, lab_pc;
  office.id = DirectoryObjectId{"dev-1"};
  lab_pc.id = DirectoryObjectId{"dev-2"};

  auto names = [&](const DirectoryDevice& device) {
    std::vector<std::string> ids;
    for (const auto& p : CompliancePoliciesFor(*index, index->DeviceGroups(device), nullptr)) {
      ids.push_back(p.id.value());
    }
    return ids;
  };
  EXPECT_EQ(names(office), (std::vector<std::string>{"baseline", "strict"}));
  EXPECT_EQ(names(lab_pc), std::vector<std::string>{"baseline"});
}

}  // namespace
}  // namespace groundcrew::core
