#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api.hpp"

// Resources named the way admins name them: devices by serial number, users by user principal
// name, everything else by display name, or any of them by id. One lookup for every command
// that takes a resource.
namespace groundcrew::cli {

/// A kind of resource the admin API lists at /v1/<collection>.
struct ResourceKind {
  std::string collection;     ///< the API's spelling: "apps", "autopilotDevices"
  std::string singular;       ///< in messages: "app", "device"
  std::string plural;         ///< in messages: "apps", "devices"
  std::string name_property;  ///< what names it: "displayName", "serialNumber"; "" = ids only
  std::vector<std::string> aliases;      ///< other words for it: "app", "device", "devices"
  std::string other_name_property = {};  ///< a second, not unique name: users' "displayName"
};

/// Every kind commands take, in `groundcrew get`'s order.
const std::vector<ResourceKind>& ResourceKinds();

/// The words `get` and `delete` accept for kinds: collections and aliases.
std::vector<std::string> KindWords();

/// The kind `typed` stands for: a collection ("apps"), a singular ("app") or an alias
/// ("devices"), in any case. invalid_argument naming `field` (with "did you mean") otherwise.
ApiResult<const ResourceKind*> ParseKind(std::string_view typed, std::string_view field = "KIND");

/// One resource found by reference.
struct Resolved {
  std::string id;
  std::string name;           ///< its name property ("" when the kind has none)
  boost::json::value object;  ///< as the server listed it
};

/// The resource of `kind` that `reference` names: the one whose id is `reference`, else whose
/// name is exactly `reference`, else whose name equals it apart from case, else likewise by its
/// other name (users by display name, which several may share). Devices are looked up
/// by id, then by serial number with the server's filter (never a full listing). Errors name
/// `field`: not_found says how to list the kind and suggests close names; invalid_argument when
/// several resources carry the name, listing their ids.
ApiResult<Resolved> Resolve(Api& api, const ResourceKind& kind, std::string_view reference,
                            std::string_view field = "NAME");

/// `call(serial)` for a device the API takes by serial number (plan, report): with `reference`
/// first; when no device has that serial number (not_found) and a device has `reference` as its
/// id, again with that device's serial number. Otherwise `call`'s answer.
ApiResult<boost::json::value> CallWithSerial(
    Api& api, std::string_view reference,
    const std::function<ApiResult<boost::json::value>(const std::string& serial)>& call);

/// Resolve's matching over resources already listed (any kind's list, e.g. credentials').
ApiResult<Resolved> FindByName(const ResourceKind& kind, const boost::json::array& items,
                               std::string_view reference, std::string_view field = "NAME");

/// Resolve by the kind's collection name ("groups", "autopilotDevices"). REQUIRES: a known kind.
ApiResult<Resolved> Resolve(Api& api, std::string_view collection, std::string_view reference,
                            std::string_view field = "NAME");

}  // namespace groundcrew::cli
