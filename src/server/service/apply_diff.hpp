#pragma once

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The field-level difference an apply reports for an update (docs/admin-api.md, "Declarative
// tenants"). Pure functions of JSON values.
namespace groundcrew::service {

/// One field an update changes: `path` is the property path ("displayVersion",
/// "settings.screenLock.idleMinutes", "detectionRules[0].value"). `from` is absent when the
/// field was not set, `to` when it is removed. A secret field (IsSecretField) carries neither:
/// `secret` says it changed.
struct FieldChange {
  std::string path;
  std::optional<boost::json::value> from;
  std::optional<boost::json::value> to;
  bool secret = false;

  friend bool operator==(const FieldChange&, const FieldChange&) = default;
};

/// Whether a field holds a secret whose value an apply never reports: its last property is
/// named (any case) preSharedKey, productKey, password, secret, token, apiKey or privateKey, or
/// ends in one of them (adminPassword, clientSecret, refreshToken). "passwordRequired" is not.
bool IsSecretField(std::string_view path);

/// The fields that differ from `before` to `after`. Objects recurse by key (the keys of
/// `after` in order, then those only `before` has); arrays of equal length whose elements are
/// all objects recurse by index ("detectionRules[0].value"); anything else compares whole (a
/// list of names that changed is one field). Equal values give nothing.
std::vector<FieldChange> DiffFields(const boost::json::value& before,
                                    const boost::json::value& after);

}  // namespace groundcrew::service
