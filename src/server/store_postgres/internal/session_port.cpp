#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "server/store_postgres/internal/ports.hpp"

// SessionStore on PostgreSQL: deployment sessions, their events, and the summary of each
// device's latest session kept in autopilot_devices (the tables of schema_sessions.cpp, and
// schema_catalog.cpp's device table). The SQL is store_sqlite/internal/session_port.cpp's, with
// creation_order (an identity) in place of SQLite's rowid to tell apart sessions started in the
// same second, and an identity for the events' sequence: writes are serialized by the write
// lock, so sequences commit in increasing order and a stream reading on from the last one it
// saw misses none.
namespace groundcrew::store::postgres::internal {
namespace {

#define GC_SESSION_COLUMNS \
  "id, device_id, flow, user_principal_name, deployment_state, started_at, finished_at"
#define GC_EVENT_COLUMNS "sequence, session_id, idempotency_key, at, kind, detail"

constexpr const char* kInsertSession =
    "INSERT INTO deployment_sessions (" GC_SESSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* kUpdateSession =
    "UPDATE deployment_sessions SET deployment_state = $2, finished_at = $3 WHERE id = $1 "
    "RETURNING device_id";
constexpr const char* kSelectSession =
    "SELECT " GC_SESSION_COLUMNS " FROM deployment_sessions WHERE id = $1";
constexpr const char* kSessionExists = "SELECT 1 FROM deployment_sessions WHERE id = $1";
constexpr const char* kDeviceExists = "SELECT 1 FROM autopilot_devices WHERE id = $1";
// $1 after, $2 limit, $3 flow, $4 state ("" = any), and $5 the device for the second: one
// device's sessions are a range of the (device_id, id) index, the others one of the primary key.
#define GC_SESSION_FILTERS                                                                   \
  " AND ($3::text = '' OR flow = $3) AND ($4::text = '' OR deployment_state = $4) ORDER BY " \
  "id LIMIT $2"
constexpr const char* kListSessions =
    "SELECT " GC_SESSION_COLUMNS " FROM deployment_sessions WHERE id > $1" GC_SESSION_FILTERS;
constexpr const char* kListDeviceSessions =
    "SELECT " GC_SESSION_COLUMNS
    " FROM deployment_sessions WHERE device_id = $5 AND id > $1" GC_SESSION_FILTERS;
#undef GC_SESSION_FILTERS
// The latest session of each device named by the placeholders (formatted in), found through the
// (device_id, started_at, creation_order) index: of a device's sessions, the one started last,
// then created last.
constexpr const char* kLatestSessions =
    "SELECT " GC_SESSION_COLUMNS
    " FROM deployment_sessions s WHERE s.device_id IN ({}) AND s.creation_order = (SELECT "
    "t.creation_order FROM deployment_sessions t WHERE t.device_id = s.device_id ORDER BY "
    "t.started_at DESC, t.creation_order DESC LIMIT 1)";
constexpr const char* kInsertEvent =
    "INSERT INTO session_events (session_id, idempotency_key, at, kind, detail) "
    "VALUES ($1, $2, $3, $4, $5) RETURNING sequence";
constexpr const char* kSelectEventByKey = "SELECT " GC_EVENT_COLUMNS
                                          " FROM session_events WHERE session_id = $1 AND "
                                          "idempotency_key = $2";
constexpr const char* kListEvents = "SELECT " GC_EVENT_COLUMNS
                                    " FROM session_events WHERE session_id = $1 AND sequence > $2 "
                                    "ORDER BY sequence LIMIT $3";

constexpr const char* kListAllEvents = "SELECT " GC_EVENT_COLUMNS
                                       " FROM session_events WHERE sequence > $1 "
                                       "ORDER BY sequence LIMIT $2";

// The events of the sessions matching $3 (device), $4 (flow), $5 (state): the scan walks the
// events from the cursor and looks each one's session up by its key.
constexpr const char* kListMatchingEvents =
    "SELECT e.sequence, e.session_id, e.idempotency_key, e.at, e.kind, e.detail "
    "FROM session_events e JOIN deployment_sessions s ON s.id = e.session_id "
    "WHERE e.sequence > $1 AND ($3::text = '' OR s.device_id = $3) "
    "AND ($4::text = '' OR s.flow = $4) AND ($5::text = '' OR s.deployment_state = $5) "
    "ORDER BY e.sequence LIMIT $2";
constexpr const char* kLastSequence = "SELECT COALESCE(MAX(sequence), 0) FROM session_events";

// The device's deployment summary from its latest session, after one of its sessions was
// created or changed: the device's sessions through the (device_id, started_at, creation_order)
// index.
constexpr const char* kRefreshDeviceSummary =
    "UPDATE autopilot_devices SET (latest_deployment_state, latest_deployment_at, latest_flow) = "
    "(SELECT s.deployment_state, s.started_at, s.flow FROM deployment_sessions s WHERE "
    "s.device_id = $1 ORDER BY s.started_at DESC, s.creation_order DESC LIMIT 1) WHERE id = $1";

// The dashboard: every read is a range of an index bounded by the state in progress or by the
// window's start, and the lists stop at the limit's rows.
#define GC_DASHBOARD_COLUMNS                                                             \
  "s.id, s.device_id, s.flow, s.user_principal_name, s.deployment_state, s.started_at, " \
  "s.finished_at, d.serial_number, d.display_name"
// $1 limit.
constexpr const char* kDashboardInProgress =
    "SELECT " GC_DASHBOARD_COLUMNS
    " FROM deployment_sessions s JOIN autopilot_devices d ON d.id = s.device_id WHERE "
    "s.deployment_state = 'inProgress' ORDER BY s.started_at DESC, s.creation_order DESC "
    "LIMIT $1";
// $1 since, $2 limit.
constexpr const char* kDashboardFailed =
    "SELECT " GC_DASHBOARD_COLUMNS
    " FROM deployment_sessions s JOIN autopilot_devices d ON d.id = s.device_id WHERE "
    "s.finished_at >= $1 AND s.deployment_state = 'failure' ORDER BY s.finished_at DESC, "
    "s.creation_order DESC LIMIT $2";
#undef GC_DASHBOARD_COLUMNS
#define GC_COUNTED_STATES "('success', 'successWithTimeout', 'successOnRetry', 'failure')"
constexpr const char* kDashboardCounts =
    "SELECT flow, deployment_state = 'failure', count(*) FROM deployment_sessions WHERE "
    "finished_at >= $1 AND deployment_state IN " GC_COUNTED_STATES " GROUP BY 1, 2";
// The middle one or two durations of a flow's $3 counted sessions (offset $4).
constexpr const char* kDashboardMedian =
    "SELECT finished_at - started_at FROM deployment_sessions WHERE finished_at >= $1 AND "
    "flow = $2 AND deployment_state IN " GC_COUNTED_STATES " ORDER BY 1 LIMIT $3 OFFSET $4";
#undef GC_COUNTED_STATES
constexpr const char* kDashboardWaiting =
    "SELECT count(*) FROM autopilot_devices WHERE latest_flow = 'technician' AND "
    "latest_deployment_state IN ('success', 'successWithTimeout', 'successOnRetry')";
// A session's latest phase, and the message of its latest event that has one (a JSON string):
// its events through the (session_id, sequence) index, newest first.
constexpr const char* kLatestPhase =
    "SELECT detail::jsonb ->> 'phase' FROM session_events WHERE session_id = $1 AND "
    "kind = 'phaseStarted' ORDER BY sequence DESC LIMIT 1";
constexpr const char* kLatestMessage =
    "SELECT detail::jsonb ->> 'message' FROM session_events WHERE session_id = $1 AND "
    "jsonb_typeof(detail::jsonb -> 'message') = 'string' ORDER BY sequence DESC LIMIT 1";

#undef GC_SESSION_COLUMNS
#undef GC_EVENT_COLUMNS

void BindSession(Statement& s, const DeploymentSession& session) {
  s.Bind(1, session.id);
  s.Bind(2, session.device_id);
  s.Bind(3, session.flow);
  s.Bind(4, session.user_principal_name);
  s.Bind(5, session.deployment_state);
  s.Bind(6, Seconds(session.started_date_time));
  s.Bind(7, Seconds(session.finished_date_time));
}

DeploymentSession ReadSession(const Statement& row) {
  DeploymentSession session;
  session.id = row.Text(0);
  session.device_id = row.Text(1);
  session.flow = row.Text(2);
  session.user_principal_name = row.Text(3);
  session.deployment_state = row.Text(4);
  session.started_date_time = TimeAt(row, 5);
  session.finished_date_time = OptionalTimeAt(row, 6);
  return session;
}

SessionEvent ReadEvent(const Statement& row) {
  SessionEvent event;
  event.sequence = row.Int(0);
  event.session_id = row.Text(1);
  event.idempotency_key = row.Text(2);
  event.at = TimeAt(row, 3);
  event.kind = row.Text(4);
  event.detail = row.Text(5);
  return event;
}

Error NoSession(std::string_view id) {
  return MakeError(ErrorCode::kNotFound, fmt::format("no deployment session has id {}", id), "id");
}

// A page of events from `list` (which selects limit + 1 rows after the cursor), keyed by
// sequence.
Result<Page<SessionEvent>> ReadEventPage(Statement& list, int limit) {
  return ReadPage<SessionEvent>(
      list, limit, [](const Statement& row) { return ReadEvent(row); },
      [](const SessionEvent& item) { return std::to_string(item.sequence); });
}

class PostgresSessionStore final : public SessionStore {
 public:
  explicit PostgresSessionStore(ConnectionPool& pool) : pool_(pool) {}

  Status CreateSession(const DeploymentSession& session) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    // Checked first so that a missing device is kNotFound rather than a foreign-key failure.
    Result<bool> device = Exists(db, kDeviceExists, session.device_id);
    if (!device) return device.error();
    if (!*device) {
      return MakeError(
          ErrorCode::kNotFound,
          fmt::format("session {}: no device has id {}", session.id, session.device_id),
          "deviceId");
    }
    Result<Statement> insert = db.Prepare(kInsertSession);
    if (!insert) return insert.error();
    BindSession(*insert, session);
    if (Status s = insert->Run(); !s) {
      if (s.error().code == ErrorCode::kAlreadyExists) {
        return MakeError(ErrorCode::kAlreadyExists,
                         fmt::format("a deployment session with id {} already exists", session.id),
                         "id");
      }
      return s;
    }
    if (Status s = RefreshDeviceSummary(db, session.device_id); !s) return s;
    return transaction->Commit();
  }

  Status UpdateSession(const DeploymentSession& session) override {
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<Statement> update = db.Prepare(kUpdateSession);
    if (!update) return update.error();
    update->Bind(1, session.id);
    update->Bind(2, session.deployment_state);
    update->Bind(3, Seconds(session.finished_date_time));
    // The device is the stored session's (UpdateSession changes only state and finish time).
    Result<bool> row = update->Step();
    if (!row) return row.error();
    if (!*row) return NoSession(session.id);
    const std::string device_id = update->Text(0);
    update->Reset();
    if (Status s = RefreshDeviceSummary(db, device_id); !s) return s;
    return transaction->Commit();
  }

  Result<DeploymentSession> GetSession(std::string_view id) override {
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(kSelectSession);
    if (!select) return select.error();
    select->Bind(1, id);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return NoSession(id);
    return ReadSession(*select);
  }

  Result<Page<DeploymentSession>> ListSessions(const SessionFilter& filter,
                                               const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list =
        db.Prepare(filter.device_id.empty() ? kListSessions : kListDeviceSessions);
    if (!list) return list.error();
    list->Bind(1, page.after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(3, filter.flow);
    list->Bind(4, filter.deployment_state);
    if (!filter.device_id.empty()) list->Bind(5, filter.device_id);
    Result<Page<DeploymentSession>> result = ReadPage<DeploymentSession>(
        *list, page.limit, [&](const Statement& row) { return ReadSession(row); },
        [](const DeploymentSession& item) { return item.id; });
    return result;
  }

  Result<SessionEvent> AppendEvent(const SessionEvent& event) override {
    if (event.idempotency_key.empty()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "a session event needs an idempotency key (a resent event reuses it)",
                       "idempotencyKey");
    }
    ConnectionPool::WriteGuard writer(pool_);
    Connection& db = writer.connection();
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction) return transaction.error();
    Result<bool> session = Exists(db, kSessionExists, event.session_id);
    if (!session) return session.error();
    if (!*session) return NoSession(event.session_id);
    Result<std::optional<SessionEvent>> stored = FindEvent(db, event);
    if (!stored) return stored.error();
    if (*stored) return std::move(**stored);  // a resend: the first one stands
    Result<Statement> insert = db.Prepare(kInsertEvent);
    if (!insert) return insert.error();
    insert->Bind(1, event.session_id);
    insert->Bind(2, event.idempotency_key);
    insert->Bind(3, Seconds(event.at));
    insert->Bind(4, event.kind);
    insert->Bind(5, event.detail);
    Result<bool> row = insert->Step();
    if (!row) return row.error();
    if (!*row) return MakeError(ErrorCode::kInternal, "the new event's sequence was not returned");
    SessionEvent appended = event;
    appended.sequence = insert->Int(0);
    insert->Reset();
    pool_.AnnounceEvents();  // live streams on every instance wake when this commits
    if (Status s = transaction->Commit(); !s) return s.error();
    return appended;
  }

  Result<Page<SessionEvent>> ListEvents(std::string_view session_id,
                                        const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One read transaction, so that the existence check and the page agree.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    Result<bool> session = Exists(db, kSessionExists, session_id);
    if (!session) return session.error();
    if (!*session) return NoSession(session_id);
    Result<Statement> list = db.Prepare(kListEvents);
    if (!list) return list.error();
    list->Bind(1, session_id);
    list->Bind(2, *after);
    list->Bind(3, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    Result<Page<SessionEvent>> result = ReadEventPage(*list, page.limit);
    if (!result) return result.error();
    list->Reset();  // done reading before the transaction ends
    if (Status s = transaction->Commit(); !s) return s.error();
    return result;
  }

  Result<Page<SessionEvent>> ListAllEvents(const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> list = db.Prepare(kListAllEvents);
    if (!list) return list.error();
    list->Bind(1, *after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    return ReadEventPage(*list, page.limit);
  }

  Result<Page<SessionEvent>> ListMatchingEvents(const SessionFilter& filter,
                                                const PageRequest& page) override {
    if (Status s = CheckLimit(page); !s) return s.error();
    Result<int64_t> after = ParseSequenceCursor(page.after);
    if (!after) return after.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One read transaction, so that the highest sequence is the one the page was read at.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    Result<Statement> list = db.Prepare(kListMatchingEvents);
    if (!list) return list.error();
    list->Bind(1, *after);
    list->Bind(2, static_cast<int64_t>(page.limit) + 1);  // one more tells whether a page follows
    list->Bind(3, filter.device_id);
    list->Bind(4, filter.flow);
    list->Bind(5, filter.deployment_state);
    Result<Page<SessionEvent>> result = ReadEventPage(*list, page.limit);
    if (!result) return result.error();
    list->Reset();
    if (result->next_after.empty()) {  // the last page: read on from the highest sequence
      Result<Statement> last = db.Prepare(kLastSequence);
      if (!last) return last.error();
      Result<bool> row = last->Step();
      if (!row) return row.error();
      const int64_t highest = *row ? last->Int(0) : 0;
      if (highest > *after) result->next_after = std::to_string(highest);
      last->Reset();
    }
    if (Status s = transaction->Commit(); !s) return s.error();
    return result;
  }

  Result<int64_t> LastEventSequence() override {
    ConnectionPool::ReadLease lease(pool_);
    Result<Statement> last = lease.connection().Prepare(kLastSequence);
    if (!last) return last.error();
    Result<bool> row = last->Step();
    if (!row) return row.error();
    return *row ? last->Int(0) : int64_t{0};
  }

  Result<std::vector<DeploymentSession>> LatestSessions(
      std::span<const std::string> device_ids) override {
    if (device_ids.size() > static_cast<size_t>(kMaxPageSize)) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("at most {} devices at a time, not {}", kMaxPageSize, device_ids.size()),
          "deviceIds");
    }
    std::vector<DeploymentSession> latest;
    if (device_ids.empty()) return latest;
    // Placeholders in a power of two from 16 (padded with the first id again), so that each
    // session prepares and keeps at most 7 texts of the statement.
    const size_t count = std::bit_ceil(std::max<size_t>(device_ids.size(), 16));
    std::string placeholders;
    for (size_t i = 1; i <= count; ++i) placeholders += fmt::format("{}${}", i == 1 ? "" : ", ", i);
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    Result<Statement> select = db.Prepare(fmt::format(fmt::runtime(kLatestSessions), placeholders));
    if (!select) return select.error();
    for (size_t i = 0; i < count; ++i) {
      select->Bind(static_cast<int>(i + 1), device_ids[i < device_ids.size() ? i : 0]);
    }
    for (;;) {
      Result<bool> row = select->Step();
      if (!row) return row.error();
      if (!*row) break;
      latest.push_back(ReadSession(*select));
    }
    return latest;
  }

  Result<DashboardFigures> Dashboard(core::Timestamp since, int limit) override {
    if (Status s = CheckLimit(PageRequest{.after = "", .limit = limit}); !s) return s.error();
    ConnectionPool::ReadLease lease(pool_);
    Connection& db = lease.connection();
    // One read transaction: the figures agree with each other.
    Result<Transaction> transaction = Transaction::Begin(db, Transaction::Mode::kRead);
    if (!transaction) return transaction.error();
    DashboardFigures figures;
    for (auto [sql, list] : {std::pair{kDashboardInProgress, &figures.in_progress},
                             std::pair{kDashboardFailed, &figures.failed}}) {
      Result<Statement> select = db.Prepare(sql);
      if (!select) return select.error();
      if (list == &figures.failed) {
        select->Bind(1, Seconds(since));
        select->Bind(2, static_cast<int64_t>(limit));
      } else {
        select->Bind(1, static_cast<int64_t>(limit));
      }
      for (;;) {
        Result<bool> row = select->Step();
        if (!row) return row.error();
        if (!*row) break;
        DashboardSession listed;
        listed.session = ReadSession(*select);
        listed.serial_number = select->Text(7);
        listed.device_name = select->Text(8);
        list->push_back(std::move(listed));
      }
      for (DashboardSession& listed : *list) {
        Result<std::string> phase = FirstText(db, kLatestPhase, listed.session.id);
        if (!phase) return phase.error();
        listed.phase = std::move(*phase);
        Result<std::string> message = FirstText(db, kLatestMessage, listed.session.id);
        if (!message) return message.error();
        listed.error_message = std::move(*message);
      }
    }
    Result<Statement> counts = db.Prepare(kDashboardCounts);
    if (!counts) return counts.error();
    counts->Bind(1, Seconds(since));
    for (;;) {
      Result<bool> row = counts->Step();
      if (!row) return row.error();
      if (!*row) break;
      FlowFigures& flow = counts->Text(0) == "user" ? figures.user : figures.technician;
      (counts->Int(1) != 0 ? flow.failed : flow.succeeded) += counts->Int(2);
    }
    for (auto [name, flow] :
         {std::pair{"technician", &figures.technician}, std::pair{"user", &figures.user}}) {
      const int64_t n = flow->succeeded + flow->failed;
      if (n == 0) continue;
      Result<Statement> median = db.Prepare(kDashboardMedian);
      if (!median) return median.error();
      median->Bind(1, Seconds(since));
      median->Bind(2, std::string_view(name));
      median->Bind(3, int64_t{n % 2 == 0 ? 2 : 1});
      median->Bind(4, (n - 1) / 2);
      double sum = 0;
      int taken = 0;
      for (;;) {
        Result<bool> row = median->Step();
        if (!row) return row.error();
        if (!*row) break;
        sum += static_cast<double>(median->Int(0));
        ++taken;
      }
      if (taken > 0) flow->median_duration_seconds = sum / taken;
    }
    Result<Statement> waiting = db.Prepare(kDashboardWaiting);
    if (!waiting) return waiting.error();
    Result<bool> row = waiting->Step();
    if (!row) return row.error();
    figures.waiting_for_user_flow = *row ? waiting->Int(0) : 0;
    return figures;
  }

 private:
  // The first column of the first row `sql` (bound to `key`) selects, "" when none or NULL.
  // REQUIRES: `db` is this call's connection.
  Result<std::string> FirstText(Connection& db, const char* sql, std::string_view key) {
    Result<Statement> select = db.Prepare(sql);
    if (!select) return select.error();
    select->Bind(1, key);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row || select->IsNull(0)) return std::string();
    return select->Text(0);
  }

  // REQUIRES: `db` is this call's connection, in a write transaction.
  Status RefreshDeviceSummary(Connection& db, std::string_view device_id) {
    Result<Statement> refresh = db.Prepare(kRefreshDeviceSummary);
    if (!refresh) return refresh.error();
    refresh->Bind(1, device_id);
    return refresh->Run();
  }

  // REQUIRES: `db` is this call's connection.
  Result<bool> Exists(Connection& db, const char* sql, std::string_view id) {
    Result<Statement> select = db.Prepare(sql);
    if (!select) return select.error();
    select->Bind(1, id);
    return select->Step();
  }

  // REQUIRES: `db` is this call's connection.
  Result<std::optional<SessionEvent>> FindEvent(Connection& db, const SessionEvent& event) {
    Result<Statement> select = db.Prepare(kSelectEventByKey);
    if (!select) return select.error();
    select->Bind(1, event.session_id);
    select->Bind(2, event.idempotency_key);
    Result<bool> row = select->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<SessionEvent>();
    return std::optional<SessionEvent>(ReadEvent(*select));
  }

  ConnectionPool& pool_;
};

}  // namespace

std::unique_ptr<SessionStore> MakeSessionStore(ConnectionPool& pool) {
  return std::make_unique<PostgresSessionStore>(pool);
}

}  // namespace groundcrew::store::postgres::internal
