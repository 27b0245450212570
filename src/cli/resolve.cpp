#include "cli/resolve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>

#include "cli/render.hpp"
#include "cli/suggest.hpp"
#include "common/text.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

ApiError NotFound(const ResourceKind& kind, std::string_view reference, std::string_view field,
                  const std::vector<std::string>& names) {
  const std::string by = kind.name_property == "serialNumber"        ? "serial number or id"
                         : kind.name_property == "userPrincipalName" ? "user principal name or id"
                         : kind.name_property.empty()                ? "id"
                                                                     : "name or id";
  const std::string list = kind.collection == "autopilotDevices"
                               ? "groundcrew devices list"
                               : "groundcrew get " + kind.collection;
  const std::string hint = DidYouMean(Suggestions(reference, names));
  return ApiError{"not_found",
                  fmt::format("no {} has the {} \"{}\"{}; list them with `{}`", kind.singular, by,
                              reference, hint.empty() ? "" : " (" + hint + ")", list),
                  std::string(field), 0};
}

Resolved From(const ResourceKind& kind, const json::value& item) {
  return Resolved{CellText(item, "id"),
                  kind.name_property.empty() ? "" : CellText(item, kind.name_property), item};
}

ApiResult<Resolved> ResolveDevice(Api& api, const ResourceKind& kind, std::string_view reference,
                                  std::string_view field) {
  auto by_id = api.Call("GET", "/v1/autopilotDevices/" + UrlEscape(reference));
  if (by_id) return From(kind, *by_id);
  if (by_id.error().code != "not_found") return by_id.error();
  auto by_serial =
      api.ListAll("/v1/autopilotDevices?serialNumber=" + UrlEscape(text::Trim(reference)));
  if (!by_serial) return by_serial.error();
  if (by_serial->size() == 1) return From(kind, by_serial->front());
  if (by_serial->empty()) return NotFound(kind, reference, field, {});
  std::string ids;
  for (const json::value& item : *by_serial)
    ids += (ids.empty() ? "" : ", ") + CellText(item, "id");
  return ApiError{"invalid_argument",
                  fmt::format("{} devices have the serial number \"{}\" (ids {}): give the id",
                              by_serial->size(), reference, ids),
                  std::string(field), 0};
}

}  // namespace

const std::vector<ResourceKind>& ResourceKinds() {
  static const auto* kinds = new std::vector<ResourceKind>{
      {"users", "user", "users", "userPrincipalName", {"user"}, "displayName"},
      {"groups", "group", "groups", "displayName", {"group"}},
      {"deploymentProfiles",
       "deployment profile",
       "deployment profiles",
       "displayName",
       {"deploymentProfile"}},
      {"espProfiles", "ESP profile", "ESP profiles", "displayName", {"espProfile"}},
      {"apps", "app", "apps", "displayName", {"app"}},
      {"policies", "policy", "policies", "displayName", {"policy"}},
      {"certificateProfiles",
       "certificate profile",
       "certificate profiles",
       "displayName",
       {"certificateProfile"}},
      {"networkProfiles", "network profile", "network profiles", "displayName", {"networkProfile"}},
      {"compliancePolicies",
       "compliance policy",
       "compliance policies",
       "displayName",
       {"compliancePolicy"}},
      {"assignments", "assignment", "assignments", "", {"assignment"}},
      {"autopilotDevices",
       "device",
       "devices",
       "serialNumber",
       {"autopilotDevice", "devices", "device"}},
  };
  return *kinds;
}

std::vector<std::string> KindWords() {
  std::vector<std::string> words;
  for (const ResourceKind& kind : ResourceKinds()) {
    words.push_back(kind.collection);
    words.insert(words.end(), kind.aliases.begin(), kind.aliases.end());
  }
  return words;
}

ApiResult<const ResourceKind*> ParseKind(std::string_view typed, std::string_view field) {
  for (const ResourceKind& kind : ResourceKinds()) {
    if (text::EqualsIgnoreCase(kind.collection, typed)) return &kind;
    for (const std::string& alias : kind.aliases) {
      if (text::EqualsIgnoreCase(alias, typed)) return &kind;
    }
  }
  std::vector<std::string> collections;
  for (const ResourceKind& kind : ResourceKinds()) collections.push_back(kind.collection);
  // Suggest each kind once, by its collection's name, whichever of its words was close.
  std::vector<std::string> close;
  for (const std::string& word : Suggestions(typed, KindWords(), 10)) {
    auto kind = ParseKind(word);
    if (kind && std::find(close.begin(), close.end(), (*kind)->collection) == close.end()) {
      close.push_back((*kind)->collection);
    }
  }
  if (close.size() > 3) close.resize(3);
  const std::string hint = DidYouMean(close);
  std::string all;
  for (const std::string& c : collections) all += (all.empty() ? "" : ", ") + c;
  return ApiError{
      "invalid_argument",
      fmt::format("unknown kind \"{}\"; {}", typed, hint.empty() ? "the kinds are " + all : hint),
      std::string(field), 0};
}

ApiResult<Resolved> Resolve(Api& api, const ResourceKind& kind, std::string_view reference,
                            std::string_view field) {
  if (text::Trim(reference).empty()) {
    return ApiError{"invalid_argument", fmt::format("no {} given", kind.singular),
                    std::string(field), 0};
  }
  if (kind.collection == "autopilotDevices") return ResolveDevice(api, kind, reference, field);
  auto items = api.ListAll("/v1/" + kind.collection);
  if (!items) return items.error();
  return FindByName(kind, *items, reference, field);
}

ApiResult<json::value> CallWithSerial(
    Api& api, std::string_view reference,
    const std::function<ApiResult<json::value>(const std::string& serial)>& call) {
  ApiResult<json::value> answer = call(std::string(reference));
  if (answer || answer.error().code != "not_found") return answer;
  auto by_id = api.Call("GET", "/v1/autopilotDevices/" + UrlEscape(reference));
  if (!by_id) return answer;  // not an id either: the first answer says so
  return call(CellText(*by_id, "serialNumber"));
}

ApiResult<Resolved> FindByName(const ResourceKind& kind, const json::array& items,
                               std::string_view reference, std::string_view field) {
  for (const json::value& item : items) {
    if (CellText(item, "id") == reference) return From(kind, item);
  }
  std::vector<std::string> names;
  // By the name, then by the other name; each exactly, then apart from case.
  for (const std::string* property : {&kind.name_property, &kind.other_name_property}) {
    if (property->empty()) continue;
    for (const bool exact : {true, false}) {
      std::vector<const json::value*> matches;
      for (const json::value& item : items) {
        const std::string name = CellText(item, *property);
        if (exact) names.push_back(name);
        if (exact ? name == reference : text::EqualsIgnoreCase(name, reference)) {
          matches.push_back(&item);
        }
      }
      if (matches.size() == 1) return From(kind, *matches.front());
      if (matches.empty()) continue;
      std::sort(matches.begin(), matches.end(), [&](const json::value* a, const json::value* b) {
        return std::pair(CellText(*a, kind.name_property), CellText(*a, "id")) <
               std::pair(CellText(*b, kind.name_property), CellText(*b, "id"));
      });
      std::string candidates;
      for (const json::value* item : matches) {
        candidates += (candidates.empty() ? "" : ", ") + CellText(*item, "id");
        if (*property != kind.name_property) {
          candidates += " (" + CellText(*item, kind.name_property) + ")";
        }
      }
      return ApiError{
          "invalid_argument",
          fmt::format("{} {} are named \"{}\"{}: {}; give the {} of the one you mean",
                      matches.size(), kind.plural, reference, exact ? "" : " apart from case",
                      candidates,
                      *property == kind.name_property
                          ? "id"
                          : "id or " + std::string(kind.name_property == "userPrincipalName"
                                                       ? "user principal name"
                                                       : "name")),
          std::string(field), 0};
    }
  }
  return NotFound(kind, reference, field, names);
}

ApiResult<Resolved> Resolve(Api& api, std::string_view collection, std::string_view reference,
                            std::string_view field) {
  for (const ResourceKind& kind : ResourceKinds()) {
    if (kind.collection == collection) return Resolve(api, kind, reference, field);
  }
  return ApiError{"internal", fmt::format("unknown kind {}", collection), std::string(field), 0};
}

}  // namespace groundcrew::cli
