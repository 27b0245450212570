#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/service/apply_diff.hpp"
#include "server/service/catalog.hpp"
#include "server/service/content_store.hpp"
#include "server/service/context.hpp"
#include "server/service/device_service.hpp"
#include "server/store/store.hpp"

namespace groundcrew::service {

/// One resource an apply looked at.
struct ApplyChange {
  std::string kind;    ///< "users", "groups", ..., "assignments", "autopilotDevices", "tenant"
  std::string name;    ///< the key it is matched by (display name, UPN, serial number...)
  std::string action;  ///< "create", "update", "delete" or "unchanged"
  std::vector<FieldChange> fields;  ///< for "update": what changes (never empty then)
};

/// App content the document refers to that the server does not hold (PUT /v1/content/{sha256}).
struct ContentToUpload {
  std::string sha256;
  std::string file_name;
  std::int64_t size = 0;
  std::vector<std::string> apps;  ///< the apps that refer to it, by name
};

/// How to apply.
struct ApplyMode {
  /// Do the work, report it and roll it back. Content that is not on the server yet is
  /// reported in `content_to_upload` instead of refusing the document.
  bool dry_run = false;
  /// Also delete the resources of the kinds the document manages that it does not list (see
  /// ApplyService).
  bool prune = false;
};

/// What an apply did, would do (dry run), or why it refused the document.
struct ApplyOutcome {
  bool dry_run = false;
  bool prune = false;
  /// Deletions first, then the rest in the order applied. Empty when `problems` is not.
  std::vector<ApplyChange> changes;
  std::vector<ContentToUpload> content_to_upload;  ///< dry runs only
  /// Every problem of the document (kInvalidArgument, `field` the document path, `message`
  /// starting with it). When not empty, nothing was written.
  std::vector<Error> problems;
};

/// Makes the catalog and the registered devices look like a declarative tenant document
/// (docs/admin-api.md, "Declarative tenants"), in one transaction: everything is matched by
/// name, references are by name, and applying the same document again changes nothing.
/// Resources the document does not mention are left alone, except the assignments of payloads
/// it lists (the document says all of a payload's assignments).
///
/// With `prune`, the document manages every kind whose section it has (users, groups, apps,
/// policies, certificateProfiles, networkProfiles, compliancePolicies, deploymentProfiles,
/// espProfiles; autopilotDevices when it has `devices`; never the tenant): resources of those
/// kinds it does not list are deleted, with their assignments. References of a managed kind
/// then resolve only to what the document lists, so nothing kept can refer to what is deleted;
/// a deletion that a resource the document does not manage still refers to is a problem naming
/// that referrer.
///
/// The document's problems are all collected (every field that does not decode, every
/// reference that resolves to nothing, every refused device row, ...) and returned together in
/// ApplyOutcome::problems; errors of the store are returned as errors. With `dry_run` the same
/// work is done and rolled back, so the answer is exactly what a real apply would do.
class ApplyService {
 public:
  /// `content` may be a reference to an object constructed later (only used in Apply).
  ApplyService(store::Store& store, Catalog& catalog, DeviceService& devices,
               const ContentStore& content, Clock clock)
      : store_(store),
        catalog_(catalog),
        devices_(devices),
        content_(content),
        clock_(std::move(clock)) {}

  [[nodiscard]] Result<ApplyOutcome> Apply(const Actor& actor, const boost::json::value& document,
                                           ApplyMode mode);

 private:
  store::Store& store_;
  Catalog& catalog_;
  DeviceService& devices_;
  const ContentStore& content_;
  Clock clock_;
};

/// The outcome as the API answers it: {"dryRun", "prune", "changes": [{kind, name, action,
/// fields?: [{path, from?, to?, secret?}]}], "contentToUpload": [{sha256, fileName, size,
/// apps}], "summary": {"create": n, "update": n, "delete": n, "unchanged": n}}.
/// REQUIRES: outcome.problems is empty.
boost::json::object ToJson(const ApplyOutcome& outcome);

/// The error a refused document answers with: kInvalidArgument whose message and field are the
/// problem's when there is one, else "the document has N problems, ..." with the first's
/// field. The problems themselves go in the answer's `details` (error_mapping.hpp).
/// REQUIRES: `problems` is not empty.
Error DocumentRefused(const std::vector<Error>& problems);

}  // namespace groundcrew::service
