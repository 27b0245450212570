#include "device/agent/diagnostics.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "device/agent/journal.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::agent {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using test_support::ModeOf;
using test_support::ReadText;
using test_support::TempDir;
using test_support::WriteText;

constexpr core::Timestamp kNow{std::chrono::seconds(1'800'000'123)};

// Every secret the state below holds; none may be in an archive.
const std::vector<std::string> kSecrets = {
    "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhZGVsZSJ9.LIVEUSERTOKENSIG",  // the user's token
    "Hunter2-Sign-In-Pass",                                        // a password
    "JBSWY3DPEHPK3PXP",                                            // a TOTP seed
    "OTPAUTHURISECRET",                                            // inside an otpauth URI
    "WIFI-PSK-VALUE-987",                                          // a Wi-Fi key
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",                            // a PEM private key's body
    "EMBEDDED-ADMIN-SECRET",                                       // in a JSON string
    "LOG-PSK-VALUE",                                               // a log line's key
    "LOGPEMBODYLINE",                                              // a PEM block in a log
    "LOGBEARERTOKEN",                                              // a header in a log
    "DEVICE-KEY-FILE",                                             // STATE/device.key
    "DEVICE-CERTIFICATE",                                          // STATE/device.crt
    "LINKED-KEY-FILE",                                             // a key linked into logs/
    "WIFI-KEYFILE-PSK",                                            // a network keyfile
};

int Shell(const std::string& command) { return std::system(command.c_str()); }

class DiagnosticsTest : public ::testing::Test {
 protected:
  fs::path state() const { return dir_.path() / "state"; }

  // An agent's state folder after a user flow that failed: the journal with the user's token,
  // a sign-in, a TOTP seed, a Wi-Fi payload and a certificate key, and install logs.
  void WriteState() {
    auto journal = Journal::Open(state(), identity::SealingKey{});
    ASSERT_TRUE(journal) << journal.error().message;
    const std::vector<json::object> records = {
        {{"t", "flow"}, {"flow", "user"}},
        {{"t", "report"},
         {"flow", "user"},
         {"session", "s1"},
         {"key", "s1:0"},
         {"kind", "screen"},
         {"detail", {{"screen", "espFailure"}, {"idempotencyKey", "s1:0"}}}},
        {{"t", "userToken"}, {"token", kSecrets[0]}},
        {{"t", "event"},
         {"flow", "user"},
         {"event", {{"type", "credentialsEntered"}, {"Password", kSecrets[1]}}}},
        {{"t", "mfa"}, {"totpSeed", kSecrets[2]}},
        {{"t", "mfa"},
         {"registration",
          "otpauth://totp/Contoso:adele?secret=" + kSecrets[3] + "&issuer=Contoso"}},
        {{"t", "payloads"},
         {"flow", "user"},
         {"payloads",
          {{"networkProfiles", json::array{{{"ssid", "ContosoCorp"},
                                            {"security", "wpa2Personal"},
                                            {"preSharedKey", kSecrets[4]},
                                            {"preSharedKeySet", true}}}},
           {"policies", json::array{{{"displayName", "Baseline"},
                                     {"settings", "{\"adminPassword\": \"" + kSecrets[6] +
                                                      "\", \"wallpaper\": \"blue\"}"}}}}}},
         {"compliancePolicies", json::array{{{"passwordRequired", true}}}}},
        {{"t", "certificate"},
         {"detail",
          "-----BEGIN PRIVATE KEY-----\n" + kSecrets[5] + "\n-----END PRIVATE KEY-----\n"}},
    };
    for (const json::object& record : records) ASSERT_TRUE(journal->Append(record));

    WriteText(state() / "logs" / "app-1.log",
              "installing Company Portal\n"
              "nmcli: psk=" +
                  kSecrets[7] +
                  "\n"
                  "-----BEGIN EC PRIVATE KEY-----\n" +
                  kSecrets[8] +
                  "\n"
                  "-----END EC PRIVATE KEY-----\n"
                  "GET /content Authorization: Bearer " +
                  kSecrets[9] +
                  "\n"
                  "exit code 1603\n");
    WriteText(state() / "logs" / "cert-1.key", kSecrets[10]);
    WriteText(state() / "device.key", kSecrets[10]);
    WriteText(state() / "device.crt", kSecrets[11]);
    WriteText(state() / "linked.txt", kSecrets[12]);
    fs::create_symlink(state() / "linked.txt", state() / "logs" / "linked.log");
    WriteText(state() / "root" / "etc" / "NetworkManager" / "system-connections" /
                  "ContosoCorp.nmconnection",
              "[wifi-security]\npsk=" + kSecrets[13] + "\n");
  }

  TempDir dir_;
};

TEST_F(DiagnosticsTest, ArchiveHoldsTheRedactedJournalAndLogsOnlyWithMode0600) {
  WriteState();
  // Even a permissive umask gives a private archive.
  const mode_t previous = ::umask(0);
  Result<fs::path> archive = CollectDiagnostics(state(), kNow);
  ::umask(previous);
  ASSERT_TRUE(archive) << archive.error().message;

  EXPECT_EQ(*archive, state() / "diagnostics" / "diagnostics-1800000123.tar.gz");
  EXPECT_EQ(ModeOf(*archive), 0600);
  EXPECT_EQ(ModeOf(state() / "diagnostics"), 0700);
  // The staging folder and the partial archive are gone.
  std::set<std::string> left;
  for (const auto& entry : fs::directory_iterator(state() / "diagnostics")) {
    left.insert(entry.path().filename().string());
  }
  EXPECT_EQ(left, std::set<std::string>{"diagnostics-1800000123.tar.gz"});

  const fs::path listing = dir_.path() / "listing.txt";
  ASSERT_EQ(Shell("tar -tzf '" + archive->string() + "' | sort > '" + listing.string() + "'"), 0);
  EXPECT_EQ(ReadText(listing), "journal.jsonl\nlogs/\nlogs/app-1.log\n");

  const fs::path out = dir_.path() / "extracted";
  fs::create_directories(out);
  ASSERT_EQ(Shell("tar -xzf '" + archive->string() + "' -C '" + out.string() + "'"), 0);
  // grep finds none of the secrets anywhere in what was extracted (but does find the rest).
  ASSERT_EQ(Shell("grep -rqF -- 'ContosoCorp' '" + out.string() + "'"), 0);
  ASSERT_EQ(Shell("grep -rqF -- 'exit code 1603' '" + out.string() + "'"), 0);
  for (const std::string& secret : kSecrets) {
    EXPECT_NE(Shell("grep -rqF -- '" + secret + "' '" + out.string() + "'"), 0)
        << secret << " is in the archive";
  }

  const std::string journal = ReadText(out / "journal.jsonl");
  // Non-secrets stay, and every record is still there as JSON.
  EXPECT_NE(journal.find(R"("ssid":"ContosoCorp")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("preSharedKey":"[redacted]")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("preSharedKeySet":true)"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("passwordRequired":true)"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("key":"s1:0")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("idempotencyKey":"s1:0")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"(\"wallpaper\":\"blue\")"), std::string::npos) << journal;
  EXPECT_NE(journal.find(R"("token":"[redacted]")"), std::string::npos) << journal;
  size_t lines = 0;
  for (char c : journal) lines += c == '\n';
  EXPECT_EQ(lines, 8u);

  const std::string log = ReadText(out / "logs" / "app-1.log");
  EXPECT_EQ(log,
            "installing Company Portal\n"
            "[redacted]\n"
            "[redacted]\n[redacted]\n[redacted]\n"
            "[redacted]\n"
            "exit code 1603\n");
}

TEST_F(DiagnosticsTest, AStateWithoutJournalOrLogsGivesAnEmptyJournal) {
  fs::create_directories(state());
  Result<fs::path> archive = CollectDiagnostics(state(), kNow);
  ASSERT_TRUE(archive) << archive.error().message;
  const fs::path out = dir_.path() / "extracted";
  fs::create_directories(out);
  ASSERT_EQ(Shell("tar -xzf '" + archive->string() + "' -C '" + out.string() + "'"), 0);
  EXPECT_TRUE(fs::exists(out / "journal.jsonl"));
  EXPECT_EQ(ReadText(out / "journal.jsonl"), "");
}

TEST_F(DiagnosticsTest, AFolderThatCannotBeWrittenIsUnavailableNamingIt) {
  WriteText(state(), "a file where the state folder should be");
  Result<fs::path> archive = CollectDiagnostics(state(), kNow);
  ASSERT_FALSE(archive);
  EXPECT_EQ(archive.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(archive.error().message.find((state() / "diagnostics").string()), std::string::npos)
      << archive.error().message;
}

TEST(RedactTest, JournalMembersAreRedactedByNameAndStringsByContent) {
  EXPECT_EQ(RedactJournalLine(R"({"t":"userToken","token":"abc"})"),
            R"({"t":"userToken","token":"[redacted]"})");
  // Names containing a secret word, at any depth, whatever the value's type but booleans.
  EXPECT_EQ(RedactJournalLine(R"({"a":{"clientSecret":{"x":1},"PIN":[1],"wifiPsk":7,)"
                              R"("passwordMinimumLength":8,"passwordRequired":false}})"),
            R"({"a":{"clientSecret":"[redacted]","PIN":[1],"wifiPsk":"[redacted]",)"
            R"("passwordMinimumLength":"[redacted]","passwordRequired":false}})");
  // "key" is kept in report records only.
  EXPECT_EQ(RedactJournalLine(R"({"t":"report","key":"s:1"})"), R"({"t":"report","key":"s:1"})");
  EXPECT_EQ(RedactJournalLine(R"({"t":"other","key":"s:1"})"),
            R"({"t":"other","key":"[redacted]"})");
  // Secret-looking text under any name.
  EXPECT_EQ(RedactJournalLine(R"({"detail":"see OTPAUTH://totp/x?secret=A"})"),
            R"({"detail":"[redacted]"})");
  EXPECT_EQ(RedactJournalLine(R"({"m":["eyJa.eyJb.c"]})"), R"({"m":["[redacted]"]})");
  // A torn line is redacted as text.
  EXPECT_EQ(RedactJournalLine(R"({"t":"userToken","token":"ab)"), "[redacted]");
  EXPECT_EQ(RedactJournalLine(R"({"t":"flow","fl)"), R"({"t":"flow","fl)");
}

TEST(RedactTest, LogLinesAssigningSecretsAndPrivateKeyBlocksAreRedacted) {
  EXPECT_EQ(RedactLogText("a\r\nPassword : x\r\nkeyboard layout us\nthe key was set\n"),
            "a\r\n[redacted]\r\nkeyboard layout us\nthe key was set\n");
  EXPECT_EQ(RedactLogText("{\"preSharedKey\": \"x\"}\nend"), "[redacted]\nend");
  EXPECT_EQ(RedactLogText("x\n-----BEGIN RSA PRIVATE KEY-----\nAAAA\nBBBB\n"
                          "-----END RSA PRIVATE KEY-----\n"
                          "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n"),
            "x\n[redacted]\n[redacted]\n[redacted]\n[redacted]\n"
            "-----BEGIN CERTIFICATE-----\nCCCC\n-----END CERTIFICATE-----\n");
}

}  // namespace
}  // namespace groundcrew::agent
