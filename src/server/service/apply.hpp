#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/service/device_service.hpp"
#include "server/store/store.hpp"

namespace groundcrew::service {

/// One resource an apply looked at.
struct ApplyChange {
  std::string kind;    ///< "users", "groups", ..., "assignments", "autopilotDevices", "tenant"
  std::string name;    ///< the key it is matched by (display name, UPN, serial number...)
  std::string action;  ///< "create", "update", "delete" or "unchanged"
};

struct ApplyOutcome {
  bool dry_run = false;
  std::vector<ApplyChange> changes;
};

/// Makes the catalog and the registered devices look like a declarative tenant document
/// (docs/admin-api.md, "Declarative tenants"), in one transaction: everything is matched by
/// name, references are by name, and applying the same document again changes nothing.
/// Resources the document does not mention are left alone, except the assignments of payloads
/// it lists (the document says all of a payload's assignments). With `dry_run` the same work
/// is done and rolled back, so the answer is exactly what a real apply would do.
/// kInvalidArgument names the document path ("apps[Company Portal].dependencies[0].app").
class ApplyService {
 public:
  ApplyService(store::Store& store, Catalog& catalog, DeviceService& devices, Clock clock)
      : store_(store), catalog_(catalog), devices_(devices), clock_(std::move(clock)) {}

  [[nodiscard]] Result<ApplyOutcome> Apply(const Actor& actor, const boost::json::value& document,
                                           bool dry_run);

 private:
  store::Store& store_;
  Catalog& catalog_;
  DeviceService& devices_;
  Clock clock_;
};

/// The outcome as the API answers it: {"dryRun", "changes": [{kind, name, action}],
/// "summary": {"create": n, "update": n, "delete": n, "unchanged": n}}.
boost::json::object ToJson(const ApplyOutcome& outcome);

}  // namespace groundcrew::service
