#pragma once

#include <boost/json/array.hpp>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "cli/api.hpp"
#include "cli/read_file.hpp"
#include "cli/remote_commands.hpp"

// `groundcrew credentials list|create|revoke`: the admin API's own bearer credentials (GET and
// POST /v1/credentials, DELETE /v1/credentials/{id}, GET /v1/me; docs/admin-api.md
// "Credentials"). `credentials recover`, which writes the server's database on its own machine,
// is added by apps/groundcrew and shares the token output below. Exit codes as in
// remote_commands.hpp: 0 success, 1 a failed call or file, 2 a usage error found after parsing.
//
// Secrets: a new token is written to one place only, a file created 0600 or stdout when it is
// not a terminal; never to stderr, never into an error message.
namespace groundcrew::cli {

/// Where a new credential's token goes.
enum class TokenSink {
  kFile,     ///< --output FILE
  kStdout,   ///< no --output and stdout is not a terminal (`> ci.token`, a pipe)
  kRefused,  ///< no --output and stdout is a terminal: the token would stay on the screen
};

/// The decision, from whether --output names a file and whether stdout is a terminal.
TokenSink ChooseTokenSink(std::string_view output_file, bool stdout_is_terminal);

/// A token's way out, prepared before the token exists so that everything that can refuse does
/// so before a credential is created: Prepare refuses a terminal (exit 2) and creates the file
/// (PrivateFile, kRefuse: never over an existing file). Deliver then writes the token (a line).
class TokenOutput {
 public:
  /// Errors: "invalid_argument" (field "--output") for kRefused, saying what to do; the file's
  /// errors (ForOutputOption, field "--output").
  static ApiResult<TokenOutput> Prepare(const std::string& output_file, bool stdout_is_terminal);

  /// Without `json`, the token as a line on `out` (kStdout) or in the file. With `json`,
  /// `answer` (the issued credential, with its "token") on `out`: as it is for kStdout; for
  /// kFile the token goes to the file and `answer` gets "tokenFile" instead of "token".
  ApiResult<bool> Deliver(std::string_view token, boost::json::object answer, bool json,
                          std::ostream& out);

  /// "stdout" or the file's path, for messages.
  std::string Where() const;

 private:
  TokenOutput(TokenSink sink, std::optional<PrivateFile> file)
      : sink_(sink), file_(std::move(file)) {}

  TokenSink sink_;
  std::optional<PrivateFile> file_;
};

/// Reports a refused TokenOutput::Prepare (exit 2 for a terminal, else 1).
int ReportTokenOutputError(const ApiError& error, bool json, Console& console);

/// A credential as listed by GET /v1/credentials.
struct CredentialRef {
  std::string id;
  std::string name;
  std::string role;
  std::string created;  ///< createdDateTime
  std::string revoked;  ///< revokedDateTime; "" while active
};

/// Resolves NAME|ID against the listing as resolve.hpp's FindByName does (by id, then name
/// exactly, then apart from case; field "NAME"); "not_found" points at `credentials list`.
ApiResult<CredentialRef> ResolveCredential(const boost::json::array& credentials,
                                           std::string_view name_or_id);

struct CredentialsListOptions {
  bool wide = false;  ///< add the ID column
  bool json = false;
};
/// The credentials as a table (NAME, ROLE, STATUS, CREATED, REVOKED; ID with `wide`), then
/// "N credentials, M active"; with `json` the server's answer.
int CredentialsList(const CredentialsListOptions& options, Api& api, Console& console);

struct CredentialsCreateOptions {
  std::string name;
  std::string role = "reader";  ///< least privilege unless asked: "admin" or "reader"
  std::string output;           ///< --output FILE; "" = stdout if it is not a terminal
  bool stdout_is_terminal = false;
  bool json = false;
};
/// POST /v1/credentials; the token goes out as TokenOutput says (prepared before the call), and
/// stderr says where ("Created reader credential "ci"; its token was written to ci.token (shown
/// only once)"). Exit 2 when the token would go to a terminal.
int CredentialsCreate(const CredentialsCreateOptions& options, Api& api, Console& console);

struct CredentialsRevokeOptions {
  std::string credential;  ///< NAME or ID (ResolveCredential)
  bool yes = false;        ///< also the credential this CLI is signed in with
  bool json = false;
};
/// DELETE /v1/credentials/{id} for the credential resolved. The one this CLI is signed in with
/// (its name is GET /v1/me's) is revoked only with `yes` (else exit 2, saying why). One already
/// revoked is left as it is (exit 0, saying since when). With `json` prints the credential as
/// GET /v1/credentials lists it afterwards (with its "revokedDateTime").
int CredentialsRevoke(const CredentialsRevokeOptions& options, Api& api, Console& console);

}  // namespace groundcrew::cli
