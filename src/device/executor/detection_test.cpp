#include "device/executor/detection.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/text.hpp"
#include "identity/sha256.hpp"
#include "tests/support/files.hpp"

namespace groundcrew::executor {
namespace {

namespace fs = std::filesystem;
using Kind = core::DetectionRule::Kind;
using test_support::TempDir;
using test_support::WriteText;

core::DetectionRule Rule(Kind kind, std::string path, std::string value = {},
                         std::string command = {}) {
  core::DetectionRule rule;
  rule.kind = kind;
  rule.path = std::move(path);
  rule.value = std::move(value);
  rule.command = std::move(command);
  return rule;
}

class DetectionTest : public ::testing::Test {
 protected:
  DetectionEnvironment Env() {
    DetectionEnvironment env;
    env.root = root_.path();
    env.environment = {"PATH=/usr/bin:/bin", "GROUNDCREW_ROOT=" + root_.path().string()};
    env.command_time_limit = std::chrono::milliseconds(300);
    env.log = [this](std::string_view line) { log_.emplace_back(line); };
    return env;
  }
  Result<bool> Evaluate(const std::vector<core::DetectionRule>& rules) {
    return EvaluateDetectionRules(rules, Env());
  }
  TempDir root_;
  std::vector<std::string> log_;
};

TEST_F(DetectionTest, NoRuleDetectsNothing) {
  Result<bool> detected = Evaluate({});
  ASSERT_TRUE(detected);
  EXPECT_FALSE(*detected);
}

TEST_F(DetectionTest, FileExistsLooksUnderTheRoot) {
  WriteText(root_.path() / "opt/contoso/app.bin", "x");
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileExists, "/opt/contoso/app.bin")}));
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileExists, "opt/contoso")}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileExists, "/opt/contoso/other.bin")}));
}

TEST_F(DetectionTest, FileHashComparesTheSha256InAnyCase) {
  WriteText(root_.path() / "opt/app.bin", "payload v2");
  const std::string digest = identity::Sha256Hex("payload v2");
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileHash, "/opt/app.bin", digest)}));
  std::string upper = digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileHash, "/opt/app.bin", upper)}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileHash, "/opt/app.bin", identity::Sha256Hex("v1"))}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileHash, "/opt/missing.bin", digest)}));
}

TEST_F(DetectionTest, FileVersionComparesTheFirstLine) {
  WriteText(root_.path() / "opt/app/VERSION", "  2.10.1 \nbuild 77\n");
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileVersion, "/opt/app/VERSION", "2.10.1")}));
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileVersion, "/opt/app/VERSION", "2.9")}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileVersion, "/opt/app/VERSION", "2.10.2")}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileVersion, "/opt/app/MISSING", "1.0")}));
  WriteText(root_.path() / "opt/app/EMPTY", "\n1.0\n");
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileVersion, "/opt/app/EMPTY", "1.0")}));
}

TEST_F(DetectionTest, CommandRunsInTheRootWithGroundcrewRootSet) {
  WriteText(root_.path() / "etc/contoso.conf", "enabled\n");
  const std::string command =
      "test \"$(pwd -P)\" = \"$(cd \"$GROUNDCREW_ROOT\" && pwd -P)\" && "
      "grep -q enabled \"$GROUNDCREW_ROOT/etc/contoso.conf\"";
  EXPECT_TRUE(*Evaluate({Rule(Kind::kCommand, "", "", command)}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kCommand, "", "", "echo checking; exit 3")}));
  EXPECT_NE(std::find(log_.begin(), log_.end(), "checking"), log_.end());
}

TEST_F(DetectionTest, EveryRuleMustHold) {
  WriteText(root_.path() / "a", "1");
  EXPECT_TRUE(*Evaluate({Rule(Kind::kFileExists, "/a"), Rule(Kind::kCommand, "", "", "true")}));
  EXPECT_FALSE(*Evaluate({Rule(Kind::kFileExists, "/a"), Rule(Kind::kFileExists, "/b")}));
}

TEST_F(DetectionTest, MalformedRulesAreRefusedNamingTheRule) {
  struct Case {
    core::DetectionRule rule;
    std::string field;
  };
  const std::vector<Case> cases = {
      {Rule(Kind::kFileExists, ""), "detectionRules[1].path"},
      {Rule(Kind::kFileExists, "/opt/../../etc/shadow"), "detectionRules[1].path"},
      {Rule(Kind::kFileHash, "/a", "not-a-digest"), "detectionRules[1].value"},
      {Rule(Kind::kFileVersion, "/a", ""), "detectionRules[1].value"},
      {Rule(Kind::kCommand, "", "", " "), "detectionRules[1].command"},
  };
  WriteText(root_.path() / "a", "1");
  for (const Case& c : cases) {
    Result<bool> detected = Evaluate({Rule(Kind::kFileExists, "/a"), c.rule});
    ASSERT_FALSE(detected) << c.field;
    EXPECT_EQ(detected.error().code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(detected.error().field, c.field);
  }
}

TEST_F(DetectionTest, ACommandPastItsLimitIsAnError) {
  Result<bool> detected = Evaluate({Rule(Kind::kCommand, "", "", "sleep 30")});
  ASSERT_FALSE(detected);
  EXPECT_EQ(detected.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(detected.error().field, "detectionRules[0].command");
}

TEST(UnderRootTest, KeepsPathsUnderTheRoot) {
  EXPECT_EQ(*UnderRoot("/r", "/opt/x", "f"), fs::path("/r/opt/x"));
  EXPECT_EQ(*UnderRoot("/r", "opt/x", "f"), fs::path("/r/opt/x"));
  EXPECT_FALSE(UnderRoot("/r", "../x", "f"));
  EXPECT_FALSE(UnderRoot("/r", " ", "f"));
}

}  // namespace
}  // namespace groundcrew::executor
