#include "device/agent/answers.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace groundcrew::agent {
namespace {

namespace fs = std::filesystem;

fs::path Write(const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("gc-answers-" + std::to_string(::getpid()));
  std::ofstream(path, std::ios::trunc) << text;
  return path;
}

TEST(AnswersTest, ReadsEveryScreensAnswer) {
  auto answers = ReadAnswers(Write(R"({"region": "United States", "technician": true,
      "provision": true, "reseal": false, "privacy": "accept", "userPrincipalName": "adele@contoso.com", "password": "pw",
      "totpSeed": "JBSWY3DPEHPK3PXP JBSWY3DPEHPK3PXP", "onError": ["retry", "continue"]})"));
  ASSERT_TRUE(answers) << answers.error().message;
  EXPECT_EQ(answers->region, "United States");
  EXPECT_TRUE(answers->technician);
  EXPECT_EQ(answers->provision, true);
  EXPECT_EQ(answers->reseal, false);
  EXPECT_EQ(answers->privacy, "accept");
  EXPECT_EQ(answers->user_principal_name, "adele@contoso.com");
  EXPECT_EQ(answers->totp_seed->size(), 20u);
  EXPECT_EQ(answers->on_error, (std::deque<std::string>{"retry", "continue"}));
}

TEST(AnswersTest, RefusesWhatItDoesNotKnowNamingIt) {
  EXPECT_EQ(ReadAnswers(Write(R"({"pasword": "x"})")).error().field, "pasword");
  EXPECT_EQ(ReadAnswers(Write(R"({"technician": "yes"})")).error().field, "technician");
  EXPECT_EQ(ReadAnswers(Write(R"({"onError": ["retry", "panic"]})")).error().field, "onError");
  EXPECT_EQ(ReadAnswers(Write(R"({"privacy": "decline"})")).error().field, "privacy");
  EXPECT_EQ(ReadAnswers(Write(R"({"provision": 1})")).error().field, "provision");
  EXPECT_EQ(ReadAnswers(Write(R"({"totpSeed": "not base32!"})")).error().field, "totpSeed");
  EXPECT_EQ(ReadAnswers(Write("[1]")).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ReadAnswers("/nonexistent/answers.json").error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace groundcrew::agent
