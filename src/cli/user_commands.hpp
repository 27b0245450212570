#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "cli/api.hpp"
#include "cli/remote_commands.hpp"
#include "common/result.hpp"

// `groundcrew users ...`: users' sign-in credentials over the admin API (GET /v1/users/{id}/signIn,
// PUT .../password, POST and DELETE .../mfa, POST .../unlock). Exit codes as in
// remote_commands.hpp: 0 success, 1 a failed call or bad input, 2 a usage error after parsing.
//
// Secrets: a password is sent to the server and nowhere else (not to `out`, `err` or an error
// message). An MFA enrollment's secret is printed, since showing it is the command's purpose.
namespace groundcrew::cli {

/// A user as the commands name it: the id for the API, and the user principal name when known.
struct UserRef {
  std::string id;
  std::string user_principal_name;  ///< "" when the user was given by id
  /// The UPN, or the id when the UPN is not known.
  const std::string& label() const {
    return user_principal_name.empty() ? id : user_principal_name;
  }
};

/// Resolves a USER argument. One word without '@' is an id, used as given without a call (a
/// wrong one is the server's not_found later); anything else is a user principal name or a
/// display name, found as resolve.hpp's Resolve does (field "USER").
ApiResult<UserRef> ResolveUser(Api& api, std::string_view user);

/// The password for --password-stdin: the first line of `in` without its line end ("\n" or
/// "\r\n"); anything after it is not read. Nothing else is trimmed (a password may begin or end
/// with spaces). kInvalidArgument (field "--password-stdin") when the line is empty or `in` is
/// empty. The message never contains the password.
[[nodiscard]] Result<std::string> PasswordFromStdin(std::istream& in);

/// Reads one line without echo after showing `prompt`; nullopt at the end of input.
using HiddenLineReader = std::function<std::optional<std::string>(std::string_view prompt)>;

/// A new password typed twice with `read`: "New password: " then "Repeat the password: ".
/// kInvalidArgument (field "password") when nothing was typed, input ended, or the two differ.
[[nodiscard]] Result<std::string> PasswordTypedTwice(const HiddenLineReader& read);

/// `groundcrew users show`: a user's sign-in state ({"userId", "userPrincipalName",
/// "passwordSet", "mfaEnrolled", "recentFailures", "lockedUntil"}) as "label  value" lines.
void RenderSignInState(const boost::json::value& state, const Style& style, std::ostream& out);

/// `groundcrew users mfa enroll`: the QR code (the answer's "qrText", drawn for a dark terminal),
/// then the account, the base32 secret and the otpauth:// URI; `svg_file` is named when given.
void RenderMfaEnrollment(const boost::json::value& enrollment, const UserRef& user,
                         const std::string& svg_file, const Style& style, std::ostream& out);

/// The commands that change a credential print, with --json, {"userId", "userPrincipalName"
/// (null when USER was an id), and what changed}.
struct UserOptions {
  std::string user;  ///< UPN or id (ResolveUser)
  bool json = false;
};

/// GET /v1/users/{id}/signIn; prints the state, or with `json` the server's answer.
int UsersShow(const UserOptions& options, Api& api, Console& console);

/// Gives the new password once the user is known (so a mistyped USER fails before anyone types
/// a password); an error is reported with exit 1.
using PasswordSource = std::function<Result<std::string>()>;

/// PUT /v1/users/{id}/password with the password from `password`. The server applies its policy
/// (a refusal is "invalid_argument", field "password"), clears the lockout and revokes the
/// user's tokens. With `json` prints {"userId", "userPrincipalName", "passwordSet": true}.
int UsersSetPassword(const UserOptions& options, const PasswordSource& password, Api& api,
                     Console& console);

struct MfaEnrollOptions {
  UserOptions user;
  std::string secret;    ///< base32 seed to enroll; "" = the server makes a fresh one
  std::string svg_file;  ///< where to write the QR code as SVG (mode 0600); "" = nowhere
};

/// POST /v1/users/{id}/mfa (replacing any enrollment; the server revokes the user's tokens).
/// Prints RenderMfaEnrollment, or with `json` the server's answer. With `svg_file`, the file is
/// created (as a PrivateFile) before the call, so an unwritable place fails before enrolling;
/// when writing it fails after all, only the error is reported (exit 1; enrolling again replaces
/// the enrollment whose secret was not shown).
int UsersMfaEnroll(const MfaEnrollOptions& options, Api& api, Console& console);

/// DELETE /v1/users/{id}/mfa: the user registers again at the next sign-in that needs MFA. With
/// `json` prints {"userId", "userPrincipalName", "mfaEnrolled": false}.
int UsersMfaReset(const UserOptions& options, Api& api, Console& console);

/// POST /v1/users/{id}/unlock: clears the failures and the lock. With `json` prints {"userId",
/// "userPrincipalName", "unlocked": true}.
int UsersUnlock(const UserOptions& options, Api& api, Console& console);

}  // namespace groundcrew::cli
