#pragma once

#include <deque>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.hpp"

// The answers file: every screen answered for an unattended run (`oobe --answers FILE`). JSON:
//
//   {
//     "region": "United States",          region page (any text confirms it)
//     "keyboard": "US",                   keyboard page
//     "network": "wired",                 "Let's connect you to a network"
//     "technician": true,                 press the technician key five times on the first
//                                         screen and choose "Pre-provision" (= --preprovision)
//     "provision": true,                  press Provision on the landing screen (false: stop
//                                         there, exit code 1)
//     "reseal": true,                     press Reseal on the technician success screen (false:
//                                         stop there, exit code 0)
//     "userPrincipalName": "adele.vance@contoso.com",   (default: the pre-filled name)
//     "password": "...",
//     "totpSeed": "JBSWY3DP...",          base32; the agent computes the current code
//     "totpCode": "123456",               or a fixed code (used once)
//     "privacy": "accept",                the privacy page's only choice
//     "onError": ["retry", "continue"]    buttons for error screens, in order: retry (Retry,
//                                         Try again), continue (Continue anyway), reset,
//                                         collectLogs, diagnostics, stop (the default when
//                                         the list is used up: the run ends, exit code 1). A
//                                         button the screen does not offer ends the run
//                                         (exit code 2) naming it.
//   }
//
// Every member is optional; unknown members are refused. What a member does not answer is asked
// on the terminal (--ui terminal); unattended (plain, json), Provision, Reseal and the privacy
// page default to going on, a user name to the pre-filled one, and any other missing answer
// ends the run with exit code 2 naming the member. Unattended only, a new authenticator's code
// is computed from the enrollment link the service sends (the answers file stands in for the
// user's phone). SECRET: the password and seed.
namespace groundcrew::agent {

struct Answers {
  std::optional<std::string> region, keyboard, network;
  bool technician = false;
  std::optional<bool> provision;
  std::optional<bool> reseal;
  std::optional<std::string> user_principal_name;
  std::optional<std::string> password;
  std::optional<std::string> totp_seed;  ///< raw bytes (decoded from base32)
  std::optional<std::string> totp_code;
  std::optional<std::string> privacy;
  std::deque<std::string> on_error;
};

/// Reads an answers file. kInvalidArgument naming the file and member for anything that is not
/// the format above (a wrong type, an unknown member or button, a seed that is not base32);
/// kNotFound when the file does not exist.
[[nodiscard]] Result<Answers> ReadAnswers(const std::filesystem::path& path);

/// ReadAnswers on the file's `text`; messages name `source` as the file.
[[nodiscard]] Result<Answers> ParseAnswers(std::string_view text, std::string_view source);

}  // namespace groundcrew::agent
