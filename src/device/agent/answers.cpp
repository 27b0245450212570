#include "device/agent/answers.hpp"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

#include "identity/totp.hpp"

namespace groundcrew::agent {

Result<Answers> ReadAnswers(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(ErrorCode::kNotFound, fmt::format("{}: cannot open the file", path.string()),
                     "answers");
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseAnswers(text.str(), path.string());
}

Result<Answers> ParseAnswers(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(text, ec);
  if (ec || !json.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("{}: not a JSON object{}", source, ec ? ": " + ec.message() : ""),
                     "answers");
  }
  Answers answers;
  for (const auto& member : json.as_object()) {
    const std::string key(member.key());
    const boost::json::value& value = member.value();
    auto bad = [&](std::string_view expected) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: {} must be {}", source, key, expected), key);
    };
    auto text_of = [&](std::optional<std::string>& out) -> Status {
      if (!value.is_string()) return bad("a string");
      out = std::string(value.as_string());
      return Ok{};
    };
    Status read = Ok{};
    if (key == "region") {
      read = text_of(answers.region);
    } else if (key == "keyboard") {
      read = text_of(answers.keyboard);
    } else if (key == "network") {
      read = text_of(answers.network);
    } else if (key == "userPrincipalName") {
      read = text_of(answers.user_principal_name);
    } else if (key == "password") {
      read = text_of(answers.password);
    } else if (key == "totpCode") {
      read = text_of(answers.totp_code);
    } else if (key == "privacy") {
      if (!value.is_string() || value.as_string() != "accept") return bad("\"accept\"");
      answers.privacy = "accept";
    } else if (key == "technician") {
      if (!value.is_bool()) return bad("true or false");
      answers.technician = value.as_bool();
    } else if (key == "provision" || key == "reseal") {
      if (!value.is_bool()) return bad("true or false");
      (key == "provision" ? answers.provision : answers.reseal) = value.as_bool();
    } else if (key == "totpSeed") {
      if (!value.is_string()) return bad("a base32 string");
      Result<std::string> seed = identity::Base32Decode(value.as_string());
      if (!seed) return bad("base32 (" + seed.error().message + ")");
      answers.totp_seed = std::move(*seed);
    } else if (key == "onError") {
      if (!value.is_array()) return bad("a list of buttons");
      for (const boost::json::value& button : value.as_array()) {
        static constexpr std::string_view kButtons[] = {"retry",       "continue",    "reset",
                                                        "collectLogs", "diagnostics", "stop"};
        if (!button.is_string() || std::find(std::begin(kButtons), std::end(kButtons),
                                             button.as_string()) == std::end(kButtons)) {
          return bad("a list of retry, continue, reset, collectLogs, diagnostics, stop");
        }
        answers.on_error.emplace_back(button.as_string());
      }
    } else {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: unknown member \"{}\"", source, key), key);
    }
    if (!read) return read.error();
  }
  return answers;
}

}  // namespace groundcrew::agent
