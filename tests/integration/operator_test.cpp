// What the operator meets running groundcrewd: one daemon per data directory, a data directory
// it can write and nobody else can read, liveness and readiness, its version, names in --listen.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <regex>
#include <sstream>
#include <vector>

#include "tests/integration/service_fixture.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::integration {
namespace {

namespace fs = std::filesystem;
using test_support::ReadText;
using test_support::Spawn;

class OperatorTest : public ServiceFixture {};

TEST_F(OperatorTest, ASecondDaemonOnTheSameDataDirectoryRefusesToStart) {
  Daemon second(data_dir_);
  EXPECT_FALSE(second.Start());
  EXPECT_NE(second.log().find("another groundcrewd (process "), std::string::npos) << second.log();
  // The first one still serves.
  EXPECT_EQ(Call("GET", "/v1/me").status, 200);
}

TEST_F(OperatorTest, EveryFileInTheDataDirectoryIsTheServicesAlone) {
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data_dir_)) {
    struct stat info {};
    ASSERT_EQ(::lstat(entry.path().c_str(), &info), 0);
    const unsigned mode = static_cast<unsigned>(info.st_mode) & 0777;
    if (S_ISDIR(info.st_mode)) {
      EXPECT_EQ(mode, 0700u) << entry.path();
    } else {
      EXPECT_EQ(mode, 0600u) << entry.path();
      ++files;
    }
  }
  EXPECT_GE(files, 4);  // the database, its WAL, the secrets, the lock
}

TEST_F(OperatorTest, LivenessAndReadinessAreSeparate) {
  HttpResult live = Http(daemon_->port(), "GET", "/healthz");
  EXPECT_EQ(live.status, 200);
  HttpResult ready = Http(daemon_->port(), "GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(boost::json::parse(ready.body).at("status"), "ready");
}

TEST_F(OperatorTest, MetricsCanRequireAToken) {
  ASSERT_EQ(daemon_->Stop(), 0);
  Daemon scraped(data_dir_, {"--metrics-token", "scrape-secret-1"});
  ASSERT_TRUE(scraped.Start()) << scraped.log();
  HttpResult anonymous = Http(scraped.port(), "GET", "/metrics");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.body.find("groundcrew_"), std::string::npos);
  EXPECT_EQ(
      Http(scraped.port(), "GET", "/metrics", "", {{"Authorization", "Bearer wrong-secret-1"}})
          .status,
      401);
  HttpResult scrape =
      Http(scraped.port(), "GET", "/metrics", "", {{"Authorization", "Bearer scrape-secret-1"}});
  EXPECT_EQ(scrape.status, 200);
  for (const char* family :
       {"groundcrew_http_requests_total", "groundcrew_deployments_started_total",
        "groundcrew_deployments_finished_total", "groundcrew_store_writer_waits_total",
        "groundcrew_store_reader_waits_total"}) {
    EXPECT_NE(scrape.body.find(family), std::string::npos) << family;
  }
  EXPECT_EQ(scraped.log().find("scrape-secret-1"), std::string::npos);
}

// The JSON lines of a daemon's log whose "msg" is `message`.
std::vector<boost::json::object> LogLines(const std::string& log, const std::string& message) {
  std::vector<boost::json::object> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(line, ec);
    if (!ec && value.is_object() && value.as_object().contains("msg") &&
        value.at("msg") == boost::json::string(message)) {
      lines.push_back(value.as_object());
    }
  }
  return lines;
}

// At the default level (info) the log tells every write with its actor, every refused
// credential with its reason and address, with the request id the client saw; reads are not
// logged, and no credential is.
TEST_F(OperatorTest, TheInfoLogTellsWritesAndRefusals) {
  HttpResult refused_write = Call("POST", "/v1/groups", R"({"displayName": 7})");
  EXPECT_EQ(refused_write.status, 400);
  HttpResult unknown_token =
      Http(daemon_->port(), "GET", "/v1/me", "", {{"Authorization", "Bearer gcadm_not-a-token-0"}});
  EXPECT_EQ(unknown_token.status, 401);
  EXPECT_EQ(Call("GET", "/v1/me").status, 200);
  ASSERT_EQ(daemon_->Stop(), 0);  // every line written

  const std::string log = daemon_->log();
  const auto writes = LogLines(log, "request");
  ASSERT_EQ(writes.size(), 1u) << log;  // the read is not logged at info
  EXPECT_EQ(writes[0].at("level"), "info");
  EXPECT_EQ(writes[0].at("method"), "POST");
  EXPECT_EQ(writes[0].at("path"), "/v1/groups");
  EXPECT_EQ(writes[0].at("status"), 400);
  EXPECT_EQ(writes[0].at("actor"), "admin");
  EXPECT_EQ(writes[0].at("client"), "127.0.0.1");
  EXPECT_EQ(writes[0].at("requestId"), boost::json::string(refused_write.headers["x-request-id"]));
  EXPECT_TRUE(writes[0].at("ms").is_number());
  // Milliseconds as people read them (0.27, not 2.7E-1).
  EXPECT_TRUE(std::regex_search(log, std::regex(R"re("ms":[0-9]+(\.[0-9]+)?[,}])re"))) << log;
  EXPECT_FALSE(std::regex_search(log, std::regex(R"re("ms":[-0-9.]+[eE])re"))) << log;

  const auto refusals = LogLines(log, "request refused");
  ASSERT_EQ(refusals.size(), 1u) << log;
  EXPECT_EQ(refusals[0].at("status"), 401);
  EXPECT_EQ(refusals[0].at("route"), "/v1/me");
  EXPECT_EQ(refusals[0].at("client"), "127.0.0.1");
  EXPECT_FALSE(refusals[0].at("reason").as_string().empty());
  EXPECT_EQ(log.find("gcadm_not-a-token-0"), std::string::npos);
  EXPECT_EQ(log.find(token_), std::string::npos);
}

TEST(OperatorCommandTest, VersionAndListenNames) {
  CommandResult version = RunCommand({GroundcrewdPath(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("groundcrewd ", 0), 0u) << version.out;

  TempDir temp;
  const fs::path data_dir = temp.path() / "var";
  ASSERT_EQ(RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir.string(), "--organization",
                        "Contoso", "--domain", "contoso.com"})
                .exit_code,
            0);
  const fs::path port_file = temp.path() / "port";
  const pid_t pid = Spawn({GroundcrewdPath(), "--data-dir", data_dir.string(), "--listen",
                           "localhost:0", "--port-file", port_file.string()},
                          {}, "/dev/null", "/dev/null", temp.path() / "log");
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(WaitUntil([&] { return fs::exists(port_file); }, std::chrono::seconds(20)))
      << ReadText(temp.path() / "log");
  const auto port = static_cast<std::uint16_t>(std::stoi(ReadText(port_file)));
  EXPECT_EQ(Http(port, "GET", "/healthz").status, 200);
  ::kill(pid, SIGTERM);
  EXPECT_EQ(test_support::WaitFor(pid), 0);
}

// A data directory on a read-only file system: groundcrewd says why and does not start
// (before, it started and answered 503 to every write). Mounting needs root, which CI has.
TEST(OperatorCommandTest, AReadOnlyDataDirectoryIsRefusedWithTheReason) {
  TempDir temp;
  const fs::path disk = temp.path() / "disk";
  fs::create_directories(disk);
  if (::mount("tmpfs", disk.c_str(), "tmpfs", 0, "size=64m") != 0) {
    GTEST_SKIP() << "mounting a tmpfs needs root; not run here";
  }
  struct Unmount {
    fs::path path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{disk};
  const fs::path data_dir = disk / "var";
  ASSERT_EQ(RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir.string(), "--organization",
                        "Contoso", "--domain", "contoso.com"})
                .exit_code,
            0);
  ASSERT_EQ(::mount(nullptr, disk.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr), 0);
  CommandResult run =
      RunCommand({GroundcrewdPath(), "--data-dir", data_dir.string(), "--listen", "127.0.0.1:0"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("Read-only file system"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace groundcrew::integration
