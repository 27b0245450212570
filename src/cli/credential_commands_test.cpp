#include "cli/credential_commands.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <sstream>
#include <string>

#include "cli/captured_console.hpp"
#include "tests/support/files.hpp"
#include "tests/support/scripted_transport.hpp"

// `groundcrew credentials` against a scripted fake transport (no server); the real binaries
// against each other are in tests/integration/credentials_test.cpp.
namespace groundcrew::cli {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

using test_support::ModeOf;
using test_support::ReadText;
using test_support::ScriptedTransport;
using test_support::TempDir;
using test_support::WriteText;

constexpr const char* kListing = R"json({"value": [
  {"id": "c-admin", "name": "admin", "role": "admin", "createdDateTime": "2027-01-15T08:00:00Z",
   "revokedDateTime": null},
  {"id": "c-ci", "name": "ci", "role": "reader", "createdDateTime": "2027-01-15T09:00:00Z",
   "revokedDateTime": null},
  {"id": "c-old", "name": "old", "role": "admin", "createdDateTime": "2027-01-14T08:00:00Z",
   "revokedDateTime": "2027-01-15T10:00:00Z"}]})json";

constexpr const char* kIssued =
    R"({"id": "c-new", "name": "deploy", "role": "reader", "token": "gcadm_secret"})";

json::array Credentials(const char* listing) { return json::parse(listing).at("value").as_array(); }

TEST(CredentialCommandsTest, TheTokenGoesToTheFileElseToStdoutUnlessItIsATerminal) {
  EXPECT_EQ(ChooseTokenSink("ci.token", true), TokenSink::kFile);
  EXPECT_EQ(ChooseTokenSink("ci.token", false), TokenSink::kFile);
  EXPECT_EQ(ChooseTokenSink("", false), TokenSink::kStdout);
  EXPECT_EQ(ChooseTokenSink("", true), TokenSink::kRefused);
}

TEST(CredentialCommandsTest, OnATerminalWithoutOutputNothingIsCreatedAndTheExitCodeIsTwo) {
  ScriptedTransport server;
  Captured captured;
  Api api(server.transport());
  EXPECT_EQ(
      CredentialsCreate({.name = "deploy", .stdout_is_terminal = true}, api, captured.console), 2);
  EXPECT_TRUE(server.requests.empty()) << "no credential may be created";
  EXPECT_EQ(captured.out.str(), "");
  EXPECT_NE(captured.err.str().find("--output FILE"), std::string::npos) << captured.err.str();
}

TEST(CredentialCommandsTest, CreateWritesTheTokenToANewPrivateFileAndSaysSoOnStderr) {
  TempDir dir;
  const fs::path file = dir.path() / "deploy.token";
  ScriptedTransport server;
  server.Answer(201, kIssued);
  Captured captured;
  Api api(server.transport());
  ASSERT_EQ(
      CredentialsCreate({.name = "deploy", .output = file.string(), .stdout_is_terminal = true},
                        api, captured.console),
      0)
      << captured.err.str();
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(server.requests[0].method, "POST");
  EXPECT_EQ(json::parse(server.requests[0].body),
            json::parse(R"({"name": "deploy", "role": "reader"})"))
      << "least privilege unless asked";
  EXPECT_EQ(ReadText(file), "gcadm_secret\n");
  EXPECT_EQ(ModeOf(file), 0600);
  EXPECT_EQ(captured.out.str(), "");
  EXPECT_EQ(captured.err.str(), "Created reader credential \"deploy\"; its token was written to " +
                                    file.string() + " (shown only once).\n");
}

TEST(CredentialCommandsTest, AnExistingOutputFileIsRefusedBeforeAnythingIsCreated) {
  TempDir dir;
  const fs::path file = dir.path() / "deploy.token";
  WriteText(file, "keep me");
  ScriptedTransport server;
  Captured captured;
  Api api(server.transport());
  EXPECT_EQ(CredentialsCreate({.name = "deploy", .output = file.string()}, api, captured.console),
            1);
  EXPECT_TRUE(server.requests.empty());
  EXPECT_EQ(ReadText(file), "keep me");
  EXPECT_EQ(captured.err.str(), "error: --output: " + file.string() +
                                    " exists: remove it or choose another file with --output\n");
}

TEST(CredentialCommandsTest, WithoutOutputThePipeGetsTheTokenAloneOrTheAnswerAsJson) {
  ScriptedTransport server;
  server.Answer(201, kIssued);
  server.Answer(201, kIssued);
  Api api(server.transport());
  Captured plain;
  ASSERT_EQ(CredentialsCreate({.name = "deploy"}, api, plain.console), 0);
  EXPECT_EQ(plain.out.str(), "gcadm_secret\n");
  EXPECT_NE(plain.err.str().find("written to stdout"), std::string::npos);
  EXPECT_EQ(plain.err.str().find("gcadm_"), std::string::npos) << "never on stderr";
  Captured as_json;
  ASSERT_EQ(CredentialsCreate({.name = "deploy", .json = true}, api, as_json.console), 0);
  EXPECT_EQ(json::parse(as_json.out.str()), json::parse(kIssued));
}

TEST(CredentialCommandsTest, WithOutputTheJsonNamesTheFileInsteadOfTheToken) {
  TempDir dir;
  const fs::path file = dir.path() / "t";
  ScriptedTransport server;
  server.Answer(201, kIssued);
  Api api(server.transport());
  Captured captured;
  ASSERT_EQ(CredentialsCreate({.name = "deploy", .output = file.string(), .json = true}, api,
                              captured.console),
            0);
  json::object expected = json::parse(kIssued).as_object();
  expected.erase("token");
  expected["tokenFile"] = file.string();
  EXPECT_EQ(json::parse(captured.out.str()), expected);
}

TEST(CredentialCommandsTest, ANameResolvesByIdThenExactlyThenApartFromCase) {
  const json::array credentials = Credentials(kListing);
  EXPECT_EQ(ResolveCredential(credentials, "c-ci")->name, "ci");
  EXPECT_EQ(ResolveCredential(credentials, "ci")->id, "c-ci");
  EXPECT_EQ(ResolveCredential(credentials, "CI")->id, "c-ci");
  auto missing = ResolveCredential(credentials, "nobody");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not_found");
  EXPECT_EQ(missing.error().field, "NAME");
  EXPECT_FALSE(ResolveCredential(credentials, ""));

  // A server whose names differ only in case (groundcrewd's never do): the exact one wins,
  // and a name matching several apart from case is refused, listing the candidates.
  const json::array cased = Credentials(R"json({"value": [
    {"id": "c-1", "name": "Deploy", "createdDateTime": "2027-01-15T08:00:00Z"},
    {"id": "c-2", "name": "deploy", "createdDateTime": "2027-01-16T08:00:00Z"}]})json");
  EXPECT_EQ(ResolveCredential(cased, "deploy")->id, "c-2");
  auto ambiguous = ResolveCredential(cased, "DEPLOY");
  ASSERT_FALSE(ambiguous);
  EXPECT_EQ(ambiguous.error().code, "invalid_argument");
  EXPECT_EQ(ambiguous.error().message,
            "2 credentials are named \"DEPLOY\" apart from case: c-1, c-2; give the id of the one "
            "you mean");
}

TEST(CredentialCommandsTest, RevokingTheCredentialInUseNeedsYes) {
  ScriptedTransport server;
  server.Answer(200, kListing);
  server.Answer(200, R"({"name": "admin", "role": "admin"})");
  Api api(server.transport());
  Captured refused;
  EXPECT_EQ(CredentialsRevoke({.credential = "Admin"}, api, refused.console), 2);
  ASSERT_EQ(server.requests.size(), 2u) << "nothing is deleted";
  EXPECT_NE(refused.err.str().find("the credential you are signed in with"), std::string::npos)
      << refused.err.str();

  server.Answer(200, kListing);
  server.Answer(200, R"({"name": "admin", "role": "admin"})");
  server.Answer(204, "");
  Captured revoked;
  EXPECT_EQ(CredentialsRevoke({.credential = "admin", .yes = true}, api, revoked.console), 0);
  ASSERT_EQ(server.requests.size(), 5u);
  EXPECT_EQ(server.requests[4].method, "DELETE");
  EXPECT_EQ(server.requests[4].target, "/v1/credentials/c-admin");
}

TEST(CredentialCommandsTest, ARevokedCredentialIsLeftAsItIs) {
  ScriptedTransport server;
  server.Answer(200, kListing);
  Api api(server.transport());
  Captured captured;
  EXPECT_EQ(CredentialsRevoke({.credential = "old"}, api, captured.console), 0);
  EXPECT_EQ(server.requests.size(), 1u);
  EXPECT_EQ(captured.out.str(),
            "Credential \"old\" was already revoked at 2027-01-15T10:00:00Z.\n");
}

}  // namespace
}  // namespace groundcrew::cli
