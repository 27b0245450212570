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

#include "common/text.hpp"
#include "core/compliance/compliance.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "device/agent/diagnostics.hpp"
#include "device/agent/flow_events.hpp"
#include "device/agent/progress.hpp"
#include "device/executor/local_account.hpp"
#include "device/flow/device_answers.hpp"
#include "device/flow/flow_reports.hpp"
#include "device/flow/phase_steps.hpp"
#include "device/flow/screen.hpp"
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
using device::Action;
using device::Button;
using device::FlowReport;
using device::JsonText;
using device::ProfileOf;
using device::Screen;
using device::ScreenId;

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

// The person's input ended while a screen waited for them (Ctrl-D, the terminal hung up).
Error Gone() {
  return MakeError(ErrorCode::kFailedPrecondition, "nobody is at the device any more (input ended)",
                   "input");
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
  Driver(const OobeOptions& options, ServiceClient& service, Journal& journal, View& view,
         const RunnerFactory& make_runner, const Clock& clock)
      : options_(options),
        service_(service),
        journal_(journal),
        view_(view),
        make_runner_(make_runner),
        clock_(clock),
        answers_(options.answers) {}

  OobeExit Run();
  const std::optional<Screen>& shown() const { return shown_; }

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
  /// Queues a journaled report.
  void Queue(json::object record) { outbox_.push_back(std::move(record)); }
  /// A report on its own (not part of a transition).
  void Report(std::string_view flow, FlowReport report);
  /// The flow's final report (flowFinished in `state`) with the inventory the device has now
  /// (core::InventoryAfter; nothing after a reset, which wipes the device), which the finish of
  /// its session carries to the service.
  void FinishFlow(std::string_view flow, core::DeploymentState state, bool reset = false);
  /// A sign-in step (POST `path` with the device token), sent once: a 401 about the password
  /// or the code is the user's answer, not a reason to prove the key and send it again.
  Result<Answer> SignIn(std::string_view path, const json::object& body);
  /// Makes a service call, again every second while the service cannot be reached (up to
  /// options_.network_wait), saying so on the screen meanwhile.
  Result<Answer> CallWaiting(const std::function<Result<Answer>()>& call);
  void Flush(bool wait);
  Status StartFlow(std::string_view flow);

  // ---- screens ----
  OobeExit RunTechnician();
  OobeExit RunUser();
  Status NetworkScreens(std::string_view flow);
  Status DownloadProfile(std::string_view flow);
  Status PreparationStep();
  /// After a restart, before the core hears of it: the installers a killed run left behind
  /// (OobeOptions::pending_installers) are waited for and their outcomes applied as the end of
  /// the attempts the journal holds in progress, so that nothing is installed twice.
  Status AdoptInstallers();
  /// Journals a deployment's payloads and compliance policies for `flow` and keeps them; the
  /// flow's item runner is made again from them.
  Status KeepDeployment(std::string_view flow, const device::Deployment& deployment);
  /// Fetches the flow's deployment again and keeps its payloads (Retry: the content and
  /// settings of the items as the admin has them now).
  Status RefreshDeployment(std::string_view flow);
  Result<ItemRunner> RunnerFor(std::string_view flow);
  /// Runs the phase on screen until it leaves that screen; kRebootRequested when an app asked
  /// for a hard restart.
  Result<bool> RunPhase(std::string_view flow);
  OobeExit Wipe();
  /// The first screen, before a flow is chosen: true when the technician pressed the technician
  /// key five times and chose to pre-provision. Only asked on an interactive view.
  bool TechnicianChoosesPreprovisioning();
  /// The pre-flight checklist of the landing screen (DESIGN.md §4.4), into device_.checks.
  void RunChecks();
  /// The desktop is up: runs --on-complete, when given.
  void DesktopReached();
  void CollectLogs();
  /// Sign-in succeeded (password and MFA): creates or updates the user's local account with
  /// the hash of the password they typed (executor/local_account.hpp), which is then forgotten.
  /// Called before the user token is journaled, so that a restart in between asks the user to
  /// sign in again. kSignInAgain when the password's hash is gone (a restart after the
  /// password was sent); on failure, says so and ends the flow as failed (kFailed).
  enum class AccountStep { kReady, kSignInAgain, kFailed };
  AccountStep SetUpLocalAccount();

  // ---- what the person sees and decides ----
  /// The screen up: the flow's, with what only the device knows (progress, checks, notices).
  Screen Current();
  /// Shows the current screen.
  void Render();
  /// Shows `notice` on the current screen (nullopt clears it).
  void Say(std::optional<device::Notice> notice) {
    device_.notice = std::move(notice);
    Render();
  }
  void Fail(const Error& error) {
    Say(device::Notice{device::Notice::Tone::kError, error.message});
  }
  /// The person's decision on the current screen, or the answers file's (`answer`, from answers
  /// member `member`): one of the buttons the screen offers. Show/Hide details is handled here.
  /// nullopt when nobody can answer: the view is not interactive (and there is no answer) or the
  /// person's input ended. kInvalidArgument naming `member` when the answer is a button the
  /// screen does not offer.
  Result<std::optional<Press>> Choose(std::optional<Action> answer, std::string_view member);
  /// Handles a press that only changes the view (Show/Hide details); false for any other.
  bool ViewOnly(const Press& press);
  /// The answers file's next button for an error screen (onError), as the technician's failure
  /// screen (Retry, Reset, Diagnostics) or the ESP error screen (Try again, Continue anyway,
  /// Reset device, Collect logs) names it; `stop` when it says "stop". nullopt when the list is
  /// used up.
  std::optional<Action> NextErrorButton(bool technician, bool& stop);
  /// While work runs: takes what the person pressed meanwhile (details), without waiting.
  void TakeKeys();
  /// The run ends because nobody answered `member`: says so, exit code 2 (kFailed when the
  /// person's input ended).
  OobeExit Unanswered(std::string_view member);

  const OobeOptions& options_;
  ServiceClient& service_;
  Journal& journal_;
  View& view_;
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
  device::DeviceView device_;            // what the screens show beside the flow's state
  std::optional<Screen> shown_;          // the screen last shown
  std::optional<std::string> password_;  // SECRET: typed on the sign-in screen, sent once
  // The crypt(3) hash of the password sent last, for the local account; never journaled.
  std::optional<std::string> password_hash_;
  int signed_in_again_ = 0;  // sign-ins started over because the service lost the challenge
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

void Driver::Report(std::string_view flow, FlowReport report) {
  json::object record = ReportRecord(flow, report, clock_(), outbox_.size());
  if (!Record(record)) return;  // the journal refused: the report is lost with it
  Queue(std::move(record));
}

void Driver::FinishFlow(std::string_view flow, core::DeploymentState state, bool reset) {
  json::object record = ReportRecord(flow, device::FlowFinished(state), clock_(), outbox_.size());
  std::vector<core::InstalledItem> inventory;
  if (!reset) {
    inventory =
        flow == kTechnician ? core::InventoryAfter(tech_) : core::InventoryAfter(inventory_, user_);
  }
  record["inventory"] = wire::Encode(inventory);
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
      if (told) Say(std::nullopt);
      return answer;
    }
    if (!told) {
      Say(device::Notice{device::Notice::Tone::kWarning,
                         "Can't reach your organization's service (" + answer.error().message +
                             "); trying again."});
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

Result<Answer> Driver::SignIn(std::string_view path, const json::object& body) {
  // Sent once: ServiceClient proves the key again only when the device token itself was
  // refused; a 401 about the password or the code is the user's answer.
  Result<Answer> answer = service_.Device("POST", path, body);
  // Busy (503) or too many attempts (429): kUnavailable, which CallWaiting waits out and sends
  // again, as for a service it cannot reach; the password was not checked.
  if (answer && (answer->status == 503 || answer->status == 429)) return ErrorOf(*answer);
  return answer;
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
    bool refused = false;  // the service answered, and will not take the reports (not waited for)
    // A user-flow session is opened once the user is known (its user name is set then).
    if (flow == kUser && !user_.signed_in) return;
    if (!sessions_opened_.contains(session)) {
      Result<Answer> opened = service_.Device(
          "PUT", "/sessions/" + session,
          device::SessionOpening(flow, flow == kUser ? user_.upn : std::string(), At(first)));
      if (opened && opened->ok()) sessions_opened_.insert(session);
      // Not registered, or the device's key refused: waiting would not change the answer.
      refused = (opened && opened->status >= 400 && opened->status < 500) ||
                (!opened && opened.error().code != ErrorCode::kUnavailable);
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
        Say(device::Notice{device::Notice::Tone::kWarning,
                           "The service refused reports: " + ErrorOf(*posted).message});
        sent = true;
        finish.reset();
      }
      if (sent && finish) {
        // Reports journaled before finishes carried inventories have none: nothing is said.
        std::optional<std::vector<core::InstalledItem>> inventory;
        if (const json::value* items = finish->if_contains("inventory")) {
          std::vector<core::InstalledItem> decoded;
          if (wire::Decode(*items, decoded)) inventory = std::move(decoded);
        }
        Result<Answer> finished =
            service_.Device("POST", "/sessions/" + session + "/finish",
                            device::SessionFinish(JsonText(finish->at("detail"), "deploymentState"),
                                                  At(*finish), std::move(inventory)));
        sent = finished && finished->ok();
      }
      if (sent) {
        reported_ = end;
        (void)Record({{"t", "reported"}, {"count", static_cast<int64_t>(reported_)}});
      }
    }
    if (!sent) {
      next_flush_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      if (!wait || refused || std::chrono::steady_clock::now() > deadline) return;
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
    // Shown because there is no network yet (the profile, which may hide them, is unknown): the
    // region page, then the keyboard page.
    for (const Screen& page : {device::RegionScreen(device_), device::KeyboardScreen(device_)}) {
      const bool answered = page.id == ScreenId::kRegion ? answers_.region.has_value()
                                                         : answers_.keyboard.has_value();
      if (answered || !view_.interactive()) continue;
      shown_ = page;
      view_.Show(page);
      Result<std::optional<Press>> press = Choose(std::nullopt, "region");
      if (!press) return press.error();
      if (!*press) return Gone();
    }
    return apply(core::RegionKeyboardConfirmed{});
  }
  if (screen == "connect-network") {
    const auto deadline = std::chrono::steady_clock::now() + options_.network_wait;
    for (;;) {
      if (view_.interactive() && !answers_.network) {
        Result<std::optional<Press>> press = Choose(std::nullopt, "network");
        if (!press) return press.error();
        if (!*press) return Gone();
      }
      if (service_.Reachable()) break;
      if (view_.interactive() && !answers_.network) {
        Say(device::Notice{device::Notice::Tone::kWarning,
                           "Still no connection to your organization's service. Check the "
                           "cable, then press Next."});
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return MakeError(ErrorCode::kUnavailable,
                         "the service cannot be reached: check the network and --server", "server");
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    device_.notice.reset();
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
  // However this call ends (an error from applying an event too), whatever still runs is stopped
  // (its outcome no longer counts) and every install thread is joined while what they share is
  // still there.
  struct StopAndJoin {
    std::map<std::string, std::stop_source>& stops;
    std::vector<std::thread>& workers;
    ~StopAndJoin() {
      for (auto& [id, stop] : stops) stop.request_stop();
      for (std::thread& worker : workers) worker.join();
    }
  } stop_and_join{stops, workers};
  int running = 0;
  const int start_screen = screen();
  bool reboot = false;
  auto last_tick = std::chrono::steady_clock::now();

  // The phase while this call still drives it (on screen and in progress); nullptr once it
  // ended. Applying an event (an item's outcome, a tick) may end it, and the screen then shows
  // the next phase or none: everything after an event is applied asks again.
  auto running_phase = [&]() -> const core::PhaseRun* {
    const core::PhaseRun* current = screen() == start_screen ? run() : nullptr;
    return current != nullptr && current->status == core::PhaseStatus::kInProgress ? current
                                                                                   : nullptr;
  };

  while (running_phase() != nullptr) {
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
    // Progress and elapsed times move on the screen (UI-only: nothing journaled or reported),
    // at most five times a second; the person may show or hide details meanwhile.
    if (const auto now = std::chrono::steady_clock::now(); redraw_.Due(now)) {
      if (!progress_.TakeChanged().empty() || now - last_tick >= std::chrono::seconds(1)) {
        redraw_.Mark(now);
        Render();
      }
    }
    TakeKeys();
    if (finished) {
      --running;
      stops.erase(finished->id);
      const core::PhaseRun* current = running_phase();
      if (!device::StillWanted(current, finished->id)) continue;  // timed out: gone
      device::ItemFinish finish =
          device::FinishItem(*current, *core::FindItem(*current, finished->id), finished->outcome);
      if (Status s = apply(finish.event, std::move(finish.reports)); !s) return s.error();
    }
    if (std::chrono::steady_clock::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = std::chrono::steady_clock::now();
      // The item just finished may have ended the phase: a tick is for a phase still running.
      const core::PhaseRun* current = running_phase();
      if (current != nullptr && device::TickChanges(*current, clock_())) {
        if (Status s = apply(core::Tick{}); !s) return s.error();
      }
      Flush(false);
    }
    // An item that timed out no longer runs for the ESP: kill what it runs.
    for (auto& [id, stop] : stops) {
      if (!device::StillWanted(running_phase(), id)) stop.request_stop();
    }
  }
  // Whatever still runs when the phase ended (it failed) is stopped before the flow moves on
  // (stop_and_join).
  return reboot || device::RestartsAfterPhase(finished_run());
}

// Diagnostics / Collect logs: a redacted archive of the journal and the install logs in
// STATE/diagnostics/ (diagnostics.hpp), then sent to the service for support; the screen says
// where it is and whether it reached the service.
void Driver::CollectLogs() {
  Result<fs::path> archive = CollectDiagnostics(options_.state, clock_());
  if (!archive) {
    device_.notice = device::Notice{device::Notice::Tone::kError,
                                    "Diagnostics could not be saved: " + archive.error().message};
    return;
  }
  const Status sent = UploadDiagnostics(service_, *archive);
  device_.notice = device::Notice{
      sent ? device::Notice::Tone::kSuccess : device::Notice::Tone::kWarning,
      sent ? "Diagnostics saved to " + archive->string() + " and sent to your organization."
           : "Diagnostics saved to " + archive->string() + "; they could not be sent (" +
                 sent.error().message + ")."};
}

// The first screen on an interactive view: Next goes on as the user. The technician key (w, as
// Windows' key) pressed five times in a row opens "What would you like to do?", whose
// Pre-provision starts the technician flow and Back returns here. The key is taken, never
// advertised.
bool Driver::TechnicianChoosesPreprovisioning() {
  int presses = 0;
  for (;;) {
    const Screen welcome = device::WelcomeScreen(device_);
    shown_ = welcome;
    view_.Show(welcome);
    std::optional<Press> press = view_.Wait(welcome, std::nullopt);
    if (!press || press->action == Action::kNext) return false;
    if (press->action != Action::kTechnicianKey) continue;
    if (++presses < core::kTechnicianKeyPresses) continue;
    presses = 0;
    const Screen menu = device::OptionsMenuScreen();
    shown_ = menu;
    view_.Show(menu);
    std::optional<Press> choice = view_.Wait(menu, std::nullopt);
    if (!choice) return false;
    if (const Button* button = menu.Find(choice->action)) view_.Pressed(*button);
    if (choice->action == Action::kPreprovision) return true;
  }
}

// Reset: the device forgets everything but its key (which belongs to the hardware).
OobeExit Driver::Wipe() {
  // The session ends here (a reset run failed); a fresh start opens another.
  const core::DeploymentState state =
      flow_ == kTechnician ? core::DeploymentStateOf(tech_) : core::DeploymentStateOf(user_);
  FinishFlow(flow_, state, /*reset=*/true);
  Flush(true);
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(options_.state, ec)) {
    const std::string name = entry.path().filename().string();
    // Diagnostics outlive a reset: support asks for them after.
    if (name == "device.key" || name == Journal::kFileName || name == "diagnostics") continue;
    fs::remove_all(entry.path(), ec);
  }
  (void)journal_.Clear();
  return OobeExit::kReset;
}

// ---------------------------------------------------------------------------------------------
// Rendering

Screen Driver::Current() {
  device_.now = clock_();
  device_.transfers.clear();
  auto collect = [&](const auto& state) {
    for (const core::PhaseRun* run : PhaseRuns(state)) {
      for (const core::ItemRun& item : run->items) {
        if (item.status != core::ItemStatus::kInProgress) continue;
        if (auto latest = progress_.Get(item.plan.id)) {
          device_.transfers[item.plan.id] = {latest->first, latest->second};
        }
      }
    }
  };
  if (flow_ == kTechnician) {
    collect(tech_);
    return device::TechnicianScreenOf(tech_, device_);
  }
  collect(user_);
  return device::UserScreenOf(user_, device_);
}

void Driver::Render() {
  if (flow_.empty()) return;  // the first screen draws itself
  Screen screen = Current();
  view_.Show(screen);
  shown_ = std::move(screen);
}

bool Driver::ViewOnly(const Press& press) {
  if (press.action != Action::kToggleDetails || !press.phase) return false;
  if (!device_.details.erase(*press.phase)) device_.details.insert(*press.phase);
  Render();
  return true;
}

void Driver::TakeKeys() {
  if (!view_.interactive() || !shown_) return;
  while (std::optional<Press> press = view_.Wait(*shown_, std::chrono::milliseconds(0))) {
    ViewOnly(*press);  // a screen that works on its own takes nothing else
  }
}

Result<std::optional<Press>> Driver::Choose(std::optional<Action> answer, std::string_view member) {
  if (!shown_) Render();
  const Screen& screen = *shown_;
  if (answer) {
    const Button* button = screen.Find(*answer);
    if (button == nullptr) {
      std::string offered;
      for (const Button& b : screen.buttons) {
        if (b.hidden || b.action == Action::kToggleDetails) continue;
        offered += fmt::format("{}{}", offered.empty() ? "" : ", ", device::ActionName(b.action));
      }
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("{}: \"{}\" is not offered on the screen \"{}\" (it offers: {})",
                                   member, device::ActionName(*answer), screen.title,
                                   offered.empty() ? "nothing" : offered),
                       std::string(member));
    }
    view_.Pressed(*button);
    return std::optional<Press>(Press{.action = *answer});
  }
  while (view_.interactive() && !view_.closed()) {
    std::optional<Press> press = view_.Wait(*shown_, std::nullopt);
    if (!press) break;
    if (ViewOnly(*press)) continue;
    const Button* button = shown_->Find(press->action, press->phase);
    if (button == nullptr) continue;  // a view only offers the screen's buttons
    view_.Pressed(*button);
    return std::optional<Press>(std::move(*press));
  }
  return std::optional<Press>();
}

std::optional<Action> Driver::NextErrorButton(bool technician, bool& stop) {
  if (answers_.on_error.empty()) return std::nullopt;
  const std::string name = answers_.on_error.front();
  answers_.on_error.pop_front();
  stop = name == "stop";
  if (name == "retry") return technician ? Action::kRetry : Action::kTryAgain;
  if (name == "reset") return Action::kReset;
  if (name == "diagnostics" || name == "collectLogs") {
    return technician ? Action::kDiagnostics : Action::kCollectLogs;
  }
  if (name == "continue") return Action::kContinueAnyway;  // refused where not offered
  return std::nullopt;
}

OobeExit Driver::Unanswered(std::string_view member) {
  if (view_.interactive()) {
    Fail(Gone());
    return OobeExit::kFailed;
  }
  Fail(MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("nobody can answer this screen: give \"{}\" in the answers file", member),
      std::string(member)));
  return OobeExit::kUsage;
}

// The landing screen's checklist (DESIGN.md §4.4): the service answers, it knows this device,
// a profile that allows pre-provisioning is assigned, the device's key is accepted, and the
// device's clock agrees with the service's (tokens and one-time codes depend on it).
void Driver::DesktopReached() {
  if (!options_.on_complete.empty()) (void)std::system(options_.on_complete.c_str());
}

void Driver::RunChecks() {
  std::vector<device::Check> checks;
  const bool reachable = service_.Reachable();
  checks.push_back({"Service reachable", reachable, reachable ? "" : "no answer from --server"});
  const Status proven = reachable ? service_.EnsureDeviceToken() : Status(Gone());
  checks.push_back({"Device registered and its key accepted", static_cast<bool>(proven),
                    proven ? "" : proven.error().message});
  const std::optional<core::ProfileInfo>& profile = tech_.profile;
  checks.push_back({"Deployment profile assigned", profile.has_value(),
                    profile ? "" : "no profile: assign one to this device"});
  checks.push_back({"Profile allows pre-provisioning", profile && profile->preprovisioning_allowed,
                    profile && !profile->preprovisioning_allowed
                        ? "turn on preprovisioningAllowed in the profile"
                        : ""});
  if (proven) {
    const auto service_time = service_.ServiceTime();
    if (service_time) {
      const auto skew = std::chrono::duration_cast<std::chrono::seconds>(clock_() - *service_time);
      const bool close = std::chrono::abs(skew) <= std::chrono::minutes(5);
      checks.push_back(
          {"Clock in step with the service", close,
           close ? "" : fmt::format("{} s apart: set the device's clock", skew.count())});
    }
  }
  device_.checks = std::move(checks);
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

Status Driver::AdoptInstallers() {
  if (!options_.pending_installers) return Ok{};
  const bool technician = flow_ == kTechnician;
  for (const std::string& id : options_.pending_installers()) {
    const core::PhaseRun* run =
        technician ? core::PhaseOnScreen(tech_) : core::PhaseOnScreen(user_);
    if (run == nullptr) return Ok{};
    const core::ItemRun* item = core::FindItem(*run, id);
    if (item == nullptr || item->status != core::ItemStatus::kInProgress) continue;
    Result<ItemRunner> runner = RunnerFor(flow_);
    if (!runner) return runner.error();
    Render();
    std::stop_source never;
    const ItemOutcome outcome = (*runner)(item->plan, never.get_token(), progress_.Track(id));
    device::ItemFinish finish = device::FinishItem(*run, *item, outcome);
    Status applied = std::visit(
        [&](const auto& e) {
          return technician ? Tech(e, std::move(finish.reports))
                            : User(e, std::move(finish.reports));
        },
        finish.event);
    if (!applied) return applied;
  }
  return Ok{};
}

Status Driver::RefreshDeployment(std::string_view flow) {
  const json::object body =
      flow == kTechnician ? json::object{{"flow", kTechnician}}
                          : json::object{{"flow", kUser}, {"installed", wire::Encode(inventory_)}};
  Result<Answer> answer = CallWaiting([&] {
    return flow == kTechnician ? service_.Device("POST", "/deployment", body)
                               : service_.WithToken(user_token_, "POST", "/deployment", body);
  });
  if (!answer) return answer.error();
  if (!answer->ok()) return ErrorOf(*answer);
  Result<device::Deployment> deployment = device::ReadDeployment(answer->body);
  if (!deployment) return deployment.error();
  return KeepDeployment(flow, *deployment);
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
      case TechnicianScreen::kFirstScreen:  // the technician pressed the key already
        step = Tech(core::TechnicianKeyPressed{});
        break;
      case TechnicianScreen::kOptionsMenu:
        step = Tech(core::OptionChosen{core::MenuOption::kPreprovision});
        break;
      case TechnicianScreen::kLanding: {
        if (tech_.refusal) {  // refused at once: nothing was installed
          FinishFlow(kTechnician, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kFailed;
        }
        RunChecks();
        Render();
        std::optional<Action> answer;
        if (answers_.provision) {
          if (!*answers_.provision) return OobeExit::kFailed;  // stopped at the landing
          answer = Action::kProvision;
        } else if (!view_.interactive()) {
          answer = Action::kProvision;  // unattended: go on
        }
        Result<std::optional<Press>> press = Choose(answer, "provision");
        if (!press) {
          Fail(press.error());
          return OobeExit::kUsage;
        }
        if (!*press) return Unanswered("provision");
        step = (*press)->action == Action::kRefresh ? Tech(core::RefreshPressed{})
                                                    : Tech(core::ProvisionPressed{});
        break;
      }
      case TechnicianScreen::kDevicePreparation:
        step = PreparationStep();
        break;
      case TechnicianScreen::kDeviceSetup: {
        Result<bool> reboot = RunPhase(kTechnician);
        if (!reboot) {
          step = reboot.error();
        } else if (*reboot) {
          Flush(true);
          Say(device::Notice{device::Notice::Tone::kInfo,
                             "An app asked for a restart: start the agent again to go on."});
          return OobeExit::kRebootRequested;
        }
        break;
      }
      case TechnicianScreen::kResultSuccess: {
        std::optional<Action> answer;
        if (answers_.reseal) {
          if (!*answers_.reseal) {  // left on the success screen
            Flush(true);
            return OobeExit::kDone;
          }
          answer = Action::kReseal;
        } else if (!view_.interactive()) {
          answer = Action::kReseal;
        }
        Result<std::optional<Press>> press = Choose(answer, "reseal");
        if (!press) {
          Fail(press.error());
          return OobeExit::kUsage;
        }
        if (!*press) return Unanswered("reseal");
        Result<Answer> resealed = CallWaiting([&] { return service_.Device("POST", "/reseal"); });
        if (!resealed || !resealed->ok()) {
          step = resealed ? ErrorOf(*resealed) : resealed.error();
          break;
        }
        std::vector<core::InstalledItem> inventory = core::InventoryAfter(tech_);
        if (Status s = Record({{"t", "inventory"}, {"items", InventoryJson(inventory)}}); !s) {
          step = s;
          break;
        }
        inventory_ = std::move(inventory);
        if (Status s = Record({{"t", "resealed"}, {"detail", resealed->body}}); !s) {
          step = s;
          break;
        }
        resealed_ = true;
        device_.notice = device::Notice{
            device::Notice::Tone::kSuccess,
            "The user can start setting up this device as soon as it is switched on, until " +
                JsonText(resealed->body, "credentialsValidUntil") + "."};
        step = Tech(core::ResealPressed{});
        break;
      }
      case TechnicianScreen::kResultFailure: {
        bool stop = false;
        const std::optional<Action> answer = NextErrorButton(/*technician=*/true, stop);
        if (stop || (!answer && !view_.interactive())) {  // nobody presses anything: the run ends
          FinishFlow(kTechnician, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kFailed;
        }
        Result<std::optional<Press>> press = Choose(answer, "onError");
        if (!press) {
          Fail(press.error());
          return OobeExit::kUsage;
        }
        if (!*press) return Unanswered("onError");
        device_.notice.reset();
        switch ((*press)->action) {
          case Action::kRetry:
            // The admin may have fixed what failed meanwhile: the current payloads first.
            if (tech_.failed_phase == core::EspPhase::kDeviceSetup) {
              if (Status fresh = RefreshDeployment(kTechnician); !fresh) {
                step = fresh;
                break;
              }
            }
            step = Tech(core::RetryPressed{});
            break;
          case Action::kReset:
            step = Tech(core::ResetPressed{});
            break;
          default:
            CollectLogs();
            step = Tech(core::DiagnosticsPressed{});
            break;
        }
        break;
      }
      case TechnicianScreen::kResealed:
        FinishFlow(kTechnician, core::DeploymentStateOf(tech_));
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

Driver::AccountStep Driver::SetUpLocalAccount() {
  if (!password_hash_) {
    // The password went with a restart: the user signs in again (the answers file's password
    // is given again when unattended).
    answers_.password = options_.answers.password;
    return AccountStep::kSignInAgain;
  }
  executor::AccountRequest request;
  request.user_principal_name = user_.upn;
  request.password_hash = std::move(*password_hash_);
  password_hash_.reset();
  const std::optional<core::ProfileInfo>& profile = user_.profile;
  if (profile && text::ToLowerAscii(profile->assigned_user_upn) == text::ToLowerAscii(user_.upn)) {
    request.display_name = profile->greeting_name;
  }
  request.administrator = !profile || profile->user_type == core::WindowsUserType::kAdministrator;
  executor::AccountOptions account_options;
  account_options.ids = options_.account_ids;
  Result<executor::LocalAccount> account =
      executor::SetUpAccount(options_.root, request, account_options);
  if (!account) {
    const Error& error = account.error();
    Say(device::Notice{
        device::Notice::Tone::kError,
        "Your account could not be set up on this device: " +
            (error.field.empty() ? error.message : error.field + ": " + error.message)});
    FinishFlow(kUser, core::DeploymentState::kFailure);
    Flush(true);
    return AccountStep::kFailed;
  }
  return AccountStep::kReady;
}

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
      case UserScreen::kOobePages: {
        // The region and keyboard pages take the answers file's; the license page is accepted
        // unattended only.
        const core::OobePage page =
            user_.pages.empty() ? core::OobePage::kSignIn : user_.pages.front();
        const bool answered = !view_.interactive() ||
                              (page == core::OobePage::kRegion && answers_.region) ||
                              (page == core::OobePage::kKeyboard && answers_.keyboard);
        const char* member = page == core::OobePage::kKeyboard ? "keyboard" : "region";
        Result<std::optional<Press>> press =
            Choose(answered ? std::optional(Action::kNext) : std::nullopt, member);
        if (!press) return OobeExit::kUsage;
        if (!*press) return Unanswered(member);
        step = User(core::PageConfirmed{});
        break;
      }
      case UserScreen::kSignIn: {
        if (user_.sign_in_problem &&
            user_.sign_in_problem->error != core::SignInError::kInvalidCredentials) {
          FinishFlow(kUser, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kFailed;  // refused: another attempt cannot succeed
        }
        const std::string prefilled(core::PrefilledUpn(user_));
        if (!view_.interactive() || answers_.password) {
          // Unattended: the answers file signs in, once per password it gives.
          if (user_.sign_in_problem && !answers_.password) return OobeExit::kFailed;
          const std::string upn = answers_.user_principal_name.value_or(prefilled);
          if (upn.empty()) return Unanswered("userPrincipalName");
          if (!answers_.password) return Unanswered("password");
          step = User(core::SignInSubmitted{upn});
          break;
        }
        Result<std::optional<Press>> press = Choose(std::nullopt, "password");
        if (!press) return OobeExit::kUsage;
        if (!*press) return Unanswered("password");
        const std::string upn =
            prefilled.empty() ? (*press)->inputs["userPrincipalName"] : prefilled;
        std::string& password = (*press)->inputs["password"];
        if (upn.empty() || password.empty()) {
          Say(device::Notice{device::Notice::Tone::kError,
                             upn.empty() ? "Enter your user name." : "Enter your password."});
          break;
        }
        password_ = std::move(password);
        device_.notice.reset();
        step = User(core::SignInSubmitted{upn});
        break;
      }
      case UserScreen::kSigningIn: {
        std::optional<std::string> password = std::move(password_);
        password_.reset();
        if (!password) password = std::move(answers_.password);
        answers_.password.reset();  // sent once; a refusal needs it typed (or given) again
        if (!password) {
          // A restart while signing in: the password is never journaled, so sign in again.
          step = User(core::SignInRefused{
              {core::SignInError::kInvalidCredentials, "Sign in again to go on."}});
          break;
        }
        // The local account gets the hash; the password itself is sent once and cleared.
        std::string hashed_copy = *password;
        Result<std::string> hash = executor::HashPassword(options_.root, hashed_copy);
        password_hash_.reset();
        if (hash) password_hash_ = std::move(*hash);
        Result<Answer> answer = CallWaiting([&] {
          return SignIn("/signIn",
                        json::object{{"userPrincipalName", user_.upn}, {"password", *password}});
        });
        ::explicit_bzero(password->data(), password->size());
        password.reset();
        if (!hash) {
          // Not expected (libcrypt refuses only unknown methods): the account cannot be made.
          Say(device::Notice{
              device::Notice::Tone::kError,
              "Your account could not be set up on this device: " + hash.error().message});
          FinishFlow(kUser, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kFailed;
        }
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
            device_.enrollment_uri.clear();
            device_.enrollment_secret.clear();
            mfa_tries = 0;
            if (signed_in.kind == device::SignInAnswer::Kind::kMfaRegistrationRequired) {
              // The user scans the code into their authenticator and proves it with a first
              // code. Unattended only, the answers file stands in for the phone: the code is
              // computed from the link's secret.
              const std::string& uri = signed_in.otpauth_uri;
              device_.enrollment_uri = uri;
              if (const size_t at = uri.find("secret="); at != std::string::npos) {
                const size_t start = at + 7;
                device_.enrollment_secret = uri.substr(start, uri.find('&', start) - start);
                if (!view_.interactive()) {
                  if (auto seed = identity::Base32Decode(device_.enrollment_secret)) {
                    registration_seed_ = *seed;
                  }
                }
              }
            }
            step = User(core::MfaRequired{});
            break;
          case device::SignInAnswer::Kind::kSignedIn:
            if (const AccountStep made = SetUpLocalAccount(); made != AccountStep::kReady) {
              if (made == AccountStep::kFailed) return OobeExit::kFailed;
              step = User(core::SignInRefused{
                  {core::SignInError::kInvalidCredentials, "Sign in again to go on."}});
              break;
            }
            user_token_ = signed_in.token;
            if (Status s = Record({{"t", "userToken"}, {"token", user_token_}}); !s) {
              return OobeExit::kFailed;
            }
            step = User(core::SignInAccepted{});
            break;
          case device::SignInAnswer::Kind::kCodeRefused:
          case device::SignInAnswer::Kind::kRefused:
            password_hash_.reset();  // a refused password is not the account's
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
        } else {
          Result<std::optional<Press>> press = Choose(std::nullopt, "totpCode");
          if (!press) return OobeExit::kUsage;
          if (!*press) return Unanswered(device_.enrollment_uri.empty() ? "totpSeed" : "totpCode");
          code = (*press)->inputs["code"];
          if (code.empty()) {
            Say(device::Notice{device::Notice::Tone::kError,
                               "Enter the code your authenticator app shows."});
            break;
          }
        }
        ++mfa_tries;
        Result<Answer> answer = CallWaiting([&] {
          return SignIn("/signIn/" + mfa_challenge_, json::object{{"code", code}});
        });
        if (!answer) {
          step = answer.error();
          break;
        }
        const device::SignInAnswer verified =
            device::ReadSignInAnswer(answer->status, answer->body);
        if (verified.kind == device::SignInAnswer::Kind::kSignedIn) {
          if (const AccountStep made = SetUpLocalAccount(); made != AccountStep::kReady) {
            if (made == AccountStep::kFailed) return OobeExit::kFailed;
            device_.enrollment_uri.clear();
            device_.enrollment_secret.clear();
            step = User(core::SignInRefused{
                {core::SignInError::kInvalidCredentials, "Sign in again to go on."}});
            break;
          }
          user_token_ = verified.token;
          if (Status s = Record({{"t", "userToken"}, {"token", user_token_}}); !s) {
            return OobeExit::kFailed;
          }
          device_.notice.reset();
          device_.enrollment_uri.clear();
          device_.enrollment_secret.clear();
          registration_seed_.reset();
          step = User(core::MfaCodeAccepted{});
        } else if (verified.kind == device::SignInAnswer::Kind::kCodeRefused && mfa_tries < 3) {
          device_.notice = device::Notice{device::Notice::Tone::kError,
                                          "That code didn't work. Check the code in your "
                                          "authenticator app and try again."};
          step = User(core::MfaCodeRefused{});
        } else {
          // The service may have lost the challenge (it restarted after taking the code): sign
          // in again, with the answers file's password once more when unattended.
          const bool lost = verified.kind == device::SignInAnswer::Kind::kRefused &&
                            verified.problem.error == core::SignInError::kInvalidCredentials &&
                            answer->status != 403;
          if (lost && signed_in_again_ < 2) {
            ++signed_in_again_;
            answers_.password = options_.answers.password;
            if (!answers_.totp_seed && options_.answers.totp_code) {
              answers_.totp_code = options_.answers.totp_code;
            }
          }
          device_.notice.reset();
          device_.enrollment_uri.clear();
          device_.enrollment_secret.clear();
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
          Say(device::Notice{device::Notice::Tone::kInfo,
                             "An app asked for a restart: start the agent again to go on."});
          return OobeExit::kRebootRequested;
        }
        break;
      }
      case UserScreen::kPrivacy: {
        const bool answered = answers_.privacy.has_value() || !view_.interactive();
        Result<std::optional<Press>> press =
            Choose(answered ? std::optional(Action::kAccept) : std::nullopt, "privacy");
        if (!press) return OobeExit::kUsage;
        if (!*press) return Unanswered("privacy");
        step = User(core::PrivacyAccepted{});
        break;
      }
      case UserScreen::kQualityUpdates:
        step = User(core::QualityUpdatesDone{});
        break;
      case UserScreen::kEspError: {
        bool stop = false;
        const std::optional<Action> answer = NextErrorButton(/*technician=*/false, stop);
        if (!answer && view_.interactive() && shown_) {
          bool offered = false;  // a button to press, beside Show/Hide details
          for (const Button& b : shown_->buttons) {
            offered = offered || b.action != Action::kToggleDetails;
          }
          stop = !offered;
        }
        if (stop || (!answer && !view_.interactive())) {  // nobody presses anything: the run ends
          FinishFlow(kUser, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kFailed;
        }
        Result<std::optional<Press>> press = Choose(answer, "onError");
        if (!press) {
          Fail(press.error());
          FinishFlow(kUser, core::DeploymentState::kFailure);
          Flush(true);
          return OobeExit::kUsage;
        }
        if (!*press) return Unanswered("onError");
        device_.notice.reset();
        switch ((*press)->action) {
          case Action::kTryAgain:
            if (Status fresh = RefreshDeployment(kUser); !fresh) {
              step = fresh;
              break;
            }
            step = User(core::TryAgainPressed{});
            break;
          case Action::kContinueAnyway:
            step = User(core::ContinueAnywayPressed{});
            break;
          case Action::kReset:
            step = User(core::ResetPressed{});
            break;
          default:
            CollectLogs();
            step = User(core::CollectLogsPressed{});
            break;
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
        FinishFlow(kUser, core::DeploymentStateOf(user_));
        Flush(true);
        DesktopReached();
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
    Say(device::Notice{device::Notice::Tone::kSuccess, "This device is set up already."});
    DesktopReached();  // again: whatever waits for it (a kiosk's hand-over) hears it again
    return OobeExit::kDone;
  }
  if (restarted) {
    device_.notice = device::Notice{device::Notice::Tone::kInfo,
                                    "Resuming the " + flow_ + " flow after a restart."};
    if (Status adopted = AdoptInstallers(); !adopted) {
      Fail(adopted.error());
      return OobeExit::kFailed;
    }
    Status rebooted = flow_ == kTechnician ? Tech(core::Rebooted{}) : User(core::Rebooted{});
    if (!rebooted) {
      Fail(rebooted.error());
      return OobeExit::kFailed;
    }
  } else {
    const bool technician =
        !resealed_ && (options_.preprovision || answers_.technician ||
                       (view_.interactive() && TechnicianChoosesPreprovisioning()));
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

OobeExit RunOobe(const OobeOptions& options, ServiceClient& service, Journal& journal, View& view,
                 const RunnerFactory& make_runner, const Clock& clock, device::Screen* last) {
  Driver driver(options, service, journal, view, make_runner, clock);
  const OobeExit exit = driver.Run();
  if (last != nullptr && driver.shown()) *last = *driver.shown();
  return exit;
}

}  // namespace groundcrew::agent
