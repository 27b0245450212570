#include "server/service/deployment_service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

#include "common/text.hpp"
#include "core/compliance/compliance.hpp"
#include "core/esp/run.hpp"
#include "core/flow/flow_common.hpp"
#include "core/naming/certificate_name.hpp"
#include "identity/random.hpp"
#include "server/service/catalog_service.hpp"
#include "server/service/reported_inventory.hpp"
#include "wire/deployment_json.hpp"
#include "wire/events_json.hpp"
#include "wire/report_json.hpp"

namespace groundcrew::service {
namespace {

namespace json = boost::json;
using store::DeploymentSession;
using store::DeviceRecord;
using store::SessionEvent;

constexpr size_t kMaxUpnBytes = 256;

Error Invalid(std::string field, std::string_view what) {
  std::string message = field.empty() ? std::string(what) : fmt::format("{}: {}", field, what);
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}

Error NoSuchSession(std::string_view session_id) {
  return MakeError(ErrorCode::kNotFound,
                   fmt::format("this device has no deployment session {}", session_id),
                   "sessionId");
}

Actor DeviceActor(const core::AutopilotDeviceIdentity& device) {
  return Actor{"device:" + device.serial_number, store::CredentialRole::kReader};
}

}  // namespace

DeploymentService::DeploymentService(store::Store& store, Catalog& catalog,
                                     const identity::CertificateAuthority& ca,
                                     std::string ca_certificate_pem, Clock clock,
                                     DeploymentOptions options)
    : store_(store),
      catalog_(catalog),
      ca_(ca),
      ca_certificate_pem_(std::move(ca_certificate_pem)),
      clock_(std::move(clock)),
      options_(options) {}

Result<DeploymentSession> DeploymentService::OwnSession(const DeviceCaller& caller,
                                                        std::string_view id,
                                                        std::string_view session_id) {
  if (Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id); !record) {
    return record.error();
  }
  Result<DeploymentSession> session = store_.sessions().GetSession(session_id);
  if (!session) {
    if (session.error().code == ErrorCode::kNotFound) return NoSuchSession(session_id);
    return session.error();
  }
  if (session->device_id != id) return NoSuchSession(session_id);
  return session;
}

Result<wire::DeploymentDocument> DeploymentService::Document(
    const Snapshot& snapshot, const DeviceRecord& record, const core::User* user,
    std::vector<core::InstalledItem> installed) {
  const core::TargetingIndex& index = *snapshot.index;
  const core::Tenant& tenant = index.tenant();
  const core::AutopilotDeviceIdentity& registration = record.value;
  const core::DirectoryDevice directory = core::PlaceholderFor(registration);
  const core::GroupSet device_groups = index.DeviceGroups(directory);

  core::PlanRequest request;
  request.flow = user != nullptr ? core::Flow::kUser : core::Flow::kTechnician;
  request.device = &directory;
  request.registration = &registration;
  request.user = user;
  request.installed = std::move(installed);
  Result<core::EspPlan> plan = core::BuildEspPlan(index, request);
  if (!plan) return plan.error();

  // The payloads the plan's items name, each once, in plan order. Network profiles keep their
  // secret: it goes to the device this plan is for, and nowhere else.
  wire::DeploymentDocument out;
  wire::DeploymentPayloads& payloads = out.payloads;
  auto take = [](const auto& all, auto& into, const std::string& id) {
    for (const auto& payload : all) {
      if (payload.id.value() == id) into.push_back(payload);
    }
  };
  std::vector<std::pair<core::ItemKind, std::string>> seen;
  auto add = [&](const core::PlanItem& item) {
    const std::pair<core::ItemKind, std::string> key{item.kind, item.id};
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) return;
    seen.push_back(key);
    if (item.kind == core::ItemKind::kApp) {
      if (const core::App* app = index.FindApp(item.id)) payloads.apps.push_back(*app);
    } else if (item.kind == core::ItemKind::kPolicy) {
      take(tenant.policies, payloads.policies, item.id);
    } else if (item.kind == core::ItemKind::kCertificate) {
      take(tenant.certificates, payloads.certificate_profiles, item.id);
    } else if (item.kind == core::ItemKind::kNetwork) {
      take(tenant.network_profiles, payloads.network_profiles, item.id);
    }
  };
  for (const core::PlanItem& item : plan->device_setup.items) add(item);
  if (plan->account_setup) {
    for (const core::PlanItem& item : plan->account_setup->items) add(item);
  }

  core::GroupSet user_groups;
  if (user != nullptr) user_groups = index.UserGroups(*user);
  out.compliance_policies =
      core::CompliancePoliciesFor(index, device_groups, user != nullptr ? &user_groups : nullptr);
  out.flow = request.flow;
  if (const core::DeploymentProfile* profile = index.DeploymentProfileFor(device_groups)) {
    out.profile = core::MakeProfileInfo(tenant.settings, registration, *profile);
  }
  out.plan = std::move(*plan);
  return out;
}

Result<wire::DeploymentDocument> DeploymentService::Technician(const DeviceCaller& caller,
                                                               std::string_view id) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  return Document(**snapshot, *record, nullptr, {});
}

Result<wire::DeploymentDocument> DeploymentService::User(
    const identity::Claims& user_token, std::string_view id,
    const std::vector<core::InstalledItem>& installed) {
  const auto did = user_token.extra.find("did");
  if (did == user_token.extra.end() || did->second != id) return NoSuchDevice(id);
  Result<DeviceRecord> record = store_.devices().Get(core::ZtdId{std::string(id)});
  if (!record) {
    if (record.error().code == ErrorCode::kNotFound) return NoSuchDevice(id);
    return record.error();
  }
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::Tenant& tenant = (*snapshot)->tenant();
  const auto user =
      std::find_if(tenant.users.begin(), tenant.users.end(),
                   [&](const core::User& u) { return u.id.value() == user_token.subject; });
  if (user == tenant.users.end()) {
    return MakeError(ErrorCode::kNotFound, "the signed-in user no longer exists", "user");
  }
  return Document(**snapshot, *record, &*user, installed);
}

Result<wire::IssuedCertificate> DeploymentService::IssueCertificate(const DeviceCaller& caller,
                                                                    std::string_view id,
                                                                    std::string_view profile_id,
                                                                    std::string_view csr_pem) {
  Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id);
  if (!record) return record.error();
  Result<std::shared_ptr<const Snapshot>> snapshot = catalog_.Current();
  if (!snapshot) return snapshot.error();
  const core::TargetingIndex& index = *(*snapshot)->index;
  const core::AutopilotDeviceIdentity& device = record->value;
  Result<std::optional<store::DeviceTrustRecord>> trust = store_.device_trust().Find(id);
  if (!trust) return trust.error();

  Result<std::vector<core::PlanItem>> items = ItemsTheDeviceMayRun(index, device, *trust);
  if (!items) return items.error();
  const bool planned = std::any_of(items->begin(), items->end(), [&](const core::PlanItem& item) {
    return item.kind == core::ItemKind::kCertificate && item.id == profile_id;
  });
  const core::CertificateProfile* profile = nullptr;
  for (const core::CertificateProfile& c : index.tenant().certificates) {
    if (c.id.value() == profile_id) profile = &c;
  }
  if (!planned || profile == nullptr) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no certificate profile {} in this device's plan", profile_id),
                     "profileId");
  }

  const std::string device_name = *trust && !(*trust)->value.display_name.empty()
                                      ? (*trust)->value.display_name
                                      : device.serial_number;
  const std::string common_name = core::CertificateCommonName(
      profile->subject_name_format, device_name, device.serial_number, id);
  const int days = std::clamp(profile->validity_period_days, kMinProfileCertificateDays,
                              kMaxProfileCertificateDays);
  const core::Timestamp now = clock_();
  const identity::SerialNumber serial = identity::RandomSerialNumber();
  Result<std::string> certificate = ca_.IssueFromCsr(csr_pem, common_name, days, now, serial);
  if (!certificate) {
    Error error = certificate.error();
    if (error.code == ErrorCode::kInvalidArgument && error.field != "csr") {
      // The profile's own values (subject, validity) were refused: not the device's fault.
      error.code = ErrorCode::kFailedPrecondition;
      error.message =
          fmt::format("certificate profile {}: {}", profile->display_name, error.message);
      error.field = "profileId";
    }
    return error;
  }
  const core::Timestamp expires = now + std::chrono::days(days);
  if (Status audited =
          Audit(store_, DeviceActor(device), now, "issueCertificate", "autopilotDevices",
                device.id.value(), device.serial_number,
                json::serialize(json::object{{"certificateProfileId", profile_id},
                                             {"certificateSerialNumber", identity::ToHex(serial)},
                                             {"subject", "CN=" + common_name}}));
      !audited) {
    return audited.error();
  }
  return wire::IssuedCertificate{std::move(*certificate), ca_certificate_pem_, expires};
}

Result<StartedSession> DeploymentService::StartSession(
    const DeviceCaller& caller, std::string_view id, std::string_view session_id,
    std::string_view flow, std::string_view user_principal_name, core::Timestamp started) {
  if (session_id.size() > kMaxSessionIdBytes || !text::IsAsciiAlnum(session_id, "._-")) {
    return Invalid("sessionId", fmt::format("must be 1 to {} of A-Z a-z 0-9 . _ -, e.g. a UUID",
                                            kMaxSessionIdBytes));
  }
  if (flow != core::ToString(core::Flow::kTechnician) &&
      flow != core::ToString(core::Flow::kUser)) {
    return Invalid("flow", fmt::format("expected \"technician\" or \"user\", found \"{}\"", flow));
  }
  if (user_principal_name.size() > kMaxUpnBytes) {
    return Invalid("userPrincipalName", fmt::format("longer than {} bytes", kMaxUpnBytes));
  }
  StartedSession out;
  Status done = store_.Transact([&]() -> Status {
    if (Result<DeviceRecord> record = OwnDevice(store_.devices(), caller, id); !record) {
      return record.error();
    }
    Result<DeploymentSession> existing = store_.sessions().GetSession(session_id);
    if (existing) {
      if (existing->device_id != id || existing->flow != flow) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("the session id {} is taken; start a session with a fresh "
                                     "id (a UUID)",
                                     session_id),
                         "sessionId");
      }
      out.session = *existing;
      return Ok{};
    }
    if (existing.error().code != ErrorCode::kNotFound) return existing.error();
    DeploymentSession session;
    session.id = std::string(session_id);
    session.device_id = std::string(id);
    session.flow = std::string(flow);
    session.user_principal_name = std::string(user_principal_name);
    session.deployment_state = std::string(core::ToString(core::DeploymentState::kInProgress));
    session.started_date_time = started;
    if (Status created = store_.sessions().CreateSession(session); !created) return created;
    out.session = session;
    out.created = true;
    return Ok{};
  });
  if (!done) return done.error();
  if (out.created && options_.on_transition) {
    options_.on_transition({false, std::string(flow), std::string(id), std::string(session_id),
                            std::string(core::ToString(core::DeploymentState::kInProgress))});
  }
  return out;
}

Result<wire::AppendedEvents> DeploymentService::AppendEvents(
    const DeviceCaller& caller, std::string_view id, std::string_view session_id,
    const std::vector<DeploymentEvent>& events) {
  Result<std::vector<wire::CheckedEvent>> checked = wire::CheckEvents(events);
  if (!checked) return checked.error();
  std::vector<SessionEvent> rows;
  rows.reserve(checked->size());
  for (wire::CheckedEvent& event : *checked) {
    SessionEvent row;
    row.session_id = std::string(session_id);
    row.idempotency_key = std::move(event.idempotency_key);
    row.at = event.at;
    row.kind = std::move(event.kind);
    row.detail = std::move(event.detail);
    rows.push_back(std::move(row));
  }
  wire::AppendedEvents out;
  int64_t highest = 0;
  Status done = store_.Transact([&]() -> Status {
    if (Result<DeploymentSession> session = OwnSession(caller, id, session_id); !session) {
      return session.error();
    }
    for (const SessionEvent& row : rows) {
      Result<SessionEvent> stored = store_.sessions().AppendEvent(row);
      if (!stored) return stored.error();
      out.sequences.push_back(stored->sequence);
      highest = std::max(highest, stored->sequence);
    }
    return Ok{};
  });
  if (!done) return done.error();
  Appended(highest);
  return out;
}

Result<DeploymentSession> DeploymentService::FinishSession(
    const DeviceCaller& caller, std::string_view id, std::string_view session_id,
    std::string_view deployment_state, core::Timestamp finished,
    std::optional<std::vector<core::InstalledItem>> inventory) {
  GC_RETURN_IF_ERROR(wire::CheckFinalDeploymentState(deployment_state, "deploymentState"));
  DeploymentSession out;
  std::optional<DeploymentTransition> ended;  // set when this call ends the session
  Status done = store_.Transact([&]() -> Status {
    Result<DeploymentSession> session = OwnSession(caller, id, session_id);
    if (!session) return session.error();
    if (!wire::IsFinalDeploymentState(session->deployment_state)) {
      ended = DeploymentTransition{true, session->flow, std::string(id), std::string(session_id),
                                   std::string(deployment_state)};
    }
    session->deployment_state = std::string(deployment_state);
    session->finished_date_time = finished;
    if (Status updated = store_.sessions().UpdateSession(*session); !updated) return updated;
    if (inventory) {
      GC_RETURN_IF_ERROR(KeepReportedInventory(store_, *session, std::move(*inventory), finished));
    }
    out = *session;
    return Ok{};
  });
  if (!done) return done.error();
  if (ended && options_.on_transition) options_.on_transition(*ended);
  return out;
}

Result<core::DeploymentReport> DeploymentService::Report(std::string_view serial_number) {
  Result<std::optional<DeviceRecord>> found = store_.devices().FindBySerialNumber(serial_number);
  if (!found) return found.error();
  if (!*found) {
    return MakeError(ErrorCode::kNotFound,
                     fmt::format("no registered device has serial number {}", serial_number),
                     "serialNumber");
  }
  const core::AutopilotDeviceIdentity& device = (*found)->value;
  Result<std::optional<store::DeviceTrustRecord>> trust =
      store_.device_trust().Find(device.id.value());
  if (!trust) return trust.error();

  store::SessionFilter filter;
  filter.device_id = device.id.value();
  Result<std::vector<DeploymentSession>> sessions = store::ReadAllPages<DeploymentSession>(
      [&](const store::PageRequest& page) { return store_.sessions().ListSessions(filter, page); });
  if (!sessions) return sessions.error();
  // Each session with its events; sessions in the order they started (a second apart at best,
  // so ties go by their first stored event).
  std::vector<std::pair<DeploymentSession, std::vector<SessionEvent>>> timeline;
  for (DeploymentSession& session : *sessions) {
    Result<std::vector<SessionEvent>> events =
        store::ReadAllPages<SessionEvent>([&](const store::PageRequest& page) {
          return store_.sessions().ListEvents(session.id, page);
        });
    if (!events) return events.error();
    timeline.emplace_back(std::move(session), std::move(*events));
  }
  auto order = [](const auto& entry) {
    const auto& [session, events] = entry;
    return std::tuple(session.started_date_time,
                      events.empty() ? INT64_MAX : events.front().sequence,
                      session.flow != "technician");
  };
  std::stable_sort(timeline.begin(), timeline.end(),
                   [&](const auto& a, const auto& b) { return order(a) < order(b); });
  core::DeploymentReport report;
  report.device_id = device.id.value();
  report.serial_number = device.serial_number;
  report.display_name = *trust ? (*trust)->value.display_name : std::string();
  if (report.display_name.empty()) report.display_name = device.display_name;
  report.user_principal_name = device.user_principal_name;
  report.enrollment_state = device.enrollment_state;
  report.resealed = *trust ? (*trust)->value.resealed_date_time : std::nullopt;
  for (auto& [session, events] : timeline) {
    std::vector<core::TimelineEvent> read;
    read.reserve(events.size());
    for (const SessionEvent& event : events) {
      read.push_back(wire::ReadTimelineEvent(event.at, event.kind, event.detail));
    }
    report.sessions.push_back(core::FoldSessionTimeline(std::move(session), read));
  }
  return report;
}

Result<wire::FeedPage> DeploymentService::Events(int64_t after, int limit,
                                                 std::chrono::seconds wait,
                                                 const store::SessionFilter& filter) {
  if (after < 0) return Invalid("after", "must be a sequence number (0 or more)");
  if (wait.count() < 0) return Invalid("waitSeconds", "must not be negative");
  wait = std::min(wait, options_.max_wait);
  store::PageRequest request{.after = std::to_string(after), .limit = limit};

  bool waiting = false;
  if (wait.count() > 0) {
    std::lock_guard lock(wait_mutex_);
    if (!stopping_ && waiters_ < options_.max_waiters) {
      ++waiters_;
      waiting = true;
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  Result<store::Page<SessionEvent>> page = store::Page<SessionEvent>{};
  for (;;) {
    int64_t seen = 0;
    {
      std::lock_guard lock(wait_mutex_);
      seen = last_sequence_;
    }
    page = filter.empty() ? store_.sessions().ListAllEvents(request)
                          : store_.sessions().ListMatchingEvents(filter, request);
    if (!page || !page->items.empty() || !waiting) break;
    if (!page->next_after.empty()) request.after = page->next_after;  // none of those matched
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    std::unique_lock lock(wait_mutex_);
    if (stopping_) break;
    // Woken by AppendEvents; the one-second slices also see events written by other writers.
    appended_.wait_until(lock, std::min(deadline, now + std::chrono::seconds(1)),
                         [&] { return stopping_ || last_sequence_ > seen; });
  }
  if (waiting) {
    std::lock_guard lock(wait_mutex_);
    --waiters_;
  }
  if (!page) return page.error();

  std::map<std::string, std::optional<DeploymentSession>> sessions;
  std::map<std::string, std::string> serials;
  wire::FeedPage out;
  // Past the events examined, also those that did not match the filter.
  out.next_after = std::max<int64_t>(after, std::stoll(request.after));
  if (!page->next_after.empty()) {
    out.next_after = std::max<int64_t>(out.next_after, std::stoll(page->next_after));
  }
  for (const SessionEvent& event : page->items) {
    auto [it, fresh] = sessions.try_emplace(event.session_id);
    if (fresh) {
      Result<DeploymentSession> session = store_.sessions().GetSession(event.session_id);
      if (session) it->second = std::move(*session);
    }
    wire::FeedEvent& entry = out.events.emplace_back();
    entry.sequence = event.sequence;
    entry.session_id = event.session_id;
    if (it->second) {
      entry.device_id = it->second->device_id;
      entry.flow = it->second->flow;
      const std::string& device_id = it->second->device_id;
      auto [serial, unseen] = serials.try_emplace(device_id);
      if (unseen) {
        Result<DeviceRecord> device = store_.devices().Get(core::ZtdId{device_id});
        if (device) serial->second = device->value.serial_number;
      }
      if (!serial->second.empty()) entry.serial_number = serial->second;
    }
    entry.at = event.at;
    entry.kind = event.kind;
    entry.detail = event.detail;
    out.next_after = std::max(out.next_after, event.sequence);
  }
  return out;
}

void DeploymentService::StopWaiting() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  appended_.notify_all();
}

void DeploymentService::Appended(int64_t sequence) {
  {
    std::lock_guard lock(wait_mutex_);
    last_sequence_ = std::max(last_sequence_, sequence);
    for (auto& [id, listener] : listeners_) listener();
  }
  appended_.notify_all();
}

void DeploymentService::EventsStoredElsewhere() {
  if (Result<int64_t> last = store_.sessions().LastEventSequence(); last) Appended(*last);
}

EventSubscription DeploymentService::SubscribeToEvents(std::function<void()> listener) {
  std::lock_guard lock(wait_mutex_);
  const std::uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return EventSubscription(this, id);
}

void DeploymentService::Unsubscribe(std::uint64_t id) {
  std::lock_guard lock(wait_mutex_);
  listeners_.erase(id);
}

EventSubscription::EventSubscription(EventSubscription&& other) noexcept
    : service_(std::exchange(other.service_, nullptr)), id_(other.id_) {}

EventSubscription& EventSubscription::operator=(EventSubscription&& other) noexcept {
  if (this != &other) {
    if (service_ != nullptr) service_->Unsubscribe(id_);
    service_ = std::exchange(other.service_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

EventSubscription::~EventSubscription() {
  if (service_ != nullptr) service_->Unsubscribe(id_);
}

}  // namespace groundcrew::service
