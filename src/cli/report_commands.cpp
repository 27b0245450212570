#include "cli/report_commands.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <ostream>
#include <sstream>
#include <string_view>
#include <thread>

#include "cli/resolve.hpp"
#include "cli/table.hpp"
#include "core/esp/run.hpp"

namespace groundcrew::cli {
namespace json = boost::json;
namespace {

// The watch command's page size.
constexpr int kWatchLimit = 200;
constexpr std::chrono::milliseconds kRetryPause{2000};
constexpr std::chrono::milliseconds kEmptyPause{1000};

const json::value* Member(const json::value& object, std::string_view key) {
  const json::object* o = object.if_object();
  return o != nullptr ? o->if_contains(key) : nullptr;
}

const json::array& ArrayAt(const json::value& object, std::string_view key) {
  static const json::array kEmpty;
  const json::value* v = Member(object, key);
  return v != nullptr && v->is_array() ? v->as_array() : kEmpty;
}

// "deviceSetup" -> "Device setup"; unknown spellings as they are.
std::string PhaseName(std::string_view phase) {
  if (phase == "devicePreparation") return "Device preparation";
  if (phase == "deviceSetup") return "Device setup";
  if (phase == "accountSetup") return "Account setup";
  return std::string(phase);
}

std::string Duration(const json::value& object) {
  const json::value* v = Member(object, "durationSeconds");
  if (v == nullptr || !v->is_number()) return "";
  return FormatDuration(v->to_number<long long>());
}

// Success green, failure red, the rest (in progress, not attempted...) yellow.
std::string Painted(const Style& style, const std::string& status) {
  if (status.empty()) return status;
  if (status.starts_with("success") || status == "succeeded" || status == "complete" ||
      status == "detected" || status == "compliant") {
    return style.Paint(status, Color::kGreen);
  }
  if (status == "failure" || status == "failed" || status == "timedOut" ||
      status == "noncompliant") {
    return style.Paint(status, Color::kRed);
  }
  return style.Paint(status, Color::kYellow);
}

// A table's lines, each indented by two spaces.
void PrintIndented(const Table& table, std::ostream& out) {
  std::ostringstream text;
  table.Print(text);
  std::istringstream lines(text.str());
  for (std::string line; std::getline(lines, line);) out << "  " << line << '\n';
}

// A compliance finding: "setting (expected x, actual y)" when the agent sent those
// properties, else its JSON.
std::string FindingText(const json::value& finding) {
  const std::string setting = CellText(finding, "setting");
  if (setting.empty()) return JsonText(finding);
  std::string text = setting;
  const std::string expected = CellText(finding, "expected");
  const std::string actual = CellText(finding, "actual");
  if (!expected.empty() || !actual.empty()) {
    text += fmt::format(" (expected {}, actual {})", expected.empty() ? "-" : expected,
                        actual.empty() ? "-" : actual);
  }
  return text;
}

std::string ComplianceText(const json::value* state, const Style& style) {
  if (state == nullptr || !state->is_object()) return "not reported";
  std::string text = Painted(style, CellText(*state, "state"));
  const json::array& findings = ArrayAt(*state, "findings");
  if (!findings.empty()) {
    std::vector<std::string> parts;
    for (const json::value& finding : findings) parts.push_back(FindingText(finding));
    text += fmt::format(" ({} finding{}: {})", findings.size(), findings.size() == 1 ? "" : "s",
                        fmt::join(parts, "; "));
  }
  return text;
}

void RenderSession(const json::value& session, const Style& style, std::ostream& out) {
  const std::string flow = CellText(session, "flow");
  std::string title = flow == "technician" ? "Technician flow"
                      : flow == "user"     ? "User flow"
                                           : flow + " flow";
  if (const std::string upn = CellText(session, "userPrincipalName"); !upn.empty()) {
    title += " (" + upn + ")";
  }
  out << style.Paint(title, Color::kBold) << "  "
      << Painted(style, CellText(session, "deploymentState"));
  if (const std::string took = Duration(session); !took.empty()) out << "  " << took;
  out << '\n';
  const std::string finished = CellText(session, "finishedDateTime");
  out << "  started " << CellText(session, "startedDateTime")
      << (finished.empty() ? ", not finished" : ", finished " + finished) << '\n';

  const json::array& phases = ArrayAt(session, "phases");
  if (!phases.empty()) {
    Table table({"PHASE", "STATUS", "RUNS", "DURATION", "CODE", "MESSAGE"});
    for (const json::value& phase : phases) {
      table.Add({PhaseName(CellText(phase, "phase")), Painted(style, CellText(phase, "status")),
                 CellText(phase, "runs"), Duration(phase), CellText(phase, "code"),
                 CellText(phase, "message")});
    }
    out << '\n';
    PrintIndented(table, out);
  }
  const json::array& items = ArrayAt(session, "items");
  if (!items.empty()) {
    Table table({"ITEM", "PHASE", "STATUS", "ATTEMPTS", "DURATION", "CODE", "MESSAGE"});
    for (const json::value& item : items) {
      std::string name = CellText(item, "displayName");
      if (name.empty()) name = CellText(item, "id");
      table.Add({name, PhaseName(CellText(item, "phase")), Painted(style, CellText(item, "status")),
                 CellText(item, "attempts"), Duration(item), CellText(item, "code"),
                 CellText(item, "message")});
    }
    out << '\n';
    PrintIndented(table, out);
  }
  const json::value* compliance = Member(session, "compliance");
  const json::value* before = compliance ? Member(*compliance, "before") : nullptr;
  const json::value* after = compliance ? Member(*compliance, "after") : nullptr;
  if ((before && before->is_object()) || (after && after->is_object())) {
    out << "\n  Compliance before: " << ComplianceText(before, style) << '\n';
    out << "  Compliance after:  " << ComplianceText(after, style) << '\n';
  }
  if (phases.empty() && items.empty()) out << "  no phases or items reported\n";
}

// What an event is about, after its kind (see EventLine).
std::string Summary(std::string_view kind, const json::value& detail) {
  const std::string phase = CellText(detail, "phase");
  std::string item = CellText(detail, "displayName");
  if (item.empty()) item = CellText(detail, "id");
  auto join = [](std::initializer_list<std::string> parts) {
    std::string text;
    for (const std::string& part : parts) {
      if (!part.empty()) text += (text.empty() ? "" : " ") + part;
    }
    return text;
  };
  // An integer code as Windows shows it; text codes as they came.
  std::string code;
  if (const json::value* c = Member(detail, "code")) {
    code = c->is_int64() ? core::FormatErrorCode(c->as_int64()) : CellText(detail, "code");
  }
  const std::string message = CellText(detail, "message");
  if (kind == "phaseStarted" || kind == "phaseCompleted") return phase;
  if (kind == "phaseFailed") return join({phase, code, message});
  if (kind == "itemStarted") {
    const std::string attempt = CellText(detail, "attempt");
    return join({phase, item, attempt.empty() || attempt == "1" ? "" : "attempt " + attempt});
  }
  if (kind == "itemProgress") {
    const json::value* done = Member(detail, "bytesDone");
    const json::value* total = Member(detail, "bytesTotal");
    std::string progress;
    if (done && done->is_number() && total && total->is_number() &&
        total->to_number<double>() > 0) {
      progress =
          fmt::format("{:.0f}%", 100 * done->to_number<double>() / total->to_number<double>());
    }
    return join({phase, item, progress});
  }
  if (kind == "itemFailed" || kind == "itemTimedOut") return join({phase, item, code, message});
  if (kind.starts_with("item")) return join({phase, item});
  if (kind == "screen") return CellText(detail, "screen");
  if (kind == "button") return CellText(detail, "button");
  if (kind == "compliance") {
    const size_t findings = ArrayAt(detail, "findings").size();
    return join(
        {CellText(detail, "when"), CellText(detail, "state"),
         findings == 0 ? "" : fmt::format("({} finding{})", findings, findings == 1 ? "" : "s")});
  }
  if (kind == "flowFinished") return CellText(detail, "deploymentState");
  std::string text = detail.is_null() ? "" : JsonText(detail);
  if (text == "{}") text.clear();
  return text.size() > 120 ? text.substr(0, 117) + "..." : text;
}

}  // namespace

void RenderDeploymentReport(const json::value& report, const Style& style, std::ostream& out) {
  const json::value* device = Member(report, "device");
  const json::value empty = json::object();
  const json::value& d = device != nullptr ? *device : empty;
  out << style.Paint("Device " + CellText(d, "serialNumber"), Color::kBold);
  if (const std::string name = CellText(d, "displayName"); !name.empty()) {
    out << " (" << name << ")";
  }
  out << "  id " << CellText(d, "id") << '\n';
  if (const std::string upn = CellText(d, "userPrincipalName"); !upn.empty()) {
    out << "Assigned user: " << upn << '\n';
  }
  out << "Enrollment: " << CellText(d, "enrollmentState");
  if (const std::string resealed = CellText(d, "resealedDateTime"); !resealed.empty()) {
    out << ", resealed " << resealed;
  }
  out << '\n';
  const std::string state = CellText(report, "deploymentState");
  out << "Deployment state: "
      << (state.empty() ? std::string("no deployment reported yet") : Painted(style, state))
      << '\n';
  for (const json::value& session : ArrayAt(report, "sessions")) {
    out << '\n';
    RenderSession(session, style, out);
  }
}

std::string EventLine(const json::value& event) {
  std::string who = CellText(event, "serialNumber");
  if (who.empty()) who = CellText(event, "deviceId");
  if (who.empty()) who = "-";
  std::string flow = CellText(event, "flow");
  if (flow.empty()) flow = "-";
  const std::string kind = CellText(event, "kind");
  const json::value* detail = Member(event, "detail");
  const std::string summary = Summary(kind, detail != nullptr ? *detail : json::value());
  std::string line = fmt::format("{} {} {} {}", CellText(event, "at"), who, flow, kind);
  if (!summary.empty()) line += " " + summary;
  return line;
}

int Report(const ReportOptions& options, Api& api, Console& console) {
  auto report = CallWithSerial(api, options.serial, [&](const std::string& serial) {
    return api.Call("GET", "/v1/reports/" + UrlEscape(serial));
  });
  if (!report) {
    ApiError error = report.error();
    if (error.field == "serialNumber") error.field = "DEVICE";
    return ReportApiError(error, options.json, console);
  }
  if (options.json) {
    WriteJson(console.out, *report);
  } else {
    RenderDeploymentReport(*report, console.out_style, console.out);
  }
  return 0;
}

int Watch(const WatchOptions& options, Api& api, Console& console, const WatchControl& control) {
  auto pause = [&](std::chrono::milliseconds duration) {
    if (control.sleep) {
      control.sleep(duration);
    } else {
      std::this_thread::sleep_for(duration);
    }
  };
  const std::string filters = QueryParameters({{"serialNumber", options.serial},
                                               {"flow", options.flow},
                                               {"deploymentState", options.state}});
  long long after = std::max(0LL, options.after);
  bool caught_up = false;  // an answer had fewer events than asked for: now wait for more
  bool outage = false;
  for (;;) {
    if (control.stop && control.stop()) return 0;
    const int wait = caught_up ? std::clamp(options.wait_seconds, 0, 30) : 0;
    auto answer = api.Call(
        "GET", fmt::format("/v1/deploymentEvents?after={}&limit={}&waitSeconds={}{}", after,
                           kWatchLimit, wait, filters.empty() ? "" : "&" + filters));
    if (!answer) {
      if (options.once || answer.error().code != "unavailable") {
        return ReportApiError(NamingFlags(answer.error(), {{"serialNumber", "--serial"},
                                                           {"flow", "--flow"},
                                                           {"deploymentState", "--state"}}),
                              options.json, console);
      }
      if (!outage) {
        console.err << "groundcrew watch: " << answer.error().message
                    << "; trying again every 2 seconds\n";
        outage = true;
      }
      pause(kRetryPause);
      continue;
    }
    if (outage) {
      console.err << "groundcrew watch: connected again\n";
      outage = false;
    }
    const json::array& events = ArrayAt(*answer, "value");
    for (const json::value& event : events) {
      console.out << (options.json ? JsonText(event) : EventLine(event)) << '\n';
      if (const json::value* sequence = Member(event, "sequence");
          sequence && sequence->is_int64()) {
        after = std::max<long long>(after, sequence->as_int64());
      }
    }
    console.out.flush();
    const std::string next = CellText(*answer, "nextAfter");
    long long parsed = 0;
    if (auto [end, ec] = std::from_chars(next.data(), next.data() + next.size(), parsed);
        ec == std::errc() && end == next.data() + next.size()) {
      after = std::max(after, parsed);
    }
    if (events.size() < static_cast<size_t>(kWatchLimit) && !caught_up) {
      if (options.once) return 0;
      caught_up = true;
      if (console.err_is_terminal) {
        console.err << "Waiting for deployment events\u2026 (Ctrl-C to stop)\n" << std::flush;
      }
      continue;
    }
    // An empty answer came after the server's wait, or at once when it had enough waiting
    // polls: either way, do not ask again straight away.
    if (events.empty()) pause(kEmptyPause);
  }
}

}  // namespace groundcrew::cli
