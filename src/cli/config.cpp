#include "cli/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "cli/read_file.hpp"

namespace groundcrew::cli {
namespace {

std::optional<std::string> GetEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

bool NonEmpty(const std::optional<std::string>& value) { return value && !value->empty(); }

Error SystemError(const std::string& what, const std::string& path, int error) {
  return MakeError(ErrorCode::kUnavailable, what + ": " + std::strerror(error), path);
}

// mkdir -p for the parent directories of the credentials file, the last one with `mode`.
Status MakeDirectories(const std::string& dir, mode_t mode) {
  if (dir.empty()) return Ok{};
  struct stat info {};
  if (::stat(dir.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      return MakeError(ErrorCode::kFailedPrecondition, "not a directory", dir);
    }
    return Ok{};
  }
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    Status parent = MakeDirectories(dir.substr(0, slash), 0755);
    if (!parent) return parent;
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return SystemError("cannot create directory", dir, errno);
  }
  return Ok{};
}

}  // namespace

Environment Environment::FromProcess() {
  Environment env;
  env.server = GetEnv("GROUNDCREW_SERVER");
  env.token = GetEnv("GROUNDCREW_TOKEN");
  env.xdg_config_home = GetEnv("XDG_CONFIG_HOME");
  env.home = GetEnv("HOME");
  env.no_color = GetEnv("NO_COLOR");
  env.ca = GetEnv("GROUNDCREW_CA");
  return env;
}

std::string NormalizeServer(std::string server) {
  while (!server.empty() && server.back() == '/') server.pop_back();
  return server;
}

Connection ResolveConnection(const std::string& server_flag, const Environment& env,
                             const std::optional<SavedLogin>& saved) {
  Connection connection;
  if (!server_flag.empty()) {
    connection.server = server_flag;
    connection.server_source = "--server";
  } else if (NonEmpty(env.server)) {
    connection.server = *env.server;
    connection.server_source = "GROUNDCREW_SERVER";
  } else if (saved && !saved->server.empty()) {
    connection.server = saved->server;
    connection.server_source = "saved login";
  } else {
    connection.server = kDefaultServer;
    connection.server_source = "default";
  }
  connection.server = NormalizeServer(connection.server);
  if (NonEmpty(env.token)) {
    connection.token = *env.token;
    connection.token_source = "GROUNDCREW_TOKEN";
  } else if (saved && !saved->token.empty() &&
             NormalizeServer(saved->server) == connection.server) {
    connection.token = saved->token;
    connection.token_source = "saved login";
  }
  return connection;
}

CaFile ResolveCaFile(const std::string& ca_flag, const Environment& env) {
  if (!ca_flag.empty()) return CaFile{ca_flag, "--ca"};
  if (NonEmpty(env.ca)) return CaFile{*env.ca, "GROUNDCREW_CA"};
  return CaFile{};
}

Result<std::string> CredentialsPath(const Environment& env) {
  if (NonEmpty(env.xdg_config_home) && env.xdg_config_home->front() == '/') {
    return *env.xdg_config_home + "/groundcrew/credentials.json";
  }
  if (NonEmpty(env.home)) return *env.home + "/.config/groundcrew/credentials.json";
  return MakeError(ErrorCode::kFailedPrecondition,
                   "neither XDG_CONFIG_HOME nor HOME is set: cannot locate the saved login",
                   "credentials");
}

Result<std::optional<SavedLogin>> LoadLogin(const std::string& path) {
  auto bytes = ReadWholeFile(path);
  if (!bytes) {
    if (bytes.error().code == ErrorCode::kNotFound) return std::optional<SavedLogin>{};
    return bytes.error();
  }
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(*bytes, ec);
  const boost::json::object* object = ec ? nullptr : doc.if_object();
  const boost::json::value* server = object ? object->if_contains("server") : nullptr;
  const boost::json::value* token = object ? object->if_contains("token") : nullptr;
  if (!server || !server->is_string() || !token || !token->is_string()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "not a saved login ({\"server\": \"...\", \"token\": \"...\"}); run "
                     "`groundcrew login` again or remove the file",
                     path);
  }
  return std::optional<SavedLogin>(
      SavedLogin{std::string(server->as_string()), std::string(token->as_string())});
}

Status SaveLogin(const std::string& path, const SavedLogin& login) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  Status made = MakeDirectories(dir, 0700);
  if (!made) return made;

  const std::string content = boost::json::serialize(boost::json::object{{"server", login.server},
                                                                         {"token", login.token}}) +
                              "\n";
  auto file = PrivateFile::Open(path);
  if (!file) return file.error();
  return file->Commit(content);
}

Result<bool> RemoveLogin(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  return SystemError("cannot remove", path, errno);
}

}  // namespace groundcrew::cli
