#include "device/fleet/sim_device.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <random>
#include <utility>

#include "common/base64.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/wall_time.hpp"
#include "device/flow/device_answers.hpp"
#include "identity/ca.hpp"
#include "identity/random.hpp"
#include "identity/totp.hpp"
#include "wire/model_json.hpp"

namespace groundcrew::fleet {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

const json::value kNoBody;

core::Timestamp Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

Error Refused(std::string_view what, int status, const json::value& body) {
  return MakeError(
      ErrorCode::kFailedPrecondition,
      fmt::format("{}: HTTP {} {}", what, status, device::ServiceError(status, body).message),
      std::string(what));
}

// Why a request failed: the transport's error, or the service's refusal.
template <class Answer>
Error Why(std::string_view what, const Result<Answer>& answer) {
  return answer ? Refused(what, answer->status, answer->body) : answer.error();
}

}  // namespace

SimDevice::SimDevice(FleetContext& fleet, HttpPool& http, SimIdentity identity)
    : fleet_(fleet),
      http_(http),
      identity_(std::move(identity)),
      jitter_state_(std::hash<std::string>{}(identity_.serial_number)),
      key_(identity_.key_seed) {}

milliseconds SimDevice::Backoff(int retry) {
  // 250 ms doubling up to 4 s, each drawn uniformly from its upper half: devices that lost
  // their instance at the same moment come back spread out.
  const long long ceiling = 250LL << std::min(retry - 1, 4);
  std::uint64_t z = (jitter_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return milliseconds(ceiling / 2 +
                      static_cast<long long>(z % static_cast<std::uint64_t>(ceiling / 2 + 1)));
}

// ---------------------------------------------------------------------------------------------
// Requests

awaitable<Result<SimDevice::Answer>> SimDevice::Call(std::string_view kind, std::string_view method,
                                                     std::string_view target,
                                                     const json::value& body,
                                                     std::string_view bearer) {
  // Serialized once: a request sent again is the same bytes (the same idempotency keys).
  const std::string payload = body.is_null() ? std::string() : json::serialize(body);
  const auto give_up = Steady::now() + fleet_.give_up_after;
  for (int retry = 1;; ++retry) {
    const auto sent = Steady::now();
    Result<HttpAnswer> answer = co_await http_.Request(method, target, payload, bearer);
    const auto answered = Steady::now();
    if (!answer) {
      // The instance is unreachable, or it went away before answering: the agent waits and
      // tries again; so do we (a load balancer sends the retry to an instance that is up).
      fleet_.stats.Count(fmt::format("error/{}/transport", kind));
      if (answered > give_up) co_return answer.error();
      co_await Sleep(Backoff(retry));
      continue;
    }
    fleet_.stats.Add(fmt::format("request/{}", kind),
                     Milliseconds(answered - sent - answer->queued));
    fleet_.stats.Add("queue/connection", Milliseconds(answer->queued));
    Answer out{answer->status, nullptr};
    if (!answer->body.empty()) {
      boost::system::error_code ec;
      out.body = json::parse(answer->body, ec);
      if (ec) out.body = nullptr;
    }
    if (answer->status >= 500 || answer->status == 429) {
      // Busy (503, 429), or no instance answered (502 from a load balancer), or the database
      // went away for a moment: nothing was done, or what was done is found again by the
      // request's idempotency keys.
      fleet_.stats.Count(fmt::format("error/{}/{}", kind, answer->status));
      if (answered > give_up) co_return Refused(kind, out.status, out.body);
      co_await Sleep(Backoff(retry));
      continue;
    }
    co_return out;
  }
}

awaitable<Status> SimDevice::ProveKey() {
  const json::value who = json::object{{"serialNumber", identity_.serial_number}};
  for (int proof_attempt = 1;; ++proof_attempt) {
    Result<Answer> nonce = co_await Call("POST /agent/nonce", "POST", "/v1/agent/nonce", who, {});
    if (!nonce) co_return nonce.error();
    if (!nonce->ok()) co_return Refused("nonce", nonce->status, nonce->body);
    const std::string text = device::JsonText(nonce->body, "nonce");
    Result<identity::Signature> signature = key_.Sign(identity::ProofMessage(
        text, identity_.serial_number, device::JsonText(nonce->body, "audience")));
    if (!signature) co_return signature.error();
    const json::value proof = json::object{
        {"serialNumber", identity_.serial_number},
        {"nonce", text},
        {"signature", base64::Encode(std::string(signature->begin(), signature->end()))}};
    Result<Answer> token = co_await Call("POST /agent/token", "POST", "/v1/agent/token", proof, {});
    if (!token) co_return token.error();
    if (token->status == 401 && proof_attempt < 3 &&
        device::ServiceError(token->status, token->body).field == "nonce") {
      // The nonce was used: by this very proof, when the instance that took it went away
      // before its answer arrived and the proof was sent again. Start over with a new nonce.
      fleet_.stats.Count("retry/proofWithNewNonce");
      continue;
    }
    if (!token->ok()) co_return Refused("token", token->status, token->body);
    device_token_ = device::JsonText(token->body, "token");
    device_id_ = device::JsonText(token->body, "deviceId");
    co_return Ok{};
  }
}

awaitable<Result<SimDevice::Answer>> SimDevice::Device(std::string_view kind,
                                                       std::string_view method,
                                                       std::string_view path,
                                                       const json::value& body,
                                                       std::string_view bearer) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (device_token_.empty()) {
      if (Status proven = co_await ProveKey(); !proven) co_return proven.error();
    }
    const std::string target = fmt::format("/v1/agent/devices/{}{}", device_id_, path);
    // A copy: the device token may be replaced (by the reports sent in the background proving
    // the key again) while this request waits for a connection.
    const std::string token(bearer.empty() ? std::string_view(device_token_) : bearer);
    Result<Answer> answer = co_await Call(kind, method, target, body, token);
    if (!answer || answer->status != 401 || !bearer.empty()) co_return answer;
    const std::string field = device::ServiceError(answer->status, answer->body).field;
    if (field != "Authorization" && field != "token") co_return answer;
    device_token_.clear();  // expired or revoked: prove the key again, once
  }
  co_return MakeError(ErrorCode::kUnauthenticated, "the service refuses the device token", "token");
}

awaitable<void> SimDevice::Sleep(milliseconds duration) {
  if (duration.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

// ---------------------------------------------------------------------------------------------
// Reports

void SimDevice::Queue(Flow flow, const device::FlowReport& report) {
  FlowResult& result = flow == Flow::kTechnician ? technician_ : user_result_;
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  outbox.events.push_back(device::SessionEvent(
      fmt::format("{}:{}", result.session_id, outbox.events.size()), Now(), report));
}

awaitable<Status> SimDevice::Flush(Flow flow, bool finish) {
  FlowResult& result = flow == Flow::kTechnician ? technician_ : user_result_;
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  const std::string session = "/sessions/" + result.session_id;
  if (flow == Flow::kUser && !user_.signed_in) co_return Ok{};  // opened once the user is known
  if (!outbox.opened) {
    const json::value start =
        device::SessionOpening(flow == Flow::kTechnician ? "technician" : "user",
                               flow == Flow::kUser ? user_.upn : std::string(), Now());
    Result<Answer> opened = co_await Device("PUT /sessions/{id}", "PUT", session, start);
    if (!opened) co_return opened.error();
    if (!opened->ok()) co_return Refused("session", opened->status, opened->body);
    outbox.opened = true;
  }
  while (outbox.sent < outbox.events.size()) {
    const std::size_t end = std::min(outbox.events.size(), outbox.sent + device::kReportBatch);
    json::array batch;
    for (std::size_t i = outbox.sent; i < end; ++i) batch.push_back(outbox.events[i]);
    const json::value events = json::object{{"events", std::move(batch)}};
    const std::string path = session + "/events";
    Result<Answer> posted = co_await Device("POST /sessions/{id}/events", "POST", path, events);
    if (!posted) co_return posted.error();
    if (!posted->ok()) co_return Refused("events", posted->status, posted->body);
    fleet_.stats.Count("events", static_cast<long long>(end - outbox.sent));
    result.events_sent += static_cast<long long>(end - outbox.sent);
    outbox.sent = end;
  }
  if (finish) {
    // What the device has now, as a real device reports it (the service plans from it).
    const json::value end =
        device::SessionFinish(core::ToString(result.state), Now(),
                              flow == Flow::kTechnician ? core::InventoryAfter(tech_)
                                                        : core::InventoryAfter(inventory_, user_));
    const std::string path = session + "/finish";
    Result<Answer> finished = co_await Device("POST /sessions/{id}/finish", "POST", path, end);
    if (!finished) co_return finished.error();
    if (!finished->ok()) co_return Refused("finish", finished->status, finished->body);
  }
  co_return Ok{};
}

Status SimDevice::Apply(const core::TechnicianEvent& event) {
  Result<device::Advanced<core::TechnicianState>> next = device::Advance(tech_, event, Now());
  if (!next) return next.error();
  for (const device::FlowReport& r : next->reports) Queue(Flow::kTechnician, r);
  tech_ = std::move(next->state);
  SendReports(Flow::kTechnician);
  return Ok{};
}

Status SimDevice::Apply(const core::UserEvent& event) {
  Result<device::Advanced<core::UserState>> next = device::Advance(user_, event, Now());
  if (!next) return next.error();
  for (const device::FlowReport& r : next->reports) Queue(Flow::kUser, r);
  user_ = std::move(next->state);
  SendReports(Flow::kUser);
  return Ok{};
}

void SimDevice::SendReports(Flow flow) {
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  if (outbox.sending || outbox.sent == outbox.events.size()) return;
  if (flow == Flow::kUser && !user_.signed_in) return;
  outbox.sending = true;
  asio::co_spawn(fleet_.io, SendReportsLoop(flow), asio::detached);
}

awaitable<void> SimDevice::SendReportsLoop(Flow flow) {
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  // Failures are not final here: the flow's last Flush sends what is left, or says why not.
  (void)co_await Flush(flow);
  outbox.sending = false;
}

awaitable<void> SimDevice::ReportsSent(Flow flow) {
  const Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  while (outbox.sending) co_await Sleep(milliseconds(2));
}

// ---------------------------------------------------------------------------------------------
// Shared screens

awaitable<Status> SimDevice::DownloadProfile(Flow flow) {
  Result<Answer> answer = co_await Device("GET /devices/{id}", "GET", "", kNoBody);
  if (!answer) co_return answer.error();
  std::optional<core::ProfileInfo> profile;
  if (answer->ok() && answer->body.is_object() &&
      !answer->body.as_object().at("deploymentProfile").is_null()) {
    profile = device::ProfileOf(answer->body.as_object());
  }
  if (flow == Flow::kTechnician) {
    core::TechnicianEvent event = core::ProfileUnavailable{};
    if (profile) event = core::ProfileReceived{*profile};
    co_return Apply(event);
  }
  core::UserEvent event = core::ProfileUnavailable{};
  if (profile) event = core::ProfileReceived{*profile};
  co_return Apply(event);
}

awaitable<Status> SimDevice::ReadDeployment(Flow flow, const json::value& answer) {
  Result<device::Deployment> deployment = device::ReadDeployment(answer);
  if (!deployment) co_return deployment.error();
  wire::DeploymentPayloads payloads;
  if (Status decoded = wire::Decode(deployment->payloads, payloads); !decoded) co_return decoded;
  for (const core::App& app : payloads.apps) descriptions_[app.id.value()] = app.description;
  for (const core::Policy& p : payloads.policies) descriptions_[p.id.value()] = p.description;
  compliance_policies_ = std::move(deployment->compliance_policies);
  if (flow == Flow::kTechnician) {
    co_return Apply(core::TechnicianEvent(core::TrackingCreated{std::move(deployment->plan)}));
  }
  co_return Apply(core::UserEvent(core::PlanReceived{std::move(deployment->plan)}));
}

SimDevice::Attempt SimDevice::Draw(const core::PlanItem& item, int attempt) const {
  Attempt out;
  if (item.kind != core::ItemKind::kApp && item.kind != core::ItemKind::kPolicy) return out;
  if (item.action == core::ItemAction::kInstall && installed_.contains(item.id)) {
    out.outcome.kind = device::ItemOutcome::Kind::kDetected;
    return out;
  }
  auto failed = [&](int exit_code) {
    return device::ItemOutcome{
        .kind = device::ItemOutcome::Kind::kFailed,
        .code = exit_code,
        .message = fmt::format("{} (simulated) exited with {}", item.display_name, exit_code)};
  };
  auto description = descriptions_.find(item.id);
  Result<executor::SimBehaviour> behaviour = executor::ParseSimBehaviour(
      description == descriptions_.end() ? std::string_view() : description->second);
  if (!behaviour) {
    out.outcome = failed(1);
    return out;
  }
  const executor::SimExecutor::Draw draw = fleet_.sim.DrawFor(item, *behaviour, attempt);
  out.duration = draw.duration;
  if (draw.fails) out.outcome = failed(behaviour->exit_code);
  return out;
}

awaitable<Status> SimDevice::RunPhase(Flow flow) {
  const bool technician = flow == Flow::kTechnician;
  auto run = [&]() -> const core::PhaseRun* {
    return technician ? core::PhaseOnScreen(tech_) : core::PhaseOnScreen(user_);
  };
  auto screen = [&] {
    return technician ? static_cast<int>(tech_.screen) : static_cast<int>(user_.screen);
  };
  const core::PhaseRun* first = run();
  if (first == nullptr) co_return MakeError(ErrorCode::kInternal, "no phase run on screen");
  const core::EspPhase phase = first->phase;
  const std::string phase_name(wire::PhaseName(phase));
  const std::string flow_name = technician ? "technician" : "user";
  FlowResult& result = technician ? technician_ : user_result_;
  auto apply = [&](const core::RunEvent& event) -> Status {
    return std::visit(
        [&](const auto& e) {
          return technician ? Apply(core::TechnicianEvent(e)) : Apply(core::UserEvent(e));
        },
        event);
  };
  // The phase's run once it is off screen, for its figures.
  auto finished_run = [&]() -> const core::PhaseRun* {
    for (const core::PhaseRun* r : technician ? core::PhaseRuns(tech_) : core::PhaseRuns(user_)) {
      if (r->phase == phase) return r;
    }
    return nullptr;
  };

  struct Running {
    Steady::time_point end;
    std::string id;
    Attempt attempt;
  };
  std::vector<Running> running;
  std::map<std::string, milliseconds> work;  // id -> time of its attempts in this phase
  const int start_screen = screen();
  const auto started = Steady::now();
  auto last_tick = started;
  while (screen() == start_screen && run() != nullptr &&
         run()->status == core::PhaseStatus::kInProgress) {
    for (const std::string& id : device::ItemsToStart(*run(), Now(), fleet_.concurrency,
                                                      static_cast<int>(running.size()))) {
      if (Status s = apply(core::ItemStarted{.id = id}); !s) co_return s;
      const core::ItemRun* item = core::FindItem(*run(), id);
      if (item == nullptr) continue;
      result.items[std::string(wire::PhaseName(phase))].insert(id);
      Attempt attempt = Draw(item->plan, item->attempt);
      work[id] += attempt.duration;
      running.push_back({Steady::now() + attempt.duration, id, attempt});
    }
    if (running.empty()) {  // waiting for a retry delay: the phase clock decides
      fleet_.stats.Count("debug/idle");
      co_await Sleep(milliseconds(1000));
    } else {
      auto next =
          std::min_element(running.begin(), running.end(),
                           [](const Running& a, const Running& b) { return a.end < b.end; });
      const Running done = *next;
      running.erase(next);
      co_await Sleep(std::chrono::duration_cast<milliseconds>(done.end - Steady::now()));
      if (!device::StillWanted(run(), done.id)) continue;
      const device::ItemFinish finish =
          device::FinishItem(*run(), *core::FindItem(*run(), done.id), done.attempt.outcome);
      for (const device::FlowReport& report : finish.reports) Queue(flow, report);
      if (done.attempt.outcome.kind == device::ItemOutcome::Kind::kSucceeded) {
        installed_.insert(done.id);
      }
      if (Status applied = apply(finish.event); !applied) co_return applied;
    }
    if (Steady::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = Steady::now();
      if (Status s = apply(core::Tick{}); !s) co_return s;
    }
  }
  // The phase's wall time against the critical path of what its items took (DESIGN.md §5).
  const core::PhaseRun* finished = finished_run();
  const double wall = Milliseconds(Steady::now() - started);
  fleet_.stats.Add(fmt::format("phase/{}/{}", flow_name, phase_name), wall);
  if (finished != nullptr && finished->status == core::PhaseStatus::kComplete) {
    core::PhasePlan plan;
    std::vector<milliseconds> durations;
    for (const core::ItemRun& item : finished->items) {
      plan.items.push_back(item.plan);
      durations.push_back(work[item.plan.id]);
    }
    const milliseconds critical = core::CriticalPath(plan, durations, fleet_.concurrency);
    // The runtime's own schedule of these durations (its replay has no clock, so milliseconds
    // can stand in for its seconds): wall / scheduled is what running it costs, scheduled /
    // critical path what scheduling without knowing durations costs.
    std::vector<std::chrono::seconds> scaled;
    for (milliseconds d : durations) scaled.emplace_back(d.count());
    const auto scheduled = core::EstimateWallTime(plan, scaled, fleet_.concurrency).scheduled;
    if (critical >= milliseconds(50)) {  // shorter phases measure timer slack, not scheduling
      fleet_.stats.Add(fmt::format("espRatio/{}/{}", flow_name, phase_name),
                       wall / static_cast<double>(critical.count()));
      fleet_.stats.Add(
          fmt::format("espScheduleRatio/{}/{}", flow_name, phase_name),
          static_cast<double>(scheduled.count()) / static_cast<double>(critical.count()));
      fleet_.stats.Add(fmt::format("espOverheadRatio/{}/{}", flow_name, phase_name),
                       wall / static_cast<double>(std::max<long long>(1, scheduled.count())));
    }
  }
  co_return Ok{};
}

// ---------------------------------------------------------------------------------------------
// The technician flow

awaitable<Status> SimDevice::PreparationStep() {
  const std::optional<core::PreparationStep> running = core::StepInProgress(tech_);
  if (!running) co_return MakeError(ErrorCode::kInternal, "no preparation step runs");
  const core::PreparationStep step = *running;
  auto fail = [&](const Error& error) {
    return Apply(core::TechnicianEvent(
        core::StepFailed{step, core::PreparationFailureCode(step), error.message}));
  };
  switch (step) {
    case core::PreparationStep::kSecuringHardware: {
      device_token_.clear();
      if (Status proven = co_await ProveKey(); !proven) {
        const Error why = proven.error();
        co_return fail(why);
      }
      break;
    }
    case core::PreparationStep::kJoiningOrganization: {
      Result<Answer> joined = co_await Device("POST /devices/{id}/join", "POST", "/join", kNoBody);
      if (!joined || !joined->ok()) {
        const Error why = Why("join", joined);
        co_return fail(why);
      }
      break;
    }
    case core::PreparationStep::kRegisteringForManagement: {
      Result<std::string> key = identity::GenerateP256KeyPem();
      Result<std::string> csr = key ? identity::MakeCsr(*key, device_id_) : key;
      if (!csr) co_return fail(csr.error());
      const json::value request = json::object{{"csr", *csr}};
      Result<Answer> enrolled =
          co_await Device("POST /devices/{id}/enroll", "POST", "/enroll", request);
      if (!enrolled || !enrolled->ok()) {
        const Error why = Why("enroll", enrolled);
        co_return fail(why);
      }
      break;
    }
    case core::PreparationStep::kPreparingForManagement: {
      const json::value request = json::object{{"flow", "technician"}};
      Result<Answer> deployment =
          co_await Device("POST /devices/{id}/deployment", "POST", "/deployment", request);
      if (!deployment || !deployment->ok()) {
        const Error why = Why("deployment", deployment);
        co_return fail(why);
      }
      co_return co_await ReadDeployment(Flow::kTechnician, deployment->body);
    }
  }
  co_return Apply(core::TechnicianEvent(core::StepSucceeded{step}));
}

awaitable<Status> SimDevice::Technician() {
  using Screen = core::TechnicianScreen;
  technician_ = FlowResult{};
  technician_.ran = true;
  technician_.session_id = identity::RandomUuid();
  tech_ = core::TechnicianState{};
  tech_outbox_ = {};
  const auto started = Steady::now();
  for (;;) {
    Status step = Ok{};
    switch (tech_.screen) {
      case Screen::kNetworkCheck:
        step = Apply(core::TechnicianEvent(core::NetworkUp{}));
        break;
      case Screen::kRegionKeyboard:
      case Screen::kConnectNetwork:
        co_return MakeError(ErrorCode::kInternal, "a simulated device always has a network");
      case Screen::kProfileDownload:
        step = co_await DownloadProfile(Flow::kTechnician);
        break;
      case Screen::kFirstScreen:
        step = Apply(core::TechnicianEvent(core::TechnicianKeyPressed{}));
        break;
      case Screen::kOptionsMenu:
        step = Apply(core::TechnicianEvent(core::OptionChosen{}));
        break;
      case Screen::kLanding:
        if (tech_.refusal)
          co_return MakeError(ErrorCode::kFailedPrecondition, tech_.refusal->message,
                              "preprovisioning");
        step = Apply(core::TechnicianEvent(core::ProvisionPressed{}));
        break;
      case Screen::kDevicePreparation:
        step = co_await PreparationStep();
        break;
      case Screen::kDeviceSetup:
        step = co_await RunPhase(Flow::kTechnician);
        break;
      case Screen::kResultSuccess: {
        fleet_.stats.Add("flow/technician/provisionToResult",
                         Milliseconds(Steady::now() - started));
        Result<Answer> resealed =
            co_await Device("POST /devices/{id}/reseal", "POST", "/reseal", kNoBody);
        if (!resealed) co_return resealed.error();
        if (!resealed->ok()) co_return Refused("reseal", resealed->status, resealed->body);
        inventory_ = core::InventoryAfter(tech_);
        step = Apply(core::TechnicianEvent(core::ResealPressed{}));
        break;
      }
      case Screen::kResultFailure:
        technician_.error = tech_.result && tech_.result->error ? tech_.result->error->message
                                                                : "Device setup failed";
        co_return MakeError(ErrorCode::kFailedPrecondition, technician_.error, "deviceSetup");
      case Screen::kResealed:
        co_return Ok{};
      case Screen::kReset:
        co_return MakeError(ErrorCode::kInternal, "the device was reset");
    }
    if (!step) co_return step;
  }
}

awaitable<void> SimDevice::RunTechnician() {
  const auto started = Steady::now();
  Status status = co_await Technician();
  technician_.state = core::DeploymentStateOf(tech_);
  if (!status && technician_.state == core::DeploymentState::kInProgress) {
    technician_.state = core::DeploymentState::kFailure;
  }
  if (!status && technician_.error.empty()) technician_.error = status.error().message;
  Queue(Flow::kTechnician, device::FlowFinished(technician_.state));
  co_await ReportsSent(Flow::kTechnician);
  if (Status flushed = co_await Flush(Flow::kTechnician, true); !flushed) {
    if (technician_.error.empty()) technician_.error = flushed.error().message;
    fleet_.stats.Count("error/reports");
  }
  fleet_.stats.Add("flow/technician", Milliseconds(Steady::now() - started));
  fleet_.stats.Count(fmt::format("outcome/technician/{}", core::ToString(technician_.state)));
}

// ---------------------------------------------------------------------------------------------
// The user flow

awaitable<Status> SimDevice::User() {
  using Screen = core::UserScreen;
  user_result_ = FlowResult{};
  user_result_.ran = true;
  user_result_.session_id = identity::RandomUuid();
  user_ = core::UserState{};
  user_outbox_ = {};
  std::string challenge;
  Steady::time_point sign_in_started{};
  Steady::time_point signed_in{};
  int mfa_tries = 0;
  int signed_in_again = 0;  // after a lost MFA answer (the challenge was gone)
  bool sign_in_again = false;
  std::mt19937_64 rng(std::hash<std::string>{}(identity_.serial_number));
  Queue(Flow::kUser, device::ComplianceAtStart());
  for (;;) {
    Status step = Ok{};
    switch (user_.screen) {
      case Screen::kNetworkCheck:
        step = Apply(core::UserEvent(core::NetworkUp{}));
        break;
      case Screen::kRegionKeyboard:
      case Screen::kConnectNetwork:
        co_return MakeError(ErrorCode::kInternal, "a simulated device always has a network");
      case Screen::kProfileDownload:
        step = co_await DownloadProfile(Flow::kUser);
        break;
      case Screen::kOobePages:
        step = Apply(core::UserEvent(core::PageConfirmed{}));
        break;
      case Screen::kSignIn: {
        if (user_.sign_in_problem && !std::exchange(sign_in_again, false)) {
          co_return MakeError(ErrorCode::kPermissionDenied, user_.sign_in_problem->message,
                              "signIn");
        }
        if (fleet_.think_time.count() > 0) {
          co_await Sleep(
              milliseconds(rng() % static_cast<unsigned long>(fleet_.think_time.count())));
        }
        sign_in_started = Steady::now();
        step = Apply(core::UserEvent(core::SignInSubmitted{identity_.user_principal_name}));
        break;
      }
      case Screen::kSigningIn: {
        const json::value credentials =
            json::object{{"userPrincipalName", user_.upn}, {"password", identity_.password}};
        Result<Answer> answer =
            co_await Device("POST /devices/{id}/signIn", "POST", "/signIn", credentials);
        if (!answer) co_return answer.error();
        const device::SignInAnswer outcome = device::ReadSignInAnswer(answer->status, answer->body);
        if (outcome.kind == device::SignInAnswer::Kind::kMfaRequired) {
          challenge = outcome.challenge_id;
          step = Apply(core::UserEvent(core::MfaRequired{}));
        } else if (outcome.kind == device::SignInAnswer::Kind::kSignedIn) {
          user_token_ = outcome.token;
          signed_in = Steady::now();
          step = Apply(core::UserEvent(core::SignInAccepted{}));
        } else {
          co_return Refused("signIn", answer->status, answer->body);
        }
        break;
      }
      case Screen::kMfa: {
        if (mfa_tries > 0) {  // the code of this 30-second step was refused: wait for the next
          co_await Sleep(std::chrono::seconds(30 - Now().time_since_epoch().count() % 30));
        }
        ++mfa_tries;
        Result<std::string> code = identity::GenerateTotp(identity_.totp_seed, Now());
        if (!code) co_return code.error();
        const json::value typed = json::object{{"code", *code}};
        const std::string path = "/signIn/" + challenge;
        Result<Answer> answer =
            co_await Device("POST /devices/{id}/signIn/{challenge}", "POST", path, typed);
        if (!answer) co_return answer.error();
        const device::SignInAnswer verified =
            device::ReadSignInAnswer(answer->status, answer->body);
        if (verified.kind == device::SignInAnswer::Kind::kSignedIn) {
          user_token_ = verified.token;
          signed_in = Steady::now();
          fleet_.stats.Add("flow/user/signIn", Milliseconds(signed_in - sign_in_started));
          step = Apply(core::UserEvent(core::MfaCodeAccepted{}));
        } else if (verified.kind == device::SignInAnswer::Kind::kCodeRefused && mfa_tries < 3) {
          fleet_.stats.Count("mfa/codeRefused");
          step = Apply(core::UserEvent(core::MfaCodeRefused{}));
        } else if (verified.kind == device::SignInAnswer::Kind::kRefused &&
                   verified.problem.error == core::SignInError::kInvalidCredentials &&
                   answer->status != 403 && signed_in_again < 2) {
          // The challenge is gone: the instance that took the code went away before its answer
          // arrived, and the code sent again found the challenge used. As the agent does: sign
          // in again (the next code: this one was accepted once already).
          ++signed_in_again;
          sign_in_again = true;
          fleet_.stats.Count("retry/signInAgain");
          step = Apply(core::UserEvent(core::SignInRefused{verified.problem}));
        } else {
          co_return Refused("mfa", answer->status, answer->body);
        }
        break;
      }
      case Screen::kIdentifying: {
        const json::value request =
            json::object{{"flow", "user"}, {"installed", wire::Encode(inventory_)}};
        Result<Answer> answer = co_await Device("POST /devices/{id}/deployment (user)", "POST",
                                                "/deployment", request, user_token_);
        if (!answer) co_return answer.error();
        if (!answer->ok()) co_return Refused("deployment", answer->status, answer->body);
        step = co_await ReadDeployment(Flow::kUser, answer->body);
        break;
      }
      case Screen::kDeviceSetup:
      case Screen::kAccountSetup:
        step = co_await RunPhase(Flow::kUser);
        break;
      case Screen::kPrivacy:
        step = Apply(core::UserEvent(core::PrivacyAccepted{}));
        break;
      case Screen::kQualityUpdates:
        step = Apply(core::UserEvent(core::QualityUpdatesDone{}));
        break;
      case Screen::kEspError:
        user_result_.error = user_.failed_phase
                                 ? fmt::format("{} failed", core::ToString(*user_.failed_phase))
                                 : "the ESP failed";
        co_return MakeError(ErrorCode::kFailedPrecondition, user_result_.error, "esp");
      case Screen::kDesktop: {
        if (device::ComplianceDue(user_)) {
          Result<core::DeviceFacts> facts = fleet_.sim.ReadFacts();
          device::ComplianceCheck check =
              device::CheckCompliance(compliance_policies_, facts ? *facts : core::DeviceFacts{});
          Queue(Flow::kUser, check.report);
          step = Apply(core::UserEvent(core::ComplianceEvaluated{std::move(check.result)}));
          break;
        }
        fleet_.stats.Add("flow/user/signInToDesktop", Milliseconds(Steady::now() - signed_in));
        co_return Ok{};
      }
      case Screen::kReset:
        co_return MakeError(ErrorCode::kInternal, "the device was reset");
    }
    if (!step) co_return step;
  }
}

awaitable<void> SimDevice::RunUser() {
  const auto started = Steady::now();
  Status status = co_await User();
  user_result_.state = core::DeploymentStateOf(user_);
  if (!status && user_result_.state == core::DeploymentState::kInProgress) {
    user_result_.state = core::DeploymentState::kFailure;
  }
  if (!status && user_result_.error.empty()) user_result_.error = status.error().message;
  Queue(Flow::kUser, device::FlowFinished(user_result_.state));
  if (user_.signed_in) {
    co_await ReportsSent(Flow::kUser);
    if (Status flushed = co_await Flush(Flow::kUser, true); !flushed) {
      if (user_result_.error.empty()) user_result_.error = flushed.error().message;
      fleet_.stats.Count("error/reports");
    }
  }
  fleet_.stats.Add("flow/user", Milliseconds(Steady::now() - started));
  fleet_.stats.Count(fmt::format("outcome/user/{}", core::ToString(user_result_.state)));
}

}  // namespace groundcrew::fleet
