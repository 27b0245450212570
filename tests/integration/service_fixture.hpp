#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

namespace groundcrew::integration {

// An initialized data directory and a running daemon over it.
class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = temp_.path() / "var";
    CommandResult init = RunCommand({GroundcrewPath(), "init", "--data-dir", data_dir_.string(),
                                     "--organization", "Contoso", "--domain", "contoso.com"});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(init.out, match, std::regex("gcadm_[A-Za-z0-9_-]+"))) << init.out;
    token_ = match.str();
    daemon_ = std::make_unique<Daemon>(data_dir_);
    ASSERT_TRUE(daemon_->Start()) << daemon_->log();
  }

  HttpResult Call(const std::string& method, const std::string& target,
                  const std::string& body = "", std::map<std::string, std::string> headers = {}) {
    headers.emplace("Authorization", "Bearer " + token_);
    return Http(daemon_->port(), method, target, body, headers);
  }

  boost::json::value CallJson(const std::string& method, const std::string& target,
                              const boost::json::value& body, int expected_status) {
    HttpResult result = Call(method, target, boost::json::serialize(body));
    EXPECT_EQ(result.status, expected_status) << method << " " << target << ": " << result.body;
    return result.body.empty() ? boost::json::value() : boost::json::parse(result.body);
  }

  // The CLI against this daemon, with `stdin_text` on its standard input.
  CommandResult Cli(std::vector<std::string> args, const std::string& stdin_text = "") {
    args.insert(args.begin(), GroundcrewPath());
    return RunCommand(args,
                      {{"GROUNDCREW_SERVER", daemon_->url()},
                       {"GROUNDCREW_TOKEN", token_},
                       {"XDG_CONFIG_HOME", (temp_.path() / "config").string()},
                       {"NO_COLOR", "1"}},
                      stdin_text);
  }

  // Runs the CLI like Cli and adds to the transcript what an admin at the terminal sees:
  // "$ groundcrew ARGS", its stdout, its stderr, then "[exit N]" when it is not 0.
  CommandResult Step(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    std::string line = "$ groundcrew";
    for (const std::string& arg : args) {
      line += arg.find_first_of(" \"") == std::string::npos ? " " + arg : " '" + arg + "'";
    }
    CommandResult result = Cli(args, stdin_text);
    transcript_ += line + "\n" + result.out + result.err;
    if (result.exit_code != 0) transcript_ += "[exit " + std::to_string(result.exit_code) + "]\n";
    transcript_ += "\n";
    return result;
  }

  void Steps(const std::vector<std::vector<std::string>>& commands) {
    for (const std::vector<std::string>& args : commands) Step(args);
  }

  // The transcript so far, the temporary folder shown as <tmp>.
  std::string Transcript() const {
    return std::regex_replace(transcript_, std::regex(temp_.path().string()), "<tmp>");
  }

  TempDir temp_;
  std::filesystem::path data_dir_;
  std::string token_;
  std::unique_ptr<Daemon> daemon_;
  std::string transcript_;
};

}  // namespace groundcrew::integration
