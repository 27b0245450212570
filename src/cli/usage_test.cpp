#include "cli/usage.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

namespace groundcrew::cli {
namespace {

// A small tree shaped like groundcrew's: global options, commands with flags, a group of
// commands that needs one.
class UsageTest : public ::testing::Test {
 protected:
  UsageTest() {
    app_.name("groundcrew");
    app_.require_subcommand(1);
    app_.fallthrough();
    app_.add_option("--server", server_);
    app_.add_option("--timeout", timeout_);
    CLI::App* apply = app_.add_subcommand("apply");
    apply->add_option("-f,--file", file_);
    apply->add_flag("--dry-run");
    apply->add_flag("--json");
    CLI::App* get = app_.add_subcommand("get");
    get->add_option("KIND", kind_);
    get->add_flag("--json");
    CLI::App* devices = app_.add_subcommand("devices");
    devices->require_subcommand(1);
    devices->add_subcommand("list")->add_option("--state", state_);
    devices->add_subcommand("show");
  }

  std::optional<UsageProblem> Check(std::vector<std::string> args) {
    return FindUnknownWord(app_, args);
  }

  CLI::App app_;
  std::string server_, file_, kind_, state_;
  double timeout_ = 0;
};

TEST_F(UsageTest, AnUnknownCommandIsNamedWithASuggestion) {
  auto problem = Check({"aply", "-f", "tenant.yaml"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message,
            "unknown command \"aply\" for \"groundcrew\"; did you mean \"apply\"?");
  EXPECT_EQ(problem->command, "groundcrew");
  problem = Check({"devices", "lsit"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message,
            "unknown command \"lsit\" for \"groundcrew devices\"; did you mean \"list\"?");
  EXPECT_EQ(problem->command, "groundcrew devices");
  problem = Check({"frobnicate"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message, "unknown command \"frobnicate\" for \"groundcrew\"");
}

TEST_F(UsageTest, AnUnknownFlagIsNamedWithASuggestionFromItsCommandAndTheGlobalOnes) {
  auto problem = Check({"get", "apps", "--jsn"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message,
            "unknown flag --jsn for \"groundcrew get\"; did you mean \"--json\"?");
  EXPECT_EQ(problem->command, "groundcrew get");
  problem = Check({"devices", "list", "--sever", "http://x"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message,
            "unknown flag --sever for \"groundcrew devices list\"; did you mean \"--server\"?");
  problem = Check({"apply", "--dry-rn=1"});
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->message,
            "unknown flag --dry-rn for \"groundcrew apply\"; did you mean \"--dry-run\"?");
}

TEST_F(UsageTest, KnownWordsValuesAndPositionalsPass) {
  EXPECT_FALSE(Check({"apply", "-f", "tenant.yaml", "--dry-run"}));
  EXPECT_FALSE(Check({"apply", "--file=tenant.yaml"}));
  EXPECT_FALSE(Check({"apply", "-ftenant.yaml"}));
  // A value that looks like a command or a flag is the option's value.
  EXPECT_FALSE(Check({"--server", "devices", "get", "apps"}));
  EXPECT_FALSE(Check({"devices", "list", "--state", "--json"}));
  EXPECT_FALSE(Check({"get", "apps", "--timeout", "-5"}));
  EXPECT_FALSE(Check({"get", "whatever-kind"}));  // positionals are CLI11's to check
  EXPECT_FALSE(Check({"get", "--", "--not-a-flag"}));
  EXPECT_FALSE(Check({"--help"}));
}

TEST_F(UsageTest, CliElevenErrorsNameTheCommandAndListWhatAGroupNeeds) {
  try {
    app_.parse(std::vector<std::string>{"devices"});
    FAIL() << "expected a missing subcommand";
  } catch (const CLI::ParseError& e) {
    EXPECT_EQ(UsageTextFor(app_, e),
              "error: \"groundcrew devices\" needs a command: list, show\n"
              "Run 'groundcrew devices --help' for usage.\n");
  }
  EXPECT_EQ(UsageText("unknown kind", "groundcrew get"),
            "error: unknown kind\nRun 'groundcrew get --help' for usage.\n");
}

}  // namespace
}  // namespace groundcrew::cli
