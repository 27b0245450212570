#include "scenario_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "core/esp/lint.hpp"
#include "core/esp/plan.hpp"
#include "core/esp/run.hpp"
#include "core/flow/technician_flow.hpp"
#include "core/flow/user_flow.hpp"
#include "core/targeting/eligibility.hpp"
#include "core/targeting/targeting.hpp"
#include "device/flow/flow_reports.hpp"
#include "device/flow/phase_steps.hpp"
#include "scenario_tenant.hpp"
#include "scenario_values.hpp"

namespace groundcrew::core::scenarios {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

// How many of the most recent events a failure message shows.
constexpr int kRecentEvents = 8;

/// What the device driver makes of an item when `run` simulates a phase.
struct Outcome {
  enum class Kind { kSucceed, kFail, kExits, kHang };
  Kind kind = Kind::kSucceed;
  RebootKind reboot = RebootKind::kNone;
  std::int64_t code = 0;
  std::string message;
  std::vector<std::int64_t> exits;  ///< one per attempt; the last repeats
  seconds takes = minutes{1};
};

class World {
 public:
  explicit World(const Script& script) : script_(script) {}

  std::vector<Failure> Run() {
    const std::vector<Line>& lines = script_.lines;
    for (size_t i = 0; i < lines.size(); ++i) {
      const Line& line = lines[i];
      line_ = line.number;
      if (line.Word(0) == "expect" && line.Word(1) == "error") {
        Fail(line, "`expect error` must follow the command expected to fail");
        break;
      }
      Status status = Execute(line);
      const bool error_expected = i + 1 < lines.size() && lines[i + 1].Word(0) == "expect" &&
                                  lines[i + 1].Word(1) == "error";
      if (error_expected) {
        ++i;
        line_ = lines[i].number;
        CheckError(lines[i], status);
        continue;
      }
      if (!status) {
        Fail(line, fmt::format("unexpected error: {} ({})", status.error().message,
                               ToString(status.error().code)));
        break;
      }
    }
    return std::move(failures_);
  }

 private:
  using Handler = Status (World::*)(const Line&);

  // Bookkeeping.

  void Fail(const Line& line, std::string message) {
    if (!trace_.empty()) {
      const size_t from = trace_.size() > kRecentEvents ? trace_.size() - kRecentEvents : 0;
      message += "\n  recent events:";
      for (size_t i = from; i < trace_.size(); ++i) message += "\n    " + trace_[i];
    }
    failures_.push_back(Failure{line.number, std::move(message)});
  }

  // Records a failed expectation when `actual` differs from `expected`.
  void ExpectEq(const Line& line, std::string_view what, std::string_view expected,
                std::string_view actual) {
    if (expected != actual) {
      Fail(line, fmt::format("{}: expected {}, actual {}", what, expected, actual));
    }
  }

  void Trace(std::string_view event, std::string_view screen) {
    trace_.push_back(fmt::format("line {}: {} -> {}", line_, event, screen));
  }

  // The device of the running flow.
  DeviceRecord& Device() { return *tenant_.FindDevice(device_).value(); }

  Result<const User*> FindUserByUpn(std::string_view upn) {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const User* user = (*index)->FindUserByPrincipalName(upn);
    if (user == nullptr) return Bad(fmt::format("no user \"{}\"", upn));
    return user;
  }

  // Time and outcomes.

  Status Clock(const Line& line) {
    Result<Timestamp> t = ParseTime(line.Word(1));
    if (!t) return t.error();
    if (*t < now_) return Bad("the clock cannot go back");
    now_ = *t;
    return Ok{};
  }

  Status TickCommand(const Line& line) {
    Result<seconds> d = ParseDuration(line.Word(1));
    if (!d) return d.error();
    now_ += *d;
    if (!tech_ && !user_) return Ok{};
    return SendAny(Tick{});
  }

  Status Concurrency(const Line& line) {
    Result<long long> n = ParseInt(line.Word(1));
    if (!n) return n.error();
    if (*n < 1) return Bad("concurrency is at least 1");
    concurrency_ = static_cast<int>(*n);
    return Ok{};
  }

  // `outcome <item> succeeds [reboot=] | fails <code> ["message"] | exits <code>... | hangs`,
  // each with an optional takes=<duration> (default 1m).
  Status OutcomeCommand(const Line& line) {
    Outcome outcome;
    const std::string& verb = line.Word(2);
    if (verb == "succeeds") {
      outcome.kind = Outcome::Kind::kSucceed;
      if (const std::string* r = line.Option("reboot")) {
        Result<RebootKind> reboot = ParseReboot(*r);
        if (!reboot) return reboot.error();
        outcome.reboot = *reboot;
      }
    } else if (verb == "fails") {
      outcome.kind = Outcome::Kind::kFail;
      Result<std::int64_t> code = ParseCode(line.Word(3));
      if (!code) return code.error();
      outcome.code = *code;
      outcome.message = line.Word(4);
    } else if (verb == "exits") {
      outcome.kind = Outcome::Kind::kExits;
      for (size_t i = 3; i < line.words.size(); ++i) {
        Result<std::int64_t> code = ParseCode(line.words[i]);
        if (!code) return code.error();
        outcome.exits.push_back(*code);
      }
      if (outcome.exits.empty()) return Bad("exits needs at least one exit code");
    } else if (verb == "hangs") {
      outcome.kind = Outcome::Kind::kHang;
    } else {
      return Bad("outcome is succeeds, fails <code>, exits <code>... or hangs");
    }
    if (const std::string* t = line.Option("takes")) {
      Result<seconds> takes = ParseDuration(*t);
      if (!takes) return takes.error();
      outcome.takes = *takes;
    }
    outcomes_[line.Word(1)] = std::move(outcome);
    return Ok{};
  }

  Outcome OutcomeFor(const std::string& id) const {
    auto it = outcomes_.find(id);
    return it != outcomes_.end() ? it->second : Outcome{};
  }

  // The return codes of item `id`: the app's (Win32 defaults for anything else).
  std::vector<ReturnCode> ReturnCodesOf(const std::string& id) {
    if (Result<const TargetingIndex*> index = tenant_.Index(); index) {
      if (const App* app = (*index)->FindApp(id)) return app->return_codes;
    }
    return DefaultReturnCodes();
  }

  // The scripted outcome of `item`'s current attempt, as a device would apply it.
  RunEvent OutcomeEvent(const PhaseRun& run, const ItemRun& item) {
    const Outcome outcome = OutcomeFor(item.plan.id);
    device::ItemOutcome ended;
    switch (outcome.kind) {
      case Outcome::Kind::kSucceed:
        ended = {.kind = device::ItemOutcome::Kind::kSucceeded, .reboot = outcome.reboot};
        break;
      case Outcome::Kind::kFail:
        ended = {.kind = device::ItemOutcome::Kind::kFailed,
                 .code = outcome.code,
                 .message = outcome.message};
        break;
      case Outcome::Kind::kExits: {
        const size_t n = std::min<size_t>(std::max(item.attempt, 1), outcome.exits.size());
        ended = device::ItemOutcome::Exited(ReturnCodesOf(item.plan.id), outcome.exits[n - 1]);
        break;
      }
      case Outcome::Kind::kHang:
        return Tick{};  // unreachable: hanging items never finish
    }
    return device::FinishItem(run, item, ended).event;
  }

  // Flows.

  // What the device reports once a flow is over: its inventory, updated with the flow's runs.
  // A hidden ESP installs in the background; the scripted outcomes say what stuck.
  void EndFlow() {
    if (device_.empty()) return;
    DeviceRecord& device = Device();
    auto background = [&](const std::optional<PhasePlan>& plan) {
      if (!plan) return;
      for (const PlanItem& item : plan->items) {
        const Outcome outcome = OutcomeFor(item.id);
        const bool ok = outcome.kind == Outcome::Kind::kSucceed ||
                        (outcome.kind == Outcome::Kind::kExits && outcome.exits.back() == 0);
        std::erase_if(device.inventory, [&](const InstalledItem& i) {
          return i.kind == item.kind && i.id == item.id;
        });
        device.inventory.push_back(InstalledItem{
            item.kind, item.id, item.version, ok ? ItemOutcome::kInstalled : ItemOutcome::kFailed});
      }
    };
    auto fold = [&](const std::optional<EspPlan>& plan, const std::optional<PhaseRun>& setup,
                    const std::optional<PhaseRun>& account) {
      if (plan && !plan->show_progress) {
        background(plan->device_setup);
        background(plan->account_setup);
        return;
      }
      if (setup) device.inventory = UpdateInventory(std::move(device.inventory), *setup);
      if (account) device.inventory = UpdateInventory(std::move(device.inventory), *account);
    };
    if (tech_) fold(tech_->plan, tech_->device_setup, std::nullopt);
    if (user_) fold(user_->plan, user_->device_setup, user_->account_setup);
    tech_.reset();
    user_.reset();
    device_.clear();
  }

  Status StartFlow(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(1));
    if (!device) return device.error();
    EndFlow();
    device_ = line.Word(1);
    if (line.Word(0) == "technician") {
      tech_ = TechnicianState{};
      Trace("technician flow starts", ToString(tech_->screen));
    } else {
      user_ = UserState{};
      Trace("user flow starts", ToString(user_->screen));
    }
    return Ok{};
  }

  Status SendTech(const TechnicianEvent& event) {
    if (!tech_) return Bad("no technician flow is running (`technician <device>` starts one)");
    Result<device::Advanced<TechnicianState>> next = device::Advance(*tech_, event, now_);
    if (!next) return next.error();
    *tech_ = std::move(next->state);
    Trace(ToString(event), ToString(tech_->screen));
    return ServeTechnician();
  }

  Status SendUser(const UserEvent& event) {
    if (!user_) return Bad("no user flow is running (`user-flow <device>` starts one)");
    Result<device::Advanced<UserState>> next = device::Advance(*user_, event, now_);
    if (!next) return next.error();
    *user_ = std::move(next->state);
    Trace(ToString(event), ToString(user_->screen));
    return ServeUser();
  }

  // Events both flows take.
  template <class E>
  Status SendAny(const E& event) {
    if (tech_) return SendTech(event);
    if (user_) return SendUser(event);
    return Bad("no flow is running");
  }

  // The deployment service: the profile of the active device, or nullopt when none applies.
  Result<std::optional<ProfileInfo>> ServiceProfile() {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const DeviceRecord& device = Device();
    const DeploymentProfile* profile =
        (*index)->DeploymentProfileFor((*index)->DeviceGroups(tenant_.DirectoryOf(device)));
    if (profile == nullptr) return std::optional<ProfileInfo>();
    return std::optional<ProfileInfo>(
        MakeProfileInfo(tenant_.settings(), device.registration, *profile));
  }

  template <class Send>
  Status ServeProfile(Send send) {
    Result<std::optional<ProfileInfo>> profile = ServiceProfile();
    if (!profile) return profile.error();
    if (!*profile) return send(ProfileUnavailable{"no deployment profile is assigned"});
    return send(ProfileReceived{**profile});
  }

  Status ServeTechnician() {
    DeviceRecord& device = Device();
    const ItemRun* enrolled =
        FindItem(tech_->preparation, ToString(PreparationStep::kRegisteringForManagement));
    if (enrolled != nullptr && enrolled->status == ItemStatus::kSucceeded &&
        device.registration.enrollment_state != EnrollmentState::kEnrolled) {
      device.registration.enrollment_state = EnrollmentState::kEnrolled;
      device.joined = true;
      device.enrollment_profile_name = tech_->profile ? tech_->profile->profile_name : "";
    }
    if (tech_->screen == TechnicianScreen::kProfileDownload) {
      return ServeProfile([&](auto e) { return SendTech(e); });
    }
    return Ok{};
  }

  Status ServeUser() {
    if (user_->screen == UserScreen::kProfileDownload) {
      return ServeProfile([&](auto e) { return SendUser(e); });
    }
    if (user_->screen == UserScreen::kSigningIn) return ServeSignIn();
    if (user_->screen == UserScreen::kIdentifying) return ServeUserPlan();
    if (user_->screen == UserScreen::kDesktop &&
        user_->compliance.state == ComplianceState::kUnknown) {
      return ServeCompliance();
    }
    return Ok{};
  }

  // The desktop is reached: the service evaluates the device's compliance policies against the
  // facts the device reports.
  Status ServeCompliance() {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    Result<const User*> user = FindUserByUpn(user_->upn);
    if (!user) return user.error();
    const DeviceRecord& device = Device();
    const GroupSet device_groups = (*index)->DeviceGroups(tenant_.DirectoryOf(device));
    const GroupSet user_groups = (*index)->UserGroups(**user);
    const std::vector<CompliancePolicy> policies =
        CompliancePoliciesFor(**index, device_groups, &user_groups);
    return SendUser(ComplianceEvaluated{EvaluateCompliance(policies, device.facts)});
  }

  // The identity service's verdict on the submitted credentials.
  Status ServeSignIn() {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const User* user = (*index)->FindUserByPrincipalName(user_->upn);
    if (user == nullptr || !password_ok_) {
      return SendUser(SignInRefused{SignInProblem{
          SignInError::kInvalidCredentials, user == nullptr
                                                ? "We couldn't find an account with that user name."
                                                : "Your account or password is incorrect."}});
    }
    const GroupSet groups = (*index)->UserGroups(*user);
    if (std::optional<SignInRefusal> refusal =
            CheckSignIn(**index, Device().registration, *user, groups)) {
      return SendUser(
          SignInRefused{SignInProblem{ToSignInError(refusal->reason), refusal->message}});
    }
    if (tenant_.RequiresMfa(*user)) return SendUser(MfaRequired{});
    return SendUser(SignInAccepted{});
  }

  Result<EspPlan> BuildPlan(const DeviceRecord& device, const User* user) {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const DirectoryDevice directory = tenant_.DirectoryOf(device);
    PlanRequest request;
    request.flow = user != nullptr ? Flow::kUser : Flow::kTechnician;
    request.device = &directory;
    request.registration = &device.registration;
    request.user = user;
    if (user != nullptr) request.installed = device.inventory;
    Result<EspPlan> plan = BuildEspPlan(**index, request);
    if (plan) last_plan_ = *plan;
    return plan;
  }

  Status ServeUserPlan() {
    Result<const User*> user = FindUserByUpn(user_->upn);
    if (!user) return user.error();
    Result<EspPlan> plan = BuildPlan(Device(), *user);
    if (!plan) return plan.error();
    return SendUser(PlanReceived{std::move(*plan)});
  }

  // The last Device-preparation step: the device fetches its plan and creates the tracking.
  Status CreateTracking() {
    if (!tech_) return Bad("no technician flow is running");
    Result<EspPlan> plan = BuildPlan(Device(), nullptr);
    if (!plan) return plan.error();
    return SendTech(TrackingCreated{std::move(*plan)});
  }

  Status Network(const Line& line) {
    const std::string& what = line.Word(1);
    if (what == "up") return SendAny(NetworkUp{});
    if (what == "down") return SendAny(NetworkDown{});
    if (what == "connect") return SendAny(NetworkConnected{});
    return Bad("network up, down or connect");
  }

  Status Boot(const Line& line) {
    if (line.Word(1) == "offline") return SendAny(NetworkDown{});
    return SendAny(NetworkUp{});
  }

  Status Confirm(const Line& line) {
    if (line.Word(1) != "region-keyboard") return Bad("confirm region-keyboard");
    return SendAny(RegionKeyboardConfirmed{});
  }

  Status Press(const Line& line) {
    if (line.Word(1) != "technician-key") return Bad("press technician-key [times]");
    long long times = 1;
    if (line.words.size() > 2) {
      Result<long long> n = ParseInt(line.Word(2));
      if (!n) return n.error();
      times = *n;
    }
    for (long long i = 0; i < times; ++i) {
      if (Status ok = SendTech(TechnicianKeyPressed{}); !ok) return ok;
    }
    return Ok{};
  }

  Status Choose(const Line& line) {
    if (line.Word(1) == "preprovision") return SendTech(OptionChosen{MenuOption::kPreprovision});
    if (line.Word(1) == "back") return SendTech(OptionChosen{MenuOption::kBack});
    return Bad("choose preprovision or back");
  }

  // Provision, and the service's verdict once the device asks to be pre-provisioned.
  Status Provision(const Line&) {
    if (Status ok = SendTech(ProvisionPressed{}); !ok) return ok;
    if (tech_->screen != TechnicianScreen::kDevicePreparation) return Ok{};
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const DeviceRecord& device = Device();
    const DeploymentProfile* profile =
        (*index)->DeploymentProfileFor((*index)->DeviceGroups(tenant_.DirectoryOf(device)));
    if (std::optional<FlowError> refusal = CheckPreprovisioning(device.registration, profile)) {
      return SendTech(PreprovisioningRefused{*refusal});
    }
    return Ok{};
  }

  Status Step(const Line& line) {
    Result<PreparationStep> step = ParseStep(line.Word(1));
    if (!step) return step.error();
    if (line.Word(2) == "succeeds") {
      if (*step == PreparationStep::kPreparingForManagement) return CreateTracking();
      return SendTech(StepSucceeded{*step});
    }
    if (line.Word(2) == "fails") {
      Result<std::int64_t> code = ParseCode(line.Word(3));
      if (!code) return code.error();
      return SendTech(StepFailed{*step, *code, line.Word(4)});
    }
    return Bad("step <step> succeeds | fails <code> [message]");
  }

  Status SignIn(const Line& line) {
    password_ok_ = true;
    if (const std::string* password = line.Option("password")) password_ok_ = *password != "wrong";
    return SendUser(SignInSubmitted{line.Word(1)});
  }

  Status Mfa(const Line& line) {
    if (line.Word(1) == "ok") return SendUser(MfaCodeAccepted{});
    if (line.Word(1) == "wrong") return SendUser(MfaCodeRefused{});
    return Bad("mfa ok or wrong");
  }

  // Single-word actions.
  Status Action(const Line& line) {
    const std::string& word = line.Word(0);
    if (word == "refresh") return SendTech(RefreshPressed{});
    if (word == "retry") return SendTech(RetryPressed{});
    if (word == "diagnostics") return SendTech(DiagnosticsPressed{});
    if (word == "reseal") return SendTech(ResealPressed{});
    if (word == "reset") {
      // The device wipes itself and the service revokes what it was issued (its enrollment), so
      // a reset device may be pre-provisioned again without an admin's reprovision.
      Status sent = SendAny(ResetPressed{});
      if (!sent) return sent;
      Device().registration.enrollment_state = EnrollmentState::kNotContacted;
      Device().joined = false;
      return Ok{};
    }
    if (word == "reboot") return SendAny(Rebooted{});
    if (word == "next") return SendUser(PageConfirmed{});
    if (word == "try-again") return SendUser(TryAgainPressed{});
    if (word == "continue-anyway") return SendUser(ContinueAnywayPressed{});
    if (word == "collect-logs") return SendUser(CollectLogsPressed{});
    if (word == "accept-privacy") return SendUser(PrivacyAccepted{});
    if (word == "quality-updates-done") return SendUser(QualityUpdatesDone{});
    return Bad(fmt::format("unknown command \"{}\"", word));
  }

  Status SendRun(const RunEvent& event) {
    return std::visit([&](const auto& e) { return SendAny(e); }, event);
  }

  // `item <id> starts [bytes=N] | progress <done>/<total> | succeeds [reboot=] | fails <code>
  // [message] | retry [code] | exits <code>`.
  Status ItemCommand(const Line& line) {
    const std::string& id = line.Word(1);
    const std::string& verb = line.Word(2);
    if (verb == "starts") {
      ItemStarted e{.id = id};
      if (const std::string* bytes = line.Option("bytes")) {
        Result<long long> n = ParseInt(*bytes);
        if (!n) return n.error();
        e.bytes_total = *n;
      }
      return SendAny(e);
    }
    if (verb == "progress") {
      const std::string& v = line.Word(3);
      const size_t slash = v.find('/');
      Result<long long> done = ParseInt(v.substr(0, slash));
      if (!done) return done.error();
      ItemProgress e{.id = id, .bytes_done = *done};
      if (slash != std::string::npos) {
        Result<long long> total = ParseInt(v.substr(slash + 1));
        if (!total) return total.error();
        e.bytes_total = *total;
      }
      return SendAny(e);
    }
    if (verb == "succeeds") {
      ItemSucceeded e{.id = id};
      if (const std::string* r = line.Option("reboot")) {
        Result<RebootKind> reboot = ParseReboot(*r);
        if (!reboot) return reboot.error();
        e.reboot = *reboot;
      }
      return SendAny(e);
    }
    if (verb == "fails" || verb == "exits" || verb == "retry") {
      std::int64_t code = kInstallInProgressExitCode;
      if (verb != "retry" || line.words.size() > 3) {
        Result<std::int64_t> parsed = ParseCode(line.Word(3));
        if (!parsed) return parsed.error();
        code = *parsed;
      }
      if (verb == "fails")
        return SendAny(ItemFailed{.id = id, .code = code, .message = line.Word(4)});
      if (verb == "retry") return SendAny(ItemNeedsRetry{.id = id, .code = code});
      return SendRun(ExitCodeEvent(id, ReturnCodesOf(id), code));
    }
    return Bad("item <id> starts | progress | succeeds | fails | retry | exits");
  }

  // The simulated driver.

  const PhaseRun* CurrentRun() const {
    if (tech_) return PhaseOnScreen(*tech_);
    if (user_) return PhaseOnScreen(*user_);
    return nullptr;
  }

  const PhaseRun* RunOf(EspPhase phase) const {
    switch (phase) {
      case EspPhase::kDevicePreparation:
        return tech_ ? &tech_->preparation : nullptr;
      case EspPhase::kDeviceSetup:
        if (tech_ && tech_->device_setup) return &*tech_->device_setup;
        if (user_ && user_->device_setup) return &*user_->device_setup;
        return nullptr;
      case EspPhase::kAccountSetup:
        return user_ && user_->account_setup ? &*user_->account_setup : nullptr;
    }
    return nullptr;
  }

  std::string ScreenName() const {
    if (tech_) return std::string(ToString(tech_->screen));
    if (user_) return std::string(ToString(user_->screen));
    return "none";
  }

  // Simulates the device driver on the current phase until it completes or fails: starts what
  // ReadyItems allows, lets time pass to the next finish, retry or deadline, and reports each
  // item's scripted outcome; restarts the device when a hard reboot is pending and nothing runs.
  Status RunPhase(const Line& line) {
    const PhaseRun* run = CurrentRun();
    if (run == nullptr)
      return Bad(fmt::format("`run` needs an ESP phase on screen, not {}", ScreenName()));
    const EspPhase phase = run->phase;
    if (line.words.size() > 1 && line.Word(1) != ToString(phase)) {
      return Bad(fmt::format("the phase on screen is {}, not {}", ToString(phase), line.Word(1)));
    }
    for (int guard = 0; guard < 100000; ++guard) {
      run = CurrentRun();
      if (run == nullptr || run->phase != phase || run->status != PhaseStatus::kInProgress) {
        return Ok{};
      }
      Status step = phase == EspPhase::kDevicePreparation ? AdvanceStep(*run) : AdvanceItems(*run);
      if (!step) return step;
    }
    return Bad("`run` did not finish");
  }

  Status AdvanceStep(const PhaseRun& run) {
    const std::optional<PreparationStep> step = StepInProgress(*tech_);
    if (!step) return Bad("no Device-preparation step is running");
    const ItemRun* current = FindItem(run, ToString(*step));
    const Outcome outcome = OutcomeFor(current->plan.id);
    const Timestamp deadline = *current->started_at + minutes{current->plan.time_limit_minutes};
    const Timestamp finish = *current->started_at + outcome.takes;
    if (outcome.kind == Outcome::Kind::kHang || finish >= deadline) {
      now_ = std::max(now_, deadline);
      return SendTech(Tick{});
    }
    now_ = std::max(now_, finish);
    bool ok = outcome.kind == Outcome::Kind::kSucceed;
    std::int64_t code = outcome.code;
    if (outcome.kind == Outcome::Kind::kExits) {
      code = outcome.exits[std::min<size_t>(current->attempt, outcome.exits.size()) - 1];
      ok = code == 0;
    }
    if (!ok) return SendTech(StepFailed{*step, code, outcome.message});
    if (*step == PreparationStep::kPreparingForManagement) return CreateTracking();
    return SendTech(StepSucceeded{*step});
  }

  Status AdvanceItems(const PhaseRun& run) {
    const std::vector<std::string> ready =
        device::ItemsToStart(run, now_, concurrency_, CountItems(run).in_progress);
    if (!ready.empty()) {
      for (const std::string& id : ready) {
        if (Status ok = SendAny(ItemStarted{.id = id}); !ok) return ok;
      }
      return Ok{};
    }
    // The next thing to happen: a deadline or a retry becoming due (a tick), or a finish.
    std::optional<Timestamp> tick_at;
    std::optional<Timestamp> finish_at;
    const ItemRun* finishing = nullptr;
    auto earliest = [](std::optional<Timestamp>& slot, Timestamp t) {
      if (!slot || t < *slot) slot = t;
    };
    bool running = false;
    for (const ItemRun& item : run.items) {
      if (item.status == ItemStatus::kInProgress) {
        running = true;
        earliest(tick_at, *item.started_at + minutes{item.plan.time_limit_minutes});
        const Outcome outcome = OutcomeFor(item.plan.id);
        if (outcome.kind == Outcome::Kind::kHang) continue;
        const Timestamp t = *item.started_at + outcome.takes;
        if (!finish_at || t < *finish_at) {
          finish_at = t;
          finishing = &item;
        }
      } else if (item.status == ItemStatus::kWaiting && item.not_before &&
                 *item.not_before > now_) {
        earliest(tick_at, *item.not_before);
      }
    }
    if (!running && device::HoldsForRestart(run)) return SendAny(Rebooted{});
    if (run.timeout_minutes > 0) earliest(tick_at, *run.started_at + minutes{run.timeout_minutes});
    if (finishing != nullptr && (!tick_at || *finish_at < *tick_at)) {
      now_ = std::max(now_, *finish_at);
      return SendRun(OutcomeEvent(run, *finishing));
    }
    if (!tick_at) return Bad("`run` is stuck: nothing is running, ready or due");
    now_ = std::max(now_, *tick_at);
    return SendAny(Tick{});
  }

  // Plans.

  Status PlanCommand(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(1));
    if (!device) return device.error();
    const std::string& flow = line.Word(2);
    if (flow == "technician") {
      Result<EspPlan> plan = BuildPlan(**device, nullptr);
      if (!plan) return plan.error();
      return Ok{};
    }
    if (flow != "user") return Bad("plan <device> technician | user user=<upn>");
    const std::string* upn = line.Option("user");
    std::string name = upn != nullptr ? *upn : (*device)->registration.user_principal_name;
    Result<const User*> user = FindUserByUpn(name);
    if (!user) return user.error();
    Result<EspPlan> plan = BuildPlan(**device, *user);
    if (!plan) return plan.error();
    return Ok{};
  }

  // Expectations.

  void CheckError(const Line& line, const Status& status) {
    if (status) {
      Fail(line, fmt::format("expected error {}, but the command succeeded", line.Word(2)));
      return;
    }
    ExpectEq(line, "error code", line.Word(2), ToString(status.error().code));
    if (const std::string* part = line.Option("contains")) {
      if (status.error().message.find(*part) == std::string::npos) {
        Fail(line, fmt::format("error message: expected it to contain \"{}\", actual \"{}\"", *part,
                               status.error().message));
      }
    }
  }

  void ExpectContains(const Line& line, std::string_view what, std::string_view text) {
    if (const std::string* part = line.Option("contains")) {
      if (text.find(*part) == std::string_view::npos) {
        Fail(line,
             fmt::format("{}: expected it to contain \"{}\", actual \"{}\"", what, *part, text));
      }
    }
  }

  Status Expect(const Line& line) {
    static const std::map<std::string, Handler, std::less<>> kExpectations = {
        {"screen", &World::ExpectScreen},
        {"state", &World::ExpectState},
        {"item", &World::ExpectItem},
        {"phase", &World::ExpectPhase},
        {"progress", &World::ExpectProgress},
        {"failure", &World::ExpectFailure},
        {"options", &World::ExpectOptions},
        {"refusal", &World::ExpectRefusal},
        {"sign-in-error", &World::ExpectSignInError},
        {"prefilled", &World::ExpectPrefilled},
        {"first-screen", &World::ExpectFirstScreen},
        {"pages", &World::ExpectPages},
        {"signed-in", &World::ExpectSignedIn},
        {"mfa-failures", &World::ExpectMfaFailures},
        {"result", &World::ExpectResult},
        {"ready", &World::ExpectReady},
        {"plan", &World::ExpectPlan},
        {"groups", &World::ExpectGroups},
        {"user-groups", &World::ExpectUserGroups},
        {"deployment-profile", &World::ExpectDeploymentProfile},
        {"esp-profile", &World::ExpectEspProfile},
        {"lint", &World::ExpectLint},
        {"enrollment", &World::ExpectEnrollment},
        {"compliance", &World::ExpectCompliance},
        {"inventory", &World::ExpectInventory},
        {"csv", &World::ExpectCsv},
        {"csv-row", &World::ExpectCsvRow},
        {"diagnostics", &World::ExpectDiagnostics},
        {"logs-collected", &World::ExpectLogsCollected},
    };
    auto it = kExpectations.find(line.Word(1));
    if (it == kExpectations.end())
      return Bad(fmt::format("unknown expectation \"{}\"", line.Word(1)));
    return (this->*(it->second))(line);
  }

  Status ExpectScreen(const Line& line) {
    ExpectEq(line, "screen", line.Word(2), ScreenName());
    return Ok{};
  }

  Status ExpectState(const Line& line) {
    std::string actual = "none";
    if (tech_) actual = std::string(ToString(DeploymentStateOf(*tech_)));
    if (user_) actual = std::string(ToString(DeploymentStateOf(*user_)));
    ExpectEq(line, "deployment state", line.Word(2), actual);
    return Ok{};
  }

  // The run holding `id`: the phase= option's, else the current phase's, else any of the flow's.
  Result<const ItemRun*> ItemOf(const Line& line, const std::string& id) {
    std::vector<const PhaseRun*> runs;
    if (const std::string* p = line.Option("phase")) {
      Result<EspPhase> phase = ParsePhase(*p);
      if (!phase) return phase.error();
      runs.push_back(RunOf(*phase));
    } else {
      runs = {CurrentRun(), RunOf(EspPhase::kDeviceSetup), RunOf(EspPhase::kAccountSetup),
              RunOf(EspPhase::kDevicePreparation)};
    }
    for (const PhaseRun* run : runs) {
      if (run == nullptr) continue;
      if (const ItemRun* item = FindItem(*run, id)) return item;
    }
    return static_cast<const ItemRun*>(nullptr);
  }

  Status ExpectItem(const Line& line) {
    const std::string& id = line.Word(2);
    Result<const ItemRun*> found = ItemOf(line, id);
    if (!found) return found.error();
    const ItemRun* item = *found;
    if (line.Word(3) == "absent") {
      if (item != nullptr)
        Fail(line, fmt::format("item {}: expected absent, actual {}", id, ToString(item->status)));
      return Ok{};
    }
    if (item == nullptr) {
      Fail(line, fmt::format("item {}: expected {}, but no run tracks it", id, line.Word(3)));
      return Ok{};
    }
    ExpectEq(line, fmt::format("item {}", id), line.Word(3), ToString(item->status));
    if (const std::string* attempt = line.Option("attempt")) {
      ExpectEq(line, fmt::format("item {} attempt", id), *attempt, std::to_string(item->attempt));
    }
    if (const std::string* code = line.Option("code")) {
      Result<std::int64_t> expected = ParseCode(*code);
      if (!expected) return expected.error();
      ExpectEq(line, fmt::format("item {} code", id), FormatErrorCode(*expected),
               FormatErrorCode(item->code));
    }
    if (const std::string* reboot = line.Option("reboot")) {
      ExpectEq(line, fmt::format("item {} reboot", id), *reboot, ToString(item->reboot));
    }
    ExpectContains(line, fmt::format("item {} message", id), item->message);
    return Ok{};
  }

  Status ExpectPhase(const Line& line) {
    Result<EspPhase> phase = ParsePhase(line.Word(2));
    if (!phase) return phase.error();
    std::string actual = "none";
    if (tech_) actual = std::string(ToString(PhaseStatusOf(*tech_, *phase)));
    if (user_) actual = std::string(ToString(PhaseStatusOf(*user_, *phase)));
    ExpectEq(line, fmt::format("phase {}", line.Word(2)), line.Word(3), actual);
    return Ok{};
  }

  Status ExpectProgress(const Line& line) {
    Result<EspPhase> phase = ParsePhase(line.Word(2));
    if (!phase) return phase.error();
    const PhaseRun* run = RunOf(*phase);
    std::string actual = "no run";
    if (run != nullptr) {
      const PhaseCounts counts = CountItems(*run);
      actual = fmt::format("{}/{}", counts.succeeded, counts.tracked);
    }
    ExpectEq(line, fmt::format("progress of {}", line.Word(2)), line.Word(3), actual);
    return Ok{};
  }

  Status ExpectFailure(const Line& line) {
    std::optional<EspPhase> phase;
    if (const std::string* p = line.Option("phase")) {
      Result<EspPhase> parsed = ParsePhase(*p);
      if (!parsed) return parsed.error();
      phase = *parsed;
    } else if (tech_) {
      phase = tech_->failed_phase;
    } else if (user_) {
      phase = user_->failed_phase;
    }
    const PhaseRun* run = phase ? RunOf(*phase) : nullptr;
    if (run == nullptr || !run->failure) {
      Fail(line, "failure: expected a failed phase, but none failed");
      return Ok{};
    }
    const PhaseFailure& failure = *run->failure;
    ExpectEq(line, "failed phase", line.Word(2), ToString(*phase));
    if (line.words.size() > 3)
      ExpectEq(line, "failure cause", line.Word(3), ToString(failure.cause));
    if (const std::string* items = line.Option("items")) {
      ExpectEq(line, "failure items", JoinOrNone(SplitList(*items)), JoinOrNone(failure.items));
    }
    if (const std::string* code = line.Option("code")) {
      Result<std::int64_t> expected = ParseCode(*code);
      if (!expected) return expected.error();
      ExpectEq(line, "failure code", FormatErrorCode(*expected), FormatErrorCode(failure.code));
    }
    ExpectContains(line, "failure message", failure.message);
    return Ok{};
  }

  Status ExpectOptions(const Line& line) {
    std::vector<std::string> actual;
    std::string message;
    if (tech_ && tech_->screen == TechnicianScreen::kResultFailure) {
      actual = {"retry", "reset", "diagnostics"};
    } else if (user_ && user_->screen == UserScreen::kEspError) {
      const EspErrorOptions& o = user_->plan->error_options;
      if (o.try_again) actual.push_back("try-again");
      if (o.continue_anyway) actual.push_back("continue-anyway");
      if (o.reset) actual.push_back("reset");
      if (o.collect_logs) actual.push_back("collect-logs");
      message = o.message;
    } else {
      Fail(line, fmt::format("options: expected an error screen, actual {}", ScreenName()));
      return Ok{};
    }
    std::vector<std::string> expected(line.words.begin() + 2, line.words.end());
    if (expected.size() == 1 && expected[0] == "none") expected.clear();
    std::sort(expected.begin(), expected.end());
    std::sort(actual.begin(), actual.end());
    ExpectEq(line, "error screen options", JoinOrNone(expected), JoinOrNone(actual));
    if (const std::string* m = line.Option("message")) ExpectEq(line, "error message", *m, message);
    return Ok{};
  }

  Status ExpectRefusal(const Line& line) {
    if (!tech_) return Bad("no technician flow");
    std::string actual = tech_->refusal ? FormatErrorCode(tech_->refusal->code) : "none";
    std::string expected = line.Word(2);
    if (expected != "none") {
      Result<std::int64_t> code = ParseCode(expected);
      if (!code) return code.error();
      expected = FormatErrorCode(*code);
    }
    ExpectEq(line, "landing refusal", expected, actual);
    if (tech_->refusal) ExpectContains(line, "refusal message", tech_->refusal->message);
    return Ok{};
  }

  Status ExpectSignInError(const Line& line) {
    if (!user_) return Bad("no user flow");
    const auto& problem = user_->sign_in_problem;
    ExpectEq(line, "sign-in error", line.Word(2), problem ? ToString(problem->error) : "none");
    if (problem) ExpectContains(line, "sign-in message", problem->message);
    return Ok{};
  }

  Status ExpectPrefilled(const Line& line) {
    if (!user_) return Bad("no user flow");
    const std::string_view upn = PrefilledUpn(*user_);
    ExpectEq(line, "pre-filled user name", line.Word(2), upn.empty() ? "none" : upn);
    return Ok{};
  }

  Status ExpectFirstScreen(const Line& line) {
    if (!tech_) return Bad("no technician flow");
    ExpectEq(line, "first out-of-box screen", line.Word(2), ToString(tech_->first_screen));
    return Ok{};
  }

  Status ExpectPages(const Line& line) {
    if (!user_) return Bad("no user flow");
    std::vector<std::string> actual;
    for (OobePage page : user_->pages) actual.emplace_back(ToString(page));
    std::vector<std::string> expected(line.words.begin() + 2, line.words.end());
    if (expected.size() == 1 && expected[0] == "none") expected.clear();
    ExpectEq(line, "out-of-box pages", JoinOrNone(expected), JoinOrNone(actual));
    return Ok{};
  }

  Status ExpectSignedIn(const Line& line) {
    if (!user_) return Bad("no user flow");
    ExpectEq(line, "signed in", line.Word(2), user_->signed_in ? user_->upn : "no");
    return Ok{};
  }

  Status ExpectMfaFailures(const Line& line) {
    if (!user_) return Bad("no user flow");
    ExpectEq(line, "MFA failures", line.Word(2), std::to_string(user_->mfa_failures));
    return Ok{};
  }

  Status ExpectResult(const Line& line) {
    if (!tech_ || !tech_->result) {
      Fail(line, fmt::format("result: expected a result screen, actual {}", ScreenName()));
      return Ok{};
    }
    const TechnicianResult& r = *tech_->result;
    for (const auto& [key, value] : line.options) {
      if (key == "success")
        ExpectEq(line, "result success", value, r.success ? "yes" : "no");
      else if (key == "org")
        ExpectEq(line, "result organization", value, r.organization_name);
      else if (key == "profile")
        ExpectEq(line, "result profile", value, r.profile_name);
      else if (key == "user")
        ExpectEq(line, "result user", value, r.assigned_user_upn);
      else if (key == "registration")
        ExpectEq(line, "result registration id", value, r.registration_id);
      else if (key == "elapsed") {
        Result<seconds> d = ParseDuration(value);
        if (!d) return d.error();
        ExpectEq(line, "result elapsed", FormatDuration(*d), FormatDuration(r.elapsed));
      } else if (key == "resealed")
        ExpectEq(line, "resealed", value, r.resealed ? "yes" : "no");
      else if (key == "code") {
        Result<std::int64_t> code = ParseCode(value);
        if (!code) return code.error();
        ExpectEq(line, "result code", FormatErrorCode(*code),
                 r.error ? FormatErrorCode(r.error->code) : "none");
      } else if (key == "qr") {
        if (r.qr_payload.find(value) == std::string::npos) {
          Fail(line, fmt::format("QR payload: expected it to contain {}, actual {}", value,
                                 r.qr_payload));
        }
      } else if (key == "contains") {
        ExpectContains(line, "result error", r.error ? r.error->message : "");
      } else {
        return Bad(fmt::format("unknown result field \"{}\"", key));
      }
    }
    return Ok{};
  }

  Status ExpectReady(const Line& line) {
    const PhaseRun* run = CurrentRun();
    std::vector<std::string> actual;
    if (run != nullptr) actual = ReadyItems(*run, now_, concurrency_);
    std::vector<std::string> expected(line.words.begin() + 2, line.words.end());
    if (expected.size() == 1 && expected[0] == "none") expected.clear();
    ExpectEq(line, "ready items", JoinOrNone(expected), JoinOrNone(actual));
    return Ok{};
  }

  Status ExpectPlan(const Line& line) {
    if (!last_plan_) {
      Fail(line, "plan: no plan was built yet");
      return Ok{};
    }
    const EspPlan& plan = *last_plan_;
    const PhasePlan* phase = nullptr;
    if (line.words.size() > 2) {
      Result<EspPhase> p = ParsePhase(line.Word(2));
      if (!p) return p.error();
      if (*p == EspPhase::kDeviceSetup) phase = &plan.device_setup;
      if (*p == EspPhase::kAccountSetup && plan.account_setup) phase = &*plan.account_setup;
      if (phase == nullptr) {
        Fail(line, fmt::format("plan has no {} phase", line.Word(2)));
        return Ok{};
      }
    }
    auto ids = [&](auto keep) {
      std::vector<std::string> out;
      for (const PlanItem& item : phase->items) {
        if (keep(item)) out.push_back(item.id);
      }
      return out;
    };
    for (const auto& [key, value] : line.options) {
      const std::string expected = JoinOrNone(SplitList(value));
      if (key == "flow") {
        ExpectEq(line, "plan flow", value, plan.flow == Flow::kUser ? "user" : "technician");
        continue;
      }
      if (key == "esp-profile") {
        ExpectEq(line, "plan ESP profile", value,
                 plan.esp_profile_id.empty() ? "none" : plan.esp_profile_id);
        continue;
      }
      if (key == "progress") {
        ExpectEq(line, "plan progress", value, plan.show_progress ? "show" : "hide");
        continue;
      }
      if (phase == nullptr) return Bad(fmt::format("plan {} needs a phase", key));
      if (key == "items") {
        ExpectEq(line, "plan items", expected,
                 JoinOrNone(ids([](const PlanItem&) { return true; })));
      } else if (key == "blocking") {
        ExpectEq(line, "blocking items", expected,
                 JoinOrNone(ids([](const PlanItem& i) { return i.blocking; })));
      } else if (key == "non-blocking") {
        ExpectEq(line, "non-blocking items", expected,
                 JoinOrNone(ids([](const PlanItem& i) { return !i.blocking; })));
      } else if (key == "deferred") {
        ExpectEq(line, "deferred items", expected,
                 JoinOrNone(ids([](const PlanItem& i) { return i.deferred; })));
      } else if (key == "errors") {
        ExpectEq(line, "items with plan errors", expected,
                 JoinOrNone(ids([](const PlanItem& i) { return !i.plan_error.empty(); })));
      } else if (key == "from-assigned-user") {
        ExpectEq(line, "assigned user's items", expected,
                 JoinOrNone(ids([](const PlanItem& i) { return i.from_assigned_user; })));
      } else if (key == "depends") {  // item:dependency,...
        for (const std::string& pair : SplitList(value)) {
          const size_t colon = pair.find(':');
          const std::string id = pair.substr(0, colon);
          const std::string dep = colon == std::string::npos ? "" : pair.substr(colon + 1);
          auto item = std::find_if(phase->items.begin(), phase->items.end(),
                                   [&](const PlanItem& i) { return i.id == id; });
          std::string actual = "absent";
          if (item != phase->items.end()) actual = JoinOrNone(item->depends_on);
          ExpectEq(line, fmt::format("dependencies of {}", id), dep.empty() ? "none" : dep, actual);
        }
      } else if (key == "reasons") {
        for (const std::string& pair : SplitList(value)) {
          const size_t colon = pair.find(':');
          const std::string id = pair.substr(0, colon);
          auto item = std::find_if(phase->items.begin(), phase->items.end(),
                                   [&](const PlanItem& i) { return i.id == id; });
          ExpectEq(line, fmt::format("reason for {}", id),
                   colon == std::string::npos ? "" : pair.substr(colon + 1),
                   item == phase->items.end() ? "absent" : ToString(item->reason));
        }
      } else if (key == "timeout") {
        ExpectEq(line, "phase timeout", value, std::to_string(phase->timeout_minutes));
      } else {
        return Bad(fmt::format("unknown plan field \"{}\"", key));
      }
    }
    return Ok{};
  }

  Status ExpectGroups(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    ExpectGroupIds(line, **index, (*index)->DeviceGroups(tenant_.DirectoryOf(**device)));
    return Ok{};
  }

  Status ExpectUserGroups(const Line& line) {
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const core::User* user = tenant_.FindUser(line.Word(2));
    if (user == nullptr) return Bad(fmt::format("no user \"{}\"", line.Word(2)));
    ExpectGroupIds(line, **index, (*index)->UserGroups(*user));
    return Ok{};
  }

  // `... <name> <ids>`: the group ids in `groups`, in any order, against the line's third word.
  void ExpectGroupIds(const Line& line, const TargetingIndex& index, const GroupSet& groups) {
    std::vector<std::string> actual;
    for (uint32_t g : groups) actual.push_back(index.tenant().groups[g].id.value());
    std::vector<std::string> expected = SplitList(line.Word(3));
    std::sort(actual.begin(), actual.end());
    std::sort(expected.begin(), expected.end());
    ExpectEq(line, fmt::format("groups of {}", line.Word(2)), JoinOrNone(expected),
             JoinOrNone(actual));
  }

  Status ExpectDeploymentProfile(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const DeploymentProfile* profile =
        (*index)->DeploymentProfileFor((*index)->DeviceGroups(tenant_.DirectoryOf(**device)));
    ExpectEq(line, "deployment profile", line.Word(3), profile ? profile->id.value() : "none");
    return Ok{};
  }

  Status ExpectEspProfile(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const GroupSet device_groups = (*index)->DeviceGroups(tenant_.DirectoryOf(**device));
    GroupSet user_groups;
    const GroupSet* user_groups_ptr = nullptr;
    if (const std::string* upn = line.Option("user")) {
      Result<const core::User*> user = FindUserByUpn(*upn);
      if (!user) return user.error();
      user_groups = (*index)->UserGroups(**user);
      user_groups_ptr = &user_groups;
    }
    const EspProfile* esp = (*index)->EspProfileFor(device_groups, user_groups_ptr);
    ExpectEq(line, "ESP profile", line.Word(3), esp ? esp->id.value() : "none");
    return Ok{};
  }

  Status ExpectLint(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    Result<const TargetingIndex*> index = tenant_.Index();
    if (!index) return index.error();
    const core::User* user = nullptr;
    if (const std::string* upn = line.Option("user")) {
      Result<const core::User*> found = FindUserByUpn(*upn);
      if (!found) return found.error();
      user = *found;
    }
    const DirectoryDevice directory = tenant_.DirectoryOf(**device);
    std::set<std::string> codes;
    for (const PlanFinding& finding :
         LintDeployment(**index, (*device)->registration, directory, user)) {
      codes.insert(finding.code);
    }
    const std::string all = JoinOrNone(std::vector<std::string>(codes.begin(), codes.end()));
    if (const std::string* has = line.Option("has")) {
      for (const std::string& code : SplitList(*has)) {
        if (codes.count(code) == 0)
          Fail(line, fmt::format("lint: expected {}, actual {}", code, all));
      }
    }
    if (const std::string* lacks = line.Option("lacks")) {
      for (const std::string& code : SplitList(*lacks)) {
        if (codes.count(code) != 0)
          Fail(line, fmt::format("lint: expected no {}, actual {}", code, all));
      }
    }
    return Ok{};
  }

  Status ExpectEnrollment(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    ExpectEq(line, "enrollment state", line.Word(3),
             ToString((*device)->registration.enrollment_state));
    return Ok{};
  }

  // `expect compliance <state> [failing=setting,...]`: the user flow's view of compliance.
  Status ExpectCompliance(const Line& line) {
    if (!user_) return Bad("no user flow is running");
    ExpectEq(line, "compliance", line.Word(2), ToString(user_->compliance.state));
    if (const std::string* failing = line.Option("failing")) {
      std::vector<std::string> actual;
      for (const ComplianceFinding& f : user_->compliance.findings) actual.push_back(f.setting);
      ExpectEq(line, "failing settings", *failing, JoinOrNone(actual));
    }
    return Ok{};
  }

  Status ExpectInventory(const Line& line) {
    Result<DeviceRecord*> device = tenant_.FindDevice(line.Word(2));
    if (!device) return device.error();
    const std::string& id = line.Word(3);
    std::string actual = "absent";
    for (const InstalledItem& item : (*device)->inventory) {
      if (item.id == id) actual = std::string(ToString(item.outcome));
    }
    ExpectEq(line, fmt::format("inventory of {}: {}", line.Word(2), id), line.Word(4), actual);
    return Ok{};
  }

  Status ExpectCsv(const Line& line) {
    const RegistrationFile* csv = tenant_.csv();
    if (csv == nullptr) return Bad("no csv was read");
    size_t accepted = 0;
    for (const RegistrationRowResult& row : csv->rows) accepted += row.ok() ? 1 : 0;
    if (const std::string* v = line.Option("rows")) {
      ExpectEq(line, "csv rows", *v, std::to_string(csv->rows.size()));
    }
    if (const std::string* v = line.Option("accepted")) {
      ExpectEq(line, "csv rows accepted", *v,
               std::to_string(csv->file_errors.empty() ? accepted : 0));
    }
    if (const std::string* v = line.Option("file-errors")) {
      ExpectEq(line, "csv file errors", *v, std::to_string(csv->file_errors.size()));
    }
    std::string errors;
    for (const Error& e : csv->file_errors) errors += e.field + ": " + e.message + "; ";
    ExpectContains(line, "csv file errors", errors);
    return Ok{};
  }

  Status ExpectCsvRow(const Line& line) {
    const RegistrationFile* csv = tenant_.csv();
    if (csv == nullptr) return Bad("no csv was read");
    Result<long long> number = ParseInt(line.Word(2));
    if (!number) return number.error();
    for (const RegistrationRowResult& row : csv->rows) {
      if (static_cast<long long>(row.line) != *number) continue;
      const std::string actual = row.ok() ? "ok" : std::string(ImportErrorName(row.failure->error));
      ExpectEq(line, fmt::format("csv line {}", *number), line.Word(3), actual);
      if (row.failure) ExpectContains(line, "row message", row.failure->message);
      return Ok{};
    }
    Fail(line, fmt::format("csv: no row on line {}", *number));
    return Ok{};
  }

  Status ExpectDiagnostics(const Line& line) {
    if (!tech_) return Bad("no technician flow");
    ExpectEq(line, "diagnostics exported", line.Word(2),
             tech_->diagnostics_exported ? "yes" : "no");
    return Ok{};
  }

  Status ExpectLogsCollected(const Line& line) {
    if (!user_) return Bad("no user flow");
    ExpectEq(line, "logs collected", line.Word(2), user_->logs_collected ? "yes" : "no");
    return Ok{};
  }

  // Dispatch.

  Status Execute(const Line& line) {
    static const std::map<std::string, Handler, std::less<>> kCommands = {
        {"clock", &World::Clock},
        {"tick", &World::TickCommand},
        {"concurrency", &World::Concurrency},
        {"outcome", &World::OutcomeCommand},
        {"technician", &World::StartFlow},
        {"user-flow", &World::StartFlow},
        {"boot", &World::Boot},
        {"network", &World::Network},
        {"confirm", &World::Confirm},
        {"press", &World::Press},
        {"choose", &World::Choose},
        {"provision", &World::Provision},
        {"step", &World::Step},
        {"sign-in", &World::SignIn},
        {"mfa", &World::Mfa},
        {"item", &World::ItemCommand},
        {"run", &World::RunPhase},
        {"plan", &World::PlanCommand},
        {"expect", &World::Expect},
    };
    if (std::optional<Status> done = tenant_.Execute(line)) return *done;
    auto it = kCommands.find(line.Word(0));
    if (it == kCommands.end()) return Action(line);
    return (this->*(it->second))(line);
  }

  const Script& script_;
  std::vector<Failure> failures_;
  int line_ = 0;
  std::vector<std::string> trace_;

  TenantBuilder tenant_;

  Timestamp now_ = kDefaultStart;
  int concurrency_ = 1;
  std::map<std::string, Outcome> outcomes_;

  std::string device_;  ///< the device of the running flow
  std::optional<TechnicianState> tech_;
  std::optional<UserState> user_;
  bool password_ok_ = true;
  std::optional<EspPlan> last_plan_;
};

}  // namespace

std::vector<Failure> RunScenario(const Script& script) { return World(script).Run(); }

}  // namespace groundcrew::core::scenarios
