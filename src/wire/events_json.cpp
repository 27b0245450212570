// The events a device reports during a deployment session (docs/device-api.md "Sessions and
// events").
#include "wire/events_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <utility>

#include "common/text.hpp"
#include "core/flow/flow_common.hpp"
#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::Invalid;

namespace {

// `"a", "b", "c"` for "expected one of" messages.
std::string QuotedList(const std::vector<std::string>& names) {
  std::string list;
  for (const std::string& name : names) {
    list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", name);
  }
  return list;
}

// Checks the documented properties of one event's detail; properties beyond the documented
// ones are left alone. `path` is "events[i].detail".
class DetailChecker {
 public:
  DetailChecker(const json::object& detail, std::string_view path) : detail_(detail), path_(path) {}

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
    return Invalid(PathOf(key),
                   fmt::format("expected one of {}, found \"{}\"", QuotedList(allowed), value));
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
    if (PhaseFromName(given)) return Ok{};
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
  const json::object& detail_;
  std::string_view path_;
};

}  // namespace

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
        if (event.kind.size() > kMaxEventKindBytes || !text::IsAsciiAlnum(event.kind)) {
          return Invalid(field, fmt::format("must be 1 to {} letters and digits, e.g. "
                                            "\"itemStarted\"",
                                            kMaxEventKindBytes));
        }
      } else if (key == "at") {
        Result<core::Timestamp> at = ParseTimestamp(value.as_string());
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

Status CheckEventDetail(std::string_view kind, const json::object& detail, std::string_view path) {
  DetailChecker d(detail, path);
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
  if (kind == "flowFinished") return d.Choice("deploymentState", FinalDeploymentStates());
  return Ok{};
}

Result<std::vector<CheckedEvent>> CheckEvents(const std::vector<DeploymentEvent>& events) {
  if (events.size() > kMaxEventsPerBatch) {
    return Invalid("events", fmt::format("at most {} events per request", kMaxEventsPerBatch));
  }
  std::vector<CheckedEvent> checked;
  checked.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const DeploymentEvent& event = events[i];
    if (event.idempotency_key.empty() || event.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
      return Invalid(fmt::format("events[{}].idempotencyKey", i),
                     fmt::format("must be 1 to {} bytes", kMaxIdempotencyKeyBytes));
    }
    if (event.kind.size() > kMaxEventKindBytes || !text::IsAsciiAlnum(event.kind)) {
      return Invalid(fmt::format("events[{}].kind", i), "must be letters and digits");
    }
    GC_RETURN_IF_ERROR(
        CheckEventDetail(event.kind, event.detail, fmt::format("events[{}].detail", i)));
    checked.push_back({event.idempotency_key, event.at, event.kind, json::serialize(event.detail)});
  }
  return checked;
}

json::object Encode(const AppendedEvents& appended) {
  json::array sequences;
  for (const std::int64_t sequence : appended.sequences) sequences.push_back(sequence);
  return {{"sequences", std::move(sequences)}};
}

const std::vector<std::string>& FinalDeploymentStates() {
  static const std::vector<std::string> states = [] {
    std::vector<std::string> final_states;
    for (int s = 0; s <= static_cast<int>(core::DeploymentState::kSuccessOnRetry); ++s) {
      const auto state = static_cast<core::DeploymentState>(s);
      if (state != core::DeploymentState::kInProgress) {
        final_states.emplace_back(core::ToString(state));
      }
    }
    return final_states;
  }();
  return states;
}

bool IsFinalDeploymentState(std::string_view state) {
  const std::vector<std::string>& states = FinalDeploymentStates();
  return std::find(states.begin(), states.end(), state) != states.end();
}

Status CheckFinalDeploymentState(std::string_view state, std::string_view field) {
  if (IsFinalDeploymentState(state)) return Ok{};
  return Invalid(field, fmt::format("expected one of {}, found \"{}\"",
                                    QuotedList(FinalDeploymentStates()), state));
}

}  // namespace groundcrew::wire
