#include <gtest/gtest.h>

#include "server/store/credential_store.hpp"
#include "server/store/resource_store.hpp"

namespace groundcrew::store {
namespace {

TEST(StoreNamesTest, ResourceKindsRoundTrip) {
  for (int i = 0; i <= static_cast<int>(ResourceKind::kAssignment); ++i) {
    const auto kind = static_cast<ResourceKind>(i);
    EXPECT_EQ(ParseResourceKind(ToString(kind)), kind) << ToString(kind);
  }
  EXPECT_EQ(ToString(ResourceKind::kTenant), "tenant");
  EXPECT_EQ(ToString(ResourceKind::kDeploymentProfile), "deploymentProfiles");
  EXPECT_EQ(ToString(ResourceKind::kCompliancePolicy), "compliancePolicies");
  EXPECT_EQ(ParseResourceKind("Users"), std::nullopt);  // exact spelling only
  EXPECT_EQ(ParseResourceKind(""), std::nullopt);
  EXPECT_EQ(ParseResourceKind("autopilotDevices"), std::nullopt);  // not a catalog resource
}

TEST(StoreNamesTest, CredentialRolesRoundTrip) {
  EXPECT_EQ(ToString(CredentialRole::kAdmin), "admin");
  EXPECT_EQ(ToString(CredentialRole::kReader), "reader");
  EXPECT_EQ(ParseCredentialRole("admin"), CredentialRole::kAdmin);
  EXPECT_EQ(ParseCredentialRole("reader"), CredentialRole::kReader);
  EXPECT_EQ(ToString(CredentialRole::kTechnician), "technician");
  EXPECT_EQ(ParseCredentialRole("technician"), CredentialRole::kTechnician);
  EXPECT_EQ(ParseCredentialRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseCredentialRole(""), std::nullopt);
}

}  // namespace
}  // namespace groundcrew::store
