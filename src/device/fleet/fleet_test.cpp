#include "device/fleet/fleet.hpp"

#include <gtest/gtest.h>

namespace groundcrew::fleet {
namespace {

TEST(ParseServerUrl, ReadsAnAddressAndAPort) {
  Result<Endpoint> v4 = ParseServerUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8080);
  Result<Endpoint> v6 = ParseServerUrl("http://[::1]:9/");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 9);
}

TEST(ParseServerUrl, RefusesWhatIsNotHttpAddressPortNamingServer) {
  for (const char* url : {"127.0.0.1:8080", "https://127.0.0.1:8080", "http://127.0.0.1",
                          "http://127.0.0.1:", "http://127.0.0.1:0", "http://127.0.0.1:65536",
                          "http://127.0.0.1:80a", "http://localhost:8080"}) {
    Result<Endpoint> parsed = ParseServerUrl(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().field, "server") << url;
    EXPECT_TRUE(parsed.error().message.starts_with("server: ")) << parsed.error().message;
  }
}

TEST(RunFleet, RefusesNoServerOrOneOffThisMachineAmongSeveral) {
  FleetOptions options;
  EXPECT_EQ(RunFleet(options).error().field, "server");
  options.servers = {{"127.0.0.1", 8081}, {"192.0.2.1", 8082}};
  Result<FleetReport> refused = RunFleet(options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("192.0.2.1 is not a loopback address"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace groundcrew::fleet
