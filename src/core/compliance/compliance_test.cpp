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

// A Debian 12.7 device that does everything a strict policy asks.
DeviceFacts GoodDebian() {
  DeviceFacts facts;
  facts.os_id = "debian";
  facts.os_name = "Debian GNU/Linux";
  facts.os_version = "12.7";
  facts.storage_encrypted = true;
  facts.secure_boot_enabled = true;
  facts.firewall_active = true;
  facts.screen_lock_enabled = true;
  facts.screen_lock_idle_minutes = 10;
  facts.automatic_security_updates = true;
  facts.password_minimum_length = 12;
  return facts;
}

CompliancePolicy Strict() {
  CompliancePolicy policy;
  policy.display_name = "Strict";
  policy.os_name = "debian";
  policy.os_minimum_version = "12.5";
  policy.os_maximum_version = "12.99";
  policy.storage_require_encryption = true;
  policy.secure_boot_enabled = true;
  policy.active_firewall_required = true;
  policy.screen_lock_required = true;
  policy.screen_lock_maximum_idle_minutes = 15;
  policy.automatic_security_updates_required = true;
  policy.password_minimum_length = 12;
  return policy;
}

// "setting: expected / actual" of every finding, for short assertions.
std::vector<std::string> Findings(const CompliancePolicy& policy, const DeviceFacts& facts) {
  const CompliancePolicy policies[] = {policy};
  std::vector<std::string> out;
  for (const ComplianceFinding& f : EvaluateCompliance(policies, facts).findings) {
    EXPECT_EQ(f.policy, policy.display_name);
    out.push_back(f.setting + ": " + f.expected + " / " + f.actual);
  }
  return out;
}

using Lines = std::vector<std::string>;

TEST(ComplianceTest, ADeviceThatDoesEverythingIsCompliant) {
  const CompliancePolicy policies[] = {Strict()};
  EXPECT_EQ(EvaluateCompliance(policies, GoodDebian()).state, ComplianceState::kCompliant);
  EXPECT_EQ(Findings(Strict(), GoodDebian()), Lines{});
}

TEST(ComplianceTest, EachFailingSettingIsAFindingWithTheValueFound) {
  const CompliancePolicy strict = Strict();
  auto with = [](auto change) {
    DeviceFacts facts = GoodDebian();
    change(facts);
    return facts;
  };
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.os_id = "ubuntu"; })),
            Lines{"osName: debian / ubuntu"})
      << "another distribution's version is not compared";
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.os_version = "12.4"; })),
            Lines{"osMinimumVersion: >= 12.5 / 12.4"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.os_version = "13.1"; })),
            Lines{"osMaximumVersion: <= 12.99 / 13.1"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.storage_encrypted = false; })),
            Lines{"storageRequireEncryption: yes / no"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) {
                       f.secure_boot_enabled = false;
                       f.secure_boot_note = "not EFI";
                     })),
            Lines{"secureBootEnabled: yes / no (not EFI)"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) {
                       f.firewall_active = false;
                       f.firewall_note = "table inet groundcrew not loaded";
                     })),
            Lines{"activeFirewallRequired: yes / no (table inet groundcrew not loaded)"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.screen_lock_enabled = false; })),
            (Lines{"screenLockRequired: yes / no",
                   "screenLockMaximumIdleMinutes: <= 15 / never (screen lock off)"}));
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.screen_lock_idle_minutes = 30; })),
            Lines{"screenLockMaximumIdleMinutes: <= 15 / 30"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.automatic_security_updates = false; })),
            Lines{"automaticSecurityUpdatesRequired: yes / no"});
  EXPECT_EQ(Findings(strict, with([](DeviceFacts& f) { f.password_minimum_length = 8; })),
            Lines{"passwordMinimumLength: >= 12 / 8"});
}

TEST(ComplianceTest, WhatTheDeviceDidNotReportFailsAsNotReported) {
  EXPECT_EQ(
      Findings(Strict(), DeviceFacts{}),
      (Lines{"osName: debian / not reported", "storageRequireEncryption: yes / not reported",
             "secureBootEnabled: yes / not reported", "activeFirewallRequired: yes / not reported",
             "screenLockRequired: yes / not reported",
             "screenLockMaximumIdleMinutes: <= 15 / not reported",
             "automaticSecurityUpdatesRequired: yes / not reported",
             "passwordMinimumLength: >= 12 / not reported"}));
  DeviceFacts no_version = GoodDebian();
  no_version.os_version.clear();
  no_version.screen_lock_idle_minutes.reset();
  EXPECT_EQ(Findings(Strict(), no_version),
            (Lines{"osMinimumVersion: >= 12.5 / not reported",
                   "osMaximumVersion: <= 12.99 / not reported",
                   "screenLockMaximumIdleMinutes: <= 15 / not reported"}));
}

TEST(ComplianceTest, VersionsCompareInDebianOrder) {
  CompliancePolicy policy;
  policy.display_name = "Versions";
  policy.os_name = "debian";
  policy.os_minimum_version = "12.7";
  DeviceFacts facts = GoodDebian();
  facts.os_version = "12.10";  // dotted text order would put it before 12.7
  EXPECT_EQ(Findings(policy, facts), Lines{});
  facts.os_version = "12.7~rc1";  // a pre-release sorts before its release
  EXPECT_EQ(Findings(policy, facts), Lines{"osMinimumVersion: >= 12.7 / 12.7~rc1"});
  facts.os_version = "12.7";
  EXPECT_EQ(Findings(policy, facts), Lines{});
  policy.os_maximum_version = "12";
  policy.os_minimum_version.clear();
  EXPECT_EQ(Findings(policy, facts), Lines{"osMaximumVersion: <= 12 / 12.7"});
}

TEST(ComplianceTest, UncheckedSettingsAreNotFindings) {
  CompliancePolicy nothing;
  nothing.display_name = "Nothing";
  EXPECT_EQ(Findings(nothing, DeviceFacts{}), Lines{});
}

TEST(ComplianceTest, ValidationNamesTheSetting) {
  auto field_of = [](auto change) {
    CompliancePolicy policy = Strict();
    change(policy);
    Status status = ValidateCompliancePolicy(policy);
    if (status) return std::string("valid");
    EXPECT_EQ(status.error().message.rfind(status.error().field + ": ", 0), 0u)
        << status.error().message;
    return status.error().field;
  };
  EXPECT_EQ(field_of([](CompliancePolicy&) {}), "valid");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.os_name = "Debian"; }), "osName");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.os_minimum_version = "x1"; }), "osMinimumVersion");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.os_maximum_version = "12.1"; }),
            "osMaximumVersion");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.os_name.clear(); }), "osMinimumVersion");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.screen_lock_maximum_idle_minutes = 0; }),
            "screenLockMaximumIdleMinutes");
  EXPECT_EQ(field_of([](CompliancePolicy& p) { p.password_minimum_length = 128; }),
            "passwordMinimumLength");
}

TEST(ComplianceTest, ResetAtUserFlowStartIsUnknown) {
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
