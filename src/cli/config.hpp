#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

// Which server the CLI talks to and with which credential. Resolution is a pure function of the
// flag, the environment and the saved login, so it is tested without touching the process.
namespace groundcrew::cli {

inline constexpr const char* kDefaultServer = "http://127.0.0.1:8080";

/// The process environment variables the CLI reads (unset = nullopt).
struct Environment {
  std::optional<std::string> server;           ///< GROUNDCREW_SERVER
  std::optional<std::string> token;            ///< GROUNDCREW_TOKEN
  std::optional<std::string> xdg_config_home;  ///< XDG_CONFIG_HOME
  std::optional<std::string> home;             ///< HOME
  std::optional<std::string> no_color;         ///< NO_COLOR
  std::optional<std::string> ca;               ///< GROUNDCREW_CA

  static Environment FromProcess();
};

/// What `groundcrew login` saves.
struct SavedLogin {
  std::string server;
  std::string token;
};

/// Where the server and the token came from, for messages ("--server", "GROUNDCREW_SERVER",
/// "saved login", "default"; "GROUNDCREW_TOKEN", "saved login" or "" for no token).
struct Connection {
  std::string server;
  std::string token;
  std::string server_source;
  std::string token_source;
};

/// The server: `server_flag` (when non-empty) > GROUNDCREW_SERVER (when non-empty) > the saved
/// login's server > kDefaultServer. The token: GROUNDCREW_TOKEN (when non-empty) > the saved
/// login's token, the latter only when the chosen server is the saved login's server (a token
/// is never sent to a server it was not saved for). Trailing '/' on servers are ignored.
Connection ResolveConnection(const std::string& server_flag, const Environment& env,
                             const std::optional<SavedLogin>& saved);

/// The CA file trusted for https:// servers and where it came from.
struct CaFile {
  std::string path;    ///< "" = the system trust store
  std::string source;  ///< "--ca", "GROUNDCREW_CA" or "" (none)
};

/// `ca_flag` (when non-empty) > GROUNDCREW_CA (when non-empty) > none. Not saved by `login`.
CaFile ResolveCaFile(const std::string& ca_flag, const Environment& env);

/// $XDG_CONFIG_HOME/groundcrew/credentials.json, or $HOME/.config/groundcrew/credentials.json
/// when XDG_CONFIG_HOME is unset, empty or relative (as the XDG spec says). kFailedPrecondition
/// when neither is usable.
[[nodiscard]] Result<std::string> CredentialsPath(const Environment& env);

/// Reads the saved login: nullopt when the file does not exist; kInvalidArgument (field = path)
/// when it is not {"server": "...", "token": "..."}.
[[nodiscard]] Result<std::optional<SavedLogin>> LoadLogin(const std::string& path);

/// Writes the login atomically: creates missing directories (the last one with mode 0700),
/// writes a temporary file created with mode 0600 beside `path`, fsyncs and renames it over
/// `path`. The file is never readable by others, not even briefly.
[[nodiscard]] Status SaveLogin(const std::string& path, const SavedLogin& login);

/// Removes the saved login. Returns false when there was none.
[[nodiscard]] Result<bool> RemoveLogin(const std::string& path);

/// `server` without trailing '/'.
std::string NormalizeServer(std::string server);

}  // namespace groundcrew::cli
