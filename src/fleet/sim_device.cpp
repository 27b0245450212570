#include "fleet/sim_device.hpp"

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

#include "agent/device_answers.hpp"
#include "common/base64.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/wall_time.hpp"
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

constexpr std::size_t kReportBatch = 100;  // as the agent sends them
const json::value kNoBody;

core::Timestamp Now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string FormatNow() { return wire::FormatTimestamp(Now()); }

Error Refused(std::string_view what, int status, const json::value& body) {
  std::string message = agent::JsonText(body, "message");
  if (const json::value* error = body.is_object() ? body.as_object().if_contains("error") : nullptr) {
    message = agent::JsonText(*error, "message");
  }
  return MakeError(ErrorCode::kFailedPrecondition,
                   fmt::format("{}: HTTP {} {}", what, status, message), std::string(what));
}

// Why a request failed: the transport's error, or the service's refusal.
template <class Answer>
Error Why(std::string_view what, const Result<Answer>& answer) {
  return answer ? Refused(what, answer->status, answer->body) : answer.error();
}

// The report of an item the executor found installed already (the agent sends the same).
json::object ItemDetail(const core::PhaseRun& run, const core::ItemRun& item) {
  return {{"phase", core::ToString(run.phase)},
          {"id", item.plan.id},
          {"displayName", item.plan.display_name}};
}

}  // namespace

SimDevice::SimDevice(FleetContext& fleet, SimIdentity identity)
    : fleet_(fleet), identity_(std::move(identity)), key_(identity_.key_seed) {}

// ---------------------------------------------------------------------------------------------
// Requests

awaitable<Result<SimDevice::Answer>> SimDevice::Call(std::string_view kind,
                                                      std::string_view method,
                                                      std::string_view target,
                                                      const json::value& body,
                                                      std::string_view bearer) {
  const std::string payload = body.is_null() ? std::string() : json::serialize(body);
  const auto give_up = Steady::now() + fleet_.give_up_after;
  for (;;) {
    const auto sent = Steady::now();
    Result<HttpAnswer> answer = co_await fleet_.http.Request(method, target, payload, bearer);
    const auto answered = Steady::now();
    if (!answer) {
      // The service is unreachable or overloaded: the agent waits and tries again; so do we.
      fleet_.stats.Count(fmt::format("error/{}/transport", kind));
      if (answered > give_up) co_return answer.error();
      co_await Sleep(milliseconds(500));
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
      fleet_.stats.Count(fmt::format("error/{}/{}", kind, answer->status));
      if (answered > give_up) co_return Refused(kind, out.status, out.body);
      co_await Sleep(milliseconds(500));
      continue;
    }
    co_return out;
  }
}

awaitable<Status> SimDevice::ProveKey() {
  const json::value who = json::object{{"serialNumber", identity_.serial_number}};
  Result<Answer> nonce = co_await Call("POST /agent/nonce", "POST", "/v1/agent/nonce", who, {});
  if (!nonce) co_return nonce.error();
  if (!nonce->ok()) co_return Refused("nonce", nonce->status, nonce->body);
  const std::string text = agent::JsonText(nonce->body, "nonce");
  Result<identity::Signature> signature = key_.Sign(identity::ProofMessage(
      text, identity_.serial_number, agent::JsonText(nonce->body, "audience")));
  if (!signature) co_return signature.error();
  const json::value proof = json::object{
      {"serialNumber", identity_.serial_number},
      {"nonce", text},
      {"signature", base64::Encode(std::string(signature->begin(), signature->end()))}};
  Result<Answer> token = co_await Call("POST /agent/token", "POST", "/v1/agent/token", proof, {});
  if (!token) co_return token.error();
  if (!token->ok()) co_return Refused("token", token->status, token->body);
  device_token_ = agent::JsonText(token->body, "token");
  device_id_ = agent::JsonText(token->body, "deviceId");
  co_return Ok{};
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
    const json::value* error =
        answer->body.is_object() ? answer->body.as_object().if_contains("error") : nullptr;
    const std::string field = error != nullptr ? agent::JsonText(*error, "field") : "";
    if (field != "Authorization" && field != "token") co_return answer;
    device_token_.clear();  // expired or revoked: prove the key again, once
  }
  co_return MakeError(ErrorCode::kUnauthenticated, "the service refuses the device token",
                      "token");
}

awaitable<void> SimDevice::Sleep(milliseconds duration) {
  if (duration.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  boost::system::error_code ec;
  co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
}

// ---------------------------------------------------------------------------------------------
// Reports

void SimDevice::Queue(Flow flow, std::string kind, json::object detail) {
  FlowResult& result = flow == Flow::kTechnician ? technician_ : user_result_;
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  outbox.events.push_back(
      {{"idempotencyKey", fmt::format("{}:{}", result.session_id, outbox.events.size())},
       {"at", FormatNow()},
       {"kind", std::move(kind)},
       {"detail", std::move(detail)}});
}

awaitable<Status> SimDevice::Flush(Flow flow, bool finish) {
  FlowResult& result = flow == Flow::kTechnician ? technician_ : user_result_;
  Outbox& outbox = flow == Flow::kTechnician ? tech_outbox_ : user_outbox_;
  const std::string session = "/sessions/" + result.session_id;
  if (flow == Flow::kUser && !user_.signed_in) co_return Ok{};  // opened once the user is known
  if (!outbox.opened) {
    const json::value start = json::object{
        {"flow", flow == Flow::kTechnician ? "technician" : "user"},
        {"userPrincipalName", flow == Flow::kUser ? user_.upn : std::string()},
        {"startedDateTime", FormatNow()}};
    Result<Answer> opened = co_await Device("PUT /sessions/{id}", "PUT", session, start);
    if (!opened) co_return opened.error();
    if (!opened->ok()) co_return Refused("session", opened->status, opened->body);
    outbox.opened = true;
  }
  while (outbox.sent < outbox.events.size()) {
    const std::size_t end = std::min(outbox.events.size(), outbox.sent + kReportBatch);
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
    const json::value end = json::object{{"deploymentState", core::ToString(result.state)},
                                         {"finishedDateTime", FormatNow()}};
    const std::string path = session + "/finish";
    Result<Answer> finished = co_await Device("POST /sessions/{id}/finish", "POST", path, end);
    if (!finished) co_return finished.error();
    if (!finished->ok()) co_return Refused("finish", finished->status, finished->body);
  }
  co_return Ok{};
}

Status SimDevice::Apply(const core::TechnicianEvent& event) {
  Result<core::TechnicianState> next = core::Apply(tech_, event, Now());
  if (!next) return next.error();
  for (agent::FlowReport& r : agent::TransitionReports(tech_, *next)) {
    Queue(Flow::kTechnician, std::move(r.kind), std::move(r.detail));
  }
  tech_ = std::move(*next);
  SendReports(Flow::kTechnician);
  return Ok{};
}

Status SimDevice::Apply(const core::UserEvent& event) {
  Result<core::UserState> next = core::Apply(user_, event, Now());
  if (!next) return next.error();
  for (agent::FlowReport& r : agent::TransitionReports(user_, *next)) {
    Queue(Flow::kUser, std::move(r.kind), std::move(r.detail));
  }
  user_ = std::move(*next);
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
    profile = agent::ProfileOf(answer->body.as_object());
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
  core::EspPlan plan;
  if (Status decoded = wire::Decode(answer.at("plan"), plan); !decoded) co_return decoded;
  wire::DeploymentPayloads payloads;
  if (Status decoded = wire::Decode(answer.at("payloads"), payloads); !decoded) co_return decoded;
  for (const core::App& app : payloads.apps) descriptions_[app.id.value()] = app.description;
  for (const core::Policy& p : payloads.policies) descriptions_[p.id.value()] = p.description;
  if (const json::value* policies = answer.as_object().if_contains("compliancePolicies");
      policies && policies->is_array()) {
    compliance_policies_ = policies->as_array();
  }
  if (flow == Flow::kTechnician) {
    co_return Apply(core::TechnicianEvent(core::TrackingCreated{std::move(plan)}));
  }
  co_return Apply(core::UserEvent(core::PlanReceived{std::move(plan)}));
}

SimDevice::Attempt SimDevice::Draw(const core::PlanItem& item, int attempt) const {
  Attempt out;
  if (item.kind != core::ItemKind::kApp && item.kind != core::ItemKind::kPolicy) return out;
  if (item.action == core::ItemAction::kInstall && installed_.contains(item.id)) {
    out.detected = true;
    return out;
  }
  auto description = descriptions_.find(item.id);
  Result<executor::SimBehaviour> behaviour = executor::ParseSimBehaviour(
      description == descriptions_.end() ? std::string_view() : description->second);
  if (!behaviour) {
    out.failed = true;
    out.exit_code = 1;
    return out;
  }
  const executor::SimExecutor::Draw draw = fleet_.sim.DrawFor(item, *behaviour, attempt);
  out.duration = draw.duration;
  out.failed = draw.fails;
  out.exit_code = behaviour->exit_code;
  return out;
}

awaitable<Status> SimDevice::RunPhase(Flow flow) {
  const bool technician = flow == Flow::kTechnician;
  auto run = [&]() -> const core::PhaseRun* {
    if (technician) return tech_.device_setup ? &*tech_.device_setup : nullptr;
    if (user_.screen == core::UserScreen::kAccountSetup) {
      return user_.account_setup ? &*user_.account_setup : nullptr;
    }
    return user_.device_setup ? &*user_.device_setup : nullptr;
  };
  auto screen = [&] {
    return technician ? static_cast<int>(tech_.screen) : static_cast<int>(user_.screen);
  };
  const core::PhaseRun* first = run();
  if (first == nullptr) co_return MakeError(ErrorCode::kInternal, "no phase run on screen");
  const core::EspPhase phase = first->phase;
  const std::string phase_name(core::ToString(phase));
  const std::string flow_name = technician ? "technician" : "user";
  FlowResult& result = technician ? technician_ : user_result_;
  auto apply = [&](const core::RunEvent& event) -> Status {
    return std::visit(
        [&](const auto& e) {
          return technician ? Apply(core::TechnicianEvent(e)) : Apply(core::UserEvent(e));
        },
        event);
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
    // ReadyItems counts the items in progress against the limit itself; only simulated installs
    // of items the phase no longer waits for (timed out) take room beyond that.
    const int stopping =
        static_cast<int>(running.size()) - core::CountItems(*run()).in_progress;
    const int limit = fleet_.concurrency - std::max(0, stopping);
    for (const std::string& id : core::ReadyItems(*run(), Now(), limit)) {
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
      auto next = std::min_element(running.begin(), running.end(),
                                   [](const Running& a, const Running& b) { return a.end < b.end; });
      const Running done = *next;
      running.erase(next);
      co_await Sleep(std::chrono::duration_cast<milliseconds>(done.end - Steady::now()));
      const core::ItemRun* item = core::FindItem(*run(), done.id);
      if (item == nullptr || item->status != core::ItemStatus::kInProgress) continue;
      core::RunEvent outcome = core::ItemSucceeded{.id = done.id};
      if (done.attempt.detected) {
        Queue(flow, "itemDetected", ItemDetail(*run(), *item));
      } else if (done.attempt.failed) {
        outcome = core::ItemFailed{
            .id = done.id,
            .code = done.attempt.exit_code,
            .message = fmt::format("{} (simulated) exited with {}", item->plan.display_name,
                                   done.attempt.exit_code)};
      } else {
        installed_.insert(done.id);
      }
      if (Status applied = apply(outcome); !applied) co_return applied;
    }
    if (Steady::now() - last_tick >= std::chrono::seconds(1)) {
      last_tick = Steady::now();
      if (Status s = apply(core::Tick{}); !s) co_return s;
    }
  }
  // The phase's wall time against the critical path of what its items took (DESIGN.md §5).
  const core::PhaseRun* finished =
      technician ? (tech_.device_setup ? &*tech_.device_setup : nullptr)
                 : (phase == core::EspPhase::kAccountSetup
                        ? (user_.account_setup ? &*user_.account_setup : nullptr)
                        : (user_.device_setup ? &*user_.device_setup : nullptr));
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
      fleet_.stats.Add(fmt::format("espScheduleRatio/{}/{}", flow_name, phase_name),
                       static_cast<double>(scheduled.count()) /
                           static_cast<double>(critical.count()));
      fleet_.stats.Add(fmt::format("espOverheadRatio/{}/{}", flow_name, phase_name),
                       wall / static_cast<double>(std::max<long long>(1, scheduled.count())));
    }
  }
  co_return Ok{};
}

// ---------------------------------------------------------------------------------------------
// The technician flow

awaitable<Status> SimDevice::PreparationStep() {
  const core::ItemRun* running = nullptr;
  for (const core::ItemRun& item : tech_.preparation.items) {
    if (item.status == core::ItemStatus::kInProgress) running = &item;
  }
  if (running == nullptr) co_return MakeError(ErrorCode::kInternal, "no preparation step runs");
  core::PreparationStep step = core::PreparationStep::kSecuringHardware;
  for (core::PreparationStep s : core::kPreparationSteps) {
    if (core::ToString(s) == running->plan.id) step = s;
  }
  auto fail = [&](std::int64_t code, const Error& error) {
    return Apply(core::TechnicianEvent(core::StepFailed{step, code, error.message}));
  };
  switch (step) {
    case core::PreparationStep::kSecuringHardware: {
      device_token_.clear();
      if (Status proven = co_await ProveKey(); !proven) {
        const Error why = proven.error();
        co_return fail(0x80070005, why);
      }
      break;
    }
    case core::PreparationStep::kJoiningOrganization: {
      Result<Answer> joined = co_await Device("POST /devices/{id}/join", "POST", "/join", kNoBody);
      if (!joined || !joined->ok()) {
        const Error why = Why("join", joined);
        co_return fail(0x801c0003, why);
      }
      break;
    }
    case core::PreparationStep::kRegisteringForManagement: {
      Result<std::string> key = identity::GenerateP256KeyPem();
      Result<std::string> csr = key ? identity::MakeCsr(*key, device_id_) : key;
      if (!csr) co_return fail(0x80180001, csr.error());
      const json::value request = json::object{{"csr", *csr}};
      Result<Answer> enrolled =
          co_await Device("POST /devices/{id}/enroll", "POST", "/enroll", request);
      if (!enrolled || !enrolled->ok()) {
        const Error why = Why("enroll", enrolled);
        co_return fail(0x80180001, why);
      }
      break;
    }
    case core::PreparationStep::kPreparingForManagement: {
      const json::value request = json::object{{"flow", "technician"}};
      Result<Answer> deployment =
          co_await Device("POST /devices/{id}/deployment", "POST", "/deployment", request);
      if (!deployment || !deployment->ok()) {
        const Error why = Why("deployment", deployment);
        co_return fail(0x80180002, why);
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
        if (tech_.refusal) co_return MakeError(ErrorCode::kFailedPrecondition,
                                                tech_.refusal->message, "preprovisioning");
        step = Apply(core::TechnicianEvent(core::ProvisionPressed{}));
        break;
      case Screen::kDevicePreparation:
        step = co_await PreparationStep();
        break;
      case Screen::kDeviceSetup:
        step = co_await RunPhase(Flow::kTechnician);
        break;
      case Screen::kResultSuccess: {
        fleet_.stats.Add("flow/technician/provisionToResult", Milliseconds(Steady::now() - started));
        Result<Answer> resealed =
            co_await Device("POST /devices/{id}/reseal", "POST", "/reseal", kNoBody);
        if (!resealed) co_return resealed.error();
        if (!resealed->ok()) co_return Refused("reseal", resealed->status, resealed->body);
        if (tech_.device_setup) inventory_ = core::UpdateInventory({}, *tech_.device_setup);
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
  Queue(Flow::kTechnician, "flowFinished",
        {{"deploymentState", core::ToString(technician_.state)}});
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
  std::mt19937_64 rng(std::hash<std::string>{}(identity_.serial_number));
  Queue(Flow::kUser, "compliance",
        {{"when", "before"}, {"state", core::ToString(core::ResetAtUserFlowStart().state)}});
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
        if (user_.sign_in_problem) {
          co_return MakeError(ErrorCode::kPermissionDenied, user_.sign_in_problem->message,
                              "signIn");
        }
        if (fleet_.think_time.count() > 0) {
          co_await Sleep(milliseconds(rng() % static_cast<unsigned long>(fleet_.think_time.count())));
        }
        sign_in_started = Steady::now();
        step = Apply(core::UserEvent(core::SignInSubmitted{identity_.user_principal_name}));
        break;
      }
      case Screen::kSigningIn: {
        const json::value credentials = json::object{{"userPrincipalName", user_.upn},
                                                     {"password", identity_.password}};
        Result<Answer> answer =
            co_await Device("POST /devices/{id}/signIn", "POST", "/signIn", credentials);
        if (!answer) co_return answer.error();
        const std::string status = agent::JsonText(answer->body, "status");
        if (status == "mfaRequired") {
          challenge = agent::JsonText(answer->body, "challengeId");
          step = Apply(core::UserEvent(core::MfaRequired{}));
        } else if (status == "signedIn") {
          user_token_ = agent::JsonText(answer->body, "token");
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
        if (agent::JsonText(answer->body, "status") == "signedIn") {
          user_token_ = agent::JsonText(answer->body, "token");
          signed_in = Steady::now();
          fleet_.stats.Add("flow/user/signIn", Milliseconds(signed_in - sign_in_started));
          step = Apply(core::UserEvent(core::MfaCodeAccepted{}));
        } else if (answer->status == 401 && mfa_tries < 3) {
          fleet_.stats.Count("mfa/codeRefused");
          step = Apply(core::UserEvent(core::MfaCodeRefused{}));
        } else {
          co_return Refused("mfa", answer->status, answer->body);
        }
        break;
      }
      case Screen::kIdentifying: {
        const json::value request = json::object{{"flow", "user"},
                                                 {"installed", agent::InventoryWire(inventory_)}};
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
        user_result_.error = user_.failed_phase ? fmt::format("{} failed",
                                                              core::ToString(*user_.failed_phase))
                                                : "the ESP failed";
        co_return MakeError(ErrorCode::kFailedPrecondition, user_result_.error, "esp");
      case Screen::kDesktop: {
        if (user_.compliance.note != "evaluated") {
          std::vector<core::CompliancePolicy> policies;
          for (const json::value& p : compliance_policies_) {
            core::CompliancePolicy policy;
            if (wire::Decode(p, policy)) policies.push_back(std::move(policy));
          }
          Result<core::DeviceFacts> facts = fleet_.sim.ReadFacts();
          core::ComplianceResult evaluated =
              core::EvaluateCompliance(policies, facts ? *facts : core::DeviceFacts{});
          Queue(Flow::kUser, "compliance",
                {{"when", "after"}, {"state", core::ToString(evaluated.state)}});
          evaluated.note = "evaluated";
          step = Apply(core::UserEvent(core::ComplianceEvaluated{std::move(evaluated)}));
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
  Queue(Flow::kUser, "flowFinished", {{"deploymentState", core::ToString(user_result_.state)}});
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
