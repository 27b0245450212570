// Keeps docs/openapi.yaml honest. The document is checked against
//   - the routes api::AddAdminRoutes and api::AddDeviceApiRoutes register (both directions,
//     probed through Router::Find), and the credential each operation takes,
//   - the properties and enumeration spellings of the wire codecs (src/wire) and of the
//     identity services (sign-in steps and refusals, nonces, users' sign-in state), and
//   - real answers of the real handlers over an in-memory SQLite store: every status, header
//     and JSON body a request produces must be documented for that operation, and every
//     documented property must appear in the answer (write-only ones excepted). The device API
//     is driven as a device does it: its own Ed25519 key in a registered hardware hash, a proof,
//     join, enroll, reseal, content, and users signing in with a password and TOTP codes.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "common/base64.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/lint.hpp"
#include "core/flow/flow_common.hpp"
#include "core/registration/hardware_hash.hpp"
#include "core/targeting/eligibility.hpp"
#include "identity/ca.hpp"
#include "identity/device_key.hpp"
#include "identity/password.hpp"
#include "identity/sha256.hpp"
#include "identity/totp.hpp"
#include "server/api/admin_access.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/device_api.hpp"
#include "server/http/router.hpp"
#include "server/service/auth.hpp"
#include "server/service/resource_model.hpp"
#include "server/service/services.hpp"
#include "server/store_sqlite/sqlite_store.hpp"
#include "wire/inventory_json.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using server::Router;

constexpr const char* kDocumentPath = GC_SOURCE_DIR "/docs/openapi.yaml";
// The route sources whose path literals EveryRegisteredOperationIsDocumented combines.
constexpr const char* kRouteSources[] = {GC_SOURCE_DIR "/src/server/api/admin_api.cpp",
                                         GC_SOURCE_DIR "/src/server/api/session_api.cpp",
                                         GC_SOURCE_DIR "/src/server/api/console_api.cpp",
                                         GC_SOURCE_DIR "/src/server/api/device_api.cpp"};
// Where the sign-in steps' statuses are spelled.
constexpr const char* kSignInServiceSource =
    GC_SOURCE_DIR "/src/server/service/sign_in_service.cpp";

// Every HTTP method the probes try (OpenAPI's operation keys, upper-cased).
const std::vector<std::string> kMethods = {"GET",   "PUT",     "POST", "DELETE",
                                           "PATCH", "OPTIONS", "HEAD", "TRACE"};

// The catalog fields the store keeps in columns: wire::Encode may lack them, the API answer
// always has them (service::ToJson puts them back; see service/resource_model.hpp).
const std::set<std::string> kStoreColumns = {"createdDateTime", "lastModifiedDateTime", "version"};

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::set<std::string> Keys(const json::object& object) {
  std::set<std::string> keys;
  for (const auto& field : object) keys.insert(std::string(field.key()));
  return keys;
}

std::string ReadSource(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file) << path;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// ---- The document ------------------------------------------------------------------------

// Read access to the OpenAPI document. yaml-cpp's non-const operator[] may add keys and its
// assignment writes through, so every lookup here goes through const nodes and fresh handles.
class OpenApi {
 public:
  static const OpenApi& Get() {
    static const OpenApi* document = new OpenApi(YAML::LoadFile(kDocumentPath));
    return *document;
  }

  const YAML::Node& root() const { return root_; }

  static YAML::Node At(const YAML::Node& node, const std::string& key) {
    const YAML::Node& constant = node;
    if (!constant.IsDefined() || !constant.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    YAML::Node value = constant[key];
    // A missing key yields an invalid node that throws on use: answer a plain undefined one.
    if (!value.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    return value;
  }

  // The node a local JSON pointer ("#/components/schemas/App/properties/size") names.
  YAML::Node Pointer(const std::string& ref) const {
    if (ref.rfind("#/", 0) != 0) return YAML::Node(YAML::NodeType::Undefined);
    std::vector<YAML::Node> path = {root_};
    std::stringstream parts(ref.substr(2));
    std::string part;
    while (std::getline(parts, part, '/')) {
      part = std::regex_replace(part, std::regex("~1"), "/");
      part = std::regex_replace(part, std::regex("~0"), "~");
      YAML::Node next = At(path.back(), part);
      if (!next.IsDefined()) return next;
      path.push_back(next);
    }
    return path.back();
  }

  // Follows $ref until a node without one.
  YAML::Node Resolve(const YAML::Node& node) const {
    if (!node.IsDefined() || !node.IsMap()) return node;
    const YAML::Node ref = At(node, "$ref");
    if (!ref.IsDefined()) return node;
    return Resolve(Pointer(ref.as<std::string>()));
  }

  // The schema and every schema it is made of (through $ref and allOf), outermost first.
  std::vector<YAML::Node> Parts(const YAML::Node& schema) const {
    std::vector<YAML::Node> parts;
    if (!schema.IsDefined() || !schema.IsMap()) return parts;
    parts.push_back(schema);
    if (const YAML::Node ref = At(schema, "$ref"); ref.IsDefined()) {
      for (const YAML::Node& part : Parts(Pointer(ref.as<std::string>()))) parts.push_back(part);
    }
    if (const YAML::Node all = At(schema, "allOf"); all.IsSequence()) {
      for (const YAML::Node& item : all) {
        for (const YAML::Node& part : Parts(item)) parts.push_back(part);
      }
    }
    return parts;
  }

  // The first value of `key` in the schema's parts.
  YAML::Node Keyword(const YAML::Node& schema, const std::string& key) const {
    for (const YAML::Node& part : Parts(schema)) {
      if (YAML::Node value = At(part, key); value.IsDefined()) return value;
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  bool Flag(const YAML::Node& schema, const std::string& key) const {
    const YAML::Node value = Keyword(schema, key);
    return value.IsDefined() && value.as<bool>();
  }

  std::map<std::string, YAML::Node> Properties(const YAML::Node& schema) const {
    std::map<std::string, YAML::Node> properties;
    for (const YAML::Node& part : Parts(schema)) {
      if (const YAML::Node props = At(part, "properties"); props.IsMap()) {
        for (const auto& entry : props) {
          properties.emplace(entry.first.as<std::string>(), entry.second);
        }
      }
    }
    return properties;
  }

  std::set<std::string> Required(const YAML::Node& schema) const {
    std::set<std::string> required;
    for (const YAML::Node& part : Parts(schema)) {
      if (const YAML::Node names = At(part, "required"); names.IsSequence()) {
        for (const YAML::Node& name : names) required.insert(name.as<std::string>());
      }
    }
    return required;
  }

  bool HasRequired(const YAML::Node& schema) const {
    return Keyword(schema, "required").IsSequence();
  }

  // Whether properties beyond `properties` are documented. Absent counts as no: the test holds
  // the server to exactly what the document lists.
  bool OpenObject(const YAML::Node& schema) const {
    const YAML::Node value = Keyword(schema, "additionalProperties");
    if (!value.IsDefined()) return false;
    return value.IsMap() || value.as<bool>();
  }

  std::set<std::string> Enum(const YAML::Node& schema) const {
    std::set<std::string> values;
    if (const YAML::Node list = Keyword(schema, "enum"); list.IsSequence()) {
      for (const YAML::Node& value : list) values.insert(value.as<std::string>());
    }
    return values;
  }

  YAML::Node Schema(const std::string& name) const {
    return At(At(At(root_, "components"), "schemas"), name);
  }

  YAML::Node Paths() const { return At(root_, "paths"); }

  // (METHOD, path) of every documented operation.
  std::set<std::pair<std::string, std::string>> Operations() const {
    std::set<std::pair<std::string, std::string>> operations;
    for (const auto& path : Paths()) {
      for (const auto& entry : path.second) {
        const std::string key = entry.first.as<std::string>();
        if (std::find(kMethods.begin(), kMethods.end(), Upper(key)) != kMethods.end()) {
          operations.emplace(Upper(key), path.first.as<std::string>());
        }
      }
    }
    return operations;
  }

  YAML::Node Operation(const std::string& method, const std::string& path) const {
    return At(At(Paths(), path), Lower(method));
  }

 private:
  explicit OpenApi(YAML::Node root) : root_(std::move(root)) {}
  YAML::Node root_;
};

// Checks JSON against a schema: types, nullability, string enumerations, required properties,
// and no property the schema does not list (unless it is an open object).
void Validate(const json::value& value, const YAML::Node& schema, const std::string& where,
              std::vector<std::string>& errors) {
  const OpenApi& api = OpenApi::Get();
  if (value.is_null()) {
    if (!api.Flag(schema, "nullable")) errors.push_back(where + ": null but not nullable");
    return;
  }
  const YAML::Node type_node = api.Keyword(schema, "type");
  if (!type_node.IsDefined()) return;  // any JSON
  const std::string type = type_node.as<std::string>();
  if (type == "string") {
    if (!value.is_string()) {
      errors.push_back(where + ": expected a string, found " + json::serialize(value));
      return;
    }
    const std::set<std::string> allowed = api.Enum(schema);
    if (!allowed.empty() && !allowed.contains(std::string(value.as_string()))) {
      errors.push_back(where + ": \"" + std::string(value.as_string()) +
                       "\" is not in the documented enum {" + Join(allowed) + "}");
    }
  } else if (type == "integer") {
    if (!value.is_int64() && !value.is_uint64()) {
      errors.push_back(where + ": expected an integer, found " + json::serialize(value));
    }
  } else if (type == "number") {
    if (!value.is_number()) errors.push_back(where + ": expected a number");
  } else if (type == "boolean") {
    if (!value.is_bool()) errors.push_back(where + ": expected a boolean");
  } else if (type == "array") {
    if (!value.is_array()) {
      errors.push_back(where + ": expected an array, found " + json::serialize(value));
      return;
    }
    const YAML::Node items = api.Keyword(schema, "items");
    for (size_t i = 0; i < value.as_array().size(); ++i) {
      Validate(value.as_array()[i], items, where + "[" + std::to_string(i) + "]", errors);
    }
  } else if (type == "object") {
    if (!value.is_object()) {
      errors.push_back(where + ": expected an object, found " + json::serialize(value));
      return;
    }
    const auto properties = api.Properties(schema);
    const bool open = api.OpenObject(schema);
    for (const auto& field : value.as_object()) {
      const std::string key(field.key());
      if (auto it = properties.find(key); it != properties.end()) {
        Validate(field.value(), it->second, where + "." + key, errors);
      } else if (!open) {
        errors.push_back(where + ": property \"" + key + "\" is not documented");
      }
    }
    for (const std::string& key : api.Required(schema)) {
      if (!value.as_object().contains(key)) {
        errors.push_back(where + ": required property \"" + key + "\" is missing");
      }
    }
  }
}

// The other direction: every documented property (except write-only ones) is in `value`. A
// schema that declares `required` makes its other properties optional.
void ExpectComplete(const json::value& value, const YAML::Node& schema, const std::string& where,
                    std::vector<std::string>& errors) {
  const OpenApi& api = OpenApi::Get();
  if (value.is_array()) {
    const YAML::Node items = api.Keyword(schema, "items");
    for (size_t i = 0; i < value.as_array().size(); ++i) {
      ExpectComplete(value.as_array()[i], items, where + "[" + std::to_string(i) + "]", errors);
    }
    return;
  }
  if (!value.is_object() || api.OpenObject(schema)) return;
  // Only the non-empty extension attributes are answered (the schema's description says so).
  if (api.Resolve(schema).is(api.Schema("OnPremisesExtensionAttributes"))) return;
  const bool declares_required = api.HasRequired(schema);
  const std::set<std::string> required = api.Required(schema);
  for (const auto& [key, property] : api.Properties(schema)) {
    if (const json::value* field = value.as_object().if_contains(key)) {
      ExpectComplete(*field, property, where + "." + key, errors);
    } else if (!api.Flag(property, "writeOnly") && (!declares_required || required.contains(key))) {
      errors.push_back(where + ": documented property \"" + key + "\" is not in the answer");
    }
  }
}

std::string Lines(const std::vector<std::string>& errors) {
  std::string out;
  for (const std::string& error : errors) out += "\n  " + error;
  return out;
}

// ---- The real routes -----------------------------------------------------------------------

core::Timestamp Now() { return core::Timestamp(std::chrono::seconds(1'780'000'000)); }

fs::path MakeTempDir() {
  std::string pattern = (fs::temp_directory_path() / "gc-openapi-XXXXXX").string();
  const char* made = mkdtemp(pattern.data());
  EXPECT_NE(made, nullptr);
  return pattern;
}

// The lockout threshold of the tests' sign-in service.
constexpr int kLockoutThreshold = 3;

// The daemon's wiring (apps/groundcrewd/main.cpp: admin and device routes) over an in-memory
// store, with the tenant `groundcrew init` makes and an admin and a reader credential. Password
// hashing runs at libsodium's minimum cost (the contract does not depend on it) and a user is
// locked after kLockoutThreshold failures.
class Api {
 public:
  Api() {
    content_dir_ = MakeTempDir();
    scratch_dir_ = MakeTempDir();
    auto opened = store::sqlite::SqliteStore::Open({.path = ":memory:"});
    EXPECT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
    service::IdentityOptions options;
    options.sign_in.password_cost = identity::kMinimumPasswordCost;
    options.sign_in.lockout.max_failures = kLockoutThreshold;
    // Every sign-in route is tried from one device at one instant: no per-device pacing here.
    options.sign_in.device_rate = {.burst = 1000, .per_second = 1};
    services_ = std::make_unique<service::Services>(
        *store_, service::ContentStore(content_dir_), content_dir_ / "diagnostics",
        [] { return Now(); }, service::CreateSecrets("Contoso", Now()).value(), service::SaveKeys{},
        options);
    Status added = api::AddAdminRoutes(router_, *services_);
    EXPECT_TRUE(added) << added.error().message;
    added = api::AddDeviceApiRoutes(router_, *services_);
    EXPECT_TRUE(added) << added.error().message;
  }
  ~Api() {
    std::error_code ec;
    fs::remove_all(content_dir_, ec);
    fs::remove_all(scratch_dir_, ec);
  }

  const Router& router() const { return router_; }
  service::Services& services() { return *services_; }
  // A private directory for the test's own files (device keys).
  const fs::path& scratch() const { return scratch_dir_; }

  // What `groundcrew init --organization Contoso --domain contoso.com` stores.
  void Init() {
    core::TenantSettings settings;
    settings.id = core::TenantId{"tenant"};
    settings.organization_name = "Contoso";
    settings.domain = "contoso.com";
    store::Resource row{store::ResourceKind::kTenant,
                        "tenant",
                        "tenant",
                        service::StoredBody(service::AnyResource(settings)),
                        Now(),
                        Now()};
    ASSERT_TRUE(store_->resources().Create(row));
    const service::Actor setup{"setup", store::CredentialRole::kAdmin};
    auto admin =
        service::IssueCredential(*store_, setup, "admin", store::CredentialRole::kAdmin, Now());
    ASSERT_TRUE(admin);
    admin_token_ = admin->token;
    auto reader =
        service::IssueCredential(*store_, setup, "auditor", store::CredentialRole::kReader, Now());
    ASSERT_TRUE(reader);
    reader_token_ = reader->token;
  }

  const std::string& admin_token() const { return admin_token_; }
  const std::string& reader_token() const { return reader_token_; }

 private:
  fs::path content_dir_;
  fs::path scratch_dir_;
  std::unique_ptr<store::sqlite::SqliteStore> store_;
  std::unique_ptr<service::Services> services_;
  Router router_;
  std::string admin_token_;
  std::string reader_token_;
};

// "/v1/apps/{id}/x" -> "/v1/apps/sample-id/x".
std::string Sample(const std::string& pattern) {
  static const std::regex parameter("\\{([^}/]+)\\}");
  return std::regex_replace(pattern, parameter, "sample-$1");
}

// Route patterns compare without parameter names: the router treats "/a/{x}" and "/a/{y}" as
// the same pattern.
std::string Shape(const std::string& pattern) {
  static const std::regex parameter("\\{[^}/]+\\}");
  return std::regex_replace(pattern, parameter, "{}");
}

TEST(OpenApiDocumentTest, IsOpenApi303AndEveryRefResolves) {
  const OpenApi& api = OpenApi::Get();
  EXPECT_EQ(OpenApi::At(api.root(), "openapi").as<std::string>(), "3.0.3");
  std::vector<std::string> dangling;
  std::function<void(const YAML::Node&)> walk = [&](const YAML::Node& node) {
    if (node.IsMap()) {
      for (const auto& entry : node) {
        if (entry.first.as<std::string>() == "$ref" &&
            !api.Pointer(entry.second.as<std::string>()).IsDefined()) {
          dangling.push_back(entry.second.as<std::string>());
        }
        walk(entry.second);
      }
    } else if (node.IsSequence()) {
      for (const YAML::Node& item : node) walk(item);
    }
  };
  walk(api.root());
  EXPECT_TRUE(dangling.empty()) << "unresolvable $ref:" << Lines(dangling);
}

// Schemas the brief names; each must exist.
constexpr const char* kRequiredSchemas[] = {"TenantSettings",
                                            "User",
                                            "Group",
                                            "DeploymentProfile",
                                            "EspProfile",
                                            "App",
                                            "Policy",
                                            "CertificateProfile",
                                            "NetworkProfile",
                                            "CompliancePolicy",
                                            "Assignment",
                                            "AssignmentTarget",
                                            "WindowsAutopilotDeviceIdentity",
                                            "ImportResult",
                                            "Plan",
                                            "EspPlan",
                                            "Phase",
                                            "PlanItem",
                                            "Finding",
                                            "ApplyDocument",
                                            "ApplyResult",
                                            "AuditEntry",
                                            "DeploymentSession",
                                            "SessionEvent",
                                            "Credential",
                                            "Error",
                                            "UserPage",
                                            "AuditEntryPage",
                                            "WindowsAutopilotDeviceIdentityPage",
                                            "UserSignInState",
                                            "MfaEnrollment",
                                            "DeviceNonce",
                                            "DeviceToken",
                                            "AgentRegistration",
                                            "DeviceTrustState",
                                            "DeviceJoin",
                                            "DeviceEnrollment",
                                            "DeviceReseal",
                                            "SignInStep",
                                            "AgentMe",
                                            "DeploymentRequest",
                                            "InstalledItem",
                                            "Deployment",
                                            "DeploymentProfileInfo",
                                            "DeploymentPayloads",
                                            "ProfileCertificate",
                                            "SessionStartRequest",
                                            "SessionEventsRequest",
                                            "SessionEventInput",
                                            "SessionEventsResult",
                                            "SessionFinishRequest",
                                            "DeploymentReport",
                                            "ReportSession",
                                            "ReportPhase",
                                            "ReportItem",
                                            "DeploymentEventStream",
                                            "DeploymentStreamEvent"};

TEST(OpenApiDocumentTest, DocumentsEveryResourceKind) {
  for (const char* name : kRequiredSchemas) {
    EXPECT_TRUE(OpenApi::Get().Schema(name).IsMap()) << "components/schemas/" << name;
  }
}

// The credentials an operation takes (security schemes' names), none for an open one: the
// admin API's bearerAuth or the console's sessionCookie (the document's global requirement)
// below /v1/, except signing in (open), the session itself (the cookie only) and the device API
// below /v1/agent/: device tokens for the device routes, a user token for /v1/agent/me, either
// for a deployment (the technician flow's with the device's, the user flow's with the user's),
// none for asking for a nonce and proving a key. /healthz, /readyz and /metrics are open.
std::set<std::string> ExpectedSchemes(const std::string& method, const std::string& path) {
  if (path == "/v1/agent/nonce" || path == "/v1/agent/token") return {};
  if (path == "/v1/agent/me") return {"userToken"};
  if (path == "/v1/agent/devices/{id}/deployment") return {"deviceToken", "userToken"};
  if (path.rfind("/v1/agent/", 0) == 0) return {"deviceToken"};
  if (path == "/v1/session") {
    if (method == "POST") return {};
    return {"sessionCookie"};
  }
  if (path.rfind("/v1/", 0) == 0) return {"bearerAuth", "sessionCookie"};
  return {};
}

TEST(OpenApiDocumentTest, EveryOperationNamesTheCredentialItTakes) {
  const OpenApi& api = OpenApi::Get();
  for (const char* name : {"bearerAuth", "deviceToken", "userToken"}) {
    const YAML::Node scheme = api.Pointer(std::string("#/components/securitySchemes/") + name);
    ASSERT_TRUE(scheme.IsMap()) << name;
    EXPECT_EQ(OpenApi::At(scheme, "type").as<std::string>(), "http") << name;
    EXPECT_EQ(OpenApi::At(scheme, "scheme").as<std::string>(), "bearer") << name;
  }
  const YAML::Node cookie = api.Pointer("#/components/securitySchemes/sessionCookie");
  ASSERT_TRUE(cookie.IsMap());
  EXPECT_EQ(OpenApi::At(cookie, "type").as<std::string>(), "apiKey");
  EXPECT_EQ(OpenApi::At(cookie, "in").as<std::string>(), "cookie");
  EXPECT_EQ(OpenApi::At(cookie, "name").as<std::string>(), api::kSessionCookie);
  const YAML::Node global = OpenApi::At(api.root(), "security");
  ASSERT_TRUE(global.IsSequence() && global.size() == 2);
  EXPECT_TRUE(OpenApi::At(global[0], "bearerAuth").IsDefined());
  EXPECT_TRUE(OpenApi::At(global[1], "sessionCookie").IsDefined());

  std::set<std::string> open_paths;
  for (const auto& [method, path] : api.Operations()) {
    SCOPED_TRACE(method + " " + path);
    const YAML::Node operation = api.Operation(method, path);
    const YAML::Node security = OpenApi::At(operation, "security");
    std::set<std::string> schemes;
    if (!security.IsDefined()) {
      schemes = {"bearerAuth", "sessionCookie"};  // the global requirement
    } else {
      ASSERT_TRUE(security.IsSequence());
      for (const YAML::Node& requirement : security) {
        for (const auto& entry : requirement) schemes.insert(entry.first.as<std::string>());
      }
    }
    const std::set<std::string> expected = ExpectedSchemes(Upper(method), path);
    const YAML::Node unauthorized =
        api.Resolve(OpenApi::At(OpenApi::At(operation, "responses"), "401"));
    if (expected.empty()) {
      EXPECT_TRUE(security.IsSequence() && security.size() == 0) << "must be open";
      open_paths.insert(path);
      continue;
    }
    EXPECT_EQ(schemes, expected);
    // Signing out answers no 401 (there is nothing to end); every other operation does.
    if (path == "/v1/session" && Upper(method) == "DELETE") continue;
    ASSERT_TRUE(unauthorized.IsDefined()) << "must document 401";
    if (expected == std::set<std::string>{"sessionCookie"}) continue;  // no bearer: no realm
    // 401 says how to authenticate (RFC 9110); the device API names its own realm.
    const YAML::Node header = OpenApi::At(OpenApi::At(unauthorized, "headers"), "WWW-Authenticate");
    ASSERT_TRUE(header.IsDefined()) << "401 must document WWW-Authenticate";
    const std::string realm = OpenApi::At(api.Resolve(header), "description").as<std::string>();
    EXPECT_NE(realm.find(expected.contains("bearerAuth") ? "realm=\"groundcrew\""
                                                         : "realm=\"groundcrew-device\""),
              std::string::npos)
        << realm;
  }
  EXPECT_EQ(open_paths, (std::set<std::string>{"/healthz", "/readyz", "/metrics", "/v1/agent/nonce",
                                               "/v1/agent/token", "/v1/session"}));
}

// ---- Routes --------------------------------------------------------------------------------

TEST(OpenApiRoutesTest, EveryDocumentedV1OperationIsRegisteredAndNoOtherMethodIs) {
  Api api;
  const OpenApi& doc = OpenApi::Get();
  const auto operations = doc.Operations();
  for (const auto& path_entry : doc.Paths()) {
    const std::string path = path_entry.first.as<std::string>();
    // /healthz and /metrics are HttpServer built-ins, not admin routes.
    if (path.rfind("/v1/", 0) != 0) continue;
    for (const std::string& method : kMethods) {
      const Router::Match match = api.router().Find(method, Sample(path));
      const bool documented = operations.contains({method, path});
      const bool routed_here =
          match.outcome == Router::Outcome::kFound && Shape(match.pattern) == Shape(path);
      if (documented) {
        EXPECT_TRUE(routed_here) << method << " " << path << " is documented but not registered";
        EXPECT_EQ(match.pattern, path) << "parameter names differ from the registered pattern";
      } else if (match.outcome == Router::Outcome::kFound) {
        // Served by another, more general pattern (GET /v1/autopilotDevices/import is
        // GET /v1/autopilotDevices/{id}): that one must be documented.
        EXPECT_FALSE(routed_here) << method << " " << path << " is registered, not documented";
        EXPECT_TRUE(operations.contains({method, match.pattern}))
            << method << " " << match.pattern << " is registered, not documented";
      } else {
        EXPECT_EQ(match.outcome, Router::Outcome::kMethodNotAllowed)
            << method << " " << path << ": the path itself should be routed";
      }
    }
  }
}

// Router has no listing, so candidate paths are probed: every documented path and a child of
// it, every catalog collection, and every combination of the path literals of each route
// source, admin_api.cpp ("/v1/autopilotDevices" + "/{id}" + "/reprovision") and device_api.cpp
// ("/v1/agent/devices/{id}" + "/signIn/{challengeId}"). Whatever answers must be documented.
TEST(OpenApiRoutesTest, EveryRegisteredOperationIsDocumented) {
  Api api;
  const OpenApi& doc = OpenApi::Get();
  const auto operations = doc.Operations();

  std::vector<std::string> kinds;
  for (int k = 0; k <= static_cast<int>(store::ResourceKind::kAssignment); ++k) {
    kinds.emplace_back(store::ToString(static_cast<store::ResourceKind>(k)));
  }
  std::set<std::string> candidates;
  const std::regex literal("\"(/[^\"\\s]*)\"");
  const std::regex kind_placeholder("\\{\\}");
  for (const char* source : kRouteSources) {
    // A source's literals combine among themselves only: routes are built within one file.
    std::set<std::string> roots;
    std::set<std::string> suffixes;
    const std::string text = ReadSource(source);
    for (auto it = std::sregex_iterator(text.begin(), text.end(), literal);
         it != std::sregex_iterator(); ++it) {
      const std::string value = (*it)[1];
      if (value.rfind("/v1", 0) != 0) {
        suffixes.insert(value);
      } else if (value.find("{}") != std::string::npos) {
        for (const std::string& kind : kinds) {
          roots.insert(std::regex_replace(value, kind_placeholder, kind));
        }
      } else {
        roots.insert(value);
      }
    }
    EXPECT_FALSE(roots.empty()) << source << ": no path literal found";
    for (const std::string& root : roots) {
      candidates.insert(root);
      for (const std::string& a : suffixes) {
        candidates.insert(root + a);
        for (const std::string& b : suffixes) candidates.insert(root + a + b);
      }
    }
  }
  for (const auto& [method, path] : operations) {
    if (path.rfind("/v1/", 0) != 0) continue;
    EXPECT_TRUE(candidates.contains(path))
        << path << " was not found among the route sources' literals: the probe is out of date";
    candidates.insert(path);
    candidates.insert(path + "/sample-child");
  }
  for (const std::string& kind : kinds) {
    candidates.insert("/v1/" + kind);
    candidates.insert("/v1/" + kind + "/{id}");
    candidates.insert("/v1/" + kind + "/{id}/sample-child");
  }

  std::set<std::string> registered;
  const std::regex leading_space("^\\s+");
  for (const std::string& candidate : candidates) {
    const std::string target = Sample(candidate);
    std::set<std::string> methods(kMethods.begin(), kMethods.end());
    const Router::Match probe = api.router().Find("SAMPLE-METHOD", target);
    std::stringstream allow(probe.allow);
    for (std::string method; std::getline(allow, method, ',');) {
      methods.insert(std::regex_replace(method, leading_space, ""));
    }
    for (const std::string& method : methods) {
      const Router::Match match = api.router().Find(method, target);
      if (match.outcome != Router::Outcome::kFound) continue;
      registered.insert(method + " " + match.pattern);
      EXPECT_TRUE(operations.contains({method, match.pattern}))
          << method << " " << match.pattern << " is registered but not in docs/openapi.yaml";
    }
  }
  size_t documented_v1 = 0;
  for (const auto& [method, path] : operations) documented_v1 += path.rfind("/v1/", 0) == 0;
  EXPECT_EQ(registered.size(), documented_v1);
}

// ---- Schemas against the wire codecs ---------------------------------------------------------

struct ResourceCase {
  const char* schema;
  store::ResourceKind kind;
};

const ResourceCase kCatalogKinds[] = {
    {"TenantSettings", store::ResourceKind::kTenant},
    {"User", store::ResourceKind::kUser},
    {"Group", store::ResourceKind::kGroup},
    {"DeploymentProfile", store::ResourceKind::kDeploymentProfile},
    {"EspProfile", store::ResourceKind::kEspProfile},
    {"App", store::ResourceKind::kApp},
    {"Policy", store::ResourceKind::kPolicy},
    {"CertificateProfile", store::ResourceKind::kCertificateProfile},
    {"NetworkProfile", store::ResourceKind::kNetworkProfile},
    {"CompliancePolicy", store::ResourceKind::kCompliancePolicy},
    {"Assignment", store::ResourceKind::kAssignment},
};

std::set<std::string> SchemaProperties(const char* name, bool with_write_only) {
  const OpenApi& api = OpenApi::Get();
  std::set<std::string> names;
  for (const auto& [key, property] : api.Properties(api.Schema(name))) {
    if (with_write_only || !api.Flag(property, "writeOnly")) names.insert(key);
  }
  return names;
}

std::set<std::string> Minus(std::set<std::string> a, const std::set<std::string>& b) {
  for (const std::string& item : b) a.erase(item);
  return a;
}

// The brief of the check: the keys of wire::Encode(T{}) are the schema's properties, modulo
// write-only properties and the store's columns, which the API answer adds.
TEST(OpenApiSchemasTest, CatalogSchemasHaveExactlyTheWireProperties) {
  for (const ResourceCase& c : kCatalogKinds) {
    SCOPED_TRACE(c.schema);
    const service::AnyResource resource = service::DefaultResource(c.kind);
    const std::set<std::string> encoded = Keys(service::Encode(resource));
    const std::set<std::string> documented = SchemaProperties(c.schema, false);
    EXPECT_EQ(Minus(encoded, documented), std::set<std::string>())
        << "wire::Encode emits properties the schema lacks";
    EXPECT_EQ(Minus(Minus(documented, encoded), kStoreColumns), std::set<std::string>())
        << "the schema documents properties wire::Encode never emits";

    // What GET answers: the stored body with the store's columns put back.
    store::ResourceRecord record{
        store::Resource{c.kind, "id-1", "name", service::StoredBody(resource), Now(), Now()}, 1};
    EXPECT_EQ(Keys(service::ToJson(record)), documented) << "the API answer differs";
  }
}

TEST(OpenApiSchemasTest, WriteOnlyPropertiesAreAcceptedButNeverEmitted) {
  const std::set<std::string> all = SchemaProperties("NetworkProfile", true);
  const std::set<std::string> readable = SchemaProperties("NetworkProfile", false);
  EXPECT_EQ(Minus(all, readable), std::set<std::string>{"preSharedKey"});
  core::NetworkProfile profile;
  ASSERT_TRUE(
      wire::Decode(json::parse(R"({"displayName": "Wi-Fi", "preSharedKey": "k"})"), profile));
  EXPECT_FALSE(wire::Encode(profile).contains("preSharedKey"));
}

TEST(OpenApiSchemasTest, DeviceAndPlanSchemasHaveExactlyTheWireProperties) {
  const OpenApi& api = OpenApi::Get();
  std::vector<std::string> errors;
  core::AutopilotDeviceIdentity device;
  const json::object encoded_device = wire::Encode(device);
  Validate(encoded_device, api.Schema("WindowsAutopilotDeviceIdentity"), "device", errors);
  // DeviceService adds the profile assigned now, the latest session and its summary
  // (wire::AddDeploymentSummary), the name it joined with and the record's version.
  EXPECT_EQ(Minus(SchemaProperties("WindowsAutopilotDeviceIdentity", false), Keys(encoded_device)),
            (std::set<std::string>{"deploymentProfile", "deviceName", "lastDeployment", "version",
                                   "deploymentState", "lastDeploymentDateTime", "lastFlow"}));

  core::EspPlan plan;
  plan.flow = core::Flow::kUser;
  plan.device_setup.items.push_back(core::PlanItem{});
  plan.account_setup = core::PhasePlan{};
  plan.account_setup->phase = core::EspPhase::kAccountSetup;
  const json::object encoded_plan = wire::Encode(plan);
  Validate(encoded_plan, api.Schema("EspPlan"), "espPlan", errors);
  ExpectComplete(encoded_plan, api.Schema("EspPlan"), "espPlan", errors);
  EXPECT_EQ(Keys(encoded_plan), SchemaProperties("EspPlan", false));

  const json::object finding = wire::Encode(core::PlanFinding{});
  Validate(finding, api.Schema("Finding"), "finding", errors);
  ExpectComplete(finding, api.Schema("Finding"), "finding", errors);

  core::RegistrationRowResult row;
  row.failure = core::RowFailure{core::ImportError::kZtdDeviceDuplicated, "twice", ""};
  json::object encoded_row = wire::Encode(row);
  encoded_row["id"] = "device-id";  // admin_api.cpp adds it to imported rows
  Validate(encoded_row, api.Schema("ImportRow"), "row", errors);
  EXPECT_EQ(Keys(encoded_row), SchemaProperties("ImportRow", false));

  for (core::TargetKind kind : {core::TargetKind::kGroup, core::TargetKind::kAllDevices}) {
    core::AssignmentTarget target;
    target.kind = kind;
    target.group_id = core::GroupId{"g"};
    Validate(wire::Encode(target), api.Schema("AssignmentTarget"), "target", errors);
  }
  EXPECT_TRUE(errors.empty()) << Lines(errors);
}

// ---- Enumerations --------------------------------------------------------------------------

template <class T, size_t N>
std::set<std::string> Spellings(const wire::internal::Spelling<T> (&table)[N]) {
  std::set<std::string> names;
  for (const auto& spelling : table) names.insert(std::string(spelling.name));
  return names;
}

// Names of enum values 0..last through `to_string`.
template <class E, class F>
std::set<std::string> Named(E last, F to_string) {
  std::set<std::string> names;
  for (int i = 0; i <= static_cast<int>(last); ++i) {
    names.insert(std::string(to_string(static_cast<E>(i))));
  }
  return names;
}

// The enum of a schema or of "Schema/property" or "Schema/property/nested".
std::set<std::string> DocumentedEnum(const std::string& dotted) {
  const OpenApi& api = OpenApi::Get();
  std::stringstream parts(dotted);
  std::string part;
  std::getline(parts, part, '/');
  YAML::Node node = api.Schema(part);
  while (std::getline(parts, part, '/')) {
    const auto properties = api.Properties(node);
    auto it = properties.find(part);
    if (it == properties.end()) return {};
    node.reset(it->second);
  }
  return api.Enum(node);
}

// Graph's deployment states a session may end in: all but inProgress.
std::set<std::string> FinalDeploymentStates() {
  std::set<std::string> states = Named(core::DeploymentState::kSuccessOnRetry,
                                       [](core::DeploymentState d) { return core::ToString(d); });
  states.erase("inProgress");
  return states;
}

TEST(OpenApiSchemasTest, EnumsUseTheWireSpellings) {
  namespace w = wire::internal;
  const std::vector<std::pair<std::string, std::set<std::string>>> cases = {
      {"TenantSettings/mdmUserScope", Spellings(w::kMdmUserScopes)},
      {"TenantSettings/deviceJoinScope", Spellings(w::kDeviceJoinScopes)},
      {"TenantSettings/mfaRequirement", Spellings(w::kMfaRequirements)},
      {"Group/membershipKind", Spellings(w::kMembershipKinds)},
      {"Group/membershipRuleProcessingState", Spellings(w::kRuleProcessingStates)},
      {"AssignmentTarget/@odata.type", Spellings(w::kTargetKinds)},
      {"Assignment/intent", Spellings(w::kInstallIntents)},
      {"ApplyPayloadAssignment/intent", Spellings(w::kInstallIntents)},
      {"Assignment/payloadKind", Spellings(w::kPayloadKinds)},
      {"OutOfBoxExperienceSetting/userType", Spellings(w::kWindowsUserTypes)},
      {"OutOfBoxExperienceSetting/deviceUsageType", Spellings(w::kDeviceUsageTypes)},
      {"DeploymentProfile/deviceType", Spellings(w::kDeviceTypes)},
      {"App/installContext", Spellings(w::kInstallContexts)},
      {"PlanItem/context", Spellings(w::kInstallContexts)},
      {"DetectionRule/kind", Spellings(w::kDetectionRuleKinds)},
      {"ReturnCode/type", Spellings(w::kReturnCodeTypes)},
      {"NetworkProfile/kind", Spellings(w::kNetworkKinds)},
      {"NetworkProfile/scope", Spellings(w::kNetworkScopes)},
      {"NetworkProfile/security", Spellings(w::kWifiSecurities)},
      {"WindowsAutopilotDeviceIdentity/deploymentProfileAssignmentStatus",
       Spellings(w::kProfileAssignmentStatuses)},
      {"Phase/phase", Spellings(w::kEspPhases)},
      {"PlanItem/kind", Spellings(w::kItemKinds)},
      {"PlanItem/reason", Spellings(w::kDeltaReasons)},
      {"EnrollmentState", Named(core::EnrollmentState::kBlocked,
                                [](core::EnrollmentState e) { return core::ToString(e); })},
      {"WindowsAutopilotDeviceIdentity/enrollmentState",
       Named(core::EnrollmentState::kBlocked,
             [](core::EnrollmentState e) { return core::ToString(e); })},
      {"EspPlan/flow", Named(core::Flow::kUser, [](core::Flow f) { return core::ToString(f); })},
      {"PlanItem/action",
       Named(core::ItemAction::kUninstall, [](core::ItemAction a) { return core::ToString(a); })},
      {"Finding/severity", Named(core::PlanFinding::Severity::kError,
                                 [](core::PlanFinding::Severity s) { return core::ToString(s); })},
      {"ImportRowError/code", Named(core::ImportError::kInvalidAssignedUserPrincipalName,
                                    [](core::ImportError e) { return core::ImportErrorName(e); })},
      {"CredentialRole", Named(store::CredentialRole::kTechnician,
                               [](store::CredentialRole r) { return store::ToString(r); })},
      {"Error/error/code",
       Named(ErrorCode::kInternal, [](ErrorCode c) { return std::string(ToString(c)); })},
      {"InstalledItem/kind", Spellings(w::kItemKinds)},
      {"InstalledItem/outcome",
       Named(core::ItemOutcome::kSkipped, [](core::ItemOutcome o) { return core::ToString(o); })},
      {"DeploymentRequest/flow",
       Named(core::Flow::kUser, [](core::Flow f) { return core::ToString(f); })},
      {"Deployment/flow", Named(core::Flow::kUser, [](core::Flow f) { return core::ToString(f); })},
      {"SessionStartRequest/flow",
       Named(core::Flow::kUser, [](core::Flow f) { return core::ToString(f); })},
      {"ReportPhase/phase", Spellings(w::kEspPhases)},
      {"ReportItem/phase", Spellings(w::kEspPhases)},
      {"SessionFinishRequest/deploymentState", FinalDeploymentStates()},
      {"ReportComplianceState/state",
       Named(core::ComplianceState::kNoncompliant,
             [](core::ComplianceState c) { return core::ToString(c); })},
  };
  for (const auto& [where, spellings] : cases) {
    EXPECT_EQ(DocumentedEnum(where), spellings) << where;
  }
}

// SignInStep's status and reason against their spellings in code: the refusals of
// core::CheckSignIn plus the lockout's, and every status sign_in_service.cpp answers with.
TEST(OpenApiSchemasTest, SignInStepEnumsUseTheSpellingsInCode) {
  std::set<std::string> reasons =
      Named(core::SignInRefusal::Reason::kUnlicensed,
            [](core::SignInRefusal::Reason r) { return std::string(core::ToString(r)); });
  reasons.insert("accountLocked");
  EXPECT_EQ(DocumentedEnum("SignInStep/reason"), reasons);

  // {"status", "refused"} and {"status", enrolled ? "mfaRequired" : "mfaRegistrationRequired"}.
  const std::string text = ReadSource(kSignInServiceSource);
  const std::regex status_member("\\{\"status\",([^}]*)\\}");
  const std::regex quoted("\"([A-Za-z]+)\"");
  std::set<std::string> statuses;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), status_member);
       it != std::sregex_iterator(); ++it) {
    const std::string value = (*it)[1];
    for (auto q = std::sregex_iterator(value.begin(), value.end(), quoted);
         q != std::sregex_iterator(); ++q) {
      statuses.insert((*q)[1]);
    }
  }
  EXPECT_EQ(statuses.size(), 4u) << Join(statuses) << ": the probe is out of date";
  EXPECT_EQ(DocumentedEnum("SignInStep/status"), statuses);
}

// What the identity services emit, produced in-process: the keys of each answer are exactly
// the schema's properties (wire::Encode's for the device's own registration).
TEST(OpenApiSchemasTest, IdentitySchemasHaveExactlyTheEmittedProperties) {
  const OpenApi& api = OpenApi::Get();
  std::vector<std::string> errors;
  Api wired;
  wired.Init();
  service::Services& services = wired.services();

  const service::Actor admin{"admin", store::CredentialRole::kAdmin};
  Result<json::object> user = services.resources.Create(
      admin, store::ResourceKind::kUser, json::parse(R"({"userPrincipalName": "a@contoso.com"})"));
  ASSERT_TRUE(user) << user.error().message;
  const Result<json::object> state =
      services.sign_in.State(std::string(user->at("id").as_string()));
  ASSERT_TRUE(state) << state.error().message;
  Validate(*state, api.Schema("UserSignInState"), "signInState", errors);
  EXPECT_EQ(Keys(*state), SchemaProperties("UserSignInState", false));

  const Result<json::object> nonce = services.trust.NewNonce("SN-1");
  ASSERT_TRUE(nonce) << nonce.error().message;
  Validate(*nonce, api.Schema("DeviceNonce"), "nonce", errors);
  EXPECT_EQ(Keys(*nonce), SchemaProperties("DeviceNonce", false));

  // GET /v1/agent/devices/{id} answers wire::Encode of the registration and of the profile.
  EXPECT_EQ(api.Required(api.Schema("AgentDeviceIdentity")),
            Keys(wire::Encode(core::AutopilotDeviceIdentity{})));
  EXPECT_EQ(api.Required(api.Schema("AgentDeploymentProfile")),
            Keys(wire::Encode(core::DeploymentProfile{})));
  EXPECT_TRUE(errors.empty()) << Lines(errors);
}

// The deployment document's parts are the wire codecs' output: the profile as a device sees
// it, installed items, and the payloads (each the catalog resource without the store's columns;
// network profiles with their secret).
TEST(OpenApiSchemasTest, DeploymentSchemasHaveExactlyTheWireProperties) {
  const OpenApi& api = OpenApi::Get();
  std::vector<std::string> errors;
  const json::object profile = wire::Encode(core::ProfileInfo{});
  Validate(profile, api.Schema("DeploymentProfileInfo"), "profile", errors);
  EXPECT_EQ(Keys(profile), SchemaProperties("DeploymentProfileInfo", false));
  const json::array installed = wire::Encode(std::vector<core::InstalledItem>(1));
  EXPECT_EQ(Keys(installed.at(0).as_object()), SchemaProperties("InstalledItem", false));
  const json::object reported = wire::Encode(core::ReportedInventory{});
  Validate(reported, api.Schema("ReportedInventory"), "reportedInventory", errors);
  EXPECT_EQ(Keys(reported), SchemaProperties("ReportedInventory", false));
  const json::object finish =
      wire::Encode(wire::SessionFinish{"success", {}, std::vector<core::InstalledItem>(1)});
  Validate(finish, api.Schema("SessionFinishRequest"), "finish", errors);
  EXPECT_EQ(Keys(finish), SchemaProperties("SessionFinishRequest", false));
  EXPECT_EQ(DocumentedEnum("Plan/userFlowBasis"),
            (std::set<std::string>{std::string(wire::UserFlowBasisName(true)),
                                   std::string(wire::UserFlowBasisName(false))}));

  const std::set<std::string> network = Keys(wire::EncodeWithSecrets(core::NetworkProfile{}));
  EXPECT_EQ(
      Minus(Minus(SchemaProperties("DeploymentNetworkProfile", false), network), kStoreColumns),
      std::set<std::string>());
  EXPECT_EQ(Minus(network, SchemaProperties("DeploymentNetworkProfile", false)),
            std::set<std::string>());
  const std::vector<std::pair<const char*, std::set<std::string>>> payloads = {
      {"DeploymentApp", Keys(wire::Encode(core::App{}))},
      {"DeploymentPolicy", Keys(wire::Encode(core::Policy{}))},
      {"DeploymentCertificateProfile", Keys(wire::Encode(core::CertificateProfile{}))},
      {"DeploymentCompliancePolicy", Keys(wire::Encode(core::CompliancePolicy{}))},
  };
  for (const auto& [schema, encoded] : payloads) {
    EXPECT_EQ(Minus(encoded, SchemaProperties(schema, false)), std::set<std::string>()) << schema;
    EXPECT_EQ(Minus(Minus(SchemaProperties(schema, false), encoded), kStoreColumns),
              std::set<std::string>())
        << schema;
  }
  EXPECT_TRUE(errors.empty()) << Lines(errors);
}

// The apply document's entries are the resources with by-name references (service/apply.cpp):
// the same properties (server-owned ones aside) plus or instead of the listed ones.
TEST(OpenApiSchemasTest, ApplyEntriesFollowTheirResources) {
  const OpenApi& api = OpenApi::Get();
  struct Variant {
    const char* apply;
    const char* resource;
    std::set<std::string> added;
  };
  const std::set<std::string> payload = {"assignments"};
  const std::vector<Variant> variants = {
      {"ApplyTenant", "TenantSettings", {"mdmUserScopeGroups", "mfaGroups"}},
      {"ApplyGroup", "Group", {}},
      {"ApplyApp", "App", payload},
      {"ApplyPolicy", "Policy", payload},
      {"ApplyCertificateProfile", "CertificateProfile", payload},
      {"ApplyNetworkProfile", "NetworkProfile", payload},
      {"ApplyCompliancePolicy", "CompliancePolicy", payload},
      {"ApplyDeploymentProfile", "DeploymentProfile", {}},
      {"ApplyEspProfile", "EspProfile", {"selectedMobileApps"}},
  };
  for (const Variant& v : variants) {
    std::set<std::string> expected = v.added;
    for (const auto& [key, property] : api.Properties(api.Schema(v.resource))) {
      if (!api.Flag(property, "readOnly")) expected.insert(key);
    }
    EXPECT_EQ(SchemaProperties(v.apply, true), expected) << v.apply;
  }
}

// ---- Real answers --------------------------------------------------------------------------

struct Answer {
  int status = 0;
  std::string body;
  json::value json;
  std::string set_cookie;  ///< the Set-Cookie header's value, if any
};

class OpenApiAnswersTest : public ::testing::Test {
 protected:
  void SetUp() override { api_.Init(); }

  // Sends a request through the real handler and checks request and answer against the
  // documented operation.
  Answer Call(const std::string& method, const std::string& target, const std::string& body = "",
              std::vector<std::pair<std::string, std::string>> headers = {},
              const std::string* token = nullptr) {
    server::Request request;
    request.method = method;
    request.target = target;
    server::SplitTarget(target, request.path, request.query);
    if (token == nullptr) token = &api_.admin_token();
    if (!token->empty()) request.headers.Add("Authorization", "Bearer " + *token);
    for (const auto& [name, value] : headers) request.headers.Add(name, value);
    request.body = body;
    Answer answer;
    const Router::Match match = api_.router().Find(method, request.path);
    if (match.outcome != Router::Outcome::kFound) {
      ADD_FAILURE() << method << " " << target << " is not routed";
      return answer;
    }
    request.route = match.pattern;  // as the server sets it
    // The gate runs on the head first, as the server runs it; its refusal is the answer.
    std::optional<server::Response> refused;
    if (match.options->gate) refused = match.options->gate(request, match.params);
    const server::Response response = refused ? *refused : (*match.handler)(request, match.params);
    answer.status = response.status;
    answer.body = response.body;
    for (const auto& [name, value] : response.headers) {
      if (Lower(name) == "set-cookie") answer.set_cookie = value;
    }
    if (response.file) {  // a body the server streams from disk
      std::ifstream in(response.file->path, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(response.file->offset));
      answer.body.assign(response.file->length, '\0');
      in.read(answer.body.data(), static_cast<std::streamsize>(response.file->length));
      EXPECT_EQ(static_cast<std::uint64_t>(in.gcount()), response.file->length);
    }
    if (response.stream) {  // a body the server writes as it comes: what is there now
      response.stream->source->Start([] {});
      answer.body = response.stream->source->Next().value_or("");
    }
    const std::string what = method + " " + target + " -> " + std::to_string(response.status);
    SCOPED_TRACE(what);

    const OpenApi& doc = OpenApi::Get();
    const YAML::Node operation = doc.Operation(method, match.pattern);
    if (!operation.IsDefined()) {
      ADD_FAILURE() << method << " " << match.pattern << " is not documented";
      return answer;
    }
    std::vector<std::string> errors;
    const YAML::Node request_schema = OpenApi::At(
        OpenApi::At(OpenApi::At(doc.Resolve(OpenApi::At(operation, "requestBody")), "content"),
                    "application/json"),
        "schema");
    // What the server accepted the document must accept too.
    if (request_schema.IsDefined() && !body.empty() && response.status < 300) {
      boost::system::error_code ec;
      const json::value sent = json::parse(body, ec);
      if (!ec) Validate(sent, request_schema, "request", errors);
    }
    const YAML::Node documented = doc.Resolve(
        OpenApi::At(OpenApi::At(operation, "responses"), std::to_string(response.status)));
    if (!documented.IsDefined()) {
      ADD_FAILURE() << "status " << response.status << " is not documented for " << method << " "
                    << match.pattern << ": " << response.body;
      return answer;
    }
    if (const YAML::Node names = OpenApi::At(documented, "headers"); names.IsMap()) {
      for (const auto& header : names) {
        const std::string name = header.first.as<std::string>();
        const bool sent = std::any_of(response.headers.begin(), response.headers.end(),
                                      [&](const auto& h) { return Lower(h.first) == Lower(name); });
        if (!sent) errors.push_back("documented header " + name + " was not sent");
      }
    }
    const YAML::Node content = OpenApi::At(documented, "content");
    if (response.status == 204) {
      if (content.IsDefined()) errors.push_back("a 204 must not document content");
      if (!response.body.empty()) errors.push_back("a 204 answered a body");
    } else if (response.content_type == "application/json") {
      const YAML::Node schema = OpenApi::At(OpenApi::At(content, "application/json"), "schema");
      if (!schema.IsDefined()) {
        errors.push_back("the answer is JSON, the document says otherwise");
      } else {
        boost::system::error_code ec;
        answer.json = json::parse(response.body, ec);
        if (ec) errors.push_back("the answer is not JSON: " + response.body);
        Validate(answer.json, schema, "answer", errors);
        ExpectComplete(answer.json, schema, "answer", errors);
      }
    } else if (!OpenApi::At(content, response.content_type).IsDefined()) {
      errors.push_back("content type " + response.content_type + " is not documented");
    }
    EXPECT_TRUE(errors.empty()) << Lines(errors) << "\nbody: " << response.body;
    return answer;
  }

  Answer Expect(int status, const std::string& method, const std::string& target,
                const std::string& body = "",
                std::vector<std::pair<std::string, std::string>> headers = {},
                const std::string* token = nullptr) {
    Answer answer = Call(method, target, body, std::move(headers), token);
    EXPECT_EQ(answer.status, status) << method << " " << target << ": " << answer.body;
    return answer;
  }

  static inline const std::string kNoToken;

  static std::string IdOf(const Answer& answer) {
    const json::value* id =
        answer.json.is_object() ? answer.json.as_object().if_contains("id") : nullptr;
    return id != nullptr && id->is_string() ? std::string(id->as_string()) : "";
  }

  // The `field` of an error answer.
  static std::string FieldOf(const Answer& answer) {
    const json::value* error =
        answer.json.is_object() ? answer.json.as_object().if_contains("error") : nullptr;
    const json::value* field =
        error != nullptr && error->is_object() ? error->as_object().if_contains("field") : nullptr;
    return field != nullptr && field->is_string() ? std::string(field->as_string()) : "";
  }

  static std::string Text(const json::value& value, const char* key) {
    const json::value* member = value.is_object() ? value.as_object().if_contains(key) : nullptr;
    return member != nullptr && member->is_string() ? std::string(member->as_string()) : "";
  }

  // A device as `groundcrew-agent hwid` registers it: its own Ed25519 key, in a groundcrew
  // hardware hash in its registration row. Answers the registration id.
  std::string RegisterDevice(const std::string& serial,
                             std::unique_ptr<identity::FileDeviceKey>& key) {
    auto opened = identity::FileDeviceKey::OpenOrCreate(api_.scratch() / serial);
    EXPECT_TRUE(opened) << opened.error().message;
    if (!opened) return "";
    key = std::move(*opened);
    const Result<identity::DevicePublicKey> public_key = key->PublicKey();
    EXPECT_TRUE(public_key);
    if (!public_key) return "";
    const std::string hash = core::EncodeHardwareHash(
        core::HardwareHashFields{serial, "Contoso", "Laptop", *public_key});
    const Answer imported = Expect(200, "POST", "/v1/autopilotDevices/import",
                                   "Device Serial Number,Windows Product ID,Hardware Hash\r\n" +
                                       serial + ",," + base64::Encode(hash) + "\r\n");
    EXPECT_EQ(imported.json.at("imported"), 1) << imported.body;
    return IdOf(Answer{0, "", imported.json.at("rows").at(0), ""});
  }

  // A fresh nonce for `serial` (POST /v1/agent/nonce, no credential).
  json::value Nonce(const std::string& serial) {
    return Expect(200, "POST", "/v1/agent/nonce",
                  json::serialize(json::object{{"serialNumber", serial}}), {}, &kNoToken)
        .json;
  }

  // The proof of `key` for `serial` over a fresh nonce: the body of POST /v1/agent/token.
  std::string Proof(const std::string& serial, identity::DeviceKeyStore& key) {
    const json::value nonce = Nonce(serial);
    const Result<identity::Signature> signature =
        key.Sign(identity::ProofMessage(Text(nonce, "nonce"), serial, Text(nonce, "audience")));
    EXPECT_TRUE(signature);
    if (!signature) return "";
    return json::serialize(json::object{
        {"serialNumber", serial},
        {"nonce", Text(nonce, "nonce")},
        {"signature", base64::Encode(std::string_view(
                          reinterpret_cast<const char*>(signature->data()), signature->size()))}});
  }

  // The properties SignInStep documents for `step`: "status" and every property whose
  // description starts with a parenthesized list naming the step's status (and, when the list
  // names a refusal reason too, the step's reason).
  static std::set<std::string> DocumentedStepProperties(const json::value& step) {
    const OpenApi& api = OpenApi::Get();
    const std::set<std::string> reasons = DocumentedEnum("SignInStep/reason");
    const std::string status = Text(step, "status");
    const std::string reason = Text(step, "reason");
    static const std::regex prefix("^\\(([^)]*)\\)");
    std::set<std::string> names = {"status"};
    for (const auto& [key, property] : api.Properties(api.Schema("SignInStep"))) {
      if (key == "status") continue;
      const YAML::Node description = api.Keyword(property, "description");
      const std::string text = description.IsDefined() ? description.as<std::string>() : "";
      std::smatch match;
      if (!std::regex_search(text, match, prefix)) {
        ADD_FAILURE() << "SignInStep/" << key << ": the description names no status";
        continue;
      }
      std::set<std::string> listed;
      std::stringstream items(match[1].str());
      for (std::string item; std::getline(items, item, ',');) {
        listed.insert(std::regex_replace(item, std::regex("^\\s+|\\s+$"), ""));
      }
      const bool names_reason = std::any_of(
          listed.begin(), listed.end(), [&](const std::string& l) { return reasons.contains(l); });
      if (listed.contains(status) && (!names_reason || listed.contains(reason))) names.insert(key);
    }
    return names;
  }

  // A sign-in step answer: its status, and exactly the properties documented for it.
  void ExpectStep(const Answer& answer, const std::string& status) {
    EXPECT_EQ(Text(answer.json, "status"), status) << answer.body;
    if (answer.json.is_object()) {
      EXPECT_EQ(Keys(answer.json.as_object()), DocumentedStepProperties(answer.json))
          << answer.body;
    }
  }

  Api api_;
};

// A dynamic device group of every registered device.
constexpr const char* kAllDevicesGroup = R"json({
    "displayName": "All Autopilot devices", "membershipKind": "dynamic",
    "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"})json";

std::string RegistrationCsv(const std::vector<std::string>& serials) {
  std::string csv = "Device Serial Number,Windows Product ID,Hardware Hash\r\n";
  for (const std::string& serial : serials) {
    csv += serial + ",," + base64::Encode("4k-hash-" + serial) + "\r\n";
  }
  return csv;
}

TEST_F(OpenApiAnswersTest, CatalogAnswersMatchTheirSchemas) {
  const std::string content = "#!/bin/sh\necho portal\n";
  const std::string sha256 = identity::Sha256Hex(content);
  Expect(201, "PUT", "/v1/content/" + sha256, content);

  Expect(200, "GET", "/v1/tenant");
  Expect(200, "PATCH", "/v1/tenant", R"({"additionalDomains": ["fabrikam.com"]})");
  std::string user = R"({"userPrincipalName": "adele@contoso.com", "displayName": "Adele",
      "otherMails": ["a@fabrikam.com"], "onPremisesExtensionAttributes": {)";
  for (int i = 1; i <= 15; ++i) {
    user += (i > 1 ? ", " : "") + ("\"extensionAttribute" + std::to_string(i)) + "\": \"x\"";
  }
  const std::string user_id = IdOf(Expect(201, "POST", "/v1/users", user + "}}"));
  const std::string group_id = IdOf(Expect(201, "POST", "/v1/groups", kAllDevicesGroup));
  const std::string sales_id = IdOf(Expect(
      201, "POST", "/v1/groups", R"({"displayName": "Sales", "members": [")" + user_id + R"("]})"));
  Expect(200, "PATCH", "/v1/tenant",
         R"({"mfaRequirement": "selectedGroups", "mfaGroupIds": [")" + sales_id + R"("]})");
  const std::string target = R"({"@odata.type": "#microsoft.graph.groupAssignmentTarget",
      "groupId": ")" + group_id +
                             R"("})";
  const std::string runtime_id =
      IdOf(Expect(201, "POST", "/v1/apps", R"({"displayName": "Runtime"})"));
  const std::string app_id =
      IdOf(Expect(201, "POST", "/v1/apps",
                  R"({
      "displayName": "Company Portal", "displayVersion": "1.0", "installContext": "device",
      "installCommandLine": "sh install.sh",
      "detectionRules": [{"kind": "fileExists", "path": "/opt/portal"}],
      "returnCodes": [{"returnCode": 0, "type": "success"}],
      "dependencies": [{"appId": ")" +
                      runtime_id + R"(", "autoInstall": true}],
      "content": {"fileName": "portal.sh", "sha256": ")" +
                      sha256 + R"(", "size": )" + std::to_string(content.size()) + "}}"));
  Expect(201, "POST", "/v1/policies",
         R"({"displayName": "Edge", "settings": {"screenLock.idleMinutes": 5}})");
  Expect(200, "GET", "/v1/settingsCatalog");
  Expect(201, "POST", "/v1/certificateProfiles", R"({"displayName": "Device cert"})");
  Expect(201, "POST", "/v1/networkProfiles",
         R"({"displayName": "Office Wi-Fi", "kind": "wifi", "ssid": "contoso",
             "security": "wpa2Personal", "preSharedKey": "secret"})");
  Expect(201, "POST", "/v1/compliancePolicies",
         R"({"displayName": "Baseline", "passwordMinimumLength": 8})");
  Expect(201, "POST", "/v1/deploymentProfiles",
         R"({"displayName": "Contoso", "deviceNameTemplate": "CON-%SERIAL%",
             "outOfBoxExperienceSetting": {"userType": "standard"},
             "assignments": [)" +
             target + "]}");
  Expect(201, "POST", "/v1/espProfiles",
         R"({"displayName": "Contoso ESP", "selectedMobileAppIds": [")" + app_id +
             R"("], "assignments": [)" + target + "]}");
  const std::string assignment_id = IdOf(Expect(201, "POST", "/v1/assignments",
                                                R"({"payloadKind": "app", "payloadId": ")" +
                                                    app_id + R"(", "intent": "required",
          "target": )" + target + "}"));

  for (const char* kind :
       {"users", "groups", "deploymentProfiles", "espProfiles", "apps", "policies",
        "certificateProfiles", "networkProfiles", "compliancePolicies", "assignments"}) {
    const Answer page = Expect(200, "GET", std::string("/v1/") + kind + "?limit=1");
    Expect(200, "GET",
           std::string("/v1/") + kind + "/" +
               std::string(page.json.at("value").at(0).at("id").as_string()));
  }
  Expect(200, "GET", "/v1/groups/" + group_id + "/members");
  Expect(200, "PATCH", "/v1/apps/" + app_id, R"({"description": "The portal"})",
         {{"If-Match", "1"}});

  // Errors keep the one shape and their documented statuses.
  Expect(400, "GET", "/v1/users?limit=0");
  Expect(400, "POST", "/v1/users", R"({"userPrincipalName": "x@contoso.com", "bogus": 1})");
  Expect(401, "GET", "/v1/users", "", {}, &kNoToken);
  Expect(403, "POST", "/v1/users", R"({"userPrincipalName": "y@contoso.com"})", {},
         &api_.reader_token());
  Expect(404, "GET", "/v1/users/no-such-user");
  Expect(409, "POST", "/v1/users", R"({"userPrincipalName": "ADELE@contoso.com"})");
  Expect(409, "PATCH", "/v1/apps/" + app_id, R"({"description": "again"})", {{"If-Match", "1"}});
  Expect(409, "DELETE", "/v1/apps/" + runtime_id);
  Expect(409, "DELETE", "/v1/groups/" + sales_id);  // named by the tenant's mfaGroupIds
  EXPECT_EQ(Expect(400, "PATCH", "/v1/tenant", R"({"mfaGroupIds": []})").json.at("error"),
            json::parse(R"({"code": "invalid_argument", "field": "mfaGroupIds", "message":
                "mfaGroupIds: name at least one group when mfaRequirement is selectedGroups"})"));
  const Answer unknown = Expect(400, "PATCH", "/v1/tenant",
                                R"({"mfaGroupIds": [")" + sales_id + R"(", "no-such-group"]})");
  EXPECT_EQ(unknown.json.at("error").at("field"), "mfaGroupIds[1]");
  Expect(400, "PATCH", "/v1/tenant", R"({"mfaRequirement": "someUsers"})");
  Expect(204, "DELETE", "/v1/assignments/" + assignment_id);
}

TEST_F(OpenApiAnswersTest, DeviceContentPlanApplyAndReportAnswersMatchTheirSchemas) {
  Expect(201, "POST", "/v1/users", R"({"userPrincipalName": "adele@contoso.com"})");
  Expect(201, "POST", "/v1/groups", kAllDevicesGroup);
  const Answer imported =
      Expect(200, "POST", "/v1/autopilotDevices/import", RegistrationCsv({"SN-0001"}));
  // A refused row fails the import: the valid row says notImported.
  Expect(200, "POST", "/v1/autopilotDevices/import", RegistrationCsv({"SN-0002", "SN-0002"}));
  const std::string device_id = std::string(imported.json.at("rows").at(0).at("id").as_string());
  Expect(200, "GET", "/v1/autopilotDevices?serialNumber=SN-0001&enrollmentState=notContacted");
  Expect(400, "GET", "/v1/autopilotDevices?enrollmentState=sleeping");
  Expect(200, "GET", "/v1/autopilotDevices/" + device_id);
  Expect(200, "PATCH", "/v1/autopilotDevices/" + device_id,
         R"({"groupTag": "Sales", "userPrincipalName": "adele@contoso.com"})");
  Expect(400, "PATCH", "/v1/autopilotDevices/" + device_id, R"({"serialNumber": "X"})");
  Expect(200, "POST", "/v1/autopilotDevices/" + device_id + "/reprovision");

  Expect(200, "GET", "/v1/plan?serialNumber=SN-0001");
  Expect(200, "GET", "/v1/plan?serialNumber=SN-0001&user=adele@contoso.com");
  Expect(400, "GET", "/v1/plan");
  Expect(404, "GET", "/v1/plan?serialNumber=SN-9999");

  const std::string content = "0123456789";
  const std::string sha256 = identity::Sha256Hex(content);
  Expect(400, "PUT", "/v1/content/" + sha256, "not the same bytes");
  Expect(201, "PUT", "/v1/content/" + sha256, content);
  Expect(200, "PUT", "/v1/content/" + sha256, content);
  Expect(403, "PUT", "/v1/content/" + sha256, content, {}, &api_.reader_token());
  EXPECT_EQ(Expect(200, "GET", "/v1/content/" + sha256).body, content);
  EXPECT_EQ(Expect(206, "GET", "/v1/content/" + sha256, "", {{"Range", "bytes=2-4"}}).body, "234");
  Expect(416, "GET", "/v1/content/" + sha256, "", {{"Range", "bytes=10-"}});
  Expect(400, "GET", "/v1/content/" + sha256, "", {{"Range", "bytes=0-1,4-5"}});
  Expect(404, "GET", "/v1/content/" + std::string(64, '0'));

  const std::string document = R"({
      "apiVersion": "groundcrew/v1",
      "tenant": {"organizationName": "Contoso", "mdmUserScope": "some",
                 "mdmUserScopeGroups": ["Sales"], "mfaRequirement": "selectedGroups",
                 "mfaGroups": ["Sales"]},
      "users": [{"userPrincipalName": "megan@contoso.com", "displayName": "Megan"}],
      "groups": [{"displayName": "Sales", "members": ["adele@contoso.com", "SN-0001"]}],
      "apps": [{"displayName": "Runtime"},
               {"displayName": "Portal", "dependencies": [{"app": "Runtime", "autoInstall": true}],
                "assignments": [{"group": "Sales", "intent": "available"}, {"allDevices": true}]}],
      "policies": [{"displayName": "Edge", "assignments": [{"excludeGroup": "Sales"}]}],
      "deploymentProfiles": [{"displayName": "Contoso",
                              "assignments": [{"group": "All Autopilot devices"}]}],
      "espProfiles": [{"displayName": "ESP", "selectedMobileApps": ["Portal"],
                       "assignments": [{"allDevices": true}]}],
      "devices": {"rows": [{"serialNumber": "SN-0003", "hardwareHash": ")" +
                               base64::Encode("4k-hash-SN-0003") + R"("}]}})";
  const Answer dry = Expect(200, "POST", "/v1/apply?dryRun=true", document);
  EXPECT_EQ(dry.json.at("dryRun"), json::value(true));
  Expect(200, "POST", "/v1/apply", document);
  Expect(400, "POST", "/v1/apply", R"({"widgets": []})");
  EXPECT_EQ(Expect(400, "POST", "/v1/apply", R"({"tenant": {"mfaGroups": ["Sales", "Nobody"]}})")
                .json.at("error")
                .at("field"),
            "tenant.mfaGroups[1]");
  EXPECT_EQ(Expect(400, "POST", "/v1/apply", R"({"tenant": {"mfaGroups": "Sales"}})")
                .json.at("error")
                .at("field"),
            "tenant.mfaGroups");
  Expect(400, "POST", "/v1/apply?dryRun=maybe", document);

  Expect(200, "GET", "/v1/audit?limit=2");
  Expect(200, "GET", "/v1/deploymentSessions?deviceId=" + device_id);
  Expect(404, "GET", "/v1/deploymentSessions/no-such-session");
  Expect(404, "GET", "/v1/deploymentSessions/no-such-session/events");
  Expect(204, "DELETE", "/v1/autopilotDevices/" + device_id);
}

TEST_F(OpenApiAnswersTest, CredentialAnswersMatchTheirSchemas) {
  Expect(200, "GET", "/v1/me");
  Expect(200, "GET", "/v1/me", "", {}, &api_.reader_token());
  Expect(201, "POST", "/v1/credentials", R"({"name": "ci", "role": "reader"})");
  Expect(400, "POST", "/v1/credentials", R"({"name": "ci2", "role": "owner"})");
  Expect(409, "POST", "/v1/credentials", R"({"name": "CI"})");
  Expect(403, "POST", "/v1/credentials", R"({"name": "x"})", {}, &api_.reader_token());
  const Answer listed = Expect(200, "GET", "/v1/credentials");
  std::string ci_id;
  for (const json::value& credential : listed.json.at("value").as_array()) {
    if (credential.at("name") == json::value("ci")) ci_id = credential.at("id").as_string();
  }
  ASSERT_FALSE(ci_id.empty());
  Expect(403, "DELETE", "/v1/credentials/" + ci_id, "", {}, &api_.reader_token());
  Expect(204, "DELETE", "/v1/credentials/" + ci_id);
  Expect(404, "DELETE", "/v1/credentials/no-such-credential");
}

constexpr const char* kPassword = "correct horse battery staple 42";

// Admin accounts and a technician's console session, from sign-in to sign-out.
TEST_F(OpenApiAnswersTest, AdminAndSessionAnswersMatchTheirSchemas) {
  const std::string alice =
      std::string(R"({"name": "alice", "role": "technician", "password": ")") + kPassword + "\"}";
  const Answer added = Expect(201, "POST", "/v1/admins", alice);
  Expect(409, "POST", "/v1/admins", alice);
  Expect(400, "POST", "/v1/admins",
         std::string(R"({"name": "Bob", "role": "admin", "password": ")") + kPassword + "\"}");
  Expect(400, "POST", "/v1/admins", R"({"name": "bob", "role": "owner", "password": "x"})");
  Expect(403, "POST", "/v1/admins", alice, {}, &api_.reader_token());
  Expect(403, "GET", "/v1/admins", "", {}, &api_.reader_token());
  Expect(200, "GET", "/v1/admins");
  const std::string secret =
      identity::Base32Decode(std::string(added.json.at("totpSecret").as_string())).value();
  auto sign_in = [&](const std::string& password, const std::string& code) {
    return json::serialize(json::object{{"name", "alice"}, {"password", password}, {"code", code}});
  };
  Expect(400, "POST", "/v1/session", R"({"name": "alice"})", {}, &kNoToken);
  Expect(401, "POST", "/v1/session", sign_in("not the password", "123456"), {}, &kNoToken);
  const Answer signed_in =
      Expect(200, "POST", "/v1/session",
             sign_in(kPassword, identity::GenerateTotp(secret, Now()).value()), {}, &kNoToken);
  const std::string cookie = signed_in.set_cookie.substr(0, signed_in.set_cookie.find(';'));
  ASSERT_EQ(cookie.rfind("gc_session=", 0), 0u) << signed_in.set_cookie;
  const std::string csrf(signed_in.json.at("csrfToken").as_string());
  Expect(200, "GET", "/v1/session", "", {{"Cookie", cookie}}, &kNoToken);
  Expect(401, "GET", "/v1/session", "", {}, &kNoToken);
  Expect(200, "GET", "/v1/autopilotDevices", "", {{"Cookie", cookie}}, &kNoToken);
  Expect(403, "GET", "/v1/users", "", {{"Cookie", cookie}}, &kNoToken);
  Expect(401, "GET", "/v1/users", "", {{"Cookie", "gc_session=gcses_unknown"}}, &kNoToken);
  Expect(403, "DELETE", "/v1/session", "", {{"Cookie", cookie}}, &kNoToken);
  Expect(204, "DELETE", "/v1/session", "", {{"Cookie", cookie}, {"X-CSRF-Token", csrf}}, &kNoToken);
  Expect(401, "GET", "/v1/session", "", {{"Cookie", cookie}}, &kNoToken);

  Expect(200, "POST", "/v1/admins/alice/mfa");
  Expect(404, "POST", "/v1/admins/nobody/mfa");
  Expect(204, "POST", "/v1/admins/alice/unlock");
  Expect(403, "DELETE", "/v1/admins/alice", "", {}, &api_.reader_token());
  Expect(204, "DELETE", "/v1/admins/alice");
  Expect(404, "DELETE", "/v1/admins/alice");
}

// A device proves its key, then does what a device token reaches; every answer is checked
// against the document by Call.
TEST_F(OpenApiAnswersTest, DeviceApiAnswersMatchTheirSchemas) {
  Expect(201, "POST", "/v1/users",
         R"({"userPrincipalName": "adele@contoso.com", "displayName": "Adele"})");
  const std::string group_id = IdOf(Expect(201, "POST", "/v1/groups", kAllDevicesGroup));
  std::unique_ptr<identity::FileDeviceKey> key;
  std::unique_ptr<identity::FileDeviceKey> other_key;
  const std::string device_id = RegisterDevice("GC-1", key);
  const std::string other_id = RegisterDevice("GC-2", other_key);
  ASSERT_TRUE(key && other_key);

  // Device proof: open routes; request members are strings, and only the listed ones.
  EXPECT_EQ(FieldOf(Expect(400, "POST", "/v1/agent/nonce",
                           R"({"serialNumber": "GC-1", "model": "Laptop"})", {}, &kNoToken)),
            "model");
  EXPECT_EQ(
      FieldOf(Expect(400, "POST", "/v1/agent/nonce", R"({"serialNumber": 7})", {}, &kNoToken)),
      "serialNumber");
  Expect(400, "POST", "/v1/agent/nonce", R"({"serialNumber": ""})", {}, &kNoToken);
  EXPECT_EQ(
      FieldOf(Expect(400, "POST", "/v1/agent/token", R"({"serialNumber": "GC-1"})", {}, &kNoToken)),
      "nonce");
  const std::string proof = Proof("GC-1", *key);
  const Answer token_answer = Expect(200, "POST", "/v1/agent/token", proof, {}, &kNoToken);
  const std::string token = Text(token_answer.json, "token");
  EXPECT_EQ(Text(token_answer.json, "deviceId"), device_id);
  // The nonce is used up; a signature by another key is refused (and uses nothing up: only a
  // successful proof records its nonce).
  EXPECT_EQ(FieldOf(Expect(401, "POST", "/v1/agent/token", proof, {}, &kNoToken)), "nonce");
  const std::string forged = Proof("GC-1", *other_key);
  EXPECT_EQ(FieldOf(Expect(401, "POST", "/v1/agent/token", forged, {}, &kNoToken)), "signature");
  EXPECT_EQ(FieldOf(Expect(401, "POST", "/v1/agent/token", forged, {}, &kNoToken)), "signature");

  // What the device token reaches: its own registration only.
  const std::string device = "/v1/agent/devices/" + device_id;
  const Answer fresh = Expect(200, "GET", device, "", {}, &token);
  EXPECT_TRUE(fresh.json.at("deploymentProfile").is_null());
  EXPECT_EQ(Keys(fresh.json.at("trust").as_object()),
            OpenApi::Get().Required(OpenApi::Get().Schema("DeviceTrustState")));
  Expect(401, "GET", device);  // an admin credential
  Expect(401, "GET", device, "", {}, &kNoToken);
  Expect(404, "GET", "/v1/agent/devices/" + other_id, "", {}, &token);
  Expect(404, "POST", "/v1/agent/devices/" + other_id + "/join", "", {}, &token);
  Expect(200, "GET", device + "/plan", "", {}, &token);

  const Result<std::string> private_key = identity::GenerateP256KeyPem();
  ASSERT_TRUE(private_key);
  const Result<std::string> csr = identity::MakeCsr(*private_key, device_id);
  ASSERT_TRUE(csr);
  const std::string enroll = json::serialize(json::object{{"csr", *csr}});
  // No deployment profile applies yet: no join; no enrollment before join, no reseal before it.
  EXPECT_EQ(FieldOf(Expect(409, "POST", device + "/join", "", {}, &token)), "deploymentProfile");
  Expect(409, "POST", device + "/enroll", enroll, {}, &token);
  Expect(409, "POST", device + "/reseal", "", {}, &token);
  Expect(201, "POST", "/v1/deploymentProfiles",
         R"({"displayName": "Contoso", "deviceNameTemplate": "CON-%SERIAL%", "assignments": [
             {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": ")" +
             group_id + R"("}]})");
  EXPECT_EQ(Text(Expect(200, "POST", device + "/join", "", {}, &token).json, "displayName"),
            "CON-GC-1");
  EXPECT_EQ(FieldOf(Expect(400, "POST", device + "/enroll",
                           R"({"csr": "-----BEGIN CERTIFICATE REQUEST-----"})", {}, &token)),
            "csr");
  Expect(400, "POST", device + "/enroll", R"({"csr": "x", "key": "y"})", {}, &token);
  Expect(200, "POST", device + "/enroll", enroll, {}, &token);
  Expect(200, "POST", device + "/reseal", "", {}, &token);
  const Answer sealed = Expect(200, "GET", device, "", {}, &token);
  EXPECT_TRUE(sealed.json.at("deploymentProfile").is_object());
  EXPECT_EQ(Keys(sealed.json.at("trust").as_object()), SchemaProperties("DeviceTrustState", false));

  // Content: only an app the device's plans name.
  const std::string content = "#!/bin/sh\necho installed\n";
  const std::string sha256 = identity::Sha256Hex(content);
  Expect(201, "PUT", "/v1/content/" + sha256, content);
  const std::string app_id =
      IdOf(Expect(201, "POST", "/v1/apps",
                  R"({"displayName": "Runtime", "displayVersion": "1.0", "installContext": "device",
          "installCommandLine": "sh install.sh",
          "content": {"fileName": "install.sh", "sha256": ")" +
                      sha256 + R"(", "size": )" + std::to_string(content.size()) + "}}"));
  Expect(201, "POST", "/v1/assignments",
         R"({"payloadKind": "app", "payloadId": ")" + app_id + R"(", "intent": "required",
             "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                        "groupId": ")" +
             group_id + R"("}})");
  const std::string blob = device + "/content/" + sha256;
  EXPECT_EQ(Expect(200, "GET", blob, "", {}, &token).body, content);
  EXPECT_EQ(Expect(206, "GET", blob, "", {{"Range", "bytes=0-8"}}, &token).body, "#!/bin/sh");
  Expect(416, "GET", blob, "", {{"Range", "bytes=999-"}}, &token);
  Expect(400, "GET", blob, "", {{"Range", "bytes=0-1,4-5"}}, &token);
  Expect(404, "GET", device + "/content/" + std::string(64, 'a'), "", {}, &token);
  Expect(401, "GET", blob, "", {}, &kNoToken);
}

// A device uploads diagnostics archives for itself only; admins list and download them by the
// device's serial number or id. Every answer is checked against the document by Call.
TEST_F(OpenApiAnswersTest, DiagnosticsAnswersMatchTheirSchemas) {
  std::unique_ptr<identity::FileDeviceKey> key;
  std::unique_ptr<identity::FileDeviceKey> other_key;
  const std::string device_id = RegisterDevice("GC-1", key);
  const std::string other_id = RegisterDevice("GC-2", other_key);
  ASSERT_TRUE(key && other_key);
  const std::string token = Text(
      Expect(200, "POST", "/v1/agent/token", Proof("GC-1", *key), {}, &kNoToken).json, "token");
  ASSERT_FALSE(token.empty());

  const std::string upload = "/v1/agent/devices/" + device_id + "/diagnostics";
  const std::string archive = std::string("\x1f\x8b\x08\x00", 4) + "journal and logs";
  auto body = [](const std::string& name, const std::string& content) {
    return json::serialize(json::object{{"fileName", name}, {"contentBase64", content}});
  };
  const std::string good = body("diagnostics-1780000000.tar.gz", base64::Encode(archive));
  const Answer stored = Expect(201, "POST", upload, good, {}, &token);
  const std::string id = IdOf(stored);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(stored.json.at("sizeBytes"), json::value(archive.size()));
  EXPECT_EQ(Text(stored.json, "expiresDateTime"), "2026-06-25T20:26:40Z");  // 28 days on

  // Refused: bad base64, more than 16 MiB, a bad name, a missing member; another device's id
  // (404, as for an unknown one); no device token.
  EXPECT_EQ(FieldOf(Expect(400, "POST", upload, body("d.tar.gz", "not base64!"), {}, &token)),
            "contentBase64");
  const std::string too_large =
      base64::Encode(std::string("\x1f\x8b", 2) + std::string(16u << 20, 'z'));
  const Answer large = Expect(400, "POST", upload, body("d.tar.gz", too_large), {}, &token);
  EXPECT_EQ(FieldOf(large), "contentBase64");
  EXPECT_NE(large.body.find("larger than 16777216 bytes"), std::string::npos) << large.body;
  EXPECT_EQ(FieldOf(Expect(400, "POST", upload, body("../d.tar.gz", base64::Encode(archive)), {},
                           &token)),
            "fileName");
  EXPECT_EQ(FieldOf(Expect(400, "POST", upload, R"({"fileName": "d.tar.gz"})", {}, &token)),
            "contentBase64");
  Expect(404, "POST", "/v1/agent/devices/" + other_id + "/diagnostics", good, {}, &token);
  Expect(401, "POST", upload, good, {}, &kNoToken);
  Expect(401, "POST", upload, good);  // an admin credential is not a device token

  // The admin side: by serial number (any case) or id, readers too.
  const std::string devices = "/v1/autopilotDevices/";
  const Answer listed = Expect(200, "GET", devices + "gc-1/diagnostics");
  ASSERT_EQ(listed.json.at("value").as_array().size(), 1u) << listed.body;
  EXPECT_EQ(listed.json.at("value").at(0), json::value(stored.json));
  Expect(200, "GET", devices + device_id + "/diagnostics", "", {}, &api_.reader_token());
  EXPECT_TRUE(Expect(200, "GET", devices + "GC-2/diagnostics").json.at("value").as_array().empty());
  EXPECT_EQ(Expect(200, "GET", devices + "GC-1/diagnostics/" + id).body, archive);
  EXPECT_EQ(FieldOf(Expect(404, "GET", devices + "GC-2/diagnostics/" + id)), "diagnosticsId");
  EXPECT_EQ(FieldOf(Expect(404, "GET", devices + "GC-1/diagnostics/no-such-archive")),
            "diagnosticsId");
  EXPECT_EQ(FieldOf(Expect(404, "GET", devices + "NO-SUCH-SERIAL/diagnostics")), "id");
  Expect(401, "GET", devices + "GC-1/diagnostics", "", {}, &kNoToken);
}

// A device runs both flows' deployments: documents, a certificate, a session with events, and
// the admin reads the report and the event stream. Every answer is checked by Call.
TEST_F(OpenApiAnswersTest, DeploymentAnswersMatchTheirSchemas) {
  const std::string adele_id =
      IdOf(Expect(201, "POST", "/v1/users",
                  R"({"userPrincipalName": "adele@contoso.com", "displayName": "Adele"})"));
  std::unique_ptr<identity::FileDeviceKey> key;
  std::unique_ptr<identity::FileDeviceKey> other_key;
  const std::string device_id = RegisterDevice("GC-1", key);
  const std::string other_id = RegisterDevice("GC-2", other_key);
  ASSERT_TRUE(key && other_key);
  Expect(200, "PATCH", "/v1/autopilotDevices/" + device_id,
         R"({"userPrincipalName": "adele@contoso.com"})");
  Expect(200, "POST", "/v1/apply", R"json({
      "groups": [{"displayName": "All devices",
                  "membershipRule": "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"},
                 {"displayName": "Sales", "members": ["adele@contoso.com"]}],
      "deploymentProfiles": [{"displayName": "Contoso", "assignments": [{"group": "All devices"}]}],
      "apps": [{"displayName": "Portal", "assignments": [{"group": "All devices"}]},
               {"displayName": "Notes", "installContext": "user",
                "assignments": [{"group": "Sales"}]}],
      "policies": [{"displayName": "Baseline", "assignments": [{"group": "All devices"}]}],
      "certificateProfiles": [{"displayName": "Device certificate",
                               "assignments": [{"group": "All devices"}]}],
      "networkProfiles": [{"displayName": "Corp", "ssid": "corp", "preSharedKey": "demo key",
                           "assignments": [{"group": "All devices"}]}],
      "compliancePolicies": [{"displayName": "Encrypted", "storageRequireEncryption": true,
                              "assignments": [{"group": "All devices"}]}]})json");
  const std::string token = Text(
      Expect(200, "POST", "/v1/agent/token", Proof("GC-1", *key), {}, &kNoToken).json, "token");
  const std::string other_token =
      Text(Expect(200, "POST", "/v1/agent/token", Proof("GC-2", *other_key), {}, &kNoToken).json,
           "token");
  ASSERT_FALSE(token.empty());
  ASSERT_FALSE(other_token.empty());
  const std::string device = "/v1/agent/devices/" + device_id;

  // The technician flow's deployment, with the device token only.
  const Answer technician =
      Expect(200, "POST", device + "/deployment", R"({"flow": "technician"})", {}, &token);
  ASSERT_TRUE(technician.json.is_object());
  EXPECT_EQ(technician.json.at("payloads").at("networkProfiles").at(0).at("preSharedKey"),
            "demo key");
  Expect(401, "POST", device + "/deployment", R"({"flow": "technician"})");  // admin credential
  Expect(404, "POST", "/v1/agent/devices/" + other_id + "/deployment", R"({"flow": "technician"})",
         {}, &token);
  EXPECT_EQ(
      FieldOf(Expect(400, "POST", device + "/deployment", R"({"flow": "admin"})", {}, &token)),
      "flow");
  EXPECT_EQ(FieldOf(Expect(400, "POST", device + "/deployment",
                           R"({"flow": "technician", "installed": []})", {}, &token)),
            "installed");

  // The user flow's, with the signed-in user's token.
  auto user_token =
      api_.services().tokens.IssueUserToken(adele_id, device_id, {{"upn", "adele@contoso.com"}});
  ASSERT_TRUE(user_token) << user_token.error().message;
  std::string installed;
  for (const json::value& item :
       technician.json.at("plan").at("deviceSetup").at("items").as_array()) {
    installed += std::string(installed.empty() ? "" : ",") + R"({"kind": )" +
                 json::serialize(item.at("kind")) + R"(, "id": )" + json::serialize(item.at("id")) +
                 R"(, "version": )" + json::serialize(item.at("version")) +
                 R"(, "outcome": "installed"})";
  }
  const std::string user_request = R"({"flow": "user", "installed": [)" + installed + "]}";
  const Answer user_flow =
      Expect(200, "POST", device + "/deployment", user_request, {}, &user_token->token);
  EXPECT_TRUE(user_flow.json.at("plan").at("deviceSetup").at("items").as_array().empty());
  Expect(401, "POST", device + "/deployment", user_request, {}, &token);  // a device token
  Expect(401, "POST", device + "/deployment", R"({"flow": "technician"})", {}, &user_token->token);
  Expect(404, "POST", "/v1/agent/devices/" + other_id + "/deployment", user_request, {},
         &user_token->token);
  EXPECT_EQ(FieldOf(Expect(400, "POST", device + "/deployment",
                           R"({"flow": "user", "installed": [{"kind": "app"}]})", {},
                           &user_token->token)),
            "installed[0].id");

  // A certificate for the plan's certificate profile.
  const std::string profile_id =
      Text(technician.json.at("payloads").at("certificateProfiles").at(0), "id");
  const Result<std::string> private_key = identity::GenerateP256KeyPem();
  ASSERT_TRUE(private_key);
  const Result<std::string> csr = identity::MakeCsr(*private_key, "device");
  ASSERT_TRUE(csr);
  const std::string csr_body = json::serialize(json::object{{"csr", *csr}});
  Expect(200, "POST", device + "/certificates/" + profile_id, csr_body, {}, &token);
  EXPECT_EQ(
      FieldOf(Expect(404, "POST", device + "/certificates/no-such-profile", csr_body, {}, &token)),
      "profileId");
  EXPECT_EQ(FieldOf(Expect(400, "POST", device + "/certificates/" + profile_id,
                           R"({"csr": "not a request"})", {}, &token)),
            "csr");

  // A session: idempotent start, events, finish.
  const std::string session = device + "/sessions/3f2c9a6e-0b1d-4d8e-9c51-7a2b1f0e6d44";
  const std::string start = R"({"flow": "technician", "startedDateTime": "2026-05-28T20:00:00Z"})";
  Expect(201, "PUT", session, start, {}, &token);
  Expect(200, "PUT", session, start, {}, &token);
  EXPECT_EQ(
      FieldOf(Expect(409, "PUT", session,
                     R"({"flow": "user", "startedDateTime": "2026-05-28T20:00:00Z"})", {}, &token)),
      "sessionId");
  EXPECT_EQ(
      FieldOf(Expect(400, "PUT", session,
                     R"({"flow": "technician", "startedDateTime": "yesterday"})", {}, &token)),
      "startedDateTime");
  EXPECT_EQ(FieldOf(Expect(400, "PUT", device + "/sessions/not%20valid", start, {}, &token)),
            "sessionId");
  const std::string events = R"({"events": [
      {"idempotencyKey": "k1", "at": "2026-05-28T20:00:01Z", "kind": "phaseStarted",
       "detail": {"phase": "deviceSetup"}},
      {"idempotencyKey": "k2", "at": "2026-05-28T20:00:02Z", "kind": "itemStarted",
       "detail": {"phase": "deviceSetup", "id": "app-1", "displayName": "Portal", "attempt": 1}},
      {"idempotencyKey": "k3", "at": "2026-05-28T20:00:09Z", "kind": "itemSucceeded",
       "detail": {"phase": "deviceSetup", "id": "app-1"}},
      {"idempotencyKey": "k4", "at": "2026-05-28T20:00:10Z", "kind": "phaseCompleted",
       "detail": {"phase": "deviceSetup"}}]})";
  const Answer appended = Expect(200, "POST", session + "/events", events, {}, &token);
  EXPECT_EQ(Expect(200, "POST", session + "/events", events, {}, &token).json, appended.json);
  EXPECT_EQ(FieldOf(Expect(400, "POST", session + "/events",
                           R"({"events": [{"idempotencyKey": "k9", "at": "2026-05-28T20:00:11Z",
                                           "kind": "itemFailed", "detail": {"id": "x"}}]})",
                           {}, &token)),
            "events[0].detail.phase");
  EXPECT_EQ(FieldOf(Expect(400, "POST", session + "/events",
                           R"({"events": [{"at": "2026-05-28T20:00:11Z", "kind": "button"}]})", {},
                           &token)),
            "events[0].idempotencyKey");
  // Another device cannot write to it (as if it did not exist).
  const std::string session_id = "3f2c9a6e-0b1d-4d8e-9c51-7a2b1f0e6d44";
  Expect(404, "POST", "/v1/agent/devices/" + other_id + "/sessions/" + session_id + "/events",
         events, {}, &other_token);
  Expect(401, "POST", session + "/events", events);  // an admin credential
  EXPECT_EQ(FieldOf(Expect(400, "POST", session + "/finish",
                           R"({"deploymentState": "inProgress",
                               "finishedDateTime": "2026-05-28T20:00:12Z"})",
                           {}, &token)),
            "deploymentState");
  Expect(200, "POST", session + "/finish",
         R"({"deploymentState": "success", "finishedDateTime": "2026-05-28T20:00:12Z"})", {},
         &token);
  // With the inventory the device has now: kept, and the plan starts from it.
  EXPECT_EQ(FieldOf(Expect(400, "POST", session + "/finish",
                           R"({"deploymentState": "success",
                               "finishedDateTime": "2026-05-28T20:00:12Z",
                               "inventory": [{"kind": "app", "id": "a", "version": "1",
                                              "outcome": "maybe"}]})",
                           {}, &token)),
            "inventory[0].outcome");
  Expect(200, "POST", session + "/finish",
         R"({"deploymentState": "success", "finishedDateTime": "2026-05-28T20:00:12Z",
             "inventory": [{"kind": "app", "id": "a", "version": "1", "outcome": "installed"},
                           {"kind": "policy", "id": "p", "version": "2", "outcome": "failed"}]})",
         {}, &token);
  const Answer reported_plan = Expect(200, "GET", "/v1/plan?serialNumber=GC-1");
  EXPECT_EQ(reported_plan.json.at("userFlowBasis"), "reportedInventory");
  EXPECT_EQ(reported_plan.json.at("reportedInventory").at("items").as_array().size(), 2u);
  Expect(404, "POST", device + "/sessions/no-such-session/finish",
         R"({"deploymentState": "success", "finishedDateTime": "2026-05-28T20:00:12Z"})", {},
         &token);

  // The admin's side: the report and the event stream.
  const Answer report = Expect(200, "GET", "/v1/reports/GC-1");
  EXPECT_EQ(report.json.at("deploymentState"), "success");
  EXPECT_EQ(report.json.at("sessions").at(0).at("items").at(0).at("status"), "succeeded");
  EXPECT_TRUE(Expect(200, "GET", "/v1/reports/GC-2").json.at("deploymentState").is_null());
  Expect(404, "GET", "/v1/reports/GC-404");
  Expect(401, "GET", "/v1/reports/GC-1", "", {}, &token);  // a device token
  const Answer stream = Expect(200, "GET", "/v1/deploymentEvents?limit=3");
  EXPECT_EQ(stream.json.at("value").as_array().size(), 3u);
  const std::string next = Text(stream.json, "nextAfter");
  const Answer rest = Expect(200, "GET", "/v1/deploymentEvents?after=" + next + "&waitSeconds=0");
  EXPECT_EQ(rest.json.at("value").as_array().size(), 1u);
  EXPECT_EQ(FieldOf(Expect(400, "GET", "/v1/deploymentEvents?after=x")), "after");
  EXPECT_EQ(FieldOf(Expect(400, "GET", "/v1/deploymentEvents?waitSeconds=31")), "waitSeconds");
  // The live stream carries the same objects as Server-Sent Events, after its cursor.
  const Answer every = Expect(200, "GET", "/v1/deploymentEvents?after=0");
  const Answer live = Expect(200, "GET", "/v1/deploymentEvents/stream?after=0");
  std::vector<json::value> streamed;
  for (std::size_t at = live.body.find("data: "); at != std::string::npos;
       at = live.body.find("data: ", at + 1)) {
    streamed.push_back(json::parse(live.body.substr(at + 6, live.body.find('\n', at) - at - 6)));
  }
  EXPECT_EQ(json::value_from(streamed), every.json.at("value")) << live.body;
  const Answer resumed = Expect(200, "GET", "/v1/deploymentEvents/stream?deviceId=" + device_id, "",
                                {{"Last-Event-ID", next}});
  EXPECT_EQ(resumed.body.rfind("retry: 2000\nid: " + next + "\n\n", 0), 0u) << resumed.body;
  EXPECT_EQ(resumed.body.find("id: " + next + "\nevent:"), std::string::npos) << resumed.body;
  EXPECT_NE(resumed.body.find("event: deployment\n"), std::string::npos) << resumed.body;
  EXPECT_EQ(FieldOf(Expect(400, "GET", "/v1/deploymentEvents/stream?after=x")), "after");
  EXPECT_EQ(FieldOf(Expect(404, "GET", "/v1/deploymentEvents/stream?deviceId=nope")), "deviceId");
  Expect(401, "GET", "/v1/deploymentEvents/stream", "", {}, &token);  // a device token
  Expect(200, "GET", "/v1/deploymentSessions/3f2c9a6e-0b1d-4d8e-9c51-7a2b1f0e6d44/events");

  // The fleet overview's filters, and the latest session on the device.
  const std::string filters = "serialNumber=GC-1&flow=technician&deploymentState=success";
  const Answer filtered = Expect(200, "GET", "/v1/deploymentEvents?" + filters);
  EXPECT_EQ(filtered.json.at("value").as_array().size(), 4u);
  EXPECT_TRUE(
      Expect(200, "GET", "/v1/deploymentEvents?flow=user").json.at("value").as_array().empty());
  EXPECT_EQ(FieldOf(Expect(404, "GET", "/v1/deploymentEvents?serialNumber=GC-404")),
            "serialNumber");
  EXPECT_EQ(FieldOf(Expect(400, "GET", "/v1/deploymentEvents?flow=nightly")), "flow");
  EXPECT_EQ(FieldOf(Expect(400, "GET", "/v1/deploymentEvents?deploymentState=asleep")),
            "deploymentState");
  const Answer sessions = Expect(200, "GET", "/v1/deploymentSessions?" + filters);
  EXPECT_EQ(sessions.json.at("value").at(0).at("serialNumber"), "GC-1");
  EXPECT_EQ(FieldOf(Expect(404, "GET", "/v1/deploymentSessions?serialNumber=GC-404")),
            "serialNumber");
  const Answer devices = Expect(200, "GET", "/v1/autopilotDevices?deploymentState=success");
  EXPECT_EQ(devices.json.at("value").at(0).at("lastDeployment").at("deploymentState"), "success");
  Expect(200, "GET", "/v1/audit?actor=admin&resourceKind=autopilotDevices");
}

// The admin side of users' sign-in credentials, then users signing in on a device: every
// step's properties are the ones SignInStep documents for its status.
TEST_F(OpenApiAnswersTest, SignInAnswersMatchTheirSchemas) {
  const std::string adele =
      IdOf(Expect(201, "POST", "/v1/users",
                  R"({"userPrincipalName": "adele@contoso.com", "displayName": "Adele Vance"})"));
  const std::string megan =
      IdOf(Expect(201, "POST", "/v1/users", R"({"userPrincipalName": "megan@contoso.com"})"));
  Expect(201, "POST", "/v1/groups", kAllDevicesGroup);
  std::unique_ptr<identity::FileDeviceKey> key;
  const std::string device_id = RegisterDevice("GC-1", key);
  ASSERT_TRUE(key);
  Expect(200, "PATCH", "/v1/autopilotDevices/" + device_id,
         R"({"userPrincipalName": "adele@contoso.com"})");

  // Admin: password, state, MFA, unlock.
  const std::string password = json::serialize(json::object{{"password", kPassword}});
  const Answer unset = Expect(200, "GET", "/v1/users/" + adele + "/signIn");
  EXPECT_EQ(unset.json.at("passwordSet"), json::value(false));
  Expect(200, "GET", "/v1/users/" + adele + "/signIn", "", {}, &api_.reader_token());
  Expect(404, "GET", "/v1/users/no-such-user/signIn");
  Expect(401, "GET", "/v1/users/" + adele + "/signIn", "", {}, &kNoToken);
  Expect(204, "PUT", "/v1/users/" + adele + "/password", password);
  Expect(204, "PUT", "/v1/users/" + megan + "/password", password);
  EXPECT_EQ(
      FieldOf(Expect(400, "PUT", "/v1/users/" + adele + "/password", R"({"password": "short"})")),
      "password");
  EXPECT_EQ(FieldOf(Expect(400, "PUT", "/v1/users/" + adele + "/password",
                           R"({"password": "correct horse battery staple 42", "old": "x"})")),
            "old");
  Expect(403, "PUT", "/v1/users/" + adele + "/password", password, {}, &api_.reader_token());
  Expect(404, "PUT", "/v1/users/no-such-user/password", password);
  Expect(201, "POST", "/v1/users/" + megan + "/mfa");
  Expect(201, "POST", "/v1/users/" + megan + "/mfa",
         R"({"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"})");
  EXPECT_EQ(
      FieldOf(Expect(400, "POST", "/v1/users/" + megan + "/mfa", R"({"secret": "JBSWY3DP"})")),
      "secret");
  EXPECT_EQ(FieldOf(Expect(400, "POST", "/v1/users/" + megan + "/mfa", R"({"secret": "!!"})")),
            "secret");
  EXPECT_EQ(FieldOf(Expect(400, "POST", "/v1/users/" + megan + "/mfa", R"({"seed": "x"})")),
            "seed");
  Expect(403, "POST", "/v1/users/" + megan + "/mfa", "", {}, &api_.reader_token());
  Expect(404, "POST", "/v1/users/no-such-user/mfa");
  Expect(204, "DELETE", "/v1/users/" + megan + "/mfa");
  Expect(403, "DELETE", "/v1/users/" + megan + "/mfa", "", {}, &api_.reader_token());
  Expect(404, "DELETE", "/v1/users/no-such-user/mfa");

  const std::string token = Text(
      Expect(200, "POST", "/v1/agent/token", Proof("GC-1", *key), {}, &kNoToken).json, "token");
  const std::string sign_in = "/v1/agent/devices/" + device_id + "/signIn";
  auto begin = [&](const std::string& upn, const std::string& pw, int status) {
    return Expect(status, "POST", sign_in,
                  json::serialize(json::object{{"userPrincipalName", upn}, {"password", pw}}), {},
                  &token);
  };
  EXPECT_EQ(FieldOf(begin("adele@contoso.com", "wrong password here", 401)), "password");
  EXPECT_EQ(FieldOf(begin("nobody@contoso.com", kPassword, 401)), "password");
  EXPECT_EQ(FieldOf(Expect(400, "POST", sign_in, R"({"userPrincipalName": "adele@contoso.com"})",
                           {}, &token)),
            "password");
  Expect(400, "POST", sign_in,
         R"({"userPrincipalName": "a@contoso.com", "password": "x", "remember": "yes"})", {},
         &token);
  Expect(401, "POST", sign_in, password, {}, &kNoToken);
  const Answer refused = begin("megan@contoso.com", kPassword, 403);
  ExpectStep(refused, "refused");
  EXPECT_EQ(Text(refused.json, "reason"), "notAssignedUser");

  // The tenant requires MFA of everyone (the default) and adele has no authenticator yet.
  const Answer registration = begin("adele@contoso.com", kPassword, 200);
  ExpectStep(registration, "mfaRegistrationRequired");
  const std::string challenge = sign_in + "/" + Text(registration.json, "challengeId");
  std::smatch seed;
  const std::string uri = Text(registration.json, "otpauthUri");
  ASSERT_TRUE(std::regex_search(uri, seed, std::regex("[?&]secret=([A-Z2-7]+)"))) << uri;
  const Result<std::string> secret = identity::Base32Decode(seed[1].str());
  ASSERT_TRUE(secret);
  const Result<std::string> code = identity::GenerateTotp(*secret, Now());
  ASSERT_TRUE(code);
  std::string wrong = "000000";  // a code valid at no step VerifyTotp tries
  for (int step : {-1, 0, 1}) {
    if (identity::GenerateTotp(*secret, Now() + std::chrono::seconds(30 * step)).value() == wrong) {
      wrong = "111111";
    }
  }
  auto answer = [&](const std::string& target, const std::string& digits, int status) {
    return Expect(status, "POST", target, json::serialize(json::object{{"code", digits}}), {},
                  &token);
  };
  EXPECT_EQ(FieldOf(answer(challenge, "12ab", 400)), "code");
  EXPECT_EQ(FieldOf(answer(challenge, wrong, 401)), "code");
  Expect(400, "POST", challenge, R"({"code": "123456", "trust": "yes"})", {}, &token);
  const Answer signed_in = answer(challenge, *code, 200);
  ExpectStep(signed_in, "signedIn");
  EXPECT_EQ(FieldOf(answer(challenge, *code, 401)), "challengeId");  // completed

  // The user token.
  const std::string user_token = Text(signed_in.json, "token");
  const Answer me = Expect(200, "GET", "/v1/agent/me", "", {}, &user_token);
  EXPECT_EQ(Text(me.json, "userId"), adele);
  EXPECT_EQ(Text(me.json, "deviceId"), device_id);
  Expect(401, "GET", "/v1/agent/me", "", {}, &token);  // a device token
  Expect(401, "GET", "/v1/agent/me");                  // an admin credential
  Expect(401, "GET", "/v1/agent/devices/" + device_id, "", {}, &user_token);

  // Enrolled now: a code, accepted once.
  const Answer mfa = begin("adele@contoso.com", kPassword, 200);
  ExpectStep(mfa, "mfaRequired");
  EXPECT_EQ(FieldOf(answer(sign_in + "/" + Text(mfa.json, "challengeId"), *code, 401)), "code");

  // Lockout: kLockoutThreshold wrong passwords lock megan; the lock is refused with its end.
  begin("megan@contoso.com", "wrong password!", 401);
  const Answer failed = Expect(200, "GET", "/v1/users/" + megan + "/signIn");
  EXPECT_EQ(failed.json.at("recentFailures"), 1);
  EXPECT_TRUE(failed.json.at("lockedUntil").is_null());
  for (int i = 1; i < kLockoutThreshold; ++i) begin("megan@contoso.com", "wrong password!", 401);
  const Answer locked = begin("megan@contoso.com", kPassword, 403);
  ExpectStep(locked, "refused");
  EXPECT_EQ(Text(locked.json, "reason"), "accountLocked");
  const Answer state = Expect(200, "GET", "/v1/users/" + megan + "/signIn");
  EXPECT_EQ(state.json.at("lockedUntil"), locked.json.at("lockedUntil"));
  Expect(403, "POST", "/v1/users/" + megan + "/unlock", "", {}, &api_.reader_token());
  Expect(404, "POST", "/v1/users/no-such-user/unlock");
  Expect(204, "POST", "/v1/users/" + megan + "/unlock");
  EXPECT_TRUE(
      Expect(200, "GET", "/v1/users/" + megan + "/signIn").json.at("lockedUntil").is_null());
}

}  // namespace
}  // namespace groundcrew
