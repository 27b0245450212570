#pragma once

#include <boost/json/object.hpp>

#include "device/flow/screen.hpp"

// The screen model as JSON, for the `json` view (one object per change) and the web view (a
// browser).
namespace groundcrew::device {

/// Whether the JSON may carry what only the device's own screen may show.
enum class Secrets {
  kLeaveOut,  ///< logs and tools: a secret field's value and a secret QR code are left out
  kInclude,   ///< the device's own screen
};

/// {"screen": "landing", "title": ..., "text": [...], "fields": [{"label", "value"}],
///  "qr": "...", "checks": [{"label", "passed", "detail"}], "phases": [{"phase": "deviceSetup",
///  "name", "status", "details", "categories": [{"name", "status", "done", "total", "items":
///  [{"id", "name", "state", "progress", "attempt", "elapsedSeconds", "error"}]}]}],
///  "inputs": [{"name", "label", "value", "secret", "locked"}], "notice": {"tone", "text"},
///  "buttons": [{"action": "provision", "label", "key", "phase", "hidden"}]}. Empty members are
/// left out. A hidden button (the technician key) is listed with "hidden": true: views take its
/// key but never draw it.
boost::json::object ScreenJson(const Screen& screen, Secrets secrets);

}  // namespace groundcrew::device
