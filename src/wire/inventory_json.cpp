#include "wire/inventory_json.hpp"

#include <fmt/format.h>

#include "wire/json_reader.hpp"
#include "wire/model_json.hpp"
#include "wire/spellings.hpp"

namespace groundcrew::wire {
namespace json = boost::json;
using internal::Invalid;
using internal::ObjectReader;

namespace {

// The required property `key` of the object `reader` reads ("<path>: required" when absent).
Result<const json::value*> Required(ObjectReader& reader, std::string_view key) {
  const json::value* value = reader.Take(key);
  if (value == nullptr) return Invalid(reader.PathOf(key), "required");
  return value;
}

// A timestamp property: "<path>: expected a UTC time like 2026-11-25T13:00:00Z, found ...".
Status ReadTimestamp(ObjectReader& reader, std::string_view key, core::Timestamp& out) {
  Result<const json::value*> value = Required(reader, key);
  if (!value) return value.error();
  std::string text;
  GC_RETURN_IF_ERROR(internal::ReadString(**value, reader.PathOf(key), text));
  Result<core::Timestamp> time = ParseTimestamp(text);
  if (!time) {
    return Invalid(
        reader.PathOf(key),
        fmt::format("expected a UTC time like 2026-11-25T13:00:00Z, found \"{}\"", text));
  }
  out = *time;
  return Ok{};
}

}  // namespace

Status DecodeInventory(const json::value& json, std::string_view key,
                       std::vector<core::InstalledItem>& out) {
  Status decoded = Decode(json, out);
  if (decoded) return Ok{};
  // Decode's paths are relative to the array: "[2].outcome" -> "<key>[2].outcome".
  Error error = decoded.error();
  const bool indexed = error.field.starts_with("[");
  error.field = std::string(key) + error.field;
  error.message = std::string(key) + (indexed ? "" : ": ") + error.message;
  return error;
}

json::object Encode(const core::ReportedInventory& inventory) {
  return {{"flow", internal::NameOf(internal::kFlows, inventory.flow)},
          {"sessionId", inventory.session_id},
          {"reportedDateTime", FormatTimestamp(inventory.reported_date_time)},
          {"items", Encode(inventory.items)}};
}

Status Decode(const json::value& json, core::ReportedInventory& out) {
  Result<ObjectReader> reader = ObjectReader::Open(json, "");
  if (!reader) return reader.error();
  core::ReportedInventory decoded;
  for (std::string_view key : {"flow", "sessionId"}) {
    if (reader->Take(key) == nullptr) return Invalid(key, "required");
  }
  GC_RETURN_IF_ERROR(reader->Enum("flow", internal::kFlows, decoded.flow));
  GC_RETURN_IF_ERROR(reader->String("sessionId", decoded.session_id));
  GC_RETURN_IF_ERROR(ReadTimestamp(*reader, "reportedDateTime", decoded.reported_date_time));
  Result<const json::value*> items = Required(*reader, "items");
  if (!items) return items.error();
  GC_RETURN_IF_ERROR(DecodeInventory(**items, "items", decoded.items));
  GC_RETURN_IF_ERROR(reader->Finish());
  out = std::move(decoded);
  return Ok{};
}

std::string_view UserFlowBasisName(bool reported) {
  return reported ? "reportedInventory" : "assumedCleanTechnicianFlow";
}

json::object Encode(const SessionFinish& finish) {
  json::object body{{"deploymentState", finish.deployment_state},
                    {"finishedDateTime", FormatTimestamp(finish.finished_date_time)}};
  if (finish.inventory) body["inventory"] = Encode(*finish.inventory);
  return body;
}

Status Decode(const json::value& json, SessionFinish& out) {
  Result<ObjectReader> reader = ObjectReader::Open(json, "");
  if (!reader) return reader.error();
  SessionFinish decoded;
  if (reader->Take("deploymentState") == nullptr) return Invalid("deploymentState", "required");
  GC_RETURN_IF_ERROR(reader->String("deploymentState", decoded.deployment_state));
  GC_RETURN_IF_ERROR(ReadTimestamp(*reader, "finishedDateTime", decoded.finished_date_time));
  if (const json::value* inventory = reader->Take("inventory")) {
    decoded.inventory.emplace();
    GC_RETURN_IF_ERROR(DecodeInventory(*inventory, "inventory", *decoded.inventory));
  }
  GC_RETURN_IF_ERROR(reader->Finish());
  out = std::move(decoded);
  return Ok{};
}

}  // namespace groundcrew::wire
