#include "server/service/deployment_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "common/text.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "wire/json_limits.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::DeploymentSession;
using store::DeviceRecord;
using store::SessionEvent;

constexpr size_t kMaxUpnBytes = 256;
constexpr size_t kMaxCommonNameBytes = 64;

Error Invalid(std::string field, std::string_view what) {
  std::string message = field.empty() ? std::string(what) : fmt::format("{}: {}", field, what);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

Error NoSuchSession(std::string_view session_id) {
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("this device has no deployment session {}", session_id),
                   "sessionId");
}

Actor DeviceActor(const core::AutopilotDeviceIdentity& device) {
  return Actor{"device:" + device.serial_number, store::CredentialRole::kReader};
}

json::value TimeOrNull(const std::optional<core::Timestamp>& time) {
  return time ? json::value(wire::FormatTimestamp(*time)) : json::value(nullptr);
}

json::value DurationOrNull(const std::optional<core::Timestamp>& from,
                           const std::optional<core::Timestamp>& to) {
  if (!from || !to) return nullptr;
  return (*to - *from).count();
}

// ---- Event kinds (docs/device-api.md "Events") ---------------------------------------------

// The phases as plans spell them; the core's log spellings are accepted too.

// Graph deployment states a session or flow may end in (every state but inProgress).
std::vector<std::string> FinalStates() {
  std::vector<std::string> states;
  for (int s = 0; s <= static_cast<int>(core::DeploymentState::kSuccessOnRetry); ++s) {
    const auto state = static_cast<core::DeploymentState>(s);
    if (state != core::DeploymentState::kInProgress) states.emplace_back(core::ToString(state));
  }
  return states;
}

bool IsFinalState(std::string_view state) {
  const std::vector<std::string> states = FinalStates();
  return std::find(states.begin(), states.end(), state) != states.end();
}

bool IsIdentifier(std::string_view text, bool allow_punctuation) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (allow_punctuation && (c == '.' || c == '_' || c == '-'));
  });
}

// Checks (and normalises) the documented properties of one event's detail; properties beyond
// the documented ones are kept as they are. `path` is "events[i].detail".
class DetailChecker {
 public:
  DetailChecker(json::object& detail, std::string path) : detail_(detail), path_(std::move(path)) {}

  std::string PathOf(std::string_view key) const { return fmt::format("{}.{}", path_, key); }

  Status String(std::string_view key, bool required) {
    const json::value* v = detail_.if_contains(key);
    if (v == nullptr) return required ? Status(Invalid(PathOf(key), "required")) : Status(Ok{});
    if (!v->is_string()) return Invalid(PathOf(key), "expected a string");
    if (required && v->as_string().empty()) return Invalid(PathOf(key), "must not be empty");
    return Ok{};
  }

  Status Choice(std::string_view key, const std::vector<std::string>& allowed) {
    GC_RETURN_IF_ERROR(String(key, true));
    const std::string_view value = detail_.at(key).as_string();
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return Ok{};
    std::string names;
    for (const std::string& name : allowed) {
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", name);
    }
    return Invalid(PathOf(key), fmt::format("expected one of {}, found \"{}\"", names, value));
  }

  Status Integer(std::string_view key, long long min) {
    const json::value* v = detail_.if_contains(key);
    if (v == nullptr) return Ok{};
    if (!v->is_int64() && !v->is_uint64()) return Invalid(PathOf(key), "expected an integer");
    if (v->is_int64() && v->as_int64() < min) {
      return Invalid(PathOf(key), fmt::format("must be at least {}", min));
    }
    return Ok{};
  }

  // An exit code or HRESULT: an integer, or text as the device shows it ("0x800705B4").
  Status Code() {
    const json::value* v = detail_.if_contains("code");
    if (v == nullptr || v->is_int64() || v->is_uint64() || v->is_string()) return Ok{};
    return Invalid(PathOf("code"), "expected an integer or a string");
  }

  Status Phase() {
    GC_RETURN_IF_ERROR(String("phase", true));
    const std::string_view given = detail_.at("phase").as_string();
    if (wire::PhaseFromName(given)) return Ok{};
    return Invalid(PathOf("phase"),
                   fmt::format("expected one of \"devicePreparation\", \"deviceSetup\", "
                               "\"accountSetup\", found \"{}\"",
                               given));
  }

  Status Item() {
    GC_RETURN_IF_ERROR(Phase());
    GC_RETURN_IF_ERROR(String("id", true));
    return String("displayName", false);
  }

 private:
  json::object& detail_;
  std::string path_;
};

// The documented kinds' details; other kinds pass unchecked.
Status CheckDetail(std::string_view kind, json::object& detail, std::string path) {
  DetailChecker d(detail, std::move(path));
  if (kind == "phaseStarted" || kind == "phaseCompleted") return d.Phase();
  if (kind == "phaseFailed") {
    GC_RETURN_IF_ERROR(d.Phase());
    GC_RETURN_IF_ERROR(d.Code());
    return d.String("message", false);
  }
  if (kind == "itemStarted") {
    GC_RETURN_IF_ERROR(d.Item());
    return d.Integer("attempt", 1);
  }
  if (kind == "itemProgress") {
    GC_RETURN_IF_ERROR(d.Item());
    GC_RETURN_IF_ERROR(d.Integer("bytesDone", 0));
    return d.Integer("bytesTotal", 0);
  }
  if (kind == "itemSucceeded" || kind == "itemDetected" || kind == "itemNotAttempted") {
    return d.Item();
  }
  if (kind == "itemFailed" || kind == "itemTimedOut") {
    GC_RETURN_IF_ERROR(d.Item());
    GC_RETURN_IF_ERROR(d.Code());
    return d.String("message", false);
  }
  if (kind == "screen") return d.String("screen", true);
  if (kind == "button") return d.String("button", true);
  if (kind == "compliance") {
    GC_RETURN_IF_ERROR(d.Choice("when", {"before", "after"}));
    GC_RETURN_IF_ERROR(d.Choice("state", {"compliant", "noncompliant", "unknown"}));
    if (const json::value* findings = detail.if_contains("findings");
        findings != nullptr && !findings->is_array()) {
      return Invalid(d.PathOf("findings"), "expected an array");
    }
    return d.String("note", false);
  }
  if (kind == "flowFinished") return d.Choice("deploymentState", FinalStates());
  return Ok{};
}

// ---- Reports -------------------------------------------------------------------------------

std::string TextOf(const json::object& detail, std::string_view key) {
  const json::value* v = detail.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// "1603" or "0x800705B4" (core::FormatErrorCode) for an integer code; a text code as given.
json::value CodeOf(const json::object& detail) {
  const json::value* v = detail.if_contains("code");
  if (v == nullptr) return nullptr;
  if (v->is_int64()) return json::string(core::FormatErrorCode(v->as_int64()));
  if (v->is_uint64()) {
    return json::string(core::FormatErrorCode(static_cast<std::int64_t>(v->as_uint64())));
  }
  if (v->is_string()) return v->as_string();
  return nullptr;
}

json::value MessageOf(const json::object& detail) {
  const json::value* v = detail.if_contains("message");
  return v != nullptr && v->is_string() ? json::value(v->as_string()) : json::value(nullptr);
}

struct PhaseRow {
  std::string phase;
  std::string status = "inProgress";
  int runs = 0;
  std::optional<core::Timestamp> started, finished;
  json::value code = nullptr, message = nullptr;

  json::object ToJson() const {
    return {{"phase", phase},
            {"status", status},
            {"runs", runs},
            {"startedDateTime", TimeOrNull(started)},
            {"finishedDateTime", TimeOrNull(finished)},
            {"durationSeconds", DurationOrNull(started, finished)},
            {"code", code},
            {"message", message}};
  }
};

struct ItemRow {
  std::string phase, id, display_name;
  std::string status = "inProgress";
  int attempts = 0;
  int64_t last_attempt = 0;  // the attempt number of the last start (0 = not given)
  std::optional<core::Timestamp> started, finished;
  json::value code = nullptr, message = nullptr;

  json::object ToJson() const {
    return {{"phase", phase},
            {"id", id},
            {"displayName", display_name},
            {"status", status},
            {"attempts", attempts},
            {"startedDateTime", TimeOrNull(started)},
            {"finishedDateTime", TimeOrNull(finished)},
            {"durationSeconds", DurationOrNull(started, finished)},
            {"code", code},
            {"message", message}};
  }
};

// The timeline of one session from its events, applied in the order they were stored (the
// agent sends its queue in order). Events whose detail lacks what a kind needs are skipped.
json::object SessionReport(const DeploymentSession& session,
                           const std::vector<SessionEvent>& events) {
  std::vector<PhaseRow> phases;
  std::vector<ItemRow> items;
  json::value before = nullptr, after = nullptr;
  std::string finished_state;
  auto phase_row = [&](const std::string& phase) -> PhaseRow& {
    for (PhaseRow& row : phases) {
      if (row.phase == phase) return row;
    }
    PhaseRow& row = phases.emplace_back();
    row.phase = phase;
    return row;
  };
  auto item_row = [&](const std::string& phase, const std::string& id) -> ItemRow& {
    for (ItemRow& row : items) {
      if (row.phase == phase && row.id == id) return row;
    }
    ItemRow& row = items.emplace_back();
    row.phase = phase;
    row.id = id;
    return row;
  };

  for (const SessionEvent& event : events) {
    Result<json::value> parsed = wire::ParseJson(event.detail, "detail");
    if (!parsed || !parsed->is_object()) continue;
    const json::object& detail = parsed->as_object();
    const std::string phase = TextOf(detail, "phase");
    const std::string id = TextOf(detail, "id");
    const std::string& kind = event.kind;
    const bool phase_kind =
        kind == "phaseStarted" || kind == "phaseCompleted" || kind == "phaseFailed";
    const bool item_kind = kind == "itemStarted" || kind == "itemProgress" ||
                           kind == "itemSucceeded" || kind == "itemFailed" ||
                           kind == "itemTimedOut" || kind == "itemNotAttempted" ||
                           kind == "itemDetected";
    if (phase_kind && !phase.empty()) {
      PhaseRow& row = phase_row(phase);
      if (kind == "phaseStarted") {
        ++row.runs;
        row.status = "inProgress";
        if (!row.started) row.started = event.at;
        row.finished.reset();
        row.code = row.message = nullptr;
      } else if (kind == "phaseCompleted") {
        row.status = "complete";
        row.finished = event.at;
      } else if (kind == "phaseFailed") {
        row.status = "failed";
        row.finished = event.at;
        row.code = CodeOf(detail);
        row.message = MessageOf(detail);
        // As core::ItemStatus::kNotAttempted: the phase failed before these could finish.
        for (ItemRow& item : items) {
          if (item.phase == phase && item.status == "inProgress") {
            item.status = "notAttempted";
            item.finished = event.at;
          }
        }
      }
    } else if (item_kind && !phase.empty() && !id.empty()) {
      if (phase_row(phase).runs == 0 && !phase_row(phase).started) {
        phase_row(phase).started = event.at;  // a phase whose start was not reported
      }
      ItemRow& row = item_row(phase, id);
      if (std::string name = TextOf(detail, "displayName"); !name.empty()) {
        row.display_name = std::move(name);
      }
      if (kind == "itemStarted") {
        // A restart re-runs the interrupted attempt under the same number (the core does not
        // count it): one attempt, not two.
        const json::value* number = detail.if_contains("attempt");
        const int64_t attempt = number != nullptr && number->is_int64() ? number->as_int64() : 0;
        if (!(row.status == "inProgress" && attempt != 0 && attempt == row.last_attempt)) {
          ++row.attempts;
        }
        row.last_attempt = attempt;
        row.status = "inProgress";
        if (!row.started) row.started = event.at;
        row.finished.reset();
        row.code = row.message = nullptr;
      } else if (kind == "itemSucceeded") {
        row.status = "succeeded";
        row.finished = event.at;
        row.code = row.message = nullptr;
      } else if (kind == "itemFailed") {
        row.status = "failed";
        row.finished = event.at;
        row.code = CodeOf(detail);
        row.message = MessageOf(detail);
      } else if (kind == "itemTimedOut") {
        row.status = "timedOut";
        row.finished = event.at;
        row.code = CodeOf(detail);
        if (row.code.is_null())
          row.code = json::string(core::FormatErrorCode(core::kTimeoutErrorCode));
        row.message = MessageOf(detail);
        if (row.message.is_null()) row.message = "timed out";
      } else if (kind == "itemNotAttempted") {
        row.status = "notAttempted";
        row.finished = event.at;
      } else if (kind == "itemDetected") {
        row.status = "detected";
        if (!row.started) row.started = event.at;
        row.finished = event.at;
      }
    } else if (kind == "compliance") {
      json::object entry = detail;
      const std::string when = TextOf(detail, "when");
      entry.erase("when");
      entry["at"] = wire::FormatTimestamp(event.at);
      if (!entry.contains("findings")) entry["findings"] = json::array();
      if (when == "before") before = std::move(entry);
      if (when == "after") after = std::move(entry);
    } else if (kind == "flowFinished") {
      finished_state = TextOf(detail, "deploymentState");
    }
  }

  std::string state = session.deployment_state;
  if (state == core::ToString(core::DeploymentState::kInProgress) && !finished_state.empty()) {
    state = finished_state;  // the finish call has not arrived yet
  }
  json::object out;
  out["id"] = session.id;
  out["flow"] = session.flow;
  out["userPrincipalName"] = session.user_principal_name;
  out["deploymentState"] = state;
  out["startedDateTime"] = wire::FormatTimestamp(session.started_date_time);
  out["finishedDateTime"] = TimeOrNull(session.finished_date_time);
  out["durationSeconds"] = DurationOrNull(session.started_date_time, session.finished_date_time);
  json::array phase_rows, item_rows;
  for (const PhaseRow& row : phases) phase_rows.push_back(row.ToJson());
  for (const ItemRow& row : items) item_rows.push_back(row.ToJson());
  out["phases"] = std::move(phase_rows);
  out["items"] = std::move(item_rows);
  out["compliance"] = json::object{{"before", std::move(before)}, {"after", std::move(after)}};
  out["eventCount"] = events.size();
  return out;
}

// ---- Certificates --------------------------------------------------------------------------

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// The CN of a certificate profile's subjectNameFormat for one device (see IssueCertificate).
std::string CommonName(const std::string& format, std::string_view device_name,
                       std::string_view serial, std::string_view device_id) {
  std::string name = format;
  ReplaceAll(name, "{{DeviceName}}", device_name);
  ReplaceAll(name, "{{SerialNumber}}", serial);
  ReplaceAll(name, "{{DeviceId}}", device_id);
  std::string_view cn = text::Trim(name);
  if (cn.size() >= 3 && text::EqualsIgnoreCase(cn.substr(0, 3), "CN=")) cn.remove_prefix(3);
  cn = cn.substr(0, cn.find(','));
  cn = text::Trim(cn);
  if (cn.size() > kMaxCommonNameBytes) {
    size_t cut = kMaxCommonNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(cn[cut]) & 0xC0) == 0x80) --cut;  // UTF-8
    cn = cn.substr(0, cut);
  }
  return cn.empty() ? std::string(device_name) : std::string(cn);
}

}  // namespace

// ---- Parsing -------------------------------------------------------------------------------

Result<std::vector<DeploymentEvent>> ParseEvents(const json::value& body) {
  const json::object* object = body.if_object();
  if (object == nullptr) return Invalid("body", "expected {\"events\": [...]}");
  for (const auto& member : *object) {
    if (member.key() != "events") {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("unknown field \"{}\"", std::string_view(member.key())),
                       std::string(member.key()));
    }
  }
  const json::value* list = object->if_contains("events");
  if (list == nullptr) return Invalid("events", "required");
  if (!list->is_array()) return Invalid("events", "expected an array of events");
  if (list->as_array().size() > kMaxEventsPerBatch) {
    return Invalid("events", fmt::format("at most {} events per request", kMaxEventsPerBatch));
  }
  std::vector<DeploymentEvent> events;
  events.reserve(list->as_array().size());
  for (size_t i = 0; i < list->as_array().size(); ++i) {
    const std::string path = fmt::format("events[{}]", i);
    const json::object* item = list->as_array()[i].if_object();
    if (item == nullptr) return Invalid(path, "expected an object");
    DeploymentEvent event;
    for (const auto& member : *item) {
      const std::string key(member.key());
      const std::string field = path + "." + key;
      const json::value& value = member.value();
      if (key == "idempotencyKey" || key == "kind" || key == "at") {
        if (!value.is_string()) return Invalid(field, "expected a string");
      }
      if (key == "idempotencyKey") {
        event.idempotency_key = value.as_string();
        if (event.idempotency_key.empty() ||
            event.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
          return Invalid(field, fmt::format("must be 1 to {} bytes", kMaxIdempotencyKeyBytes));
        }
      } else if (key == "kind") {
        event.kind = value.as_string();
        if (event.kind.size() > kMaxEventKindBytes || !IsIdentifier(event.kind, false)) {
          return Invalid(field, fmt::format("must be 1 to {} letters and digits, e.g. "
                                            "\"itemStarted\"",
                                            kMaxEventKindBytes));
        }
      } else if (key == "at") {
        Result<core::Timestamp> at = wire::ParseTimestamp(value.as_string());
        if (!at) return Invalid(field, "expected a time like 2026-11-25T13:00:00Z");
        event.at = *at;
      } else if (key == "detail") {
        if (!value.is_object()) return Invalid(field, "expected an object");
        if (json::serialize(value).size() > kMaxEventDetailBytes) {
          return Invalid(field, fmt::format("larger than {} bytes", kMaxEventDetailBytes));
        }
        event.detail = value.as_object();
      } else {
        return MakeError(ErrorCode::kInvalidArgument, fmt::format("unknown field \"{}\"", field),
                         field);
      }
    }
    for (const char* required : {"idempotencyKey", "at", "kind"}) {
      if (!item->contains(required)) return Invalid(path + "." + required, "required");
    }
    events.push_back(std::move(event));
  }
  return events;
}

json::object ToJson(const DeploymentSession& session) {
  json::object out{{"id", session.id},
                   {"deviceId", session.device_id},
                   {"flow", session.flow},
                   {"userPrincipalName", session.user_principal_name},
                   {"deploymentState", session.deployment_state},
                   {"startedDateTime", wire::FormatTimestamp(session.started_date_time)}};
  out["finishedDateTime"] = TimeOrNull(session.finished_date_time);
  return out;
}

// ---- The service ---------------------------------------------------------------------------

DeploymentService::DeploymentService(store::Store& store, Catalog& catalog,
                                     const identity::CertificateAuthority& ca,
                                     std::string ca_certificate_pem, Clock clock,
                                     DeploymentOptions options)
    : store_(store),
      catalog_(catalog),
      ca_(ca),
      ca_certificate_pem_(std::move(ca_certificate_pem)),
      clock_(std::move(clock)),
      options_(options) {}

Result<DeploymentSession> DeploymentService::OwnSession(const DeviceCaller& caller,
                                                        std::string_view id,
                                                        std::string_view session_id) {
  if (Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id); !record) {
    return record.error();
  }
  Result<DeploymentSession> session = store_.sessions().GetSession(session_id);
  if (!session) {
    if (session.error().code == ErrorCode::kNotFound) return NoSuchSession(session_id);
    return session.error();
  }
  if (session->device_id != id) return NoSuchSession(session_id);
  return session;
}

Result<json::object> DeploymentService::Document(const Snapshot& snapshot,
                                                 const DeviceRecord& record, const core::User* user,
                                                 std::vector<core::InstalledItem> installed) {
  const core::TargetingIndex& index = *snapshot.index;
  const core::Tenant& tenant = index.tenant();
  const core::AutopilotDeviceIdentity& registration = record.value;
  const core::DirectoryDevice directory = core::PlaceholderFor(registration);
  const core::GroupSet device_groups = index.DeviceGroups(directory);

  core::PlanRequest request;
  request.flow = user != nullptr ? core::Flow::kUser : core::Flow::kTechnician;
  request.device = &directory;
  request.registration = &registration;
  request.user = user;
  request.installed = std::move(installed);
  Result<core::EspPlan> plan = core::BuildEspPlan(index, request);
  if (!plan) return plan.error();

  // The payloads the plan's items name, each once, in plan order.
  json::array apps, policies, certificates, networks;
  std::vector<std::pair<core::ItemKind, std::string>> seen;
  auto add = [&](const core::PlanItem& item) {
    const std::pair<core::ItemKind, std::string> key{item.kind, item.id};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
    seen.push_back(key);
    switch (item.kind) {
      case core::ItemKind::kApp:
        if (const core::App* app = index.FindApp(item.id)) apps.push_back(wire::Encode(*app));
        break;
      case core::ItemKind::kPolicy:
        for (const core::Policy& p : tenant.policies) {
          if (p.id.value() == item.id) policies.push_back(wire::Encode(p));
        }
        break;
      case core::ItemKind::kCertificate:
        for (const core::CertificateProfile& c : tenant.certificates) {
          if (c.id.value() == item.id) certificates.push_back(wire::Encode(c));
        }
        break;
      case core::ItemKind::kNetwork:
        for (const core::NetworkProfile& n : tenant.network_profiles) {
          // The secret goes to the device this plan is for, and nowhere else.
          if (n.id.value() == item.id) networks.push_back(wire::EncodeWithSecrets(n));
        }
        break;
      case core::ItemKind::kPreparationStep:
        break;
    }
  };
  for (const core::PlanItem& item : plan->device_setup.items) add(item);
  if (plan->account_setup) {
    for (const core::PlanItem& item : plan->account_setup->items) add(item);
  }

  core::GroupSet user_groups;
  if (user != nullptr) user_groups = index.UserGroups(*user);
  json::array compliance;
  for (const core::CompliancePolicy& policy : core::CompliancePoliciesFor(
           index, device_groups, user != nullptr ? &user_groups : nullptr)) {
    compliance.push_back(wire::Encode(policy));
  }

  const core::DeploymentProfile* profile = index.DeploymentProfileFor(device_groups);
  json::object out;
  out["flow"] = core::ToString(request.flow);
  out["profile"] = profile != nullptr ? json::value(wire::Encode(core::MakeProfileInfo(
                                            tenant.settings, registration, *profile)))
                                      : json::value(nullptr);
  out["plan"] = wire::Encode(*plan);
  out["payloads"] = json::object{{"apps", std::move(apps)},
                                 {"policies", std::move(policies)},
                                 {"certificateProfiles", std::move(certificates)},
                                 {"networkProfiles", std::move(networks)}};
  out["compliancePolicies"] = std::move(compliance);
  return out;
}

Result<json::object> DeploymentService::Technician(const DeviceCaller& caller,
                                                   std::string_view id) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  return Document(**snapshot, *record, nullptr, {});
}

Result<json::object> DeploymentService::User(const identity::Claims& user_token,
                                             std::string_view id,
                                             const std::vector<core::InstalledItem>& installed) {
  const auto did = user_token.extra.find("did");
  if (did == user_token.extra.end() || did->second != id) return NoSuchDevice(id);
  Result<DeviceRecord> record = store_.devices().Get(core::ZtdId{std::string(id)});
  if (!record) {
    if (record.error().code == ErrorCode::kNotFound) return NoSuchDevice(id);
    return record.error();
  }
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::Tenant& tenant = (*snapshot)->tenant();
  const auto user =
      std::find_if(tenant.users.begin(), tenant.users.end(),
                   [&](const core::User& u) { return u.id.value() == user_token.subject; });
  if (user == tenant.users.end()) {
    return MakeError(ErrorCode::kNotFound, "the signed-in user no longer exists", "user");
  }
  return Document(**snapshot, *record, &*user, installed);
}

Result<json::object> DeploymentService::IssueCertificate(const DeviceCaller& caller,
                                                         std::string_view id,
                                                         std::string_view profile_id,
                                                         std::string_view csr_pem) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const core::AutopilotDeviceIdentity& device = record->value;
  Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
  if (!trust) return trust.error();

  // The plans the device may be running: technician, and the user flow of its assigned user
  // and of the user who last signed in on it (as DeviceTrustService::MayReadContent).
  const core::DirectoryDevice directory = core::PlaceholderFor(device);
  std::vector<const core::User*> users;
  if (const core::User* assigned = index.FindUserByPrincipalName(device.user_principal_name)) {
    users.push_back(assigned);
  }
  if (*trust && !(*trust)->value.primary_user_id.empty()) {
    for (const core::User& user : index.tenant().users) {
      if (user.id.value() == (*trust)->value.primary_user_id) users.push_back(&user);
    }
  }
  bool planned = false;
  auto look = [&](const core::PhasePlan& phase) {
    for (const core::PlanItem& item : phase.items) {
      planned = planned || (item.kind == core::ItemKind::kCertificate && item.id == profile_id);
    }
  };
  core::PlanRequest request;
  request.flow = core::Flow::kTechnician;
  request.device = &directory;
  request.registration = &device;
  Result<core::EspPlan> technician = core::BuildEspPlan(index, request);
  if (!technician) return technician.error();
  look(technician->device_setup);
  for (const core::User* user : users) {
    request.flow = core::Flow::kUser;
    request.user = user;
    Result<core::EspPlan> plan = core::BuildEspPlan(index, request);
    if (!plan) return plan.error();
    look(plan->device_setup);
    if (plan->account_setup) look(*plan->account_setup);
  }
  const core::CertificateProfile* profile = nullptr;
  for (const core::CertificateProfile& c : index.tenant().certificates) {
    if (c.id.value() == profile_id) profile = &c;
  }
  if (!planned || profile == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no certificate profile {} in this device's plan", profile_id),
                     "profileId");
  }

  const std::string device_name = *trust && !(*trust)->value.display_name.empty()
                                      ? (*trust)->value.display_name
                                      : device.serial_number;
  const std::string common_name =
      CommonName(profile->subject_name_format, device_name, device.serial_number, id);
  const int days = std::clamp(profile->validity_period_days, kMinProfileCertificateDays,
                              kMaxProfileCertificateDays);
  const core::Timestamp now = clock_();
  const identity::SerialNumber serial = identity::RandomSerialNumber();
  Result<std::string> certificate = ca_.IssueFromCsr(csr_pem, common_name, days, now, serial);
  if (!certificate) {
    Error error = certificate.error();
    if (error.code == ErrorCode::kInvalidArgument && error.field != "csr") {
      // The profile's own values (subject, validity) were refused: not the device's fault.
      error.code = ErrorCode::kFailedPrecondition;
      error.message =
          fmt::format("certificate profile {}: {}", profile->display_name, error.message);
      error.field = "profileId";
    }
    return error;
  }
  const core::Timestamp expires = now + std::chrono::days(days);
  if (Status audited =
          Audit(store_, DeviceActor(device), now, "issueCertificate", "autopilotDevices",
                device.id.value(), device.serial_number,
                json::serialize(json::object{{"certificateProfileId", profile_id},
                                             {"certificateSerialNumber", identity::ToHex(serial)},
                                             {"subject", "CN=" + common_name}}));
      !audited) {
    return audited.error();
  }
  return json::object{{"certificate", *certificate},
                      {"caCertificate", ca_certificate_pem_},
                      {"expirationDateTime", wire::FormatTimestamp(expires)}};
}

Result<StartedSession> DeploymentService::StartSession(
    const DeviceCaller& caller, std::string_view id, std::string_view session_id,
    std::string_view flow, std::string_view user_principal_name, core::Timestamp started) {
  if (session_id.size() > kMaxSessionIdBytes || !IsIdentifier(session_id, true)) {
    return Invalid("sessionId", fmt::format("must be 1 to {} of A-Z a-z 0-9 . _ -, e.g. a UUID",
                                            kMaxSessionIdBytes));
  }
  if (flow != core::ToString(core::Flow::kTechnician) &&
      flow != core::ToString(core::Flow::kUser)) {
    return Invalid("flow", fmt::format("expected \"technician\" or \"user\", found \"{}\"", flow));
  }
  if (user_principal_name.size() > kMaxUpnBytes) {
    return Invalid("userPrincipalName", fmt::format("longer than {} bytes", kMaxUpnBytes));
  }
  StartedSession out;
  Status done = store_.Transact([&]() -> Status {
    if (Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id); !record) {
      return record.error();
    }
    Result<DeploymentSession> existing = store_.sessions().GetSession(session_id);
    if (existing) {
      if (existing->device_id != id || existing->flow != flow) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("the session id {} is taken; start a session with a fresh "
                                     "id (a UUID)",
                                     session_id),
                         "sessionId");
      }
      out.session = ToJson(*existing);
      return Ok{};
    }
    if (existing.error().code != ErrorCode::kNotFound) return existing.error();
    DeploymentSession session;
    session.id = std::string(session_id);
    session.device_id = std::string(id);
    session.flow = std::string(flow);
    session.user_principal_name = std::string(user_principal_name);
    session.deployment_state = std::string(core::ToString(core::DeploymentState::kInProgress));
    session.started_date_time = started;
    if (Status created = store_.sessions().CreateSession(session); !created) return created;
    out.session = ToJson(session);
    out.created = true;
    return Ok{};
  });
  if (!done) return done.error();
  if (out.created && options_.on_transition) {
    options_.on_transition({false, std::string(flow), std::string(id), std::string(session_id),
                            std::string(core::ToString(core::DeploymentState::kInProgress))});
  }
  return out;
}

Result<json::object> DeploymentService::AppendEvents(const DeviceCaller& caller,
                                                     std::string_view id,
                                                     std::string_view session_id,
                                                     const std::vector<DeploymentEvent>& events) {
  if (events.size() > kMaxEventsPerBatch) {
    return Invalid("events", fmt::format("at most {} events per request", kMaxEventsPerBatch));
  }
  std::vector<SessionEvent> rows;
  rows.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const DeploymentEvent& event = events[i];
    if (event.idempotency_key.empty() || event.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
      return Invalid(fmt::format("events[{}].idempotencyKey", i),
                     fmt::format("must be 1 to {} bytes", kMaxIdempotencyKeyBytes));
    }
    if (event.kind.size() > kMaxEventKindBytes || !IsIdentifier(event.kind, false)) {
      return Invalid(fmt::format("events[{}].kind", i), "must be letters and digits");
    }
    json::object detail = event.detail;
    GC_RETURN_IF_ERROR(CheckDetail(event.kind, detail, fmt::format("events[{}].detail", i)));
    SessionEvent row;
    row.session_id = std::string(session_id);
    row.idempotency_key = event.idempotency_key;
    row.at = event.at;
    row.kind = event.kind;
    row.detail = json::serialize(detail);
    rows.push_back(std::move(row));
  }
  json::array sequences;
  int64_t highest = 0;
  Status done = store_.Transact([&]() -> Status {
    if (Result<DeploymentSession> session = OwnSession(caller, id, session_id); !session) {
      return session.error();
    }
    for (const SessionEvent& row : rows) {
      Result<SessionEvent> stored = store_.sessions().AppendEvent(row);
      if (!stored) return stored.error();
      sequences.push_back(stored->sequence);
      highest = std::max(highest, stored->sequence);
    }
    return Ok{};
  });
  if (!done) return done.error();
  Appended(highest);
  return json::object{{"sequences", std::move(sequences)}};
}

Result<json::object> DeploymentService::FinishSession(const DeviceCaller& caller,
                                                      std::string_view id,
                                                      std::string_view session_id,
                                                      std::string_view deployment_state,
                                                      core::Timestamp finished) {
  if (!IsFinalState(deployment_state)) {
    std::string names;
    for (const std::string& state : FinalStates()) {
      names += fmt::format("{}\"{}\"", names.empty() ? "" : ", ", state);
    }
    return Invalid("deploymentState",
                   fmt::format("expected one of {}, found \"{}\"", names, deployment_state));
  }
  json::object out;
  std::optional<DeploymentTransition> ended;  // set when this call ends the session
  Status done = store_.Transact([&]() -> Status {
    Result<DeploymentSession> session = OwnSession(caller, id, session_id);
    if (!session) return session.error();
    if (!IsFinalState(session->deployment_state)) {
      ended = DeploymentTransition{true, session->flow, std::string(id), std::string(session_id),
                                   std::string(deployment_state)};
    }
    session->deployment_state = std::string(deployment_state);
    session->finished_date_time = finished;
    if (Status updated = store_.sessions().UpdateSession(*session); !updated) return updated;
    out = ToJson(*session);
    return Ok{};
  });
  if (!done) return done.error();
  if (ended && options_.on_transition) options_.on_transition(*ended);
  return out;
}

Result<json::object> DeploymentService::Report(std::string_view serial_number) {
  Result<std::optional<DeviceRecord>> found = store_.devices().FindBySerialNumber(serial_number);
  if (!found) return found.error();
  if (!*found) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no registered device has serial number {}", serial_number),
                     "serialNumber");
  }
  const core::AutopilotDeviceIdentity& device = (*found)->value;
  Result<std::optional<store::DeviceTrustRecord>> trust =
      store_.device_trust().Find(device.id.value());
  if (!trust) return trust.error();

  std::vector<DeploymentSession> sessions;
  store::SessionFilter filter;
  filter.device_id = device.id.value();
  store::PageRequest page{.after = "", .limit = store::kMaxPageSize};
  for (;;) {
    Result<store::Page<DeploymentSession>> listed = store_.sessions().ListSessions(filter, page);
    if (!listed) return listed.error();
    for (DeploymentSession& session : listed->items) sessions.push_back(std::move(session));
    if (listed->next_after.empty()) break;
    page.after = listed->next_after;
  }
  // Each session with its events; sessions in the order they started (a second apart at best,
  // so ties go by their first stored event).
  std::vector<std::pair<DeploymentSession, std::vector<SessionEvent>>> timeline;
  for (DeploymentSession& session : sessions) {
    std::vector<SessionEvent> events;
    store::PageRequest events_page{.after = "", .limit = store::kMaxPageSize};
    for (;;) {
      Result<store::Page<SessionEvent>> listed =
          store_.sessions().ListEvents(session.id, events_page);
      if (!listed) return listed.error();
      for (SessionEvent& event : listed->items) events.push_back(std::move(event));
      if (listed->next_after.empty()) break;
      events_page.after = listed->next_after;
    }
    timeline.emplace_back(std::move(session), std::move(events));
  }
  auto order = [](const auto& entry) {
    const auto& [session, events] = entry;
    return std::tuple(session.started_date_time,
                      events.empty() ? INT64_MAX : events.front().sequence,
                      session.flow != "technician");
  };
  std::stable_sort(timeline.begin(), timeline.end(),
                   [&](const auto& a, const auto& b) { return order(a) < order(b); });
  json::array reports;
  for (const auto& [session, events] : timeline) reports.push_back(SessionReport(session, events));

  json::object summary;
  summary["id"] = device.id.value();
  summary["serialNumber"] = device.serial_number;
  std::string name = *trust ? (*trust)->value.display_name : std::string();
  if (name.empty()) name = device.display_name;
  summary["displayName"] = name.empty() ? json::value(nullptr) : json::value(name);
  summary["userPrincipalName"] = device.user_principal_name.empty()
                                     ? json::value(nullptr)
                                     : json::value(device.user_principal_name);
  summary["enrollmentState"] = core::ToString(device.enrollment_state);
  summary["resealedDateTime"] =
      TimeOrNull(*trust ? (*trust)->value.resealed_date_time : std::nullopt);
  json::object out;
  out["device"] = std::move(summary);
  out["deploymentState"] =
      reports.empty() ? json::value(nullptr) : reports.back().as_object().at("deploymentState");
  out["sessions"] = std::move(reports);
  return out;
}

Result<json::object> DeploymentService::Events(int64_t after, int limit, std::chrono::seconds wait,
                                               const store::SessionFilter& filter) {
  if (after < 0) return Invalid("after", "must be a sequence number (0 or more)");
  if (wait.count() < 0) return Invalid("waitSeconds", "must not be negative");
  wait = std::min(wait, options_.max_wait);
  store::PageRequest request{.after = std::to_string(after), .limit = limit};

  bool waiting = false;
  if (wait.count() > 0) {
    std::lock_guard lock(wait_mutex_);
    if (!stopping_ && waiters_ < options_.max_waiters) {
      ++waiters_;
      waiting = true;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  Result<store::Page<SessionEvent>> page = store::Page<SessionEvent>{};
  for (;;) {
    int64_t seen = 0;
    {
      std::lock_guard lock(wait_mutex_);
      seen = last_sequence_;
    }
    page = filter.empty() ? store_.sessions().ListAllEvents(request)
                          : store_.sessions().ListMatchingEvents(filter, request);
    if (!page || !page->items.empty() || !waiting) break;
    if (!page->next_after.empty()) request.after = page->next_after;  // none of those matched
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::unique_lock lock(wait_mutex_);
    if (stopping_) break;
    // Woken by AppendEvents; the one-second slices also see events written by other writers.
    appended_.wait_until(lock, std::min(deadline, now + std::chrono::seconds(1)),
                         [&] { return stopping_ || last_sequence_ > seen; });
  }
  if (waiting) {
    std::lock_guard lock(wait_mutex_);
    --waiters_;
  }
  if (!page) return page.error();

  std::map<std::string, std::optional<DeploymentSession>> sessions;
  std::map<std::string, std::string> serials;
  json::array value;
  int64_t last = std::max<int64_t>(after, std::stoll(request.after));
  if (!page->next_after.empty()) last = std::max<int64_t>(last, std::stoll(page->next_after));
  for (const SessionEvent& event : page->items) {
    auto [it, fresh] = sessions.try_emplace(event.session_id);
    if (fresh) {
      Result<DeploymentSession> session = store_.sessions().GetSession(event.session_id);
      if (session) it->second = std::move(*session);
    }
    json::object out;
    out["sequence"] = event.sequence;
    out["sessionId"] = event.session_id;
    out["deviceId"] = it->second ? json::value(it->second->device_id) : json::value(nullptr);
    out["serialNumber"] = nullptr;
    out["flow"] = it->second ? json::value(it->second->flow) : json::value(nullptr);
    if (it->second) {
      const std::string& device_id = it->second->device_id;
      auto [serial, unseen] = serials.try_emplace(device_id);
      if (unseen) {
        Result<DeviceRecord> device = store_.devices().Get(core::ZtdId{device_id});
        if (device) serial->second = device->value.serial_number;
      }
      if (!serial->second.empty()) out["serialNumber"] = serial->second;
    }
    out["at"] = wire::FormatTimestamp(event.at);
    out["kind"] = event.kind;
    Result<json::value> detail = wire::ParseJson(event.detail, "detail");
    out["detail"] = detail ? std::move(*detail) : json::value(event.detail);
    value.push_back(std::move(out));
    last = std::max(last, event.sequence);
  }
  return json::object{{"value", std::move(value)}, {"nextAfter", std::to_string(last)}};
}

void DeploymentService::StopWaiting() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  appended_.notify_all();
}

void DeploymentService::Appended(int64_t sequence) {
  {
    std::lock_guard lock(wait_mutex_);
    last_sequence_ = std::max(last_sequence_, sequence);
  }
  appended_.notify_all();
}

}  // namespace groundcrew::service
