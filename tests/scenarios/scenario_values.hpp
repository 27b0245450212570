#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/model/assignment.hpp"
#include "core/model/device.hpp"
#include "core/model/ids.hpp"

// How scenario files spell values, and the names they use for core enums that have no ToString.
namespace groundcrew::core::scenarios {

/// Scenario time starts here unless `clock` says otherwise.
extern const Timestamp kDefaultStart;

/// kInvalidArgument: the scenario itself is malformed.
Error Bad(std::string message);

Result<bool> ParseBool(std::string_view v);          ///< yes/no, true/false, on/off
Result<long long> ParseInt(std::string_view v);      ///< decimal
Result<std::int64_t> ParseCode(std::string_view v);  ///< decimal exit code or 0x HRESULT
Result<std::chrono::seconds> ParseDuration(std::string_view v);  ///< "+61m", "1h30m", "90s", "2d"
std::string FormatDuration(std::chrono::seconds d);              ///< "61m", or "90s"
Result<Timestamp> ParseTime(std::string_view v);  ///< "2024-05-01" or "2024-05-01T10:00:00Z"

/// "a,b" -> {a, b}; "" and "none" -> {}.
std::vector<std::string> SplitList(std::string_view v);
/// {a, b} -> "a,b"; {} -> "none".
std::string JoinOrNone(const std::vector<std::string>& items);

Result<EspPhase> ParsePhase(std::string_view v);
Result<PreparationStep> ParseStep(std::string_view v);
Result<RebootKind> ParseReboot(std::string_view v);
/// group:<id>, exclude:<id>, all-devices, all-users.
Result<AssignmentTarget> ParseTarget(std::string_view v);

/// The element of `items` whose id is `id`, or null.
template <class T>
T* FindById(std::vector<T>& items, std::string_view id) {
  for (T& item : items) {
    if (item.id.value() == id) return &item;
  }
  return nullptr;
}
template <class T>
const T* FindById(const std::vector<T>& items, std::string_view id) {
  for (const T& item : items) {
    if (item.id.value() == id) return &item;
  }
  return nullptr;
}

}  // namespace groundcrew::core::scenarios
