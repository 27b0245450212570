#pragma once

#include <boost/json/value.hpp>
#include <iosfwd>
#include <string>

#include "cli/api.hpp"
#include "cli/remote_commands.hpp"
#include "cli/user_commands.hpp"

// `groundcrew admins add|list|remove|reset-mfa|unlock`: admins as people, who sign in to the
// console with a password and TOTP (GET and POST /v1/admins, DELETE /v1/admins/{name}, POST
// .../mfa and .../unlock; docs/admin-api.md "Admins and console sessions"). Exit codes as in
// remote_commands.hpp: 0 success, 1 a failed call or bad input, 2 a usage error after parsing.
//
// Secrets: a password is sent to the server and nowhere else. A new TOTP secret and its
// otpauth:// URI are printed on stdout once (the command's purpose: the admin's authenticator
// app needs them), never on stderr or in an error message.
namespace groundcrew::cli {

/// An admin's name as the commands take it, and --json.
struct AdminNameOptions {
  std::string name;
  bool json = false;
};

struct AdminsAddOptions {
  std::string name;
  std::string role;  ///< "admin", "reader" or "technician"
  bool json = false;
};

/// The account, the base32 secret and the URI of a new TOTP enrollment (POST /v1/admins or
/// .../mfa's answer), and how the admin uses them.
void RenderAdminEnrollment(const boost::json::value& enrollment, const Style& style,
                           std::ostream& out);

/// POST /v1/admins with the password from `password` (asked once the command is known to be
/// well formed). Prints "Added admin ..." and RenderAdminEnrollment, or with `json` the
/// server's answer.
int AdminsAdd(const AdminsAddOptions& options, const PasswordSource& password, Api& api,
              Console& console);

/// GET /v1/admins as a table (NAME, ROLE, CREATED, LAST SIGN-IN, LOCKED UNTIL), then "N admins";
/// with `json` the server's answer.
int AdminsList(bool json, Api& api, Console& console);

/// DELETE /v1/admins/{name}: the account goes and its console sessions end. With `json` prints
/// {"name", "removed": true}.
int AdminsRemove(const AdminNameOptions& options, Api& api, Console& console);

/// POST /v1/admins/{name}/mfa: a fresh TOTP secret (printed as by AdminsAdd); the admin's
/// console sessions end.
int AdminsResetMfa(const AdminNameOptions& options, Api& api, Console& console);

/// POST /v1/admins/{name}/unlock: clears the failures and the lock. With `json` prints
/// {"name", "unlocked": true}.
int AdminsUnlock(const AdminNameOptions& options, Api& api, Console& console);

}  // namespace groundcrew::cli
