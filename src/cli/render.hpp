#pragma once

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

// Human renderings of the admin API's answers. Pure functions of the JSON (no I/O but the
// stream), so they are tested byte for byte against golden files in src/cli/testdata/.
// Unknown or missing properties render as empty cells rather than failing: the server may
// grow fields the CLI does not know yet.
namespace groundcrew::cli {

enum class Color { kRed, kGreen, kYellow, kBold, kDim };

/// Whether to colour text (ANSI escapes). Off unless the stream is a terminal and NO_COLOR
/// is unset; decided by the caller.
struct Style {
  bool color = false;
  /// `text` wrapped in the escape sequence for `color`, or `text` unchanged when colour is off.
  std::string Paint(std::string_view text, Color color) const;
};

/// `value` as compact JSON that is safe to print on a terminal: besides the control characters
/// JSON escapes anyway, DEL and C1 controls are written as \u escapes and bytes that are not
/// UTF-8 as \ufffd, so the text parses back to the same value (but for those bytes).
std::string JsonText(const boost::json::value& value);

/// Writes `value` as indented JSON (terminal-safe as JsonText) (two spaces per level, "key": value,
/// one document followed by a newline).
void WriteJson(std::ostream& out, const boost::json::value& value);

/// A property as cell text: "" for absent or null, strings with their control characters
/// shown (text::ShowControls: what a device or a user wrote cannot drive the admin's terminal),
/// booleans "yes"/"no", numbers as JSON, arrays of scalars joined with ", ", anything else as
/// JsonText.
/// `path` may be dotted ("content.fileName").
std::string CellText(const boost::json::value& object, std::string_view path);

/// A duration in seconds as "45s", "2m 05s" or "1h 02m 03s".
std::string FormatDuration(long long seconds);

/// A time of the API ("2026-12-06T15:04:05Z") as tables show it, the same in every time zone:
/// "2026-12-06 15:04:05Z". "" stays ""; text that is not such a time is shown as it is.
std::string TimeCell(std::string_view api_time);

/// `groundcrew plan`: the device, its groups and profiles, each flow's phases as tables of items,
/// and the findings (docs/admin-api.md "The plan document").
void RenderPlan(const boost::json::value& plan, const Style& style, std::ostream& out);

enum class ApplyView {
  kDiff,     ///< every change, then the summary
  kSummary,  ///< the summary only (after the diff was shown for confirmation)
};

/// `groundcrew apply`: a diff of the changes, deletions first as the server orders them
/// (`- kind "name"`, `~ kind "name"` with a `    path: from → to` line per field, secrets
/// "(changed)", `+ kind "name"`; unchanged resources are only counted; coloured red, yellow,
/// green), the content a dry run would upload, a summary line, and the device import result
/// when the answer has one.
void RenderApply(const boost::json::value& answer, const Style& style, std::ostream& out,
                 ApplyView view = ApplyView::kDiff);

/// "512 B", "1.2 KiB", "3.4 MiB", "1.25 GiB".
std::string HumanSize(std::uint64_t bytes);

/// A device import result ({"imported": n, "rows": [...]}, also the "devices" part of an apply
/// answer): a table of the rows and a summary line. Returns the number of failed rows.
size_t RenderImport(const boost::json::value& result, const Style& style, std::ostream& out);

/// A list of resources of `kind` (a catalog kind, "autopilotDevices", "members", "audit" or
/// "deploymentSessions") as a table with the columns useful for that kind, then "N items".
/// Devices show their latest deployment ("lastDeployment": its state, else "-", and its flow and
/// start); sessions their device's serial number, flow, user, result, start, end and duration;
/// audit entries their time, actor, action, resource kind and name. Times as TimeCell.
/// Resources are shown by name; their ids only with `show_ids` (an ID column last).
void RenderList(std::string_view kind, const boost::json::array& items, const Style& style,
                std::ostream& out, bool show_ids = false);

/// One resource as "property  value" lines, in the order the server sent them.
void RenderObject(const boost::json::value& object, std::ostream& out);

}  // namespace groundcrew::cli
