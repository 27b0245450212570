#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "core/esp/plan.hpp"
#include "core/report/timeline.hpp"
#include "identity/ca.hpp"
#include "identity/token.hpp"
#include "server/service/catalog.hpp"
#include "server/service/context.hpp"
#include "server/service/device_trust_service.hpp"
#include "server/store/store.hpp"
#include "wire/deployment_json.hpp"
#include "wire/events_json.hpp"
#include "wire/report_json.hpp"

// What a device needs to run a flow and what it reports while doing so (docs/device-api.md,
// "Deployment" and "Sessions and events"), and the admin's view of it (docs/admin-api.md,
// "Reports"): the deployment document of a flow (profile, ESP plan, the payloads its items name,
// compliance policies), certificates for the certificate profiles of its plan, deployment
// sessions with their events, the report derived from them and the live event stream.
//
// Authorization is DeviceTrustService's: a device caller reaches only its own registration;
// any other id answers kNotFound exactly like an id that does not exist. The user flow's
// deployment is asked for with the signed-in user's token instead, whose "did" claim must be
// the device.
namespace groundcrew::service {

/// A deployment session that started or ended, as the operator's logs and metrics count it.
struct DeploymentTransition {
  bool finished = false;  ///< false: started
  std::string flow;       ///< "technician" or "user"
  std::string device_id;  ///< the registration id
  std::string session_id;
  std::string deployment_state;  ///< "inProgress" when started; the final state when finished
};

struct DeploymentOptions {
  /// Called once per session that starts and once when it reaches a final state, after the
  /// change committed, on the request's thread. Must be thread-safe and quick. May be empty.
  std::function<void(const DeploymentTransition&)> on_transition;
  /// Long polls (Events with a wait) blocked at once. The server's handlers run on a few worker
  /// threads; a poll beyond this many answers at once instead of waiting, so the agents'
  /// requests always find a free thread.
  int max_waiters = 1;
  /// The longest wait a poll may ask for.
  std::chrono::seconds max_wait{30};
};

/// The longest a session id may be, in bytes.
inline constexpr size_t kMaxSessionIdBytes = 128;
// Events: wire/events_json.hpp.
using wire::DeploymentEvent;
using wire::kMaxEventsPerBatch;
/// Device certificates for certificate profiles: the CA's bounds (identity/ca.hpp).
inline constexpr int kMinProfileCertificateDays = identity::kMinDeviceCertificateDays;
inline constexpr int kMaxProfileCertificateDays = 3650;

/// A session as StartSession answers it, and whether this call created it.
struct StartedSession {
  store::DeploymentSession session;
  bool created = false;
};

class DeploymentService;

/// Keeps a listener of DeploymentService::SubscribeToEvents subscribed while it lives.
class EventSubscription {
 public:
  EventSubscription() = default;
  EventSubscription(EventSubscription&& other) noexcept;
  EventSubscription& operator=(EventSubscription&& other) noexcept;
  /// Unsubscribes: once it returns, the listener is neither running nor called again.
  ~EventSubscription();

 private:
  friend class DeploymentService;
  EventSubscription(DeploymentService* service, std::uint64_t id) : service_(service), id_(id) {}
  DeploymentService* service_ = nullptr;
  std::uint64_t id_ = 0;
};

class DeploymentService {
 public:
  DeploymentService(store::Store& store, Catalog& catalog, const identity::CertificateAuthority& ca,
                    std::string ca_certificate_pem, Clock clock, DeploymentOptions options = {});

  /// The technician flow's deployment document: the profile as the device sees it (none when
  /// no deployment profile applies), the technician ESP plan, exactly the payloads the plan's
  /// items name — network profiles WITH their pre-shared key (the device writes it into its
  /// keyfile; it is only ever sent to the device the plan is for) — and the compliance
  /// policies assigned to the device's groups. kNotFound unless `id` is the caller's.
  [[nodiscard]] Result<wire::DeploymentDocument> Technician(const DeviceCaller& caller,
                                                            std::string_view id);

  /// The user flow's deployment document, of the same parts: the plan for the
  /// token's user (its subject) given what the device reports it has (`installed`: the Device
  /// setup delta), compliance policies of the device's and the user's groups. The token must
  /// have been issued for a sign-in on `id` (claim "did"; kNotFound otherwise, like a missing
  /// device); kNotFound (field "user") when the user no longer exists.
  [[nodiscard]] Result<wire::DeploymentDocument> User(
      const identity::Claims& user_token, std::string_view id,
      const std::vector<core::InstalledItem>& installed);

  /// Signs the device's certificate request (PKCS#10 PEM, ECDSA P-256) for the certificate
  /// profile `profile_id`, which must be an item of the device's technician plan or of the
  /// user-flow plan of its assigned user or of the user who last signed in on it (kNotFound,
  /// field "profileId", otherwise). Subject: CN = the profile's subjectNameFormat after a
  /// leading "CN=" and up to the first ',' (other attributes are not issued), with
  /// {{DeviceName}} = the joined name (else the serial number), {{SerialNumber}} and
  /// {{DeviceId}} (the registration id) replaced, cut to 64 bytes. Validity: the profile's
  /// validityPeriodDays clamped to kMinProfileCertificateDays..kMaxProfileCertificateDays (the
  /// CA issues nothing shorter than 180 days); client authentication. Answers the certificate,
  /// the CA's and when it expires; audited as `issueCertificate`. kInvalidArgument (field
  /// "csr") for a bad request.
  [[nodiscard]] Result<wire::IssuedCertificate> IssueCertificate(const DeviceCaller& caller,
                                                                 std::string_view id,
                                                                 std::string_view profile_id,
                                                                 std::string_view csr_pem);

  /// Creates the session `session_id` (1..128 of A-Z a-z 0-9 . _ -; field "sessionId") of
  /// `flow` ("technician" | "user", field "flow") on the caller's device, deploymentState
  /// "inProgress". Idempotent: the same id again answers the stored session unchanged
  /// (created = false) when it is this device's and of the same flow; a session id taken by
  /// another device or flow is kAlreadyExists (field "sessionId").
  [[nodiscard]] Result<StartedSession> StartSession(const DeviceCaller& caller, std::string_view id,
                                                    std::string_view session_id,
                                                    std::string_view flow,
                                                    std::string_view user_principal_name,
                                                    core::Timestamp started);

  /// Stores a batch of events of the caller's session, all or nothing, in order. An event
  /// whose idempotency key the session already has is not stored again. The batch is checked
  /// first (wire::CheckEvents: kInvalidArgument naming "events[i].detail.phase" and so on).
  /// Other kinds' details are stored as they are. Answers the stored sequence of each event in
  /// the batch's order (a resent event's first sequence). kNotFound when the session is not the
  /// device's.
  [[nodiscard]] Result<wire::AppendedEvents> AppendEvents(
      const DeviceCaller& caller, std::string_view id, std::string_view session_id,
      const std::vector<DeploymentEvent>& events);

  /// Records how the session ended: `deployment_state` in Graph's spelling (core::ToString of
  /// DeploymentState, except "inProgress"; field "deploymentState") and when. Finishing again
  /// replaces both (a Retry after a failure ends in successOnRetry). `inventory`, when the
  /// device sends one, is what it has now: kept as the device's reported inventory in the same
  /// transaction (KeepReportedInventory), replacing the one it had. Answers the session.
  [[nodiscard]] Result<store::DeploymentSession> FinishSession(
      const DeviceCaller& caller, std::string_view id, std::string_view session_id,
      std::string_view deployment_state, core::Timestamp finished,
      std::optional<std::vector<core::InstalledItem>> inventory = std::nullopt);

  /// The deployment record of the device with `serial_number` (kNotFound, field
  /// "serialNumber"): its sessions in the order they started (ties: the first stored event,
  /// then the technician flow first), each folded from its events by core::FoldSessionTimeline
  /// (wire::Encode writes docs/admin-api.md "Reports").
  [[nodiscard]] Result<core::DeploymentReport> Report(std::string_view serial_number);

  /// Every device's events after sequence `after`, oldest first, at most `limit` (1..1000), each
  /// with its session's device, serial number and flow, and the last sequence answered (else
  /// `after`) as next_after. With `wait` > 0 and nothing to answer yet, waits until an event is
  /// appended or `wait` (at most options().max_wait) passes — unless options().max_waiters
  /// polls are waiting already or StopWaiting() was called, when it answers at once. With a
  /// `filter`, only the events of the sessions matching it, and next_after is past the events
  /// examined that did not match.
  [[nodiscard]] Result<wire::FeedPage> Events(int64_t after, int limit, std::chrono::seconds wait,
                                              const store::SessionFilter& filter = {});

  /// Wakes every waiting poll and makes later ones answer at once (before the server stops,
  /// so that no worker thread is held by a poll).
  void StopWaiting();

  /// Calls `listener` whenever AppendEvents stored events (the same notice that wakes the long
  /// polls of Events), on that request's thread and under a lock: it must be quick, must not
  /// block and must not call into this service (it schedules a read: Events with no wait). Events
  /// written by another process are noticed when EventsStoredElsewhere() is called; readers also
  /// look again now and then, as Events does. Until the subscription is destroyed, which must
  /// happen before this service is.
  [[nodiscard]] EventSubscription SubscribeToEvents(std::function<void()> listener);

  /// Another instance sharing the store committed events (store::Store::OnEventsFromElsewhere):
  /// wakes the long polls and the subscribers as AppendEvents does here. Reads the newest
  /// sequence from the store; a failure to read it is ignored (the readers look again anyway).
  void EventsStoredElsewhere();

  const DeploymentOptions& options() const { return options_; }

 private:
  [[nodiscard]] Result<store::DeploymentSession> OwnSession(const DeviceCaller& caller,
                                                            std::string_view id,
                                                            std::string_view session_id);
  // The deployment document of `record` in `snapshot`: the user flow of `user`, or the
  // technician flow when `user` is null.
  [[nodiscard]] Result<wire::DeploymentDocument> Document(
      const Snapshot& snapshot, const store::DeviceRecord& record, const core::User* user,
      std::vector<core::InstalledItem> installed);
  void Appended(int64_t sequence);
  friend class EventSubscription;
  void Unsubscribe(std::uint64_t id);

  store::Store& store_;
  Catalog& catalog_;
  const identity::CertificateAuthority& ca_;
  std::string ca_certificate_pem_;
  Clock clock_;
  DeploymentOptions options_;

  std::mutex wait_mutex_;
  std::condition_variable appended_;
  int64_t last_sequence_ = 0;  ///< the highest sequence appended through this service
  int waiters_ = 0;
  bool stopping_ = false;
  std::map<std::uint64_t, std::function<void()>> listeners_;  ///< by subscription id
  std::uint64_t next_listener_ = 1;
};

}  // namespace groundcrew::service
