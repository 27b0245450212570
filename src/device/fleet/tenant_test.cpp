#include "device/fleet/tenant.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <set>

#include "device/executor/sim_executor.hpp"
#include "identity/password.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::fleet {
namespace {

namespace json = boost::json;

TEST(TenantShape, RefusesShapesOutsideTheLimitsNamingTheField) {
  TenantShape shape;
  ASSERT_TRUE(Check(shape).has_value());
  auto field = [](TenantShape s) { return Check(s).error().field; };
  shape.devices = 0;
  EXPECT_EQ(field(shape), "devices");
  shape = {};
  shape.device_apps = 0;
  EXPECT_EQ(field(shape), "deviceApps");
  shape = {};
  shape.user_apps = 501;
  EXPECT_EQ(field(shape), "userApps");
  shape = {};
  shape.failure_rate = 1.5;
  EXPECT_EQ(field(shape), "failureRate");
  shape = {};
  shape.jitter = -0.1;
  EXPECT_EQ(field(shape), "jitter");
  shape = {};
  shape.domain = "Fleet Example";
  EXPECT_EQ(field(shape), "domain");
  shape = {};
  shape.install_time = std::chrono::minutes(11);
  EXPECT_EQ(field(shape), "installTime");
}

TEST(TenantDocument, HasOneUserPerDeviceAndTheAppsAndPoliciesAsked) {
  TenantShape shape;
  shape.devices = 5;
  shape.device_apps = 4;
  shape.user_apps = 2;
  shape.device_policies = 3;
  shape.user_policies = 1;
  shape.dependency_every = 2;
  const json::object doc = TenantDocument(shape, /*extra_device_apps=*/1);
  EXPECT_EQ(doc.at("users").as_array().size(), 5u);
  EXPECT_EQ(doc.at("apps").as_array().size(), 4u + 1u + 2u);
  EXPECT_EQ(doc.at("policies").as_array().size(), 4u);
  // The ESP profile blocks on the first device app, which never fails.
  const json::object& esp = doc.at("espProfiles").as_array()[0].as_object();
  EXPECT_EQ(esp.at("selectedMobileApps").as_array()[0].as_string(), BlockingAppName());
  const json::object& first = doc.at("apps").as_array()[0].as_object();
  EXPECT_EQ(first.at("displayName").as_string(), BlockingAppName());
  // Every app's description is a valid sim: setting; app 2 depends on app 1.
  for (const json::value& app : doc.at("apps").as_array()) {
    EXPECT_TRUE(
        executor::ParseSimBehaviour(std::string(app.at("description").as_string())).has_value())
        << json::serialize(app);
  }
  EXPECT_TRUE(doc.at("apps").as_array()[2].as_object().contains("dependencies"));
  EXPECT_FALSE(doc.at("apps").as_array()[1].as_object().contains("dependencies"));
  EXPECT_TRUE(doc.at("deploymentProfiles").as_array()[0].at("preprovisioningAllowed").as_bool());
}

TEST(TenantDocument, TheFailureRateAppliesToNonBlockingAppsOnly) {
  TenantShape shape;
  shape.failure_rate = 0.25;
  const json::object doc = TenantDocument(shape);
  const auto& apps = doc.at("apps").as_array();
  auto rate = [&](std::size_t i) {
    return executor::ParseSimBehaviour(std::string(apps[i].at("description").as_string()))
        ->failure_rate;
  };
  EXPECT_EQ(rate(0), 0);
  EXPECT_EQ(rate(1), 0.25);
}

TEST(TenantDocument, EverySimulatedDeviceMeetsTheLinuxCompliancePolicy) {
  const json::object document = TenantDocument(TenantShape{});
  const json::array& policies = document.at("compliancePolicies").as_array();
  ASSERT_EQ(policies.size(), 1u);
  json::object without_assignments = policies[0].as_object();
  without_assignments.erase("assignments");
  core::CompliancePolicy policy;
  ASSERT_TRUE(wire::Decode(without_assignments, policy));
  EXPECT_EQ(policy.os_name, "debian");
  EXPECT_TRUE(policy.storage_require_encryption);
  const core::CompliancePolicy checked[] = {policy};
  EXPECT_EQ(core::EvaluateCompliance(checked, SimulatedFacts()).state,
            core::ComplianceState::kCompliant);
  EXPECT_EQ(core::EvaluateCompliance(checked, core::DeviceFacts{}).state,
            core::ComplianceState::kNoncompliant);
}

TEST(IdentityOf, IsDeterministicDistinctAndMeetsThePasswordPolicy) {
  TenantShape shape;
  std::set<std::string> keys, serials;
  for (int i = 0; i < 50; ++i) {
    const SimIdentity id = IdentityOf(shape, i);
    EXPECT_EQ(id.key_seed.size(), 32u);
    EXPECT_EQ(id.totp_seed.size(), 20u);
    keys.insert(id.key_seed);
    serials.insert(id.serial_number);
    EXPECT_TRUE(identity::CheckPasswordPolicy(id.password, id.user_principal_name).has_value())
        << id.password;
  }
  EXPECT_EQ(keys.size(), 50u);
  EXPECT_EQ(serials.size(), 50u);
  EXPECT_EQ(IdentityOf(shape, 7).key_seed, IdentityOf(shape, 7).key_seed);
  TenantShape other = shape;
  other.seed = 2;
  EXPECT_NE(IdentityOf(other, 7).key_seed, IdentityOf(shape, 7).key_seed);
  EXPECT_EQ(IdentityOf(shape, 42).serial_number, "FLEET-0000042");
}

}  // namespace
}  // namespace groundcrew::fleet
