#include "device/agent/oobe.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/compliance/compliance.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "device/agent/flow_events.hpp"
#include "device/flow/device_answers.hpp"
#include "device/flow/flow_reports.hpp"
#include "device/flow/phase_steps.hpp"
#include "identity/ca.hpp"
#include "identity/random.hpp"
#include "identity/totp.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::agent {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using core::TechnicianScreen;
using core::UserScreen;
using device::FlowReport;
using device::JsonText;
using device::ProfileOf;

constexpr std::string_view kTechnician = "technician";
constexpr std::string_view kUser = "user";
constexpr auto kPoll = std::chrono::milliseconds(200);

// Writes a file only this user can read (created 0600, never looser).
Status WritePrivateFile(const fs::path& path, std::string_view bytes) {
  std::error_code ec;
  fs::remove(path, ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return MakeError(ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string()),
                     "state");
  }
  const bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    return MakeError(ErrorCode::kUnavailable, fmt::format("cannot write {}", path.string()),
                     "state");
  }
  return Ok{};
}

json::array InventoryJson(const std::vector<core::InstalledItem>& items) {
  json::array out;
  for (const core::InstalledItem& item : items) {
    out.push_back({{"kind", static_cast<int>(item.kind)},
                   {"id", item.id},
                   {"version", item.version},
                   {"outcome", static_cast<int>(item.outcome)}});
  }
  return out;
}

std::vector<core::InstalledItem> InventoryFrom(const json::value& value) {
  std::vector<core::InstalledItem> items;
  if (!value.is_array()) return items;
  for (const json::value& v : value.as_array()) {
    const json::object& o = v.as_object();
    items.push_back({static_cast<core::ItemKind>(o.at("kind").as_int64()),
                     std::string(o.at("id").as_string()), std::string(o.at("version").as_string()),
                     static_cast<core::ItemOutcome>(o.at("outcome").as_int64())});
  }
  return items;
}

class Driver {
 public:
  Driver(const OobeOptions& options, ServiceClient& service, Journal& journal, Ui& ui,
         const RunnerFactory& make_runner, const Clock& clock)
      : options_(options),
        service_(service),
        journal_(journal),
        ui_(ui),
        make_runner_(make_runner),
        clock_(clock),
        answers_(options.answers) {}

  OobeExit Run();

 private:
  // ---- journal ----
  Status Replay();
  Status Record(json::object record) { return journal_.Append(std::move(record)); }
  long long Seconds(core::Timestamp t) const { return t.time_since_epoch().count(); }
  /// When a journaled report happened.
  static core::Timestamp At(const json::object& record) {
    return core::Timestamp(std::chrono::seconds(record.at("at").as_int64()));
  }

  // ---- applying events (journal first, then report) ----
  /// Applies `event` and journals it in one record with the reports of the transition
  /// (`reports` first), so that a kill leaves both or neither: none lost, none made twice.
  Status Tech(const core::TechnicianEvent& event, std::vector<FlowReport> reports = {});
  Status User(const core::UserEvent& event, std::vector<FlowReport> reports = {});
  Status Commit(std::string_view flow, core::Timestamp now, json::object event,
                const std::vector<FlowReport>& reports);
  /// The report record for the outbox, with the idempotency key of position `index`.
  json::object ReportRecord(std::string_view flow, const FlowReport& report, core::Timestamp at,
                            size_t index);
  /// Queues a journaled report and tells the UI.
  void Queue(json::object record);
  /// A report on its own (not part of a transition).
  void Report(std::string_view flow, FlowReport report);
  /// A sign-in step (POST `path` with the device token), sent once: a 401 about the password
  /// or the code is the user's answer, not a reason to prove the key and send it again.
  Result<Answer> SignIn(std::string_view path, const json::object& body);
  /// Makes a service call, again every second while the service cannot be reached (up to
  /// options_.network_wait), telling the UI once.
  Result<Answer> CallWaiting(const std::function<Result<Answer>()>& call);
  void Flush(bool wait);
  Status StartFlow(std::string_view flow);

  // ---- screens ----
  OobeExit RunTechnician();
  OobeExit RunUser();
  Status NetworkScreens(std::string_view flow);
  Status DownloadProfile(std::string_view flow);
  Status PreparationStep();
  /// Journals a deployment's payloads and compliance policies for `flow` and keeps them; the
  /// flow's item runner is made again from them.
  Status KeepDeployment(std::string_view flow, const device::Deployment& deployment);
  Result<ItemRunner> RunnerFor(std::string_view flow);
  /// Runs the phase on screen until it leaves that screen; kRebootRequested when an app asked
  /// for a hard restart.
  Result<bool> RunPhase(std::string_view flow);
  OobeExit Wipe();
  std::string NextButton();
  bool TechnicianKeyPressed();
  void CollectLogs();
  /// The screen up, as the UI shows it (with the progress of running items).
  ScreenView View();
  void Render() { ui_.Screen(View()); }
  /// Redraws the screen with the progress of running items when some changed, at most five
  /// times a second. UI-only: nothing is journaled or reported.
  void ShowProgress();
  void Fail(const Error& error) { ui_.Event("error", {{"field", error.field}}, error.message); }

  const OobeOptions& options_;
  ServiceClient& service_;
  Journal& journal_;
  Ui& ui_;
  const RunnerFactory& make_runner_;
  const Clock& clock_;
  Answers answers_;

  core::TechnicianState tech_;
  core::UserState user_;
  std::string flow_;  // the flow in progress ("" before the first)
  std::map<std::string, std::string, std::less<>> sessions_;   // flow -> session id
  std::map<std::string, json::object, std::less<>> payloads_;  // flow -> deployment payloads
  std::map<std::string, json::array, std::less<>> compliance_policies_;
  std::string user_token_;
  std::vector<core::InstalledItem> inventory_;
  bool resealed_ = false;
  std::vector<json::object> outbox_;  // report records, in order
  size_t reported_ = 0;               // how many the service acknowledged
  std::set<std::string> sessions_opened_;
  std::chrono::steady_clock::time_point next_flush_{};
  std::map<std::string, ItemRunner, std::less<>> runners_;
  std::string mfa_challenge_;
  std::optional<std::string> registration_seed_;
  ProgressBoard progress_;  // written by install threads (joined before RunPhase returns)
  RedrawThrottle redraw_{std::chrono::milliseconds(200)};
};

// ---------------------------------------------------------------------------------------------
// Journal

Status Driver::Replay() {
  for (const json::object& r : journal_.records()) {
    const std::string type = JsonText(r, "t");
    if (type == "flow") {
      flow_ = JsonText(r, "flow");
    } else if (type == "event") {
      const core::Timestamp at{std::chrono::seconds(r.at("at").as_int64())};
      const json::object& event = r.at("event").as_object();
      if (JsonText(r, "flow") == kTechnician) {
        Result<core::TechnicianEvent> e = DecodeTechnicianEvent(event);
        if (!e) return e.error();
        Result<core::TechnicianState> next = core::Apply(tech_, *e, at);
        if (!next) return next.error();
        tech_ = std::move(*next);
      } else {
        Result<core::UserEvent> e = DecodeUserEvent(event);
        if (!e) return e.error();
        Result<core::UserState> next = core::Apply(user_, *e, at);
        if (!next) return next.error();
        user_ = std::move(*next);
      }
      if (const json::value* reports = r.if_contains("reports"); reports && reports->is_array()) {
        for (const json::value& report : reports->as_array()) {
          outbox_.push_back(report.as_object());
        }
      }
    } else if (type == "session") {
      sessions_[JsonText(r, "flow")] = JsonText(r, "id");
    } else if (type == "payloads") {
      payloads_[JsonText(r, "flow")] = r.at("payloads").as_object();
      compliance_policies_[JsonText(r, "flow")] = r.at("compliancePolicies").as_array();
    } else if (type == "userToken") {
      user_token_ = JsonText(r, "token");
    } else if (type == "inventory") {
      inventory_ = InventoryFrom(r.at("items"));
    } else if (type == "resealed") {
      resealed_ = true;
    } else if (type == "report") {
      outbox_.push_back(r);
    } else if (type == "reported") {
      reported_ = static_cast<size_t>(r.at("count").as_int64());
    }
  }
  return Ok{};
}

Status Driver::StartFlow(std::string_view flow) {
  flow_ = std::string(flow);
  if (Status s = Record({{"t", "flow"}, {"flow", flow}}); !s) return s;
  const std::string id = identity::RandomUuid();
  sessions_[flow_] = id;
  return Record({{"t", "session"}, {"flow", flow}, {"id", id}});
}

// ---------------------------------------------------------------------------------------------
// Events

Status Driver::Tech(const core::TechnicianEvent& event, std::vector<FlowReport> reports) {
  const core::Timestamp now = clock_();
  Result<device::Advanced<core::TechnicianState>> next = device::Advance(tech_, event, now);
  if (!next) return next.error();
  for (FlowReport& r : next->reports) reports.push_back(std::move(r));
  if (Status s = Commit(kTechnician, now, EncodeEvent(event), reports); !s) return s;
  tech_ = std::move(next->state);
  Render();
  Flush(false);
  return Ok{};
}

Status Driver::User(const core::UserEvent& event, std::vector<FlowReport> reports) {
  const core::Timestamp now = clock_();
  Result<device::Advanced<core::UserState>> next = device::Advance(user_, event, now);
  if (!next) return next.error();
  for (FlowReport& r : next->reports) reports.push_back(std::move(r));
  if (Status s = Commit(kUser, now, EncodeEvent(event), reports); !s) return s;
  user_ = std::move(next->state);
  Render();
  Flush(false);
  return Ok{};
}

Status Driver::Commit(std::string_view flow, core::Timestamp now, json::object event,
                      const std::vector<FlowReport>& reports) {
  json::array records;
  for (const FlowReport& report : reports) {
    records.push_back(ReportRecord(flow, report, now, outbox_.size() + records.size()));
  }
  if (Status s = Record({{"t", "event"},
                         {"flow", flow},
                         {"at", Seconds(now)},
                         {"event", std::move(event)},
                         {"reports", records}});
      !s) {
    return s;
  }
  for (json::value& record : records) Queue(std::move(record.as_object()));
  return Ok{};
}

json::object Driver::ReportRecord(std::string_view flow, const FlowReport& report,
                                  core::Timestamp at, size_t index) {
  const std::string& session = sessions_[std::string(flow)];
  return {{"t", "report"},          {"flow", flow},
          {"session", session},     {"key", fmt::format("{}:{}", session, index)},
          {"kind", report.kind},    {"at", Seconds(at)},
          {"detail", report.detail}};
}

void Driver::Queue(json::object record) {
  outbox_.push_back(record);
  const std::string kind = JsonText(record, "kind");
  if (kind == "screen") return;  // the UI draws screens itself
  // What it is about, in a few words (the UI shows the kind beside it).
  const json::object& detail = record.at("detail").as_object();
  std::string text;
  for (const char* name : {"phase", "displayName", "deploymentState", "state", "code", "message"}) {
    if (const json::value* v = detail.if_contains(name); v && v->is_string()) {
      text += fmt::format("{}{}", text.empty() ? "" : " ", std::string(v->as_string()));
    }
  }
  ui_.Event(kind, detail, text);
}

void Driver::Report(std::string_view flow, FlowReport report) {
  json::object record = ReportRecord(flow, report, clock_(), outbox_.size());
  if (!Record(record)) return;  // the journal refused: the report is lost with it
  Queue(std::move(record));
}

Result<Answer> Driver::CallWaiting(const std::function<Result<Answer>()>& call) {
  const auto deadline = std::chrono::steady_clock::now() + options_.network_wait;
  bool told = false;
  for (;;) {
    Result<Answer> answer = call();
    if (answer || answer.error().code != ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() > deadline) {
      return answer;
    }
    if (!told) {
      ui_.Event("serviceUnreachable", {}, answer.error().message + "; trying again");
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Result<Answer> Driver::SignIn(std::string_view path, const json::object& body) {
  // Sent once: ServiceClient proves the key again only when the device token itself was
  // refused; a 401 about the password or the code is the user's answer.
  return service_.Device("POST", path, body);
}

// Sends the queued reports (opening the flow's session first), as far as the service takes
// them. Without `wait`, gives up at once when the service is unreachable (and does not try
// again for two seconds); with `wait`, retries until options_.network_wait passes.
void Driver::Flush(bool wait) {
  const auto deadline = std::chrono::steady_clock::now() + options_.network_wait;
  while (reported_ < outbox_.size()) {
    if (!wait && std::chrono::steady_clock::now() < next_flush_) return;
    const json::object& first = outbox_[reported_];
    const std::string flow = JsonText(first, "flow");
    const std::string session = JsonText(first, "session");
    bool sent = false;
    // A user-flow session is opened once the user is known (its user name is set then).
    if (flow == kUser && !user_.signed_in) return;
    if (!sessions_opened_.contains(session)) {
      Result<Answer> opened = service_.Device(
          "PUT", "/sessions/" + session,
          device::SessionOpening(flow, flow == kUser ? user_.upn : std::string(), At(first)));
      if (opened && opened->ok()) sessions_opened_.insert(session);
    }
    if (sessions_opened_.contains(session)) {
      json::array events;
      size_t end = reported_;
      std::optional<json::object> finish;
      for (; end < outbox_.size() && events.size() < device::kReportBatch; ++end) {
        const json::object& r = outbox_[end];
        if (JsonText(r, "session") != session) break;
        events.push_back(device::SessionEvent(JsonText(r, "key"), At(r),
                                              {JsonText(r, "kind"), r.at("detail").as_object()}));
        if (JsonText(r, "kind") == "flowFinished") {
          finish = r;
          ++end;
          break;
        }
      }
      Result<Answer> posted = service_.Device("POST", "/sessions/" + session + "/events",
                                              json::object{{"events", std::move(events)}});
      sent = posted && posted->ok();
      if (posted && posted->status == 400) {
        // The service will never take this batch as it is: say so and move past it rather than
        // holding every later report back.
        ui_.Event("reportRefused", {}, "the service refused reports: " + ErrorOf(*posted).message);
        sent = true;
        finish.reset();
      }
      if (sent && finish) {
        Result<Answer> finished = service_.Device(
            "POST", "/sessions/" + session + "/finish",
            device::SessionFinish(JsonText(finish->at("detail"), "deploymentState"), At(*finish)));
        sent = finished && finished->ok();
      }
      if (sent) {
        reported_ = end;
        (void)Record({{"t", "reported"}, {"count", static_cast<int64_t>(reported_)}});
      }
    }
    if (!sent) {
      next_flush_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      if (!wait || std::chrono::steady_clock::now() > deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Screens shared by both flows

Status Driver::NetworkScreens(std::string_view flow) {
  auto apply = [&](auto event) { return flow == kTechnician ? Tech(event) : User(event); };
  const auto screen_name = [&] {
    return std::string(flow == kTechnician ? core::ToString(tech_.screen)
                                           : core::ToString(user_.screen));
  };
  const std::string screen = screen_name();
  if (screen == "network-check") {
    return service_.Reachable() ? apply(core::NetworkUp{}) : apply(core::NetworkDown{});
  }
  if (screen == "region-keyboard") {
    // Shown because there is no network yet (the profile, which may hide them, is unknown).
    if (!answers_.region && options_.ask) answers_.region = options_.ask("Region", false);
    if (!answers_.keyboard && options_.ask) answers_.keyboard = options_.ask("Keyboard", false);
    return apply(core::RegionKeyboardConfirmed{});
  }
  if (screen == "connect-network") {
    if (!answers_.network && options_.ask) {
      answers_.network = options_.ask(
          "Let's connect you to a network: connect a cable or Wi-Fi, then press Enter", false);
    }
    const auto deadline = std::chrono::steady_clock::now() + options_.network_wait;
    while (!service_.Reachable()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return MakeError(ErrorCode::kUnavailable,
                         "the service cannot be reached: check the network and --server", "server");
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    return apply(core::NetworkConnected{});
  }
  return DownloadProfile(flow);
}

Status Driver::DownloadProfile(std::string_view flow) {
  auto apply = [&](auto event) { return flow == kTechnician ? Tech(event) : User(event); };
  Result<Answer> answer = service_.Device("GET", "");
  if (!answer) {
    if (answer.error().code == ErrorCode::kUnavailable) return apply(core::NetworkDown{});
    return apply(core::ProfileUnavailable{answer.error().message});
  }
  if (!answer->ok()) return apply(core::ProfileUnavailable{ErrorOf(*answer).message});
  if (!answer->body.is_object() || answer->body.at("deploymentProfile").is_null()) {
    return apply(core::ProfileUnavailable{"no deployment profile is assigned to this device"});
  }
  return apply(core::ProfileReceived{ProfileOf(answer->body.as_object())});
}

Result<ItemRunner> Driver::RunnerFor(std::string_view flow) {
  if (auto it = runners_.find(flow); it != runners_.end()) return it->second;
  auto payloads = payloads_.find(flow);
  if (payloads == payloads_.end()) {
    return MakeError(ErrorCode::kFailedPrecondition, "no deployment payloads yet", "payloads");
  }
  Result<ItemRunner> runner =
      make_runner_(payloads->second, flow == kUser ? user_.upn : std::string());
  if (!runner) return runner.error();
  runners_[std::string(flow)] = *runner;
  return runner;
}

Result<bool> Driver::RunPhase(std::string_view flow) {
  const bool technician = flow == kTechnician;
  auto run = [&]() -> const core::PhaseRun* {
    return technician ? core::PhaseOnScreen(tech_) : core::PhaseOnScreen(user_);
  };
  // The phase this call runs (the screen moves on when it completes).
  const core::EspPhase phase_run = run() != nullptr ? run()->phase : core::EspPhase::kDeviceSetup;
  auto finished_run = [&]() -> const core::PhaseRun* {
    for (const core::PhaseRun* r : technician ? core::PhaseRuns(tech_) : core::PhaseRuns(user_)) {
      if (r->phase == phase_run) return r;
    }
    return nullptr;
  };
  auto screen = [&] {
    return technician ? static_cast<int>(tech_.screen) : static_cast<int>(user_.screen);
  };
  auto apply = [&](const core::RunEvent& event, std::vector<FlowReport> reports = {}) -> Status {
    return std::visit(
        [&](const auto& e) {
          return technician ? Tech(e, std::move(reports)) : User(e, std::move(reports));
        },
        event);
  };
  Result<ItemRunner> runner = RunnerFor(flow);
  if (!runner) return runner.error();

  struct Done {
    std::string id;
    ItemOutcome outcome;
  };
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Done> done;
  std::vector<std::thread> workers;
  std::map<std::string, std::stop_source> stops;  // running items: stopped once the run is done
  int running = 0;
  const int start_screen = screen();
  bool reboot = false;
  auto last_tick = std::chrono::steady_clock::now();

  while (screen() == start_screen && run() != nullptr &&
         run()->status == core::PhaseStatus::kInProgress) {
    if (device::HoldsForRestart(*run())) reboot = true;
    if (!reboot) {
      for (const std::string& id :
           device::ItemsToStart(*run(), clock_(), options_.concurrency, running)) {
        const core::ItemRun* item = core::FindItem(*run(), id);
        const core::PlanItem plan = item->plan;
        if (Status s = apply(core::ItemStarted{.id = id}); !s) return s.error();
        ++running;
        std::stop_token stop = stops[id].get_token();
        ItemProgressFn progress = progress_.Track(id);
        workers.emplace_back([&, plan, id, stop, progress] {
          ItemOutcome outcome = (*runner)(plan, stop, progress);
          std::lock_guard lock(mutex);
          done.push_back({id, std::move(outcome)});
          ready.notify_one();
        });
      }
    }
    if (reboot && running == 0) break;
    std::optional<Done> finished;
    {
      std::unique_lock lock(mutex);
      ready.wait_for(lock, kPoll, [&] { return !done.empty(); });
      if (!done.empty()) {
        finished = std::move(done.front());
        done.pop_front();
      }
    }
    ShowProgress();
    if (finished) {
      --running;
      stops.erase(finished->id);
      if (!device::StillWanted(run(), finished->id)) continue;  // timed out: gone
      device::ItemFinish finish =
          device::FinishItem(*run(), *core::FindItem(*run(), finished->id), finished->outcome);
      if (Status s = apply(finish.event, std::move(finish.reports)); !s) return s.error();
    }
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = std::chrono::steady_clock::now();
      if (device::TickChanges(*run(), clock_())) {
        if (Status s = apply(core::Tick{}); !s) return s.error();
      }
      Flush(false);
    }
    // An item that timed out no longer runs for the ESP: kill what it runs.
    for (auto& [id, stop] : stops) {
      if (!device::StillWanted(run(), id)) stop.request_stop();
    }
  }
  // Whatever still runs when the phase ended (it failed) is stopped before the flow moves on.
  for (auto& [id, stop] : stops) stop.request_stop();
  for (std::thread& worker : workers) worker.join();
  return reboot || device::RestartsAfterPhase(finished_run());
}

// Diagnostics / Collect logs: the journal and the install logs as one tar.gz in the state
// folder (the device key and certificate keys stay out).
void Driver::CollectLogs() {
  const std::string name = fmt::format("diagnostics-{}.tar.gz", Seconds(clock_()));
  const std::string command = fmt::format(
      "cd '{}' && tar -czf '{}' --exclude='*.key' {} $(test -d logs && echo logs) 2>/dev/null",
      options_.state.string(), name, Journal::kFileName);
  const bool ok = std::system(command.c_str()) == 0;
  ui_.Event("diagnostics", {{"file", (options_.state / name).string()}, {"ok", ok}},
            ok ? "Diagnostics saved to " + (options_.state / name).string()
               : "Diagnostics could not be saved");
}

// The first screen on a terminal: the technician key (w, as Windows' key) pressed five times
// opens pre-provisioning; Enter (or the end of input) goes on as the user. Key by key where
// the terminal gives key presses (the count is shown as it grows, the fifth press opens
// pre-provisioning at once, other keys are ignored); else typed as a line: "wwwww" then Enter.
bool Driver::TechnicianKeyPressed() {
  if (options_.read_key) {
    int presses = 0;
    auto draw = [&] {
      ScreenView view{.name = std::string(core::ToString(TechnicianScreen::kFirstScreen)),
                      .title = "Welcome",
                      .lines = {"Press Enter to set up this device.",
                                "Technician: press the technician key (w) five times to "
                                "pre-provision it."}};
      if (presses > 0) {
        view.lines.push_back(
            fmt::format("technician key {}/{}", presses, core::kTechnicianKeyPresses));
      }
      ui_.Screen(view);
    };
    draw();
    for (;;) {
      const std::optional<char> key = options_.read_key();
      if (!key || *key == '\n' || *key == '\r' || *key == '\x04') return false;
      if (*key != 'w' && *key != 'W') continue;
      ++presses;
      draw();
      if (presses >= core::kTechnicianKeyPresses) return true;
    }
  }
  if (!options_.ask) return false;
  const std::optional<std::string> typed = options_.ask(
      "Welcome. Press Enter to set up this device, or press the technician key w five times "
      "(wwwww, then Enter) to pre-provision it",
      false);
  return typed && std::count(typed->begin(), typed->end(), 'w') >= core::kTechnicianKeyPresses;
}

std::string Driver::NextButton() {
  if (answers_.on_error.empty() && options_.ask) {
    for (;;) {
      std::optional<std::string> typed = options_.ask(
          "Press: r = retry, c = continue anyway, x = reset, l = collect logs, d = diagnostics, "
          "s = stop",
          false);
      if (!typed || typed->empty()) return "stop";
      switch ((*typed)[0]) {
        case 'r':
          return "retry";
        case 'c':
          return "continue";
        case 'x':
          return "reset";
        case 'l':
          return "collectLogs";
        case 'd':
          return "diagnostics";
        case 's':
          return "stop";
        default:
          break;
      }
    }
  }
  if (answers_.on_error.empty()) return "stop";
  std::string button = answers_.on_error.front();
  answers_.on_error.pop_front();
  return button;
}

// Reset: the device forgets everything but its key (which belongs to the hardware).
OobeExit Driver::Wipe() {
  // The session ends here (a reset run failed); a fresh start opens another.
  const core::DeploymentState state =
      flow_ == kTechnician ? core::DeploymentStateOf(tech_) : core::DeploymentStateOf(user_);
  Report(flow_, device::FlowFinished(state));
  Flush(true);
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.state, ec)) {
    const std::string name = entry.path().filename().string();
    if (name == "device.key" || name == Journal::kFileName) continue;
    fs::remove_all(entry.path(), ec);
  }
  (void)journal_.Clear();
  ui_.Event("reset", {}, "The device was reset. Start it again to set it up.");
  return OobeExit::kReset;
}

// ---------------------------------------------------------------------------------------------
// Rendering

ScreenView Driver::View() {
  ScreenView view;
  auto phase_lines = [&](const core::PhaseRun& run) {
    const core::PhaseCounts counts = core::CountItems(run);
    view.lines.push_back(
        fmt::format("{} ({} of {})", core::ToString(run.phase), counts.succeeded, counts.tracked));
    for (const core::ItemRun& item : run.items) {
      std::string progress;  // "  42% (1.2 of 2.9 MB)" while it runs, when the executor says
      if (item.status == core::ItemStatus::kInProgress) {
        if (auto latest = progress_.Get(item.plan.id)) {
          progress = "  " + FormatProgress(latest->first, latest->second);
        }
      }
      view.lines.push_back(fmt::format(
          "  {:<11} {}{}{}", core::ToString(item.status), item.plan.display_name,
          item.attempt > 1 ? fmt::format(" (attempt {})", item.attempt) : "", progress));
    }
  };
  if (flow_ == kTechnician) {
    view.name = std::string(core::ToString(tech_.screen));
    const core::TechnicianState& s = tech_;
    switch (s.screen) {
      case TechnicianScreen::kLanding:
        view.title = "Pre-provisioning";
        if (s.profile) {
          view.lines = {"Organization: " + s.profile->organization_name,
                        "Profile: " + s.profile->profile_name,
                        "Assigned user: " + (s.profile->assigned_user_upn.empty()
                                                 ? std::string("none")
                                                 : s.profile->assigned_user_upn),
                        "Registration: " + s.profile->registration_id};
        }
        if (s.refusal) {
          view.lines.push_back(fmt::format("Error {}: {}", core::FormatErrorCode(s.refusal->code),
                                           s.refusal->message));
        }
        break;
      case TechnicianScreen::kDevicePreparation:
      case TechnicianScreen::kDeviceSetup:
        view.title = "Setting up your device for work";
        for (const core::PhaseRun* run : PhaseRuns(s)) phase_lines(*run);
        break;
      case TechnicianScreen::kResultSuccess:
      case TechnicianScreen::kResultFailure:
      case TechnicianScreen::kResealed:
        view.title = s.screen == TechnicianScreen::kResultFailure ? "Something went wrong"
                     : s.screen == TechnicianScreen::kResealed    ? "Resealed"
                                                                  : "Pre-provisioning complete";
        if (s.result) {
          view.lines = {"Organization: " + s.result->organization_name,
                        "Profile: " + s.result->profile_name,
                        "Assigned user: " + s.result->assigned_user_upn,
                        fmt::format("Elapsed: {}s", s.result->elapsed.count())};
          if (s.result->error) {
            view.lines.push_back(fmt::format("Error {}: {}",
                                             core::FormatErrorCode(s.result->error->code),
                                             s.result->error->message));
            view.lines.push_back("[Retry] [Reset] [Diagnostics]");
          } else if (s.screen == TechnicianScreen::kResultSuccess) {
            view.lines.push_back("[Reseal]");
          }
        }
        break;
      default:
        view.title = view.name;
        break;
    }
  } else {
    view.name = std::string(core::ToString(user_.screen));
    const core::UserState& s = user_;
    switch (s.screen) {
      case UserScreen::kSignIn:
        view.title = "Sign in";
        view.lines.push_back("User name: " + std::string(core::PrefilledUpn(s)));
        if (s.sign_in_problem) view.lines.push_back(s.sign_in_problem->message);
        break;
      case UserScreen::kMfa:
        view.title = "Enter the code from your authenticator app";
        break;
      case UserScreen::kDeviceSetup:
      case UserScreen::kAccountSetup:
      case UserScreen::kPrivacy:
      case UserScreen::kEspError:
        view.title = s.screen == UserScreen::kEspError ? "Something went wrong"
                                                       : "Setting up your device for work";
        view.lines.push_back("device-preparation (complete)");
        for (const core::PhaseRun* run : PhaseRuns(s)) phase_lines(*run);
        if (s.screen == UserScreen::kEspError && s.plan) {
          // The failure, the profile's message and exactly the buttons the profile offers.
          for (const core::PhaseRun* run : PhaseRuns(s)) {
            if (run->phase == s.failed_phase && run->failure) {
              view.lines.push_back(fmt::format("Error {}: {}",
                                               core::FormatErrorCode(run->failure->code),
                                               run->failure->message));
            }
          }
          const core::EspErrorOptions& options = s.plan->error_options;
          view.lines.push_back(options.message);
          std::string buttons;
          for (const auto& [offered, label] :
               {std::pair{options.try_again, "Try again"},
                std::pair{options.continue_anyway, "Continue anyway"},
                std::pair{options.reset, "Reset device"},
                std::pair{options.collect_logs, "Collect logs"}}) {
            if (offered) buttons += fmt::format("{}[{}]", buttons.empty() ? "" : " ", label);
          }
          if (!buttons.empty()) view.lines.push_back(buttons);
        }
        break;
      case UserScreen::kDesktop:
        view.title = "Your desktop is ready";
        break;
      default:
        view.title = view.name;
        break;
    }
  }
  return view;
}

void Driver::ShowProgress() {
  const auto now = std::chrono::steady_clock::now();
  if (!redraw_.Due(now)) return;
  const std::vector<std::string> ids = progress_.TakeChanged();  // in id order
  if (ids.empty()) return;
  std::vector<ItemProgress> changed;
  auto collect = [&](const auto& state) {
    for (const core::PhaseRun* run : PhaseRuns(state)) {
      for (const core::ItemRun& item : run->items) {
        if (item.status != core::ItemStatus::kInProgress ||
            !std::binary_search(ids.begin(), ids.end(), item.plan.id)) {
          continue;
        }
        if (auto latest = progress_.Get(item.plan.id)) {
          changed.push_back({std::string(core::ToString(run->phase)), item.plan.id,
                             item.plan.display_name, latest->first, latest->second});
        }
      }
    }
  };
  if (flow_ == kTechnician) {
    collect(tech_);
  } else {
    collect(user_);
  }
  if (changed.empty()) return;
  redraw_.Mark(now);
  ui_.Progress(View(), changed);
}

// ---------------------------------------------------------------------------------------------
// The technician flow

Status Driver::PreparationStep() {
  const std::optional<core::PreparationStep> step = core::StepInProgress(tech_);
  if (!step) return MakeError(ErrorCode::kInternal, "Device preparation has no step in progress");
  auto failed = [&](const Error& error, bool already_enrolled = false) {
    return Tech(core::StepFailed{*step, core::PreparationFailureCode(*step, already_enrolled),
                                 error.message});
  };
  auto call = [&](std::string_view method, std::string_view path,
                  const json::value& body) -> Result<json::value> {
    Result<Answer> answer = service_.Device(method, path, body);
    if (!answer) return answer.error();
    if (!answer->ok()) return ErrorOf(*answer);
    return answer->body;
  };
  switch (*step) {
    case core::PreparationStep::kSecuringHardware: {
      service_.DropDeviceToken();
      if (Status proven = service_.EnsureDeviceToken(); !proven) return failed(proven.error());
      return Tech(core::StepSucceeded{*step});
    }
    case core::PreparationStep::kJoiningOrganization: {
      Result<json::value> joined = call("POST", "/join", nullptr);
      if (!joined) return failed(joined.error());
      return Tech(core::StepSucceeded{*step});
    }
    case core::PreparationStep::kRegisteringForManagement: {
      Result<std::string> key = identity::GenerateP256KeyPem();
      if (!key) return failed(key.error());
      Result<std::string> csr = identity::MakeCsr(*key, service_.device_id());
      if (!csr) return failed(csr.error());
      Result<json::value> enrolled = call("POST", "/enroll", json::object{{"csr", *csr}});
      if (!enrolled) {
        return failed(enrolled.error(), enrolled.error().message.starts_with("0x80180014"));
      }
      // The device's management identity, and the CA it now trusts (for later runs).
      std::ofstream(options_.state / "device.crt") << JsonText(*enrolled, "certificate");
      std::ofstream(options_.state / "ca.pem") << JsonText(*enrolled, "caCertificate");
      if (Status saved = WritePrivateFile(options_.state / "device-cert.key", *key); !saved) {
        return failed(saved.error());
      }
      return Tech(core::StepSucceeded{*step});
    }
    case core::PreparationStep::kPreparingForManagement: {
      Result<json::value> answer = call("POST", "/deployment", json::object{{"flow", kTechnician}});
      Result<device::Deployment> deployment =
          answer ? device::ReadDeployment(*answer) : Result<device::Deployment>(answer.error());
      if (!deployment) return failed(deployment.error());
      if (Status kept = KeepDeployment(kTechnician, *deployment); !kept) return kept;
      return Tech(core::TrackingCreated{std::move(deployment->plan)});
    }
  }
  return Ok{};
}

Status Driver::KeepDeployment(std::string_view flow, const device::Deployment& deployment) {
  if (Status s = Record({{"t", "payloads"},
                         {"flow", flow},
                         {"payloads", deployment.payloads},
                         {"compliancePolicies", deployment.compliance_policies}});
      !s) {
    return s;
  }
  payloads_[std::string(flow)] = deployment.payloads;
  compliance_policies_[std::string(flow)] = deployment.compliance_policies;
  runners_.erase(std::string(flow));
  return Ok{};
}

OobeExit Driver::RunTechnician() {
  for (;;) {
    Status step = Ok{};
    switch (tech_.screen) {
      case TechnicianScreen::kNetworkCheck:
      case TechnicianScreen::kRegionKeyboard:
      case TechnicianScreen::kConnectNetwork:
      case TechnicianScreen::kProfileDownload:
        step = NetworkScreens(kTechnician);
        break;
      case TechnicianScreen::kFirstScreen:
        step = Tech(core::TechnicianKeyPressed{});
        break;
      case TechnicianScreen::kOptionsMenu:
        step = Tech(core::OptionChosen{core::MenuOption::kPreprovision});
        break;
      case TechnicianScreen::kLanding:
        if (tech_.refusal) {  // refused at once: nothing was installed
          Report(kTechnician, device::FlowFinished(core::DeploymentState::kFailure));
          Flush(true);
          return OobeExit::kFailed;
        }
        step = Tech(core::ProvisionPressed{});
        break;
      case TechnicianScreen::kDevicePreparation:
        step = PreparationStep();
        break;
      case TechnicianScreen::kDeviceSetup: {
        Result<bool> reboot = RunPhase(kTechnician);
        if (!reboot) {
          step = reboot.error();
        } else if (*reboot) {
          Flush(true);
          ui_.Event("reboot", {}, "An app asked for a restart: run the agent again to go on.");
          return OobeExit::kRebootRequested;
        }
        break;
      }
      case TechnicianScreen::kResultSuccess: {
        if (!answers_.reseal) {
          Flush(true);
          return OobeExit::kDone;
        }
        Result<Answer> resealed = CallWaiting([&] { return service_.Device("POST", "/reseal"); });
        if (!resealed || !resealed->ok()) {
          step = resealed ? ErrorOf(*resealed) : resealed.error();
          break;
        }
        std::vector<core::InstalledItem> inventory;
        for (const core::PhaseRun* run : PhaseRuns(tech_)) {
          if (run->phase == core::EspPhase::kDeviceSetup) {
            inventory = core::UpdateInventory(std::move(inventory), *run);
          }
        }
        if (Status s = Record({{"t", "inventory"}, {"items", InventoryJson(inventory)}}); !s) {
          step = s;
          break;
        }
        inventory_ = std::move(inventory);
        ui_.Event("resealed", resealed->body.as_object(),
                  "Resealed. The user flow may start at once, until " +
                      JsonText(resealed->body, "credentialsValidUntil"));
        if (Status s = Record({{"t", "resealed"}, {"detail", resealed->body}}); !s) {
          step = s;
          break;
        }
        resealed_ = true;
        step = Tech(core::ResealPressed{});
        break;
      }
      case TechnicianScreen::kResultFailure: {
        const std::string button = NextButton();
        ui_.Event("button", {{"button", button}}, "Pressed " + button);
        if (button == "retry") {
          step = Tech(core::RetryPressed{});
        } else if (button == "reset") {
          step = Tech(core::ResetPressed{});
        } else if (button == "diagnostics") {
          CollectLogs();
          step = Tech(core::DiagnosticsPressed{});
        } else {
          Report(kTechnician, device::FlowFinished(core::DeploymentState::kFailure));
          Flush(true);
          return OobeExit::kFailed;
        }
        break;
      }
      case TechnicianScreen::kResealed:
        Report(kTechnician, device::FlowFinished(core::DeploymentStateOf(tech_)));
        Flush(true);
        return OobeExit::kDone;
      case TechnicianScreen::kReset:
        return Wipe();
    }
    if (!step) {
      Fail(step.error());
      Flush(true);
      return OobeExit::kFailed;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The user flow

OobeExit Driver::RunUser() {
  int mfa_tries = 0;
  bool seed_code_sent = false;  // a code computed from the seed was sent
  for (;;) {
    Status step = Ok{};
    switch (user_.screen) {
      case UserScreen::kNetworkCheck:
      case UserScreen::kRegionKeyboard:
      case UserScreen::kConnectNetwork:
      case UserScreen::kProfileDownload:
        step = NetworkScreens(kUser);
        break;
      case UserScreen::kOobePages:
        step = User(core::PageConfirmed{});
        break;
      case UserScreen::kSignIn: {
        if (user_.sign_in_problem &&
            user_.sign_in_problem->error != core::SignInError::kInvalidCredentials) {
          Report(kUser, device::FlowFinished(core::DeploymentState::kFailure));
          Flush(true);
          return OobeExit::kFailed;  // refused: another attempt cannot succeed
        }
        if (user_.sign_in_problem && !answers_.password && !options_.ask) {
          return OobeExit::kFailed;
        }
        std::string upn =
            answers_.user_principal_name.value_or(std::string(core::PrefilledUpn(user_)));
        if (upn.empty() && options_.ask) upn = options_.ask("User name", false).value_or("");
        if (upn.empty()) {
          Fail(MakeError(ErrorCode::kInvalidArgument,
                         "no user name: give userPrincipalName in the answers file",
                         "userPrincipalName"));
          return OobeExit::kUsage;
        }
        step = User(core::SignInSubmitted{upn});
        break;
      }
      case UserScreen::kSigningIn: {
        if (!answers_.password && options_.ask) {
          answers_.password = options_.ask("Password for " + user_.upn, true);
        }
        if (!answers_.password) {
          Fail(MakeError(ErrorCode::kInvalidArgument,
                         "no password: give password in the answers file", "password"));
          return OobeExit::kUsage;
        }
        Result<Answer> answer = SignIn("/signIn", json::object{{"userPrincipalName", user_.upn},
                                                               {"password", *answers_.password}});
        answers_.password.reset();  // typed once; a refusal needs it typed again
        if (!answer) {
          step = answer.error();
          break;
        }
        const device::SignInAnswer signed_in =
            device::ReadSignInAnswer(answer->status, answer->body);
        switch (signed_in.kind) {
          case device::SignInAnswer::Kind::kMfaRequired:
          case device::SignInAnswer::Kind::kMfaRegistrationRequired:
            mfa_challenge_ = signed_in.challenge_id;
            registration_seed_.reset();
            if (signed_in.kind == device::SignInAnswer::Kind::kMfaRegistrationRequired) {
              ui_.Event("mfaRegistration", {},
                        "Scan this code with your authenticator app:\n" + signed_in.qr_text);
              // Unattended, the agent plays the authenticator app: the seed is in the URI.
              const std::string& uri = signed_in.otpauth_uri;
              if (const size_t at = uri.find("secret="); at != std::string::npos) {
                const size_t start = at + 7;
                const std::string secret = uri.substr(start, uri.find('&', start) - start);
                if (auto seed = identity::Base32Decode(secret)) registration_seed_ = *seed;
              }
            }
            step = User(core::MfaRequired{});
            break;
          case device::SignInAnswer::Kind::kSignedIn:
            user_token_ = signed_in.token;
            if (Status s = Record({{"t", "userToken"}, {"token", user_token_}}); !s) {
              return OobeExit::kFailed;
            }
            step = User(core::SignInAccepted{});
            break;
          case device::SignInAnswer::Kind::kCodeRefused:
          case device::SignInAnswer::Kind::kRefused:
            answers_.password = std::nullopt;
            step = User(core::SignInRefused{signed_in.problem});
            break;
        }
        break;
      }
      case UserScreen::kMfa: {
        std::string code;
        if (answers_.totp_code) {
          code = *answers_.totp_code;
          answers_.totp_code.reset();
        } else if (registration_seed_ || answers_.totp_seed) {
          // A code per 30-second step: after a computed code was refused, wait for the next
          // one (after a typed code that was wrong, the current one is still unused).
          if (seed_code_sent) {
            std::this_thread::sleep_for(
                std::chrono::seconds(30 - clock_().time_since_epoch().count() % 30));
          }
          seed_code_sent = true;
          Result<std::string> generated = identity::GenerateTotp(
              registration_seed_ ? *registration_seed_ : *answers_.totp_seed, clock_());
          if (!generated) return OobeExit::kFailed;
          code = *generated;
        } else if (std::optional<std::string> typed =
                       options_.ask ? options_.ask("Code from your authenticator app", false)
                                    : std::nullopt) {
          code = *typed;
        } else {
          Fail(MakeError(ErrorCode::kInvalidArgument,
                         "no MFA code: give totpSeed or totpCode in the answers file", "totpSeed"));
          return OobeExit::kUsage;
        }
        ++mfa_tries;
        Result<Answer> answer = SignIn("/signIn/" + mfa_challenge_, json::object{{"code", code}});
        if (!answer) {
          step = answer.error();
          break;
        }
        const device::SignInAnswer verified =
            device::ReadSignInAnswer(answer->status, answer->body);
        if (verified.kind == device::SignInAnswer::Kind::kSignedIn) {
          user_token_ = verified.token;
          if (Status s = Record({{"t", "userToken"}, {"token", user_token_}}); !s) {
            return OobeExit::kFailed;
          }
          step = User(core::MfaCodeAccepted{});
        } else if (verified.kind == device::SignInAnswer::Kind::kCodeRefused && mfa_tries < 3) {
          ui_.Event("mfaRefused", {}, verified.problem.message);
          step = User(core::MfaCodeRefused{});
        } else {
          step = User(core::SignInRefused{verified.problem});
        }
        break;
      }
      case UserScreen::kIdentifying: {
        Result<Answer> answer = CallWaiting([&] {
          return service_.WithToken(
              user_token_, "POST", "/deployment",
              json::object{{"flow", kUser}, {"installed", wire::Encode(inventory_)}});
        });
        if (!answer || !answer->ok()) {
          step = answer ? ErrorOf(*answer) : answer.error();
          break;
        }
        Result<device::Deployment> deployment = device::ReadDeployment(answer->body);
        if (!deployment) {
          step = deployment.error();
          break;
        }
        if (Status kept = KeepDeployment(kUser, *deployment); !kept) {
          step = kept;
          break;
        }
        step = User(core::PlanReceived{std::move(deployment->plan)});
        break;
      }
      case UserScreen::kDeviceSetup:
      case UserScreen::kAccountSetup: {
        Result<bool> reboot = RunPhase(kUser);
        if (!reboot) {
          step = reboot.error();
        } else if (*reboot) {
          Flush(true);
          ui_.Event("reboot", {}, "An app asked for a restart: run the agent again to go on.");
          return OobeExit::kRebootRequested;
        }
        break;
      }
      case UserScreen::kPrivacy:
        step = User(core::PrivacyAccepted{});
        break;
      case UserScreen::kQualityUpdates:
        step = User(core::QualityUpdatesDone{});
        break;
      case UserScreen::kEspError: {
        const std::string button = NextButton();
        ui_.Event("button", {{"button", button}}, "Pressed " + button);
        if (button == "retry") {
          step = User(core::TryAgainPressed{});
        } else if (button == "continue") {
          step = User(core::ContinueAnywayPressed{});
        } else if (button == "reset") {
          step = User(core::ResetPressed{});
        } else if (button == "collectLogs") {
          CollectLogs();
          step = User(core::CollectLogsPressed{});
        } else {
          Report(kUser, device::FlowFinished(core::DeploymentState::kFailure));
          Flush(true);
          return OobeExit::kFailed;
        }
        break;
      }
      case UserScreen::kDesktop: {
        if (device::ComplianceDue(user_)) {
          core::DeviceFacts facts;
          if (options_.read_facts) {
            if (Result<core::DeviceFacts> read = options_.read_facts(); read) facts = *read;
          }
          device::ComplianceCheck check =
              device::CheckCompliance(compliance_policies_[std::string(kUser)], facts);
          Report(kUser, std::move(check.report));
          step = User(core::ComplianceEvaluated{std::move(check.result)});
          break;
        }
        Report(kUser, device::FlowFinished(core::DeploymentStateOf(user_)));
        Flush(true);
        if (!options_.on_complete.empty()) {
          ui_.Event("onComplete", {}, "Running " + options_.on_complete);
          (void)std::system(options_.on_complete.c_str());
        }
        return OobeExit::kDone;
      }
      case UserScreen::kReset:
        return Wipe();
    }
    if (!step) {
      Fail(step.error());
      Flush(true);
      return OobeExit::kFailed;
    }
  }
}

OobeExit Driver::Run() {
  if (Status replayed = Replay(); !replayed) {
    Fail(replayed.error());
    return OobeExit::kFailed;
  }
  // A restart: the flow in progress resumes where it was (the core decides what that means).
  bool restarted = !flow_.empty();
  if (flow_ == kTechnician && tech_.screen == TechnicianScreen::kResealed) {
    restarted = false;  // the technician's part is over; the user's begins
    flow_.clear();
  }
  if (flow_ == kUser && (user_.screen == UserScreen::kDesktop && reported_ == outbox_.size())) {
    ui_.Event("done", {}, "This device is set up already.");
    return OobeExit::kDone;
  }
  if (restarted) {
    ui_.Event("resume", {{"flow", flow_}}, "Resuming the " + flow_ + " flow after a restart");
    Status rebooted = flow_ == kTechnician ? Tech(core::Rebooted{}) : User(core::Rebooted{});
    if (!rebooted) {
      Fail(rebooted.error());
      return OobeExit::kFailed;
    }
  } else {
    const bool technician =
        !resealed_ && (options_.preprovision || answers_.technician || TechnicianKeyPressed());
    if (Status s = StartFlow(technician ? kTechnician : kUser); !s) {
      Fail(s.error());
      return OobeExit::kFailed;
    }
    if (!technician) {
      Report(kUser, device::ComplianceAtStart());
    }
  }
  Render();
  return flow_ == kTechnician ? RunTechnician() : RunUser();
}

}  // namespace

OobeExit RunOobe(const OobeOptions& options, ServiceClient& service, Journal& journal, Ui& ui,
                 const RunnerFactory& make_runner, const Clock& clock) {
  Driver driver(options, service, journal, ui, make_runner, clock);
  return driver.Run();
}

}  // namespace groundcrew::agent
