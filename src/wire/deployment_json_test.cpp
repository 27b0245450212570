#include "wire/deployment_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>

#include "wire/events_json.hpp"
#include "wire/report_json.hpp"
#include "wire/wire_test_util.hpp"

namespace groundcrew::wire {
namespace {

namespace json = boost::json;

const core::Timestamp kNow{std::chrono::seconds(1'800'000'000)};  // 2027-01-15T08:00:00Z

DeploymentPayloads SamplePayloads() {
  DeploymentPayloads payloads;
  core::App& app = payloads.apps.emplace_back();
  app.id = core::AppId{"app-1"};
  app.display_name = "Company Portal";
  core::Policy& policy = payloads.policies.emplace_back();
  policy.id = core::PolicyId{"policy-1"};
  policy.display_name = "Baseline";
  policy.settings_json = R"({"firewall":true})";
  core::CertificateProfile& certificate = payloads.certificate_profiles.emplace_back();
  certificate.id = core::CertificateProfileId{"cert-1"};
  certificate.display_name = "Device certificate";
  core::NetworkProfile& network = payloads.network_profiles.emplace_back();
  network.id = core::NetworkProfileId{"net-1"};
  network.display_name = "Corp";
  network.ssid = "corp";
  network.pre_shared_key = "correct horse";
  return payloads;
}

TEST(DeploymentJsonTest, PayloadsCarryTheNetworkKeyAndDecodeBack) {
  const DeploymentPayloads payloads = SamplePayloads();
  const json::object encoded = Encode(payloads);
  EXPECT_EQ(encoded.at("apps").at(0), json::value(Encode(payloads.apps[0])));
  EXPECT_EQ(encoded.at("policies").at(0), json::value(Encode(payloads.policies[0])));
  EXPECT_EQ(encoded.at("networkProfiles").at(0).at("preSharedKey"), "correct horse");
  DeploymentPayloads decoded;
  ASSERT_TRUE(Decode(json::value(encoded), decoded));
  EXPECT_EQ(Encode(decoded), encoded);
}

TEST(DeploymentJsonTest, TheDocumentHasItsFiveMembers) {
  DeploymentDocument document;
  document.flow = core::Flow::kUser;
  document.plan.flow = core::Flow::kUser;
  document.payloads = SamplePayloads();
  core::CompliancePolicy& policy = document.compliance_policies.emplace_back();
  policy.display_name = "Device baseline";
  json::object encoded = Encode(document);
  EXPECT_EQ(encoded.at("flow"), "user");
  EXPECT_TRUE(encoded.at("profile").is_null());
  EXPECT_EQ(encoded.at("plan"), json::value(Encode(document.plan)));
  EXPECT_EQ(encoded.at("payloads"), json::value(Encode(document.payloads)));
  EXPECT_EQ(encoded.at("compliancePolicies").at(0).at("displayName"), "Device baseline");
  EXPECT_EQ(encoded.size(), 5u);

  document.profile = core::ProfileInfo{};
  document.profile->profile_name = "Contoso";
  EXPECT_EQ(Encode(document).at("profile").at("profileName"), "Contoso");
}

TEST(DeploymentJsonTest, AnIssuedCertificate) {
  EXPECT_EQ(json::serialize(Encode(IssuedCertificate{"CERT", "CA", kNow})),
            R"({"certificate":"CERT","caCertificate":"CA",)"
            R"("expirationDateTime":"2027-01-15T08:00:00Z"})");
}

TEST(DeploymentJsonTest, AppendedSequences) {
  EXPECT_EQ(json::serialize(Encode(AppendedEvents{{7, 8, 7}})), R"({"sequences":[7,8,7]})");
  EXPECT_EQ(json::serialize(Encode(AppendedEvents{})), R"({"sequences":[]})");
}

TEST(DeploymentJsonTest, TheEventFeedShowsWhatIsGoneAsNull) {
  FeedPage page;
  page.next_after = 12;
  FeedEvent& known = page.events.emplace_back();
  known.sequence = 11;
  known.session_id = "s-1";
  known.device_id = "ztd-1";
  known.serial_number = "SN-1";
  known.flow = "technician";
  known.at = kNow;
  known.kind = "screen";
  known.detail = R"({"screen":"landing"})";
  FeedEvent& orphan = page.events.emplace_back();
  orphan.sequence = 12;
  orphan.session_id = "gone";
  orphan.at = kNow;
  orphan.kind = "x";
  orphan.detail = "not JSON";
  EXPECT_EQ(json::serialize(Encode(page)),
            R"({"value":[{"sequence":11,"sessionId":"s-1","deviceId":"ztd-1",)"
            R"("serialNumber":"SN-1","flow":"technician","at":"2027-01-15T08:00:00Z",)"
            R"("kind":"screen","detail":{"screen":"landing"}},)"
            R"({"sequence":12,"sessionId":"gone","deviceId":null,"serialNumber":null,)"
            R"("flow":null,"at":"2027-01-15T08:00:00Z","kind":"x","detail":"not JSON"}],)"
            R"("nextAfter":"12"})");
}

}  // namespace
}  // namespace groundcrew::wire
