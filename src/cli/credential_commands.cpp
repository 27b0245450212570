#include "cli/credential_commands.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ostream>
#include <utility>
#include <vector>

#include "cli/render.hpp"
#include "cli/report.hpp"
#include "cli/resolve.hpp"
#include "cli/table.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

constexpr const char* kRefusedOnTerminal =
    "the token would be shown on this terminal: give --output FILE (created 0600), or "
    "redirect stdout (`> FILE` or a pipe into a secret store)";

CredentialRef RefOf(const json::value& item) {
  return CredentialRef{CellText(item, "id"), CellText(item, "name"), CellText(item, "role"),
                       CellText(item, "createdDateTime"), CellText(item, "revokedDateTime")};
}

ApiResult<json::array> ListCredentials(Api& api) { return api.ListAll("/v1/credentials"); }

}  // namespace

TokenSink ChooseTokenSink(std::string_view output_file, bool stdout_is_terminal) {
  if (!output_file.empty()) return TokenSink::kFile;
  return stdout_is_terminal ? TokenSink::kRefused : TokenSink::kStdout;
}

ApiResult<TokenOutput> TokenOutput::Prepare(const std::string& output_file,
                                            bool stdout_is_terminal) {
  switch (ChooseTokenSink(output_file, stdout_is_terminal)) {
    case TokenSink::kRefused:
      return ApiError{"invalid_argument", kRefusedOnTerminal, "--output", 0};
    case TokenSink::kStdout:
      return TokenOutput(TokenSink::kStdout, std::nullopt);
    case TokenSink::kFile:
      break;
  }
  Result<PrivateFile> file = PrivateFile::Open(output_file, PrivateFile::IfExists::kRefuse);
  if (!file) return ToApiError(ForOutputOption(file.error(), "--output"));
  return TokenOutput(TokenSink::kFile, std::move(*file));
}

ApiResult<bool> TokenOutput::Deliver(std::string_view token, json::object answer, bool json,
                                     std::ostream& out) {
  if (sink_ == TokenSink::kFile) {
    if (Status written = file_->Commit(std::string(token) + "\n"); !written) {
      return ToApiError(ForOutputOption(written.error(), "--output"));
    }
    if (json) {
      answer.erase("token");
      answer["tokenFile"] = file_->path();
      WriteJson(out, answer);
    }
    return true;
  }
  if (json) {
    WriteJson(out, answer);
  } else {
    out << token << '\n';
  }
  out.flush();
  if (!out) return ApiError{"unavailable", "cannot write the token to stdout", "stdout", 0};
  return true;
}

std::string TokenOutput::Where() const {
  return sink_ == TokenSink::kFile ? file_->path() : std::string("stdout");
}

int ReportTokenOutputError(const ApiError& error, bool json, Console& console) {
  const int exit_code = error.field == "--output" && error.code == "invalid_argument" ? 2 : 1;
  return ReportError(error.code, error.message, error.field, exit_code, json,
                     console.err_style.color, console.out, console.err);
}

ApiResult<CredentialRef> ResolveCredential(const json::array& credentials,
                                           std::string_view name_or_id) {
  static const ResourceKind kCredentials{"credentials", "credential", "credentials", "name", {}};
  auto found = FindByName(kCredentials, credentials, name_or_id, "NAME");
  if (!found) {
    ApiError error = found.error();
    if (error.code == "not_found") {
      error.message = fmt::format(
          "no credential is named \"{}\" or has that id; list them with "
          "`groundcrew credentials list`",
          text::ShowControls(name_or_id));
    }
    return error;
  }
  return RefOf(found->object);
}

int CredentialsList(const CredentialsListOptions& options, Api& api, Console& console) {
  auto listed = ListCredentials(api);
  if (!listed) return ReportApiError(listed.error(), options.json, console);
  if (options.json) {
    WriteJson(console.out, json::object{{"value", *listed}});
    return 0;
  }
  std::vector<std::string> header = {"NAME", "ROLE", "STATUS", "CREATED", "REVOKED"};
  if (options.wide) header.push_back("ID");
  Table table(std::move(header));
  size_t active = 0;
  for (const json::value& item : *listed) {
    const CredentialRef credential = RefOf(item);
    active += credential.revoked.empty() ? 1 : 0;
    std::vector<std::string> row = {
        credential.name, credential.role,
        credential.revoked.empty() ? "active" : console.out_style.Paint("revoked", Color::kDim),
        TimeCell(credential.created), TimeCell(credential.revoked)};
    if (options.wide) row.push_back(credential.id);
    table.Add(std::move(row));
  }
  if (!listed->empty()) {
    table.Print(console.out);
    console.out << '\n';
  }
  console.out << fmt::format("{} {}, {} active.\n", listed->size(),
                             listed->size() == 1 ? "credential" : "credentials", active);
  return 0;
}

int CredentialsCreate(const CredentialsCreateOptions& options, Api& api, Console& console) {
  auto output = TokenOutput::Prepare(options.output, options.stdout_is_terminal);
  if (!output) return ReportTokenOutputError(output.error(), options.json, console);
  auto issued = api.CallJson("POST", "/v1/credentials",
                             json::object{{"name", options.name}, {"role", options.role}});
  if (!issued) {
    ApiError error = issued.error();
    if (error.field == "name") error.field = "NAME";
    return ReportApiError(error, options.json, console);
  }
  const json::object* answer = issued->if_object();
  const json::value* token = answer ? answer->if_contains("token") : nullptr;
  if (token == nullptr || !token->is_string()) {
    return ReportApiError({"internal", "the server's answer has no token", "", 201}, options.json,
                          console);
  }
  auto delivered = output->Deliver(token->as_string(), *answer, options.json, console.out);
  if (!delivered) {
    ApiError error = delivered.error();
    error.message += fmt::format(
        " (credential \"{}\" was created but its token is lost: revoke it with `groundcrew "
        "credentials revoke {}` and create another)",
        options.name, CellText(*issued, "id"));
    return ReportApiError(error, options.json, console);
  }
  console.err << fmt::format(
      "Created {} credential \"{}\"; its token was written to {} (shown only once).\n",
      CellText(*issued, "role"), text::ShowControls(options.name), output->Where());
  return 0;
}

int CredentialsRevoke(const CredentialsRevokeOptions& options, Api& api, Console& console) {
  auto fail = [&](const ApiError& error) { return ReportApiError(error, options.json, console); };
  auto listed = ListCredentials(api);
  if (!listed) return fail(listed.error());
  auto credential = ResolveCredential(*listed, options.credential);
  if (!credential) return fail(credential.error());
  const std::string name = text::ShowControls(credential->name);

  auto print = [&](const std::string& message) -> int {
    if (!options.json) {
      console.out << message << '\n';
      return 0;
    }
    auto now = ListCredentials(api);
    if (!now) return fail(now.error());
    for (const json::value& item : *now) {
      if (CellText(item, "id") == credential->id) WriteJson(console.out, item);
    }
    return 0;
  };
  if (!credential->revoked.empty()) {
    return print(
        fmt::format("Credential \"{}\" was already revoked at {}.", name, credential->revoked));
  }

  auto me = api.Call("GET", "/v1/me");
  if (!me) return fail(me.error());
  const bool signed_in_with_it = text::EqualsIgnoreCase(CellText(*me, "name"), credential->name);
  if (signed_in_with_it && !options.yes) {
    return ReportError("invalid_argument",
                       fmt::format("\"{}\" is the credential you are signed in with: revoking it "
                                   "signs this CLI out. Sign in with another admin credential "
                                   "first (groundcrew login), or give --yes to revoke it anyway",
                                   name),
                       "--yes", 2, options.json, console.err_style.color, console.out, console.err);
  }
  auto revoked = api.Call("DELETE", "/v1/credentials/" + UrlEscape(credential->id));
  if (!revoked) return fail(revoked.error());
  std::string message = fmt::format(
      "Revoked {} credential \"{}\": its token is refused from now on.", credential->role, name);
  if (signed_in_with_it) {
    message += "\nYou were signed in with it: sign in with another credential (groundcrew login).";
  }
  return print(message);
}

}  // namespace groundcrew::cli
