// `groundcrew credentials` through the real CLI and daemon: create (the token to a 0600 file or
// a pipe), list, revoke by name, revoking oneself, and `credentials recover` writing a new admin
// credential into the data directory of a running groundcrewd.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/service_fixture.hpp"

namespace groundcrew::integration {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

const std::regex kTokenLine("gcadm_[A-Za-z0-9_-]+\n");

class CredentialsTest : public ServiceFixture {
 protected:
  // The CLI signed in with `token`.
  CommandResult CliAs(const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), GroundcrewPath());
    return RunCommand(args, {{"GROUNDCREW_SERVER", daemon_->url()},
                             {"GROUNDCREW_TOKEN", token},
                             {"XDG_CONFIG_HOME", (temp_.path() / "config").string()},
                             {"NO_COLOR", "1"}});
  }

  std::string Tmp(const std::string& name) const { return (temp_.path() / name).string(); }

  static std::string TokenIn(const std::string& text) {
    std::smatch match;
    return std::regex_search(text, match, std::regex("gcadm_[A-Za-z0-9_-]+")) ? match.str() : "";
  }

  json::array AuditLog() {
    CommandResult audit = Cli({"audit", "--json"});
    EXPECT_EQ(audit.exit_code, 0) << audit.err;
    return json::parse(audit.out).at("value").as_array();
  }
};

TEST_F(CredentialsTest, CreateListAndRevokeByName) {
  CommandResult ci = Step({"credentials", "create", "ci", "--output", Tmp("ci.token")});
  ASSERT_EQ(ci.exit_code, 0) << ci.err;
  EXPECT_EQ(ci.out, "") << "the token is in the file only";
  EXPECT_EQ(test_support::ModeOf(Tmp("ci.token")), 0600);
  const std::string ci_token = test_support::ReadText(Tmp("ci.token"));
  EXPECT_TRUE(std::regex_match(ci_token, kTokenLine)) << ci_token;

  // The name is taken (apart from case); the file is not created.
  EXPECT_EQ(Step({"credentials", "create", "CI", "--output", Tmp("again.token")}).exit_code, 1);
  EXPECT_FALSE(fs::exists(Tmp("again.token")));
  // An existing file is never replaced, and nothing is created.
  EXPECT_EQ(Step({"credentials", "create", "ci-2", "--output", Tmp("ci.token")}).exit_code, 1);
  EXPECT_EQ(test_support::ReadText(Tmp("ci.token")), ci_token);

  // Stdout is a pipe here: it gets the token, alone.
  CommandResult deploy = Cli({"credentials", "create", "deploy", "--role", "admin"});
  ASSERT_EQ(deploy.exit_code, 0) << deploy.err;
  EXPECT_TRUE(std::regex_match(deploy.out, kTokenLine)) << deploy.out;
  EXPECT_EQ(deploy.err,
            "Created admin credential \"deploy\"; its token was written to stdout (shown only "
            "once).\n");

  // The reader credential reads, and may not change anything.
  const std::string ci_bearer = TokenIn(ci_token);
  EXPECT_EQ(CliAs(ci_bearer, {"get", "users"}).exit_code, 0);
  CommandResult refused = CliAs(ci_bearer, {"credentials", "create", "x", "-o", Tmp("x.token")});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("may only read"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(Tmp("x.token"))) << "a refused credential leaves no file";

  Step({"credentials", "list"});
  EXPECT_EQ(Step({"credentials", "revoke", "ci"}).exit_code, 0);
  EXPECT_EQ(CliAs(ci_bearer, {"get", "users"}).exit_code, 1) << "the token is refused at once";
  EXPECT_EQ(Step({"credentials", "revoke", "CI"}).exit_code, 0);
  EXPECT_EQ(Step({"credentials", "revoke", "nobody"}).exit_code, 1);
  // The credential this CLI is signed in with: only with --yes.
  EXPECT_EQ(Step({"credentials", "revoke", "Admin"}).exit_code, 2);
  EXPECT_EQ(Cli({"get", "users"}).exit_code, 0) << "still signed in";
  Step({"credentials", "list"});
  ExpectGolden("credentials.txt", Transcript());

  // The audit log names the admin who created and revoked, and the credential's name.
  std::vector<std::string> entries;
  for (const json::value& entry : AuditLog()) {
    if (entry.at("resourceKind") != "credentials") continue;
    entries.push_back(std::string(entry.at("actor").as_string()) + " " +
                      std::string(entry.at("action").as_string()) + " " +
                      std::string(entry.at("resourceName").as_string()));
  }
  EXPECT_EQ(entries, (std::vector<std::string>{"admin create admin", "admin create ci",
                                               "admin create deploy", "admin revoke ci"}));

  // With --yes it goes, and this CLI is signed out.
  CommandResult self = Cli({"credentials", "revoke", "admin", "--yes"});
  EXPECT_EQ(self.exit_code, 0) << self.err;
  EXPECT_NE(self.out.find("You were signed in with it"), std::string::npos) << self.out;
  EXPECT_EQ(Cli({"get", "users"}).exit_code, 1);
}

std::string LocalActor() {
  const passwd* entry = ::getpwuid(::getuid());
  return std::string("local:") + (entry != nullptr ? entry->pw_name : "?");
}

TEST_F(CredentialsTest, RecoverWritesAnAdminCredentialThatTheRunningServiceAcceptsAtOnce) {
  // The lost token: revoked, so that nothing but the recovery can sign in.
  ASSERT_EQ(Cli({"credentials", "revoke", "admin", "--yes"}).exit_code, 0);
  ASSERT_EQ(Cli({"get", "users"}).exit_code, 1);

  CommandResult recovered = Step({"credentials", "recover", "--data-dir", data_dir_.string(),
                                  "--name", "rescue", "--output", Tmp("rescue.token")});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_EQ(test_support::ModeOf(Tmp("rescue.token")), 0600);
  const std::string token = TokenIn(test_support::ReadText(Tmp("rescue.token")));
  ASSERT_FALSE(token.empty());
  // The same name again, and a folder that is not a data directory: refused.
  EXPECT_EQ(Step({"credentials", "recover", "--data-dir", data_dir_.string(), "--name", "Rescue",
                  "--output", Tmp("again.token")})
                .exit_code,
            1);
  EXPECT_FALSE(fs::exists(Tmp("again.token")));
  fs::create_directories(Tmp("elsewhere"));
  EXPECT_EQ(Step({"credentials", "recover", "--data-dir", Tmp("elsewhere"), "--output",
                  Tmp("elsewhere.token")})
                .exit_code,
            1);
  EXPECT_TRUE(fs::is_empty(Tmp("elsewhere"))) << "nothing is created there";
  ExpectGolden("credentials-recover.txt", Transcript());

  // The running service accepts the token at once.
  token_ = token;
  EXPECT_EQ(Cli({"get", "users"}).exit_code, 0);
  CommandResult list = Cli({"credentials", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  bool listed = false;
  const json::value credentials = json::parse(list.out);
  for (const json::value& credential : credentials.at("value").as_array()) {
    listed |= credential.at("name") == "rescue" && credential.at("role") == "admin";
  }
  EXPECT_TRUE(listed) << list.out;
  const json::array log = AuditLog();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back().at("actor").as_string(), LocalActor());
  EXPECT_EQ(log.back().at("action"), "recover");
  EXPECT_EQ(log.back().at("resourceName"), "rescue");

  // Without --name: recovered-<UTC time>; stdout is a pipe here and gets the token.
  CommandResult unnamed = Cli({"credentials", "recover", "--data-dir", data_dir_.string()});
  ASSERT_EQ(unnamed.exit_code, 0) << unnamed.err;
  EXPECT_TRUE(std::regex_match(unnamed.out, kTokenLine)) << unnamed.out;
  EXPECT_TRUE(std::regex_search(unnamed.err, std::regex("\"recovered-\\d{8}T\\d{6}Z\"")))
      << unnamed.err;
}

// Every file under `dir` (and `dir`) whose owner is not `uid`.
std::vector<std::string> NotOwnedBy(const fs::path& dir, uid_t uid) {
  std::vector<std::string> others;
  auto check = [&](const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_uid != uid) others.push_back(path.string());
  };
  check(dir);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) check(entry.path());
  return others;
}

TEST_F(CredentialsTest, RecoverAsRootLeavesTheServiceUsersFilesItsOwn) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to give the data directory to another user";
  constexpr uid_t kServiceUser = 65534;  // nobody, as a service's own user would be
  // Stopped, groundcrewd leaves no -wal or -shm: the recovery creates them. Every file is then
  // the service user's, as the Debian package's would be.
  ASSERT_EQ(daemon_->Stop(), 0);
  fs::permissions(temp_.path(), fs::perms::others_exec, fs::perm_options::add);  // a way in
  ASSERT_EQ(::chown(data_dir_.c_str(), kServiceUser, kServiceUser), 0);
  for (const auto& entry : fs::recursive_directory_iterator(data_dir_)) {
    ASSERT_EQ(::lchown(entry.path().c_str(), kServiceUser, kServiceUser), 0);
  }
  ASSERT_TRUE(NotOwnedBy(data_dir_, kServiceUser).empty());
  ASSERT_FALSE(fs::exists(data_dir_ / "groundcrew.db-wal"));

  CommandResult recovered = Cli({"credentials", "recover", "--data-dir", data_dir_.string(),
                                 "--name", "rescue", "--output", Tmp("rescue.token")});
  ASSERT_EQ(recovered.exit_code, 0) << recovered.err;
  EXPECT_EQ(NotOwnedBy(data_dir_, kServiceUser), std::vector<std::string>{});
  struct stat token_file {};
  ASSERT_EQ(::stat(Tmp("rescue.token").c_str(), &token_file), 0);
  EXPECT_EQ(token_file.st_uid, 0u) << "the token file is root's";
  // (groundcrewd as root refuses the service user's secrets: the token was shown to work by the
  // test above.)
}

}  // namespace
}  // namespace groundcrew::integration
